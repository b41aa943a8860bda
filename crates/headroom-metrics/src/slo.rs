//! Service-level objectives: parse them, judge requests against them for goodput, and
//! judge a load level against them with confidence intervals.
//!
//! # Writing an SLO
//!
//! | SLO                    | Meaning                                                    |
//! |------------------------|------------------------------------------------------------|
//! | `p95(e2e) <= 3s`       | the 95th percentile of request latency is at most 3 s      |
//! | `p99.9(ttft) < 500ms`  | the 99.9th percentile of TTFT is below 500 ms              |
//! | `mean(tpot) <= 20ms`   | mean time per output token (`avg` is the same)             |
//! | `median(itl) <= 30ms`  | the same as `p50(itl) <= 30ms`                             |
//! | `errors <= 1%`         | failed ÷ measured requests (`0.01` works too)              |
//! | `goodput >= 10/s`      | requests per second that met every latency SLO (`req/s`, `rps`) |
//! | `goodput >= 95%`       | share of measured requests that met every latency SLO      |
//!
//! Latency metrics: `ttft`, `itl` (gap between content chunks), `itl_per_token`, `tpot`,
//! `e2e` (also `latency`, `request_latency`, `e2el`), `ttft_from_intended`
//! (`ttft_intended`), `e2e_from_intended` (`e2e_intended`, `latency_from_intended`) and
//! `scheduling_lag`. Limits need a unit: `us` (or `µs`), `ms`, `s` or `m` (minutes).
//! Spaces and the case of names do not matter. Errors count requests that failed on the
//! way to or from the server (not those cancelled or never sent because the run was
//! interrupted, which still count as measured).
//!
//! # Goodput
//!
//! A request counts towards goodput when it completed and its own value of every latency
//! SLO's metric is within that SLO's limit: its TTFT, E2E, TPOT, scheduling lag, TTFT
//! and E2E from the intended send time, and for `itl` / `itl_per_token` the mean of its
//! own gaps. The statistic (`p95`, `mean`) does not matter per request; a request without
//! a value for a metric (TPOT of a one-token answer, TTFT of a non-streamed one) is not
//! judged on it. This is how vLLM's `bench serve --goodput` judges requests. `errors` and
//! `goodput` SLOs play no part in it.
//!
//! # When a level passes
//!
//! A level is run one or more times (repeats). For each SLO, headroom computes:
//!
//! - the **estimate** from all repeats together: the percentile or mean of the merged
//!   latencies, the error rate over all measured requests, goodput over the total
//!   measurement time;
//! - a **confidence interval** (95 % unless chosen otherwise) that accounts for both
//!   sampling noise and run-to-run variation: the wider envelope of the interval from
//!   the merged samples (distribution-free for percentiles, Student-t for means, Wilson
//!   for the error rate and goodput share, Poisson for goodput per second) and, with two
//!   or more repeats, the Student-t interval of the per-repeat values.
//!
//! The level **passes** an SLO when the whole interval is on the good side of the limit,
//! **fails** it when the whole interval is on the bad side, and is **marginal** when the
//! interval straddles the limit: more requests or more repeats are needed to tell. A
//! level with no data for an SLO (no completed request for a latency SLO) fails it.
//!
//! A percentile needs enough requests before any interval can put an upper bound on it:
//! at 95 % confidence, with fewer than 72 requests (P95), 368 (P99) or 3,688 (P99.9)
//! even the slowest request seen is too likely to be faster than the true percentile, so
//! such a level is at best marginal. For a stable percentile, P95 known to ±1 percentile
//! point (between the true P94 and P96) takes 1,825 requests, P99 to ±0.5 point 1,522
//! (see [`requests_for_quantile`](crate::confidence::requests_for_quantile)).
//!
//! Chunk gaps (`itl`, `itl_per_token`) of one request are not independent, so their
//! sampling interval is narrower than it should be; the across-repeat interval covers
//! that only with two or more repeats.

use crate::confidence::{
    Interval, mean_interval, poisson_rate_interval, quantile_interval, quantile_ranks, t_interval,
    wilson_interval,
};
use crate::{Metric, Summary};
use headroom_core::{Phase, RequestRecord};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::AddAssign;
use std::str::FromStr;

/// The statistic of a latency SLO.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    /// A percentile in `(0, 100)`, e.g. `95.0` for P95.
    Percentile(f64),
    /// The arithmetic mean.
    Mean,
}

impl fmt::Display for Stat {
    /// `p95`, `p99.9`, `mean`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stat::Percentile(p) => write!(f, "p{p}"),
            Stat::Mean => f.write_str("mean"),
        }
    }
}

/// The target of a goodput SLO.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GoodputTarget {
    /// Requests per second that met every latency SLO.
    PerSecond(f64),
    /// Share of measured requests that met every latency SLO, as a fraction.
    Share(f64),
}

/// One service-level objective. Parses from and displays as its expression
/// (`p95(e2e)<=3s`), and is serialized as that string.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slo {
    /// A limit on a latency statistic.
    Latency {
        /// The statistic judged.
        stat: Stat,
        /// A latency metric (recorded in µs).
        metric: Metric,
        /// `<` rather than `<=`.
        strict: bool,
        /// The limit, µs.
        limit_us: f64,
    },
    /// A ceiling on failed ÷ measured requests.
    Errors {
        /// The highest acceptable error rate, as a fraction.
        max: f64,
    },
    /// A floor on goodput.
    Goodput(GoodputTarget),
}

impl Slo {
    /// The limit in the unit assessments use: milliseconds for latency, a fraction for
    /// errors and goodput share, requests per second for goodput per second.
    pub fn threshold(&self) -> f64 {
        match self {
            Slo::Latency {
                metric, limit_us, ..
            } => limit_us * metric.unit().scale(),
            Slo::Errors { max } => *max,
            Slo::Goodput(GoodputTarget::PerSecond(v) | GoodputTarget::Share(v)) => *v,
        }
    }

    /// The unit of [`Slo::threshold`] and of assessments: `ms`, `fraction` or `req/s`.
    pub fn unit(&self) -> &'static str {
        match self {
            Slo::Latency { metric, .. } => metric.unit().display(),
            Slo::Errors { .. } | Slo::Goodput(GoodputTarget::Share(_)) => "fraction",
            Slo::Goodput(GoodputTarget::PerSecond(_)) => "req/s",
        }
    }

    /// `true` for a ceiling (latency, errors: lower is better), `false` for goodput's
    /// floor.
    pub fn is_ceiling(&self) -> bool {
        !matches!(self, Slo::Goodput(_))
    }

    /// `value` is on the good side of the limit.
    fn within(&self, value: f64) -> bool {
        let limit = self.threshold();
        match self {
            Slo::Latency { strict: true, .. } => value < limit,
            Slo::Latency { .. } | Slo::Errors { .. } => value <= limit,
            Slo::Goodput(_) => value >= limit,
        }
    }
}

/// The latency metrics an SLO can name, with their aliases (canonical name first).
pub(crate) const LATENCY_NAMES: [(Metric, &[&str]); 8] = [
    (Metric::Ttft, &["ttft"]),
    (Metric::Itl, &["itl"]),
    (Metric::ItlPerToken, &["itl_per_token"]),
    (Metric::Tpot, &["tpot"]),
    (Metric::E2e, &["e2e", "latency", "request_latency", "e2el"]),
    (
        Metric::TtftFromIntended,
        &["ttft_from_intended", "ttft_intended"],
    ),
    (
        Metric::E2eFromIntended,
        &["e2e_from_intended", "e2e_intended", "latency_from_intended"],
    ),
    (Metric::SchedulingLag, &["scheduling_lag"]),
];

pub(crate) fn latency_metric(name: &str) -> Option<Metric> {
    let name = name.to_lowercase();
    LATENCY_NAMES
        .iter()
        .find(|(_, names)| names.contains(&name.as_str()))
        .map(|(m, _)| *m)
}

