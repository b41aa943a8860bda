//! `--resume DIR`: the command saved in a sweep's or search's file, read back and pointed
//! at DIR, so the plan continues with exactly its settings.

use crate::cli::{Cli, Command, LevelArgs, OutputArgs, PredictThen};
use anyhow::bail;
use clap::Parser as _;
use headroom_jobs::SettingsError;
use headroom_results::PlanKind;
use std::path::{Path, PathBuf};

/// The plan settings of a sweep or search command (and which kind it is).
fn plan_args(cli: &mut Cli) -> Option<(PlanKind, &mut LevelArgs, &mut OutputArgs)> {
    match &mut cli.command {
        Command::Sweep(a) => Some((PlanKind::Sweep, &mut a.sweep.each, &mut a.sweep.output)),
        Command::Capacity(a) => Some((
            PlanKind::Capacity,
            &mut a.capacity.each,
            &mut a.capacity.output,
        )),
        Command::Predict(p) => match &mut p.then {
            Some(PredictThen::Sweep(a)) => Some((PlanKind::Sweep, &mut a.each, &mut a.output)),
            Some(PredictThen::Capacity(a)) => {
                Some((PlanKind::Capacity, &mut a.each, &mut a.output))
            }
            None => None,
        },
        _ => None,
    }
}

/// `cli` itself, or with `--resume DIR` the command saved in DIR, marked resumed.
pub fn resolve(mut cli: Cli) -> anyhow::Result<Cli> {
    let Some((kind, each, _)) = plan_args(&mut cli) else {
        return Ok(cli);
    };
    let Some(dir) = each.resume.clone() else {
        return Ok(cli);
    };
    let argv: Vec<String> = std::env::args().collect();
    let mut again = saved_cli(&dir, kind, &argv)?;
    again.global = cli.global;
    Ok(again)
}

/// Re-reads the command line saved in DIR's plan file, pointed at DIR.
fn saved_cli(dir: &Path, kind: PlanKind, argv: &[String]) -> anyhow::Result<Cli> {
    let file = kind.file();
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
        return Err(SettingsError::new(format!(
            "--resume takes its settings from {}; give it alone (found {extra:?})",
            dir.join(file).display()
        ))
        .into());
    }
    let command = headroom_results::command::saved(dir, kind)?;
    let mut cli = Cli::try_parse_from(crate::argv::normalize(command)).map_err(|e| {
        anyhow::anyhow!(
            "cannot re-read the command saved in {}: {e}",
            dir.join(file).display()
        )
    })?;
    let Some((_, each, output)) = plan_args(&mut cli) else {
        bail!(
            "{} does not hold a sweep or capacity search",
            dir.join(file).display()
        );
    };
    each.resume = Some(dir.to_path_buf());
    output.out = Some(PathBuf::from(dir));
    Ok(cli)
}
