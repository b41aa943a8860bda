//! `--fail-if` expressions: `headroom compare` as a CI gate.
//!
//! A gate names a quantity, a direction and a threshold; the comparison fails when the
//! candidate crosses it.
//!
//! | Gate                        | Fails when                                           |
//! |-----------------------------|------------------------------------------------------|
//! | `p95(e2e) > +10%`           | the candidate's P95 latency is over 10 % above the baseline's |
//! | `p99(ttft) > +200ms`        | the candidate's P99 TTFT is over 200 ms above the baseline's |
//! | `mean(tpot) > 25ms`         | the candidate's mean TPOT is over 25 ms               |
//! | `throughput < -5%`          | output tokens/s fell by more than 5 %                |
//! | `rps < -2/s`                | requests/s fell by more than 2 per second            |
//! | `errors > 1%`               | the candidate's error rate is over 1 %               |
//! | `errors > +0.5pp`           | the error rate rose by more than 0.5 percentage points |
//! | `goodput < 10/s`            | the candidate's goodput is below 10 requests/s       |
//! | `capacity < -10%`           | the capacity found fell by more than 10 %            |
//!
//! **Quantities**: `pN(metric)` (`p50`, `p95`, `p99.9`), `median(metric)`,
//! `mean(metric)` (`avg`) for the latency metrics of SLOs (`ttft`, `itl`,
//! `itl_per_token`, `tpot`, `e2e` or `latency`, …, see [`crate::slo`]) and the lengths
//! `isl` and `osl`; `throughput` (output tokens per second), `requests_per_s` (`rps`),
//! `errors` (failed ÷ measured requests), `goodput` (requests per second that met the
//! SLOs) and `capacity` (the highest level that passed a capacity search, in the
//! search's own unit).
//!
//! **Operator**: `>` fails on values above the threshold, `<` below it. `>=` and `<=`
//! are accepted and mean the same: a value equal to the threshold never fails.
//!
//! **Thresholds**:
//!
//! - a relative change, with a sign and `%`: `+10%`, `-5%` (candidate ÷ baseline − 1);
//! - an absolute change, with a sign and a unit: `+200ms`, `-0.5s` (`us`, `ms`, `s`, `m`)
//!   for latencies, `+50tokens` for lengths, `-100/s` for rates (`tok/s`, `req/s` and
//!   `rps` too), `+0.5pp` (percentage points) for errors, a bare `-4` for capacity
//!   (candidate − baseline);
//! - a value, without a sign: `3.81s`, `500/s`, `1%` (errors; a bare fraction like
//!   `0.01` too), `32` (capacity): the candidate's own value.
//!
//! Spaces and the case of names do not matter. Values are compared in display units:
//! milliseconds for latencies, tokens for lengths, a fraction for errors, per second
//! for rates.

use crate::Metric;
use crate::Unit;
use crate::slo::{Op, Parser, latency_metric, metric_list, scaled, shift_decimal, write_caret};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a gate compares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Quantity {
    /// A percentile of a latency or length metric.
    Percentile {
        /// The quantile in `(0, 1)`: `0.95` for `p95`.
        q: f64,
        /// The metric.
        metric: Metric,
    },
    /// The mean of a latency or length metric.
    Mean(Metric),
    /// Output tokens per second.
    Throughput,
    /// Completed requests per second.
    RequestsPerS,
    /// Failed ÷ measured requests.
    Errors,
    /// Requests per second that met every latency SLO.
    Goodput,
    /// The highest level that passed a capacity search.
    Capacity,
}

impl Quantity {
    /// The canonical name: `p95(e2e)`, `mean(ttft)`, `throughput`, `requests_per_s`,
    /// `errors`, `goodput`, `capacity`.
    pub fn label(&self) -> String {
        match self {
            Quantity::Percentile { q, metric } => {
                format!("p{}({})", shift_decimal(&format!("{q}"), 2), metric.key())
            }
            Quantity::Mean(m) => format!("mean({})", m.key()),
            Quantity::Throughput => "throughput".into(),
            Quantity::RequestsPerS => "requests_per_s".into(),
            Quantity::Errors => "errors".into(),
            Quantity::Goodput => "goodput".into(),
            Quantity::Capacity => "capacity".into(),
        }
    }

