//! Prefix cache: TTFT of requests whose shared prefix was cold against those whose prefix
//! the server could already have cached.

use crate::{Dist, Unit};
use serde::{Deserialize, Serialize};
use std::ops::AddAssign;

/// TTFT of cold and warm requests of prefix groups (`tags.prefix_group`).
///
/// **Definition.** Within a prefix group, a request is **cold** if it was sent before the
/// group's first token existed: its `send_us` is earlier than `send_us + TTFT` of the
/// group's earliest-sent completed streamed request (ties: the one whose first token came
/// first). Otherwise it is **warm**: the server could have cached the prefix. The
/// earliest-sent request itself is cold. Warmup requests take part in deciding warmth
/// (they warm the cache) but only measured requests are in the distributions. Only
/// completed streamed requests with a TTFT are classified.
///
/// Classification happens when a recorder finishes its summary: summaries merged with
/// `+=` keep each part's classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PrefixCache {
    /// Prefix groups with classified measured requests. Merging keeps the largest count
    /// (repeats and shards of one workload share their groups).
    pub groups: u32,
    /// TTFT of cold measured requests, µs.
    pub cold: Dist,
    /// TTFT of warm measured requests, µs.
    pub warm: Dist,
}

impl Default for PrefixCache {
    fn default() -> Self {
        PrefixCache {
            groups: 0,
            cold: Dist::new(Unit::Micros),
            warm: Dist::new(Unit::Micros),
        }
    }
}

impl PrefixCache {
    /// Median cold TTFT / median warm TTFT: how many times faster a warm prefix gets its
    /// first token. `None` when either side has no request (or the warm median is 0).
    pub fn warm_speedup(&self) -> Option<f64> {
        if self.cold.is_empty() || self.warm.is_empty() {
            return None;
        }
        let warm = self.warm.quantile_raw(0.5);
        (warm > 0).then(|| self.cold.quantile_raw(0.5) as f64 / warm as f64)
    }

    /// Classifies `samples` by the definition above (sorts them in place).
    pub(crate) fn classify(samples: &mut [PrefixSample]) -> PrefixCache {
        let mut out = PrefixCache::default();
        samples.sort_unstable_by_key(|s| (s.group, s.send_us, s.ttft_us));
        for group in samples.chunk_by(|a, b| a.group == b.group) {
            let Some(first) = group.first() else { continue };
            let first_token = first.send_us.saturating_add(first.ttft_us);
            let mut measured = false;
            for (i, s) in group.iter().enumerate() {
                if !s.measured {
                    continue;
                }
                measured = true;
                if i == 0 || s.send_us < first_token {
                    out.cold.record(s.ttft_us);
                } else {
                    out.warm.record(s.ttft_us);
                }
            }
            if measured {
                out.groups += 1;
            }
        }
        out
    }
}

impl AddAssign<&PrefixCache> for PrefixCache {
    /// Distributions add; `groups` keeps the larger count.
    fn add_assign(&mut self, o: &PrefixCache) {
        self.groups = self.groups.max(o.groups);
        self.cold += &o.cold;
        self.warm += &o.warm;
    }
}

/// What classification needs of one completed streamed request of a prefix group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PrefixSample {
    /// The prefix group.
    pub group: u32,
    /// Send time, µs since the run epoch.
    pub send_us: u64,
    /// TTFT, µs.
    pub ttft_us: u64,
    /// Measured (not warmup).
    pub measured: bool,
}
