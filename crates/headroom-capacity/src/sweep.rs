//! Sweeps: one row per level, the maximum-throughput and best-latency levels, the knee,
//! and `--auto`'s choice of levels.
//!
//! **Knee**: the level with the highest *power*, throughput ÷ mean latency (requests per
//! second divided by seconds per request; Kleinrock's optimal operating point). Below it,
//! more load buys throughput almost for free; above it, each extra request/s costs more
//! latency than it brings. **Over-saturated**: a level above the maximum-throughput level
//! that delivers less than 95 % of that throughput (more load, less work done).

use crate::LoadAxis;
use headroom_metrics::{Metric, Summary};
use headroom_telemetry::{GpuFigures, GpuWindow, ServerFigures};
use serde::{Deserialize, Serialize};

/// One level of a sweep, from its (merged) summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Row {
    /// The level (users or req/s).
    pub level: f64,
    /// Completed measured requests.
    pub ok: u64,
    /// Failed measured requests ÷ measured requests.
    pub error_rate: f64,
    /// Completed requests per second.
    pub requests_per_s: f64,
    /// Output tokens per second.
    pub output_tokens_per_s: f64,
    /// Mean request latency, ms.
    pub mean_e2e_ms: f64,
    /// P50 request latency, ms.
    pub p50_e2e_ms: f64,
    /// P95 request latency, ms.
    pub p95_e2e_ms: f64,
    /// P99 request latency, ms.
    pub p99_e2e_ms: f64,
    /// Mean time to first token, ms (0 when not streamed).
    pub mean_ttft_ms: f64,
    /// P95 time to first token, ms.
    pub p95_ttft_ms: f64,
    /// Requests per second that met every SLO, when SLOs were given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goodput_per_s: Option<f64>,
    /// Measurement window, s.
    pub window_s: f64,
    /// What the server said about the level (its `/metrics`), when it was scraped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerRow>,
    /// The GPUs at the level (NVML or DCGM), when they were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuRow>,
}

/// A level's GPUs: the fullest one's memory, the mean utilisation, the power and energy
/// of all of them.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GpuRow {
    /// Memory in use on the fullest GPU, the most sampled, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vram_max_bytes: Option<f64>,
    /// That GPU's memory, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vram_total_bytes: Option<f64>,
    /// Utilisation, mean over the GPUs and samples, 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilization_mean: Option<f64>,
    /// Power of all the GPUs, mean, W.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_mean_w: Option<f64>,
    /// Energy of all the GPUs over the window, J.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_j: Option<f64>,
}

impl GpuRow {
    /// From a summary's GPU figures.
    pub fn of(f: &GpuFigures) -> GpuRow {
        let used = |g: &GpuWindow| g.memory_used_max_bytes.unwrap_or(0.0);
        let fullest = f
            .gpus
            .iter()
            .filter(|g| g.memory_used_max_bytes.is_some())
            .max_by(|a, b| used(a).total_cmp(&used(b)));
        let util: Vec<f64> = f.gpus.iter().filter_map(|g| g.utilization_mean).collect();
        GpuRow {
            vram_max_bytes: fullest.and_then(|g| g.memory_used_max_bytes),
            vram_total_bytes: fullest.and_then(|g| g.memory_total_bytes),
            utilization_mean: (!util.is_empty())
                .then(|| util.iter().sum::<f64>() / util.len() as f64),
            power_mean_w: f
                .gpus
                .iter()
                .filter_map(|g| g.power_mean_w)
                .reduce(|a, b| a + b),
            energy_j: f.energy_j(),
        }
    }
}

/// A level as its server saw it: the batch, the queue behind it and the KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServerRow {
    /// Requests in the batch, mean over the scrapes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_mean: Option<f64>,
    /// Requests queued, mean over the scrapes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_mean: Option<f64>,
    /// Requests queued, the most scraped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_max: Option<f64>,
    /// KV-cache usage (0–1), mean over the scrapes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv_mean: Option<f64>,
    /// KV-cache usage (0–1), the most scraped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv_max: Option<f64>,
    /// Requests preempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preemptions: Option<f64>,
}

