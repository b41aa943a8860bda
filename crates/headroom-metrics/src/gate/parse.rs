//! Reading a `--fail-if` expression: [`Gate`]'s `FromStr` and the [`GateError`] that
//! points at what is wrong.

use super::{Gate, Kind, Quantity, Threshold};
use crate::Metric;
use crate::expr::{
    ExpressionError, Op, Parser, latency_metric, metric_list, scaled, shift_decimal,
};
use std::str::FromStr;

/// A bad gate expression. Its `Display` shows the expression with a caret under the
/// place parsing stopped and what was wrong there:
///
/// ```text
/// invalid gate 'p95(e2e) > +10':
///   p95(e2e) > +10
///                 ^ a relative threshold needs %: +10%; a change needs a unit: +10ms
/// ```
pub type GateError = ExpressionError;

impl FromStr for Gate {
    type Err = GateError;

    fn from_str(s: &str) -> Result<Self, GateError> {
        parse(&mut Parser { src: s, pos: 0 })
    }
}

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
    GateError::new("gate", p, at, reason)
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
            let (_, text) = p.percentile(start).map_err(|(at, why)| err(p, at, why))?;
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
            let found = p.found(w);
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
    let written = Written {
        sign,
        text,
        suffix,
        sign_at,
        num_at,
        unit_at,
    };
    let threshold = written.threshold(p, kind, &quantity.label())?;
    let normalised = format!(
        "{}{}{}",
        if sign.is_some() {
            sign_text(written.sign())
        } else {
            ""
        },
        shift_decimal(text, 0),
        suffix.text()
    );
    Ok((threshold, normalised))
}

/// A threshold as written: its sign, number and unit, and where each starts (for the
/// caret of an error).
struct Written<'a> {
    sign: Option<f64>,
    text: &'a str,
    suffix: Suffix,
    sign_at: usize,
    num_at: usize,
    unit_at: usize,
}

impl Written<'_> {
    /// `-1.0` or `1.0` (also without a sign).
    fn sign(&self) -> f64 {
        self.sign.unwrap_or(1.0)
    }

    /// A change with a sign, the candidate's own value without one.
    fn change_or_value(&self, v: f64) -> Threshold {
        if self.sign.is_some() {
            Threshold::Change(self.sign() * v)
        } else {
            Threshold::Value(v)
        }
    }

    /// The threshold the number and unit make for a quantity of `kind` (named `label`).
    fn threshold(&self, p: &Parser<'_>, kind: Kind, label: &str) -> Result<Threshold, GateError> {
        let (s, text, signed) = (self.sign(), self.text, self.sign.is_some());
        Ok(match (self.suffix, kind) {
            (Suffix::Percent, _) => return self.percent(p, kind),
            (Suffix::Time { exp, factor, .. }, Kind::Time) => {
                // Milliseconds, rounded once from the decimal text.
                self.change_or_value(scaled(text, exp - 3) * factor)
            }
            (Suffix::Points, Kind::Errors) if signed => Threshold::Change(s * scaled(text, -2)),
            (Suffix::Points, Kind::Errors) => {
                return Err(err(
                    p,
                    self.sign_at,
                    format!("a change in percentage points needs a sign: +{text}pp or -{text}pp"),
                ));
            }
            (Suffix::Tokens, Kind::Length)
            | (Suffix::TokensPerSecond, Kind::Throughput)
            | (Suffix::PerSecond, Kind::Throughput | Kind::Rate | Kind::Capacity)
            | (Suffix::Bare, Kind::Capacity) => self.change_or_value(scaled(text, 0)),
            (Suffix::Bare, _) => return self.bare(p, kind),
            _ => {
                return Err(err(
                    p,
                    self.unit_at,
                    format!(
                        "'{}' is {}, which does not fit {label}; expected {}",
                        &p.src[self.unit_at..p.pos].trim_end(),
                        self.suffix.what(),
                        kind.examples()
                    ),
                ));
            }
        })
    }

    /// A number with `%`: a relative change with a sign, an error rate without one.
    fn percent(&self, p: &Parser<'_>, kind: Kind) -> Result<Threshold, GateError> {
        let text = self.text;
        if self.sign.is_some() {
            return Ok(Threshold::Relative(self.sign() * scaled(text, -2)));
        }
        if kind != Kind::Errors {
            return Err(err(
                p,
                self.sign_at,
                format!("a relative threshold needs a sign: +{text}% or -{text}%"),
            ));
        }
        let v = scaled(text, -2);
        if v > 1.0 {
            return Err(err(p, self.num_at, "the error rate is at most 100%"));
        }
        Ok(Threshold::Value(v))
    }

    /// A number without a unit (not for capacity, where it is the level): an error rate
    /// as a fraction, otherwise a missing unit.
    fn bare(&self, p: &Parser<'_>, kind: Kind) -> Result<Threshold, GateError> {
        let text = self.text;
        let sg = sign_text(self.sign());
        let reason = match (kind, self.sign.is_some()) {
            (Kind::Errors, true) => format!(
                "a relative threshold needs %: {sg}{text}%; a change in the error rate takes \
                 percentage points: {sg}{text}pp"
            ),
            (Kind::Errors, false) => {
                let v = scaled(text, 0);
                if v > 1.0 {
                    return Err(err(
                        p,
                        self.num_at,
                        format!("a bare number is a fraction of 1; did you mean {text}%?"),
                    ));
                }
                return Ok(Threshold::Value(v));
            }
            (_, true) => format!(
                "a relative threshold needs %: {sg}{text}%; a change needs a unit: \
                 {sg}{text}{}",
                kind.unit()
            ),
            (_, false) => format!(
                "add a unit: {text}{}; or a relative change with a sign: +{text}%",
                kind.unit()
            ),
        };
        Err(err(p, self.unit_at, reason))
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::fixtures::{gate, pct};
    use super::*;
    use crate::expr::LATENCY_NAMES;
    use Metric::*;

    /// The caret column and reason of a bad expression.
    fn bad(s: &str) -> (usize, String) {
        crate::expr::caret_of::<Gate>(s)
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
    fn every_slo_metric_name_is_a_gate_metric() {
        for (metric, names) in LATENCY_NAMES {
            for name in names {
                let g = gate(&format!("p95({name}) > +1%"));
                assert_eq!(g.quantity, pct(0.95, metric), "{name}");
            }
        }
    }
}
