//! `/metrics`: Prometheus text exposition under vLLM's metric names.

use crate::engine::EngineStats;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// vLLM's buckets for TTFT, seconds.
const TTFT_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
];
/// vLLM's buckets for inter-token latency, seconds.
const ITL_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
    40.0, 80.0,
];
/// vLLM's buckets for request latency, seconds.
const E2E_BUCKETS: &[f64] = &[
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0,
    480.0, 960.0, 1920.0, 7680.0,
];

/// A lock-free histogram (cumulative buckets are computed when rendering).
#[derive(Debug)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            counts: (0..bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
        }
    }

    fn observe(&self, seconds: f64) {
        if let Some(i) = self.bounds.iter().position(|b| seconds <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add((seconds * 1e6).round() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str, label: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut acc = 0;
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            acc += c.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{b:?}\",{label}}} {acc}");
        }
        let n = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\",{label}}} {n}");
        let _ = writeln!(out, "{name}_count{{{label}}} {n}");
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{{label}}} {sum}");
    }
}

/// What the server exposes on `/metrics`.
#[derive(Debug)]
pub struct ServerMetrics {
    running: AtomicU64,
    waiting: AtomicU64,
    kv_usage_ppm: AtomicU64,
    prompt_tokens: AtomicU64,
    generation_tokens: AtomicU64,
    preemptions: AtomicU64,
    prefix_queries: AtomicU64,
    prefix_hits: AtomicU64,
    success: AtomicU64,
    ttft: Histogram,
    itl: Histogram,
    e2e: Histogram,
}

impl Default for ServerMetrics {
    fn default() -> Self {
        ServerMetrics {
            running: AtomicU64::new(0),
            waiting: AtomicU64::new(0),
            kv_usage_ppm: AtomicU64::new(0),
            prompt_tokens: AtomicU64::new(0),
            generation_tokens: AtomicU64::new(0),
            preemptions: AtomicU64::new(0),
            prefix_queries: AtomicU64::new(0),
            prefix_hits: AtomicU64::new(0),
            success: AtomicU64::new(0),
            ttft: Histogram::new(TTFT_BUCKETS),
            itl: Histogram::new(ITL_BUCKETS),
            e2e: Histogram::new(E2E_BUCKETS),
        }
    }
}

impl ServerMetrics {
    /// Takes the engine's counters and gauges (engine mode).
    pub fn set_engine(&self, stats: &EngineStats) {
        self.running.store(stats.running as u64, Ordering::Relaxed);
        self.waiting.store(stats.waiting as u64, Ordering::Relaxed);
        self.kv_usage_ppm
            .store((stats.kv_usage() * 1e6) as u64, Ordering::Relaxed);
        self.prompt_tokens
            .store(stats.prompt_tokens, Ordering::Relaxed);
        self.generation_tokens
            .store(stats.generation_tokens, Ordering::Relaxed);
        self.preemptions.store(stats.preemptions, Ordering::Relaxed);
        self.prefix_queries
            .store(stats.prefix_queries, Ordering::Relaxed);
        self.prefix_hits.store(stats.prefix_hits, Ordering::Relaxed);
    }

    /// A request started (fixed mode keeps the gauges itself).
    pub fn start_request(&self, prompt_tokens: u32) {
        self.running.fetch_add(1, Ordering::Relaxed);
        self.prompt_tokens
            .fetch_add(prompt_tokens as u64, Ordering::Relaxed);
    }

    /// A request ended (fixed mode).
    pub fn end_request(&self) {
        self.running.fetch_sub(1, Ordering::Relaxed);
    }

    /// Tokens generated (fixed mode).
    pub fn add_generated(&self, tokens: u64) {
        self.generation_tokens.fetch_add(tokens, Ordering::Relaxed);
    }

    /// Time to first token as the server saw it.
    pub fn observe_ttft(&self, seconds: f64) {
        self.ttft.observe(seconds);
    }

    /// Gap between tokens as the server saw it.
    pub fn observe_itl(&self, seconds: f64) {
        self.itl.observe(seconds);
    }

