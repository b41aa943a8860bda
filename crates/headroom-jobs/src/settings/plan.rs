//! The settings of sweeps and capacity searches: which levels, how many runs of each, how
//! long each runs, and how levels are judged.

use super::SettingsError;
use super::default_stop;
use headroom_capacity::sequential::Budget;
use headroom_capacity::sweep::Auto;
use headroom_capacity::{
    Capacity, LoadAxis, Method, PassRule, Search, SearchKind, SweepLevels, SweepPlan,
};
use headroom_core::LoadPolicy;
use headroom_metrics::confidence::requests_for_upper_bound;
use headroom_metrics::slo::{Slo, SloSet, Stat};
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
    /// Capacity searches: each level is sequential (it stops once its verdict is decided,
    /// see [`headroom_capacity::sequential`]) and runs at most this budget. Set when no
    /// fixed `requests` or `duration` is given and levels run once.
    pub sequential: Option<Budget>,
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

/// `--max-requests-per-level` and `--max-duration-per-level`, as given.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BudgetOptions {
    /// Measured requests a sequential level may send at most.
    pub max_requests: Option<u64>,
    /// Time a sequential level may run at most.
    pub max_duration: Option<Duration>,
}

impl CapacityOptions {
    /// The budget of each level when levels are sequential (see
    /// [`headroom_capacity::sequential`]): when no fixed size is given (`--requests-per-level`,
    /// `--duration`), levels run once and early stopping is on. `None`: fixed levels.
    pub fn sequential(
        &self,
        levels: &LevelOptions,
        budget: BudgetOptions,
    ) -> Result<Option<Budget>, SettingsError> {
        let given = budget.max_requests.is_some() || budget.max_duration.is_some();
        let fixed = levels.requests.is_some() || levels.duration.is_some();
        let why_not = if fixed {
            Some("--requests-per-level or --duration fixes the size of every level")
        } else if self.repeats > 1 {
            Some("--repeats runs every level several times at a fixed size")
        } else if !self.early_stop {
            Some("--no-early-stop runs every level to its end")
        } else {
            None
        };
        if let Some(why) = why_not {
            if given {
                return Err(SettingsError::new(format!(
                    "--max-requests-per-level and --max-duration-per-level bound a level that \
                     stops once decided, but {why}: give one or the other"
                )));
            }
            return Ok(None);
        }
        let default = Budget::default();
        if budget.max_requests == Some(0) {
            return Err(SettingsError::new(
                "--max-requests-per-level must be at least 1",
            ));
        }
        if budget.max_duration.is_some_and(|d| d.is_zero()) {
            return Err(SettingsError::new(
                "--max-duration-per-level must be longer than 0s",
            ));
        }
        Ok(Some(Budget {
            max_requests: budget.max_requests.unwrap_or(default.max_requests),
            max_duration: budget.max_duration.unwrap_or(default.max_duration),
        }))
    }

    /// Said before anything is sent: the levels at which a percentile SLO cannot pass
    /// whatever the server does, because `levels` gives them fewer requests (all runs
    /// together) than the percentile needs for an upper bound at the confidence
    /// ([`requests_for_upper_bound`]: 72 for P95, 368 for P99 at 95 %). Such levels can
    /// only be INCONCLUSIVE or FAIL. `None` when every level can be decided, or when
    /// levels run for a duration (their request count is not known in advance).
    pub fn budget_warning(&self, levels: &LevelOptions) -> Option<String> {
        let lowest = match self.method().ok()? {
            Method::Linear { start, .. } => start,
            Method::Adaptive { min, .. } => min,
        };
        let (slo, needed) = self
            .slos
            .0
            .iter()
            .filter_map(|s| match s {
                Slo::Latency {
                    stat: Stat::Percentile(p),
                    ..
                } => Some((s, requests_for_upper_bound(p / 100.0, self.confidence))),
                _ => None,
            })
            .max_by_key(|(_, n)| *n)?;
        let runs = self.repeats.max(1) as u64;
        let enough = |level: f64| {
            self.requests_per_run(levels, level)
                .is_some_and(|n| n * runs >= needed)
        };
        if self.requests_per_run(levels, lowest).is_none() || enough(lowest) {
            return None;
        }
        let budget = match (levels.requests, levels.sequential) {
            (_, Some(b)) => format!("--max-requests-per-level {}", b.max_requests),
            (Some(PerLevel::Count(n)), _) => format!("--requests-per-level {n}"),
            (Some(PerLevel::PerUnit(x)), _) => format!("--requests-per-level {x}x"),
            (None, None) => "the default requests per level".into(),
        };
        // When the budget grows with the level: the lowest level it is enough for.
        let grows = !matches!(
            (levels.requests, levels.sequential),
            (Some(PerLevel::Count(_)), _) | (_, Some(_))
        );
        let which = match grows {
            true => {
                let mut level = lowest;
                while !enough(level) && level < 1e7 {
                    level = match self.axis {
                        LoadAxis::Concurrency => level + 1.0,
                        LoadAxis::Rate => self.axis.snap(level * 1.01).max(level + 0.01),
                    };
                }
                format!("levels below {}", self.axis.describe(level))
            }
            false => "every level".into(),
        };
        let (runs_said, flag) = match runs {
            1 => (
                "1 run".to_string(),
                format!("--requests-per-level {needed}"),
            ),
            _ => (
                format!("{runs} runs"),
                format!(
                    "--requests-per-level {} with {runs} runs",
                    needed.div_ceil(runs)
                ),
            ),
        };
        Some(format!(
            "{slo} needs at least {needed} requests per level (all runs together) before its \
             {:.0}% interval has an upper bound; with {budget} ({runs_said}), {which} can only \
             be INCONCLUSIVE or FAIL, never PASS. Give each level {needed} requests or more \
             ({flag})",
            self.confidence * 100.0,
        ))
    }

