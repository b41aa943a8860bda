//! Run summaries: every metric's distribution, counts, tokens and the measurement window.

use crate::prefix::PrefixSample;
use crate::{Dist, Lengths, PrefixCache, Stats, TurnStats, Unit, Windows};
use headroom_core::{ErrorKind, Phase, RequestRecord};
use headroom_telemetry::{GpuFigures, HostFigures, ServerFigures};
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
    /// Open loop, stopped before its stop rule: measured arrivals still scheduled whose
    /// intended time had not come, so no request (and no record) exists for them. The
    /// runner counts them ([`headroom_core::RunInfo::unsent_arrivals`]); not part of
    /// [`Counts::measured`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unsent_arrivals: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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
    /// Requested versus delivered prompt and output lengths.
    pub lengths: Lengths,
    /// Cold versus warm TTFT of prefix groups; present when a measured request had a
    /// prefix group. Computed by [`Recorder::finish`] (absent from
    /// [`Recorder::current`]).
    pub prefix: Option<PrefixCache>,
    /// Per conversation turn (`tags.turn`); empty when no completed measured request had
    /// one.
    pub turns: BTreeMap<u32, TurnStats>,
    /// The server's own view of the measurement window, from its `/metrics`, when it
    /// was scraped.
    pub server: Option<ServerFigures>,
    /// The GPUs over the measurement window (NVML or a DCGM exporter), when sampled.
    pub gpu: Option<GpuFigures>,
    /// The host (and the server's processes) over the measurement window, when sampled.
    pub host: Option<HostFigures>,
    dists: Vec<Dist>,
}

impl Default for Summary {
    fn default() -> Self {
        Summary {
            counts: Counts::default(),
            tokens: TokenTotals::default(),
            windows: Windows::default(),
            lengths: Lengths::default(),
            prefix: None,
            turns: BTreeMap::new(),
            server: None,
            gpu: None,
            host: None,
            dists: Metric::ALL.iter().map(|m| Dist::new(m.unit())).collect(),
        }
    }
}

impl Summary {
    /// The distribution of `metric`.
    pub fn dist(&self, metric: Metric) -> &Dist {
        &self.dists[metric.idx()]
    }

    fn dist_mut(&mut self, m: Metric) -> &mut Dist {
        &mut self.dists[m.idx()]
    }

