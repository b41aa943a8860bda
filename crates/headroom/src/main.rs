//! headroom: how many concurrent users can this LLM server carry within your latency
//! target? The binary is CLI and wiring only; the work lives in the library crates.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod logging;
mod results;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init(&cli.global);
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