impl ServerRow {
    /// From a summary's server figures.
    pub fn of(f: &ServerFigures) -> ServerRow {
        ServerRow {
            running_mean: f.running.map(|g| g.mean),
            waiting_mean: f.waiting.map(|g| g.mean),
            waiting_max: f.waiting.map(|g| g.max),
            kv_mean: f.kv_usage.map(|g| g.mean),
            kv_max: f.kv_usage.map(|g| g.max),
            preemptions: f.preemptions,
        }
    }
}

impl Row {
    /// The row of level `level` with summary `s`; `goodput_met` requests met every SLO.
    pub fn new(level: f64, s: &Summary, goodput_met: Option<u64>) -> Self {
        let e2e = s.stats(Metric::E2e);
        let ttft = s.stats(Metric::Ttft);
        let t = s.throughput();
        Row {
            level,
            ok: s.counts.ok,
            error_rate: s.counts.error_rate(),
            requests_per_s: t.requests_per_s,
            output_tokens_per_s: t.output_tokens_per_s,
            mean_e2e_ms: e2e.mean,
            p50_e2e_ms: e2e.p50,
            p95_e2e_ms: e2e.p95,
            p99_e2e_ms: e2e.p99,
            mean_ttft_ms: ttft.mean,
            p95_ttft_ms: ttft.p95,
            goodput_per_s: goodput_met.map(|g| {
                if t.window_s > 0.0 {
                    g as f64 / t.window_s
                } else {
                    0.0
                }
            }),
            window_s: t.window_s,
            server: s.server.as_ref().map(ServerRow::of),
            gpu: s.gpu.as_ref().map(GpuRow::of),
        }
    }

    /// Throughput ÷ mean latency (1/s²).
    pub fn power(&self) -> f64 {
        if self.mean_e2e_ms > 0.0 {
            self.requests_per_s / (self.mean_e2e_ms / 1e3)
        } else {
            0.0
        }
    }
}

/// The marked levels of a sweep.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Marks {
    /// Highest output-token throughput.
    pub max_throughput: Option<f64>,
    /// Lowest mean request latency.
    pub best_latency: Option<f64>,
    /// Highest throughput ÷ latency: the recommended operating point.
    pub knee: Option<f64>,
    /// Above the maximum-throughput level with less than 95 % of its throughput.
    pub over_saturated: Vec<f64>,
}

/// Marks the rows (any order) of a sweep.
pub fn mark(rows: &[Row]) -> Marks {
    let live: Vec<&Row> = rows.iter().filter(|r| r.ok > 0).collect();
    let argmax = |f: &dyn Fn(&Row) -> f64| {
        live.iter()
            .copied()
            .max_by(|a, b| f(a).total_cmp(&f(b)).then(b.level.total_cmp(&a.level)))
            .map(|r| r.level)
    };
    let max_throughput = argmax(&|r| r.output_tokens_per_s);
    let best_latency = argmax(&|r| -r.mean_e2e_ms);
    let knee = argmax(&|r| r.power());
    let over_saturated = match max_throughput.and_then(|m| live.iter().find(|r| r.level == m)) {
        Some(top) => {
            let mut v: Vec<f64> = rows
                .iter()
                .filter(|r| {
                    r.level > top.level && r.output_tokens_per_s < 0.95 * top.output_tokens_per_s
                })
                .map(|r| r.level)
                .collect();
            v.sort_by(f64::total_cmp);
            v
        }
        None => Vec::new(),
    };
    Marks {
        max_throughput,
        best_latency,
        knee,
        over_saturated,
    }
}

/// Which end of the tested range a mark landed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeEdge {
    /// The lowest level tried.
    Lowest,
    /// The highest level tried.
    Highest,
}

