//! A level's start-up: where its latencies settle, found as it runs.
//!
//! The series judged is each measured request's latency as a share of its limit, the
//! largest over the latency SLOs (E2E without one), in the order requests complete. Its
//! start-up transient — the batch filling, the first wave of a closed loop queueing
//! behind each other's prefill, a server warming its caches — is found by the MSER-5 rule
//! ([`headroom_metrics::steady`]), at most half the series. A sequential level leaves it
//! out of every look and of its verdict, and reports what it left out ([`StartUp`]); a
//! look whose series has not settled within its first half decides nothing. A fixed level
//! is judged as the user sized it (`--warmup` is theirs to give); its start-up is only
//! reported.

use headroom_core::{Phase, RequestRecord};
use headroom_metrics::Metric;
use headroom_metrics::Recorder;
use headroom_metrics::slo::{GoodputCounter, Slo, SloSet, request_value};
use headroom_metrics::steady::{Truncation, mser5};
use serde::{Deserialize, Serialize};

/// What a level's start-up rule found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StartUp {
    /// Measured requests before the level settled: the first to complete.
    pub requests: u64,
    /// Their span, from the level's first measured send to the last one's end, s.
    pub seconds: f64,
    /// `false`: the rule cut half the series (as much as it may), so the level had not
    /// settled yet.
    pub settled: bool,
    /// `true`: they were left out of the level's verdict (a sequential level); `false`:
    /// only reported (a fixed level).
    pub applied: bool,
}

impl StartUp {
    /// For people: `first 40 requests (6.2 s) left out as start-up (MSER-5)`.
    pub fn describe(&self) -> String {
        let what = format!("first {} requests ({:.1} s)", self.requests, self.seconds);
        match (self.applied, self.settled) {
            (true, true) => format!("{what} left out as start-up (MSER-5)"),
            (true, false) => {
                format!("{what} left out, and latency had still not settled (MSER-5)")
            }
            (false, true) => format!(
                "latency settled after the {what} (MSER-5); they are in the verdict: \
                 --warmup {} leaves them out",
                self.requests
            ),
            (false, false) => {
                "latency had not settled within the first half of the level (MSER-5)".into()
            }
        }
    }
}

/// The start-up series of a level, record by record.
#[derive(Debug)]
pub(crate) struct Settling {
    /// Latency SLOs' metrics and limits (µs); empty: E2E.
    latency: Vec<(Metric, f64)>,
    /// One per measured request with a value: its latency ÷ limit.
    values: Vec<f64>,
    /// Per value: measured requests completed before it.
    measured_before: Vec<u64>,
    /// Per value: its end, µs of run time.
    end_us: Vec<u64>,
    measured: u64,
    first_send: Option<u64>,
    /// Every record of the level, kept when its start-up is left out (to judge a look
    /// without it); bounded by the sequential level's budget.
    kept: Option<Vec<RequestRecord>>,
}

impl Settling {
    /// The series of a level judged by `slos`; `keep`: keep the records to judge without
    /// the start-up.
    pub(crate) fn new(slos: &SloSet, keep: bool) -> Self {
        let latency = slos
            .0
            .iter()
            .filter_map(|s| match s {
                Slo::Latency {
                    metric, limit_us, ..
                } if *limit_us > 0.0 => Some((*metric, *limit_us)),
                _ => None,
            })
            .collect();
        Settling {
            latency,
            values: Vec::new(),
            measured_before: Vec::new(),
            end_us: Vec::new(),
            measured: 0,
            first_send: None,
            kept: keep.then(Vec::new),
        }
    }

    /// Takes record `r`.
    pub(crate) fn add(&mut self, r: &RequestRecord) {
        if let Some(kept) = &mut self.kept {
            kept.push(r.clone());
        }
        if r.phase != Phase::Measure {
            return;
        }
        if let Some(s) = r.send_us {
            self.first_send = Some(self.first_send.map_or(s, |f| f.min(s)));
        }
        let value = match self.latency.as_slice() {
            [] => request_value(Metric::E2e, r),
            l => l
                .iter()
                .filter_map(|(m, limit)| Some(request_value(*m, r)? / limit))
                .reduce(f64::max),
        };
        if let (true, Some(v)) = (r.is_ok(), value) {
            self.values.push(v);
            self.measured_before.push(self.measured);
            self.end_us.push(r.end_us.unwrap_or(0));
        }
        self.measured += 1;
    }

