//! The cost model: KV capacity and the time of one engine step.
//!
//! A roofline per step: the matmul and attention FLOPs against the GPU's peak (with
//! separate efficiency for prefill and decode), the bytes moved (weights once per step,
//! MoE experts only as far as the batch touches them, KV read and written) against its
//! bandwidth, plus fixed GPU costs per layer and CPU costs per step and per request. Every
//! constant is named in [`PerfConstants`], documented in `docs/simulator.md`, and
//! overridable with `--perf NAME=VALUE`.

mod constants;

use crate::catalog::{Arch, Catalog, CatalogError, Gpu, Model, WeightFormat};
pub use constants::{ConstantError, PerfConstants};
use serde::Serialize;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// KV-cache element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KvCacheDtype {
    /// The model's 16-bit type.
    Auto,
    /// FP8: half the bytes per token.
    Fp8,
}

impl KvCacheDtype {
    /// Bytes per element.
    pub fn bytes(self) -> f64 {
        match self {
            KvCacheDtype::Auto => 2.0,
            KvCacheDtype::Fp8 => 1.0,
        }
    }
}

/// A `--kv-cache-dtype` that is neither `auto` nor `fp8`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid kv-cache dtype {0:?}: expected auto or fp8")]
pub struct KvCacheDtypeError(pub String);

impl std::str::FromStr for KvCacheDtype {
    type Err = KvCacheDtypeError;
    fn from_str(s: &str) -> Result<Self, KvCacheDtypeError> {
        match s.to_ascii_lowercase().as_str() {
            "auto" | "bf16" | "fp16" | "bfloat16" | "float16" => Ok(KvCacheDtype::Auto),
            "fp8" | "fp8_e4m3" | "fp8-e4m3" | "fp8_e5m2" => Ok(KvCacheDtype::Fp8),
            _ => Err(KvCacheDtypeError(s.to_string())),
        }
    }
}

/// Engine settings, under vLLM's names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineSettings {
    /// Most requests running at once.
    pub max_num_seqs: u32,
    /// Token budget of one step.
    pub max_num_batched_tokens: u32,
    /// Share of GPU memory vLLM may use.
    pub gpu_memory_utilization: f64,
    /// Tokens per KV block.
    pub block_size: u32,
    /// KV element type.
    pub kv_cache_dtype: KvCacheDtype,
    /// Long prompts are split across steps and mixed with decodes (vLLM V1).
    pub chunked_prefill: bool,
    /// Identical prompt prefixes reuse cached KV blocks.
    pub prefix_caching: bool,
    /// Longest context a request may have.
    pub max_model_len: u64,
    /// GPUs the model is split across.
    pub tensor_parallel_size: u32,
    /// CPU scheduling overlaps the GPU step (`--async-scheduling`).
    pub async_scheduling: bool,
}

impl EngineSettings {
    /// vLLM V1's defaults for this GPU and model: 8192 batched tokens and 1024 sequences
    /// on GPUs with ≥ 70 GiB that are not A100s, else 2048 and 256.
    pub fn defaults(gpu: &Gpu, model: &Model) -> Self {
        let big = gpu.memory_gib >= 70.0 && !gpu.name.to_ascii_lowercase().starts_with("a100");
        EngineSettings {
            max_num_seqs: if big { 1024 } else { 256 },
            max_num_batched_tokens: if big { 8192 } else { 2048 },
            gpu_memory_utilization: 0.9,
            block_size: 16,
            kv_cache_dtype: KvCacheDtype::Auto,
            chunked_prefill: true,
            prefix_caching: true,
            max_model_len: model.max_position,
            tensor_parallel_size: 1,
            async_scheduling: false,
        }
    }
}

/// Everything the simulator needs: hardware, model, engine settings, constants. Its JSON
/// form goes into every manifest the simulator produced, so a prediction can be repeated
/// even with a user's own catalog entries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimSpec {
    /// The GPU.
    pub gpu: Gpu,
    /// The model.
    pub model: Model,
    /// Its architecture's flags.
    pub arch: Arch,
    /// Engine settings.
    pub settings: EngineSettings,
    /// Cost-model constants.
    pub constants: PerfConstants,
    /// Seed of the step-time jitter.
    pub seed: u64,
}