impl Marks {
    /// The end of the tested range the knee landed on, among `levels` (two or more): the
    /// true knee may then lie outside the range, and levels beyond that end would show it.
    pub fn knee_at_edge(&self, levels: impl IntoIterator<Item = f64>) -> Option<RangeEdge> {
        let knee = self.knee?;
        let (mut lo, mut hi, mut n) = (f64::INFINITY, f64::NEG_INFINITY, 0);
        for l in levels {
            lo = lo.min(l);
            hi = hi.max(l);
            n += 1;
        }
        if n < 2 {
            None
        } else if knee == lo {
            Some(RangeEdge::Lowest)
        } else if knee == hi {
            Some(RangeEdge::Highest)
        } else {
            None
        }
    }
}

/// What `--auto` runs next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AutoStep {
    /// A level of the sweep.
    Level(f64),
    /// A closed-loop probe of maximum throughput at this concurrency (rate sweeps only;
    /// not a row of the sweep).
    Probe(u32),
}

/// `--auto`: measure maximum throughput first, then spread levels below it.
///
/// Concurrency: levels 1, 2, 4, … until throughput grows by less than 5 % over the best
/// so far (or `max`); those are rows, and levels halfway between the doublings around the
/// peak are added (from a quarter of the peak's concurrency to twice it). Rate: the same
/// doubling probe in closed loop finds the maximum request rate R; the rows are
/// 0.25, 0.5, 0.75, 0.9, 1.0 and 1.1 × R.
#[derive(Debug, Clone, PartialEq)]
pub struct Auto {
    axis: LoadAxis,
    max: f64,
    /// Probe concurrency → (requests/s, output tokens/s).
    probes: Vec<(f64, f64, f64)>,
    probing: bool,
    fill: Vec<f64>,
}

/// Rate levels as fractions of the maximum rate found by the probe.
pub const RATE_FRACTIONS: [f64; 6] = [0.25, 0.5, 0.75, 0.9, 1.0, 1.1];

impl Auto {
    /// An automatic sweep over `axis`, probing up to concurrency `max`.
    pub fn new(axis: LoadAxis, max: u32) -> Self {
        Auto {
            axis,
            max: max.max(1) as f64,
            probes: Vec::new(),
            probing: true,
            fill: Vec::new(),
        }
    }

    /// Records the throughput measured at a probe (concurrency sweeps: at a level).
    pub fn record(&mut self, concurrency: f64, requests_per_s: f64, output_tokens_per_s: f64) {
        if !self.probing {
            self.fill.retain(|v| (v - concurrency).abs() > 1e-9);
            return;
        }
        let best = self.probes.iter().map(|p| p.2).fold(0.0, f64::max);
        self.probes
            .push((concurrency, requests_per_s, output_tokens_per_s));
        let flat = self.probes.len() > 1 && output_tokens_per_s < 1.05 * best;
        if flat || concurrency >= self.max {
            self.probing = false;
            self.fill = self.spread();
        }
    }

    fn peak(&self) -> Option<(f64, f64, f64)> {
        self.probes
            .iter()
            .copied()
            .max_by(|a, b| a.2.total_cmp(&b.2).then(b.0.total_cmp(&a.0)))
    }

    fn spread(&self) -> Vec<f64> {
        let Some(peak) = self.peak() else {
            return Vec::new();
        };
        match self.axis {
            LoadAxis::Concurrency => {
                let mut v: Vec<f64> = self
                    .probes
                    .iter()
                    .map(|p| p.0)
                    .filter(|c| *c >= peak.0 / 4.0 && *c < 2.0 * peak.0 && *c >= 2.0)
                    .map(|c| self.axis.snap(c * 1.5))
                    .filter(|c| !self.probes.iter().any(|p| (p.0 - c).abs() < 1e-9))
                    .collect();
                v.sort_by(f64::total_cmp);
                v.dedup();
                v
            }
            LoadAxis::Rate => RATE_FRACTIONS
                .iter()
                .map(|f| self.axis.snap(f * peak.1))
                .filter(|r| *r > 0.0)
                .collect(),
        }
    }

    /// The next step, or `None` when the sweep is complete.
    pub fn next(&self) -> Option<AutoStep> {
        if self.probing {
            let c = self
                .probes
                .last()
                .map_or(1.0, |p| (p.0 * 2.0).min(self.max));
            return Some(match self.axis {
                LoadAxis::Concurrency => AutoStep::Level(c),
                LoadAxis::Rate => AutoStep::Probe(c as u32),
            });
        }
        self.fill.first().map(|v| AutoStep::Level(*v))
    }