    /// Where the series settles so far; `None` while it is too short to say.
    pub(crate) fn truncation(&self) -> Option<Truncation> {
        mser5(&self.values)
    }

    /// What `t` leaves out, for the record.
    pub(crate) fn start_up(&self, t: Truncation, applied: bool) -> StartUp {
        let (requests, seconds) = match t.cut {
            0 => (0, 0.0),
            c => {
                let end = self.end_us[c - 1];
                let first = self.first_send.unwrap_or(end);
                (
                    self.measured_before[c],
                    end.saturating_sub(first) as f64 / 1e6,
                )
            }
        };
        StartUp {
            requests,
            seconds,
            settled: t.settled,
            applied,
        }
    }

    /// The kept records folded without their first `start_up` measured requests, and the
    /// goodput of the rest; `None` when records are not kept.
    pub(crate) fn without(&self, start_up: u64, slos: &SloSet) -> Option<(Recorder, u64)> {
        let kept = self.kept.as_ref()?;
        Some(without_start_up(kept, start_up, slos))
    }
}

/// `records` (in the order they completed) folded as if their first `start_up` measured
/// requests were warmup, and the goodput of the rest against `slos`.
pub fn without_start_up(
    records: &[RequestRecord],
    start_up: u64,
    slos: &SloSet,
) -> (Recorder, u64) {
    let mut recorder = Recorder::new();
    let mut goodput = GoodputCounter::new(slos.clone());
    let mut measured = 0;
    for r in records {
        if r.phase == Phase::Measure && measured < start_up {
            measured += 1;
            let mut warm = r.clone();
            warm.phase = Phase::Warmup;
            recorder.add(&warm);
            continue;
        }
        recorder.add(r);
        goodput.add(r);
    }
    (recorder, goodput.met())
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_core::ErrorKind;
    use headroom_testkit::record;

    fn slos() -> SloSet {
        SloSet(vec!["p95(e2e)<=1s".parse().unwrap()])
    }

    /// 30 slow requests (2 s) while the batch fills, then 170 at 500 ms.
    fn level() -> Vec<RequestRecord> {
        (0..200)
            .map(|i| {
                let e2e = if i < 30 { 2_000_000 } else { 500_000 };
                record(i).sent_at(i * 100_000).e2e_us(e2e).build()
            })
            .collect()
    }

    #[test]
    fn finds_the_start_up_and_judges_without_it() {
        let mut s = Settling::new(&slos(), true);
        for r in &level() {
            s.add(r);
        }
        let t = s.truncation().unwrap();
        let up = s.start_up(t, true);
        assert_eq!(up.requests, 30);
        assert!(up.settled);
        // The 30th request was sent at 2.9 s and took 2 s.
        assert!((up.seconds - 4.9).abs() < 1e-9, "{}", up.seconds);
        let (rec, met) = s.without(up.requests, &slos()).unwrap();
        let summary = rec.current();
        assert_eq!(summary.counts.warmup, 30);
        assert_eq!(summary.counts.ok, 170);
        assert_eq!(met, 170);
        assert!(summary.stats(Metric::E2e).p95 < 600.0, "in ms");
        assert_eq!(
            up.describe(),
            "first 30 requests (4.9 s) left out as start-up (MSER-5)"
        );
    }

    #[test]
    fn failed_requests_count_as_requests_but_not_as_values() {
        let mut s = Settling::new(&slos(), false);
        let mut records = level();
        // Request 10 failed: it has no latency, but it is one of the requests before the
        // cut, which falls after six batches of five values: 31 requests.
        records[10] = record(10)
            .sent_at(1_000_000)
            .failed(ErrorKind::Connect, "refused")
            .build();
        for r in &records {
            s.add(r);
        }
        let up = s.start_up(s.truncation().unwrap(), false);
        assert_eq!(up.requests, 31);
        assert!(s.without(31, &slos()).is_none(), "records are not kept");
        assert!(up.describe().contains("--warmup 31"), "{}", up.describe());
    }

    #[test]
    fn the_share_of_the_tightest_limit_is_the_series() {
        // TTFT is far within its limit, E2E is what moves: the series follows E2E.
        let slos = SloSet(vec![
            "p95(ttft)<=10s".parse().unwrap(),
            "p95(e2e)<=1s".parse().unwrap(),
        ]);
        let mut s = Settling::new(&slos, false);
        for r in &level() {
            s.add(r);
        }
        assert_eq!(s.start_up(s.truncation().unwrap(), true).requests, 30);
    }
}
