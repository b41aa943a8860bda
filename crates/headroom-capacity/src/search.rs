//! Where a capacity search looks next.
//!
//! A level is PASS, FAIL or INCONCLUSIVE ([`LevelOutcome`]): an inconclusive level is one
//! whose measurements could not decide at the chosen confidence, so it bounds nothing.
//!
//! - **Linear** (seed 000's progression): `start`, `start + step`, … until the first level
//!   that fails, or `max`. Inconclusive levels do not stop it.
//! - **Adaptive**: bracket by doubling from the highest level tried (halving from the
//!   lowest when nothing has passed), then bisect the widest gap between tried levels
//!   inside the bracket (the highest pass below the lowest fail) until every gap is
//!   `resolution` wide. It needs about log2(capacity / resolution) levels instead of
//!   capacity / step.
//!
//! The answer ([`Found`]) is the highest pass below the lowest fail, and the inconclusive
//! levels between them: with any, the capacity is a range.
//!
//! How a level is judged (repeats, confidence) is [`crate::verdict`]'s business.

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

/// What a level established, as the search sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LevelOutcome {
    /// The level carries the load within every SLO.
    Pass,
    /// It does not.
    Fail,
    /// Its measurements could not tell at the chosen confidence.
    Inconclusive,
}

/// What a search established.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Found {
    /// The highest level that passed below the lowest level that failed (the capacity,
    /// or the low end of its range).
    pub max_pass: Option<f64>,
    /// The lowest level that failed.
    pub first_fail: Option<f64>,
    /// Inconclusive levels above `max_pass` and below `first_fail`, ascending: the
    /// capacity may lie at any of them, so with any the answer is a range.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inconclusive: Vec<f64>,
    /// The search reached its highest allowed level and it passed: the capacity is at
    /// least `max_pass`.
    pub limit_reached: bool,
}

impl Found {
    /// The capacity's range `(low, high)` when inconclusive levels leave it open: from
    /// the highest pass (`None`: nothing passed) to the highest inconclusive level.
    pub fn range(&self) -> Option<(Option<f64>, f64)> {
        self.inconclusive.last().map(|&hi| (self.max_pass, hi))
    }
}

