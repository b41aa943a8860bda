//! Run summaries: every metric's distribution, counts, tokens and the measurement window.

use crate::{Dist, Stats, Unit, Windows};
use headroom_core::{ErrorKind, Phase, RequestRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::AddAssign;

/// Every distribution a summary keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Time to first token.
    Ttft,
    /// Gap between consecutive content chunks.
    Itl,
    /// Gap between consecutive content chunks divided by the tokens of the later chunk,
    /// once per token.
    ItlPerToken,
    /// Time per output token after the first.
    Tpot,
    /// Request latency, send to end.
    E2e,
    /// Input sequence length.
    Isl,
    /// Output sequence length.
    Osl,
    /// Intended send time to actual send time (open loop).
    SchedulingLag,
    /// TTFT measured from the intended send time (open loop).
    TtftFromIntended,
    /// E2E measured from the intended send time (open loop).
    E2eFromIntended,
}

impl Metric {
    /// All metrics in report order.
    pub const ALL: [Metric; 10] = [
        Metric::Ttft,
        Metric::Itl,
        Metric::ItlPerToken,
        Metric::Tpot,
        Metric::E2e,
        Metric::Isl,
        Metric::Osl,
        Metric::SchedulingLag,
        Metric::TtftFromIntended,
        Metric::E2eFromIntended,
    ];

    /// The snake_case key used in JSON and SLO expressions.
    pub fn key(self) -> &'static str {
        match self {
            Metric::Ttft => "ttft",
            Metric::Itl => "itl",
            Metric::ItlPerToken => "itl_per_token",
            Metric::Tpot => "tpot",
            Metric::E2e => "e2e",
            Metric::Isl => "isl",
            Metric::Osl => "osl",
            Metric::SchedulingLag => "scheduling_lag",
            Metric::TtftFromIntended => "ttft_from_intended",
            Metric::E2eFromIntended => "e2e_from_intended",
        }
    }

    /// A label for tables, genai-perf style.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Ttft => "Time to first token",
            Metric::Itl => "Inter-chunk latency",
            Metric::ItlPerToken => "Inter-token latency",
            Metric::Tpot => "Time per output token",
            Metric::E2e => "Request latency",
            Metric::Isl => "Input sequence length",
            Metric::Osl => "Output sequence length",
            Metric::SchedulingLag => "Scheduling lag",
            Metric::TtftFromIntended => "TTFT from intended",
            Metric::E2eFromIntended => "Latency from intended",
        }
    }

    /// The recorded unit.
    pub fn unit(self) -> Unit {
        match self {
            Metric::Isl | Metric::Osl => Unit::Tokens,
            _ => Unit::Micros,
        }
    }

    fn idx(self) -> usize {
        self as usize
    }
}

/// Request counts of a summary.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Counts {
    /// Measured requests that completed.
    pub ok: u64,
    /// Measured requests that failed, by kind (includes `cancelled` and `not_sent`).
    pub errors: BTreeMap<ErrorKind, u64>,
    /// Warmup requests (any outcome), excluded from every metric.
    pub warmup: u64,
}

impl Counts {
    /// Measured requests that failed on the way to or from the server. Requests the user
    /// interrupted (`cancelled`, `not_sent`) are not failures: see [`Counts::interrupted`].
    pub fn failed(&self) -> u64 {
        self.errors
            .iter()
            .filter(|(k, _)| !is_interruption(**k))
            .map(|(_, n)| n)
            .sum()
    }

    /// Measured requests cancelled in flight or never sent because the run was interrupted.
    pub fn interrupted(&self) -> u64 {
        self.errors
            .iter()
            .filter(|(k, _)| is_interruption(**k))
            .map(|(_, n)| n)
            .sum()
    }

    /// Measured requests, whatever their outcome.
    pub fn measured(&self) -> u64 {
        self.ok + self.errors.values().sum::<u64>()
    }

    /// Failed / (completed + failed): the server's error rate (0 when nothing finished).
    pub fn error_rate(&self) -> f64 {
        let done = self.ok + self.failed();
        if done == 0 {
            0.0
        } else {
            self.failed() as f64 / done as f64
        }
    }
}

/// Outcomes caused by interrupting the run rather than by the server.
fn is_interruption(k: ErrorKind) -> bool {
    matches!(k, ErrorKind::Cancelled | ErrorKind::NotSent)
}

/// Token totals of completed measured requests.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TokenTotals {
    /// Prompt tokens.
    pub input: u64,
    /// Generated tokens.
    pub output: u64,
    /// Completed requests whose output count is the server's usage (the rest were counted
    /// by headroom's tokenizer).
    #[serde(default)]
    pub output_from_usage: u64,
    /// Requests whose server-reported output count and headroom's own count differ by
    /// more than 2 %.
    pub usage_disagreements: u64,
}

