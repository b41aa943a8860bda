//! `--fail-if` expressions: `headroom compare` as a CI gate.
//!
//! A gate names a quantity, a direction and a threshold; the comparison fails when the
//! candidate crosses it. The types and their meaning are here; reading an expression
//! (`parse.rs`: [`Gate`]'s `FromStr`, [`GateError`]) is beside them, on the cursor shared
//! with [`crate::slo`].
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

mod parse;

pub use parse::GateError;

use crate::expr::{expression_serde, shift_decimal};
use crate::{Metric, Unit};
use serde::{Deserialize, Serialize};
use std::fmt;

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

expression_serde!(
    Gate,
    "A --fail-if gate: QUANTITY > THRESHOLD or QUANTITY < THRESHOLD. Quantities: pN(metric), median(metric), mean(metric), throughput, requests_per_s, errors, goodput, capacity. Thresholds: a relative change (+10%), an absolute change with a sign and a unit (+200ms, -100/s, +0.5pp) or a value (3s, 500/s, 1%).",
    ["p95(e2e) > +10%", "throughput < -5%", "errors > 1%"]
);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod fixtures {
    //! Helpers shared by the gate tests.
    use super::*;

    pub(crate) fn gate(s: &str) -> Gate {
        s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    pub(crate) fn pct(q: f64, metric: Metric) -> Quantity {
        Quantity::Percentile { q, metric }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{gate, pct};
    use super::*;
    use Metric::*;

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
}
