//! What a run's telemetry says over its measurement window: the server's latency
//! percentiles from its histograms' growth across the window, its gauges' mean and peak,
//! its counters' growth.
//!
//! The window's histogram is the scrape at or after the window's end minus the last one
//! at or before its start: exact counts, percentiles exact to a bucket's width
//! ([`Buckets::quantile`]). Gauges are averaged over the scrapes inside the window.
//! Figures from several runs (repeats, shards) merge: histograms add, gauges weigh by
//! scrapes, counters add.

use crate::combine;
use crate::engine::{Engine, ServerSnapshot};
use crate::hist::Buckets;
use crate::sample::TelemetrySample;
use serde::{Deserialize, Serialize};

/// A server latency histogram over a window, with its percentiles in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LatencyFigures {
    /// Observations.
    pub count: f64,
    /// Mean, ms.
    pub mean_ms: Option<f64>,
    /// Median, ms.
    pub p50_ms: Option<f64>,
    /// 90th percentile, ms.
    pub p90_ms: Option<f64>,
    /// 95th percentile, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// The window's histogram (seconds), to merge with others'.
    pub buckets: Buckets,
}

impl LatencyFigures {
    /// From a window's histogram in seconds; `None` without observations.
    pub fn new(buckets: Buckets) -> Option<LatencyFigures> {
        if buckets.count() <= 0.0 {
            return None;
        }
        let ms = |q: f64| buckets.quantile(q).map(|s| s * 1e3);
        let (p50_ms, p90_ms, p95_ms, p99_ms) = (ms(0.5), ms(0.9), ms(0.95), ms(0.99));
        Some(LatencyFigures {
            count: buckets.count(),
            mean_ms: buckets.mean().map(|s| s * 1e3),
            p50_ms,
            p90_ms,
            p95_ms,
            p99_ms,
            buckets,
        })
    }

    fn merge(a: &mut Option<Self>, b: &Option<Self>) {
        match (a.as_mut(), b) {
            (_, None) => {}
            (None, Some(b)) => *a = Some(b.clone()),
            (Some(x), Some(y)) => {
                let mut sum = x.buckets.clone();
                if sum.add(&y.buckets) {
                    *a = LatencyFigures::new(sum);
                }
            }
        }
    }
}

/// A gauge over a window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GaugeFigures {
    /// Mean over the scrapes.
    pub mean: f64,
    /// Highest scraped.
    pub max: f64,
    /// Scrapes it is over.
    pub scrapes: u64,
}

impl GaugeFigures {
    fn of(values: impl Iterator<Item = f64>) -> Option<GaugeFigures> {
        let (mut n, mut sum, mut max) = (0u64, 0.0, f64::NEG_INFINITY);
        for v in values.filter(|v| v.is_finite()) {
            n += 1;
            sum += v;
            max = max.max(v);
        }
        (n > 0).then(|| GaugeFigures {
            mean: sum / n as f64,
            max,
            scrapes: n,
        })
    }

    fn merge(a: &mut Option<Self>, b: &Option<Self>) {
        match (a.as_mut(), b) {
            (_, None) => {}
            (None, Some(b)) => *a = Some(*b),
            (Some(x), Some(y)) => {
                let n = x.scrapes + y.scrapes;
                x.mean = (x.mean * x.scrapes as f64 + y.mean * y.scrapes as f64) / n as f64;
                x.max = x.max.max(y.max);
                x.scrapes = n;
            }
        }
    }
}

