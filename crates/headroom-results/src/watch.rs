//! `watch.json`: written beside a level's run once it has finished, with what judging the
//! level needs besides the summary. Its presence marks the run as complete, so a resumed
//! sweep or search reuses it instead of measuring the level again.

use headroom_capacity::{EarlyStop, StartUp};
use serde::{Deserialize, Serialize};

/// `watch.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WatchRecord {
    /// Measured requests that met every SLO.
    pub goodput_met: u64,
    /// Why the run was stopped early, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stop: Option<EarlyStop>,
    /// The sequential look the run is judged at (0, or absent: a fixed level).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub judged_at_look: u32,
    /// Its start-up: left out of `summary.json` when applied (a sequential level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_up: Option<StartUp>,
    /// Length of the run, s.
    pub elapsed_s: f64,
    /// The seed the run was measured with: a resumed plan with other settings derives
    /// other seeds, and must not reuse this run.
    pub seed: u64,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
