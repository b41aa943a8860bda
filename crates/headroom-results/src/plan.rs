//! The files a sweep or capacity search leaves at the top of its results directory
//! (`capacity.json`, `sweep.json`): settings, one entry per level, the conclusion. They are
//! rewritten after every level, so an interrupted search is readable and resumable.

use headroom_capacity::sweep::{Marks, Row};
use headroom_capacity::{Found, LevelResult, LoadAxis, Method, PassRule};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which plan a file holds: the `kind` field of `capacity.json` and `sweep.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// A capacity search (`capacity.json`).
    Capacity,
    /// A sweep (`sweep.json`).
    Sweep,
}

impl PlanKind {
    /// The command that runs (and `--resume`s) this kind of plan.
    pub fn command(self) -> &'static str {
        match self {
            PlanKind::Capacity => "capacity",
            PlanKind::Sweep => "sweep",
        }
    }

    /// The plan file at the top of its results directory.
    pub fn file(self) -> &'static str {
        match self {
            PlanKind::Capacity => crate::files::CAPACITY,
            PlanKind::Sweep => crate::files::SWEEP,
        }
    }
}

/// Where a sweep or search stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Still running (or killed: resume it).
    Running,
    /// Every level it needed was measured.
    Complete,
    /// Stopped by Ctrl-C (resume it).
    Interrupted,
}

/// What both files record about the search as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PlanHeader {
    /// The command line (secrets redacted), used by `--resume`.
    pub command: Vec<String>,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// The target, for people.
    pub target: String,
    /// The model requested.
    pub model: String,
    /// `--label`s, e.g. gpu=L20.
    pub labels: BTreeMap<String, String>,
    /// Concurrency or rate.
    pub axis: LoadAxis,
    /// The SLOs levels are judged by.
    pub slos: Vec<String>,
    /// Runs per level.
    pub repeats: u32,
    /// Where it stands.
    pub status: PlanStatus,
}

/// `capacity.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CapacityDoc {
    /// Always [`PlanKind::Capacity`].
    pub kind: PlanKind,
    /// The search as a whole.
    #[serde(flatten)]
    pub header: PlanHeader,
    /// How it searched.
    pub method: Method,
    /// Confidence of the intervals.
    pub confidence: f64,
    /// How INCONCLUSIVE levels count.
    pub pass_rule: PassRule,
    /// Levels in the order measured.
    pub levels: Vec<LevelResult>,
    /// The conclusion so far.
    pub found: Found,
}

impl CapacityDoc {
    /// The level judged at `level`.
    pub fn level(&self, level: f64) -> Option<&LevelResult> {
        self.levels.iter().find(|l| l.level == level)
    }

    /// The answer in one line, e.g. `max 35 concurrent at p95(e2e)<=3.81s`; a range when
    /// inconclusive levels leave the capacity open.
    pub fn headline(&self) -> String {
        let axis = self.header.axis;
        let slos = self.header.slos.join(", ");
        let f = &self.found;
        if let Some((low, high)) = f.range() {
            let undecided = join_levels(axis, &f.inconclusive);
            let were = if f.inconclusive.len() == 1 {
                "was"
            } else {
                "were"
            };
            return match low {
                Some(low) => format!(
                    "between {} and {} at {slos}: {undecided} {were} inconclusive",
                    axis.cell(low),
                    axis.describe(high)
                ),
                None => format!(
                    "undecided at {slos}: nothing passed for certain, and {undecided} {were} \
                     inconclusive{}",
                    f.first_fail
                        .map(|x| format!("; {} failed", axis.describe(x)))
                        .unwrap_or_default()
                ),
            };
        }
        match (f.max_pass, f.first_fail) {
            (Some(m), _) if f.limit_reached => {
                format!(
                    "at least {} meet {slos} (the highest level tried)",
                    axis.describe(m)
                )
            }
            (Some(m), _) => format!("max {} at {slos}", axis.describe(m)),
            (None, Some(x)) => format!("no level met {slos}; even {} failed", axis.describe(x)),
            (None, None) => "no level measured".into(),
        }
    }

    /// Whether the answer is open for want of measurements: inconclusive levels above
    /// the highest pass (a range, or nothing decided), which more requests per level
    /// would decide.
    pub fn undecided(&self) -> bool {
        self.found.range().is_some()
    }
}

/// `20, 24 and 28 concurrent`-style lists of levels (`c` units once, at the end).
fn join_levels(axis: LoadAxis, levels: &[f64]) -> String {
    let cells: Vec<String> = levels.iter().map(|l| axis.cell(*l)).collect();
    let list = match cells.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    match axis {
        LoadAxis::Concurrency => format!("{list} concurrent"),
        LoadAxis::Rate => format!("{list} req/s"),
    }
}

/// `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SweepDoc {
    /// Always [`PlanKind::Sweep`].
    pub kind: PlanKind,
    /// The sweep as a whole.
    #[serde(flatten)]
    pub header: PlanHeader,
    /// Levels in the order measured (judged by the SLOs when there are any).
    pub levels: Vec<LevelResult>,
    /// `--auto` with rates: the closed-loop probes of maximum throughput.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<Row>,
    /// The marked levels.
    pub marks: Marks,
}

impl SweepDoc {
    /// Rows sorted by level.
    pub fn rows(&self) -> Vec<&LevelResult> {
        let mut v: Vec<&LevelResult> = self.levels.iter().collect();
        v.sort_by(|a, b| a.level.total_cmp(&b.level));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(found: Found) -> CapacityDoc {
        CapacityDoc {
            kind: PlanKind::Capacity,
            header: PlanHeader {
                command: Vec::new(),
                started_at: String::new(),
                target: String::new(),
                model: String::new(),
                labels: BTreeMap::new(),
                axis: LoadAxis::Concurrency,
                slos: vec!["p95(e2e)<=1.5s".into()],
                repeats: 1,
                status: PlanStatus::Complete,
            },
            method: Method::Linear {
                start: 4.0,
                step: 4.0,
                max: 64.0,
            },
            confidence: 0.95,
            pass_rule: PassRule::Confident,
            levels: Vec::new(),
            found,
        }
    }

    #[test]
    fn the_headline_says_a_range_or_undecided_never_failed_for_inconclusive_levels() {
        let exact = doc(Found {
            max_pass: Some(20.0),
            first_fail: Some(24.0),
            ..Found::default()
        });
        assert_eq!(exact.headline(), "max 20 concurrent at p95(e2e)<=1.5s");
        assert!(!exact.undecided());
        let range = doc(Found {
            max_pass: Some(20.0),
            first_fail: Some(32.0),
            inconclusive: vec![24.0, 28.0],
            limit_reached: false,
        });
        assert_eq!(
            range.headline(),
            "between 20 and 28 concurrent at p95(e2e)<=1.5s: 24 and 28 concurrent were inconclusive"
        );
        assert!(range.undecided());
        let none = doc(Found {
            max_pass: None,
            first_fail: Some(8.0),
            inconclusive: vec![1.0, 2.0, 4.0],
            limit_reached: false,
        });
        let h = none.headline();
        assert!(
            h.starts_with("undecided at p95(e2e)<=1.5s")
                && h.contains("1, 2 and 4 concurrent were inconclusive")
                && h.ends_with("; 8 concurrent failed")
                && !h.contains("even"),
            "{h}"
        );
        let failed = doc(Found {
            first_fail: Some(1.0),
            ..Found::default()
        });
        assert_eq!(
            failed.headline(),
            "no level met p95(e2e)<=1.5s; even 1 concurrent failed"
        );
    }
}