    /// `true` when a higher value is a regression: latencies and errors. Rates and
    /// capacity are better higher; lengths are neither (`false`).
    pub fn higher_is_worse(&self) -> bool {
        match self {
            Quantity::Percentile { metric, .. } | Quantity::Mean(metric) => {
                metric.unit() == Unit::Micros
            }
            Quantity::Errors => true,
            Quantity::Throughput
            | Quantity::RequestsPerS
            | Quantity::Goodput
            | Quantity::Capacity => false,
        }
    }

    /// The family of thresholds the quantity takes.
    fn kind(&self) -> Kind {
        match self {
            Quantity::Percentile { metric, .. } | Quantity::Mean(metric) => match metric.unit() {
                Unit::Micros => Kind::Time,
                Unit::Tokens => Kind::Length,
            },
            Quantity::Throughput => Kind::Throughput,
            Quantity::RequestsPerS | Quantity::Goodput => Kind::Rate,
            Quantity::Errors => Kind::Errors,
            Quantity::Capacity => Kind::Capacity,
        }
    }
}

/// Families of quantities by the units their thresholds take.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Time,
    Length,
    Throughput,
    Rate,
    Errors,
    Capacity,
}

impl Kind {
    /// Example thresholds, for error messages.
    fn examples(self) -> &'static str {
        match self {
            Kind::Time => "+10%, +200ms or 3s",
            Kind::Length => "+10%, +50tokens or 500tokens",
            Kind::Throughput => "-5%, -100/s or 500/s",
            Kind::Rate => "-5%, -2/s or 10/s",
            Kind::Errors => "+50%, +0.5pp or 1%",
            Kind::Capacity => "-10%, -4 or 32",
        }
    }

    /// The absolute unit of the family, as it is written after a number.
    fn unit(self) -> &'static str {
        match self {
            Kind::Time => "ms",
            Kind::Length => "tokens",
            Kind::Throughput | Kind::Rate => "/s",
            Kind::Errors => "pp",
            Kind::Capacity => "",
        }
    }
}

/// What a gate's value is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Threshold {
    /// A relative change, candidate ÷ baseline − 1, as a fraction: `+10%` is `0.10`.
    Relative(f64),
    /// An absolute change, candidate − baseline, in display units: milliseconds for
    /// latencies, tokens for lengths, a fraction for errors (`+0.5pp` is `0.005`), per
    /// second for rates, the level's unit for capacity.
    Change(f64),
    /// The candidate's own value, in the same units as [`Threshold::Change`].
    Value(f64),
}

impl Threshold {
    /// The number compared with.
    pub fn value(&self) -> f64 {
        match *self {
            Threshold::Relative(v) | Threshold::Change(v) | Threshold::Value(v) => v,
        }
    }
}

/// A `--fail-if` expression. Parses from its text and displays in a normalised form
/// (`p95(e2e) > +10%`) that parses back to the same gate; serialized as that string.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// What is compared.
    pub quantity: Quantity,
    /// `true` for `>` (fails above the threshold), `false` for `<`.
    pub above: bool,
    /// The threshold.
    pub threshold: Threshold,
    /// The normalised expression.
    text: String,
}

impl Gate {
    /// Whether the candidate fails the gate. `baseline` and `candidate` are the
    /// quantity's values in display units (milliseconds, tokens, a fraction for errors,
    /// per second for rates).
    ///
    /// The value compared is candidate ÷ baseline − 1 for a relative threshold,
    /// candidate − baseline for a change and the candidate itself for a value; a value
    /// equal to the threshold (to 1 part in 10⁹, which absorbs floating-point rounding)
    /// does not fail. A relative change from a baseline of 0 is
    /// 0 when the candidate is 0 too and infinite (with the candidate's sign) otherwise:
    /// errors going from none to some fail `errors > +50%`. A NaN value (a statistic
    /// without data) fails nothing: the caller decides what missing data means.
    pub fn fails(&self, baseline: f64, candidate: f64) -> bool {
        let value = match self.threshold {
            Threshold::Relative(_) => {
                if baseline != 0.0 {
                    candidate / baseline - 1.0
                } else if candidate == 0.0 {
                    0.0
                } else {
                    candidate.signum() * f64::INFINITY
                }
            }
            Threshold::Change(_) => candidate - baseline,
            Threshold::Value(_) => candidate,
        };
        let t = self.threshold.value();
        // Equal to 1 part in 10⁹ counts as equal: 110 ÷ 100 − 1 is 0.1 plus rounding.
        let tolerance = 1e-9 * t.abs();
        if self.above {
            value > t + tolerance
        } else {
            value < t - tolerance
        }
    }