impl SimSpec {
    /// A spec with the defaults for `gpu` and `model` from `catalog`.
    pub fn new(catalog: &Catalog, gpu: &str, model: &str) -> Result<SimSpec, CatalogError> {
        let gpu = catalog.gpu(gpu)?.clone();
        let model = catalog.model(model)?.clone();
        let arch = catalog.arch(&gpu.arch)?.clone();
        Ok(SimSpec {
            settings: EngineSettings::defaults(&gpu, &model),
            constants: PerfConstants::defaults(&arch),
            gpu,
            model,
            arch,
            seed: 0,
        })
    }

    /// A one-line description, e.g. `A10 + qwen3-8b-awq (awq-int4), vLLM V1 model`.
    pub fn describe(&self) -> String {
        let s = &self.settings;
        format!(
            "engine model: {} × {} + {} ({}), max_num_seqs {}, max_num_batched_tokens {}, gpu_memory_utilization {}",
            s.tensor_parallel_size,
            self.gpu.name,
            self.model.name,
            self.model.weights.name(),
            s.max_num_seqs,
            s.max_num_batched_tokens,
            s.gpu_memory_utilization
        )
    }
}

/// The highest `--gpu-memory-utilization` worth suggesting: vLLM and the driver need the
/// rest.
const MAX_UTILIZATION: f64 = 0.95;

/// Suggests a higher `--gpu-memory-utilization` only when one would make room.
fn utilization_hint(need_gib: f64, gpu_gib: f64, util: f64) -> String {
    if util < MAX_UTILIZATION && need_gib < gpu_gib * MAX_UTILIZATION {
        format!(", or raise --gpu-memory-utilization (up to {MAX_UTILIZATION})")
    } else {
        String::new()
    }
}

/// Why a spec cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    /// The weights do not fit.
    #[error(
        "{model} does not fit on {gpu}: its weights and activations need {need:.2} GiB per GPU, and \
         {gpu}'s {gpu_gib:.1} GiB at --gpu-memory-utilization {util} give {have:.2} GiB; use a quantised \
         model (an AWQ, GPTQ or FP8 build), split it over more GPUs (--tensor-parallel-size 2), or a GPU \
         with more memory{}",
        utilization_hint(*.need, *.gpu_gib, *.util)
    )]
    DoesNotFit {
        /// Model name.
        model: String,
        /// GPU name.
        gpu: String,
        /// The GPU's memory, GiB.
        gpu_gib: f64,
        /// Utilisation.
        util: f64,
        /// GiB needed.
        need: f64,
        /// GiB available.
        have: f64,
    },
    /// The KV cache cannot hold one request of `max_model_len` tokens (vLLM refuses to
    /// start then).
    #[error(
        "max_model_len {max_model_len} is more than the {capacity} tokens the KV cache of {gpu} can hold with {model}; \
         lower --max-model-len, raise --gpu-memory-utilization, or use --kv-cache-dtype fp8"
    )]
    ContextTooLong {
        /// Model name.
        model: String,
        /// GPU name.
        gpu: String,
        /// Requested context.
        max_model_len: u64,
        /// Tokens the cache holds.
        capacity: u64,
    },
    /// A count that vLLM needs to be at least 1 is 0.
    #[error(
        "invalid engine setting: tensor_parallel_size, block_size, max_num_seqs and max_num_batched_tokens must be at least 1"
    )]
    ZeroSetting,
    /// Without chunked prefill, a whole prompt must fit one step.
    #[error(
        "invalid engine setting: without chunked prefill, max_num_batched_tokens ({max_num_batched_tokens}) must be at least max_model_len ({max_model_len}), as in vLLM"
    )]
    StepBelowContext {
        /// Token budget of one step.
        max_num_batched_tokens: u32,
        /// Longest context.
        max_model_len: u64,
    },
    /// The share of GPU memory is not in `(0, 1]`.
    #[error("invalid engine setting: gpu_memory_utilization must be in (0, 1], got {0}")]
    Utilization(f64),
}

