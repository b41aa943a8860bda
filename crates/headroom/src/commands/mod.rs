//! One module per command: settings resolution, then wiring.

pub mod catalog;
pub mod engine;
pub mod pipeline;
pub mod predict;
pub mod profile;
pub mod run;
pub mod sim;
pub mod workload;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

/// Runs the chosen command.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let quiet = cli.global.quiet;
    match cli.command {
        Command::Run(args) => run::execute(*args, quiet),
        Command::Predict(args) => predict::execute(*args, quiet),
        Command::Sim(args) => sim::execute(*args),
        Command::Catalog(args) => catalog::execute(*args),
        Command::Profile(args) => profile::execute(*args, quiet, cli.global.verbose > 0),
    }
}

/// A multi-threaded runtime with `threads` workers (default: all cores).
pub fn runtime(threads: Option<usize>) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        anyhow::ensure!(n >= 1, "--threads must be at least 1");
        b.worker_threads(n);
    }
    b.enable_all()
        .thread_name("headroom")
        .build()
        .map_err(|e| anyhow::anyhow!("could not start the async runtime: {e}"))
}