    /// What the gate compares.
    pub fn quantity(&self) -> &Quantity {
        &self.quantity
    }
}

impl fmt::Display for Gate {
    /// The normalised expression: canonical names, `>` or `<`, one space around the
    /// operator, numbers without redundant zeros (`p50(e2e) > -0.5s`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A bad gate expression. Its `Display` shows the expression with a caret under the
/// place parsing stopped and what was wrong there:
///
/// ```text
/// invalid gate 'p95(e2e) > +10':
///   p95(e2e) > +10
///                 ^ a relative threshold needs %: +10%; a change needs a unit: +10ms
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateError {
    expression: String,
    column: usize,
    reason: String,
}

impl GateError {
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

impl fmt::Display for GateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_caret(f, "gate", &self.expression, self.column, &self.reason)
    }
}

impl std::error::Error for GateError {}

/// The unit written after a threshold's number.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Suffix {
    /// None.
    Bare,
    Percent,
    /// Percentage points.
    Points,
    /// A time unit: the value in ms is the number × 10^`exp` × `factor`.
    Time {
        exp: i32,
        factor: f64,
        name: &'static str,
    },
    Tokens,
    /// `/s`, `req/s`, `rps`.
    PerSecond,
    /// `tok/s`, `tokens/s`.
    TokensPerSecond,
}

impl Suffix {
    /// The normalised spelling.
    fn text(self) -> &'static str {
        match self {
            Suffix::Bare => "",
            Suffix::Percent => "%",
            Suffix::Points => "pp",
            Suffix::Time { name, .. } => name,
            Suffix::Tokens => "tokens",
            Suffix::PerSecond | Suffix::TokensPerSecond => "/s",
        }
    }

    /// What the unit measures, for error messages.
    fn what(self) -> &'static str {
        match self {
            Suffix::Bare | Suffix::Percent => "a number",
            Suffix::Points => "a change in percentage points",
            Suffix::Time { .. } => "a time",
            Suffix::Tokens => "a length",
            Suffix::PerSecond => "a rate",
            Suffix::TokensPerSecond => "a token rate",
        }
    }
}

fn err(p: &Parser<'_>, at: usize, reason: impl Into<String>) -> GateError {
    GateError {
        expression: p.src.to_string(),
        column: p.src[..at].chars().count(),
        reason: reason.into(),
    }
}

/// The latency and length metrics a gate can name.
fn gate_metric(name: &str) -> Option<Metric> {
    latency_metric(name).or(match name.to_lowercase().as_str() {
        "isl" => Some(Metric::Isl),
        "osl" => Some(Metric::Osl),
        _ => None,
    })
}

fn gate_metric_list() -> String {
    format!("{}, isl, osl", metric_list())
}

fn parse(p: &mut Parser<'_>) -> Result<Gate, GateError> {
    if p.peek().is_none() {
        return Err(err(
            p,
            p.pos,
            "empty gate; expected e.g. p95(e2e) > +10%, throughput < -5% or errors > 1%",
        ));
    }
    let quantity = quantity(p)?;
    let at = {
        p.ws();
        p.pos
    };
    let above = match p.op() {
        Some(Op::Gt | Op::Ge) => true,
        Some(Op::Lt | Op::Le) => false,
        Some(Op::Eq) => {
            return Err(err(
                p,
                at,
                "a gate compares with > or <, like > +10%: an exact value cannot be required",
            ));
        }
        None => {
            return Err(err(
                p,
                at,
                format!(
                    "expected > or < and a threshold, like {} > {}",
                    quantity.label(),
                    quantity
                        .kind()
                        .examples()
                        .split(',')
                        .next()
                        .unwrap_or_default()
                ),
            ));
        }
    };
    let (threshold, threshold_text) = threshold(p, &quantity)?;
    p.ws();
    if !p.rest().is_empty() {
        return Err(err(
            p,
            p.pos,
            format!("unexpected '{}' after the gate", p.rest().trim_end()),
        ));
    }
    let text = format!(
        "{} {} {threshold_text}",
        quantity.label(),
        if above { '>' } else { '<' }
    );
    Ok(Gate {
        quantity,
        above,
        threshold,
        text,
    })
}