    /// A completed request's latency.
    pub fn observe_e2e(&self, seconds: f64) {
        self.success.fetch_add(1, Ordering::Relaxed);
        self.e2e.observe(seconds);
    }

    /// The gauges: (name, help, value).
    fn gauges(&self) -> [(&'static str, &'static str, f64); 4] {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let kv = load(&self.kv_usage_ppm) as f64 / 1e6;
        [
            (
                "vllm:num_requests_running",
                "Number of requests in model execution batches.",
                load(&self.running) as f64,
            ),
            (
                "vllm:num_requests_waiting",
                "Number of requests waiting to be processed.",
                load(&self.waiting) as f64,
            ),
            (
                "vllm:kv_cache_usage_perc",
                "KV-cache usage. 1 means 100 percent usage.",
                kv,
            ),
            (
                "vllm:gpu_cache_usage_perc",
                "GPU KV-cache usage (name before vLLM 0.10).",
                kv,
            ),
        ]
    }

    /// The counters: (name, help, value).
    fn counters(&self) -> [(&'static str, &'static str, &AtomicU64); 6] {
        [
            (
                "vllm:prompt_tokens",
                "Number of prefill tokens processed.",
                &self.prompt_tokens,
            ),
            (
                "vllm:generation_tokens",
                "Number of generation tokens processed.",
                &self.generation_tokens,
            ),
            (
                "vllm:num_preemptions",
                "Cumulative number of preemptions from the engine.",
                &self.preemptions,
            ),
            (
                "vllm:prefix_cache_queries",
                "Prefix cache queries, in terms of number of queried tokens.",
                &self.prefix_queries,
            ),
            (
                "vllm:prefix_cache_hits",
                "Prefix cache hits, in terms of number of cached tokens.",
                &self.prefix_hits,
            ),
            (
                "vllm:request_success",
                "Count of successfully processed requests.",
                &self.success,
            ),
        ]
    }

    /// The exposition text: gauges, counters, then histograms, in vLLM's names.
    pub fn render(&self, model: &str) -> String {
        let label = format!(
            "model_name=\"{}\"",
            model.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let histograms = [
            (
                &self.ttft,
                "vllm:time_to_first_token_seconds",
                "Histogram of time to first token in seconds.",
            ),
            (
                &self.itl,
                "vllm:inter_token_latency_seconds",
                "Histogram of inter-token latency in seconds.",
            ),
            (
                &self.itl,
                "vllm:time_per_output_token_seconds",
                "Histogram of time per output token in seconds (name before vLLM 0.11).",
            ),
            (
                &self.e2e,
                "vllm:e2e_request_latency_seconds",
                "Histogram of end to end request latency in seconds.",
            ),
        ];
        let mut out = String::with_capacity(8192);
        for (name, help, v) in self.gauges() {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name}{{{label}}} {v}"
            );
        }
        for (name, help, v) in self.counters() {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name}_total{{{label}}} {}",
                v.load(Ordering::Relaxed)
            );
        }
        for (histogram, name, help) in histograms {
            histogram.render(&mut out, name, help, &label);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = ServerMetrics::default();
        m.start_request(10);
        m.add_generated(5);
        m.observe_ttft(0.05);
        m.observe_ttft(3.0);
        m.observe_e2e(1.2);
        let t = m.render("org/m\"x");
        assert!(
            t.contains("vllm:num_requests_running{model_name=\"org/m\\\"x\"} 1"),
            "{t}"
        );
        assert!(t.contains("vllm:prompt_tokens_total{model_name=\"org/m\\\"x\"} 10"));
        assert!(t.contains(
            "vllm:time_to_first_token_seconds_bucket{le=\"0.06\",model_name=\"org/m\\\"x\"} 1"
        ));
        assert!(t.contains(
            "vllm:time_to_first_token_seconds_bucket{le=\"5.0\",model_name=\"org/m\\\"x\"} 2"
        ));
        assert!(t.contains("vllm:time_to_first_token_seconds_count{model_name=\"org/m\\\"x\"} 2"));
        assert!(t.contains("# TYPE vllm:e2e_request_latency_seconds histogram"));
    }
}