/// The derived cost model of one spec.
///
/// A step is priced as a sequence of kernels, each bound by its own roofline
/// (max of compute time and memory time), summed: the dense linear layers, the MoE experts
/// the batch touches, the LM head for the tokens that sample, and attention over the KV
/// cache. Then fixed GPU time per layer, tensor-parallel all-reduces, and CPU time.
#[derive(Debug, Clone)]
pub struct CostModel {
    tp: f64,
    layers: f64,
    hidden: f64,
    /// FLOPs per token through the dense linear layers (attention projections, dense MLP,
    /// router).
    dense_flops: f64,
    /// Bytes of the dense linear layers' weights.
    dense_bytes: f64,
    /// Compute and bandwidth factors of the dense layers' weight format.
    dense_ce: f64,
    dense_bwf: f64,
    /// FLOPs per token through its top-k experts.
    expert_flops: f64,
    /// Bytes of one expert in one layer.
    expert_bytes: f64,
    experts: f64,
    top_k: f64,
    moe_layers: f64,
    expert_ce: f64,
    expert_bwf: f64,
    /// LM head: FLOPs per sampled token, bytes.
    lm_flops: f64,
    lm_bytes: f64,
    attn_flops_full: f64,
    attn_flops_window: f64,
    window: f64,
    kv_bytes_per_token: f64,
    kv_window_bytes_per_token: f64,
    peak_flops: f64,
    bw: f64,
    /// KV blocks available (per GPU; identical on every TP rank).
    pub total_blocks: u32,
    /// GiB per GPU held by weights.
    pub weights_gib: f64,
    /// GiB per GPU reserved for activations and the runtime.
    pub reserve_gib: f64,
    /// GiB per GPU for the KV cache.
    pub kv_gib: f64,
    c: PerfConstants,
    async_scheduling: bool,
}

/// The shape of one step's batch, accumulated by the scheduler.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BatchShape {
    /// Requests decoding one token.
    pub decode_tokens: u32,
    /// Σ context length over decoding requests.
    pub decode_ctx: f64,
    /// Prompt tokens computed this step.
    pub prefill_tokens: u32,
    /// Σ over prefill chunks of Σ context per computed token (n·c + n(n+1)/2).
    pub prefill_attn_ctx: f64,
    /// Σ over prefill chunks of the context read (c + n).
    pub prefill_kv_read: f64,
    /// Tokens whose logits are computed (one per request that samples).
    pub sampled: u32,
    /// Requests scheduled.
    pub requests: u32,
}

impl BatchShape {
    /// Adds a request computing `tokens` tokens after `computed` already computed,
    /// sampling if `samples`.
    pub fn add(&mut self, computed: u64, tokens: u64, samples: bool) {
        self.requests += 1;
        if samples {
            self.sampled += 1;
        }
        // c and n, as in the fields' formulas.
        let (c, n) = (computed as f64, tokens as f64);
        if n == 1.0 && c > 0.0 {
            self.decode_tokens += 1;
            self.decode_ctx += c + 1.0;
        } else {
            self.prefill_tokens += n as u32;
            self.prefill_attn_ctx += n * c + n * (n + 1.0) / 2.0;
            self.prefill_kv_read += c + n;
        }
    }

    /// Tokens computed.
    pub fn tokens(&self) -> u32 {
        self.decode_tokens + self.prefill_tokens
    }
}

/// The settings vLLM refuses to start with.
fn check_settings(s: &EngineSettings) -> Result<(), SpecError> {
    if s.tensor_parallel_size == 0
        || s.block_size == 0
        || s.max_num_seqs == 0
        || s.max_num_batched_tokens == 0
    {
        return Err(SpecError::ZeroSetting);
    }
    if !s.chunked_prefill && (s.max_num_batched_tokens as u64) < s.max_model_len {
        return Err(SpecError::StepBelowContext {
            max_num_batched_tokens: s.max_num_batched_tokens,
            max_model_len: s.max_model_len,
        });
    }
    if !(s.gpu_memory_utilization > 0.0 && s.gpu_memory_utilization <= 1.0) {
        return Err(SpecError::Utilization(s.gpu_memory_utilization));
    }
    Ok(())
}