fn quantity(p: &mut Parser<'_>) -> Result<Quantity, GateError> {
    let (start, w) = p.word();
    let lw = w.to_lowercase();
    Ok(match lw.as_str() {
        "throughput" | "output_throughput" => Quantity::Throughput,
        "requests_per_s" | "rps" | "request_throughput" => Quantity::RequestsPerS,
        "errors" | "error_rate" => Quantity::Errors,
        "goodput" => Quantity::Goodput,
        "capacity" => Quantity::Capacity,
        "mean" | "avg" => Quantity::Mean(metric(p, &lw)?),
        "median" => Quantity::Percentile {
            q: 0.5,
            metric: metric(p, &lw)?,
        },
        _ if lw.starts_with('p') && lw.len() > 1 && lw[1..].bytes().all(|b| b.is_ascii_digit()) => {
            // Re-read the number after `p`, decimals included.
            p.pos = start + 1;
            let Some((at, text)) = p.number() else {
                return Err(err(p, p.pos, "expected a percentile after 'p', like p95"));
            };
            let pct = scaled(text, 0);
            if !(pct > 0.0 && pct < 100.0) {
                return Err(err(
                    p,
                    at,
                    "the percentile must be above 0 and below 100, like p95 or p99.9",
                ));
            }
            let stat = format!("p{text}");
            Quantity::Percentile {
                q: scaled(text, -2),
                metric: metric(p, &stat)?,
            }
        }
        _ if gate_metric(w).is_some() => {
            return Err(err(
                p,
                start,
                format!("add a statistic: p95({w}), median({w}) or mean({w})"),
            ));
        }
        _ => {
            let found = if w.is_empty() {
                p.rest()
                    .chars()
                    .next()
                    .map(String::from)
                    .unwrap_or_default()
            } else {
                w.to_string()
            };
            return Err(err(
                p,
                start,
                format!(
                    "unexpected '{found}'; expected p<N>(metric) (like p95(e2e)), mean(metric), \
                     median(metric), throughput, requests_per_s, errors, goodput or capacity"
                ),
            ));
        }
    })
}

/// `(metric)` after a statistic.
fn metric(p: &mut Parser<'_>, stat: &str) -> Result<Metric, GateError> {
    if !p.eat('(') {
        return Err(err(
            p,
            p.pos,
            format!("expected '(' and a metric after {stat}, like {stat}(e2e)"),
        ));
    }
    let (at, name) = p.word();
    let Some(m) = gate_metric(name) else {
        let reason = if name.is_empty() {
            format!("expected a metric; one of {}", gate_metric_list())
        } else {
            format!(
                "unknown metric '{name}'; expected one of {}",
                gate_metric_list()
            )
        };
        return Err(err(p, at, reason));
    };
    if !p.eat(')') {
        return Err(err(p, p.pos, format!("expected ')' after {name}")));
    }
    Ok(m)
}

