//! When to send: load policy, arrival process, stop rule and warmup.
//!
//! These are independent pieces that compose: any arrival process works with any stop
//! rule, and neither knows which API flavour or backend carries the requests.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// How load is offered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum LoadPolicy {
    /// Closed loop: exactly `concurrency` requests in flight; each finished request is
    /// replaced at once by the next.
    Closed {
        /// Requests in flight.
        concurrency: u32,
    },
    /// Open loop: requests arrive on a schedule computed in advance from the seed,
    /// whatever the server does.
    Open {
        /// Mean arrivals per second.
        rate: f64,
        /// Shape of the gaps between arrivals.
        arrival: ArrivalKind,
        /// Gamma shape parameter for `arrival = gamma` (1 = Poisson, < 1 burstier,
        /// > 1 more regular). Ignored by the other processes.
        burstiness: f64,
        /// Most requests in flight. An arrival that finds the cap full waits and is sent
        /// late; its lateness is recorded as scheduling lag. Arrivals are never skipped.
        max_concurrency: Option<u32>,
    },
    /// Trace replay: request `i` is sent at the workload's own arrival time for it
    /// ([`crate::RequestSource::arrival_us`]), divided by `speedup`. Open loop otherwise.
    Trace {
        /// Time compression: 2 replays the trace twice as fast.
        speedup: f64,
        /// Most requests in flight, as for [`LoadPolicy::Open`].
        max_concurrency: Option<u32>,
    },
}

impl LoadPolicy {
    /// `true` for open loop (requests have an intended send time).
    pub fn is_open(&self) -> bool {
        matches!(self, LoadPolicy::Open { .. } | LoadPolicy::Trace { .. })
    }

    /// A short human label: `concurrency 20` or `rate 8/s poisson`.
    pub fn label(&self) -> String {
        match self {
            LoadPolicy::Closed { concurrency } => format!("concurrency {concurrency}"),
            LoadPolicy::Open {
                rate,
                arrival,
                burstiness,
                max_concurrency,
            } => {
                let mut s = format!("rate {rate}/s {arrival}");
                if *arrival == ArrivalKind::Gamma {
                    s.push_str(&format!(" (burstiness {burstiness})"));
                }
                if let Some(c) = max_concurrency {
                    s.push_str(&format!(", max {c} in flight"));
                }
                s
            }
            LoadPolicy::Trace {
                speedup,
                max_concurrency,
            } => {
                let mut s = "trace replay".to_string();
                if *speedup != 1.0 {
                    s.push_str(&format!(" at {speedup}x"));
                }
                if let Some(c) = max_concurrency {
                    s.push_str(&format!(", max {c} in flight"));
                }
                s
            }
        }
    }
}

/// The distribution of gaps between open-loop arrivals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ArrivalKind {
    /// Evenly spaced: arrival i at i / rate.
    Constant,
    /// Exponential gaps (a Poisson process).
    #[default]
    Poisson,
    /// Gamma-distributed gaps with shape `burstiness` and mean 1 / rate.
    Gamma,
}

impl fmt::Display for ArrivalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArrivalKind::Constant => "constant",
            ArrivalKind::Poisson => "poisson",
            ArrivalKind::Gamma => "gamma",
        })
    }
}

/// When a run stops sending. At least one limit is set; whichever is reached first ends
/// the sending. Requests already in flight then run to completion (bounded by the
/// request timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StopRule {
    /// Measured requests to send (warmup requests are not counted).
    pub requests: Option<u64>,
    /// Time to keep sending, measured from the end of the warmup.
    #[serde(with = "crate::duration::serde_opt_str", default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    pub duration: Option<Duration>,
}

/// What is excluded from the metrics at the start of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Warmup {
    /// Nothing: every request is measured.
    #[default]
    None,
    /// The first N requests.
    Requests(u64),
    /// Requests sent during the first span of the run.
    Duration(Duration),
}

/// A warmup that is neither a count nor a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid warmup {input:?}: give a request count (20) or a duration (20s)")]
pub struct WarmupError {
    /// The text as given.
    pub input: String,
}

impl FromStr for Warmup {
    type Err = WarmupError;

    /// `0` or `none`, a count (`20`), or a duration (`20s`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("none") || t == "0" {
            return Ok(Warmup::None);
        }
        if let Ok(n) = t.parse::<u64>() {
            return Ok(Warmup::Requests(n));
        }
        crate::duration::parse(t)
            .map(Warmup::Duration)
            .map_err(|_| WarmupError {
                input: s.to_string(),
            })
    }
}

impl fmt::Display for Warmup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warmup::None => f.write_str("none"),
            Warmup::Requests(n) => write!(f, "{n}"),
            Warmup::Duration(d) => f.write_str(&crate::duration::format(*d)),
        }
    }
}

impl Serialize for Warmup {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Warmup {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Warmup {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Warmup".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "`none`, a request count, or a humantime duration."
        })
    }
}

