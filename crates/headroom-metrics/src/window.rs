//! Measurement windows as a union of intervals.
//!
//! Shards that ran at the same time overlap and their union is counted once; repeats that
//! ran one after another are disjoint and add up. Keeping the union of intervals makes
//! throughput exact in both cases with the same `+=`.

use serde::{Deserialize, Serialize};
use std::ops::AddAssign;

/// A set of half-open intervals `[start, end)` in µs since the Unix epoch, kept sorted and
/// disjoint.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Windows(Vec<(u64, u64)>);

impl Windows {
    /// One interval (empty if `end <= start`).
    pub fn single(start: u64, end: u64) -> Self {
        let mut w = Windows::default();
        w.insert(start, end);
        w
    }

    /// Adds `[start, end)`, merging with overlapping or touching intervals.
    pub fn insert(&mut self, start: u64, end: u64) {
        if end <= start {
            return;
        }
        let mut s = start;
        let mut e = end;
        let mut out = Vec::with_capacity(self.0.len() + 1);
        let mut placed = false;
        for &(a, b) in &self.0 {
            if b < s {
                out.push((a, b));
            } else if a > e {
                if !placed {
                    out.push((s, e));
                    placed = true;
                }
                out.push((a, b));
            } else {
                s = s.min(a);
                e = e.max(b);
            }
        }
        if !placed {
            out.push((s, e));
        }
        self.0 = out;
    }

    /// Total covered length, µs.
    pub fn total_us(&self) -> u64 {
        self.0.iter().map(|(a, b)| b - a).sum()
    }

    /// The intervals.
    pub fn intervals(&self) -> &[(u64, u64)] {
        &self.0
    }

    /// Earliest start.
    pub fn start(&self) -> Option<u64> {
        self.0.first().map(|w| w.0)
    }

    /// Latest end.
    pub fn end(&self) -> Option<u64> {
        self.0.last().map(|w| w.1)
    }
}

impl AddAssign<&Windows> for Windows {
    fn add_assign(&mut self, o: &Windows) {
        for &(a, b) in &o.0 {
            self.insert(a, b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn overlapping_shards_count_once_and_repeats_add() {
        let mut w = Windows::single(0, 100);
        w += &Windows::single(50, 150);
        assert_eq!(w.total_us(), 150);
        w += &Windows::single(1000, 1100);
        assert_eq!(w.total_us(), 250);
        assert_eq!(w.intervals(), &[(0, 150), (1000, 1100)]);
        w.insert(140, 1000);
        assert_eq!(w.intervals(), &[(0, 1100)]);
    }

    proptest! {
        #[test]
        fn union_matches_a_bitmap(iv in proptest::collection::vec((0u64..200, 0u64..50), 0..20)) {
            let mut w = Windows::default();
            let mut covered = [false; 260];
            for &(s, len) in &iv {
                w.insert(s, s + len);
                for c in covered.iter_mut().skip(s as usize).take(len as usize) { *c = true; }
            }
            prop_assert_eq!(w.total_us(), covered.iter().filter(|c| **c).count() as u64);
            for pair in w.intervals().windows(2) {
                prop_assert!(pair[0].1 < pair[1].0);
            }
        }
    }
}