/// A capacity search: levels tried so far and what each established.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Search {
    /// The strategy.
    pub method: Method,
    /// Concurrency or rate.
    pub axis: LoadAxis,
    /// Levels in the order tried, and what each established.
    pub tried: Vec<(f64, LevelOutcome)>,
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

    /// Records what level `level` established.
    pub fn record(&mut self, level: f64, outcome: LevelOutcome) {
        self.tried.push((level, outcome));
    }

    fn first_fail(&self) -> Option<f64> {
        self.levels(LevelOutcome::Fail).reduce(f64::min)
    }

    fn max_pass_below(&self, hi: Option<f64>) -> Option<f64> {
        self.levels(LevelOutcome::Pass)
            .filter(|l| hi.is_none_or(|h| *l < h))
            .reduce(f64::max)
    }

    fn levels(&self, outcome: LevelOutcome) -> impl Iterator<Item = f64> + '_ {
        self.tried
            .iter()
            .filter(move |(_, o)| *o == outcome)
            .map(|(l, _)| *l)
    }

    fn seen(&self, v: f64) -> bool {
        self.tried.iter().any(|(l, _)| (l - v).abs() < 1e-9)
    }

    /// The next level to measure, or `None` when the search is over.
    pub fn next(&self) -> Option<f64> {
        let hi = self.first_fail();
        let lo = self.max_pass_below(hi);
        match self.method {
            Method::Linear { start, step, max } => {
                if hi.is_some() {
                    return None;
                }
                let v = self.axis.snap(start + step * self.tried.len() as f64);
                (v <= max + 1e-9 && !self.seen(v)).then_some(v)
            }
            Method::Adaptive {
                start,
                resolution,
                relative,
                min,
                max,
            } => {
                let fresh = |v: f64| {
                    let inside = lo.is_none_or(|l| v > l) && hi.is_none_or(|h| v < h);
                    (inside && v >= min - 1e-9 && v <= max + 1e-9 && !self.seen(v)).then_some(v)
                };
                let tried = || self.tried.iter().map(|(l, _)| *l);
                let (Some(lowest), Some(highest)) =
                    (tried().reduce(f64::min), tried().reduce(f64::max))
                else {
                    return fresh(self.axis.snap(start.clamp(min, max)));
                };
                // Bracket: below everything tried while nothing has passed, above
                // everything tried while nothing has failed.
                if lo.is_none() {
                    let mut v = self.axis.snap((lowest / 2.0).max(min));
                    if v >= lowest {
                        v = self.axis.snap(lowest - 1.0).max(min);
                    }
                    if let Some(v) = fresh(v).filter(|v| *v < lowest) {
                        return Some(v);
                    }
                }
                if hi.is_none()
                    && let Some(v) = fresh(self.axis.snap((highest * 2.0).min(max)))
                {
                    return Some(v);
                }
                self.bisect(lo.unwrap_or(lowest), hi.unwrap_or(highest), |a| {
                    if relative { resolution * a } else { resolution }
                })
                .and_then(|(a, b)| {
                    let mid = (a + b) / 2.0;
                    // Bisect on the resolution's grid, so levels stay round numbers.
                    let v = if relative {
                        self.axis.snap(mid)
                    } else {
                        self.axis.snap((mid / resolution).round() * resolution)
                    };
                    fresh(v).filter(|v| *v > a && *v < b)
                })
            }
        }
    }

    /// The widest gap between consecutive tried levels within `[lo, hi]` that is wider
    /// than `width(its low end)` and has a decided level at one end at least: between
    /// two inconclusive levels a third would most likely be inconclusive too.
    fn bisect(&self, lo: f64, hi: f64, width: impl Fn(f64) -> f64) -> Option<(f64, f64)> {
        let mut points: Vec<(f64, LevelOutcome)> = self
            .tried
            .iter()
            .copied()
            .filter(|(l, _)| *l >= lo - 1e-9 && *l <= hi + 1e-9)
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        points
            .windows(2)
            .filter(|w| {
                w[0].1 != LevelOutcome::Inconclusive || w[1].1 != LevelOutcome::Inconclusive
            })
            .map(|w| (w[0].0, w[1].0))
            .filter(|(a, b)| b - a > width(*a) + 1e-9)
            .max_by(|x, y| (x.1 - x.0).total_cmp(&(y.1 - y.0)))
    }

    /// What the levels so far establish.
    pub fn found(&self) -> Found {
        let first_fail = self.first_fail();
        let max_pass = self.max_pass_below(first_fail);
        let mut inconclusive: Vec<f64> = self
            .levels(LevelOutcome::Inconclusive)
            .filter(|l| max_pass.is_none_or(|m| *l > m) && first_fail.is_none_or(|f| *l < f))
            .collect();
        inconclusive.sort_by(f64::total_cmp);
        Found {
            limit_reached: first_fail.is_none()
                && max_pass.is_some()
                && inconclusive.is_empty()
                && self.next().is_none(),
            max_pass,
            first_fail,
            inconclusive,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a search against a true capacity: levels ≤ `cap` pass.
    fn drive(method: Method, axis: LoadAxis, cap: f64) -> Search {
        drive_band(method, axis, cap, 0.0)
    }

    /// Runs a search where levels up to `cap - band` pass, levels above `cap + band`
    /// fail and the ones between are inconclusive.
    fn drive_band(method: Method, axis: LoadAxis, cap: f64, band: f64) -> Search {
        let mut s = Search::new(method, axis);
        while let Some(v) = s.next() {
            let outcome = if v <= cap - band {
                LevelOutcome::Pass
            } else if v > cap + band {
                LevelOutcome::Fail
            } else {
                LevelOutcome::Inconclusive
            };
            s.record(v, outcome);
            assert!(s.tried.len() < 100, "search does not end: {:?}", s.tried);
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
    fn inconclusive_levels_make_a_range_that_holds_the_capacity() {
        for cap in [3.0, 17.0, 40.0, 150.0] {
            for band in [0.0, 2.0, 6.0] {
                let s = drive_band(adaptive(8.0, 1024.0), LoadAxis::Concurrency, cap, band);
                let f = s.found();
                // The range holds every level that could be the capacity: from at most
                // the last sure pass to the last level before the first fail.
                assert!(
                    f.max_pass.is_none_or(|m| m <= cap - band),
                    "{cap}±{band}: {f:?}"
                );
                let high = f.range().map_or(f.max_pass.unwrap_or(0.0), |r| r.1);
                assert_eq!(high, (cap + band).floor(), "{cap}±{band}: {f:?}");
                assert_eq!(
                    f.first_fail,
                    Some((cap + band).floor() + 1.0),
                    "{f:?} {:?}",
                    s.tried
                );
                assert!(!f.limit_reached);
            }
        }
        // Linear: inconclusive levels do not stop it; the first fail does.
        let m = Method::Linear {
            start: 15.0,
            step: 5.0,
            max: 100.0,
        };
        let s = drive_band(m, LoadAxis::Concurrency, 30.0, 6.0);
        let f = s.found();
        assert_eq!((f.max_pass, f.first_fail), (Some(20.0), Some(40.0)));
        assert_eq!(f.inconclusive, [25.0, 30.0, 35.0]);
        assert_eq!(f.range(), Some((Some(20.0), 35.0)));
    }

    #[test]
    fn a_search_where_nothing_is_decided_low_does_not_give_up_at_the_bottom() {
        // The first-hour case: small levels are inconclusive everywhere up to 40 (too
        // few requests to bound a P95), and fail beyond. The search does not call 1
        // user "failed"; it finds where failing starts and says the rest is undecided.
        let s = drive_band(adaptive(4.0, 1024.0), LoadAxis::Concurrency, 0.0, 40.0);
        let f = s.found();
        assert_eq!(f.max_pass, None);
        assert_eq!(f.first_fail, Some(41.0));
        assert_eq!(f.inconclusive.first(), Some(&1.0));
        assert_eq!(f.range(), Some((None, 40.0)));
        assert!(s.tried.len() <= 16, "{:?}", s.tried);
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