/// Everything a runner needs to execute one load level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RunPlan {
    /// Closed or open loop.
    pub load: LoadPolicy,
    /// When to stop sending.
    pub stop: StopRule,
    /// What to exclude at the start.
    pub warmup: Warmup,
    /// Seed for the arrival schedule and the workload: the same seed gives the same run.
    pub seed: u64,
    /// After an interrupt, how long in-flight requests may finish before they are
    /// cancelled.
    #[serde(with = "crate::duration::serde_str")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub grace: Duration,
    /// Multi-turn conversations (closed loop): each worker is a user who sends a
    /// conversation's turns in order, pausing between them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Conversation>,
}

impl RunPlan {
    /// Every check of a plan, in one place: whatever fails here cannot run, whichever
    /// command or file described it. Runners call it before they start; settings call it
    /// as they are read, so a bad value is a usage error before any work.
    pub fn check(&self) -> Result<(), PlanError> {
        match self.stop {
            StopRule {
                requests: None,
                duration: None,
            } => return Err(PlanError::NoStopRule),
            StopRule {
                requests: Some(0), ..
            } => return Err(PlanError::NoRequests),
            StopRule {
                duration: Some(d), ..
            } if d.is_zero() => return Err(PlanError::NoDuration),
            _ => {}
        }
        let max_concurrency = match self.load {
            LoadPolicy::Closed { concurrency: 0 } => return Err(PlanError::NoConcurrency),
            LoadPolicy::Closed { .. } => None,
            LoadPolicy::Open {
                rate,
                burstiness,
                max_concurrency,
                ..
            } => {
                if !(rate.is_finite() && rate > 0.0) {
                    return Err(ArrivalError::Rate(rate).into());
                }
                if !(burstiness.is_finite() && burstiness > 0.0) {
                    return Err(ArrivalError::Burstiness(burstiness).into());
                }
                max_concurrency
            }
            LoadPolicy::Trace {
                speedup,
                max_concurrency,
            } => {
                if !(speedup.is_finite() && speedup > 0.0) {
                    return Err(PlanError::Speedup(speedup));
                }
                max_concurrency
            }
        };
        if max_concurrency == Some(0) {
            return Err(PlanError::NoMaxConcurrency);
        }
        if self.load.is_open() && self.conversation.is_some() {
            return Err(PlanError::ConversationInOpenLoop);
        }
        Ok(())
    }
}

/// How conversations are paced: request `i` is turn `i % turns + 1` of conversation
/// `i / turns`; a turn is sent `think_time` after the previous one ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Conversation {
    /// Turns per conversation.
    pub turns: u32,
    /// Pause between a response and the next turn.
    #[serde(with = "crate::duration::serde_str")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub think_time: Duration,
}

/// Why a run plan cannot be executed.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Neither a request count nor a duration ends the run.
    #[error("give a stop rule: --requests or --duration")]
    NoStopRule,
    /// A run of no requests.
    #[error("--requests must be at least 1")]
    NoRequests,
    /// A run of no time.
    #[error("--duration must be longer than zero")]
    NoDuration,
    /// Closed loop with no request in flight.
    #[error("--concurrency must be at least 1")]
    NoConcurrency,
    /// An open-loop cap of no request in flight.
    #[error("--max-concurrency must be at least 1")]
    NoMaxConcurrency,
    /// Conversations with a rate: users pace their own turns, so only closed loop fits.
    #[error(
        "conversations run in closed loop: give --concurrency (the number of users), not a rate"
    )]
    ConversationInOpenLoop,
    /// The open-loop arrival process cannot be drawn.
    #[error(transparent)]
    Arrivals(#[from] ArrivalError),
    /// Trace replay with a speed-up that is not a positive number.
    #[error("--trace-speedup must be a positive number, got {0}")]
    Speedup(f64),
    /// Trace replay of a workload without arrival times.
    #[error("trace replay needs a workload with arrival times (--trace FILE)")]
    NoArrivalTimes,
    /// An arrival schedule was asked of a closed-loop plan.
    #[error("closed-loop plans have no arrival schedule")]
    ClosedLoopSchedule,
    /// What the runner itself cannot do with the plan (the simulator: the model does not
    /// fit the GPU, or the engine cannot schedule a request with these settings).
    #[error(transparent)]
    Runner(Box<dyn std::error::Error + Send + Sync>),
}