/// The threshold after the operator, and its normalised text.
fn threshold(p: &mut Parser<'_>, quantity: &Quantity) -> Result<(Threshold, String), GateError> {
    let kind = quantity.kind();
    let label = quantity.label();
    let sign_at = {
        p.ws();
        p.pos
    };
    let sign = if p.eat('+') {
        Some(1.0)
    } else if p.eat('-') || p.eat('−') {
        Some(-1.0)
    } else {
        None
    };
    let Some((num_at, text)) = p.number() else {
        let reason = if sign.is_some() {
            format!("expected a number after the sign, like {}", kind.examples())
        } else {
            format!("expected a threshold, like {}", kind.examples())
        };
        return Err(err(p, p.pos, reason));
    };
    let unit_at = {
        p.ws();
        p.pos
    };
    let suffix = suffix(p, kind)?;
    let signed = sign.is_some();
    let s = sign.unwrap_or(1.0);
    let wrong_unit = |p: &Parser<'_>| {
        err(
            p,
            unit_at,
            format!(
                "'{}' is {}, which does not fit {label}; expected {}",
                &p.src[unit_at..p.pos].trim_end(),
                suffix.what(),
                kind.examples()
            ),
        )
    };
    let threshold = match (suffix, kind) {
        (Suffix::Percent, _) if signed => Threshold::Relative(s * scaled(text, -2)),
        (Suffix::Percent, Kind::Errors) => {
            let v = scaled(text, -2);
            if v > 1.0 {
                return Err(err(p, num_at, "the error rate is at most 100%"));
            }
            Threshold::Value(v)
        }
        (Suffix::Percent, _) => {
            return Err(err(
                p,
                sign_at,
                format!("a relative threshold needs a sign: +{text}% or -{text}%"),
            ));
        }
        (Suffix::Time { exp, factor, .. }, Kind::Time) => {
            // Milliseconds, rounded once from the decimal text.
            let ms = scaled(text, exp - 3) * factor;
            if signed {
                Threshold::Change(s * ms)
            } else {
                Threshold::Value(ms)
            }
        }
        (Suffix::Points, Kind::Errors) if signed => Threshold::Change(s * scaled(text, -2)),
        (Suffix::Points, Kind::Errors) => {
            return Err(err(
                p,
                sign_at,
                format!("a change in percentage points needs a sign: +{text}pp or -{text}pp"),
            ));
        }
        (Suffix::Tokens, Kind::Length)
        | (Suffix::TokensPerSecond, Kind::Throughput)
        | (Suffix::PerSecond, Kind::Throughput | Kind::Rate | Kind::Capacity)
        | (Suffix::Bare, Kind::Capacity) => {
            if signed {
                Threshold::Change(s * scaled(text, 0))
            } else {
                Threshold::Value(scaled(text, 0))
            }
        }
        (Suffix::Bare, Kind::Errors) if signed => {
            return Err(err(
                p,
                unit_at,
                format!(
                    "a relative threshold needs %: {}{text}%; a change in the error rate takes \
                     percentage points: {}{text}pp",
                    sign_text(s),
                    sign_text(s)
                ),
            ));
        }
        (Suffix::Bare, Kind::Errors) => {
            let v = scaled(text, 0);
            if v > 1.0 {
                return Err(err(
                    p,
                    num_at,
                    format!("a bare number is a fraction of 1; did you mean {text}%?"),
                ));
            }
            Threshold::Value(v)
        }
        (Suffix::Bare, _) if signed => {
            return Err(err(
                p,
                unit_at,
                format!(
                    "a relative threshold needs %: {sg}{text}%; a change needs a unit: \
                     {sg}{text}{}",
                    kind.unit(),
                    sg = sign_text(s)
                ),
            ));
        }
        (Suffix::Bare, _) => {
            return Err(err(
                p,
                unit_at,
                format!(
                    "add a unit: {text}{}; or a relative change with a sign: +{text}%",
                    kind.unit()
                ),
            ));
        }
        _ => return Err(wrong_unit(p)),
    };
    let normalised = format!(
        "{}{}{}",
        if signed { sign_text(s) } else { "" },
        shift_decimal(text, 0),
        suffix.text()
    );
    Ok((threshold, normalised))
}

fn sign_text(s: f64) -> &'static str {
    if s < 0.0 { "-" } else { "+" }
}

/// The unit after a threshold's number.
fn suffix(p: &mut Parser<'_>, kind: Kind) -> Result<Suffix, GateError> {
    if p.eat('%') {
        return Ok(Suffix::Percent);
    }
    if p.eat('/') {
        per_s(p)?;
        return Ok(Suffix::PerSecond);
    }
    let (at, unit) = p.word();
    Ok(match unit.to_lowercase().as_str() {
        "" => Suffix::Bare,
        "us" | "µs" | "μs" => Suffix::Time {
            exp: 0,
            factor: 1.0,
            name: "us",
        },
        "ms" => Suffix::Time {
            exp: 3,
            factor: 1.0,
            name: "ms",
        },
        "s" => Suffix::Time {
            exp: 6,
            factor: 1.0,
            name: "s",
        },
        "m" | "min" => Suffix::Time {
            exp: 6,
            factor: 60.0,
            name: "m",
        },
        "pp" => Suffix::Points,
        "tokens" | "token" | "tok" => {
            if p.eat('/') {
                per_s(p)?;
                Suffix::TokensPerSecond
            } else {
                Suffix::Tokens
            }
        }
        "req" | "reqs" | "requests" => {
            if !p.eat('/') {
                return Err(err(p, p.pos, "expected '/s' after requests, like 10req/s"));
            }
            per_s(p)?;
            Suffix::PerSecond
        }
        "rps" => Suffix::PerSecond,
        _ => {
            return Err(err(
                p,
                at,
                format!(
                    "unknown unit '{unit}'; expected one of %, us, ms, s, m, tokens, /s, \
                     pp, like {}",
                    kind.examples()
                ),
            ));
        }
    })
}

/// The `s` of `/s`.
fn per_s(p: &mut Parser<'_>) -> Result<(), GateError> {
    let (at, unit) = p.word();
    if matches!(unit.to_lowercase().as_str(), "s" | "sec") {
        Ok(())
    } else {
        Err(err(p, at, "expected 's' after '/', like 10/s"))
    }
}

