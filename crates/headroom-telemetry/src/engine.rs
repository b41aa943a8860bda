//! Engine maps: which of a server's metrics mean what, by engine, detected from the names.
//!
//! Every engine's figures land in one [`ServerSnapshot`]: requests running and waiting,
//! KV-cache usage (a fraction), preemptions, prompt and generated tokens, prefix-cache
//! queries and hits, finished requests, and the TTFT, inter-token, end-to-end and
//! queue-time histograms. A name with several spellings (vLLM renamed its KV-cache gauge
//! and its inter-token histogram) is looked up under each. Series with several label sets
//! (engines, models) are summed, fractions averaged. An engine this does not know keeps
//! its gauges and counters as raw series.

use crate::hist::Buckets;
use crate::prom::{Exposition, Kind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The serving engine behind a `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// vLLM (`vllm:`).
    Vllm,
    /// SGLang (`sglang:`).
    Sglang,
    /// Hugging Face TGI (`tgi_`).
    Tgi,
    /// llama.cpp's server (`llamacpp:`).
    LlamaCpp,
    /// TensorRT-LLM behind Triton (`nv_trt_llm_`).
    TensorrtLlm,
    /// None of these: raw series only.
    Unknown,
}

impl Engine {
    /// How people write it.
    pub fn label(self) -> &'static str {
        match self {
            Engine::Vllm => "vLLM",
            Engine::Sglang => "SGLang",
            Engine::Tgi => "TGI",
            Engine::LlamaCpp => "llama.cpp",
            Engine::TensorrtLlm => "TensorRT-LLM",
            Engine::Unknown => "unknown engine",
        }
    }

    /// The engine whose names the exposition uses.
    pub fn detect(e: &Exposition) -> Engine {
        let has = |prefix: &str| e.samples.iter().any(|s| s.name.starts_with(prefix));
        [
            ("vllm:", Engine::Vllm),
            ("sglang:", Engine::Sglang),
            ("tgi_", Engine::Tgi),
            ("llamacpp:", Engine::LlamaCpp),
            ("nv_trt_llm_", Engine::TensorrtLlm),
        ]
        .into_iter()
        .find(|(p, _)| has(p))
        .map_or(Engine::Unknown, |(_, engine)| engine)
    }
}

/// What one scrape of a server says, mapped to the same figures whatever the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServerSnapshot {
    /// The engine.
    pub engine: Engine,
    /// Requests being generated (in the batch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<f64>,
    /// Requests queued for the batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<f64>,
    /// KV-cache usage, 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv_usage: Option<f64>,
    /// Prefix-cache hit rate the server computes itself (SGLang), 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_hit_rate: Option<f64>,
    /// Counter: requests preempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preemptions: Option<f64>,
    /// Counter: prompt tokens processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<f64>,
    /// Counter: tokens generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_tokens: Option<f64>,
    /// Counter: prompt tokens looked up in the prefix cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_queries: Option<f64>,
    /// Counter: prompt tokens found in the prefix cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_hits: Option<f64>,
    /// Counter: requests finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_finished: Option<f64>,
    /// Time to first token, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft: Option<Buckets>,
    /// Inter-token latency, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itl: Option<Buckets>,
    /// End-to-end request latency, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e2e: Option<Buckets>,
    /// Time queued before the batch took the request, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_time: Option<Buckets>,
    /// Tokens per engine step (vLLM's iterations: prefill and decode tokens in one batch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iteration_tokens: Option<Buckets>,
    /// An unknown engine's gauges and counters, by series (`name{labels}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub raw: BTreeMap<String, f64>,
    /// Lines of the scrape that could not be read.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped_lines: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Each figure's names, in the order tried.
struct Names {
    running: &'static [&'static str],
    waiting: &'static [&'static str],
    kv_usage: &'static [&'static str],
    prefix_hit_rate: &'static [&'static str],
    preemptions: &'static [&'static str],
    prompt_tokens: &'static [&'static str],
    generation_tokens: &'static [&'static str],
    prefix_queries: &'static [&'static str],
    prefix_hits: &'static [&'static str],
    requests_finished: &'static [&'static str],
    ttft: &'static [&'static str],
    itl: &'static [&'static str],
    e2e: &'static [&'static str],
    queue_time: &'static [&'static str],
    iteration_tokens: &'static [&'static str],
}

const NONE: &[&str] = &[];