/// Where a GPU's memory goes: weights, the profiling pass's activation peak and the
/// runtime; the rest of the budget is KV cache.
struct MemoryPlan {
    weights_gib: f64,
    reserve_gib: f64,
    kv_gib: f64,
    kv_bytes_per_token: f64,
    total_blocks: u32,
}

impl MemoryPlan {
    /// The plan of `spec`; fails when the weights leave no KV cache, or the cache cannot
    /// hold one request of `max_model_len` tokens.
    fn new(spec: &SimSpec) -> Result<MemoryPlan, SpecError> {
        let (s, m, g, c) = (&spec.settings, &spec.model, &spec.gpu, &spec.constants);
        let tp = s.tensor_parallel_size as f64;
        let top_k = m.moe.map_or(0.0, |x| x.top_k as f64);
        let weights_gib = m.weight_bytes() / tp / GIB;
        let profile_tokens = s.max_num_batched_tokens as f64;
        let mlp_width = m.intermediate as f64 * if m.moe.is_some() { top_k } else { 1.0 };
        let act_per_token = (2.0 * mlp_width
            + 4.0 * m.hidden as f64
            + ((m.heads + 2 * m.kv_heads) * m.head_dim) as f64)
            * 2.0
            / tp;
        let logits = s.max_num_seqs as f64 * m.vocab as f64 * 4.0 / tp;
        let reserve_gib =
            c.non_torch_gib + c.activation_factor * (profile_tokens * act_per_token + logits) / GIB;
        let budget_gib = g.memory_gib * s.gpu_memory_utilization;
        let kv_gib = budget_gib - weights_gib - reserve_gib;
        if kv_gib <= 0.0 {
            return Err(SpecError::DoesNotFit {
                model: m.name.clone(),
                gpu: g.name.clone(),
                gpu_gib: g.memory_gib,
                util: s.gpu_memory_utilization,
                need: weights_gib + reserve_gib,
                have: budget_gib,
            });
        }
        let kv_bytes_per_token = m.kv_bytes_per_token(s.kv_cache_dtype.bytes());
        let block_bytes = s.block_size as f64 * kv_bytes_per_token / tp;
        let total_blocks = (kv_gib * GIB / block_bytes).floor().min(u32::MAX as f64) as u32;
        let capacity = total_blocks as u64 * s.block_size as u64;
        if capacity < s.max_model_len {
            return Err(SpecError::ContextTooLong {
                model: m.name.clone(),
                gpu: g.name.clone(),
                max_model_len: s.max_model_len,
                capacity,
            });
        }
        Ok(MemoryPlan {
            weights_gib,
            reserve_gib,
            kv_gib,
            kv_bytes_per_token,
            total_blocks,
        })
    }
}

/// Which tensor cores the weights run on, and what dequantisation costs: the peak
/// TFLOPS, and (bytes per parameter, compute factor, bandwidth factor) of the dense
/// layers and of the experts.
struct WeightCosts {
    peak_tflops: f64,
    dense: (f64, f64, f64),
    expert: (f64, f64, f64),
}

impl WeightCosts {
    fn new(spec: &SimSpec) -> WeightCosts {
        let (m, g, c, arch) = (&spec.model, &spec.gpu, &spec.constants, &spec.arch);
        let peak_tflops = match m.weights {
            WeightFormat::Fp8 if arch.native_fp8 => g.fp8_tflops.unwrap_or(g.fp16_tflops),
            WeightFormat::Mxfp4 if arch.native_fp4 => 2.0 * g.fp8_tflops.unwrap_or(g.fp16_tflops),
            _ => g.fp16_tflops,
        };
        let int4 = (c.int4_compute_efficiency, c.int4_bw_factor);
        let fp4 = if arch.native_fp4 {
            (1.0, 1.0)
        } else {
            (c.fp4_compute_efficiency, c.fp4_bw_factor)
        };
        let b = m.weights.bytes_per_param();
        let (dense, expert) = match m.weights {
            WeightFormat::Bf16 | WeightFormat::Fp16 => ((2.0, 1.0, 1.0), (2.0, 1.0, 1.0)),
            WeightFormat::Fp8 => ((b, 1.0, 1.0), (b, 1.0, 1.0)),
            WeightFormat::AwqInt4 | WeightFormat::GptqInt4 => {
                ((b, int4.0, int4.1), (b, int4.0, int4.1))
            }
            // MXFP4 quantises the experts only.
            WeightFormat::Mxfp4 => ((2.0, 1.0, 1.0), (b, fp4.0, fp4.1)),
        };
        WeightCosts {
            peak_tflops,
            dense,
            expert,
        }
    }
}

