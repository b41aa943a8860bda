//! `headroom run`, and the target, workload, load and output flags every measuring
//! command shares.

use clap::{Args, ValueEnum};
use headroom_core::{ApiFlavor, ArrivalKind, LengthSpec, Warmup};
use headroom_jobs::settings::{
    GpuSource, MetricsSource, parse_extra_body, parse_header, parse_label, parse_length_range,
    parse_scrape_interval,
};
use headroom_workload::{DatasetRef, Sampling, TraceRef};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::time::Duration;

/// `headroom run`
#[derive(Debug, Args)]
#[command(after_long_help = RUN_EXAMPLES)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub workload: WorkloadArgs,
    #[command(flatten)]
    pub load: LoadArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

const RUN_EXAMPLES: &str = "Examples:
  headroom run
      Runs against the embedded simulator (no server needed).
  headroom run --url http://127.0.0.1:8000 --concurrency 20 --requests 200 \\
               --input-tokens 200 --output-tokens 100
      Closed loop: exactly 20 requests in flight until 200 have been sent.
  headroom run --url http://127.0.0.1:8000 --rate 8 --arrival poisson --duration 2m --warmup 20s
      Open loop: 8 requests/s on a seeded Poisson schedule for 2 minutes after a 20 s warmup.

Exit status: 0 when the run completed, 1 on a fatal error or when every measured request
failed, 2 on a usage error, 130 when interrupted (results are partial but on disk).";

/// The server and how to talk to it.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Target")]
pub struct TargetArgs {
    /// Base URL of an OpenAI-compatible server (e.g. http://127.0.0.1:8000 or
    /// https://host/proxy/v1). Omit it to start the embedded simulator.
    #[arg(long, env = "HEADROOM_URL")]
    pub url: Option<String>,
    /// Which endpoint: /v1/chat/completions or /v1/completions.
    #[arg(long, value_enum, default_value_t = ApiFlavor::Chat)]
    pub api: ApiFlavor,
    /// Model name to request [default: the first model listed by /v1/models].
    #[arg(short, long)]
    pub model: Option<String>,
    /// API key sent as a Bearer token [env: HEADROOM_API_KEY, then OPENAI_API_KEY].
    #[arg(
        long,
        env = "HEADROOM_API_KEY",
        hide_env_values = true,
        hide_env = true
    )]
    pub api_key: Option<String>,
    /// Extra HTTP header, NAME:VALUE (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME:VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// JSON object merged into every request body, e.g. '{"ignore_eos": true}'.
    #[arg(long, value_name = "JSON", value_parser = parse_extra_body)]
    pub extra_body: Option<Map<String, Value>>,
    /// Ask for whole responses instead of a stream (no TTFT or ITL then).
    #[arg(long)]
    pub no_stream: bool,
    /// Give up on a request after this long.
    #[arg(long, default_value = "10m", value_parser = headroom_core::duration::parse)]
    pub timeout: Duration,
    /// Give up on a response that sends nothing for this long.
    #[arg(long, default_value = "60s", value_parser = headroom_core::duration::parse)]
    pub stall_timeout: Duration,
    /// Scrape the server's Prometheus metrics here beside every run: a URL, `auto`
    /// (`/metrics` at the server's address) or `off`.
    #[arg(long, value_name = "URL|auto|off", default_value = "auto")]
    pub metrics_url: MetricsSource,
    /// How often to scrape the server's metrics (and read the GPUs).
    #[arg(long, default_value = "1s", value_parser = parse_scrape_interval)]
    pub scrape_interval: Duration,
    /// Read the GPUs beside every run: `auto` (NVML when this machine has it), `nvml`,
    /// `dcgm:URL` (a DCGM exporter's /metrics) or `off`.
    #[arg(long, value_name = "auto|nvml|dcgm:URL|off", default_value = "auto")]
    pub gpu_telemetry: GpuSource,
    /// Also sample this process and its children (the server, on this machine): resident
    /// memory and CPU.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
}

