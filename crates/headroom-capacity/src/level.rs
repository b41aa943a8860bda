//! Load levels: what a sweep or a search varies.

use headroom_core::LoadPolicy;
use serde::{Deserialize, Serialize};

/// What a level sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum LoadAxis {
    /// Closed loop: requests kept in flight (concurrent users).
    Concurrency,
    /// Open loop: requests per second.
    Rate,
}

impl LoadAxis {
    /// A level as it names a results subdirectory: `c15`, `r2.5`.
    pub fn label(self, v: f64) -> String {
        match self {
            LoadAxis::Concurrency => format!("c{}", v.round() as u64),
            LoadAxis::Rate => format!("r{}", trim(v)),
        }
    }

    /// A level for people: `15 concurrent`, `2.5 req/s`.
    pub fn describe(self, v: f64) -> String {
        match self {
            LoadAxis::Concurrency => format!("{} concurrent", v.round() as u64),
            LoadAxis::Rate => format!("{} req/s", trim(v)),
        }
    }

    /// The column heading of levels in tables.
    pub fn heading(self) -> &'static str {
        match self {
            LoadAxis::Concurrency => "Concurrency",
            LoadAxis::Rate => "Rate (req/s)",
        }
    }

    /// The value as shown in a table cell.
    pub fn cell(self, v: f64) -> String {
        match self {
            LoadAxis::Concurrency => format!("{}", v.round() as u64),
            LoadAxis::Rate => trim(v),
        }
    }

    /// The load policy of level `v`; open-loop settings (arrival process, cap) come from
    /// `template` when it is open loop.
    pub fn load(self, v: f64, template: &LoadPolicy) -> LoadPolicy {
        match self {
            LoadAxis::Concurrency => LoadPolicy::Closed {
                concurrency: (v.round() as u32).max(1),
            },
            LoadAxis::Rate => match *template {
                LoadPolicy::Open {
                    arrival,
                    burstiness,
                    max_concurrency,
                    ..
                } => LoadPolicy::Open {
                    rate: v,
                    arrival,
                    burstiness,
                    max_concurrency,
                },
                _ => LoadPolicy::Open {
                    rate: v,
                    arrival: headroom_core::ArrivalKind::Poisson,
                    burstiness: 1.0,
                    max_concurrency: None,
                },
            },
        }
    }

    /// The nearest level this axis can run: a whole number of users (at least 1), or a
    /// rate with three significant digits.
    pub fn snap(self, v: f64) -> f64 {
        match self {
            LoadAxis::Concurrency => v.round().max(1.0),
            LoadAxis::Rate => {
                if !(v.is_finite() && v > 0.0) {
                    return v;
                }
                let mag = 10f64.powi(v.log10().floor() as i32 - 2);
                (v / mag).round() * mag
            }
        }
    }
}

/// `2.5`, `10`, `0.125`: no trailing zeros.
fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_snapping() {
        assert_eq!(LoadAxis::Concurrency.label(15.0), "c15");
        assert_eq!(LoadAxis::Rate.label(2.5), "r2.5");
        assert_eq!(LoadAxis::Rate.label(10.0), "r10");
        assert_eq!(LoadAxis::Rate.describe(0.125), "0.125 req/s");
        assert_eq!(LoadAxis::Concurrency.snap(0.2), 1.0);
        assert_eq!(LoadAxis::Concurrency.snap(17.5), 18.0);
        assert!((LoadAxis::Rate.snap(4.56789) - 4.57).abs() < 1e-12);
        assert!((LoadAxis::Rate.snap(1234.5) - 1230.0).abs() < 1e-9);
    }

    #[test]
    fn rate_levels_keep_the_open_loop_settings() {
        let t = LoadPolicy::Open {
            rate: 1.0,
            arrival: headroom_core::ArrivalKind::Constant,
            burstiness: 1.0,
            max_concurrency: Some(64),
        };
        match LoadAxis::Rate.load(4.0, &t) {
            LoadPolicy::Open {
                rate,
                arrival,
                max_concurrency,
                ..
            } => {
                assert_eq!(rate, 4.0);
                assert_eq!(arrival, headroom_core::ArrivalKind::Constant);
                assert_eq!(max_concurrency, Some(64));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            LoadAxis::Concurrency.load(7.0, &t),
            LoadPolicy::Closed { concurrency: 7 }
        );
    }
}
