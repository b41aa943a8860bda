//! headroom: how many concurrent users can this LLM server carry within your latency
//! target? The binary is clap's definitions, flags → settings, and printing; the work
//! lives in the library crates (`headroom-jobs` runs every job).
#![forbid(unsafe_code)]

mod argv;
mod cli;
mod commands;
mod logging;
mod progress;
mod settings;

use clap::Parser;
use headroom_jobs::{JobError, SettingsError};
use std::process::ExitCode;

/// Exit status of a usage error: a flag or value that cannot work (clap's too).
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_from(argv::normalize(std::env::args_os()));
    logging::init(&cli.global);
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            if is_usage(&e) {
                ExitCode::from(USAGE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// `true` when `e` is a setting that cannot work, not a failure of the server or disk.
fn is_usage(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<SettingsError>().is_some()
            || c.downcast_ref::<JobError>().is_some_and(JobError::is_usage)
    })
}