/// What the requests look like.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Workload")]
pub struct WorkloadArgs {
    /// Prompt length in tokens: N (8k = 8192), MEAN:STDDEV, MIN..MAX, lognormal:MEAN:STDDEV
    /// or file:PATH (observed lengths). The default varies a little, like real traffic:
    /// identical requests in closed loop finish together and arrive together, in waves.
    /// With --prefix-tokens, the length of the unique part after the prefix [default:
    /// 200:20].
    #[arg(long, value_name = "LENGTH")]
    pub input_tokens: Option<LengthSpec>,
    /// Output length (max_tokens), in the same forms [default: 100:10; with --dataset,
    /// each entry's own length].
    #[arg(long, value_name = "LENGTH")]
    pub output_tokens: Option<LengthSpec>,
    /// Long-context preset: prompts of exactly 8k, 16k or 32k tokens and
    /// 128 output tokens, unless --output-tokens says otherwise.
    #[arg(long, value_name = "8k|16k|32k", conflicts_with_all = ["input_tokens", "dataset", "trace"])]
    pub long_context: Option<LengthSpec>,
    /// Tokenizer for prompts and counts: cl100k_base (built in, the default), o200k_base,
    /// a tokenizer.json, a model directory, or a Hugging Face id in the local cache.
    /// Never downloads.
    #[arg(long, value_name = "NAME|PATH|ORG/MODEL")]
    pub tokenizer: Option<String>,
    /// Prompts from a file: sharegpt:PATH, jsonl:PATH (prompt, text or messages; optional
    /// output_tokens) or csv:PATH (prompt column); a bare PATH goes by its extension.
    #[arg(long, value_name = "FORMAT:PATH", conflicts_with = "trace")]
    pub dataset: Option<DatasetRef>,
    /// How dataset entries are picked: shuffle (each once, in a seeded order), sequential
    /// (file order) or random (with replacement).
    #[arg(long, default_value = "shuffle", value_name = "HOW")]
    pub dataset_sampling: Sampling,
    /// Keep dataset entries whose prompt length is in MIN..MAX tokens.
    #[arg(long, value_name = "MIN..MAX", value_parser = parse_length_range)]
    pub filter_input_tokens: Option<(u32, u32)>,
    /// Keep dataset entries whose output length is in MIN..MAX tokens.
    #[arg(long, value_name = "MIN..MAX", value_parser = parse_length_range)]
    pub filter_output_tokens: Option<(u32, u32)>,
    /// Distinct prompts: request i uses prompt i % N, and a run with no --requests or
    /// --duration sends N requests (genai-perf's and vLLM's --num-prompts).
    #[arg(long, value_name = "N")]
    pub num_prompts: Option<u64>,
    /// Open every prompt with a shared prefix of N tokens (a prefix-cache test); the report
    /// compares TTFT of cold and warm prefixes.
    #[arg(long, value_name = "N", conflicts_with_all = ["dataset", "trace"])]
    pub prefix_tokens: Option<u32>,
    /// Distinct shared prefixes: request i uses prefix i % G.
    #[arg(long, value_name = "G", requires = "prefix_tokens")]
    pub prefix_groups: Option<u32>,
    /// Multi-turn conversations of T turns, each turn sending the history; --concurrency is
    /// the number of users. Metrics are reported per turn.
    #[arg(long, value_name = "T", conflicts_with_all = ["dataset", "trace"])]
    pub conversation_turns: Option<u32>,
    /// Pause between a response and the user's next turn.
    #[arg(long, value_parser = headroom_core::duration::parse, value_name = "DURATION", requires = "conversation_turns")]
    pub think_time: Option<Duration>,
    /// Replay a trace of timed arrivals: headroom:PATH (our JSONL: t_ms, input_tokens,
    /// output_tokens, session, prefix), mooncake:PATH or azure:PATH (CSV).
    #[arg(long, value_name = "[FORMAT:]PATH")]
    pub trace: Option<TraceRef>,
    /// Replay the trace this many times faster.
    #[arg(long, default_value_t = 1.0, value_name = "X", requires = "trace")]
    pub trace_speedup: f64,
    /// Force every output to its full length: sends ignore_eos and min_tokens (vLLM,
    /// SGLang, TensorRT-LLM). Without it a model may stop early at its end-of-text token.
    #[arg(long)]
    pub ignore_eos: bool,
    /// genai-perf: mean prompt length (with --synthetic-input-tokens-stddev).
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "input_tokens",
        help_heading = "genai-perf compatibility"
    )]
    pub synthetic_input_tokens_mean: Option<u32>,
    /// genai-perf: standard deviation of the prompt length.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0.0,
        help_heading = "genai-perf compatibility"
    )]
    pub synthetic_input_tokens_stddev: f64,
    /// genai-perf: mean output length.
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "output_tokens",
        help_heading = "genai-perf compatibility"
    )]
    pub output_tokens_mean: Option<u32>,
    /// genai-perf: standard deviation of the output length.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0.0,
        help_heading = "genai-perf compatibility"
    )]
    pub output_tokens_stddev: f64,
}