const VLLM: Names = Names {
    running: &["vllm:num_requests_running"],
    waiting: &["vllm:num_requests_waiting"],
    // Renamed in v1; the old name is still served by older releases.
    kv_usage: &["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"],
    preemptions: &["vllm:num_preemptions_total", "vllm:num_preemptions"],
    prompt_tokens: &["vllm:prompt_tokens_total"],
    generation_tokens: &["vllm:generation_tokens_total"],
    prefix_queries: &[
        "vllm:prefix_cache_queries_total",
        "vllm:gpu_prefix_cache_queries_total",
    ],
    prefix_hits: &[
        "vllm:prefix_cache_hits_total",
        "vllm:gpu_prefix_cache_hits_total",
    ],
    requests_finished: &["vllm:request_success_total"],
    ttft: &["vllm:time_to_first_token_seconds"],
    itl: &[
        "vllm:inter_token_latency_seconds",
        "vllm:time_per_output_token_seconds",
    ],
    e2e: &["vllm:e2e_request_latency_seconds"],
    queue_time: &["vllm:request_queue_time_seconds"],
    iteration_tokens: &["vllm:iteration_tokens_total"],
    ..NO_NAMES
};

const SGLANG: Names = Names {
    running: &["sglang:num_running_reqs"],
    waiting: &["sglang:num_queue_reqs"],
    kv_usage: &["sglang:token_usage"],
    prefix_hit_rate: &["sglang:cache_hit_rate"],
    preemptions: &["sglang:num_retracted_reqs_total"],
    prompt_tokens: &["sglang:prompt_tokens_total"],
    generation_tokens: &["sglang:generation_tokens_total"],
    prefix_hits: &["sglang:cached_tokens_total"],
    requests_finished: &["sglang:num_requests_total"],
    ttft: &["sglang:time_to_first_token_seconds"],
    itl: &[
        "sglang:inter_token_latency_seconds",
        "sglang:time_per_output_token_seconds",
    ],
    e2e: &["sglang:e2e_request_latency_seconds"],
    queue_time: &["sglang:queue_time_seconds"],
    ..NO_NAMES
};

const TGI: Names = Names {
    running: &["tgi_batch_current_size"],
    waiting: &["tgi_queue_size"],
    requests_finished: &["tgi_request_success"],
    itl: &["tgi_request_mean_time_per_token_duration"],
    e2e: &["tgi_request_duration"],
    queue_time: &["tgi_request_queue_duration"],
    ..NO_NAMES
};

const LLAMA_CPP: Names = Names {
    running: &["llamacpp:requests_processing"],
    waiting: &["llamacpp:requests_deferred"],
    kv_usage: &["llamacpp:kv_cache_usage_ratio"],
    prompt_tokens: &["llamacpp:prompt_tokens_total"],
    generation_tokens: &["llamacpp:tokens_predicted_total"],
    prefix_hits: &["llamacpp:prompt_tokens_cached_total"],
    ..NO_NAMES
};

const NO_NAMES: Names = Names {
    running: NONE,
    waiting: NONE,
    kv_usage: NONE,
    prefix_hit_rate: NONE,
    preemptions: NONE,
    prompt_tokens: NONE,
    generation_tokens: NONE,
    prefix_queries: NONE,
    prefix_hits: NONE,
    requests_finished: NONE,
    ttft: NONE,
    itl: NONE,
    e2e: NONE,
    queue_time: NONE,
    iteration_tokens: NONE,
};

/// The sum of the first of `names` present, over its label sets.
fn sum(e: &Exposition, names: &[&str]) -> Option<f64> {
    names.iter().find_map(|n| {
        let mut it = e.named(n).map(|s| s.value).peekable();
        it.peek()?;
        Some(it.sum())
    })
}

/// The mean of the first of `names` present, over its label sets (fractions).
fn mean(e: &Exposition, names: &[&str]) -> Option<f64> {
    names.iter().find_map(|n| {
        let v: Vec<f64> = e.named(n).map(|s| s.value).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    })
}

fn hist(e: &Exposition, names: &[&str]) -> Option<Buckets> {
    names.iter().find_map(|n| Buckets::from_exposition(e, n))
}

/// The value of `name` where its label `key` is `value`, summed.
fn labelled(e: &Exposition, name: &str, key: &str, value: &str) -> Option<f64> {
    let mut it = e
        .named(name)
        .filter(|s| s.label(key) == Some(value))
        .map(|s| s.value)
        .peekable();
    it.peek()?;
    Some(it.sum())
}

