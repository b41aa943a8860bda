//! Calibration points: published measurements the model is checked against.
//!
//! Each point states the scenario, the measured figure, where it comes from, and the
//! assumptions needed where the source is silent. `cargo run -p headroom-sim --example
//! calibrate` prints the table in `docs/simulator.md`; a test keeps every error within the
//! bound documented there.

use crate::catalog::Catalog;
use crate::perf::{BatchShape, CostModel, KvCacheDtype, SimSpec};
use crate::runner::VirtualRunner;
use headroom_core::{
    LoadPolicy, Prompt, RequestRecord, RequestSource, RequestSpec, RunPlan, StopRule, Warmup,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;
use std::time::Duration;

/// One published measurement and the model's prediction of it.
#[derive(Debug, Clone)]
pub struct CalibrationPoint {
    /// Short name.
    pub name: String,
    /// Where the measurement comes from.
    pub source: &'static str,
    /// What is compared, with its unit.
    pub metric: &'static str,
    /// The published figure.
    pub measured: f64,
    /// The model's figure.
    pub predicted: f64,
    /// Assumptions where the source is silent.
    pub assumptions: &'static str,
    /// The largest error the docs promise for this point (infinite for rows shown only to
    /// explain a sensitivity).
    pub bound: f64,
}

impl CalibrationPoint {
    /// Signed relative error of the prediction.
    pub fn error(&self) -> f64 {
        (self.predicted - self.measured) / self.measured
    }
}

/// Uniform lengths from a seed: request `i` depends only on `(seed, i)`.
struct Uniform {
    input: (u32, u32),
    output: (u32, u32),
    seed: u64,
}

impl RequestSource for Uniform {
    fn request(&self, index: u64) -> RequestSpec {
        let mut rng = ChaCha8Rng::seed_from_u64(headroom_core::seed::mix(
            self.seed ^ headroom_core::seed::mix(index),
        ));
        let n = rng.random_range(self.input.0..=self.input.1);
        let out = rng.random_range(self.output.0..=self.output.1);
        // Unique words per request: no accidental prefix-cache hits.
        let words: Vec<String> = (0..n).map(|k| format!("r{index}w{k}")).collect();
        RequestSpec::new(Prompt::Text(words.join(" ")), n, out)
    }
}

fn closed(
    spec: SimSpec,
    concurrency: u32,
    requests: u64,
    src: Uniform,
) -> (Vec<RequestRecord>, f64) {
    let plan = RunPlan {
        load: LoadPolicy::Closed { concurrency },
        stop: StopRule {
            requests: Some(requests),
            duration: None,
        },
        warmup: Warmup::None,
        seed: 1,
        grace: Duration::from_secs(1),
        conversation: None,
    };
    let mut recs = Vec::new();
    let info = VirtualRunner::new(spec, Arc::new(src))
        .simulate(&plan, &mut recs)
        .unwrap_or_else(|e| panic!("calibration scenario failed: {e}"));
    (recs, info.elapsed_us as f64 / 1e6)
}

fn spec(c: &Catalog, gpu: &str, model: &str, tweak: &dyn Fn(&mut SimSpec)) -> SimSpec {
    let mut s = SimSpec::new(c, gpu, model).unwrap_or_else(|e| panic!("{e}"));
    tweak(&mut s);
    s
}

/// Every request's E2E latency, seconds.
fn e2e_seconds(recs: &[RequestRecord]) -> Vec<f64> {
    recs.iter()
        .filter_map(|r| r.e2e_us())
        .map(|u| u as f64 / 1e6)
        .collect()
}

fn percentile(mut v: Vec<f64>, q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Steady decode throughput, tokens/s, of `batch` requests at context `ctx`.
fn decode_rate(m: &CostModel, batch: u32, ctx: u64) -> f64 {
    let mut b = BatchShape::default();
    for _ in 0..batch {
        b.add(ctx, 1, true);
    }
    batch as f64 * 1e6 / m.step_us(&b)
}

/// Every calibration point with the model's prediction.
pub fn points(catalog: &Catalog) -> Vec<CalibrationPoint> {
    points_with(catalog, &|_| {})
}

/// Every calibration point, with `tweak` applied to each scenario's spec after its
/// defaults (for fitting constants, or checking a user's own).
pub fn points_with(catalog: &Catalog, tweak: &dyn Fn(&mut SimSpec)) -> Vec<CalibrationPoint> {
    let mut out = Vec::new();
    offline_throughput(catalog, tweak, &mut out);
    a10_latency(catalog, tweak, &mut out);
    genai_perf_sweep(catalog, tweak, &mut out);
    llama_decode_rates(catalog, tweak, &mut out);
    out
}

/// Seed 003: KV blocks and offline throughput on an RTX 3090.
fn offline_throughput(
    catalog: &Catalog,
    tweak: &dyn Fn(&mut SimSpec),
    out: &mut Vec<CalibrationPoint>,
) {
    // Seed 003: offline throughput, RTX 3090, Qwen2-1.5B, vLLM 0.6.1 (V0 scheduler, no
    // chunked prefill or prefix caching, profiling with max_model_len tokens).
    let mut s = spec(catalog, "rtx3090", "qwen2-1.5b", tweak);
    s.settings.chunked_prefill = false;
    s.settings.prefix_caching = false;
    s.settings.max_model_len = 32768;
    s.settings.max_num_batched_tokens = 32768;
    let blocks = CostModel::new(&s).map_or(0, |m| m.total_blocks);
    out.push(CalibrationPoint {
        name: "seed 003: KV blocks".into(),
        source: "seed 003 (vLLM log)",
        metric: "GPU blocks",
        measured: 37_416.0,
        predicted: blocks as f64,
        assumptions: "profiling pass of 32768 tokens (V0 without chunked prefill)",
        bound: 0.02,
    });
    let (recs, secs) = closed(
        s,
        256,
        256,
        Uniform {
            input: (4, 12),
            output: (100, 1024),
            seed: 3,
        },
    );
    let tokens: u64 = recs.iter().map(|r| r.output_tokens as u64).sum();
    out.push(CalibrationPoint {
        name: "seed 003: offline throughput".into(),
        source: "seed 003",
        metric: "output tok/s",
        measured: 144_831.0 / 25.43,
        predicted: tokens as f64 / secs,
        assumptions: "256 requests at once, output uniform 100..1024, ignore_eos; prompts of ~8 tokens: vLLM's progress bar logged 80.65 input tok/s over 25.43 s (≈ 2,050 prompt tokens in all), although the plan says inputs up to 1,024",
        bound: 0.15,
    });
}

/// Seed 000: P95 latency on an A10 at 10 concurrent requests.
fn a10_latency(catalog: &Catalog, tweak: &dyn Fn(&mut SimSpec), out: &mut Vec<CalibrationPoint>) {
    // Seed 000: A10, Qwen3-8B-AWQ, 10 concurrent, P95 E2E 3.81 s. The seed gives no token
    // lengths; the table uses ShareGPT-like means and shows the sensitivity to that choice.
    for (input, output, assumption, bound) in [
        (
            200u32,
            200u32,
            "lengths not stated: ShareGPT-like means, 200 in and 200 out; the L20 plan's flags (max-model-len 8192, utilisation 0.85, max-num-seqs 50)",
            0.15,
        ),
        (
            512,
            256,
            "sensitivity, not a fit: the same with 512 in and 256 out",
            f64::INFINITY,
        ),
    ] {
        let mut s = spec(catalog, "a10", "qwen3-8b-awq", tweak);
        s.settings.max_model_len = 8192;
        s.settings.gpu_memory_utilization = 0.85;
        s.settings.max_num_seqs = 50;
        let (recs, _) = closed(
            s,
            10,
            200,
            Uniform {
                input: (input, input),
                output: (output, output),
                seed: 0,
            },
        );
        let e2e = e2e_seconds(&recs);
        out.push(CalibrationPoint {
            name: format!("seed 000: A10 P95 E2E at 10 concurrent ({input} in, {output} out)"),
            source: "seed 000",
            metric: "P95 E2E, s",
            measured: 3.81,
            predicted: percentile(e2e, 0.95),
            assumptions: assumption,
            bound,
        });
    }
}

/// Seed 004: mean latency of the genai-perf concurrency sweep on an A10G.
fn genai_perf_sweep(
    catalog: &Catalog,
    tweak: &dyn Fn(&mut SimSpec),
    out: &mut Vec<CalibrationPoint>,
) {
    // Seed 004: A10G, gpt-oss-20b MXFP4, ISL 200±20, OSL ~100 (server tokens), genai-perf
    // at concurrency 10..200 with 10 prompts per unit of concurrency. The published
    // throughput × mean latency (Little's law) shows the concurrency genai-perf actually
    // held fell short at high levels (63 of 80, 78 of 120, 110 of 200): the client, not the
    // server, limited those runs. So the model is run at the concurrency actually held and
    // the mean request latency is compared.
    for (conc, rps, mean_latency) in [
        (10u32, 1.91f64, 5.04338f64),
        (20, 4.42, 4.30556),
        (40, 6.15, 6.09043),
        (80, 6.58, 9.58024),
        (120, 7.80, 9.94511),
        (200, 6.14, 17.846),
    ] {
        let held = (rps * mean_latency).round() as u32;
        let mut s = spec(catalog, "a10g", "gpt-oss-20b", tweak);
        s.settings.max_model_len = 100_000;
        let (recs, _) = closed(
            s,
            held,
            10 * conc as u64,
            Uniform {
                input: (165, 195),
                output: (90, 110),
                seed: 4,
            },
        );
        let e2e = e2e_seconds(&recs);
        out.push(CalibrationPoint {
            name: format!("seed 004: A10G gpt-oss-20b, concurrency {conc} (held {held})"),
            source: "seed 004 (genai-perf)",
            metric: "mean E2E, s",
            measured: mean_latency,
            predicted: e2e.iter().sum::<f64>() / e2e.len().max(1) as f64,
            assumptions: if conc == 10 {
                "as below; the first run of the series, slower than the run at twice its load (likely Triton JIT warm-up), so no model matches both"
            } else {
                "run at the concurrency held (throughput × latency); ISL ≈ 180±15 model tokens (200±20 Llama tokens); OSL 100±10 (max_tokens)"
            },
            bound: if conc == 10 { 0.25 } else { 0.15 },
        });
    }
}

/// Second-hand Llama-3.1-8B decode rates on three GPUs.
fn llama_decode_rates(
    catalog: &Catalog,
    tweak: &dyn Fn(&mut SimSpec),
    out: &mut Vec<CalibrationPoint>,
) {
    // Second-hand Llama-3.1-8B decode rates (engine and precision not stated).
    for (gpu, rates) in [
        ("h100", [93.0, 688.0, 2462.0]),
        ("a100-80gb", [79.0, 603.0, 1933.0]),
        ("l40s", [44.0, 325.0, 1124.0]),
    ] {
        let mut s = spec(catalog, gpu, "llama-3.1-8b", tweak);
        s.settings.max_model_len = 8192;
        s.settings.kv_cache_dtype = KvCacheDtype::Auto;
        let Ok(m) = CostModel::new(&s) else { continue };
        for (batch, measured) in [1u32, 8, 32].into_iter().zip(rates) {
            out.push(CalibrationPoint {
                name: format!("Llama-3.1-8B decode, {} batch {batch}", s.gpu.name),
                source: "second-hand (simulator-facts.md)",
                metric: "decode tok/s",
                measured,
                predicted: decode_rate(&m, batch, 1024),
                assumptions: "bf16; context 1,024 tokens",
                bound: 0.15,
            });
        }
    }
}

/// The points as a Markdown table.
pub fn table(points: &[CalibrationPoint]) -> String {
    let mut s = String::from(
        "| point | metric | measured | predicted | error | assumptions |\n|---|---|---|---|---|---|\n",
    );
    for p in points {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {:+.1} % | {} |\n",
            p.name,
            p.metric,
            fmt(p.measured),
            fmt(p.predicted),
            p.error() * 100.0,
            p.assumptions
        ));
    }
    s
}

fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The errors documented in docs/simulator.md stay true.
    #[test]
    fn every_calibration_point_is_within_its_documented_bound() {
        let pts = points(&Catalog::builtin());
        assert!(pts.len() >= 18);
        for p in &pts {
            assert!(
                p.error().abs() <= p.bound,
                "{}: predicted {:.3}, measured {:.3} ({:+.1} %, bound {:.0} %)",
                p.name,
                p.predicted,
                p.measured,
                p.error() * 100.0,
                p.bound * 100.0
            );
        }
    }
}