/// Rates over the measurement window.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Throughput {
    /// Length of the measurement window, seconds.
    pub window_s: f64,
    /// Completed requests per second.
    pub requests_per_s: f64,
    /// Output tokens of completed requests per second.
    pub output_tokens_per_s: f64,
    /// Input plus output tokens of completed requests per second.
    pub total_tokens_per_s: f64,
}

/// Everything measured in a run (or several merged).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Request counts.
    pub counts: Counts,
    /// Token totals.
    pub tokens: TokenTotals,
    /// Measurement windows, µs since the Unix epoch.
    pub windows: Windows,
    dists: Vec<Dist>,
}

impl Default for Summary {
    fn default() -> Self {
        Summary {
            counts: Counts::default(),
            tokens: TokenTotals::default(),
            windows: Windows::default(),
            dists: Metric::ALL.iter().map(|m| Dist::new(m.unit())).collect(),
        }
    }
}

impl Summary {
    /// The distribution of `m`.
    pub fn dist(&self, m: Metric) -> &Dist {
        &self.dists[m.idx()]
    }

    fn dist_mut(&mut self, m: Metric) -> &mut Dist {
        &mut self.dists[m.idx()]
    }

    /// Statistics of `m` in its display unit.
    pub fn stats(&self, m: Metric) -> Stats {
        self.dist(m).stats()
    }

    /// Rates over the measurement window.
    pub fn throughput(&self) -> Throughput {
        let window_s = self.windows.total_us() as f64 / 1e6;
        if window_s <= 0.0 {
            return Throughput::default();
        }
        Throughput {
            window_s,
            requests_per_s: self.counts.ok as f64 / window_s,
            output_tokens_per_s: self.tokens.output as f64 / window_s,
            total_tokens_per_s: (self.tokens.input + self.tokens.output) as f64 / window_s,
        }
    }
}

impl AddAssign<&Summary> for Summary {
    /// Exact merge: counts and tokens add, histograms add, windows unite.
    fn add_assign(&mut self, o: &Summary) {
        self.counts.ok += o.counts.ok;
        self.counts.warmup += o.counts.warmup;
        for (k, v) in &o.counts.errors {
            *self.counts.errors.entry(*k).or_default() += v;
        }
        self.tokens.input += o.tokens.input;
        self.tokens.output += o.tokens.output;
        self.tokens.output_from_usage += o.tokens.output_from_usage;
        self.tokens.usage_disagreements += o.tokens.usage_disagreements;
        self.windows += &o.windows;
        for (a, b) in self.dists.iter_mut().zip(&o.dists) {
            *a += b;
        }
    }
}

/// summary.json
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Summary"))]
struct SummaryJson {
    /// Request counts.
    requests: Counts,
    /// Token totals.
    tokens: TokenTotals,
    /// Rates over the measurement window (derived; ignored when read back).
    throughput: Throughput,
    /// Measurement windows as `[start, end)` pairs in µs since the Unix epoch.
    windows: Windows,
    /// Every metric's distribution, keyed by metric.
    metrics: BTreeMap<Metric, Dist>,
}

