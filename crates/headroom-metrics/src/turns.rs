//! Per-turn metrics of multi-turn conversations (`tags.turn`).

use crate::{Dist, Unit};
use headroom_core::RequestRecord;
use serde::{Deserialize, Serialize};
use std::ops::AddAssign;

/// Completed measured requests of one conversation turn: the prompt grows with the
/// history, and so do TTFT and E2E.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TurnStats {
    /// Completed measured requests of this turn.
    pub requests: u64,
    /// Prompt tokens (the record's `input_tokens`), summed.
    pub input_tokens: u64,
    /// Time to first token, µs (streamed requests only).
    pub ttft: Dist,
    /// Request latency, send to end, µs.
    pub e2e: Dist,
}

impl Default for TurnStats {
    fn default() -> Self {
        TurnStats {
            requests: 0,
            input_tokens: 0,
            ttft: Dist::new(Unit::Micros),
            e2e: Dist::new(Unit::Micros),
        }
    }
}

impl TurnStats {
    /// Adds one completed measured request.
    pub fn record(&mut self, record: &RequestRecord) {
        self.requests += 1;
        self.input_tokens += record.input_tokens as u64;
        if let Some(ttft) = record.ttft_us() {
            self.ttft.record(ttft);
        }
        if let Some(e2e) = record.e2e_us() {
            self.e2e.record(e2e);
        }
    }

    /// Mean prompt tokens (0 without requests).
    pub fn input_mean(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.input_tokens as f64 / self.requests as f64
        }
    }
}

impl AddAssign<&TurnStats> for TurnStats {
    /// Exact merge: counts and sums add, histograms add.
    fn add_assign(&mut self, o: &TurnStats) {
        self.requests += o.requests;
        self.input_tokens += o.input_tokens;
        self.ttft += &o.ttft;
        self.e2e += &o.e2e;
    }
}