pub(crate) fn metric_list() -> String {
    LATENCY_NAMES
        .iter()
        .map(|(_, names)| names[0])
        .collect::<Vec<_>>()
        .join(", ")
}

/// A bad SLO expression. Its `Display` shows the expression with a caret under the place
/// parsing stopped and what was expected there:
///
/// ```text
/// invalid SLO 'p95(e2f)<=3s':
///   p95(e2f)<=3s
///       ^ unknown metric 'e2f'; expected one of ttft, itl, itl_per_token, tpot, e2e, ...
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SloError {
    expression: String,
    column: usize,
    reason: String,
}

impl SloError {
    /// The expression as given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Where parsing stopped, in characters from the start of the expression.
    pub fn column(&self) -> usize {
        self.column
    }

    /// What was wrong or expected there.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for SloError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_caret(f, "SLO", &self.expression, self.column, &self.reason)
    }
}

/// `invalid {what} '{expression}':`, the expression, and `reason` after a caret under
/// `column` (in characters).
pub(crate) fn write_caret(
    f: &mut fmt::Formatter<'_>,
    what: &str,
    expression: &str,
    column: usize,
    reason: &str,
) -> fmt::Result {
    // Line breaks and tabs would move the caret: show them as spaces.
    let echo: String = expression
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    write!(
        f,
        "invalid {what} '{expression}':\n  {echo}\n  {}^ {reason}",
        " ".repeat(column)
    )
}

impl std::error::Error for SloError {}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op {
    Le,
    Lt,
    Ge,
    Gt,
    Eq,
}

/// A cursor over the expression; positions are byte offsets. Shared with
/// [`crate::gate`].
pub(crate) struct Parser<'a> {
    pub(crate) src: &'a str,
    pub(crate) pos: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    pub(crate) fn ws(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start().len();
    }

    /// The next character after white space.
    pub(crate) fn peek(&mut self) -> Option<char> {
        self.ws();
        self.rest().chars().next()
    }

    /// Consumes `c` if it comes next (after white space).
    pub(crate) fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// A word of letters, digits and `_` (possibly empty) after white space, and where
    /// it starts.
    pub(crate) fn word(&mut self) -> (usize, &'a str) {
        self.ws();
        let start = self.pos;
        let r = self.rest();
        let len = r
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(r.len());
        self.pos += len;
        (start, &self.src[start..self.pos])
    }

    /// A non-negative decimal number (`3`, `3.81`, `.5`) after white space, and where it
    /// starts.
    pub(crate) fn number(&mut self) -> Option<(usize, &'a str)> {
        self.ws();
        let start = self.pos;
        let r = self.rest();
        let int = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        let mut len = int;
        if r[int..].starts_with('.') {
            let frac = r[int + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(r.len() - int - 1);
            if frac > 0 {
                len = int + 1 + frac;
            }
        }
        if len == 0 {
            return None;
        }
        self.pos += len;
        Some((start, &self.src[start..self.pos]))
    }

    pub(crate) fn op(&mut self) -> Option<Op> {
        self.ws();
        let r = self.rest();
        for (text, op) in [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("≤", Op::Le),
            ("≥", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("=", Op::Eq),
        ] {
            if r.starts_with(text) {
                self.pos += text.len();
                return Some(op);
            }
        }
        None
    }

    fn err(&self, at: usize, reason: impl Into<String>) -> SloError {
        SloError {
            expression: self.src.to_string(),
            column: self.src[..at].chars().count(),
            reason: reason.into(),
        }
    }

    /// Nothing but white space is left.
    fn finish(&mut self) -> Result<(), SloError> {
        self.ws();
        if self.rest().is_empty() {
            Ok(())
        } else {
            Err(self.err(
                self.pos,
                format!("unexpected '{}' after the SLO", self.rest().trim_end()),
            ))
        }
    }

    fn slo(&mut self) -> Result<Slo, SloError> {
        if self.peek().is_none() {
            return Err(self.err(
                self.pos,
                "empty SLO; expected e.g. p95(e2e)<=3s, errors<=1% or goodput>=10/s",
            ));
        }
        let (start, w) = self.word();
        let lw = w.to_lowercase();
        let slo = match lw.as_str() {
            "errors" | "error_rate" => self.errors()?,
            "goodput" => self.goodput()?,
            "mean" | "avg" => self.latency(Stat::Mean)?,
            "median" => self.latency(Stat::Percentile(50.0))?,
            _ if lw.starts_with('p') && lw[1..].bytes().all(|b| b.is_ascii_digit()) => {
                // Re-read the number after `p`, decimals included.
                self.pos = start + 1;
                let Some((at, text)) = self.number() else {
                    return Err(self.err(
                        self.pos,
                        "expected a percentile after 'p', like p95 or p99.9",
                    ));
                };
                let p: f64 = text.parse().map_err(|_| self.err(at, "not a number"))?;
                if !(p > 0.0 && p < 100.0) {
                    return Err(self.err(
                        at,
                        "the percentile must be above 0 and below 100, like p95 or p99.9",
                    ));
                }
                self.latency(Stat::Percentile(p))?
            }
            _ if latency_metric(w).is_some() => {
                return Err(self.err(
                    start,
                    format!("add a statistic: p95({w}), median({w}) or mean({w})"),
                ));
            }
            _ => {
                let found = if w.is_empty() {
                    self.rest()
                        .chars()
                        .next()
                        .map(String::from)
                        .unwrap_or_default()
                } else {
                    w.to_string()
                };
                return Err(self.err(
                    start,
                    format!(
                        "unexpected '{found}'; expected p<N>(metric) (like p95(e2e)), \
                         mean(metric), median(metric), errors or goodput"
                    ),
                ));
            }
        };
        self.finish()?;
        Ok(slo)
    }

    fn latency(&mut self, stat: Stat) -> Result<Slo, SloError> {
        if !self.eat('(') {
            return Err(self.err(
                self.pos,
                format!("expected '(' and a metric after {stat}, like {stat}(e2e)"),
            ));
        }
        let (at, name) = self.word();
        let metric = match latency_metric(name) {
            Some(m) => m,
            None if name.is_empty() => {
                return Err(self.err(at, format!("expected a metric; one of {}", metric_list())));
            }
            None if matches!(name.to_lowercase().as_str(), "isl" | "osl") => {
                return Err(self.err(
                    at,
                    format!(
                        "'{name}' is a length, not a latency; expected one of {}",
                        metric_list()
                    ),
                ));
            }
            None => {
                return Err(self.err(
                    at,
                    format!("unknown metric '{name}'; expected one of {}", metric_list()),
                ));
            }
        };
        if !self.eat(')') {
            return Err(self.err(self.pos, format!("expected ')' after {name}")));
        }
        let at = {
            self.ws();
            self.pos
        };
        let strict = match self.op() {
            Some(Op::Le) => false,
            Some(Op::Lt) => true,
            Some(Op::Ge | Op::Gt) => {
                return Err(self.err(
                    at,
                    "latency limits use <= (or <): the SLO is met at or below the limit",
                ));
            }
            Some(Op::Eq) | None => {
                return Err(self.err(at, "expected <= and a limit, like <=3s"));
            }
        };
        let limit_us = self.duration_us()?;
        Ok(Slo::Latency {
            stat,
            metric,
            strict,
            limit_us,
        })
    }

    /// A number and a time unit, in µs.
    fn duration_us(&mut self) -> Result<f64, SloError> {
        let Some((_, text)) = self.number() else {
            let reason = if self.peek() == Some('-') {
                "limits cannot be negative"
            } else {
                "expected a limit with a unit, like 3s or 500ms"
            };
            return Err(self.err(self.pos, reason));
        };
        let (at, unit) = self.word();
        let (exp, factor) = match unit.to_lowercase().as_str() {
            "us" | "µs" | "μs" => (0, 1.0),
            "ms" => (3, 1.0),
            "s" => (6, 1.0),
            "m" | "min" => (6, 60.0),
            "" => {
                return Err(self.err(at, format!("add a unit: {}", suggest_units(text))));
            }
            _ => {
                return Err(self.err(
                    at,
                    format!("unknown unit '{unit}'; expected us, ms, s or m"),
                ));
            }
        };
        Ok(scaled(text, exp) * factor)
    }

    fn errors(&mut self) -> Result<Slo, SloError> {
        let at = {
            self.ws();
            self.pos
        };
        match self.op() {
            Some(Op::Le) => {}
            Some(Op::Lt) => return Err(self.err(at, "error limits use <=, like errors<=1%")),
            Some(Op::Ge | Op::Gt) => {
                return Err(self.err(
                    at,
                    "error limits use <=: the SLO is met at or below the limit",
                ));
            }
            Some(Op::Eq) | None => {
                return Err(self.err(at, "expected <= and a limit, like errors<=1%"));
            }
        }
        let Some((at, text)) = self.number() else {
            return Err(self.err(self.pos, "expected a limit, like errors<=1%"));
        };
        let max = if self.eat('%') {
            let v = scaled(text, -2);
            if v > 1.0 {
                return Err(self.err(at, "the error rate is at most 100%"));
            }
            v
        } else {
            let (uat, unit) = self.word();
            if !unit.is_empty() {
                return Err(self.err(
                    uat,
                    format!("unknown unit '{unit}'; expected % (like errors<=1%)"),
                ));
            }
            let v = scaled(text, 0);
            if v > 1.0 {
                return Err(self.err(
                    at,
                    format!("a bare number is a fraction of 1; did you mean {text}%?"),
                ));
            }
            v
        };
        Ok(Slo::Errors { max })
    }

    fn goodput(&mut self) -> Result<Slo, SloError> {
        let at = {
            self.ws();
            self.pos
        };
        match self.op() {
            Some(Op::Ge) => {}
            Some(Op::Gt) => {
                return Err(self.err(at, "goodput targets use >=, like goodput>=10/s"));
            }
            Some(Op::Le | Op::Lt) => {
                return Err(self.err(
                    at,
                    "goodput targets use >=: the SLO is met at or above the target",
                ));
            }
            Some(Op::Eq) | None => {
                return Err(self.err(at, "expected >= and a target, like goodput>=10/s"));
            }
        }
        let Some((at, text)) = self.number() else {
            return Err(self.err(
                self.pos,
                "expected a target, like goodput>=10/s or goodput>=95%",
            ));
        };
        if self.eat('%') {
            let v = scaled(text, -2);
            if v > 1.0 {
                return Err(self.err(at, "the goodput share is at most 100%"));
            }
            return Ok(Slo::Goodput(GoodputTarget::Share(v)));
        }
        let per_second = Ok(Slo::Goodput(GoodputTarget::PerSecond(scaled(text, 0))));
        if self.eat('/') {
            return self.per_s().and(per_second);
        }
        let (uat, unit) = self.word();
        match unit.to_lowercase().as_str() {
            "rps" => per_second,
            "req" | "reqs" | "requests" if self.eat('/') => self.per_s().and(per_second),
            "" => Err(self.err(uat, format!("add a unit: {text}/s or {text}%"))),
            _ => Err(self.err(
                uat,
                format!("unknown unit '{unit}'; expected /s, req/s, rps or %"),
            )),
        }
    }

    /// The `s` of `/s`.
    fn per_s(&mut self) -> Result<(), SloError> {
        let (at, unit) = self.word();
        if matches!(unit.to_lowercase().as_str(), "s" | "sec") {
            Ok(())
        } else {
            Err(self.err(at, "expected 's' after '/', like 10/s"))
        }
    }
}

/// The decimal `text` times 10^`exp`, rounded once (so `3.81` s is exactly 3,810,000 µs).
pub(crate) fn scaled(text: &str, exp: i32) -> f64 {
    let text = if text.starts_with('.') {
        format!("0{text}")
    } else {
        text.to_string()
    };
    format!("{text}e{exp}").parse().unwrap_or(f64::NAN)
}

/// `3.81` → `3.81s or 3810ms`; `200` → `200ms or 0.2s`.
fn suggest_units(text: &str) -> String {
    if scaled(text, 0) < 100.0 {
        format!("{text}s or {}ms", shift_decimal(text, 3))
    } else {
        format!("{text}ms or {}s", shift_decimal(text, -3))
    }
}

/// Moves the decimal point of a plain decimal (`12.5`, as Rust prints an `f64`) by `k`
/// places, exactly: `shift_decimal("3810000", -6)` is `3.81`. Other text (`NaN`, `inf`)
/// comes back unchanged.
pub(crate) fn shift_decimal(s: &str, k: i32) -> String {
    let (sign, body) = match s.strip_prefix('-') {
        Some(b) => ("-", b),
        None => ("", s),
    };
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return s.to_string();
    }
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let mut digits = format!("{int}{frac}");
    let mut point = int.len() as i64 + k as i64;
    if point < 0 {
        digits.insert_str(0, &"0".repeat((-point) as usize));
        point = 0;
    }
    let point = point as usize;
    if point > digits.len() {
        digits.push_str(&"0".repeat(point - digits.len()));
    }
    let (i, f) = digits.split_at(point);
    let i = i.trim_start_matches('0');
    let i = if i.is_empty() { "0" } else { i };
    let f = f.trim_end_matches('0');
    if f.is_empty() {
        format!("{sign}{i}")
    } else {
        format!("{sign}{i}.{f}")
    }
}

