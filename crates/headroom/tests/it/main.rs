//! The headroom binary as users run it: a real process against a real HTTP server (the
//! simulator on 127.0.0.1:0), real files, real signals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod first_hour;
mod levels;
mod profile;
mod reports;
mod results;
mod schema;
mod signals;
mod simulator;
mod telemetry;
mod workload;

use std::path::Path;
use std::process::{Command, Output};

/// `headroom predict` on seed 000's L20 (vLLM `--max-model-len 8192 --max-num-seqs 50`):
/// the GPU is argument 2.
pub const ENGINE: [&str; 9] = [
    "predict",
    "--gpu",
    "l20",
    "--model",
    "qwen3-8b-awq",
    "--max-model-len",
    "8192",
    "--max-num-seqs",
    "50",
];

/// The `headroom` binary under test.
pub fn headroom() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("headroom"));
    c.env_remove("HEADROOM_URL")
        .env_remove("HEADROOM_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env("NO_COLOR", "1")
        // Help text wraps at the terminal width (COLUMNS when there is no terminal).
        .env("COLUMNS", "100");
    c
}

/// Runs `headroom` with `args` in `dir`, off the async runtime.
pub async fn run_in(dir: &Path, args: &[&str]) -> Output {
    let mut c = headroom();
    c.current_dir(dir).args(args);
    tokio::task::spawn_blocking(move || c.output().expect("headroom runs"))
        .await
        .unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fast simulator for runs whose timing does not matter.
pub fn fast_sim() -> headroom_sim::SimConfig {
    headroom_sim::SimConfig {
        timing: headroom_sim::FixedTiming {
            ttft: std::time::Duration::from_millis(2),
            itl: std::time::Duration::from_millis(1),
            tokens_per_chunk: 1,
        },
        ..headroom_sim::SimConfig::default()
    }
}
