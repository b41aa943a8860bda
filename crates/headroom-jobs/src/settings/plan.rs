//! The settings of sweeps and capacity searches: which levels, how many runs of each, how
//! long each runs, and how levels are judged.

use super::SettingsError;
use headroom_capacity::sweep::Auto;
use headroom_capacity::{
    Capacity, LoadAxis, Method, PassRule, Search, SearchKind, SweepLevels, SweepPlan,
};
use headroom_metrics::slo::SloSet;
use std::str::FromStr;
use std::time::Duration;

/// Requests per level: a count, or a multiple of the level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PerLevel {
    /// This many.
    Count(u64),
    /// This many per user (per req/s of rate).
    PerUnit(f64),
}

impl PerLevel {
    /// The requests of level `level`.
    pub fn at(self, level: f64) -> u64 {
        match self {
            PerLevel::Count(n) => n,
            PerLevel::PerUnit(x) => (x * level).ceil().max(1.0) as u64,
        }
    }
}

impl FromStr for PerLevel {
    type Err = SettingsError;
    fn from_str(s: &str) -> Result<Self, SettingsError> {
        let bad = || {
            SettingsError::new(format!(
                "invalid requests per level {s:?}: expected N (e.g. 500) or Nx (e.g. 10x: 10 per user)"
            ))
        };
        match s.trim().strip_suffix(['x', 'X']) {
            Some(n) => match n.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => Ok(PerLevel::PerUnit(v)),
                _ => Err(bad()),
            },
            None => match s.trim().parse::<u64>() {
                Ok(v) if v > 0 => Ok(PerLevel::Count(v)),
                _ => Err(bad()),
            },
        }
    }
}

/// What every level of a sweep or search runs.
#[derive(Debug, Clone, Default)]
pub struct LevelOptions {
    /// `--requests-per-level` [default when no `--duration`: 10 per user, at least 100;
    /// open loop: 30 s of arrivals].
    pub requests: Option<PerLevel>,
    /// `--duration` of each level (after its warmup).
    pub duration: Option<Duration>,
    /// `--cooldown` between levels.
    pub cooldown: Duration,
}

/// The levels of a sweep, as given.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepLevelsOption {
    /// `--concurrency 10,20,40`.
    Concurrency(Vec<u32>),
    /// `--rate 1,2,4`.
    Rate(Vec<f64>),
    /// `--auto` over `axis`, probing up to concurrency `max`.
    Auto {
        /// Concurrency or rate.
        axis: LoadAxis,
        /// `--max`.
        max: u32,
    },
}

/// A sweep, as given.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// The levels (`None`: none given).
    pub levels: Option<SweepLevelsOption>,
    /// `--repeats`: runs per level.
    pub repeats: u32,
    /// `--slo`s every level is judged by.
    pub slos: SloSet,
}

fn repeats(n: u32) -> Result<u32, SettingsError> {
    if n == 0 {
        return Err(SettingsError::new("--repeats must be at least 1"));
    }
    Ok(n)
}

impl SweepOptions {
    /// The checked sweep.
    pub fn plan(&self) -> Result<SweepPlan, SettingsError> {
        let Some(levels) = &self.levels else {
            return Err(SettingsError::new(
                "give the levels: --concurrency 10,20,40 (closed loop), --rate 1,2,4 (open loop), or --auto",
            ));
        };
        let (axis, choice) = match levels {
            SweepLevelsOption::Concurrency(c) => {
                if c.is_empty() || c.contains(&0) {
                    return Err(SettingsError::new(
                        "--concurrency levels must be at least 1",
                    ));
                }
                let v = c.iter().map(|v| *v as f64).collect();
                (LoadAxis::Concurrency, SweepLevels::List(v))
            }
            SweepLevelsOption::Rate(r) => {
                if r.is_empty() || r.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
                    return Err(SettingsError::new(
                        "--rate levels must be positive requests per second",
                    ));
                }
                (LoadAxis::Rate, SweepLevels::List(r.clone()))
            }
            SweepLevelsOption::Auto { axis, max } => {
                if *max == 0 {
                    return Err(SettingsError::new("--max must be at least 1"));
                }
                (*axis, SweepLevels::Auto(Auto::new(*axis, *max)))
            }
        };
        Ok(SweepPlan::new(
            axis,
            choice,
            repeats(self.repeats)?,
            self.slos.clone(),
        ))
    }
}