/// A duration in µs in the most readable unit that keeps it exact: `3.81s`, `250ms`,
/// `800us`.
fn fmt_duration(us: f64) -> String {
    let exact = format!("{us}");
    if us >= 1e6 {
        format!("{}s", shift_decimal(&exact, -6))
    } else if us >= 1e3 {
        format!("{}ms", shift_decimal(&exact, -3))
    } else {
        format!("{exact}us")
    }
}

/// A fraction as a percentage, exactly: `0.005` → `0.5`.
fn fmt_percent(fraction: f64) -> String {
    shift_decimal(&format!("{fraction}"), 2)
}

impl fmt::Display for Slo {
    /// The canonical expression, which parses back to the same value: `p95(e2e)<=3.81s`,
    /// `mean(ttft)<250ms`, `errors<=1%`, `goodput>=10/s`, `goodput>=95%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Slo::Latency {
                stat,
                metric,
                strict,
                limit_us,
            } => write!(
                f,
                "{stat}({}){}{}",
                metric.key(),
                if *strict { "<" } else { "<=" },
                fmt_duration(*limit_us)
            ),
            Slo::Errors { max } => write!(f, "errors<={}%", fmt_percent(*max)),
            Slo::Goodput(GoodputTarget::PerSecond(v)) => write!(f, "goodput>={v}/s"),
            Slo::Goodput(GoodputTarget::Share(v)) => write!(f, "goodput>={}%", fmt_percent(*v)),
        }
    }
}

impl FromStr for Slo {
    type Err = SloError;

    fn from_str(s: &str) -> Result<Self, SloError> {
        Parser { src: s, pos: 0 }.slo()
    }
}

impl Serialize for Slo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Slo {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Slo {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Slo".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A service-level objective: pN(metric)<=LIMIT (or <), mean(metric)<=LIMIT, median(metric)<=LIMIT, errors<=N%, goodput>=N/s or goodput>=N%. Limits take a unit: us, ms, s or m.",
            "examples": ["p95(e2e)<=3s", "p99(ttft)<500ms", "errors<=1%", "goodput>=10/s"]
        })
    }
}