/// Why an open-loop arrival process ([`LoadPolicy::Open`]) cannot be drawn.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum ArrivalError {
    /// The rate is not a positive number.
    #[error("--rate must be a positive number of requests per second, got {0}")]
    Rate(f64),
    /// The gamma shape is not a positive number.
    #[error("--burstiness must be positive, got {0}")]
    Burstiness(f64),
    /// Both are positive, but so far apart that the gaps' scale is not a positive number.
    #[error("rate {rate}/s with burstiness {burstiness} gives no usable gamma distribution")]
    Gamma {
        /// Arrivals per second.
        rate: f64,
        /// The gamma shape.
        burstiness: f64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plan_check_names_the_setting() {
        let ok = RunPlan {
            load: LoadPolicy::Closed { concurrency: 4 },
            stop: StopRule {
                requests: Some(10),
                duration: None,
            },
            warmup: Warmup::None,
            seed: 0,
            grace: Duration::from_secs(1),
            conversation: None,
        };
        assert!(ok.check().is_ok());
        let open = |rate: f64, burstiness: f64, max: Option<u32>| LoadPolicy::Open {
            rate,
            arrival: ArrivalKind::Gamma,
            burstiness,
            max_concurrency: max,
        };
        let cases: Vec<(RunPlan, &str)> = vec![
            (
                RunPlan {
                    load: LoadPolicy::Closed { concurrency: 0 },
                    ..ok.clone()
                },
                "--concurrency",
            ),
            (
                RunPlan {
                    load: open(0.0, 1.0, None),
                    ..ok.clone()
                },
                "--rate must be a positive",
            ),
            (
                RunPlan {
                    load: open(f64::NAN, 1.0, None),
                    ..ok.clone()
                },
                "--rate",
            ),
            (
                RunPlan {
                    load: open(1.0, 0.0, None),
                    ..ok.clone()
                },
                "--burstiness",
            ),
            (
                RunPlan {
                    load: open(1.0, 1.0, Some(0)),
                    ..ok.clone()
                },
                "--max-concurrency",
            ),
            (
                RunPlan {
                    load: LoadPolicy::Trace {
                        speedup: -1.0,
                        max_concurrency: None,
                    },
                    ..ok.clone()
                },
                "--trace-speedup",
            ),
            (
                RunPlan {
                    stop: StopRule {
                        requests: Some(0),
                        duration: None,
                    },
                    ..ok.clone()
                },
                "--requests",
            ),
            (
                RunPlan {
                    stop: StopRule {
                        requests: None,
                        duration: Some(Duration::ZERO),
                    },
                    ..ok.clone()
                },
                "--duration",
            ),
            (
                RunPlan {
                    stop: StopRule {
                        requests: None,
                        duration: None,
                    },
                    ..ok.clone()
                },
                "stop rule",
            ),
            (
                RunPlan {
                    load: open(1.0, 1.0, None),
                    conversation: Some(Conversation {
                        turns: 2,
                        think_time: Duration::ZERO,
                    }),
                    ..ok.clone()
                },
                "closed loop",
            ),
        ];
        for (plan, want) in cases {
            let e = plan.check().unwrap_err().to_string();
            assert!(e.contains(want), "{plan:?}: {e}");
        }
    }

    #[test]
    fn warmup_is_a_count_or_a_duration() {
        assert_eq!("20".parse::<Warmup>().unwrap(), Warmup::Requests(20));
        assert_eq!(
            "20s".parse::<Warmup>().unwrap(),
            Warmup::Duration(Duration::from_secs(20))
        );
        assert_eq!("0".parse::<Warmup>().unwrap(), Warmup::None);
        assert!(
            "soon"
                .parse::<Warmup>()
                .unwrap_err()
                .to_string()
                .contains("request count")
        );
    }

    #[test]
    fn plan_errors_say_what_to_change() {
        for (e, want) in [
            (
                PlanError::NoStopRule,
                "give a stop rule: --requests or --duration",
            ),
            (PlanError::NoConcurrency, "--concurrency must be at least 1"),
            (
                PlanError::NoMaxConcurrency,
                "--max-concurrency must be at least 1",
            ),
            (
                PlanError::ConversationInOpenLoop,
                "conversations run in closed loop: give --concurrency (the number of users), not a rate",
            ),
            (
                ArrivalError::Rate(0.0).into(),
                "--rate must be a positive number of requests per second, got 0",
            ),
            (
                ArrivalError::Burstiness(-1.0).into(),
                "--burstiness must be positive, got -1",
            ),
            (
                ArrivalError::Gamma {
                    rate: 2.0,
                    burstiness: 4.0,
                }
                .into(),
                "rate 2/s with burstiness 4 gives no usable gamma distribution",
            ),
            (
                PlanError::Speedup(0.0),
                "--trace-speedup must be a positive number, got 0",
            ),
            (
                PlanError::NoArrivalTimes,
                "trace replay needs a workload with arrival times (--trace FILE)",
            ),
            (
                PlanError::ClosedLoopSchedule,
                "closed-loop plans have no arrival schedule",
            ),
            (
                PlanError::Runner("the model does not fit".into()),
                "the model does not fit",
            ),
        ] {
            assert_eq!(e.to_string(), want);
        }
        assert_eq!(
            "soon".parse::<Warmup>().unwrap_err().to_string(),
            "invalid warmup \"soon\": give a request count (20) or a duration (20s)"
        );
    }

    #[test]
    fn policy_labels() {
        let open = LoadPolicy::Open {
            rate: 8.0,
            arrival: ArrivalKind::Gamma,
            burstiness: 0.5,
            max_concurrency: Some(4),
        };
        assert_eq!(
            open.label(),
            "rate 8/s gamma (burstiness 0.5), max 4 in flight"
        );
        assert_eq!(
            LoadPolicy::Closed { concurrency: 3 }.label(),
            "concurrency 3"
        );
    }
}