impl Serialize for Summary {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SummaryJson {
            requests: self.counts.clone(),
            tokens: self.tokens.clone(),
            throughput: self.throughput(),
            windows: self.windows.clone(),
            metrics: Metric::ALL
                .iter()
                .map(|m| (*m, self.dist(*m).clone()))
                .collect(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Summary {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = SummaryJson::deserialize(d)?;
        let mut s = Summary {
            counts: j.requests,
            tokens: j.tokens,
            windows: j.windows,
            ..Summary::default()
        };
        for (m, dist) in j.metrics {
            if dist.unit() != m.unit() {
                return Err(serde::de::Error::custom(format!(
                    "metric {} has unit {:?}, expected {:?}",
                    m.key(),
                    dist.unit(),
                    m.unit()
                )));
            }
            *s.dist_mut(m) = dist;
        }
        Ok(s)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Summary {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Summary".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        SummaryJson::json_schema(g)
    }
}

/// Folds request records into a [`Summary`].
#[derive(Debug, Default)]
pub struct Recorder {
    summary: Summary,
    first_send_us: Option<u64>,
    last_end_us: Option<u64>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one record. Warmup records are only counted; measured records update every
    /// metric they have data for.
    pub fn add(&mut self, r: &RequestRecord) {
        let s = &mut self.summary;
        if r.phase == Phase::Warmup {
            s.counts.warmup += 1;
            return;
        }
        if let (Some(send), Some(end)) = (r.send_us, r.end_us) {
            self.first_send_us = Some(self.first_send_us.map_or(send, |f| f.min(send)));
            self.last_end_us = Some(self.last_end_us.map_or(end, |l| l.max(end)));
        }
        if let Some(kind) = r.outcome.error_kind() {
            *s.counts.errors.entry(kind).or_default() += 1;
            return;
        }
        s.counts.ok += 1;
        s.tokens.input += r.input_tokens as u64;
        s.tokens.output += r.output_tokens as u64;
        if r.output_tokens_source == headroom_core::TokenSource::Usage {
            s.tokens.output_from_usage += 1;
        }
        if let Some(counted) = r.output_tokens_counted {
            let reported = r.output_tokens as f64;
            if (counted as f64 - reported).abs() > 0.02 * reported.max(1.0) {
                s.tokens.usage_disagreements += 1;
            }
        }
        s.dist_mut(Metric::Isl).record(r.input_tokens as u64);
        s.dist_mut(Metric::Osl).record(r.output_tokens as u64);
        if let Some(e2e) = r.e2e_us() {
            s.dist_mut(Metric::E2e).record(e2e);
        }
        if let Some(ttft) = r.ttft_us() {
            s.dist_mut(Metric::Ttft).record(ttft);
        }
        if let Some(tpot) = r.tpot_us() {
            s.dist_mut(Metric::Tpot).record(tpot.round() as u64);
        }
        for i in 1..r.content_us.len() {
            let gap = r.content_us[i].saturating_sub(r.content_us[i - 1]);
            s.dist_mut(Metric::Itl).record(gap);
            let k = r.chunk_tokens(i);
            if k > 0 {
                s.dist_mut(Metric::ItlPerToken)
                    .record_n((gap as f64 / k as f64).round() as u64, k as u64);
            }
        }
        if let Some(lag) = r.lag_us() {
            s.dist_mut(Metric::SchedulingLag).record(lag);
            if let (Some(intended), Some(send), Some(end)) = (r.intended_us, r.send_us, r.end_us) {
                s.dist_mut(Metric::E2eFromIntended)
                    .record(end.saturating_sub(intended));
                if let Some(ttft) = r.ttft_us() {
                    s.dist_mut(Metric::TtftFromIntended)
                        .record(send.saturating_sub(intended) + ttft);
                }
            }
        }
    }

    /// The summary so far, with the window measured in run time (no epoch applied):
    /// good for progress displays.
    pub fn current(&self) -> &Summary {
        &self.summary
    }

    /// Requests recorded so far (warmup included).
    pub fn seen(&self) -> u64 {
        self.summary.counts.measured() + self.summary.counts.warmup
    }

    /// Finishes the summary; `epoch_unix_us` anchors the run's times to wall-clock time so
    /// windows of different runs and shards can be merged.
    pub fn finish(mut self, epoch_unix_us: u64) -> Summary {
        if let (Some(a), Some(b)) = (self.first_send_us, self.last_end_us) {
            self.summary
                .windows
                .insert(epoch_unix_us + a, epoch_unix_us + b);
        }
        self.summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_core::{Outcome, TokenSource};

    fn ok(index: u64, send: u64, content: Vec<u64>, end_off: u64, out: u32) -> RequestRecord {
        RequestRecord {
            index,
            phase: Phase::Measure,
            intended_us: None,
            send_us: Some(send),
            end_us: Some(send + end_off),
            content_us: content,
            content_tokens: vec![],
            input_tokens: 10,
            input_tokens_source: TokenSource::Workload,
            output_tokens: out,
            output_tokens_source: TokenSource::Usage,
            output_tokens_counted: None,
            max_tokens: out,
            requested_input_tokens: None,
            tags: Default::default(),
            http_status: Some(200),
            finish_reason: None,
            outcome: Outcome::Ok,
        }
    }

    #[test]
    fn records_every_metric_by_its_definition() {
        let mut r = Recorder::new();
        // TTFT 50 ms, then 3 chunks of 1, 2 and 3 tokens 10/20/30 ms apart: 7 tokens.
        let mut rec = ok(
            0,
            1_000_000,
            vec![50_000, 60_000, 80_000, 110_000],
            110_000,
            7,
        );
        rec.content_tokens = vec![1, 1, 2, 3];
        rec.intended_us = Some(999_000);
        r.add(&rec);
        let s = r.finish(1_700_000_000_000_000);
        assert_eq!(s.stats(Metric::Ttft).mean, 50.0);
        assert_eq!(s.stats(Metric::E2e).mean, 110.0);
        // TPOT = (110 − 50) / (7 − 1) = 10 ms.
        assert_eq!(s.stats(Metric::Tpot).mean, 10.0);
        // Per chunk: 10, 20, 30 ms.
        assert_eq!(s.dist(Metric::Itl).count(), 3);
        assert_eq!(s.stats(Metric::Itl).mean, 20.0);
        // Per token: 10 ×1, 10 ×2, 10 ×3 → six samples of 10 ms.
        assert_eq!(s.dist(Metric::ItlPerToken).count(), 6);
        assert_eq!(s.stats(Metric::ItlPerToken).max, 10.0);
        assert_eq!(s.stats(Metric::SchedulingLag).mean, 1.0);
        assert_eq!(s.stats(Metric::E2eFromIntended).mean, 111.0);
        assert_eq!(s.stats(Metric::TtftFromIntended).mean, 51.0);
        assert_eq!(s.tokens.output, 7);
        assert_eq!(s.throughput().window_s, 0.11);
    }

    #[test]
    fn warmup_and_errors_are_counted_not_measured() {
        let mut r = Recorder::new();
        let mut w = ok(0, 0, vec![5], 10, 3);
        w.phase = Phase::Warmup;
        r.add(&w);
        let mut e = ok(1, 100, vec![], 200, 0);
        e.outcome = Outcome::Error {
            kind: ErrorKind::Timeout,
            message: "x".into(),
        };
        r.add(&e);
        r.add(&RequestRecord::not_sent(2, Phase::Measure, Some(5), 10));
        let s = r.finish(0);
        assert_eq!(s.counts.warmup, 1);
        assert_eq!(s.counts.ok, 0);
        assert_eq!(s.counts.errors[&ErrorKind::Timeout], 1);
        assert_eq!(s.counts.errors[&ErrorKind::NotSent], 1);
        assert_eq!(
            s.counts.failed(),
            1,
            "not_sent is an interruption, not a failure"
        );
        assert_eq!(s.counts.interrupted(), 1);
        assert_eq!(s.counts.measured(), 2);
        assert_eq!(s.counts.error_rate(), 1.0);
        assert!(s.dist(Metric::E2e).is_empty());
        // The failed request still bounds the window.
        assert_eq!(s.windows.intervals(), &[(100, 300)]);
    }

    #[test]
    fn non_streamed_requests_have_no_ttft() {
        let mut r = Recorder::new();
        r.add(&ok(0, 0, vec![], 500, 20));
        let s = r.finish(0);
        assert!(
            s.dist(Metric::Ttft).is_empty(),
            "a missing TTFT is not a zero TTFT"
        );
        assert!(s.dist(Metric::Tpot).is_empty());
        assert_eq!(s.dist(Metric::E2e).count(), 1);
    }

    #[test]
    fn usage_disagreement_over_two_percent_is_counted() {
        let mut r = Recorder::new();
        let mut a = ok(0, 0, vec![1], 2, 100);
        a.output_tokens_counted = Some(102); // 2 %: fine
        r.add(&a);
        let mut b = ok(1, 0, vec![1], 2, 524_288);
        b.output_tokens_counted = Some(1);
        r.add(&b);
        assert_eq!(r.finish(0).tokens.usage_disagreements, 1);
    }

    #[test]
    fn merged_shards_equal_one_run_and_json_round_trips() {
        let recs: Vec<_> = (0..40)
            .map(|i| {
                ok(
                    i,
                    i * 1000,
                    vec![100 + i, 200 + 3 * i],
                    300 + 7 * i,
                    2 + i as u32,
                )
            })
            .collect();
        let mut all = Recorder::new();
        let mut a = Recorder::new();
        let mut b = Recorder::new();
        for (i, rec) in recs.iter().enumerate() {
            all.add(rec);
            if i % 2 == 0 { a.add(rec) } else { b.add(rec) }
        }
        let all = all.finish(10);
        let mut merged = a.finish(10);
        merged += &b.finish(10);
        assert_eq!(merged, all);
        let json = serde_json::to_string(&merged).unwrap();
        let back: Summary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, merged);
    }

    #[test]
    fn sequential_repeats_add_their_windows() {
        let mut a = Recorder::new();
        a.add(&ok(0, 0, vec![1], 1_000_000, 10));
        let mut b = Recorder::new();
        b.add(&ok(0, 0, vec![1], 1_000_000, 10));
        let mut s = a.finish(0);
        s += &b.finish(5_000_000);
        let t = s.throughput();
        assert_eq!(t.window_s, 2.0);
        assert_eq!(t.output_tokens_per_s, 10.0);
    }
}