/// A request's own value of a latency metric, µs: what [`SloSet::request_meets`] judges.
///
/// TTFT, E2E, TPOT and scheduling lag as the record defines them; TTFT and E2E from the
/// intended send time (open loop); for `itl` the mean gap between its content chunks,
/// and for `itl_per_token` the sum of those gaps over the tokens they brought (the mean
/// of its per-token samples). `None` when the request has no such value (one chunk, one
/// token, not streamed, closed loop) or for a length metric.
pub fn request_value(metric: Metric, r: &RequestRecord) -> Option<f64> {
    match metric {
        Metric::Ttft => r.ttft_us().map(|v| v as f64),
        Metric::E2e => r.e2e_us().map(|v| v as f64),
        Metric::Tpot => r.tpot_us(),
        Metric::SchedulingLag => r.lag_us().map(|v| v as f64),
        Metric::TtftFromIntended => Some((r.lag_us()? + r.ttft_us()?) as f64),
        Metric::E2eFromIntended => {
            r.lag_us()?;
            Some(r.end_us?.saturating_sub(r.intended_us?) as f64)
        }
        Metric::Itl => {
            let (first, last) = (r.content_us.first()?, r.content_us.last()?);
            let gaps = r.content_us.len() - 1;
            (gaps > 0).then(|| last.saturating_sub(*first) as f64 / gaps as f64)
        }
        Metric::ItlPerToken => {
            let (mut time, mut tokens) = (0u64, 0u64);
            for i in 1..r.content_us.len() {
                let k = r.chunk_tokens(i);
                if k > 0 {
                    time += r.content_us[i].saturating_sub(r.content_us[i - 1]);
                    tokens += k as u64;
                }
            }
            (tokens > 0).then(|| time as f64 / tokens as f64)
        }
        Metric::Isl | Metric::Osl => None,
    }
}

/// The SLOs a run is judged against. Serialized as a list of expressions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct SloSet(pub Vec<Slo>);

impl SloSet {
    /// Whether `r` counts towards goodput: it completed, and for every latency SLO its
    /// own value ([`request_value`]) is within the limit; a metric it has no value for
    /// is not judged. `errors` and `goodput` SLOs are ignored, so with no latency SLO
    /// every completed request meets the set. The phase is not looked at (see
    /// [`GoodputCounter`]).
    pub fn request_meets(&self, r: &RequestRecord) -> bool {
        r.is_ok()
            && self.0.iter().all(|slo| match slo {
                Slo::Latency {
                    metric,
                    strict,
                    limit_us,
                    ..
                } => request_value(*metric, r).is_none_or(|v| {
                    if *strict {
                        v < *limit_us
                    } else {
                        v <= *limit_us
                    }
                }),
                Slo::Errors { .. } | Slo::Goodput(_) => true,
            })
    }

    /// `true` when the set has a goodput SLO (so runs should count goodput).
    pub fn has_goodput(&self) -> bool {
        self.0.iter().any(|s| matches!(s, Slo::Goodput(_)))
    }
}

impl FromIterator<Slo> for SloSet {
    fn from_iter<I: IntoIterator<Item = Slo>>(it: I) -> Self {
        SloSet(it.into_iter().collect())
    }
}

impl fmt::Display for SloSet {
    /// The expressions, separated by `, `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// Counts the measured requests that meet an [`SloSet`]; counters of the same set merge
/// with `+=` (shards, workers).
#[derive(Debug, Clone, PartialEq)]
pub struct GoodputCounter {
    slos: SloSet,
    measured: u64,
    met: u64,
}

impl GoodputCounter {
    /// A counter for `slos`.
    pub fn new(slos: SloSet) -> Self {
        GoodputCounter {
            slos,
            measured: 0,
            met: 0,
        }
    }

    /// Adds one record; warmup records are ignored.
    pub fn add(&mut self, r: &RequestRecord) {
        if r.phase != Phase::Measure {
            return;
        }
        self.measured += 1;
        if self.slos.request_meets(r) {
            self.met += 1;
        }
    }

    /// Measured requests that met every latency SLO.
    pub fn met(&self) -> u64 {
        self.met
    }

    /// Measured requests seen.
    pub fn measured(&self) -> u64 {
        self.measured
    }

    /// The set requests are judged against.
    pub fn slos(&self) -> &SloSet {
        &self.slos
    }
}

impl AddAssign<&GoodputCounter> for GoodputCounter {
    /// Adds the counts (of a counter for the same set).
    fn add_assign(&mut self, o: &GoodputCounter) {
        self.measured += o.measured;
        self.met += o.met;
    }
}

/// The outcome of judging an SLO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Met, with the whole confidence interval on the good side.
    Pass,
    /// The interval straddles the limit: more requests or repeats are needed to tell.
    Marginal,
    /// Missed, with the whole interval on the bad side (or no data).
    Fail,
}

impl fmt::Display for Verdict {
    /// `PASS`, `MARGINAL`, `FAIL`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "PASS",
            Verdict::Marginal => "MARGINAL",
            Verdict::Fail => "FAIL",
        })
    }
}

/// One repeat of a level: its summary and its goodput count
/// ([`GoodputCounter::met`]; 0 when the set has no goodput SLO).
#[derive(Debug, Clone, Copy)]
pub struct Repeat<'a> {
    /// The repeat's summary.
    pub summary: &'a Summary,
    /// Measured requests of the repeat that met every latency SLO.
    pub goodput_met: u64,
}

/// An SLO judged on one level. Values are in the SLO's unit ([`Slo::unit`]):
/// milliseconds for latency, fractions for errors and goodput share, requests per second
/// for goodput per second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Assessment {
    /// The SLO.
    pub slo: Slo,
    /// The two-sided confidence level of the intervals.
    pub confidence: f64,
    /// The estimate from all repeats merged; `None` without data.
    pub estimate: Option<f64>,
    /// The envelope of `within` and `across`: what the verdict reads.
    pub interval: Option<Interval>,
    /// The sampling interval from the merged samples.
    pub within: Option<Interval>,
    /// The Student-t interval of the per-repeat values (two or more repeats with data).
    pub across: Option<Interval>,
    /// The sample is too small for an upper bound on the percentile: `within.hi` is the
    /// largest value seen, not a bound, and the SLO cannot pass.
    pub open_above: bool,
    /// The sample is too small for a lower bound on the percentile: `within.lo` is the
    /// smallest value seen, not a bound, and the SLO cannot fail on it.
    pub open_below: bool,
    /// Each repeat's value (`None` for a repeat without data).
    pub per_repeat: Vec<Option<f64>>,
    /// Pass, marginal or fail.
    pub verdict: Verdict,
    /// Observations behind the estimate: the metric's samples for latency, measured
    /// requests for errors and goodput.
    pub samples: u64,
}

/// The point value of `slo` on one summary, in the SLO's unit; `None` without data.
fn value(slo: &Slo, s: &Summary, met: u64) -> Option<f64> {
    match slo {
        Slo::Latency { stat, metric, .. } => {
            let d = s.dist(*metric);
            if d.is_empty() {
                return None;
            }
            let raw = match stat {
                Stat::Percentile(p) => d.quantile_raw(p / 100.0) as f64,
                Stat::Mean => d.mean_raw(),
            };
            Some(raw * metric.unit().scale())
        }
        Slo::Errors { .. } => {
            let n = s.counts.measured();
            (n > 0).then(|| s.counts.failed() as f64 / n as f64)
        }
        Slo::Goodput(GoodputTarget::Share(_)) => {
            let n = s.counts.measured();
            (n > 0).then(|| met as f64 / n as f64)
        }
        Slo::Goodput(GoodputTarget::PerSecond(_)) => {
            let w = s.throughput().window_s;
            (w > 0.0).then(|| met as f64 / w)
        }
    }
}

/// Judges one repeat by its point value alone: [`Verdict::Pass`] or [`Verdict::Fail`]
/// (also without data). For per-repeat rows; a level's verdict comes from [`assess`].
pub fn point_verdict(slo: &Slo, summary: &Summary, goodput_met: u64) -> (Option<f64>, Verdict) {
    let v = value(slo, summary, goodput_met);
    let verdict = match v {
        Some(x) if slo.within(x) => Verdict::Pass,
        _ => Verdict::Fail,
    };
    (v, verdict)
}