/// The server's own view of a run's measurement window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServerFigures {
    /// The engine.
    pub engine: Engine,
    /// Scrapes taken during the run.
    pub scrapes: u64,
    /// Scrapes that failed (each is in `telemetry.jsonl` with its error).
    pub failed_scrapes: u64,
    /// Server-side time to first token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft: Option<LatencyFigures>,
    /// Server-side inter-token latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itl: Option<LatencyFigures>,
    /// Server-side end-to-end latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e2e: Option<LatencyFigures>,
    /// Time queued in the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_time: Option<LatencyFigures>,
    /// Tokens per engine step over the window (vLLM): its histogram, whose mean is the
    /// batch's token occupancy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iteration_tokens: Option<Buckets>,
    /// Requests in the batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<GaugeFigures>,
    /// Requests queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<GaugeFigures>,
    /// KV-cache usage, 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv_usage: Option<GaugeFigures>,
    /// Requests preempted in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preemptions: Option<f64>,
    /// Prompt tokens processed in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<f64>,
    /// Tokens generated in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_tokens: Option<f64>,
    /// Prompt tokens looked up in the prefix cache in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_queries: Option<f64>,
    /// Of those, found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_hits: Option<f64>,
    /// The server's own prefix-cache hit rate (SGLang), averaged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_hit_rate_gauge: Option<GaugeFigures>,
}

/// What a histogram gained between two scrapes; `None` without observations.
fn grew_hist(base: Option<&Buckets>, end: Option<&Buckets>) -> Option<Buckets> {
    end?.since(base?).filter(|b| b.count() > 0.0)
}

impl ServerFigures {
    /// The figures of `samples` (a run's, in time order) over the window `[from, to]`
    /// (µs on the run's clock). `None` when no scrape succeeded.
    pub fn over(samples: &[TelemetrySample], from: i64, to: i64) -> Option<ServerFigures> {
        let ok: Vec<(i64, &ServerSnapshot)> = samples
            .iter()
            .filter_map(|s| Some((s.t_us, s.server.as_ref()?)))
            .collect();
        let scrapes = samples.iter().filter(|s| s.is_server()).count() as u64;
        let base = ok.iter().rev().find(|(t, _)| *t <= from).or(ok.first())?.1;
        let end = ok.iter().find(|(t, _)| *t >= to).or(ok.last())?.1;
        let inside: Vec<&ServerSnapshot> = ok
            .iter()
            .filter(|(t, _)| *t >= from && *t <= to)
            .map(|(_, s)| *s)
            .collect();
        let inside = if inside.is_empty() { vec![end] } else { inside };
        let gauge = |f: fn(&ServerSnapshot) -> Option<f64>| {
            GaugeFigures::of(inside.iter().filter_map(|s| f(s)))
        };
        let grew = |f: fn(&ServerSnapshot) -> Option<f64>| {
            let d = f(end)? - f(base)?;
            (d >= 0.0).then_some(d)
        };
        let window = |f: fn(&ServerSnapshot) -> Option<&Buckets>| {
            LatencyFigures::new(f(end)?.since(f(base)?)?)
        };
        Some(ServerFigures {
            engine: end.engine,
            scrapes,
            failed_scrapes: scrapes - ok.len() as u64,
            ttft: window(|s| s.ttft.as_ref()),
            itl: window(|s| s.itl.as_ref()),
            e2e: window(|s| s.e2e.as_ref()),
            queue_time: window(|s| s.queue_time.as_ref()),
            iteration_tokens: grew_hist(
                base.iteration_tokens.as_ref(),
                end.iteration_tokens.as_ref(),
            ),
            running: gauge(|s| s.running),
            waiting: gauge(|s| s.waiting),
            kv_usage: gauge(|s| s.kv_usage),
            preemptions: grew(|s| s.preemptions),
            prompt_tokens: grew(|s| s.prompt_tokens),
            generation_tokens: grew(|s| s.generation_tokens),
            prefix_queries: grew(|s| s.prefix_queries),
            prefix_hits: grew(|s| s.prefix_hits),
            prefix_hit_rate_gauge: gauge(|s| s.prefix_hit_rate),
        })
    }

    /// Prefix-cache hits ÷ queries in the window, or the server's own rate.
    pub fn prefix_hit_rate(&self) -> Option<f64> {
        match (self.prefix_hits, self.prefix_queries) {
            (Some(h), Some(q)) if q > 0.0 => Some(h / q),
            _ => self.prefix_hit_rate_gauge.map(|g| g.mean),
        }
    }

