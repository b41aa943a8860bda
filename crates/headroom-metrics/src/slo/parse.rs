//! Reading an SLO expression: [`Slo`]'s `FromStr` and the [`SloError`] that points at
//! what is wrong.

use super::{GoodputTarget, Slo, Stat};
use crate::expr::{
    ExpressionError, Op, Parser, latency_metric, metric_list, scaled, shift_decimal,
};
use std::str::FromStr;

/// A bad SLO expression. Its `Display` shows the expression with a caret under the place
/// parsing stopped and what was expected there:
///
/// ```text
/// invalid SLO 'p95(e2f)<=3s':
///   p95(e2f)<=3s
///       ^ unknown metric 'e2f'; expected one of ttft, itl, itl_per_token, tpot, e2e, ...
/// ```
pub type SloError = ExpressionError;

impl FromStr for Slo {
    type Err = SloError;

    fn from_str(s: &str) -> Result<Self, SloError> {
        Parser { src: s, pos: 0 }.slo()
    }
}

/// The SLO grammar, on the shared cursor.
impl Parser<'_> {
    fn err(&self, at: usize, reason: impl Into<String>) -> SloError {
        SloError::new("SLO", self, at, reason)
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
                let (at, text) = self
                    .percentile(start)
                    .map_err(|(at, why)| self.err(at, why))?;
                let p: f64 = text.parse().map_err(|_| self.err(at, "not a number"))?;
                self.latency(Stat::Percentile(p))?
            }
            _ if latency_metric(w).is_some() => {
                return Err(self.err(
                    start,
                    format!("add a statistic: p95({w}), median({w}) or mean({w})"),
                ));
            }
            _ => {
                let found = self.found(w);
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

/// `3.81` → `3.81s or 3810ms`; `200` → `200ms or 0.2s`.
fn suggest_units(text: &str) -> String {
    if scaled(text, 0) < 100.0 {
        format!("{text}s or {}ms", shift_decimal(text, 3))
    } else {
        format!("{text}ms or {}s", shift_decimal(text, -3))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::slo;
    use super::super::{GoodputTarget, Slo, SloSet, Stat};
    use crate::Metric;
    use proptest::prelude::*;

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
        crate::expr::caret_of::<Slo>(s)
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
}
