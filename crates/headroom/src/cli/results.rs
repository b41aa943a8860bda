//! `headroom report` and `headroom compare`: reading results back.

use clap::{Args, ValueEnum};
use headroom_jobs::settings::{parse_confidence, parse_price};
use headroom_metrics::gate::Gate;
use std::path::PathBuf;

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
    #[arg(long = "price", value_name = "NAME=USD_PER_HOUR", value_parser = parse_price)]
    pub prices: Vec<(String, f64)>,
    /// Exit 1 when a result regresses against the first, e.g. 'p95(e2e) > +10%',
    /// 'throughput < -5%', 'p99(ttft) > +50ms', 'errors > 1%' (repeatable).
    #[arg(long = "fail-if", value_name = "EXPR")]
    pub fail_if: Vec<Gate>,
    /// Confidence of the significance tests.
    #[arg(long, default_value_t = 0.95, value_name = "LEVEL", value_parser = parse_confidence)]
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
      Capacity ratio (the capacity plan's direct performance ratio), latency and
      throughput side by side with significance, and cost per million tokens and per
      concurrent user.
  headroom compare results/before results/after --fail-if 'p95(e2e) > +10%'
      A CI gate: exit 1 when the P95 request latency rose by more than 10 %.
  headroom compare base vllm sglang --out cmp
      Any number of results; cmp/report.html overlays their curves.";

const REPORT_EXAMPLES: &str = "Examples:
  headroom report results/20261122-101500
      Rebuilds report.html, report.md and plots/*.svg|png there, and prints the summary.
      Works on a run killed before it finished: its requests.jsonl is enough.";
