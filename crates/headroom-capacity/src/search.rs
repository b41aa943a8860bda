//! Where a capacity search looks next.
//!
//! - **Linear** (seed 000's progression): `start`, `start + step`, … until the first level
//!   that does not pass, or `max`.
//! - **Adaptive**: bracket by doubling from `start` (halving when `start` already fails),
//!   then bisect between the highest passing and the lowest failing level until they are
//!   `resolution` apart. It needs about log2(capacity / resolution) levels instead of
//!   capacity / step.
//!
//! Both only ever see pass or not pass per level; how a level is judged (repeats,
//! confidence) is [`crate::verdict`]'s business.

use crate::LoadAxis;
use serde::{Deserialize, Serialize};

/// Which search to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum SearchKind {
    /// start, start+step, … until a level fails.
    Linear,
    /// Doubling, then bisection.
    Adaptive,
}

/// How the search moves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    /// `start`, `start + step`, … up to `max`, stopping at the first level that fails.
    Linear {
        /// First level.
        start: f64,
        /// Increment.
        step: f64,
        /// Highest level tried.
        max: f64,
    },
    /// Doubling to bracket the capacity, then bisection.
    Adaptive {
        /// First level.
        start: f64,
        /// Bisection stops when the bracket is this narrow: an absolute width, or for
        /// rates with `relative`, a fraction of the passing level.
        resolution: f64,
        /// `resolution` is a fraction of the level (rates) rather than absolute.
        relative: bool,
        /// Lowest level tried.
        min: f64,
        /// Highest level tried.
        max: f64,
    },
}

impl Method {
    /// The first level tried.
    pub fn start(&self) -> f64 {
        match *self {
            Method::Linear { start, .. } | Method::Adaptive { start, .. } => start,
        }
    }
}

/// What a search established.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Found {
    /// The highest level that passed below the lowest level that did not (the capacity).
    pub max_pass: Option<f64>,
    /// The lowest level that did not pass.
    pub first_fail: Option<f64>,
    /// The search reached its highest allowed level and it passed: the capacity is at
    /// least `max_pass`.
    pub limit_reached: bool,
}

/// A capacity search: levels tried so far and whether each passed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Search {
    /// The strategy.
    pub method: Method,
    /// Concurrency or rate.
    pub axis: LoadAxis,
    /// Levels in the order tried, and whether each passed.
    pub tried: Vec<(f64, bool)>,
}

impl Search {
    /// A search that has tried nothing yet.
    pub fn new(method: Method, axis: LoadAxis) -> Self {
        Search {
            method,
            axis,
            tried: Vec::new(),
        }
    }

    /// Records level `level` as passing or not.
    pub fn record(&mut self, level: f64, pass: bool) {
        self.tried.push((level, pass));
    }

    fn first_fail(&self) -> Option<f64> {
        self.tried
            .iter()
            .filter(|(_, p)| !p)
            .map(|(l, _)| *l)
            .reduce(f64::min)
    }

    fn max_pass_below(&self, hi: Option<f64>) -> Option<f64> {
        self.tried
            .iter()
            .filter(|(l, p)| *p && hi.is_none_or(|h| *l < h))
            .map(|(l, _)| *l)
            .reduce(f64::max)
    }

    fn seen(&self, v: f64) -> bool {
        self.tried.iter().any(|(l, _)| (l - v).abs() < 1e-9)
    }

    /// The next level to measure, or `None` when the search is over.
    pub fn next(&self) -> Option<f64> {
        let hi = self.first_fail();
        let lo = self.max_pass_below(hi);
        let snap = |v: f64| self.axis.snap(v);
        match self.method {
            Method::Linear { start, step, max } => {
                if hi.is_some() {
                    return None;
                }
                let v = snap(start + step * self.tried.len() as f64);
                (v <= max + 1e-9 && !self.seen(v)).then_some(v)
            }
            Method::Adaptive {
                start,
                resolution,
                relative,
                min,
                max,
            } => {
                let v = match (lo, hi) {
                    (None, None) => snap(start.clamp(min, max)),
                    (Some(lo), None) => snap((lo * 2.0).min(max)),
                    (None, Some(hi)) => {
                        let v = snap((hi / 2.0).max(min));
                        if v >= hi { snap(hi - 1.0).max(min) } else { v }
                    }
                    (Some(lo), Some(hi)) => {
                        let width = if relative {
                            resolution * lo
                        } else {
                            resolution
                        };
                        if hi - lo <= width + 1e-9 {
                            return None;
                        }
                        let mid = (lo + hi) / 2.0;
                        // Bisect on the resolution's grid, so levels stay round numbers.
                        if relative {
                            snap(mid)
                        } else {
                            snap((mid / resolution).round() * resolution)
                        }
                    }
                };
                let inside = lo.is_none_or(|l| v > l) && hi.is_none_or(|h| v < h);
                (inside && v >= min - 1e-9 && v <= max + 1e-9 && !self.seen(v)).then_some(v)
            }
        }
    }

