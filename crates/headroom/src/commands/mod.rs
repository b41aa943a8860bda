//! One module per command: settings resolution, then wiring.

pub mod capacity;
pub mod catalog;
pub mod compare;
pub mod engine;
pub mod levels;
pub mod pipeline;
pub mod predict;
pub mod profile;
pub mod report;
pub mod run;
pub mod sim;
pub mod sweep;
pub mod workload;

use crate::cli::{Cli, Command, PredictThen};
use anyhow::{Context as _, bail};
use clap::Parser as _;
use headroom_results::files::{CAPACITY as CAPACITY_FILE, SWEEP as SWEEP_FILE};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// With `--resume DIR`: the command saved in DIR, to run again into DIR.
fn resume_target(cli: &Cli) -> Option<(PathBuf, &'static str)> {
    let (each, file) = match &cli.command {
        Command::Sweep(a) => (&a.sweep.each, SWEEP_FILE),
        Command::Capacity(a) => (&a.capacity.each, CAPACITY_FILE),
        Command::Predict(p) => match &p.then {
            Some(PredictThen::Sweep(a)) => (&a.each, SWEEP_FILE),
            Some(PredictThen::Capacity(a)) => (&a.each, CAPACITY_FILE),
            None => return None,
        },
        _ => return None,
    };
    each.resume.clone().map(|d| (d, file))
}

/// Re-reads the command line saved in `dir/file`, pointed at `dir` and marked resumed.
fn resumed(dir: &Path, file: &str, argv: &[String]) -> anyhow::Result<Cli> {
    // Only `--resume DIR` (and -q/-v) may be given: the settings are the saved ones.
    let allowed = |a: &str| {
        matches!(
            a,
            "predict" | "sweep" | "capacity" | "--resume" | "-q" | "--quiet"
        ) || a.starts_with("-v")
            || a.starts_with("--resume=")
            || Path::new(a) == dir
    };
    if let Some(extra) = argv.iter().skip(1).find(|a| !allowed(a)) {
        bail!(
            "--resume takes its settings from {}; give it alone (found {extra:?})",
            dir.join(file).display()
        );
    }
    let path = dir.join(file);
    let bytes = std::fs::read(&path).with_context(|| {
        format!(
            "nothing to resume in {}: it has no {file} (is it the results directory of a {}?)",
            dir.display(),
            file.trim_end_matches(".json")
        )
    })?;
    #[derive(serde::Deserialize)]
    struct Saved {
        command: Vec<String>,
    }
    let saved: Saved = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a headroom {file}", path.display()))?;
    // API keys are not stored: drop them, so HEADROOM_API_KEY / OPENAI_API_KEY apply.
    let mut command = Vec::new();
    let mut skip = false;
    for a in saved.command {
        if skip {
            skip = false;
            continue;
        }
        if a == "--api-key" {
            skip = true;
            continue;
        }
        if a.starts_with("--api-key=") {
            continue;
        }
        if a.contains("***") {
            bail!(
                "the saved command has a header whose value headroom did not store ({a}); run the command again with --out {} --resume {} instead",
                dir.display(),
                dir.display()
            );
        }
        command.push(a);
    }
    let mut cli = Cli::try_parse_from(&command).map_err(|e| {
        anyhow::anyhow!(
            "cannot re-read the command saved in {}: {e}",
            path.display()
        )
    })?;
    let dir = Some(dir.to_path_buf());
    let (each, output) = match &mut cli.command {
        Command::Sweep(a) => (&mut a.sweep.each, &mut a.sweep.output),
        Command::Capacity(a) => (&mut a.capacity.each, &mut a.capacity.output),
        Command::Predict(p) => match &mut p.then {
            Some(PredictThen::Sweep(a)) => (&mut a.each, &mut a.output),
            Some(PredictThen::Capacity(a)) => (&mut a.each, &mut a.output),
            None => bail!(
                "{} does not hold a sweep or capacity search",
                path.display()
            ),
        },
        _ => bail!(
            "{} does not hold a sweep or capacity search",
            path.display()
        ),
    };
    each.resume = dir.clone();
    output.out = dir;
    Ok(cli)
}

/// Runs the chosen command.
pub fn dispatch(mut cli: Cli) -> anyhow::Result<ExitCode> {
    let quiet = cli.global.quiet;
    if let Some((dir, file)) = resume_target(&cli) {
        let argv: Vec<String> = std::env::args().collect();
        let mut again = resumed(&dir, file, &argv)?;
        again.global = cli.global;
        cli = again;
    }
    match cli.command {
        Command::Run(args) => run::execute(*args, quiet),
        Command::Sweep(a) => {
            let a = *a;
            sweep::execute(Some(a.target), None, a.sweep, quiet)
        }
        Command::Capacity(a) => {
            let a = *a;
            capacity::execute(Some(a.target), None, a.capacity, quiet)
        }
        Command::Predict(mut args) => match args.then.take() {
            None => predict::execute(*args, quiet),
            Some(PredictThen::Sweep(s)) => sweep::execute(None, Some(&args.engine), *s, quiet),
            Some(PredictThen::Capacity(c)) => {
                capacity::execute(None, Some(&args.engine), *c, quiet)
            }
        },
        Command::Sim(args) => sim::execute(*args),
        Command::Catalog(args) => catalog::execute(*args),
        Command::Profile(args) => profile::execute(*args, quiet, cli.global.verbose > 0),
        Command::Report(args) => report::execute(*args),
        Command::Compare(args) => compare::execute(*args),
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