    /// Adds another run's figures (a repeat, a shard).
    pub fn merge(&mut self, o: &ServerFigures) {
        self.scrapes += o.scrapes;
        self.failed_scrapes += o.failed_scrapes;
        LatencyFigures::merge(&mut self.ttft, &o.ttft);
        LatencyFigures::merge(&mut self.itl, &o.itl);
        LatencyFigures::merge(&mut self.e2e, &o.e2e);
        LatencyFigures::merge(&mut self.queue_time, &o.queue_time);
        match (&mut self.iteration_tokens, &o.iteration_tokens) {
            (Some(a), Some(b)) => {
                if !a.add(b) {
                    self.iteration_tokens = None;
                }
            }
            (None, Some(b)) => self.iteration_tokens = Some(b.clone()),
            (_, None) => {}
        }
        GaugeFigures::merge(&mut self.running, &o.running);
        GaugeFigures::merge(&mut self.waiting, &o.waiting);
        GaugeFigures::merge(&mut self.kv_usage, &o.kv_usage);
        GaugeFigures::merge(&mut self.prefix_hit_rate_gauge, &o.prefix_hit_rate_gauge);
        for (a, b) in [
            (&mut self.preemptions, o.preemptions),
            (&mut self.prompt_tokens, o.prompt_tokens),
            (&mut self.generation_tokens, o.generation_tokens),
            (&mut self.prefix_queries, o.prefix_queries),
            (&mut self.prefix_hits, o.prefix_hits),
        ] {
            *a = combine(*a, b, |x, y| x + y);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prom::parse;
    use crate::sample::Source;

    fn at(t_us: i64, text: &str) -> TelemetrySample {
        TelemetrySample::server(t_us, ServerSnapshot::from_exposition(&parse(text)))
    }

    fn scrape(running: u32, ttft_fast: u32, ttft_all: u32, generated: u32) -> String {
        format!(
            "vllm:num_requests_running{{engine=\"0\"}} {running}\n\
             vllm:generation_tokens_total{{engine=\"0\"}} {generated}\n\
             vllm:time_to_first_token_seconds_bucket{{engine=\"0\",le=\"0.1\"}} {ttft_fast}\n\
             vllm:time_to_first_token_seconds_bucket{{engine=\"0\",le=\"1.0\"}} {ttft_all}\n\
             vllm:time_to_first_token_seconds_bucket{{engine=\"0\",le=\"+Inf\"}} {ttft_all}\n\
             vllm:time_to_first_token_seconds_sum{{engine=\"0\"}} {}\n",
            ttft_all as f64 * 0.2
        )
    }

    #[test]
    fn the_window_is_what_grew_between_the_scrapes_around_it() {
        let samples = vec![
            at(-500_000, &scrape(0, 5, 5, 100)),
            at(1_000_000, &scrape(8, 10, 20, 400)),
            TelemetrySample::failed(2_000_000, Source::Server, "connection refused".into()),
            at(3_000_000, &scrape(6, 15, 35, 900)),
            at(5_000_000, &scrape(0, 15, 35, 1000)),
        ];
        let f = ServerFigures::over(&samples, 0, 4_000_000).unwrap();
        assert_eq!(f.engine, Engine::Vllm);
        assert_eq!((f.scrapes, f.failed_scrapes), (5, 1));
        // From the scrape before the window (at −0.5 s) to the first after it (5 s).
        assert_eq!(f.generation_tokens, Some(900.0));
        let ttft = f.ttft.as_ref().unwrap();
        assert_eq!(ttft.count, 30.0);
        // 10 of 30 within 100 ms; the median is 5 of the 20 in (0.1, 1] s.
        assert!((ttft.p50_ms.unwrap() - (100.0 + 900.0 * 5.0 / 20.0)).abs() < 1e-9);
        // Gauges: the scrapes inside the window.
        let running = f.running.unwrap();
        assert_eq!((running.mean, running.max, running.scrapes), (7.0, 8.0, 2));
        let mut twice = f.clone();
        twice.merge(&f);
        assert_eq!(twice.ttft.unwrap().count, 60.0);
        assert_eq!(twice.generation_tokens, Some(1800.0));
        assert_eq!(twice.running.unwrap().scrapes, 4);
        assert!(ServerFigures::over(&samples[2..3], 0, 1).is_none());
    }
}
