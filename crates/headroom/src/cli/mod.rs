//! The command line: clap's definitions of every command and flag. `crate::settings`
//! turns them into the library's settings, where every value is checked.

mod engine;
mod plans;
mod profile;
mod results;
mod run;

pub use engine::{CatalogArgs, EngineArgs, PredictArgs, PredictThen, SimArgs};
pub use plans::{CapacityArgs, CapacityCommand, LevelArgs, PacingArgs, SweepArgs, SweepCommand};
pub use profile::ProfileArgs;
pub use results::{CompareArgs, CompareFormat, ReportArgs};
pub use run::{Format, LoadArgs, OutputArgs, RunArgs, TargetArgs, WorkloadArgs};

use clap::{Args, Parser, Subcommand};

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
