//! Goodput: which requests met every latency SLO on their own values, counted in a
//! mergeable [`GoodputCounter`].

use super::Slo;
use crate::Metric;
use headroom_core::{Phase, RequestRecord};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::AddAssign;

/// A request's own value of a latency metric, µs: what [`SloSet::request_meets`] judges.
///
/// TTFT, E2E, TPOT and scheduling lag as the record defines them; TTFT and E2E from the
/// intended send time (open loop); for `itl` the mean gap between its content chunks,
/// and for `itl_per_token` the sum of those gaps over the tokens they brought (the mean
/// of its per-token samples). `None` when the request has no such value (one chunk, one
/// token, not streamed, closed loop) or for a length metric.
pub fn request_value(metric: Metric, record: &RequestRecord) -> Option<f64> {
    match metric {
        Metric::Ttft => record.ttft_us().map(|v| v as f64),
        Metric::E2e => record.e2e_us().map(|v| v as f64),
        Metric::Tpot => record.tpot_us(),
        Metric::SchedulingLag => record.lag_us().map(|v| v as f64),
        Metric::TtftFromIntended => Some((record.lag_us()? + record.ttft_us()?) as f64),
        Metric::E2eFromIntended => {
            record.lag_us()?;
            Some(record.end_us?.saturating_sub(record.intended_us?) as f64)
        }
        Metric::Itl => {
            let (first, last) = (record.content_us.first()?, record.content_us.last()?);
            let gaps = record.content_us.len() - 1;
            (gaps > 0).then(|| last.saturating_sub(*first) as f64 / gaps as f64)
        }
        Metric::ItlPerToken => {
            let (mut time, mut tokens) = (0u64, 0u64);
            for i in 1..record.content_us.len() {
                let k = record.chunk_tokens(i);
                if k > 0 {
                    time += record.content_us[i].saturating_sub(record.content_us[i - 1]);
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
    /// Whether `record` counts towards goodput: it completed, and for every latency SLO its
    /// own value ([`request_value`]) is within the limit; a metric it has no value for
    /// is not judged. `errors` and `goodput` SLOs are ignored, so with no latency SLO
    /// every completed request meets the set. The phase is not looked at (see
    /// [`GoodputCounter`]).
    pub fn request_meets(&self, record: &RequestRecord) -> bool {
        record.is_ok()
            && self.0.iter().all(|slo| match slo {
                Slo::Latency {
                    metric,
                    strict,
                    limit_us,
                    ..
                } => request_value(*metric, record).is_none_or(|v| {
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
    pub fn add(&mut self, record: &RequestRecord) {
        if record.phase != Phase::Measure {
            return;
        }
        self.measured += 1;
        if self.slos.request_meets(record) {
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::{failed, ok, set};
    use super::*;
    use crate::Recorder;

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
}
