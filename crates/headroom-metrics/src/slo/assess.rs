//! Judging a load level: each SLO's estimate and confidence interval over the level's
//! repeats, and the verdict they give (see [`super`] for the rule).

use super::{GoodputTarget, Slo, Stat};
use crate::Summary;
use crate::confidence::{
    Interval, mean_interval, poisson_rate_interval, quantile_interval, quantile_ranks, t_interval,
    wilson_interval,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The outcome of judging an SLO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Met, with the whole confidence interval on the good side.
    Pass,
    /// The interval straddles the limit: more requests or repeats are needed to tell.
    /// (Earlier results files call it `marginal`; both are read.)
    #[serde(alias = "marginal")]
    Inconclusive,
    /// Missed, with the whole interval on the bad side (or no data).
    Fail,
}

impl fmt::Display for Verdict {
    /// `PASS`, `INCONCLUSIVE`, `FAIL`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "PASS",
            Verdict::Inconclusive => "INCONCLUSIVE",
            Verdict::Fail => "FAIL",
        })
    }
}

/// One repeat of a level: its summary and its goodput count
/// ([`GoodputCounter::met`](super::GoodputCounter::met); 0 when the set has no goodput SLO).
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
    /// Pass, inconclusive or fail.
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
        (Some(_), None) => Verdict::Inconclusive,
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
                Verdict::Inconclusive
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
    use super::super::fixtures::{failed, ok, set, slo};
    use super::super::{GoodputCounter, SloSet};
    use super::*;
    use crate::Recorder;

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
    fn pass_fail_and_inconclusive_latency() {
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
        // The limit inside the interval: inconclusive.
        let m = assess_str("p95(e2e)<=195ms", &reps);
        assert_eq!(m.verdict, Verdict::Inconclusive);
        assert!(m.interval.unwrap().contains(195.0));
        // Means: 150 ms.
        assert_eq!(assess_str("mean(e2e)<=160ms", &reps).verdict, Verdict::Pass);
        assert_eq!(assess_str("mean(e2e)<=140ms", &reps).verdict, Verdict::Fail);
        assert_eq!(
            assess_str("mean(e2e)<150ms", &reps).verdict,
            Verdict::Inconclusive
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
        assert_eq!(a.verdict, Verdict::Inconclusive);
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
        assert_eq!((a.interval, a.verdict), (None, Verdict::Inconclusive));
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
        // 1 % failures: inconclusive; 5 %: fail.
        let one_pc = vec![repeat(&grid(100.0)[..1980], 20, &slos, 0)];
        assert_eq!(
            assess_str("errors<=1%", &one_pc).verdict,
            Verdict::Inconclusive
        );
        let five_pc = vec![repeat(&grid(100.0)[..1900], 100, &slos, 0)];
        let f = assess_str("errors<=1%", &five_pc);
        assert_eq!((f.estimate, f.verdict), (Some(0.05), Verdict::Fail));

        // Goodput share: 1002 of 2000 per repeat.
        let g = assess_str("goodput>=40%", &clean);
        assert_eq!((g.estimate, g.verdict), (Some(0.501), Verdict::Pass));
        assert_eq!(assess_str("goodput>=60%", &clean).verdict, Verdict::Fail);
        assert_eq!(
            assess_str("goodput>=50%", &clean).verdict,
            Verdict::Inconclusive
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
        // dominates the envelope and makes a 250 ms limit inconclusive; six repeats pass it.
        assert_eq!(
            two.interval,
            Some(two.within.unwrap().hull(&two.across.unwrap()))
        );
        assert_eq!(
            assess_str("p95(e2e)<=250ms", &[a.clone(), b.clone()]).verdict,
            Verdict::Inconclusive
        );
        let six: Vec<_> = (0..3).flat_map(|_| [a.clone(), b.clone()]).collect();
        assert_eq!(assess_str("p95(e2e)<=250ms", &six).verdict, Verdict::Pass);
    }

    #[test]
    fn verdicts_serialize_snake_case_and_display_loud() {
        assert_eq!(
            serde_json::to_value(Verdict::Inconclusive).unwrap(),
            "inconclusive"
        );
        assert_eq!(
            [Verdict::Pass, Verdict::Inconclusive, Verdict::Fail].map(|v| v.to_string()),
            ["PASS", "INCONCLUSIVE", "FAIL"]
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
}
