//! The command line. Raw arguments are turned into validated settings in each command's
//! module before anything runs.

use clap::{Args, Parser, Subcommand, ValueEnum};
use headroom_core::{ApiFlavor, ArrivalKind, LengthSpec, Warmup};
use headroom_metrics::slo::Slo;
use std::path::PathBuf;
use std::time::Duration;

/// How many concurrent users can this LLM server carry within your latency target?
///
/// headroom load-tests OpenAI-compatible inference servers (vLLM, SGLang, TGI, llama.cpp,
/// Ollama, hosted APIs) and measures TTFT, inter-token latency, TPOT, end-to-end latency
/// and throughput exactly. With no --url it starts its embedded simulator, so every
/// command shows real output on the first try.
#[derive(Debug, Parser)]
#[command(name = "headroom", version = version(), propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

fn version() -> &'static str {
    concat!(
        env!("CARGO_PKG_VERSION"),
        " (",
        env!("HEADROOM_GIT_SHA"),
        ")"
    )
}

/// Options for every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More log detail on stderr (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only warnings and errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure one load level against a server (or the embedded simulator).
    Run(Box<RunArgs>),
    /// Run several load levels and find the knee (a concurrency or rate sweep).
    Sweep(Box<SweepCommand>),
    /// Find the highest load that meets your SLOs, with repeats and confidence intervals.
    Capacity(Box<CapacityCommand>),
    /// Predict on a simulated GPU and model, in virtual time: one level, or a sweep or a
    /// capacity search (`headroom predict --gpu l20 capacity --slo 'p95(e2e)<=3.81s'`).
    Predict(Box<PredictArgs>),
    /// Serve the simulated OpenAI-compatible server (engine model, or an exact schedule).
    Sim(Box<SimArgs>),
    /// List the simulator's GPUs and models, or show what a GPU + model + settings give.
    Catalog(Box<CatalogArgs>),
    /// genai-perf's `profile`: its flags and meanings, headroom's measurement and results.
    Profile(Box<ProfileArgs>),
    /// (Re)build report.html, report.md and plots/ of a results directory: a run (a killed
    /// run's journal is enough), a sweep or a capacity search.
    Report(Box<ReportArgs>),
    /// Compare runs, sweeps or capacity searches: ratios to the first, significance, cost,
    /// and `--fail-if` as a CI gate.
    Compare(Box<CompareArgs>),
}

/// `headroom report`
#[derive(Debug, Args)]
#[command(after_long_help = REPORT_EXAMPLES)]
pub struct ReportArgs {
    /// The results directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `headroom compare`
#[derive(Debug, Args)]
#[command(after_long_help = COMPARE_EXAMPLES)]
pub struct CompareArgs {
    /// Results directories (runs, sweeps or capacity searches); ratios are to the first.
    #[arg(value_name = "DIR", required = true, num_args = 2..)]
    pub dirs: Vec<PathBuf>,
    /// Hourly price of a result, NAME=USD: NAME is a label value (gpu=L20 → l20), a
    /// label, the GPU or the directory name, case-insensitive (repeatable).
    #[arg(long = "price", value_name = "NAME=USD_PER_HOUR")]
    pub prices: Vec<String>,
    /// Exit 1 when a result regresses against the first, e.g. 'p95(e2e) > +10%',
    /// 'throughput < -5%', 'p99(ttft) > +50ms', 'errors > 1%' (repeatable).
    #[arg(long = "fail-if", value_name = "EXPR")]
    pub fail_if: Vec<String>,
    /// Confidence of the significance tests.
    #[arg(long, default_value_t = 0.95, value_name = "LEVEL")]
    pub confidence: f64,
    /// Also write report.html, report.md and plots/ of the comparison into DIR.
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
}

/// Output format of `headroom compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// Tables for a terminal.
    Table,
    /// The Markdown report.
    Markdown,
    /// The gates' outcomes as JSON.
    Json,
}