impl ServerSnapshot {
    /// Maps a scrape.
    pub fn from_exposition(e: &Exposition) -> ServerSnapshot {
        let engine = Engine::detect(e);
        let n = match engine {
            Engine::Vllm => &VLLM,
            Engine::Sglang => &SGLANG,
            Engine::Tgi => &TGI,
            Engine::LlamaCpp => &LLAMA_CPP,
            Engine::TensorrtLlm | Engine::Unknown => &NO_NAMES,
        };
        let mut s = ServerSnapshot {
            engine,
            running: sum(e, n.running),
            waiting: sum(e, n.waiting),
            kv_usage: mean(e, n.kv_usage),
            prefix_hit_rate: mean(e, n.prefix_hit_rate),
            preemptions: sum(e, n.preemptions),
            prompt_tokens: sum(e, n.prompt_tokens),
            generation_tokens: sum(e, n.generation_tokens),
            prefix_queries: sum(e, n.prefix_queries),
            prefix_hits: sum(e, n.prefix_hits),
            requests_finished: sum(e, n.requests_finished),
            ttft: hist(e, n.ttft),
            itl: hist(e, n.itl),
            e2e: hist(e, n.e2e),
            queue_time: hist(e, n.queue_time),
            iteration_tokens: hist(e, n.iteration_tokens),
            raw: BTreeMap::new(),
            skipped_lines: e.skipped,
        };
        match engine {
            // llama.cpp counts cached prompt tokens apart from the ones it processed.
            Engine::LlamaCpp => {
                if let (Some(p), Some(h)) = (s.prompt_tokens, s.prefix_hits) {
                    s.prefix_queries = Some(p + h);
                }
            }
            // Triton's TensorRT-LLM backend: request and KV-block counts by type.
            Engine::TensorrtLlm => {
                let r = "nv_trt_llm_request_metrics";
                s.running = labelled(e, r, "request_type", "active");
                let kv = "nv_trt_llm_kv_cache_block_metrics";
                let used = labelled(e, kv, "kv_cache_block_type", "used");
                let max = labelled(e, kv, "kv_cache_block_type", "max");
                s.kv_usage = used.zip(max).filter(|(_, m)| *m > 0.0).map(|(u, m)| u / m);
            }
            Engine::Unknown => s.raw = raw(e),
            _ => {}
        }
        s
    }
}

/// An unknown engine's gauges, counters and untyped series, by `name{labels}`.
fn raw(e: &Exposition) -> BTreeMap<String, f64> {
    e.samples
        .iter()
        .filter(|s| {
            matches!(
                e.kind_of(&s.name),
                Kind::Counter | Kind::Gauge | Kind::Untyped
            ) && !s.name.ends_with("_created")
        })
        .map(|s| {
            let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            let key = match labels.is_empty() {
                true => s.name.clone(),
                false => format!("{}{{{}}}", s.name, labels.join(",")),
            };
            (key, s.value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prom::parse;

    #[test]
    fn tensorrt_llm_counts_come_from_labelled_series() {
        let e = parse(
            "nv_trt_llm_request_metrics{request_type=\"active\"} 5\n\
             nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"used\"} 30\n\
             nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"max\"} 120\n",
        );
        let s = ServerSnapshot::from_exposition(&e);
        assert_eq!(s.engine, Engine::TensorrtLlm);
        assert_eq!(s.running, Some(5.0));
        assert_eq!(s.kv_usage, Some(0.25));
    }

    #[test]
    fn an_unknown_engine_keeps_its_raw_series() {
        let e = parse("# TYPE q gauge\nq{pool=\"a\"} 3\nq_created 17\nup 1\n");
        let s = ServerSnapshot::from_exposition(&e);
        assert_eq!(s.engine, Engine::Unknown);
        assert_eq!(s.raw.get("q{pool=\"a\"}"), Some(&3.0));
        assert_eq!(s.raw.get("up"), Some(&1.0));
        assert!(!s.raw.contains_key("q_created"));
    }

    #[test]
    fn old_vllm_names_are_read_too() {
        let e = parse(
            "vllm:gpu_cache_usage_perc{engine=\"0\"} 0.5\nvllm:gpu_cache_usage_perc{engine=\"1\"} 0.7\nvllm:num_requests_running{engine=\"0\"} 3\nvllm:num_requests_running{engine=\"1\"} 4\n",
        );
        let s = ServerSnapshot::from_exposition(&e);
        assert_eq!(s.engine, Engine::Vllm);
        assert!(
            (s.kv_usage.unwrap() - 0.6).abs() < 1e-12,
            "fractions average"
        );
        assert_eq!(s.running, Some(7.0), "counts add");
    }
}