/// When requests are sent.
#[derive(Debug, Args)]
#[command(next_help_heading = "Load")]
pub struct LoadArgs {
    /// Closed loop: keep exactly N requests in flight [default: 10].
    #[arg(short, long, conflicts_with = "rate")]
    pub concurrency: Option<u32>,
    /// Release N requests together, one each, and stop: the total time is the measurement
    /// window (an offline throughput test).
    #[arg(long, value_name = "N", conflicts_with_all = ["concurrency", "rate", "requests", "duration", "warmup"])]
    pub burst: Option<u32>,
    /// Open loop: mean requests per second on a schedule fixed in advance.
    #[arg(short, long)]
    pub rate: Option<f64>,
    /// Open-loop arrival process.
    #[arg(long, value_enum, default_value_t = ArrivalKind::Poisson, requires = "rate")]
    pub arrival: ArrivalKind,
    /// Gamma shape for --arrival gamma: 1 is Poisson, below 1 burstier, above 1 more regular.
    #[arg(long, default_value_t = 1.0, requires = "rate")]
    pub burstiness: f64,
    /// Open loop and trace replay: at most N in flight; a late arrival waits and its
    /// lateness is recorded as scheduling lag (never skipped).
    #[arg(long)]
    pub max_concurrency: Option<u32>,
    /// Stop after N measured requests [default when no --duration: 10 × concurrency, at
    /// least 100; open loop: 30 s of arrivals, at least 100].
    #[arg(short = 'n', long)]
    pub requests: Option<u64>,
    /// Stop sending after this long (measured after the warmup).
    #[arg(short, long, value_parser = headroom_core::duration::parse)]
    pub duration: Option<Duration>,
    /// Excluded from metrics: a request count (20) or a duration (20s).
    #[arg(long, default_value = "0")]
    pub warmup: Warmup,
    /// Seed for the arrival schedule and the prompts: same seed, same run.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// After Ctrl-C, how long in-flight requests may finish before they are cancelled.
    #[arg(long, default_value = "5s", value_parser = headroom_core::duration::parse)]
    pub grace: Duration,
    /// Worker threads for the load generator [default: all cores].
    #[arg(long, value_parser = headroom_jobs::settings::parse_threads)]
    pub threads: Option<usize>,
}

/// Where results go.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Results directory [default: results/<UTC timestamp>].
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A label recorded in the manifest, KEY=VALUE (repeatable), e.g. gpu=L20.
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label)]
    pub labels: Vec<(String, String)>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// No progress bar (it is shown only when stderr is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
    /// Do not write report.html, report.md and plots/ (`headroom report DIR` writes them
    /// later).
    #[arg(long)]
    pub no_report: bool,
}

/// Output format of the report on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table like genai-perf's, plus throughput and error lines.
    Table,
    /// The summary as JSON (the shape of summary.json).
    Json,
    /// The statistics as CSV.
    Csv,
}