    /// The measured requests one run of `level` sends under `levels`: its budget when
    /// sequential, its fixed count, or the default stop rule's; `None` for a duration.
    fn requests_per_run(&self, levels: &LevelOptions, level: f64) -> Option<u64> {
        if let Some(b) = levels.sequential {
            return Some(b.max_requests);
        }
        match (levels.requests, levels.duration) {
            (Some(p), _) => Some(p.at(level)),
            (None, None) => {
                let load = self
                    .axis
                    .load(level, &LoadPolicy::Closed { concurrency: 1 });
                default_stop(&load, None, None).requests
            }
            (None, Some(_)) => None,
        }
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

    fn search(slo: &str, repeats: u32, step: Option<f64>) -> CapacityOptions {
        CapacityOptions {
            slos: slo.parse::<Slo>().into_iter().collect(),
            axis: LoadAxis::Concurrency,
            search: None,
            start: Some(4.0),
            step,
            max: None,
            repeats,
            confidence: 0.95,
            pass_rule: PassRule::Confident,
            early_stop: true,
        }
    }

    #[test]
    fn budgets_too_small_to_pass_a_percentile_are_said_up_front() {
        let each = |r: &str| LevelOptions {
            requests: Some(r.parse().unwrap()),
            ..LevelOptions::default()
        };
        // The first-hour command: 5 per user, one run, adaptive down to 1 user.
        let w = search("p95(e2e)<=1.5s", 1, None)
            .budget_warning(&each("5x"))
            .unwrap();
        assert!(
            w.starts_with("p95(e2e)<=1.5s needs at least 72 requests"),
            "{w}"
        );
        assert!(w.contains("with --requests-per-level 5x (1 run), levels below 15 concurrent can only be INCONCLUSIVE or FAIL"), "{w}");
        assert!(
            w.ends_with("Give each level 72 requests or more (--requests-per-level 72)"),
            "{w}"
        );
        // A fixed count too small for every level; repeats add up.
        let w = search("p99(ttft)<=1s", 2, Some(5.0))
            .budget_warning(&each("100"))
            .unwrap();
        assert!(w.contains("every level can only be"), "{w}");
        assert!(
            w.ends_with(
                "Give each level 368 requests or more (--requests-per-level 184 with 2 runs)"
            ),
            "{w}"
        );
        // Enough, a mean, or a duration: nothing to say.
        assert_eq!(
            search("p95(e2e)<=1.5s", 1, None).budget_warning(&each("100")),
            None
        );
        assert_eq!(
            search("mean(e2e)<=1.5s", 1, None).budget_warning(&each("5")),
            None
        );
        let timed = LevelOptions {
            duration: Some(Duration::from_secs(60)),
            ..LevelOptions::default()
        };
        assert_eq!(
            search("p95(e2e)<=1.5s", 1, None).budget_warning(&timed),
            None
        );
        // The default (10 per user, at least 100) is enough for P95 but not for P99 at
        // low levels.
        let default = LevelOptions::default();
        assert_eq!(
            search("p95(e2e)<=1.5s", 1, None).budget_warning(&default),
            None
        );
        let w = search("p99(e2e)<=1.5s", 1, None)
            .budget_warning(&default)
            .unwrap();
        assert!(
            w.contains("the default requests per level (1 run), levels below 37 concurrent"),
            "{w}"
        );
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