/// A capacity search, as given.
#[derive(Debug, Clone)]
pub struct CapacityOptions {
    /// `--slo`s a level must meet.
    pub slos: SloSet,
    /// `--over`: concurrency or rate.
    pub axis: LoadAxis,
    /// `--search` [default: linear with `--step`, else adaptive].
    pub search: Option<SearchKind>,
    /// `--start`.
    pub start: Option<f64>,
    /// `--step`.
    pub step: Option<f64>,
    /// `--max`.
    pub max: Option<f64>,
    /// `--repeats`.
    pub repeats: u32,
    /// `--confidence` of the intervals.
    pub confidence: f64,
    /// `--pass-rule`.
    pub pass_rule: PassRule,
    /// Stop a clearly failing level early (not `--no-early-stop`).
    pub early_stop: bool,
}

impl CapacityOptions {
    /// The search the options describe, checked.
    pub fn method(&self) -> Result<Method, SettingsError> {
        let conc = self.axis == LoadAxis::Concurrency;
        let linear = match self.search {
            Some(SearchKind::Linear) => true,
            Some(SearchKind::Adaptive) => false,
            None => self.step.is_some(),
        };
        let max = self.max.unwrap_or(if conc { 1024.0 } else { 10_000.0 });
        for (flag, v) in [
            ("--start", self.start),
            ("--step", self.step),
            ("--max", Some(max)),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v > 0.0)
            {
                return Err(SettingsError::new(format!(
                    "{flag} must be a positive number, got {v}"
                )));
            }
        }
        let above =
            |start: f64| SettingsError::new(format!("--start {start} is above --max {max}"));
        if linear {
            let step = self.step.unwrap_or(1.0);
            let start = self.start.unwrap_or(step);
            if start > max {
                return Err(above(start));
            }
            return Ok(Method::Linear { start, step, max });
        }
        let start = self.start.unwrap_or(if conc { 8.0 } else { 1.0 });
        if start > max {
            return Err(above(start));
        }
        let (resolution, relative) = match self.step {
            Some(s) => (s, false),
            None if conc => (1.0, false),
            None => (0.05, true),
        };
        Ok(Method::Adaptive {
            start,
            resolution,
            relative,
            min: if conc { 1.0 } else { 0.01 },
            max,
        })
    }

    /// The checked search.
    pub fn plan(&self) -> Result<Capacity, SettingsError> {
        if self.slos.0.is_empty() {
            return Err(SettingsError::new(
                "a capacity search needs at least one --slo, e.g. --slo 'p95(e2e)<=3.81s'",
            ));
        }
        Ok(Capacity::new(
            Search::new(self.method()?, self.axis),
            repeats(self.repeats)?,
            self.slos.clone(),
            super::check_confidence(self.confidence)?,
            self.pass_rule,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_per_level_are_counts_or_multiples() {
        assert_eq!("500".parse::<PerLevel>().unwrap(), PerLevel::Count(500));
        assert_eq!("10x".parse::<PerLevel>().unwrap().at(15.0), 150);
        assert_eq!("0.5x".parse::<PerLevel>().unwrap().at(3.0), 2);
        for bad in ["0", "x", "-1x", "lots"] {
            assert!(bad.parse::<PerLevel>().is_err(), "{bad}");
        }
    }

    #[test]
    fn searches_are_checked_once() {
        let o = CapacityOptions {
            slos: "p95(e2e)<=3s"
                .parse::<headroom_metrics::Slo>()
                .into_iter()
                .collect(),
            axis: LoadAxis::Concurrency,
            search: None,
            start: Some(15.0),
            step: Some(5.0),
            max: None,
            repeats: 3,
            confidence: 0.95,
            pass_rule: PassRule::Confident,
            early_stop: true,
        };
        assert_eq!(
            o.method().unwrap(),
            Method::Linear {
                start: 15.0,
                step: 5.0,
                max: 1024.0
            }
        );
        let bad = |f: &dyn Fn(&mut CapacityOptions)| {
            let mut b = o.clone();
            f(&mut b);
            b.plan().unwrap_err().message().to_string()
        };
        assert!(bad(&|b| b.repeats = 0).contains("--repeats"));
        assert!(bad(&|b| b.start = Some(0.0)).contains("--start must be a positive"));
        assert!(bad(&|b| b.start = Some(2000.0)).contains("above --max"));
        assert!(bad(&|b| b.confidence = 1.0).contains("--confidence"));
        assert!(bad(&|b| b.slos = SloSet::default()).contains("--slo"));
        let s = SweepOptions {
            levels: Some(SweepLevelsOption::Concurrency(vec![10, 0])),
            repeats: 1,
            slos: SloSet::default(),
        };
        assert!(s.plan().unwrap_err().message().contains("at least 1"));
    }
}
