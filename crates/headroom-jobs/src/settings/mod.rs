//! Settings, checked once. Every value a user can give — on the command line, and later
//! in files — is turned into typed settings here, and every check of a value lives here:
//! a bad value gives the same [`SettingsError`] whichever command received it. Settings
//! are named as their flags are (`--concurrency`).

mod plan;
mod run;

pub use plan::{
    BudgetOptions, CapacityOptions, LevelOptions, PerLevel, SweepLevelsOption, SweepOptions,
};
pub use run::{
    DEFAULT_CONCURRENCY, DEFAULT_SCRAPE_INTERVAL, GpuSource, LoadOptions, MetricsSource,
    OutputOptions, TargetOptions, check_plan, default_stop,
};

use serde_json::{Map, Value};

/// A value that cannot work: a usage error (the binary exits 2), saying what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

impl SettingsError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        SettingsError(message.into())
    }

    /// `e` and its causes, each said once: a cause whose text the message already
    /// contains (`cannot read x: No such file or directory` over the I/O error) is not
    /// repeated.
    pub fn from_error(e: &(dyn std::error::Error + 'static)) -> Self {
        let mut message = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            let text = c.to_string();
            if !message.contains(&text) {
                message = format!("{message}: {text}");
            }
            cause = c.source();
        }
        SettingsError(message)
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0
    }
}

/// Errors of the crates below that can only come from a bad setting (an unknown GPU, a
/// missing dataset, an unusable URL): usage errors, said once.
macro_rules! from_errors {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for SettingsError {
            fn from(e: $t) -> Self {
                SettingsError::from_error(&e)
            }
        }
    )*};
}

from_errors!(
    headroom_core::PlanError,
    headroom_sim::EngineError,
    headroom_workload::TokenizerError,
    headroom_workload::DatasetError,
    headroom_workload::TraceError,
    headroom_client::endpoint::UrlError,
);

/// `KEY<sep>VALUE` with a non-empty key, both trimmed.
fn pair(s: &str, sep: char, flag: &str, expected: &str) -> Result<(String, String), SettingsError> {
    s.split_once(sep)
        .filter(|(k, _)| !k.trim().is_empty())
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .ok_or_else(|| SettingsError::new(format!("invalid {flag} {s:?}: expected {expected}")))
}

/// `--scrape-interval`: a duration of at least 100 ms.
pub fn parse_scrape_interval(s: &str) -> Result<std::time::Duration, SettingsError> {
    let d = headroom_core::duration::parse(s).map_err(|e| SettingsError(e.to_string()))?;
    if d < std::time::Duration::from_millis(100) {
        return Err(SettingsError(format!(
            "--scrape-interval {s} is too often: scrape at most every 100ms"
        )));
    }
    Ok(d)
}

/// `--header NAME:VALUE`.
pub fn parse_header(s: &str) -> Result<(String, String), SettingsError> {
    pair(s, ':', "--header", "NAME:VALUE, e.g. 'X-Team: infra'")
}

/// `--label KEY=VALUE`.
pub fn parse_label(s: &str) -> Result<(String, String), SettingsError> {
    pair(s, '=', "--label", "KEY=VALUE, e.g. gpu=L20")
}

/// `--price NAME=USD_PER_HOUR` (a leading `$` is allowed).
pub fn parse_price(s: &str) -> Result<(String, f64), SettingsError> {
    let (name, v) = pair(s, '=', "--price", "NAME=USD_PER_HOUR, e.g. l20=1.10")?;
    let usd = v
        .trim_start_matches('$')
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .ok_or_else(|| {
            SettingsError::new(format!(
                "invalid --price {s:?}: the price must be a positive number of dollars per hour"
            ))
        })?;
    Ok((name.to_lowercase(), usd))
}

/// `--extra-body JSON`: an object merged into every request body.
pub fn parse_extra_body(s: &str) -> Result<Map<String, Value>, SettingsError> {
    match serde_json::from_str::<Value>(s) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(SettingsError::new(
            "--extra-body must be a JSON object, e.g. '{\"ignore_eos\": true}'",
        )),
        Err(e) => Err(SettingsError::new(format!(
            "--extra-body is not valid JSON ({e}); expected an object, e.g. '{{\"ignore_eos\": true}}'"
        ))),
    }
}

/// `--confidence C`: the confidence of intervals and tests, strictly between 0.5 and 1.
pub fn parse_confidence(s: &str) -> Result<f64, SettingsError> {
    match s.trim().parse::<f64>() {
        Ok(c) => check_confidence(c),
        Err(_) => Err(bad_confidence(s)),
    }
}

/// A confidence level strictly between 0.5 and 1.
pub fn check_confidence(c: f64) -> Result<f64, SettingsError> {
    if c > 0.5 && c < 1.0 {
        Ok(c)
    } else {
        Err(bad_confidence(c))
    }
}

fn bad_confidence(given: impl std::fmt::Display) -> SettingsError {
    SettingsError::new(format!(
        "--confidence must be between 0.5 and 1 (e.g. 0.95), got {given}"
    ))
}

/// `--threads N`: worker threads, at least 1.
pub fn parse_threads(s: &str) -> Result<usize, SettingsError> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(SettingsError::new(format!(
            "--threads must be a whole number of at least 1, got {s}"
        ))),
    }
}

/// `MIN..MAX` token lengths (`--filter-input-tokens`); `N` means exactly N.
pub fn parse_length_range(s: &str) -> Result<(u32, u32), SettingsError> {
    let bad = || {
        SettingsError::new(format!(
            "invalid range {s:?}: expected MIN..MAX, e.g. 4..1024"
        ))
    };
    match s.parse::<headroom_core::LengthSpec>() {
        Ok(headroom_core::LengthSpec::Uniform { min, max }) => Ok((min, max)),
        Ok(headroom_core::LengthSpec::Fixed(n)) => Ok((n, n)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_checked_in_one_place() {
        assert_eq!(
            parse_header("X-Team: infra").unwrap(),
            ("X-Team".into(), "infra".into())
        );
        assert!(
            parse_header("nocolon")
                .unwrap_err()
                .message()
                .contains("expected NAME:VALUE")
        );
        assert!(parse_label("=x").is_err());
        assert_eq!(parse_price("L20=$1.10").unwrap(), ("l20".into(), 1.10));
        assert!(
            parse_price("l20=free")
                .unwrap_err()
                .message()
                .contains("positive number")
        );
        assert!(
            parse_extra_body("[1]")
                .unwrap_err()
                .message()
                .contains("JSON object")
        );
        assert!(parse_confidence("1").is_err() && parse_confidence("0.9").is_ok());
        assert_eq!(parse_length_range("4..1024").unwrap(), (4, 1024));
        assert!(parse_length_range("lots").is_err());
    }

    #[test]
    fn causes_are_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        #[derive(Debug, thiserror::Error)]
        #[error("cannot read x: {0}")]
        struct Outer(#[source] std::io::Error);
        let e = SettingsError::from_error(&Outer(io));
        assert_eq!(e.message(), "cannot read x: No such file or directory");
    }
}