impl CostModel {
    /// Derives the cost model; fails when the model does not fit.
    pub fn new(spec: &SimSpec) -> Result<CostModel, SpecError> {
        let s = &spec.settings;
        let m = &spec.model;
        let g = &spec.gpu;
        let c = &spec.constants;
        check_settings(s)?;
        let memory = MemoryPlan::new(spec)?;
        let tp = s.tensor_parallel_size as f64;
        let hidden = m.hidden as f64;
        let layers = m.layers as f64;
        let (experts, top_k) = m
            .moe
            .map_or((0.0, 0.0), |x| (x.experts as f64, x.top_k as f64));
        let router = m.moe.map_or(0, |x| m.hidden * x.experts as u64);
        let dense_mlp = if m.moe.is_some() {
            0
        } else {
            m.mlp_params_per_expert()
        };
        let dense_params = layers * (m.attn_params_per_layer() + dense_mlp + router) as f64;
        let expert_params = m.mlp_params_per_expert() as f64;
        let w = WeightCosts::new(spec);
        let window_layers = m.sliding_window.map_or(0.0, |w| w.layers as f64);
        let per_layer_attn = 4.0 * (m.heads * m.head_dim) as f64;
        Ok(CostModel {
            tp,
            layers,
            hidden,
            dense_flops: 2.0 * dense_params,
            dense_bytes: dense_params * w.dense.0,
            dense_ce: w.dense.1,
            dense_bwf: w.dense.2,
            expert_flops: 2.0 * layers * top_k * expert_params,
            expert_bytes: expert_params * w.expert.0,
            experts,
            top_k,
            moe_layers: if m.moe.is_some() { layers } else { 0.0 },
            expert_ce: w.expert.1,
            expert_bwf: w.expert.2,
            lm_flops: 2.0 * hidden * m.vocab as f64,
            lm_bytes: hidden * m.vocab as f64 * 2.0,
            attn_flops_full: per_layer_attn * m.full_attention_layers() as f64,
            attn_flops_window: per_layer_attn * window_layers,
            window: m.sliding_window.map_or(0.0, |w| w.window as f64),
            kv_bytes_per_token: memory.kv_bytes_per_token,
            kv_window_bytes_per_token: 2.0
                * window_layers
                * (m.kv_heads * m.head_dim) as f64
                * s.kv_cache_dtype.bytes(),
            peak_flops: w.peak_tflops * 1e12,
            bw: g.bandwidth_gbs * 1e9 * c.bw_efficiency,
            total_blocks: memory.total_blocks,
            weights_gib: memory.weights_gib,
            reserve_gib: memory.reserve_gib,
            kv_gib: memory.kv_gib,
            c: c.clone(),
            async_scheduling: s.async_scheduling,
        })
    }

    /// Expected experts a layer reads for a batch of `t` tokens: E·(1 − (1 − k/E)^t).
    fn experts_touched(&self, t: f64) -> f64 {
        if self.experts == 0.0 {
            return 0.0;
        }
        self.experts * (1.0 - (1.0 - self.top_k / self.experts).powf(t))
    }

    /// Seconds of a kernel moving `flops` split into prefill and decode shares (each at
    /// its own efficiency, scaled by `ce`) and `bytes` at `bw`: its roofline.
    fn kernel(&self, pre_flops: f64, dec_flops: f64, ce: f64, bytes: f64, bw: f64) -> f64 {
        let peak = self.peak_flops * ce;
        let compute =
            pre_flops / (peak * self.c.mfu_prefill) + dec_flops / (peak * self.c.mfu_decode);
        compute.max(bytes / bw)
    }

