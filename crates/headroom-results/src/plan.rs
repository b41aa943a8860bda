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
    /// How MARGINAL levels count.
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

    /// The answer in one line, e.g. `35 concurrent at p95(e2e)<=3.81s`.
    pub fn headline(&self) -> String {
        let axis = self.header.axis;
        let slos = self.header.slos.join(", ");
        match (self.found.max_pass, self.found.first_fail) {
            (Some(m), _) if self.found.limit_reached => {
                format!(
                    "at least {} meet {slos} (the highest level tried)",
                    axis.describe(m)
                )
            }
            (Some(m), _) => format!("max {} at {slos}", axis.describe(m)),
            (None, Some(f)) => format!("no level met {slos}; even {} failed", axis.describe(f)),
            (None, None) => "no level measured".into(),
        }
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
