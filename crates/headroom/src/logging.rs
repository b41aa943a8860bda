//! Logs go to stderr; stdout is for data. `NO_COLOR` is respected.

use crate::cli::GlobalArgs;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Colour is used only on a terminal and never when `NO_COLOR` is set.
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Installs the stderr logger. `HEADROOM_LOG` (an env-filter directive) overrides the level
/// chosen by `-v` / `-q`.
pub fn init(g: &GlobalArgs) {
    let level = if g.quiet {
        "warn"
    } else {
        match g.verbose {
            0 => "info",
            1 => "debug",
            _ => "trace",
        }
    };
    let filter = EnvFilter::try_from_env("HEADROOM_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,headroom={level},headroom_sim={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color_enabled())
        .without_time()
        .with_target(false)
        // A reader that closed stderr (`2>&1 | head`) must not turn a log line into a
        // panic: the subscriber's own error report would print to the same closed stderr.
        .log_internal_errors(false)
        .try_init();
}