    /// What the levels so far establish.
    pub fn found(&self) -> Found {
        let first_fail = self.first_fail();
        let max_pass = self.max_pass_below(first_fail);
        Found {
            max_pass,
            first_fail,
            limit_reached: first_fail.is_none() && max_pass.is_some() && self.next().is_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a search against a true capacity: levels ≤ `cap` pass.
    fn drive(method: Method, axis: LoadAxis, cap: f64) -> Search {
        let mut s = Search::new(method, axis);
        let mut guard = 0;
        while let Some(v) = s.next() {
            s.record(v, v <= cap);
            guard += 1;
            assert!(guard < 100, "search does not end: {:?}", s.tried);
        }
        s
    }

    fn adaptive(start: f64, max: f64) -> Method {
        Method::Adaptive {
            start,
            resolution: 1.0,
            relative: false,
            min: 1.0,
            max,
        }
    }

    #[test]
    fn linear_follows_seed_000() {
        let m = Method::Linear {
            start: 15.0,
            step: 5.0,
            max: 100.0,
        };
        let s = drive(m, LoadAxis::Concurrency, 37.0);
        let levels: Vec<f64> = s.tried.iter().map(|t| t.0).collect();
        assert_eq!(levels, [15.0, 20.0, 25.0, 30.0, 35.0, 40.0]);
        let f = s.found();
        assert_eq!(f.max_pass, Some(35.0));
        assert_eq!(f.first_fail, Some(40.0));
        assert!(!f.limit_reached);
    }

    #[test]
    fn adaptive_finds_every_integer_capacity_exactly() {
        for cap in 1..=300 {
            let s = drive(adaptive(8.0, 1024.0), LoadAxis::Concurrency, cap as f64);
            let f = s.found();
            assert_eq!(f.max_pass, Some(cap as f64), "{:?}", s.tried);
            assert_eq!(f.first_fail, Some(cap as f64 + 1.0), "{:?}", s.tried);
            // Doubling then bisection: about 2·log2(cap) levels, far fewer than linear.
            let bound = 2 * (64 - (cap as u64).leading_zeros()) as usize + 3;
            assert!(
                s.tried.len() <= bound,
                "cap {cap}: {} levels",
                s.tried.len()
            );
        }
    }

    #[test]
    fn adaptive_when_nothing_passes_or_everything_does() {
        let s = drive(adaptive(8.0, 64.0), LoadAxis::Concurrency, 0.0);
        assert_eq!(s.found().max_pass, None);
        assert_eq!(s.found().first_fail, Some(1.0));
        let s = drive(adaptive(8.0, 64.0), LoadAxis::Concurrency, 1e9);
        let f = s.found();
        assert_eq!(f.max_pass, Some(64.0));
        assert!(f.limit_reached);
    }

    #[test]
    fn adaptive_on_a_step_grid_and_on_rates() {
        let m = Method::Adaptive {
            start: 15.0,
            resolution: 5.0,
            relative: false,
            min: 5.0,
            max: 500.0,
        };
        let s = drive(m, LoadAxis::Concurrency, 37.0);
        let f = s.found();
        assert_eq!(f.max_pass, Some(35.0));
        assert_eq!(f.first_fail, Some(40.0));
        assert!(s.tried.iter().all(|(l, _)| l % 5.0 == 0.0), "{:?}", s.tried);

        let m = Method::Adaptive {
            start: 1.0,
            resolution: 0.05,
            relative: true,
            min: 0.01,
            max: 1e4,
        };
        let s = drive(m, LoadAxis::Rate, 7.3);
        let f = s.found();
        let (lo, hi) = (f.max_pass.unwrap(), f.first_fail.unwrap());
        assert!(
            lo <= 7.3 && hi > 7.3 && (hi - lo) / lo <= 0.05 + 1e-9,
            "{lo} {hi}"
        );
    }
}