    /// Duration of one step with this batch, µs (0 for an empty batch).
    pub fn step_us(&self, batch: &BatchShape) -> f64 {
        if batch.requests == 0 {
            return 0.0;
        }
        let pre = batch.prefill_tokens as f64;
        let dec = batch.decode_tokens as f64;
        let tokens = pre + dec;
        let win = self.window;
        let dense = self.kernel(
            pre * self.dense_flops,
            dec * self.dense_flops,
            self.dense_ce,
            self.dense_bytes,
            self.bw * self.dense_bwf,
        );
        let experts = if self.moe_layers > 0.0 {
            let bytes = self.moe_layers * self.experts_touched(tokens) * self.expert_bytes;
            self.kernel(
                pre * self.expert_flops,
                dec * self.expert_flops,
                self.expert_ce,
                bytes,
                self.bw * self.expert_bwf,
            )
        } else {
            0.0
        };
        let lm_head = self.kernel(
            0.0,
            batch.sampled as f64 * self.lm_flops,
            1.0,
            self.lm_bytes,
            self.bw,
        );
        // Attention: context in sliding layers is capped at the window.
        let decode_win_ctx = if win > 0.0 {
            batch.decode_ctx.min(dec * win)
        } else {
            0.0
        };
        let prefill_win_ctx = if win > 0.0 {
            batch.prefill_attn_ctx.min(pre * win)
        } else {
            0.0
        };
        let kv_read = (batch.decode_ctx + batch.prefill_kv_read) * self.kv_bytes_per_token
            + (decode_win_ctx + batch.prefill_kv_read.min(batch.requests as f64 * win))
                * self.kv_window_bytes_per_token;
        let kv_write = tokens * (self.kv_bytes_per_token + self.kv_window_bytes_per_token);
        let attention = self.kernel(
            batch.prefill_attn_ctx * self.attn_flops_full
                + prefill_win_ctx * self.attn_flops_window,
            batch.decode_ctx * self.attn_flops_full + decode_win_ctx * self.attn_flops_window,
            1.0,
            kv_read + kv_write,
            self.bw,
        );
        let mut gpu = (dense + experts + lm_head + attention) / self.tp * 1e6
            + self.layers * self.c.layer_overhead_us;
        if self.tp > 1.0 {
            // Two all-reduces per layer of the hidden states.
            let bytes = tokens * self.hidden * 2.0 * 2.0 * (self.tp - 1.0) / self.tp;
            gpu += 2.0
                * self.layers
                * (self.c.allreduce_latency_us + bytes / (self.c.tp_link_gbs * 1e9) * 1e6);
        }
        let cpu = self.c.step_overhead_us + batch.requests as f64 * self.c.request_overhead_us;
        if self.async_scheduling {
            gpu.max(cpu)
        } else {
            gpu + cpu
        }
    }

