//! Service-level objectives: parse them, judge requests against them for goodput, and
//! judge a load level against them with confidence intervals.
//!
//! Three parts, one file each: reading an expression (`parse.rs`: [`Slo`]'s `FromStr`,
//! [`SloError`]), judging single requests for goodput (`goodput.rs`: [`SloSet`],
//! [`GoodputCounter`], [`request_value`]) and judging a level's repeats (`assess.rs`:
//! [`assess`], [`Assessment`], [`Verdict`]). The expression cursor, the caret error and the
//! string serialization are shared with [`crate::gate`].
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
//! **fails** it when the whole interval is on the bad side, and is **inconclusive** when the
//! interval straddles the limit: more requests or more repeats are needed to tell. A
//! level with no data for an SLO (no completed request for a latency SLO) fails it.
//!
//! A percentile needs enough requests before any interval can put an upper bound on it:
//! at 95 % confidence, with fewer than 72 requests (P95), 368 (P99) or 3,688 (P99.9)
//! even the slowest request seen is too likely to be faster than the true percentile, so
//! such a level is at best inconclusive. For a stable percentile, P95 known to ±1 percentile
//! point (between the true P94 and P96) takes 1,825 requests, P99 to ±0.5 point 1,522
//! (see [`requests_for_quantile`](crate::confidence::requests_for_quantile)).
//!
//! Chunk gaps (`itl`, `itl_per_token`) of one request are not independent, so their
//! sampling interval is narrower than it should be; the across-repeat interval covers
//! that only with two or more repeats.

mod assess;
mod goodput;
mod parse;

pub use assess::{Assessment, Repeat, Verdict, assess, point_verdict};
pub use goodput::{GoodputCounter, SloSet, request_value};
pub use parse::SloError;

use crate::Metric;
use crate::expr::{expression_serde, shift_decimal};
use std::fmt;

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

expression_serde!(
    Slo,
    "A service-level objective: pN(metric)<=LIMIT (or <), mean(metric)<=LIMIT, median(metric)<=LIMIT, errors<=N%, goodput>=N/s or goodput>=N%. Limits take a unit: us, ms, s or m.",
    [
        "p95(e2e)<=3s",
        "p99(ttft)<500ms",
        "errors<=1%",
        "goodput>=10/s"
    ]
);

#[cfg(test)]
pub(crate) mod fixtures {
    //! Helpers shared by the SLO tests.
    use super::*;
    use headroom_core::{ErrorKind, Outcome, RequestRecord};
    use headroom_testkit::record;

    #[allow(clippy::unwrap_used)]
    pub(crate) fn slo(s: &str) -> Slo {
        s.parse().unwrap()
    }

    /// A completed measured request: content chunks at `content_ms` after the send (first
    /// = TTFT), ending `e2e_ms` after the send, with `tokens` output tokens.
    pub(crate) fn ok(content_ms: &[u64], e2e_ms: u64, tokens: u32) -> RequestRecord {
        record(0)
            .sent_at(1_000_000)
            .e2e_us(e2e_ms * 1000)
            .content_us(content_ms.iter().map(|m| m * 1000).collect())
            .input_tokens(10)
            .output_tokens(tokens)
            .build()
    }

    pub(crate) fn failed(mut r: RequestRecord) -> RequestRecord {
        r.outcome = Outcome::Error {
            kind: ErrorKind::Timeout,
            message: "x".into(),
        };
        r
    }

    pub(crate) fn set(exprs: &[&str]) -> SloSet {
        exprs.iter().map(|s| slo(s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::slo;
    use super::*;

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
