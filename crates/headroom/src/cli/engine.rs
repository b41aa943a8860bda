//! The simulated engine: `headroom predict`, `headroom sim` and `headroom catalog`.

use super::plans::{CapacityArgs, SweepArgs};
use super::{LoadArgs, OutputArgs, WorkloadArgs};
use clap::{Args, Subcommand};
use std::time::Duration;

/// `headroom predict`
#[derive(Debug, Args)]
#[command(after_long_help = PREDICT_EXAMPLES, subcommand_precedence_over_arg = true)]
pub struct PredictArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Instead of one level: a sweep or a capacity search in virtual time. Workload, load
    /// and output flags may go before or after the subcommand.
    #[command(subcommand)]
    pub then: Option<PredictThen>,
    #[command(flatten)]
    pub workload: WorkloadArgs,
    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

const PREDICT_EXAMPLES: &str = "Examples:
  headroom predict --gpu l20 --model qwen3-8b-awq --concurrency 20 --requests 500 \\
                   --input-tokens 200 --output-tokens 100
      How an L20 would serve 20 concurrent users, in a second of computing.
  headroom predict --gpu a10 --model qwen3-8b-awq --max-model-len 8192 \\
                   --gpu-memory-utilization 0.85 --max-num-seqs 50 --concurrency 10
      vLLM's own flag names set the engine.

  headroom predict --gpu l20 --model qwen3-8b-awq --max-model-len 8192 --max-num-seqs 50 \\
                   capacity --slo 'p95(e2e)<=3.81s' --repeats 3 --duration 10m
      The capacity plan's search on a simulated L20, in seconds instead of hours.

The prediction writes the same table, JSON and results directory as `headroom run`.";

/// A sweep or capacity search in virtual time.
#[derive(Debug, Subcommand)]
pub enum PredictThen {
    /// A sweep of load levels on the simulated engine.
    Sweep(Box<SweepArgs>),
    /// A capacity search on the simulated engine.
    Capacity(Box<CapacityArgs>),
}

/// The simulated engine: hardware, model, and vLLM's settings under vLLM's flag names.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Simulated engine")]
pub struct EngineArgs {
    /// GPU to simulate (see `headroom catalog`) [default: a10].
    #[arg(long)]
    pub gpu: Option<String>,
    /// Model to simulate: catalog name or Hugging Face id [default: qwen3-8b-awq].
    #[arg(short, long)]
    pub model: Option<String>,
    /// A TOML file adding or replacing catalog entries.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<std::path::PathBuf>,
    /// vLLM --max-num-seqs [default: 256, or 1024 on ≥ 70 GiB GPUs other than A100].
    #[arg(long)]
    pub max_num_seqs: Option<u32>,
    /// vLLM --max-num-batched-tokens [default: 2048, or 8192 on ≥ 70 GiB GPUs other than A100].
    #[arg(long)]
    pub max_num_batched_tokens: Option<u32>,
    /// vLLM --gpu-memory-utilization [default: 0.9].
    #[arg(long)]
    pub gpu_memory_utilization: Option<f64>,
    /// vLLM --block-size [default: 16].
    #[arg(long)]
    pub block_size: Option<u32>,
    /// vLLM --kv-cache-dtype: auto or fp8 [default: auto].
    #[arg(long)]
    pub kv_cache_dtype: Option<headroom_sim::perf::KvCacheDtype>,
    /// vLLM --max-model-len [default: the model's context length].
    #[arg(long)]
    pub max_model_len: Option<u64>,
    /// vLLM --tensor-parallel-size [default: 1].
    #[arg(short = 't', long, visible_alias = "tp")]
    pub tensor_parallel_size: Option<u32>,
    /// vLLM --no-enable-chunked-prefill: prompts are prefilled whole, before decodes.
    #[arg(long)]
    pub no_enable_chunked_prefill: bool,
    /// vLLM --no-enable-prefix-caching.
    #[arg(long)]
    pub no_enable_prefix_caching: bool,
    /// vLLM --async-scheduling: CPU scheduling overlaps the GPU step.
    #[arg(long)]
    pub async_scheduling: bool,
    /// Set a cost-model constant, NAME=VALUE (repeatable; `headroom catalog --gpu G --model M` lists them).
    #[arg(long = "perf", value_name = "NAME=VALUE")]
    pub perf: Vec<String>,
    /// vLLM --num-scheduler-steps: accepted, not modelled (said when given).
    #[arg(long)]
    pub num_scheduler_steps: Option<u32>,
    /// vLLM --kv-offloading-size (GB): accepted, not modelled (said when given).
    #[arg(long, alias = "kv_offloading_size", value_name = "GB")]
    pub kv_offloading_size: Option<f64>,
    /// vLLM --kv-offloading-backend: accepted, not modelled (said when given).
    #[arg(long, alias = "kv_offloading_backend", value_name = "NAME")]
    pub kv_offloading_backend: Option<String>,
    /// vLLM's attention backend (VLLM_ATTENTION_BACKEND): accepted, not modelled (said when given).
    #[arg(long, value_name = "NAME")]
    pub attention_backend: Option<String>,
}