    /// The constants in use.
    pub fn constants(&self) -> &PerfConstants {
        &self.c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(gpu: &str, model: &str) -> SimSpec {
        SimSpec::new(&Catalog::builtin(), gpu, model).unwrap()
    }

    #[test]
    fn kv_blocks_of_seed_003() {
        // RTX 3090, Qwen2-1.5B bf16, vLLM 0.6.1 (no chunked prefill: the profiling pass
        // runs max_model_len = 32768 tokens), utilisation 0.9: vLLM logged 37,416 blocks.
        let mut s = spec("rtx3090", "qwen2-1.5b");
        s.settings.chunked_prefill = false;
        s.settings.max_model_len = 32768;
        s.settings.max_num_batched_tokens = 32768;
        let m = CostModel::new(&s).unwrap();
        let err = (m.total_blocks as f64 - 37_416.0).abs() / 37_416.0;
        assert!(err < 0.01, "{} blocks", m.total_blocks);
        assert!(
            (m.weights_gib - 2.87).abs() < 0.05,
            "weights {}",
            m.weights_gib
        );
    }

    #[test]
    fn decode_is_bandwidth_bound_and_prefill_compute_bound() {
        let m = CostModel::new(&spec("h100", "llama-3.1-8b")).unwrap();
        let mut one = BatchShape::default();
        one.add(500, 1, true);
        let mut many = BatchShape::default();
        for _ in 0..64 {
            many.add(500, 1, true);
        }
        // 64× the tokens for much less than 64× the time.
        assert!(m.step_us(&many) < 2.0 * m.step_us(&one));
        let mut prefill = BatchShape::default();
        prefill.add(0, 8192, true);
        assert!(m.step_us(&prefill) > 10.0 * m.step_us(&one));
    }

    #[test]
    fn moe_reads_more_experts_as_the_batch_grows() {
        let m = CostModel::new(&spec("a10g", "gpt-oss-20b")).unwrap();
        assert!((m.experts_touched(1.0) - 4.0).abs() < 1e-9);
        assert!(m.experts_touched(64.0) > 31.9);
        let step = |n: usize| {
            let mut b = BatchShape::default();
            for _ in 0..n {
                b.add(300, 1, true);
            }
            m.step_us(&b)
        };
        assert!(step(8) > 1.5 * step(1));
    }

    #[test]
    fn settings_vllm_refuses_are_refused_with_its_reason() {
        let refused = |edit: &dyn Fn(&mut SimSpec)| {
            let mut s = spec("a10", "qwen3-8b-awq");
            edit(&mut s);
            CostModel::new(&s).unwrap_err()
        };
        let e = refused(&|s| s.settings.max_num_seqs = 0);
        assert_eq!(e, SpecError::ZeroSetting);
        assert_eq!(
            e.to_string(),
            "invalid engine setting: tensor_parallel_size, block_size, max_num_seqs and max_num_batched_tokens must be at least 1"
        );
        let e = refused(&|s| {
            s.settings.chunked_prefill = false;
            s.settings.max_num_batched_tokens = 2048;
            s.settings.max_model_len = 4096;
        });
        assert_eq!(
            e.to_string(),
            "invalid engine setting: without chunked prefill, max_num_batched_tokens (2048) must be at least max_model_len (4096), as in vLLM"
        );
        let e = refused(&|s| s.settings.gpu_memory_utilization = 1.5);
        assert_eq!(
            e.to_string(),
            "invalid engine setting: gpu_memory_utilization must be in (0, 1], got 1.5"
        );
    }

    #[test]
    fn too_big_models_are_refused_with_advice() {
        let e = CostModel::new(&spec("rtx5070", "llama-3.1-8b"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--tensor-parallel-size") && e.contains("quantised"),
            "{e}"
        );
        // Qwen3-8B fits an L4, but its 40,960-token context does not fit the KV cache left.
        let e = CostModel::new(&spec("l4", "qwen3-8b"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("max_model_len 40960") && e.contains("--max-model-len"),
            "{e}"
        );
        let mut s = spec("l4", "qwen3-8b");
        s.settings.max_model_len = 8192;
        assert!(CostModel::new(&s).is_ok());
        s.settings.max_model_len = 40960;
        s.settings.tensor_parallel_size = 2;
        assert!(CostModel::new(&s).is_ok());
    }

    #[test]
    fn constants_are_named_and_settable() {
        let mut c = spec("a10", "qwen3-8b-awq").constants;
        c.set("step_overhead_us", 50.0).unwrap();
        assert_eq!(c.step_overhead_us, 50.0);
        assert!(
            c.set("nope", 1.0)
                .unwrap_err()
                .to_string()
                .contains("known: mfu_prefill")
        );
        assert!(c.set("jitter", -1.0).is_err());
        assert_eq!(
            c.set("jitter", -1.0).unwrap_err().to_string(),
            "jitter must be a non-negative number, got -1"
        );
        assert_eq!("fp16".parse::<KvCacheDtype>(), Ok(KvCacheDtype::Auto));
        assert_eq!(
            "int8".parse::<KvCacheDtype>().unwrap_err().to_string(),
            "invalid kv-cache dtype \"int8\": expected auto or fp8"
        );
        assert_eq!(c.describe().len(), 16);
    }
}