    /// Statistics of `metric` in its display unit.
    pub fn stats(&self, metric: Metric) -> Stats {
        self.dist(metric).stats()
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
    /// Exact merge: counts and tokens add, histograms add, windows unite (see
    /// [`PrefixCache`] for its group count).
    fn add_assign(&mut self, o: &Summary) {
        self.counts.ok += o.counts.ok;
        self.counts.warmup += o.counts.warmup;
        self.counts.unsent_arrivals += o.counts.unsent_arrivals;
        for (k, v) in &o.counts.errors {
            *self.counts.errors.entry(*k).or_default() += v;
        }
        self.tokens.input += o.tokens.input;
        self.tokens.output += o.tokens.output;
        self.tokens.output_from_usage += o.tokens.output_from_usage;
        self.tokens.usage_disagreements += o.tokens.usage_disagreements;
        self.windows += &o.windows;
        self.lengths += &o.lengths;
        match (&mut self.prefix, &o.prefix) {
            (Some(a), Some(b)) => *a += b,
            (None, Some(b)) => self.prefix = Some(b.clone()),
            (_, None) => {}
        }
        for (turn, t) in &o.turns {
            *self.turns.entry(*turn).or_default() += t;
        }
        merge_into(&mut self.server, &o.server, ServerFigures::merge);
        merge_into(&mut self.gpu, &o.gpu, GpuFigures::merge);
        merge_into(&mut self.host, &o.host, HostFigures::merge);
        for (a, b) in self.dists.iter_mut().zip(&o.dists) {
            *a += b;
        }
    }
}

/// `b` merged into `a` by `merge`, or taken as it is when `a` has none.
fn merge_into<T: Clone>(a: &mut Option<T>, b: &Option<T>, merge: fn(&mut T, &T)) {
    match (a.as_mut(), b) {
        (Some(x), Some(y)) => merge(x, y),
        (None, Some(y)) => *a = Some(y.clone()),
        (_, None) => {}
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
    /// Requested versus delivered lengths (zero in summaries of older versions).
    #[serde(default)]
    lengths: Lengths,
    /// Cold versus warm TTFT of prefix groups, when requests had prefix groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prefix: Option<PrefixCache>,
    /// Per conversation turn, keyed by turn number, when requests had turns.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    turns: BTreeMap<u32, TurnStats>,
    /// The server's own view of the measurement window, from its `/metrics`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    server: Option<ServerFigures>,
    /// The GPUs over the measurement window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gpu: Option<GpuFigures>,
    /// The host over the measurement window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    host: Option<HostFigures>,
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
            lengths: self.lengths.clone(),
            prefix: self.prefix.clone(),
            turns: self.turns.clone(),
            server: self.server.clone(),
            gpu: self.gpu.clone(),
            host: self.host,
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
            lengths: j.lengths,
            prefix: j.prefix,
            turns: j.turns,
            server: j.server,
            gpu: j.gpu,
            host: j.host,
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
    /// A measured request had a prefix group.
    prefix_seen: bool,
    /// Completed streamed requests of prefix groups, warmup included, classified at
    /// [`Recorder::finish`].
    prefix_samples: Vec<PrefixSample>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one record. Warmup records are only counted (and warm prefix groups, see
    /// [`PrefixCache`]); measured records update every metric they have data for.
    pub fn add(&mut self, record: &RequestRecord) {
        if let (Some(group), Some(send_us), Some(ttft_us), true) = (
            record.tags.prefix_group,
            record.send_us,
            record.ttft_us(),
            record.is_ok(),
        ) {
            self.prefix_samples.push(PrefixSample {
                group,
                send_us,
                ttft_us,
                measured: record.phase == Phase::Measure,
            });
        }
        let s = &mut self.summary;
        if record.phase == Phase::Warmup {
            s.counts.warmup += 1;
            return;
        }
        if let (Some(send), Some(end)) = (record.send_us, record.end_us) {
            self.first_send_us = Some(self.first_send_us.map_or(send, |f| f.min(send)));
            self.last_end_us = Some(self.last_end_us.map_or(end, |l| l.max(end)));
        }
        if record.tags.prefix_group.is_some() {
            self.prefix_seen = true;
        }
        if let Some(kind) = record.outcome.error_kind() {
            *s.counts.errors.entry(kind).or_default() += 1;
            return;
        }
        s.counts.ok += 1;
        s.lengths.record(record);
        if let Some(turn) = record.tags.turn {
            s.turns.entry(turn).or_default().record(record);
        }
        s.tokens.input += record.input_tokens as u64;
        s.tokens.output += record.output_tokens as u64;
        if record.output_tokens_source == headroom_core::TokenSource::Usage {
            s.tokens.output_from_usage += 1;
        }
        if let Some(counted) = record.output_tokens_counted {
            let reported = record.output_tokens as f64;
            if (counted as f64 - reported).abs() > 0.02 * reported.max(1.0) {
                s.tokens.usage_disagreements += 1;
            }
        }
        s.dist_mut(Metric::Isl).record(record.input_tokens as u64);
        s.dist_mut(Metric::Osl).record(record.output_tokens as u64);
        if let Some(e2e) = record.e2e_us() {
            s.dist_mut(Metric::E2e).record(e2e);
        }
        if let Some(ttft) = record.ttft_us() {
            s.dist_mut(Metric::Ttft).record(ttft);
        }
        if let Some(tpot) = record.tpot_us() {
            s.dist_mut(Metric::Tpot).record(tpot.round() as u64);
        }
        for i in 1..record.content_us.len() {
            let gap = record.content_us[i].saturating_sub(record.content_us[i - 1]);
            s.dist_mut(Metric::Itl).record(gap);
            let k = record.chunk_tokens(i);
            if k > 0 {
                s.dist_mut(Metric::ItlPerToken)
                    .record_n((gap as f64 / k as f64).round() as u64, k as u64);
            }
        }
        if let Some(lag) = record.lag_us() {
            s.dist_mut(Metric::SchedulingLag).record(lag);
            if let (Some(intended), Some(send), Some(end)) =
                (record.intended_us, record.send_us, record.end_us)
            {
                s.dist_mut(Metric::E2eFromIntended)
                    .record(end.saturating_sub(intended));
                if let Some(ttft) = record.ttft_us() {
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
        if self.prefix_seen {
            self.summary.prefix = Some(PrefixCache::classify(&mut self.prefix_samples));
        }
        self.summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_core::{Outcome, TokenSource};
    use headroom_testkit::record;

    fn ok(index: u64, send: u64, content: Vec<u64>, end_off: u64, out: u32) -> RequestRecord {
        record(index)
            .sent_at(send)
            .e2e_us(end_off)
            .content_us(content)
            .input_tokens(10)
            .output_tokens(out)
            .build()
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

    /// A completed streamed request of prefix group `group`: sent at `send_ms`, first
    /// token `ttft_ms` later.
    fn grouped(group: u32, send_ms: u64, ttft_ms: u64) -> RequestRecord {
        let mut r = ok(
            0,
            send_ms * 1000,
            vec![ttft_ms * 1000],
            ttft_ms * 1000 + 10,
            1,
        );
        r.tags.prefix_group = Some(group);
        r
    }

    #[test]
    fn lengths_compare_requested_and_delivered() {
        let mut a = Recorder::new();
        let mut b = Recorder::new();
        // Asked for 200 prompt tokens, the server counted 209: the chat template.
        let mut r1 = ok(0, 0, vec![1], 2, 100);
        r1.requested_input_tokens = Some(200);
        r1.input_tokens = 209;
        r1.input_tokens_source = TokenSource::Usage;
        a.add(&r1);
        // Asked for 300, no usage: no server count; ended early at 60 of 100.
        let mut r2 = ok(1, 0, vec![1], 2, 60);
        r2.requested_input_tokens = Some(300);
        r2.max_tokens = 100;
        b.add(&r2);
        // Older record without the requested length; asked 50 got 50.
        let mut r3 = ok(2, 0, vec![1], 2, 50);
        r3.input_tokens = 1000;
        r3.input_tokens_source = TokenSource::Usage;
        b.add(&r3);
        // Failures and warmup are not in the lengths.
        let mut w = r2.clone();
        w.phase = Phase::Warmup;
        b.add(&w);
        let mut e = r2.clone();
        e.outcome = Outcome::Error {
            kind: ErrorKind::Timeout,
            message: "x".into(),
        };
        b.add(&e);
        let only_b = b.current().lengths.clone();
        assert_eq!(only_b.served_input_mean(), None, "no usage among requested");
        assert_eq!(only_b.input_overhead_mean(), None);
        assert_eq!(only_b.requested_input_mean(), Some(300.0));
        let mut s = a.finish(0);
        s += &b.finish(0);
        let l = &s.lengths;
        assert_eq!(
            (l.requests, l.with_requested_input, l.with_usage),
            (3, 2, 1)
        );
        assert_eq!(l.requested_input, 500);
        assert_eq!((l.requested_input_with_usage, l.served_input), (200, 209));
        assert_eq!(l.requested_input_mean(), Some(250.0));
        assert_eq!(l.served_input_mean(), Some(209.0));
        assert_eq!(l.input_overhead_mean(), Some(9.0));
        assert_eq!((l.requested_output, l.delivered_output), (250, 210));
        assert_eq!(l.requested_output_mean(), 250.0 / 3.0);
        assert_eq!(l.delivered_output_mean(), 70.0);
        assert_eq!(l.ended_early, 1);
        assert_eq!(l.short_output_share(), 1.0 / 3.0);
        let empty = Lengths::default();
        assert_eq!(empty.requested_input_mean(), None);
        assert_eq!(empty.short_output_share(), 0.0);
    }

    #[test]
    fn prefix_requests_are_cold_until_their_group_has_a_first_token() {
        let mut r = Recorder::new();
        // Group 0: A's first token exists at 100 ms.
        r.add(&grouped(0, 0, 100)); // A: earliest, cold
        r.add(&grouped(0, 50, 120)); // B: sent before 100 ms, cold
        r.add(&grouped(0, 150, 20)); // C: sent after, warm
        r.add(&grouped(0, 100, 30)); // D: sent exactly at 100 ms, warm
        // Group 1, on its own: first token at 1,000 + 200 ms.
        r.add(&grouped(1, 1_000, 200)); // cold
        r.add(&grouped(1, 1_150, 180)); // cold
        r.add(&grouped(1, 1_300, 40)); // warm
        // Group 2 is warmed by a warmup request (first token at 100 ms).
        let mut w = grouped(2, 0, 100);
        w.phase = Phase::Warmup;
        r.add(&w);
        r.add(&grouped(2, 50, 110)); // cold: before the warmup's first token
        r.add(&grouped(2, 500, 10)); // warm
        // Not classified: a failure (even the earliest), a non-streamed request, and a
        // request of no group.
        let mut e = grouped(1, 0, 5);
        e.outcome = Outcome::Error {
            kind: ErrorKind::Timeout,
            message: "x".into(),
        };
        r.add(&e);
        let mut n = grouped(0, 300, 0);
        n.content_us.clear();
        r.add(&n);
        r.add(&ok(0, 0, vec![7], 10, 1));
        assert!(r.current().prefix.is_none(), "classified at finish");
        let s = r.finish(0);
        let p = s.prefix.as_ref().unwrap();
        assert_eq!(p.groups, 3);
        let ms = |d: &Dist| -> Vec<u64> {
            let st = d.stats();
            vec![d.count(), st.min as u64, st.max as u64]
        };
        // Cold: A 100, B 120, G1 200 and 180, G2 110.
        assert_eq!(ms(&p.cold), vec![5, 100, 200]);
        assert_eq!(p.cold.sum_raw(), (100 + 120 + 200 + 180 + 110) * 1000);
        // Warm: C 20, D 30, G1 40, G2 10.
        assert_eq!(ms(&p.warm), vec![4, 10, 40]);
        assert_eq!(p.warm.sum_raw(), (20 + 30 + 40 + 10) * 1000);
        // Medians (nearest rank): cold 120 ms, warm 20 ms.
        let speedup = p.warm_speedup().unwrap();
        assert!((speedup - 6.0).abs() < 0.01, "{speedup}");
        assert!(s.turns.is_empty());
    }

    #[test]
    fn prefix_is_absent_without_groups_and_speedup_needs_both_sides() {
        let mut r = Recorder::new();
        r.add(&ok(0, 0, vec![7], 10, 1));
        assert!(r.finish(0).prefix.is_none());
        // Only warmup requests had a group: nothing measured to report.
        let mut r = Recorder::new();
        let mut w = grouped(0, 0, 100);
        w.phase = Phase::Warmup;
        r.add(&w);
        assert!(r.finish(0).prefix.is_none());
        // A measured group whose only request is cold: no speedup.
        let mut r = Recorder::new();
        r.add(&grouped(0, 0, 100));
        let p = r.finish(0).prefix.unwrap();
        assert_eq!((p.groups, p.cold.count(), p.warm.count()), (1, 1, 0));
        assert_eq!(p.warm_speedup(), None);
        // The earliest request is cold even with a zero TTFT.
        let mut r = Recorder::new();
        r.add(&grouped(0, 0, 0));
        r.add(&grouped(0, 0, 0));
        let p = r.finish(0).prefix.unwrap();
        assert_eq!((p.cold.count(), p.warm.count()), (1, 1));
    }

    #[test]
    fn prefix_summaries_merge() {
        let mut a = Recorder::new();
        a.add(&grouped(0, 0, 100));
        a.add(&grouped(0, 200, 10));
        let mut b = Recorder::new();
        b.add(&grouped(0, 0, 90));
        b.add(&grouped(1, 0, 80));
        let mut s = Summary::default();
        s += &a.finish(0);
        s += &b.finish(0);
        let p = s.prefix.unwrap();
        assert_eq!(p.groups, 2, "the larger group count");
        assert_eq!((p.cold.count(), p.warm.count()), (3, 1));
    }

    #[test]
    fn turns_group_by_turn_and_merge() {
        let turn = |t: u32, input: u32, ttft_ms: u64, e2e_ms: u64| {
            let mut r = ok(0, 0, vec![ttft_ms * 1000], e2e_ms * 1000, 5);
            r.tags.turn = Some(t);
            r.tags.session = Some(9);
            r.input_tokens = input;
            r
        };
        let mut a = Recorder::new();
        let mut b = Recorder::new();
        a.add(&turn(1, 100, 10, 50));
        b.add(&turn(1, 120, 20, 60));
        a.add(&turn(2, 300, 30, 90));
        let mut e = turn(3, 500, 1, 1);
        e.outcome = Outcome::Error {
            kind: ErrorKind::Timeout,
            message: "x".into(),
        };
        b.add(&e);
        let mut w = turn(4, 500, 1, 1);
        w.phase = Phase::Warmup;
        b.add(&w);
        b.add(&ok(0, 0, vec![1], 2, 1)); // no turn
        let mut s = a.finish(0);
        s += &b.finish(0);
        assert_eq!(s.turns.keys().copied().collect::<Vec<_>>(), vec![1, 2]);
        let t1 = &s.turns[&1];
        assert_eq!(
            (t1.requests, t1.input_tokens, t1.input_mean()),
            (2, 220, 110.0)
        );
        assert_eq!(t1.ttft.stats().mean, 15.0);
        assert_eq!(t1.e2e.stats().max, 60.0);
        assert_eq!(s.turns[&2].input_mean(), 300.0);
        assert!(s.prefix.is_none());
    }

    #[test]
    fn new_sections_round_trip_and_old_json_still_reads() {
        let mut r = Recorder::new();
        let mut warm = grouped(0, 0, 100);
        warm.phase = Phase::Warmup;
        r.add(&warm);
        for i in 0..6u64 {
            let mut rec = grouped((i % 2) as u32, 50 * i, 100 - 10 * i);
            rec.tags.turn = Some(1 + (i % 3) as u32);
            rec.requested_input_tokens = Some(200);
            rec.input_tokens = 209;
            rec.input_tokens_source = TokenSource::Usage;
            r.add(&rec);
        }
        let s = r.finish(0);
        assert!(s.prefix.is_some() && s.turns.len() == 3 && s.lengths.requests == 6);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["turns"]["2"]["requests"], 2);
        assert_eq!(v["prefix"]["groups"], 2);
        assert_eq!(v["lengths"]["served_input"], 6 * 209);
        let back: Summary = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(back, s);
        // A summary.json of an older version has none of them.
        let mut old = v;
        for k in ["lengths", "prefix", "turns"] {
            old.as_object_mut().unwrap().remove(k);
        }
        let back: Summary = serde_json::from_value(old).unwrap();
        assert_eq!(back.lengths, Lengths::default());
        assert!(back.prefix.is_none() && back.turns.is_empty());
        // And without prefix groups or turns, neither is written.
        let plain = serde_json::to_value(Summary::default()).unwrap();
        assert!(plain.get("prefix").is_none() && plain.get("turns").is_none());
        assert!(plain.get("lengths").is_some());
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
