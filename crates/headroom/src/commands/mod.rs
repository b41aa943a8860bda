//! One module per command: flags → settings, a call into the library, printing.

mod catalog;
mod compare;
mod plans;
mod profile;
mod report;
mod resume;
mod run;
mod sim;

use crate::cli::{Cli, Command, PredictThen};
use anyhow::Context as _;
use headroom_capacity::StopSignal;
use headroom_jobs::Tool;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

/// Runs the chosen command (re-reading the saved one for `--resume DIR`).
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let quiet = cli.global.quiet;
    let cli = resume::resolve(cli)?;
    match cli.command {
        Command::Run(args) => run::run(*args, quiet),
        Command::Sweep(a) => plans::sweep(Some(a.target), None, a.sweep, quiet),
        Command::Capacity(a) => plans::capacity(Some(a.target), None, a.capacity, quiet),
        Command::Predict(mut args) => match args.then.take() {
            None => run::predict(*args),
            Some(PredictThen::Sweep(s)) => plans::sweep(None, Some(&args.engine), *s, quiet),
            Some(PredictThen::Capacity(c)) => plans::capacity(None, Some(&args.engine), *c, quiet),
        },
        Command::Sim(args) => sim::execute(*args),
        Command::Catalog(args) => catalog::execute(*args),
        Command::Profile(args) => profile::execute(*args, quiet, cli.global.verbose > 0),
        Command::Report(args) => report::execute(*args),
        Command::Compare(args) => compare::execute(*args),
    }
}

/// The tool as manifests record it.
pub fn tool() -> Tool {
    Tool {
        version: env!("CARGO_PKG_VERSION").into(),
        git_sha: env!("HEADROOM_GIT_SHA").into(),
    }
}

/// A multi-threaded runtime with `threads` workers (default: all cores).
pub fn runtime(threads: Option<usize>) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        b.worker_threads(n);
    }
    b.enable_all()
        .thread_name("headroom")
        .build()
        .context("could not start the async runtime")
}

/// A single-threaded runtime, for work in virtual time.
pub fn current_thread() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

/// A signal raised at Ctrl-C (after logging that the run is winding down), on the
/// current runtime.
pub fn interrupt_on_ctrl_c(grace: Duration) -> StopSignal {
    let s = StopSignal::default();
    let raise = s.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            match grace.is_zero() {
                true => {
                    tracing::warn!("interrupted: no new requests; in-flight requests are cancelled")
                }
                false => tracing::warn!(
                    "interrupted: no new requests; in-flight requests get {} to finish",
                    headroom_core::duration::format(grace)
                ),
            }
            raise.raise();
        }
    });
    s
}

/// Writes `text` to stdout; a reader closing the pipe early (`| head`) is not an error.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to stdout")
        }
        _ => Ok(()),
    }
}

/// Whether to draw a progress bar: asked for, not quiet, and stderr is a terminal.
pub fn progress_wanted(no_progress: bool, quiet: bool) -> bool {
    use std::io::IsTerminal as _;
    !no_progress && !quiet && std::io::stderr().is_terminal()
}
