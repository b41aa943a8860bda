//! `headroom sweep` and `headroom capacity` (also under `headroom predict`): the levels, the
//! search, and what each level runs.

use super::{OutputArgs, WorkloadArgs};
use clap::Args;
use headroom_capacity::{LoadAxis, PassRule, SearchKind};
use headroom_core::{ArrivalKind, Warmup};
use headroom_jobs::settings::{PerLevel, parse_confidence};
use headroom_metrics::slo::Slo;
use std::path::PathBuf;
use std::time::Duration;

/// `headroom sweep`
#[derive(Debug, Args)]
#[command(after_long_help = SWEEP_EXAMPLES)]
pub struct SweepCommand {
    #[command(flatten)]
    pub target: super::TargetArgs,
    #[command(flatten)]
    pub sweep: SweepArgs,
}

/// `headroom capacity`
#[derive(Debug, Args)]
#[command(after_long_help = CAPACITY_EXAMPLES)]
pub struct CapacityCommand {
    #[command(flatten)]
    pub target: super::TargetArgs,
    #[command(flatten)]
    pub capacity: CapacityArgs,
}

const SWEEP_EXAMPLES: &str = "Examples:
  headroom sweep --url http://127.0.0.1:8000 --concurrency 10,20,40,80,120,200 \\
                 --requests-per-level 10x --input-tokens 200:20 --output-tokens 100:10
      The genai-perf sweep: 10 requests per user at each level, the table with the knee.
  headroom sweep --url http://127.0.0.1:8000 --rate 1,2,4,8,16 --duration 2m
      Open-loop levels, 2 minutes each.
  headroom sweep --url http://127.0.0.1:8000 --auto
      Doubles concurrency until throughput stops growing, then adds levels around the peak.

Each level is a full run in its own subdirectory of the results directory. An interrupted
sweep continues with `headroom sweep --resume DIR`.";

const CAPACITY_EXAMPLES: &str = "Examples:
  headroom capacity --url http://127.0.0.1:8000 --slo 'p95(e2e)<=3.81s' \\
                    --start 15 --step 5 --repeats 3 --duration 10m
      The capacity plan: 15, 20, 25, … concurrent users, three 10-minute runs each, until a
      level fails.
  headroom capacity --url http://127.0.0.1:8000 --slo 'p95(e2e)<=3.81s' --slo 'p99(ttft)<=1s' \\
                    --slo 'errors<=1%' --search adaptive
      Doubling, then bisection: the same answer in fewer levels.
  headroom capacity --url http://127.0.0.1:8000 --over rate --slo 'p90(tpot)<=50ms'
      The highest request rate (open loop) that keeps P90 TPOT within 50 ms.

SLOs: pXX(metric) <= VALUE, mean(metric) <= VALUE, errors <= N%, goodput >= N/s or N%;
metrics ttft, itl, itl_per_token, tpot, e2e, ttft_from_intended, e2e_from_intended.
A level passes when the 95% confidence interval of every SLO statistic (within runs and
across repeats) is inside its limit, fails when it is wholly beyond, and is INCONCLUSIVE
between. Without --requests-per-level, --duration or --repeats, each level sends until its
verdict is decided (looks after 100, 150, 225, … requests, the risk split between them),
up to --max-requests-per-level; see the README. Exit status: 0 when a capacity was found, 1 when no level passed
and one failed, 2 on a usage error, 3 when inconclusive levels leave the answer a range
or undecided (give each level more requests), 130 when interrupted (continue with
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
    #[arg(long, value_enum, default_value_t = LoadAxis::Concurrency, requires = "auto", help_heading = "Levels")]
    pub over: LoadAxis,
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
    #[arg(long = "slo", value_name = "EXPR", help_heading = "Levels")]
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
    #[arg(
        long = "slo",
        value_name = "EXPR",
        required_unless_present = "resume",
        help_heading = "Search"
    )]
    pub slos: Vec<Slo>,
    /// Search over closed-loop concurrency or open-loop request rate.
    #[arg(long, value_enum, default_value_t = LoadAxis::Concurrency, help_heading = "Search")]
    pub over: LoadAxis,
    /// linear: start, start+step, … until a level fails (the capacity plan's progression);
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
        value_parser = parse_confidence,
        help_heading = "Search"
    )]
    pub confidence: f64,
    /// How an INCONCLUSIVE level (its interval straddles the limit) counts: confident (as
    /// failing) or estimate (by its point estimate).
    #[arg(long, value_enum, default_value_t = PassRule::Confident, help_heading = "Search")]
    pub pass_rule: PassRule,
    /// Run every level to its end, even one that is clearly failing.
    #[arg(long, help_heading = "Search")]
    pub no_early_stop: bool,
    /// Without --requests-per-level or --duration, each level stops once its verdict is
    /// decided: it sends at most this many requests [default: 2000].
    #[arg(long, value_name = "N", help_heading = "Each level")]
    pub max_requests_per_level: Option<u64>,
    /// A level that stops once decided runs at most this long [default: 10m].
    #[arg(
        long,
        value_name = "DURATION",
        value_parser = headroom_core::duration::parse,
        help_heading = "Each level"
    )]
    pub max_duration_per_level: Option<Duration>,
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
    /// [default when no --duration: 10x, at least 100; open loop: 30 s of arrivals; a
    /// capacity search sends until each level is decided instead].
    #[arg(short = 'n', long, visible_alias = "requests", value_name = "N|Nx")]
    pub requests_per_level: Option<PerLevel>,
    /// Length of each level (after its warmup), e.g. 10m.
    #[arg(short, long, value_parser = headroom_core::duration::parse)]
    pub duration: Option<Duration>,
    /// Pause between levels, to let the server settle (the genai-perf sweep's `sleep 30`).
    #[arg(long, value_parser = headroom_core::duration::parse, default_value = "0s")]
    pub cooldown: Duration,
    /// Continue an interrupted sweep or search from its results directory (give no
    /// other flags: the settings are read from it).
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
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
    #[arg(long, default_value = "5s", value_parser = headroom_core::duration::parse)]
    pub grace: Duration,
    /// Worker threads for the load generator [default: all cores].
    #[arg(long, value_parser = headroom_jobs::settings::parse_threads)]
    pub threads: Option<usize>,
}