/// `headroom catalog`
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// With --gpu and/or --model: what that GPU, model and engine settings give (memory,
    /// KV cache, capacity, the cost-model constants). Without: the lists.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Print the built-in catalog file (a template for --catalog).
    #[arg(long)]
    pub toml: bool,
}

/// `headroom sim`
#[derive(Debug, Args)]
#[command(after_long_help = SIM_EXAMPLES)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(short, long, default_value_t = 8000)]
    pub port: u16,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Model id to serve [default: the model's Hugging Face id; `headroom-sim` in fixed mode].
    #[arg(long)]
    pub served_model_name: Option<String>,
    /// How prompts are tokenized (counted, and hashed for the prefix cache): as for `run`
    /// [default: cl100k_base]. Give the client's --tokenizer for exact lengths.
    #[arg(long, value_name = "NAME|PATH|ORG/MODEL")]
    pub tokenizer: Option<String>,
    /// Fixed mode: time to first token (instead of the engine model).
    #[arg(long, value_parser = headroom_core::duration::parse, help_heading = "Fixed timing (instead of the engine)")]
    pub ttft: Option<Duration>,
    /// Fixed mode: time per token after the first.
    #[arg(long, value_parser = headroom_core::duration::parse, help_heading = "Fixed timing (instead of the engine)")]
    pub itl: Option<Duration>,
    /// Fixed mode: tokens carried by each streamed chunk.
    #[arg(long, help_heading = "Fixed timing (instead of the engine)")]
    pub tokens_per_chunk: Option<u32>,
    /// Do not send the role-only chunk that starts chat streams.
    #[arg(long)]
    pub no_role_chunk: bool,
    /// Send an empty-content chunk before the first token.
    #[arg(long)]
    pub empty_chunk: bool,
    /// Never send usage, even when asked (like servers without stream usage).
    #[arg(long)]
    pub no_usage: bool,
    /// max_tokens when a request gives none.
    #[arg(long, default_value_t = 256)]
    pub default_max_tokens: u32,
    /// Inject a fault into a share of requests, KIND=RATE (repeatable). Kinds: http-429,
    /// http-500, http-503, error-event, disconnect, malformed, stall, slow-first-byte.
    #[arg(long = "fault", value_name = "KIND=RATE")]
    pub faults: Vec<headroom_sim::FaultSpec>,
    /// Delay of the slow-first-byte fault.
    #[arg(long, default_value = "2s", value_parser = headroom_core::duration::parse)]
    pub fault_delay: Duration,
    /// Seed deciding which requests get faults, and of the engine's step-time jitter.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Pretend to load the model for this long: /health and the API answer 503 until then.
    #[arg(long, default_value = "0s", value_parser = headroom_core::duration::parse)]
    pub startup_delay: Duration,
    /// Worker threads [default: all cores].
    #[arg(long, value_parser = headroom_jobs::settings::parse_threads)]
    pub threads: Option<usize>,
}

const SIM_EXAMPLES: &str = "Examples:
  headroom sim --gpu a10 --model qwen3-8b-awq --max-num-seqs 50 --port 8000
      A10 serving Qwen3-8B-AWQ as vLLM V1 would, in real time (tokens paced by the engine model).
  headroom sim --ttft 50ms --itl 10ms --fault http-429=0.05
      Fixed timing: every response's tokens on an exact schedule, 5 % rate-limited.";