const COMPARE_EXAMPLES: &str = "Examples:
  headroom compare results/a10 results/l20 --price a10=1.01 --price l20=1.10
      Capacity ratio (seed 000's direct performance ratio), latency and throughput side
      by side with significance, and cost per million tokens and per concurrent user.
  headroom compare results/before results/after --fail-if 'p95(e2e) > +10%'
      A CI gate: exit 1 when the P95 request latency rose by more than 10 %.
  headroom compare base vllm sglang --out cmp
      Any number of results; cmp/report.html overlays their curves.";

const REPORT_EXAMPLES: &str = "Examples:
  headroom report results/20261122-101500
      Rebuilds report.html, report.md and plots/*.svg|png there, and prints the summary.
      Works on a run killed before it finished: its requests.jsonl is enough.";

/// `headroom predict`
#[derive(Debug, Args)]
#[command(after_long_help = PREDICT_EXAMPLES, subcommand_precedence_over_arg = true)]
pub struct PredictArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Instead of one level: a sweep or a capacity search in virtual time. Workload, load
    /// and output flags then go after the subcommand.
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
      Seed 000's capacity search on a simulated L20, in seconds instead of hours.

The prediction writes the same table, JSON and results directory as `headroom run`.";

/// A sweep or capacity search in virtual time.
#[derive(Debug, Subcommand)]
pub enum PredictThen {
    /// A sweep of load levels on the simulated engine.
    Sweep(Box<SweepArgs>),
    /// A capacity search on the simulated engine.
    Capacity(Box<CapacityArgs>),
}

/// `headroom sweep`
#[derive(Debug, Args)]
#[command(after_long_help = SWEEP_EXAMPLES)]
pub struct SweepCommand {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub sweep: SweepArgs,
}

/// `headroom capacity`
#[derive(Debug, Args)]
#[command(after_long_help = CAPACITY_EXAMPLES)]
pub struct CapacityCommand {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub capacity: CapacityArgs,
}

const SWEEP_EXAMPLES: &str = "Examples:
  headroom sweep --url http://127.0.0.1:8000 --concurrency 10,20,40,80,120,200 \\
                 --requests-per-level 10x --input-tokens 200:20 --output-tokens 100:10
      Seed 004's sweep: 10 requests per user at each level, the table with the knee.
  headroom sweep --url http://127.0.0.1:8000 --rate 1,2,4,8,16 --duration 2m
      Open-loop levels, 2 minutes each.
  headroom sweep --url http://127.0.0.1:8000 --auto
      Doubles concurrency until throughput stops growing, then adds levels around the peak.

Each level is a full run in its own subdirectory of the results directory. An interrupted
sweep continues with `headroom sweep --resume DIR`.";

const CAPACITY_EXAMPLES: &str = "Examples:
  headroom capacity --url http://127.0.0.1:8000 --slo 'p95(e2e)<=3.81s' \\
                    --start 15 --step 5 --repeats 3 --duration 10m
      Seed 000: 15, 20, 25, … concurrent users, three 10-minute runs each, until a level fails.
  headroom capacity --url http://127.0.0.1:8000 --slo 'p95(e2e)<=3.81s' --slo 'p99(ttft)<=1s' \\
                    --slo 'errors<=1%' --search adaptive
      Doubling, then bisection: the same answer in fewer levels.
  headroom capacity --url http://127.0.0.1:8000 --over rate --slo 'p90(tpot)<=50ms'
      The highest request rate (open loop) that keeps P90 TPOT within 50 ms.

SLOs: pXX(metric) <= VALUE, mean(metric) <= VALUE, errors <= N%, goodput >= N/s or N%;
metrics ttft, itl, itl_per_token, tpot, e2e, ttft_from_intended, e2e_from_intended.
A level passes when the 95% confidence interval of every SLO statistic (within runs and
across repeats) is inside its limit; see the README. Exit status: 0 when a capacity was
found, 1 when no level passed, 2 on a usage error, 130 when interrupted (continue with
`headroom capacity --resume DIR`).";

/// Levels of a sweep, and what each runs.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Closed-loop levels: users in flight, e.g. 10,20,40,80.
    #[arg(short, long, value_delimiter = ',', value_name = "N,N,…", conflicts_with_all = ["rate", "auto"], help_heading = "Levels")]
    pub concurrency: Option<Vec<u32>>,
    /// Open-loop levels: requests per second, e.g. 1,2,4,8.
    #[arg(
        short,
        long,
        value_delimiter = ',',
        value_name = "R,R,…",
        conflicts_with = "auto",
        help_heading = "Levels"
    )]
    pub rate: Option<Vec<f64>>,
    /// Choose the levels: find maximum throughput by doubling concurrency, then spread
    /// levels below it (with --over rate: rates from 25% to 110% of the maximum).
    #[arg(long, help_heading = "Levels")]
    pub auto: bool,
    /// With --auto: sweep concurrency or rate.
    #[arg(long, value_enum, default_value_t = Over::Concurrency, requires = "auto", help_heading = "Levels")]
    pub over: Over,
    /// With --auto: the highest concurrency probed.
    #[arg(
        long,
        default_value_t = 1024,
        value_name = "N",
        requires = "auto",
        help_heading = "Levels"
    )]
    pub max: u32,
    /// Runs per level; the table shows them merged.
    #[arg(long, default_value_t = 1, value_name = "R", help_heading = "Levels")]
    pub repeats: u32,
    /// Judge every level by these SLOs too (PASS/FAIL and goodput columns), e.g.
    /// 'p95(e2e)<=5s' (repeatable).
    #[arg(long = "slo", value_name = "EXPR", value_parser = slo, help_heading = "Levels")]
    pub slos: Vec<Slo>,
    #[command(flatten)]
    pub each: LevelArgs,
    #[command(flatten)]
    pub workload: WorkloadArgs,
    #[command(flatten)]
    pub pacing: PacingArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A capacity search.
#[derive(Debug, Args)]
pub struct CapacityArgs {
    /// Service-level objective, e.g. 'p95(e2e)<=3.81s', 'p99(ttft)<=1s', 'errors<=1%',
    /// 'goodput>=5/s' (repeatable; a level must meet all).
    #[arg(long = "slo", value_name = "EXPR", value_parser = slo, required_unless_present = "resume", help_heading = "Search")]
    pub slos: Vec<Slo>,
    /// Search over closed-loop concurrency or open-loop request rate.
    #[arg(long, value_enum, default_value_t = Over::Concurrency, help_heading = "Search")]
    pub over: Over,
    /// linear: start, start+step, … until a level fails (seed 000's progression);
    /// adaptive: double until a level fails, then bisect. [default: linear with --step,
    /// else adaptive]
    #[arg(long, value_enum, help_heading = "Search")]
    pub search: Option<SearchKind>,
    /// First level [default: 8 users or 1 req/s (adaptive), else the step].
    #[arg(long, value_name = "N", help_heading = "Search")]
    pub start: Option<f64>,
    /// Linear: the increment. Adaptive: how close the passing and failing levels end
    /// [default: 1 user; 5% of the rate].
    #[arg(long, value_name = "N", help_heading = "Search")]
    pub step: Option<f64>,
    /// The highest level tried [default: 1024 users, 10000 req/s].
    #[arg(long, value_name = "N", help_heading = "Search")]
    pub max: Option<f64>,
    /// Runs per level; the pass rule uses the variation between them.
    #[arg(long, default_value_t = 1, value_name = "R", help_heading = "Search")]
    pub repeats: u32,
    /// Confidence of the intervals the pass rule uses.
    #[arg(
        long,
        default_value_t = 0.95,
        value_name = "C",
        help_heading = "Search"
    )]
    pub confidence: f64,
    /// How a MARGINAL level (its interval straddles the limit) counts: confident (as
    /// failing) or estimate (by its point estimate).
    #[arg(long, value_enum, default_value_t = PassRuleArg::Confident, help_heading = "Search")]
    pub pass_rule: PassRuleArg,
    /// Run every level to its end, even one that is clearly failing.
    #[arg(long, help_heading = "Search")]
    pub no_early_stop: bool,
    #[command(flatten)]
    pub each: LevelArgs,
    #[command(flatten)]
    pub workload: WorkloadArgs,
    #[command(flatten)]
    pub pacing: PacingArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// What each level of a sweep or search runs.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Each level")]
pub struct LevelArgs {
    /// Measured requests per level: N, or Nx for N per user (N × the rate with --rate)
    /// [default when no --duration: 10x, at least 100; open loop: 30 s of arrivals].
    #[arg(short = 'n', long, visible_alias = "requests", value_name = "N|Nx")]
    pub requests_per_level: Option<PerLevel>,
    /// Length of each level (after its warmup), e.g. 10m.
    #[arg(short, long, value_parser = duration)]
    pub duration: Option<Duration>,
    /// Pause between levels, to let the server settle (seed 004's `sleep 30`).
    #[arg(long, value_parser = duration, default_value = "0s")]
    pub cooldown: Duration,
    /// Continue an interrupted sweep or search from its results directory (give no
    /// other flags: the settings are read from it).
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
}

/// Requests per level: a count, or a multiple of the level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PerLevel {
    /// This many.
    Count(u64),
    /// This many per user (per req/s of rate).
    PerUnit(f64),
}

impl std::str::FromStr for PerLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "invalid requests per level {s:?}: expected N (e.g. 500) or Nx (e.g. 10x: 10 per user)"
            )
        };
        match s.trim().strip_suffix(['x', 'X']) {
            Some(n) => match n.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => Ok(PerLevel::PerUnit(v)),
                _ => Err(bad()),
            },
            None => match s.trim().parse::<u64>() {
                Ok(v) if v > 0 => Ok(PerLevel::Count(v)),
                _ => Err(bad()),
            },
        }
    }
}

/// Load settings shared by every level of a sweep or search.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Load")]
pub struct PacingArgs {
    /// Open-loop arrival process (rate levels).
    #[arg(long, value_enum, default_value_t = ArrivalKind::Poisson)]
    pub arrival: ArrivalKind,
    /// Gamma shape for --arrival gamma.
    #[arg(long, default_value_t = 1.0)]
    pub burstiness: f64,
    /// Rate levels: at most N in flight.
    #[arg(long)]
    pub max_concurrency: Option<u32>,
    /// Excluded from each level's metrics: a request count (20) or a duration (20s).
    #[arg(long, default_value = "0")]
    pub warmup: Warmup,
    /// Seed; each level and repeat derives its own from it, so repeats differ and the
    /// whole search is reproducible.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// After Ctrl-C, how long in-flight requests may finish before they are cancelled.
    #[arg(long, default_value = "5s", value_parser = duration)]
    pub grace: Duration,
    /// Worker threads for the load generator [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
}

/// The axis of a sweep or search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Over {
    /// Closed loop: concurrent users.
    Concurrency,
    /// Open loop: requests per second.
    Rate,
}

/// `--search`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SearchKind {
    /// start, start+step, … until a level fails.
    Linear,
    /// Doubling, then bisection.
    Adaptive,
}

/// `--pass-rule`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PassRuleArg {
    /// A MARGINAL level fails: the capacity is supported at the chosen confidence.
    Confident,
    /// A MARGINAL level is judged by its point estimate.
    Estimate,
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
    #[arg(short = 'H', long = "header", value_name = "NAME:VALUE")]
    pub headers: Vec<String>,
    /// JSON object merged into every request body, e.g. '{"ignore_eos": true}'.
    #[arg(long, value_name = "JSON")]
    pub extra_body: Option<String>,
    /// Ask for whole responses instead of a stream (no TTFT or ITL then).
    #[arg(long)]
    pub no_stream: bool,
    /// Force every output to its full length: sends ignore_eos and min_tokens (vLLM,
    /// SGLang, TensorRT-LLM). Without it a model may stop early at its end-of-text token.
    #[arg(long)]
    pub ignore_eos: bool,
    /// Give up on a request after this long.
    #[arg(long, default_value = "10m", value_parser = duration)]
    pub timeout: Duration,
    /// Give up on a response that sends nothing for this long.
    #[arg(long, default_value = "60s", value_parser = duration)]
    pub stall_timeout: Duration,
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
    pub dataset: Option<String>,
    /// How dataset entries are picked: shuffle (each once, in a seeded order), sequential
    /// (file order) or random (with replacement).
    #[arg(long, default_value = "shuffle", value_name = "HOW")]
    pub dataset_sampling: String,
    /// Keep dataset entries whose prompt length is in MIN..MAX tokens.
    #[arg(long, value_name = "MIN..MAX")]
    pub filter_input_tokens: Option<String>,
    /// Keep dataset entries whose output length is in MIN..MAX tokens.
    #[arg(long, value_name = "MIN..MAX")]
    pub filter_output_tokens: Option<String>,
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
    #[arg(long, value_parser = duration, value_name = "DURATION", requires = "conversation_turns")]
    pub think_time: Option<Duration>,
    /// Replay a trace of timed arrivals: headroom:PATH (our JSONL: t_ms, input_tokens,
    /// output_tokens, session, prefix), mooncake:PATH or azure:PATH (CSV).
    #[arg(long, value_name = "[FORMAT:]PATH")]
    pub trace: Option<String>,
    /// Replay the trace this many times faster.
    #[arg(long, default_value_t = 1.0, value_name = "X", requires = "trace")]
    pub trace_speedup: f64,
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
    #[arg(short, long, value_parser = duration)]
    pub duration: Option<Duration>,
    /// Excluded from metrics: a request count (20) or a duration (20s).
    #[arg(long, default_value = "0")]
    pub warmup: Warmup,
    /// Seed for the arrival schedule and the prompts: same seed, same run.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// After Ctrl-C, how long in-flight requests may finish before they are cancelled.
    #[arg(long, default_value = "5s", value_parser = duration)]
    pub grace: Duration,
    /// Worker threads for the load generator [default: all cores].
    #[arg(long)]
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
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
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
    #[arg(long, value_parser = duration, help_heading = "Fixed timing (instead of the engine)")]
    pub ttft: Option<Duration>,
    /// Fixed mode: time per token after the first.
    #[arg(long, value_parser = duration, help_heading = "Fixed timing (instead of the engine)")]
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
    #[arg(long, default_value = "2s", value_parser = duration)]
    pub fault_delay: Duration,
    /// Seed deciding which requests get faults, and of the engine's step-time jitter.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Pretend to load the model for this long: /health and the API answer 503 until then.
    #[arg(long, default_value = "0s", value_parser = duration)]
    pub startup_delay: Duration,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
}

const SIM_EXAMPLES: &str = "Examples:
  headroom sim --gpu a10 --model qwen3-8b-awq --max-num-seqs 50 --port 8000
      A10 serving Qwen3-8B-AWQ as vLLM V1 would, in real time (tokens paced by the engine model).
  headroom sim --ttft 50ms --itl 10ms --fault http-429=0.05
      Fixed timing: every response's tokens on an exact schedule, 5 % rate-limited.";

/// Parses an SLO expression; the error shows where it went wrong.
fn slo(s: &str) -> Result<Slo, String> {
    s.parse::<Slo>().map_err(|e| e.to_string())
}

/// `headroom profile`: genai-perf's `profile` command line, flag for flag. Flags genai-perf
/// has and headroom does not are usage errors, never silently ignored.
#[derive(Debug, Args)]
#[command(after_long_help = PROFILE_HELP)]
pub struct ProfileArgs {
    /// Model to benchmark (genai-perf takes several for LoRA adapters; headroom measures one).
    #[arg(short, long, required = true, num_args = 1.., value_name = "MODEL", help_heading = "Endpoint")]
    pub model: Vec<String>,
    /// Server URL; http:// is added when there is no scheme, as genai-perf does.
    #[arg(short, long, default_value = "localhost:8000", value_parser = genai_url, help_heading = "Endpoint")]
    pub url: String,
    /// Only openai: headroom speaks the OpenAI API.
    #[arg(long, value_name = "openai", value_parser = service_kind, help_heading = "Endpoint")]
    pub service_kind: Option<String>,
    /// chat (/v1/chat/completions) or completions (/v1/completions).
    #[arg(long, required = true, value_name = "chat|completions", value_parser = endpoint_type, help_heading = "Endpoint")]
    pub endpoint_type: ApiFlavor,
    /// A custom path instead of the OpenAI default, e.g. proxy/v1/chat/completions; it must
    /// end in v1/chat/completions or v1/completions (matching --endpoint-type).
    #[arg(long, value_name = "PATH", help_heading = "Endpoint")]
    pub endpoint: Option<String>,
    /// Stream responses (SSE). Without it requests are not streamed, as in genai-perf: no
    /// TTFT or inter-token latency then.
    #[arg(long, help_heading = "Endpoint")]
    pub streaming: bool,
    /// Extra HTTP header, NAME:VALUE (repeatable).
    #[arg(
        short = 'H',
        long = "header",
        value_name = "NAME:VALUE",
        help_heading = "Endpoint"
    )]
    pub headers: Vec<String>,
    /// Distinct prompts, each sent once unless --request-count or --measurement-interval
    /// says otherwise.
    #[arg(
        long,
        visible_alias = "num-dataset-entries",
        default_value_t = 100,
        value_name = "N",
        help_heading = "Input"
    )]
    pub num_prompts: u64,
    /// Mean prompt length in tokens.
    #[arg(
        long,
        visible_alias = "isl",
        default_value_t = 550,
        value_name = "N",
        help_heading = "Input"
    )]
    pub synthetic_input_tokens_mean: u32,
    /// Standard deviation of the prompt length.
    #[arg(long, default_value_t = 0.0, value_name = "N", help_heading = "Input")]
    pub synthetic_input_tokens_stddev: f64,
    /// Mean output length (max_tokens) [default: headroom's 100 ± 10; genai-perf then
    /// leaves max_tokens unset, headroom always sets it].
    #[arg(long, visible_alias = "osl", value_name = "N", help_heading = "Input")]
    pub output_tokens_mean: Option<u32>,
    /// Standard deviation of the output length.
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "N",
        requires = "output_tokens_mean",
        help_heading = "Input"
    )]
    pub output_tokens_stddev: f64,
    /// Force every output to its full length: sends ignore_eos and min_tokens (vLLM,
    /// SGLang, TensorRT-LLM), like headroom run --ignore-eos.
    #[arg(long, requires = "output_tokens_mean", help_heading = "Input")]
    pub output_tokens_mean_deterministic: bool,
    /// Seed for the prompts and lengths.
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Input")]
    pub random_seed: u64,
    /// Measured requests (0: each prompt once, or --measurement-interval).
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Input")]
    pub request_count: u64,
    /// Requests sent before measuring, excluded from every metric.
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Input")]
    pub warmup_request_count: u64,
    /// Merged into every request body, NAME:VALUE (VALUE as JSON when it parses, else a
    /// string) or a JSON object (repeatable), e.g. ignore_eos:true.
    #[arg(long, value_name = "NAME:VALUE", help_heading = "Input")]
    pub extra_inputs: Vec<String>,
    /// Closed loop: requests in flight [default: 1, as in genai-perf].
    #[arg(
        long,
        conflicts_with = "request_rate",
        value_name = "N",
        help_heading = "Profiling"
    )]
    pub concurrency: Option<u32>,
    /// Open loop: requests per second, evenly spaced (perf_analyzer's constant distribution).
    #[arg(long, value_name = "R", help_heading = "Profiling")]
    pub request_rate: Option<f64>,
    /// Send for this many milliseconds instead of once per prompt (unless --request-count).
    #[arg(short = 'p', long, value_name = "MS", help_heading = "Profiling")]
    pub measurement_interval: Option<u64>,
    /// genai-perf's output directory; `artifacts` becomes
    /// artifacts/<MODEL>-openai-<TYPE>-concurrency<N> (or -request_rate<R>), as in genai-perf.
    #[arg(
        long,
        default_value = "artifacts",
        value_name = "DIR",
        help_heading = "Output"
    )]
    pub artifact_dir: PathBuf,
    /// A file name in the artifact directory; the statistics go to <STEM>_genai_perf.json
    /// and <STEM>_genai_perf.csv beside it.
    #[arg(long, default_value = "profile_export.json", value_name = "FILE", value_parser = export_file, help_heading = "Output")]
    pub profile_export_file: PathBuf,
    /// Accepted; headroom's plots are in its HTML report (`headroom report`).
    #[arg(long, help_heading = "Output")]
    pub generate_plots: bool,
    /// headroom's results directory (manifest.json, requests.jsonl, summary.json)
    /// [default: <artifact dir>/headroom/<UTC timestamp>].
    #[arg(short, long, value_name = "DIR", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// Tokenizer for prompts and counts: a Hugging Face id in the local cache, a
    /// tokenizer.json, a model directory, cl100k_base or o200k_base [default: genai-perf's
    /// hf-internal-testing/llama-tokenizer when cached, else cl100k_base]. Never downloads.
    #[arg(long, value_name = "NAME|PATH|ORG/MODEL", help_heading = "Other")]
    pub tokenizer: Option<String>,
    /// genai-perf passes what follows `--` to perf_analyzer; headroom accepts -H/--header
    /// there (and -v, which it ignores).
    #[arg(last = true, value_name = "PERF_ANALYZER_ARGS")]
    pub passthrough: Vec<String>,
}

const PROFILE_HELP: &str = "Examples:
  headroom profile -m openai/gpt-oss-20b --url http://127.0.0.1:8000 --service-kind openai \\
      --endpoint-type completions --num-prompts 100 --synthetic-input-tokens-mean 200 \\
      --synthetic-input-tokens-stddev 20 --output-tokens-mean 100 --output-tokens-stddev 10 \\
      --concurrency 20 --tokenizer hf-internal-testing/llama-tokenizer
      A genai-perf command line, with only the program name changed.

What it writes:
  <artifact dir>/profile_export_genai_perf.json and .csv: genai-perf's statistics files
      (request_latency, time_to_first_token, inter_token_latency, ... in ms or tokens;
      request_throughput, output_token_throughput), replaced by each run, as genai-perf does.
  <artifact dir>/headroom/<UTC timestamp>/ (or -o DIR): headroom's results directory, as
      for `headroom run`, one per run, never overwritten. There is no profile_export.json
      (perf_analyzer's raw export): requests.jsonl holds every request instead.

Where headroom differs from genai-perf:
  - It measures a fixed amount of work: --request-count requests, else --measurement-interval
    milliseconds of sending, else each of the --num-prompts prompts once; genai-perf repeats
    measurement windows until they are stable.
  - inter_token_latency is genai-perf's per-request (latency - TTFT) / (output tokens - 1);
    percentiles are nearest-rank, not interpolated. Token counts are the server's usage when
    it reports it, else the tokenizer's.
  - Without --url it measures localhost:8000, like genai-perf (not headroom's simulator).
  - Auth: -H 'Authorization: Bearer KEY' (before or after `--`).

Exit status: 0 completed, 1 on a fatal error or when every measured request failed, 2 on a
usage error, 130 when interrupted.";

/// genai-perf's `--url`: `host:port` means `http://host:port`.
fn genai_url(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("expected a URL such as localhost:8000 or http://host:8000".into());
    }
    Ok(if s.contains("://") {
        s.to_string()
    } else {
        format!("http://{s}")
    })
}

/// genai-perf's `--service-kind`: only `openai` here.
fn service_kind(s: &str) -> Result<String, String> {
    match s {
        "openai" => Ok(s.to_string()),
        "triton" | "tensorrtllm_engine" => Err(format!(
            "headroom speaks the OpenAI API, not {s}'s protocol: point --url at an \
             OpenAI-compatible server (vLLM, SGLang, TGI, Triton's or TensorRT-LLM's OpenAI \
             frontend) and use --service-kind openai --endpoint-type chat|completions"
        )),
        _ => Err("expected openai (headroom speaks the OpenAI API)".into()),
    }
}

/// genai-perf's `--endpoint-type`: the two text-generation endpoints.
fn endpoint_type(s: &str) -> Result<ApiFlavor, String> {
    match s {
        "chat" => Ok(ApiFlavor::Chat),
        "completions" => Ok(ApiFlavor::Completions),
        "embeddings"
        | "rankings"
        | "image_retrieval"
        | "nvclip"
        | "vision"
        | "multimodal"
        | "generate"
        | "huggingface_generate"
        | "kserve"
        | "template"
        | "dynamic_grpc" => Err(format!(
            "headroom measures text generation over the OpenAI API: chat or completions \
                 ({s} is not supported)"
        )),
        _ => Err("expected chat or completions".into()),
    }
}

/// genai-perf's `--profile-export-file`: a file name; directories go in --artifact-dir.
fn export_file(s: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(s);
    if p.file_name().is_none() || p.parent().is_some_and(|d| !d.as_os_str().is_empty()) {
        return Err(
            "expected a file name such as profile_export.json; put directories in --artifact-dir"
                .into(),
        );
    }
    Ok(p)
}

/// Parses a humantime duration (`500ms`, `2m`).
fn duration(s: &str) -> Result<Duration, String> {
    headroom_core::duration::parse(s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