    /// The maximum throughput found: (concurrency, requests/s, output tokens/s).
    pub fn peak_probe(&self) -> Option<(f64, f64, f64)> {
        self.peak()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(level: f64, rps: f64, tps: f64, mean_ms: f64) -> Row {
        Row {
            level,
            ok: 100,
            error_rate: 0.0,
            requests_per_s: rps,
            output_tokens_per_s: tps,
            mean_e2e_ms: mean_ms,
            p50_e2e_ms: mean_ms,
            p95_e2e_ms: mean_ms,
            p99_e2e_ms: mean_ms,
            mean_ttft_ms: 0.0,
            p95_ttft_ms: 0.0,
            goodput_per_s: None,
            window_s: 60.0,
            server: None,
            gpu: None,
        }
    }

    #[test]
    fn seed_004s_table_is_marked_as_its_author_read_it() {
        // The scaling table of seed 004 (G5.8xlarge, A10G).
        let rows = [
            row(10.0, 1.91, 236.62, 5043.38),
            row(20.0, 4.42, 554.70, 4305.56),
            row(40.0, 6.15, 766.65, 6090.43),
            row(80.0, 6.58, 828.76, 9580.24),
            row(120.0, 7.80, 1007.91, 9945.11),
            row(200.0, 6.14, 771.25, 17846.00),
        ];
        let m = mark(&rows);
        assert_eq!(m.max_throughput, Some(120.0)); // "Maximum Throughput"
        assert_eq!(m.best_latency, Some(20.0)); // "Optimal Latency"
        assert_eq!(m.knee, Some(20.0)); // "Production (Low Latency)"
        assert_eq!(m.over_saturated, [200.0]); // "Over-Saturated"
        let levels = || rows.iter().map(|r| r.level);
        assert_eq!(m.knee_at_edge(levels()), None, "20 is inside 10..200");
        // Without the level of 10 the knee is the lowest tried: say so.
        let m = mark(&rows[1..]);
        assert_eq!(
            m.knee_at_edge(rows[1..].iter().map(|r| r.level)),
            Some(RangeEdge::Lowest)
        );
        // Throughput still climbing fast at the top: the knee is the highest level.
        let climbing = [row(1.0, 1.0, 100.0, 1000.0), row(2.0, 2.0, 200.0, 1000.0)];
        let m = mark(&climbing);
        assert_eq!(m.knee_at_edge([1.0, 2.0]), Some(RangeEdge::Highest));
        assert_eq!(m.knee_at_edge([2.0]), None, "one level has no range");
    }

    #[test]
    fn auto_concurrency_doubles_to_the_plateau_then_fills_around_the_peak() {
        // Throughput saturates at 32 users.
        let tput = |c: f64| 100.0 * c.min(32.0);
        let mut a = Auto::new(LoadAxis::Concurrency, 1024);
        let mut levels = Vec::new();
        while let Some(AutoStep::Level(c)) = a.next() {
            levels.push(c);
            a.record(c, tput(c) / 100.0, tput(c));
            assert!(levels.len() < 30);
        }
        assert_eq!(
            levels,
            [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 12.0, 24.0, 48.0]
        );
    }

    #[test]
    fn auto_rate_probes_in_closed_loop_then_spreads_rates() {
        let mut a = Auto::new(LoadAxis::Rate, 256);
        let mut probes = Vec::new();
        while let Some(AutoStep::Probe(c)) = a.next() {
            probes.push(c);
            let rps = 2.0 * (c as f64).min(8.0);
            a.record(c as f64, rps, rps * 100.0);
        }
        assert_eq!(probes, [1, 2, 4, 8, 16]);
        let mut rates = Vec::new();
        while let Some(AutoStep::Level(r)) = a.next() {
            rates.push(r);
            a.record(r, 0.0, 0.0);
        }
        assert_eq!(rates, [4.0, 8.0, 12.0, 14.4, 16.0, 17.6]);
    }
}
