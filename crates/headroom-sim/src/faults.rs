//! Deterministic fault injection.

use std::fmt;
use std::str::FromStr;

/// A kind of fault the simulator can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// HTTP 429 with `Retry-After: 1`.
    Http429,
    /// HTTP 500.
    Http500,
    /// HTTP 503.
    Http503,
    /// An error object inside the 200 stream, halfway through.
    ErrorEvent,
    /// The connection drops halfway through the stream.
    Disconnect,
    /// One chunk halfway through is not valid JSON.
    Malformed,
    /// The stream stops halfway and never resumes (the connection stays open).
    Stall,
    /// The response head is delayed by the fault delay.
    SlowFirstByte,
}

impl FaultKind {
    /// All kinds.
    pub const ALL: [FaultKind; 8] = [
        FaultKind::Http429,
        FaultKind::Http500,
        FaultKind::Http503,
        FaultKind::ErrorEvent,
        FaultKind::Disconnect,
        FaultKind::Malformed,
        FaultKind::Stall,
        FaultKind::SlowFirstByte,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Http429 => "http-429",
            FaultKind::Http500 => "http-500",
            FaultKind::Http503 => "http-503",
            FaultKind::ErrorEvent => "error-event",
            FaultKind::Disconnect => "disconnect",
            FaultKind::Malformed => "malformed",
            FaultKind::Stall => "stall",
            FaultKind::SlowFirstByte => "slow-first-byte",
        }
    }

    pub(crate) fn idx(self) -> usize {
        self as usize
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `KIND=RATE`, e.g. `http-429=0.05`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultSpec {
    /// The fault.
    pub kind: FaultKind,
    /// Share of requests that get it, in `[0, 1]`.
    pub rate: f64,
}

/// The fault kinds' names, for messages.
fn kind_names() -> String {
    FaultKind::ALL.map(FaultKind::name).join(", ")
}

/// A `--fault` that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultError {
    /// Not of the form `KIND=RATE`.
    #[error(
        "invalid fault {0:?}: expected KIND=RATE, e.g. http-429=0.05 (kinds: {kinds})",
        kinds = kind_names()
    )]
    NotKindRate(String),
    /// No fault has that name.
    #[error("unknown fault kind {0:?}: expected one of {kinds}", kinds = kind_names())]
    UnknownKind(String),
    /// The rate is not a number.
    #[error("invalid fault rate {0:?}: expected a number in [0, 1]")]
    RateNotANumber(String),
    /// The rate is outside `[0, 1]`.
    #[error("invalid fault rate {0}: expected a number in [0, 1]")]
    RateOutOfRange(f64),
    /// The rates of all faults add up to more than every request.
    #[error("fault rates sum to {0}, more than 1")]
    RatesOverOne(f64),
}

impl FromStr for FaultSpec {
    type Err = FaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (k, r) = s
            .split_once('=')
            .ok_or_else(|| FaultError::NotKindRate(s.to_string()))?;
        let kind = FaultKind::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(k.trim()))
            .ok_or_else(|| FaultError::UnknownKind(k.to_string()))?;
        let rate: f64 = r
            .trim()
            .parse()
            .map_err(|_| FaultError::RateNotANumber(r.to_string()))?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(FaultError::RateOutOfRange(rate));
        }
        Ok(FaultSpec { kind, rate })
    }
}

/// The faults to inject and the seed that decides which requests get them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Faults and their rates; the rates must sum to at most 1.
    pub specs: Vec<FaultSpec>,
    /// Seed of the per-arrival decision.
    pub seed: u64,
}

impl Faults {
    /// Checks that the rates sum to at most 1.
    pub fn validate(&self) -> Result<(), FaultError> {
        let total: f64 = self.specs.iter().map(|s| s.rate).sum();
        if total > 1.0 + 1e-9 {
            return Err(FaultError::RatesOverOne(total));
        }
        Ok(())
    }

    /// The fault for the `arrival`-th arrival (from 0), if any.
    pub fn pick(&self, arrival: u64) -> Option<FaultKind> {
        if self.specs.is_empty() {
            return None;
        }
        let u = (headroom_core::seed::mix(self.seed ^ headroom_core::seed::mix(arrival)) >> 11)
            as f64
            / (1u64 << 53) as f64;
        let mut acc = 0.0;
        for s in &self.specs {
            acc += s.rate;
            if u < acc {
                return Some(s.kind);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_explains() {
        let f: FaultSpec = "http-429=0.25".parse().unwrap();
        assert_eq!(
            f,
            FaultSpec {
                kind: FaultKind::Http429,
                rate: 0.25
            }
        );
        assert!(
            "nope=0.1"
                .parse::<FaultSpec>()
                .unwrap_err()
                .to_string()
                .contains("expected one of")
        );
        assert!(
            "stall=2"
                .parse::<FaultSpec>()
                .unwrap_err()
                .to_string()
                .contains("[0, 1]")
        );
        assert!(
            "stall"
                .parse::<FaultSpec>()
                .unwrap_err()
                .to_string()
                .contains("KIND=RATE")
        );
    }

    #[test]
    fn each_fault_error_says_what_was_expected() {
        let kinds = "http-429, http-500, http-503, error-event, disconnect, malformed, stall, slow-first-byte";
        for (text, want) in [
            (
                "stall",
                format!(
                    "invalid fault \"stall\": expected KIND=RATE, e.g. http-429=0.05 (kinds: {kinds})"
                ),
            ),
            (
                "nope=0.1",
                format!("unknown fault kind \"nope\": expected one of {kinds}"),
            ),
            (
                "stall=x",
                "invalid fault rate \"x\": expected a number in [0, 1]".to_string(),
            ),
            (
                "stall=2",
                "invalid fault rate 2: expected a number in [0, 1]".to_string(),
            ),
        ] {
            assert_eq!(text.parse::<FaultSpec>().unwrap_err().to_string(), want);
        }
        assert_eq!(
            FaultError::RatesOverOne(1.5).to_string(),
            "fault rates sum to 1.5, more than 1"
        );
    }

    #[test]
    fn shares_are_close_to_the_rates_and_reproducible() {
        let f = Faults {
            specs: vec![
                FaultSpec {
                    kind: FaultKind::Http500,
                    rate: 0.1,
                },
                FaultSpec {
                    kind: FaultKind::Stall,
                    rate: 0.2,
                },
            ],
            seed: 4,
        };
        let picks: Vec<_> = (0..100_000).map(|i| f.pick(i)).collect();
        let n = |k| picks.iter().filter(|p| **p == Some(k)).count() as f64 / 1e5;
        assert!((n(FaultKind::Http500) - 0.1).abs() < 0.005);
        assert!((n(FaultKind::Stall) - 0.2).abs() < 0.005);
        assert_eq!(
            picks[..50],
            (0..50).map(|i| f.pick(i)).collect::<Vec<_>>()[..]
        );
        assert!(
            Faults {
                specs: vec![
                    FaultSpec {
                        kind: FaultKind::Stall,
                        rate: 0.7
                    };
                    2
                ],
                seed: 0
            }
            .validate()
            .is_err()
        );
    }
}