/// Judges `slo` on a level's repeats at `confidence` (e.g. `0.95`). See the module
/// documentation for the rule.
pub fn assess(slo: &Slo, repeats: &[Repeat<'_>], confidence: f64) -> Assessment {
    let mut merged = Summary::default();
    for r in repeats {
        merged += r.summary;
    }
    let met: u64 = repeats.iter().map(|r| r.goodput_met).sum();
    let per_repeat: Vec<Option<f64>> = repeats
        .iter()
        .map(|r| value(slo, r.summary, r.goodput_met))
        .collect();
    // Repeats run one after another: their windows add up (the merged summary's windows
    // would overlap for runs in virtual time, whose clocks all start at their wall time).
    let window: f64 = repeats
        .iter()
        .map(|r| r.summary.throughput().window_s)
        .sum();
    let estimate = match slo {
        Slo::Goodput(GoodputTarget::PerSecond(_)) => (window > 0.0).then(|| met as f64 / window),
        _ => value(slo, &merged, met),
    };
    let measured = merged.counts.measured();
    let (mut open_above, mut open_below) = (false, false);
    let (within, samples) = match slo {
        Slo::Latency { stat, metric, .. } => {
            let d = merged.dist(*metric);
            let scale = metric.unit().scale();
            let within = match stat {
                Stat::Percentile(p) => {
                    let q = p / 100.0;
                    if let Some((l, u)) = quantile_ranks(d.count(), q, confidence) {
                        open_below = l == 0;
                        open_above = u > d.count();
                    }
                    quantile_interval(d, q, confidence)
                }
                Stat::Mean => mean_interval(d, confidence),
            };
            (within.map(|i| i.scale(scale)), d.count())
        }
        Slo::Errors { .. } => (
            wilson_interval(merged.counts.failed(), measured, confidence),
            measured,
        ),
        Slo::Goodput(GoodputTarget::Share(_)) => {
            (wilson_interval(met, measured, confidence), measured)
        }
        Slo::Goodput(GoodputTarget::PerSecond(_)) => {
            (poisson_rate_interval(met, window, confidence), measured)
        }
    };
    let values: Vec<f64> = per_repeat.iter().flatten().copied().collect();
    let across = t_interval(&values, confidence);
    let interval = match (within, across) {
        (Some(a), Some(b)) => Some(a.hull(&b)),
        (a, b) => a.or(b),
    };
    let verdict = match (estimate, interval) {
        (None, _) => Verdict::Fail,
        (Some(_), None) => Verdict::Marginal,
        (Some(_), Some(i)) => {
            // The worst and best ends for the SLO: high and low for a ceiling.
            let (worst, best, worst_open, best_open) = if slo.is_ceiling() {
                (i.hi, i.lo, open_above, open_below)
            } else {
                (i.lo, i.hi, open_below, open_above)
            };
            if slo.within(worst) && !worst_open {
                Verdict::Pass
            } else if !slo.within(best) && !best_open {
                Verdict::Fail
            } else {
                Verdict::Marginal
            }
        }
    };
    Assessment {
        slo: *slo,
        confidence,
        estimate,
        interval,
        within,
        across,
        open_above,
        open_below,
        per_repeat,
        verdict,
        samples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Recorder;
    use headroom_core::{ErrorKind, Outcome, TokenSource};
    use proptest::prelude::*;

    #[allow(clippy::unwrap_used)]
    fn slo(s: &str) -> Slo {
        s.parse().unwrap()
    }

    fn lat(stat: Stat, metric: Metric, strict: bool, limit_us: f64) -> Slo {
        Slo::Latency {
            stat,
            metric,
            strict,
            limit_us,
        }
    }

    /// The caret column and reason of a bad expression.
    fn bad(s: &str) -> (usize, String) {
        match s.parse::<Slo>() {
            Ok(v) => panic!("{s:?} parsed as {v:?}"),
            Err(e) => {
                assert_eq!(e.expression(), s);
                (e.column(), e.reason().to_string())
            }
        }
    }

    #[test]
    fn parses_every_form() {
        use Metric::*;
        use Stat::*;
        for (text, want) in [
            ("p95(e2e)<=3s", lat(Percentile(95.0), E2e, false, 3e6)),
            (
                " P99.9 ( TTFT ) < 2 s ",
                lat(Percentile(99.9), Ttft, true, 2e6),
            ),
            ("p99.9(ttft)<=2s", lat(Percentile(99.9), Ttft, false, 2e6)),
            ("p50(itl)<=30ms", lat(Percentile(50.0), Itl, false, 30e3)),
            (
                "mean(itl_per_token)<=25ms",
                lat(Mean, ItlPerToken, false, 25e3),
            ),
            ("avg(tpot)<=20ms", lat(Mean, Tpot, false, 20e3)),
            (
                "MEDIAN(latency)<=1.5s",
                lat(Percentile(50.0), E2e, false, 1.5e6),
            ),
            (
                "p90(request_latency)<=2m",
                lat(Percentile(90.0), E2e, false, 120e6),
            ),
            ("p90(e2el)<=.5s", lat(Percentile(90.0), E2e, false, 5e5)),
            (
                "p50(ttft_intended)<=800us",
                lat(Percentile(50.0), TtftFromIntended, false, 800.0),
            ),
            (
                "p50(ttft_from_intended)<=800µs",
                lat(Percentile(50.0), TtftFromIntended, false, 800.0),
            ),
            (
                "p50(ttft_from_intended)<=800μs",
                lat(Percentile(50.0), TtftFromIntended, false, 800.0),
            ),
            (
                "p99(e2e_intended)<=10s",
                lat(Percentile(99.0), E2eFromIntended, false, 10e6),
            ),
            (
                "p99(latency_from_intended)≤10s",
                lat(Percentile(99.0), E2eFromIntended, false, 10e6),
            ),
            (
                "p99(e2e_from_intended)<=10s",
                lat(Percentile(99.0), E2eFromIntended, false, 10e6),
            ),
            (
                "p95(scheduling_lag)<=10ms",
                lat(Percentile(95.0), SchedulingLag, false, 10e3),
            ),
            (
                "p95(e2e)<=3810ms",
                lat(Percentile(95.0), E2e, false, 3.81e6),
            ),
            ("p95(e2e)<=3.81s", lat(Percentile(95.0), E2e, false, 3.81e6)),
            ("errors<=1%", Slo::Errors { max: 0.01 }),
            ("Errors <= 0.5 %", Slo::Errors { max: 0.005 }),
            ("error_rate<=0.005", Slo::Errors { max: 0.005 }),
            ("errors<=0%", Slo::Errors { max: 0.0 }),
            (
                "goodput>=10/s",
                Slo::Goodput(GoodputTarget::PerSecond(10.0)),
            ),
            (
                "goodput >= 10 req / s",
                Slo::Goodput(GoodputTarget::PerSecond(10.0)),
            ),
            (
                "goodput>=2.5rps",
                Slo::Goodput(GoodputTarget::PerSecond(2.5)),
            ),
            ("goodput≥90%", Slo::Goodput(GoodputTarget::Share(0.9))),
        ] {
            assert_eq!(slo(text), want, "{text}");
        }
    }

    #[test]
    fn displays_canonically_and_round_trips() {
        for (text, canonical) in [
            ("p95(e2e) <= 3810ms", "p95(e2e)<=3.81s"),
            ("p95(E2E)<=3.81s", "p95(e2e)<=3.81s"),
            ("p99.9(ttft)<=2000ms", "p99.9(ttft)<=2s"),
            ("avg(ttft)<250ms", "mean(ttft)<250ms"),
            ("median(latency)<=1.5s", "p50(e2e)<=1.5s"),
            ("p90(e2e)<=2m", "p90(e2e)<=120s"),
            (
                "p50(ttft_intended)<=0.8ms",
                "p50(ttft_from_intended)<=800us",
            ),
            ("p50(itl)<=0.25us", "p50(itl)<=0.25us"),
            ("p95(tpot)<=12.5ms", "p95(tpot)<=12.5ms"),
            ("errors<=1%", "errors<=1%"),
            ("error_rate<=0.005", "errors<=0.5%"),
            ("errors<=7%", "errors<=7%"),
            ("goodput>=10 rps", "goodput>=10/s"),
            ("goodput>=0.5/s", "goodput>=0.5/s"),
            ("goodput>=95%", "goodput>=95%"),
            ("goodput>=99.99%", "goodput>=99.99%"),
        ] {
            let s = slo(text);
            assert_eq!(s.to_string(), canonical, "{text}");
            assert_eq!(slo(canonical), s, "{text}");
        }
    }

    proptest! {
        /// Any limit and percentile displays as an expression that parses back exactly.
        #[test]
        fn display_parses_back(p in 0.001f64..99.999, limit in 0.0f64..1e10,
                               frac in 0.0f64..=1.0, rate in 0.0f64..1e6, strict: bool) {
            for s in [
                lat(Stat::Percentile(p), Metric::Ttft, strict, limit),
                lat(Stat::Mean, Metric::E2e, strict, limit),
                Slo::Errors { max: frac },
                Slo::Goodput(GoodputTarget::Share(frac)),
                Slo::Goodput(GoodputTarget::PerSecond(rate)),
            ] {
                let text = s.to_string();
                prop_assert_eq!(text.parse::<Slo>(), Ok(s), "{}", text);
            }
        }
    }

    #[test]
    fn serializes_as_the_expression() {
        let s = slo("p95 ( e2e ) <= 3 s");
        assert_eq!(serde_json::to_value(s).unwrap(), "p95(e2e)<=3s");
        let back: Slo = serde_json::from_str("\"errors<=2%\"").unwrap();
        assert_eq!(back, Slo::Errors { max: 0.02 });
        let err = serde_json::from_str::<Slo>("\"p95(e2f)<=3s\"").unwrap_err();
        assert!(err.to_string().contains("unknown metric 'e2f'"), "{err}");
        let set = SloSet(vec![s, back]);
        let j = serde_json::to_value(&set).unwrap();
        assert_eq!(j, serde_json::json!(["p95(e2e)<=3s", "errors<=2%"]));
        assert_eq!(serde_json::from_value::<SloSet>(j).unwrap(), set);
        assert_eq!(set.to_string(), "p95(e2e)<=3s, errors<=2%");
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = "p95(e2f)<=3s".parse::<Slo>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid SLO 'p95(e2f)<=3s':\n  p95(e2f)<=3s\n      ^ unknown metric 'e2f'; \
             expected one of ttft, itl, itl_per_token, tpot, e2e, ttft_from_intended, \
             e2e_from_intended, scheduling_lag"
        );
        for (text, column, reason) in [
            ("p95(e2f)<=3s", 4, "unknown metric 'e2f'"),
            ("p95(e2e) >= 3s", 9, "latency limits use <="),
            ("p95(e2e) > 3s", 9, "latency limits use <="),
            ("p95(e2e) = 3s", 9, "expected <="),
            ("p95(e2e)", 8, "expected <="),
            ("p95(e2e)<=3.81", 14, "add a unit: 3.81s or 3810ms"),
            ("p95(e2e)<=200", 13, "add a unit: 200ms or 0.2s"),
            ("p95(e2e)<=", 10, "expected a limit with a unit"),
            ("p95(e2e)<=-3s", 10, "cannot be negative"),
            ("p95(e2e)<=3sec", 11, "unknown unit 'sec'"),
            ("p100(e2e)<=3s", 1, "above 0 and below 100"),
            ("p0(e2e)<=3s", 1, "above 0 and below 100"),
            ("p(e2e)<=3s", 1, "expected a percentile after 'p'"),
            ("p95(e2e)<=3s foo", 13, "unexpected 'foo' after the SLO"),
            ("p95(e2e)<=3s)", 12, "unexpected ')'"),
            ("", 0, "empty SLO"),
            ("   ", 3, "empty SLO"),
            ("ttft<=2s", 0, "add a statistic: p95(ttft)"),
            ("max(ttft)<=2s", 0, "unexpected 'max'"),
            ("<=2s", 0, "unexpected '<'"),
            ("p95 e2e <= 3s", 4, "expected '(' and a metric after p95"),
            ("p95(e2e<=3s", 7, "expected ')' after e2e"),
            ("p95()<=3s", 4, "expected a metric"),
            ("p95(isl)<=3s", 4, "'isl' is a length, not a latency"),
            ("p95(ttft)<=3µs x", 15, "unexpected 'x'"),
            ("errors<=2", 8, "did you mean 2%?"),
            ("errors<=150%", 8, "at most 100%"),
            ("errors>=1%", 6, "error limits use <="),
            ("errors<1%", 6, "error limits use <="),
            ("errors<=1 percent", 10, "unknown unit 'percent'"),
            ("errors<=", 8, "expected a limit"),
            ("goodput<=10/s", 7, "goodput targets use >="),
            ("goodput>10/s", 7, "goodput targets use >="),
            ("goodput>=10", 11, "add a unit: 10/s or 10%"),
            ("goodput>=10/h", 12, "expected 's' after '/'"),
            ("goodput>=10 qps", 12, "unknown unit 'qps'"),
            ("goodput>=120%", 9, "at most 100%"),
        ] {
            let (c, r) = bad(text);
            assert!(r.contains(reason), "{text:?}: {r:?} lacks {reason:?}");
            assert_eq!(c, column, "{text:?}: {r}");
        }
        // The caret counts characters, and tabs are shown as spaces.
        let e = "p95(e2e)\t<=x".parse::<Slo>().unwrap_err();
        assert_eq!(e.to_string().lines().nth(1), Some("  p95(e2e) <=x"));
        assert!(
            e.to_string()
                .ends_with("\n             ^ expected a limit with a unit, like 3s or 500ms")
        );
    }

    /// A completed measured request: content chunks at `content_ms` after the send (first
    /// = TTFT), ending `e2e_ms` after the send, with `tokens` output tokens.
    fn ok(content_ms: &[u64], e2e_ms: u64, tokens: u32) -> RequestRecord {
        RequestRecord {
            index: 0,
            phase: Phase::Measure,
            intended_us: None,
            send_us: Some(1_000_000),
            end_us: Some(1_000_000 + e2e_ms * 1000),
            content_us: content_ms.iter().map(|m| m * 1000).collect(),
            content_tokens: vec![],
            input_tokens: 10,
            input_tokens_source: TokenSource::Workload,
            output_tokens: tokens,
            output_tokens_source: TokenSource::Usage,
            output_tokens_counted: None,
            max_tokens: tokens,
            requested_input_tokens: None,
            tags: Default::default(),
            http_status: Some(200),
            finish_reason: None,
            outcome: Outcome::Ok,
        }
    }

    fn failed(mut r: RequestRecord) -> RequestRecord {
        r.outcome = Outcome::Error {
            kind: ErrorKind::Timeout,
            message: "x".into(),
        };
        r
    }

    fn set(exprs: &[&str]) -> SloSet {
        exprs.iter().map(|s| slo(s)).collect()
    }

    #[test]
    fn requests_meet_every_latency_limit_on_their_own_values() {
        let s = set(&[
            "p95(ttft)<=100ms",
            "p99(tpot)<=10ms",
            "mean(e2e)<=1s",
            "errors<=0%",
            "goodput>=100/s",
        ]);
        // TTFT 50 ms, TPOT (500 − 50) / 49 = 9.2 ms, E2E 500 ms.
        assert!(s.request_meets(&ok(&[50], 500, 50)));
        // TTFT 150 ms.
        assert!(!s.request_meets(&ok(&[150], 500, 50)));
        // TPOT (1000 − 50) / 49 = 19.4 ms ... and E2E exactly 1 s is within `<=`.
        assert!(!s.request_meets(&ok(&[50], 1000, 50)));
        assert!(s.request_meets(&ok(&[50], 1000, 200)));
        // Failed requests never meet.
        assert!(!s.request_meets(&failed(ok(&[50], 500, 50))));
        // Not streamed: no TTFT nor TPOT to judge; E2E still judged.
        assert!(s.request_meets(&ok(&[], 900, 50)));
        assert!(!s.request_meets(&ok(&[], 1001, 50)));
        // One token: no TPOT.
        assert!(s.request_meets(&ok(&[50], 900, 1)));
        // Strict limits exclude the limit itself.
        assert!(!set(&["p50(e2e)<1s"]).request_meets(&ok(&[50], 1000, 200)));
        // No latency SLO: every completed request meets.
        assert!(set(&["errors<=1%"]).request_meets(&ok(&[], 99_000, 1)));
        assert!(SloSet::default().request_meets(&ok(&[], 1, 1)));
    }

    #[test]
    fn chunk_gaps_are_judged_by_the_request_mean() {
        // Chunks at 100, 110, 130, 160 ms carrying 1, 1, 2, 3 tokens: gaps 10, 20, 30.
        let mut r = ok(&[100, 110, 130, 160], 170, 7);
        r.content_tokens = vec![1, 1, 2, 3];
        assert_eq!(request_value(Metric::Itl, &r), Some(20_000.0));
        // Per token: 60 ms over the 6 tokens after the first chunk.
        assert_eq!(request_value(Metric::ItlPerToken, &r), Some(10_000.0));
        assert!(set(&["p99(itl)<=20ms"]).request_meets(&r));
        assert!(!set(&["p99(itl)<20ms"]).request_meets(&r));
        assert!(set(&["p99(itl_per_token)<=10ms"]).request_meets(&r));
        assert!(!set(&["p99(itl_per_token)<=9.9ms"]).request_meets(&r));
        // A single chunk has no gap.
        let one = ok(&[100], 170, 7);
        assert_eq!(request_value(Metric::Itl, &one), None);
        assert_eq!(request_value(Metric::ItlPerToken, &one), None);
        assert!(set(&["p99(itl)<=1ms"]).request_meets(&one));
        // The per-request mean equals the mean of what the recorder keeps.
        let mut rec = Recorder::new();
        rec.add(&r);
        let s = rec.finish(0);
        assert_eq!(s.dist(Metric::ItlPerToken).mean_raw(), 10_000.0);
        assert_eq!(s.dist(Metric::Itl).mean_raw(), 20_000.0);
    }

    #[test]
    fn open_loop_metrics_are_judged_from_the_intended_time() {
        // Intended 30 ms before the send, TTFT 50 ms, E2E 500 ms.
        let mut r = ok(&[50], 500, 10);
        r.intended_us = Some(1_000_000 - 30_000);
        assert_eq!(request_value(Metric::SchedulingLag, &r), Some(30_000.0));
        assert_eq!(request_value(Metric::TtftFromIntended, &r), Some(80_000.0));
        assert_eq!(request_value(Metric::E2eFromIntended, &r), Some(530_000.0));
        assert!(
            set(&["p95(ttft_from_intended)<=80ms", "p95(e2e_intended)<=530ms"]).request_meets(&r)
        );
        assert!(!set(&["p95(ttft_from_intended)<80ms"]).request_meets(&r));
        assert!(!set(&["p95(scheduling_lag)<=29ms"]).request_meets(&r));
        // Closed loop: nothing to judge.
        let closed = ok(&[50], 500, 10);
        assert_eq!(request_value(Metric::TtftFromIntended, &closed), None);
        assert!(set(&["p95(scheduling_lag)<=1us"]).request_meets(&closed));
        assert_eq!(request_value(Metric::Isl, &closed), None);
    }

    #[test]
    fn goodput_counter_counts_measured_requests_and_merges() {
        let s = set(&["p95(ttft)<=100ms", "goodput>=90%"]);
        let mut a = GoodputCounter::new(s.clone());
        let mut warm = ok(&[50], 100, 5);
        warm.phase = Phase::Warmup;
        a.add(&warm);
        a.add(&ok(&[50], 100, 5));
        a.add(&ok(&[150], 200, 5));
        a.add(&failed(ok(&[50], 100, 5)));
        assert_eq!((a.measured(), a.met()), (3, 1));
        let mut b = GoodputCounter::new(s.clone());
        b.add(&ok(&[10], 100, 5));
        a += &b;
        assert_eq!((a.measured(), a.met()), (4, 2));
        assert_eq!(a.slos(), &s);
        assert!(s.has_goodput() && !set(&["errors<=1%"]).has_goodput());
    }

    /// One repeat: completed requests with the given E2E (ms) sent 10 ms apart, then
    /// `failures` failed ones, anchored at `epoch_s`; with its goodput count for `slos`.
    fn repeat(e2e_ms: &[f64], failures: u64, slos: &SloSet, epoch_s: u64) -> (Summary, u64) {
        let mut rec = Recorder::new();
        let mut good = GoodputCounter::new(slos.clone());
        for (i, &ms) in e2e_ms.iter().enumerate() {
            let us = (ms * 1000.0).round() as u64;
            let mut r = ok(&[], 0, 10);
            r.index = i as u64;
            r.send_us = Some(i as u64 * 10_000);
            r.end_us = Some(i as u64 * 10_000 + us);
            r.content_us = vec![us / 2];
            rec.add(&r);
            good.add(&r);
        }
        for j in 0..failures {
            let mut r = failed(ok(&[], 5, 0));
            r.index = 1_000_000 + j;
            r.send_us = Some(j * 10_000);
            r.end_us = Some(j * 10_000 + 5_000);
            rec.add(&r);
            good.add(&r);
        }
        (rec.finish(epoch_s * 1_000_000), good.met())
    }

    /// 2,000 E2E values: each of `from`, `from` + 0.1, ..., `from` + 99.9 ms twice, in a
    /// mixed order.
    fn grid(from: f64) -> Vec<f64> {
        (0..2000u64)
            .map(|i| from + ((i * 7919) % 1000) as f64 / 10.0)
            .collect()
    }

    fn assess_str(expr: &str, reps: &[(Summary, u64)]) -> Assessment {
        let repeats: Vec<Repeat<'_>> = reps
            .iter()
            .map(|(s, m)| Repeat {
                summary: s,
                goodput_met: *m,
            })
            .collect();
        assess(&slo(expr), &repeats, 0.95)
    }

    #[test]
    fn pass_fail_and_marginal_latency() {
        let none = SloSet::default();
        // Three repeats of 100.0 .. 199.9 ms: merged P95 = 195 ms.
        let reps: Vec<_> = (0..3)
            .map(|k| repeat(&grid(100.0), 0, &none, 100 * k))
            .collect();
        let a = assess_str("p95(e2e)<=300ms", &reps);
        assert_eq!(a.verdict, Verdict::Pass);
        let est = a.estimate.unwrap();
        assert!((est - 195.0).abs() <= 0.2, "{est}");
        assert_eq!(a.samples, 6000);
        assert_eq!(a.per_repeat.len(), 3);
        let w = a.within.unwrap();
        assert!(
            w.contains(est) && w.width() > 0.5 && w.width() < 2.0,
            "{w:?}"
        );
        // Identical repeats: no run-to-run spread.
        assert_eq!(a.across.unwrap().width(), 0.0);
        assert_eq!(a.interval, Some(w.hull(&a.across.unwrap())));
        assert!(!a.open_above && !a.open_below);

        assert_eq!(assess_str("p95(e2e)<=150ms", &reps).verdict, Verdict::Fail);
        // The limit inside the interval: marginal.
        let m = assess_str("p95(e2e)<=195ms", &reps);
        assert_eq!(m.verdict, Verdict::Marginal);
        assert!(m.interval.unwrap().contains(195.0));
        // Means: 150 ms.
        assert_eq!(assess_str("mean(e2e)<=160ms", &reps).verdict, Verdict::Pass);
        assert_eq!(assess_str("mean(e2e)<=140ms", &reps).verdict, Verdict::Fail);
        assert_eq!(
            assess_str("mean(e2e)<150ms", &reps).verdict,
            Verdict::Marginal
        );
        // TTFT (half the E2E here) is its own metric.
        assert_eq!(assess_str("p95(ttft)<=100ms", &reps).verdict, Verdict::Pass);
    }

    #[test]
    fn no_completed_request_fails_a_latency_slo() {
        let none = SloSet::default();
        let reps = vec![repeat(&[], 10, &none, 0), repeat(&[], 10, &none, 100)];
        let a = assess_str("p95(e2e)<=300ms", &reps);
        assert_eq!((a.verdict, a.estimate, a.samples), (Verdict::Fail, None, 0));
        assert_eq!(a.per_repeat, vec![None, None]);
        assert_eq!(assess_str("errors<=1%", &reps).estimate, Some(1.0));
        assert_eq!(
            assess(&slo("p95(e2e)<=1s"), &[], 0.95).verdict,
            Verdict::Fail
        );
        let (v, verdict) = point_verdict(&slo("p95(e2e)<=1s"), &reps[0].0, 0);
        assert_eq!((v, verdict), (None, Verdict::Fail));
    }

    #[test]
    fn too_few_requests_cannot_pass_a_high_percentile() {
        let none = SloSet::default();
        // 50 requests all at 100 ms, far below the limit: the sample cannot bound P99.
        let few = vec![repeat(&[100.0; 50], 0, &none, 0)];
        let a = assess_str("p99(e2e)<=1s", &few);
        assert!(a.open_above);
        assert_eq!(a.verdict, Verdict::Marginal);
        // It can still fail: its lower bound is real.
        assert_eq!(assess_str("p99(e2e)<=50ms", &few).verdict, Verdict::Fail);
        // 368 requests are enough.
        let enough = vec![repeat(&[100.0; 368], 0, &none, 0)];
        let a = assess_str("p99(e2e)<=1s", &enough);
        assert!(!a.open_above);
        assert_eq!(a.verdict, Verdict::Pass);
        // A single sample: no interval for a mean, so not a pass.
        let one = vec![repeat(&[100.0], 0, &none, 0)];
        let a = assess_str("mean(e2e)<=1s", &one);
        assert_eq!((a.interval, a.verdict), (None, Verdict::Marginal));
        assert_eq!(
            point_verdict(&slo("mean(e2e)<=1s"), &one[0].0, 0).1,
            Verdict::Pass
        );
    }

    #[test]
    fn errors_and_goodput() {
        let slos = set(&["p95(e2e)<=150ms"]);
        // 2,000 completed requests 100.0 .. 199.9 ms: half meet 150 ms (<= 150.0 → 501).
        let clean = vec![
            repeat(&grid(100.0), 0, &slos, 0),
            repeat(&grid(100.0), 0, &slos, 100),
        ];
        assert_eq!(clean[0].1, 1002, "100.0 ..= 150.0 ms, twice each");
        let e = assess_str("errors<=1%", &clean);
        assert_eq!((e.estimate, e.verdict), (Some(0.0), Verdict::Pass));
        assert_eq!(e.within.unwrap().lo, 0.0);
        // 1 % failures: marginal; 5 %: fail.
        let one_pc = vec![repeat(&grid(100.0)[..1980], 20, &slos, 0)];
        assert_eq!(assess_str("errors<=1%", &one_pc).verdict, Verdict::Marginal);
        let five_pc = vec![repeat(&grid(100.0)[..1900], 100, &slos, 0)];
        let f = assess_str("errors<=1%", &five_pc);
        assert_eq!((f.estimate, f.verdict), (Some(0.05), Verdict::Fail));

        // Goodput share: 1002 of 2000 per repeat.
        let g = assess_str("goodput>=40%", &clean);
        assert_eq!((g.estimate, g.verdict), (Some(0.501), Verdict::Pass));
        assert_eq!(assess_str("goodput>=60%", &clean).verdict, Verdict::Fail);
        assert_eq!(
            assess_str("goodput>=50%", &clean).verdict,
            Verdict::Marginal
        );
        // Goodput per second: 1002 in a window of 19.99 s + the last E2E, per repeat.
        let window = clean[0].0.throughput().window_s;
        let rate = 1002.0 / window;
        let g = assess_str("goodput>=10/s", &clean);
        assert!((g.estimate.unwrap() - rate).abs() < 1e-9);
        assert_eq!(g.verdict, Verdict::Pass);
        assert_eq!(assess_str("goodput>=100/s", &clean).verdict, Verdict::Fail);
        let p = point_verdict(&slo("goodput>=100/s"), &clean[0].0, clean[0].1);
        assert_eq!(p.1, Verdict::Fail);
        assert!((p.0.unwrap() - rate).abs() < 1e-9);
    }

    #[test]
    fn more_repeats_narrow_the_across_interval() {
        let none = SloSet::default();
        let a = repeat(&grid(100.0), 0, &none, 0);
        let b = repeat(&grid(110.0), 0, &none, 100);
        let two = assess_str("p95(e2e)<=300ms", &[a.clone(), b.clone()]);
        let six: Vec<_> = (0..3).flat_map(|_| [a.clone(), b.clone()]).collect();
        let six = assess_str("p95(e2e)<=300ms", &six);
        let (w2, w6) = (two.across.unwrap().width(), six.across.unwrap().width());
        assert!(w6 < w2 / 5.0, "{w6} vs {w2}");
        // Two repeats 10 ms apart: t(1) = 12.7 makes the across interval ±63.5 ms, which
        // dominates the envelope and makes a 250 ms limit marginal; six repeats pass it.
        assert_eq!(
            two.interval,
            Some(two.within.unwrap().hull(&two.across.unwrap()))
        );
        assert_eq!(
            assess_str("p95(e2e)<=250ms", &[a.clone(), b.clone()]).verdict,
            Verdict::Marginal
        );
        let six: Vec<_> = (0..3).flat_map(|_| [a.clone(), b.clone()]).collect();
        assert_eq!(assess_str("p95(e2e)<=250ms", &six).verdict, Verdict::Pass);
    }

    #[test]
    fn verdicts_serialize_snake_case_and_display_loud() {
        assert_eq!(serde_json::to_value(Verdict::Marginal).unwrap(), "marginal");
        assert_eq!(
            [Verdict::Pass, Verdict::Marginal, Verdict::Fail].map(|v| v.to_string()),
            ["PASS", "MARGINAL", "FAIL"]
        );
        let none = SloSet::default();
        let reps = vec![repeat(&[100.0; 400], 0, &none, 0)];
        let a = assess_str("p95(e2e)<=1s", &reps);
        let j = serde_json::to_value(&a).unwrap();
        assert_eq!(j["slo"], "p95(e2e)<=1s");
        assert_eq!(j["verdict"], "pass");
        let back: Assessment = serde_json::from_value(j).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn thresholds_are_in_the_assessment_unit() {
        assert_eq!(slo("p95(e2e)<=3.81s").threshold(), 3810.0);
        assert_eq!(slo("p95(e2e)<=3.81s").unit(), "ms");
        assert_eq!(slo("errors<=2%").threshold(), 0.02);
        assert_eq!(slo("goodput>=5/s").unit(), "req/s");
        assert!(!slo("goodput>=5/s").is_ceiling() && slo("errors<=1%").is_ceiling());
        assert_eq!(Stat::Percentile(99.9).to_string(), "p99.9");
    }
}