impl FromStr for Gate {
    type Err = GateError;

    fn from_str(s: &str) -> Result<Self, GateError> {
        parse(&mut Parser { src: s, pos: 0 })
    }
}

impl Serialize for Gate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Gate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Gate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Gate".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A --fail-if gate: QUANTITY > THRESHOLD or QUANTITY < THRESHOLD. Quantities: pN(metric), median(metric), mean(metric), throughput, requests_per_s, errors, goodput, capacity. Thresholds: a relative change (+10%), an absolute change with a sign and a unit (+200ms, -100/s, +0.5pp) or a value (3s, 500/s, 1%).",
            "examples": ["p95(e2e) > +10%", "throughput < -5%", "errors > 1%"]
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::slo::LATENCY_NAMES;
    use Metric::*;

    fn gate(s: &str) -> Gate {
        s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn pct(q: f64, metric: Metric) -> Quantity {
        Quantity::Percentile { q, metric }
    }

    /// The caret column and reason of a bad expression.
    fn bad(s: &str) -> (usize, String) {
        match s.parse::<Gate>() {
            Ok(g) => panic!("{s:?} parsed as {g:?}"),
            Err(e) => {
                assert_eq!(e.expression(), s);
                (e.column(), e.reason().to_string())
            }
        }
    }

    #[test]
    fn parses_every_form() {
        use Threshold::*;
        for (text, quantity, above, threshold, shown) in [
            (
                "p95(e2e) > +10%",
                pct(0.95, E2e),
                true,
                Relative(0.1),
                "p95(e2e) > +10%",
            ),
            (
                " P99.9 ( TTFT )>+200ms",
                pct(0.999, Ttft),
                true,
                Change(200.0),
                "p99.9(ttft) > +200ms",
            ),
            (
                "median(latency) >= -0.5s",
                pct(0.5, E2e),
                true,
                Change(-500.0),
                "p50(e2e) > -0.5s",
            ),
            (
                "p95(e2e)>3.81s",
                pct(0.95, E2e),
                true,
                Value(3810.0),
                "p95(e2e) > 3.81s",
            ),
            (
                "mean(tpot) > 25ms",
                Quantity::Mean(Tpot),
                true,
                Value(25.0),
                "mean(tpot) > 25ms",
            ),
            (
                "avg(itl_per_token) > 800us",
                Quantity::Mean(ItlPerToken),
                true,
                Value(0.8),
                "mean(itl_per_token) > 800us",
            ),
            (
                "p50(ttft_intended) > +250µs",
                pct(0.5, TtftFromIntended),
                true,
                Change(0.25),
                "p50(ttft_from_intended) > +250us",
            ),
            (
                "p90(e2e) > 2m",
                pct(0.9, E2e),
                true,
                Value(120_000.0),
                "p90(e2e) > 2m",
            ),
            (
                "p99(e2e) ≥ +.50%",
                pct(0.99, E2e),
                true,
                Relative(0.005),
                "p99(e2e) > +0.5%",
            ),
            (
                "p95(osl) < -50tokens",
                pct(0.95, Osl),
                false,
                Change(-50.0),
                "p95(osl) < -50tokens",
            ),
            (
                "mean(isl) > 1000 tok",
                Quantity::Mean(Isl),
                true,
                Value(1000.0),
                "mean(isl) > 1000tokens",
            ),
            (
                "throughput < -5%",
                Quantity::Throughput,
                false,
                Relative(-0.05),
                "throughput < -5%",
            ),
            (
                "Throughput <= - 100/s",
                Quantity::Throughput,
                false,
                Change(-100.0),
                "throughput < -100/s",
            ),
            (
                "output_throughput<500tok/s",
                Quantity::Throughput,
                false,
                Value(500.0),
                "throughput < 500/s",
            ),
            (
                "rps < 10/s",
                Quantity::RequestsPerS,
                false,
                Value(10.0),
                "requests_per_s < 10/s",
            ),
            (
                "requests_per_s < −2 req/s",
                Quantity::RequestsPerS,
                false,
                Change(-2.0),
                "requests_per_s < -2/s",
            ),
            (
                "errors > 1%",
                Quantity::Errors,
                true,
                Value(0.01),
                "errors > 1%",
            ),
            (
                "errors > +50%",
                Quantity::Errors,
                true,
                Relative(0.5),
                "errors > +50%",
            ),
            (
                "errors > +0.5pp",
                Quantity::Errors,
                true,
                Change(0.005),
                "errors > +0.5pp",
            ),
            (
                "error_rate > 0.02",
                Quantity::Errors,
                true,
                Value(0.02),
                "errors > 0.02",
            ),
            (
                "goodput < 8 rps",
                Quantity::Goodput,
                false,
                Value(8.0),
                "goodput < 8/s",
            ),
            (
                "goodput < -10%",
                Quantity::Goodput,
                false,
                Relative(-0.1),
                "goodput < -10%",
            ),
            (
                "capacity < -10%",
                Quantity::Capacity,
                false,
                Relative(-0.1),
                "capacity < -10%",
            ),
            (
                "capacity < 32",
                Quantity::Capacity,
                false,
                Value(32.0),
                "capacity < 32",
            ),
            (
                "CAPACITY < -4",
                Quantity::Capacity,
                false,
                Change(-4.0),
                "capacity < -4",
            ),
            (
                "capacity < 30.0/s",
                Quantity::Capacity,
                false,
                Value(30.0),
                "capacity < 30/s",
            ),
        ] {
            let g = gate(text);
            assert_eq!(g.quantity, quantity, "{text}");
            assert_eq!(g.quantity(), &quantity, "{text}");
            assert_eq!(g.above, above, "{text}");
            assert_eq!(g.threshold, threshold, "{text}");
            assert_eq!(g.to_string(), shown, "{text}");
            // The normalised text parses back to the same gate.
            assert_eq!(gate(shown), g, "{text}");
            assert_eq!(gate(shown).to_string(), shown, "{text}");
            let json = serde_json::to_string(&g).unwrap();
            assert_eq!(json, format!("\"{shown}\""));
            assert_eq!(serde_json::from_str::<Gate>(&json).unwrap(), g);
        }
    }

    #[test]
    fn rejects_nonsense_with_a_caret() {
        for (text, column, reason) in [
            ("", 0, "empty gate"),
            ("p95(e2e) > +10", 14, "a relative threshold needs %: +10%"),
            ("p95(e2e) > -10", 14, "a change needs a unit: -10ms"),
            (
                "p95(e2f) > +10%",
                4,
                "unknown metric 'e2f'; expected one of ttft, itl",
            ),
            ("p95(e2f) > +10%", 4, "isl, osl"),
            ("p95() > +10%", 4, "expected a metric"),
            (
                "throughput > 3s",
                14,
                "'s' is a time, which does not fit throughput",
            ),
            ("throughput > +5tokens", 15, "'tokens' is a length"),
            (
                "p95(isl) > +10ms",
                14,
                "'ms' is a time, which does not fit p95(isl)",
            ),
            ("p95(e2e) > 100/s", 14, "'/s' is a rate"),
            ("errors > 2s", 10, "is a time"),
            ("errors > +1pp%", 13, "unexpected '%'"),
            (
                "p95(e2e) +10%",
                9,
                "expected > or < and a threshold, like p95(e2e) > +10%",
            ),
            ("p95(e2e)", 8, "expected > or <"),
            ("throughput", 10, "like throughput > -5%"),
            ("p95(e2e) = +10%", 9, "a gate compares with > or <"),
            ("p95(e2e) >", 10, "expected a threshold"),
            ("p95(e2e) > +", 12, "expected a number after the sign"),
            (
                "p95(e2e) > 10%",
                11,
                "a relative threshold needs a sign: +10% or -10%",
            ),
            ("p95(e2e) > 3", 12, "add a unit: 3ms"),
            ("p95(e2e) > +3 furlongs", 14, "unknown unit 'furlongs'"),
            (
                "p95(e2e) > +10% extra",
                16,
                "unexpected 'extra' after the gate",
            ),
            ("p95(e2e > +10%", 8, "expected ')' after e2e"),
            ("p95 > +10%", 4, "expected '(' and a metric after p95"),
            ("p0(e2e) > +1%", 1, "above 0 and below 100"),
            ("p100(e2e) > +1%", 1, "above 0 and below 100"),
            ("e2e > +10%", 0, "add a statistic: p95(e2e)"),
            ("latency > +10%", 0, "add a statistic"),
            ("speed > +10%", 0, "unexpected 'speed'"),
            ("errors > 150%", 9, "at most 100%"),
            ("errors > 2", 9, "did you mean 2%?"),
            ("errors > 1pp", 9, "needs a sign: +1pp or -1pp"),
            ("errors > +0.01", 14, "percentage points: +0.01pp"),
            ("rps < 10 req", 12, "expected '/s' after requests"),
            ("rps < 10/min", 9, "expected 's' after '/'"),
        ] {
            let (c, r) = bad(text);
            assert!(r.contains(reason), "{text:?}: {r:?} lacks {reason:?}");
            assert_eq!(c, column, "{text:?}: {r}");
        }
    }

    #[test]
    fn error_display_points_at_the_column() {
        let e = "p95(e2e) > +10".parse::<Gate>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid gate 'p95(e2e) > +10':\n  p95(e2e) > +10\n                \
             ^ a relative threshold needs %: +10%; a change needs a unit: +10ms"
        );
    }

    #[test]
    fn fails_for_each_kind_of_threshold() {
        for (text, baseline, candidate, fails) in [
            // Relative: candidate ÷ baseline − 1 against the fraction.
            ("p95(e2e) > +10%", 100.0, 111.0, true),
            ("p95(e2e) > +10%", 100.0, 110.0, false),
            ("p95(e2e) > +10%", 100.0, 90.0, false),
            ("p95(e2e) >= +10%", 100.0, 110.0, false),
            ("throughput < -5%", 1000.0, 940.0, true),
            ("throughput < -5%", 1000.0, 950.0, false),
            ("throughput < -5%", 1000.0, 1200.0, false),
            ("p95(e2e) < -10%", 100.0, 80.0, true),
            // From a baseline of 0: 0 → 0 is no change, 0 → more an infinite rise.
            ("errors > +50%", 0.0, 0.0, false),
            ("errors > +50%", 0.0, 0.01, true),
            ("goodput < -10%", 0.0, 0.0, false),
            ("goodput < -10%", 0.0, 5.0, false),
            // Change: candidate − baseline.
            ("p95(e2e) > +200ms", 1000.0, 1201.0, true),
            ("p95(e2e) > +200ms", 1000.0, 1200.0, false),
            ("p95(e2e) > +0.2s", 1000.0, 1150.0, false),
            ("p95(e2e) > -0.5s", 1000.0, 600.0, true),
            ("p95(e2e) > -0.5s", 1000.0, 400.0, false),
            ("rps < -2/s", 10.0, 7.5, true),
            ("rps < -2/s", 10.0, 8.5, false),
            ("errors > +0.5pp", 0.01, 0.016, true),
            ("errors > +0.5pp", 0.01, 0.014, false),
            ("errors > +0.5pp", 0.01, 0.015, false),
            ("capacity < -4", 32.0, 27.0, true),
            ("capacity < -4", 32.0, 28.0, false),
            // Value: the candidate itself.
            ("p95(e2e) > 3.81s", 1.0, 3811.0, true),
            ("p95(e2e) > 3.81s", 9999.0, 3810.0, false),
            ("errors > 1%", 0.0, 0.011, true),
            ("errors > 1%", 0.5, 0.009, false),
            ("goodput < 10/s", 100.0, 9.0, true),
            ("goodput < 10/s", 1.0, 11.0, false),
            ("capacity < 32", 64.0, 16.0, true),
            // Missing data fails nothing.
            ("p95(e2e) > +10%", 100.0, f64::NAN, false),
            ("p95(e2e) > 1s", f64::NAN, f64::NAN, false),
        ] {
            assert_eq!(
                gate(text).fails(baseline, candidate),
                fails,
                "{text}: {baseline} → {candidate}"
            );
        }
    }

    #[test]
    fn quantity_labels_and_direction() {
        for (q, label, worse) in [
            (pct(0.95, E2e), "p95(e2e)", true),
            (pct(0.999, Ttft), "p99.9(ttft)", true),
            (pct(0.5, Osl), "p50(osl)", false),
            (Quantity::Mean(Tpot), "mean(tpot)", true),
            (Quantity::Throughput, "throughput", false),
            (Quantity::RequestsPerS, "requests_per_s", false),
            (Quantity::Errors, "errors", true),
            (Quantity::Goodput, "goodput", false),
            (Quantity::Capacity, "capacity", false),
        ] {
            assert_eq!(q.label(), label);
            assert_eq!(q.higher_is_worse(), worse, "{label}");
        }
    }

    #[test]
    fn every_slo_metric_name_is_a_gate_metric() {
        for (metric, names) in LATENCY_NAMES {
            for name in names {
                let g = gate(&format!("p95({name}) > +1%"));
                assert_eq!(g.quantity, pct(0.95, metric), "{name}");
            }
        }
    }
}
