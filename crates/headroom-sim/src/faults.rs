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

impl FromStr for FaultSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let names = FaultKind::ALL.map(FaultKind::name).join(", ");
        let (k, r) = s.split_once('=').ok_or_else(|| {
            format!("invalid fault {s:?}: expected KIND=RATE, e.g. http-429=0.05 (kinds: {names})")
        })?;
        let kind = FaultKind::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(k.trim()))
            .ok_or_else(|| format!("unknown fault kind {k:?}: expected one of {names}"))?;
        let rate: f64 = r
            .trim()
            .parse()
            .map_err(|_| format!("invalid fault rate {r:?}: expected a number in [0, 1]"))?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(format!(
                "invalid fault rate {rate}: expected a number in [0, 1]"
            ));
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
    pub fn validate(&self) -> Result<(), String> {
        let total: f64 = self.specs.iter().map(|s| s.rate).sum();
        if total > 1.0 + 1e-9 {
            return Err(format!("fault rates sum to {total}, more than 1"));
        }
        Ok(())
    }

    /// The fault for arrival number `i`, if any.
    pub fn pick(&self, i: u64) -> Option<FaultKind> {
        if self.specs.is_empty() {
            return None;
        }
        let u = (headroom_core::seed::mix(self.seed ^ headroom_core::seed::mix(i)) >> 11) as f64
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
                .contains("expected one of")
        );
        assert!(
            "stall=2"
                .parse::<FaultSpec>()
                .unwrap_err()
                .contains("[0, 1]")
        );
        assert!(
            "stall"
                .parse::<FaultSpec>()
                .unwrap_err()
                .contains("KIND=RATE")
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
