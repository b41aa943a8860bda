//! The one shape of a sweep and of a capacity search: [`Plan::next`] says which run to
//! measure, [`Plan::record`] takes its measurement. Neither runs anything, so the caller
//! measures against a server or in virtual time, and a plan resumed from a results
//! directory makes the same decisions by feeding back the runs already on disk.

use crate::sweep::{Auto, AutoStep, Row};
use crate::{Capacity, LevelResult, LevelRun, LoadAxis, Measurement, PassRule, judge};
use headroom_metrics::slo::SloSet;

/// A run a plan asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// A repeat of a level.
    Run(LevelRun),
    /// A closed-loop probe of maximum throughput at this concurrency: `--auto` rate
    /// sweeps find their rates with it. Not a level.
    Probe(u32),
}

/// A sweep or a capacity search.
pub trait Plan {
    /// The next run, or `None` when the plan is complete.
    fn next(&self) -> Option<Step>;

    /// Takes the measurement of `step`; returns the level's result when the run
    /// completes a level.
    fn record(&mut self, step: Step, m: Measurement) -> Option<&LevelResult>;

    /// The levels judged so far, in the order measured.
    fn levels(&self) -> &[LevelResult];
}

impl Plan for Capacity {
    fn next(&self) -> Option<Step> {
        Capacity::next(self).map(Step::Run)
    }

    fn record(&mut self, step: Step, m: Measurement) -> Option<&LevelResult> {
        match step {
            Step::Run(run) => Capacity::record(self, run, m),
            // A search never asks for probes.
            Step::Probe(_) => None,
        }
    }

    fn levels(&self) -> &[LevelResult] {
        &self.levels
    }
}

/// Which levels a sweep runs.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepLevels {
    /// These, in this order.
    List(Vec<f64>),
    /// Chosen as the sweep goes (`--auto`).
    Auto(Auto),
}

/// A sweep: every level in turn, each run `repeats` times and judged by the SLOs (if any)
/// at 95 % confidence.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    /// Concurrency or rate.
    pub axis: LoadAxis,
    /// The levels.
    pub choice: SweepLevels,
    /// Runs per level.
    pub repeats: u32,
    /// The SLOs each level is judged by (PASS/FAIL and goodput columns).
    pub slos: SloSet,
    /// Levels judged, in the order run.
    pub levels: Vec<LevelResult>,
    /// `--auto` rate sweeps: the probes of maximum throughput.
    pub probes: Vec<Row>,
    current: Option<(f64, Vec<Measurement>)>,
}

/// The confidence sweeps judge levels at.
const SWEEP_CONFIDENCE: f64 = 0.95;

impl SweepPlan {
    /// A sweep over `choice` on `axis`.
    pub fn new(axis: LoadAxis, choice: SweepLevels, repeats: u32, slos: SloSet) -> Self {
        SweepPlan {
            axis,
            choice,
            repeats: repeats.max(1),
            slos,
            levels: Vec::new(),
            probes: Vec::new(),
            current: None,
        }
    }
}

impl SweepPlan {
    /// The first level run (for `--auto`, the first probe's concurrency).
    pub fn first_level(&self) -> f64 {
        match &self.choice {
            SweepLevels::List(v) => v.first().copied().unwrap_or(1.0),
            SweepLevels::Auto(_) => 1.0,
        }
    }
}

impl Plan for SweepPlan {
    fn next(&self) -> Option<Step> {
        if let Some((level, runs)) = &self.current {
            return Some(Step::Run(LevelRun {
                level: *level,
                repeat: runs.len() as u32 + 1,
            }));
        }
        let first = |level| Step::Run(LevelRun { level, repeat: 1 });
        match &self.choice {
            SweepLevels::List(v) => v.get(self.levels.len()).map(|l| first(*l)),
            SweepLevels::Auto(a) => a.next().map(|s| match s {
                AutoStep::Level(l) => first(l),
                AutoStep::Probe(c) => Step::Probe(c),
            }),
        }
    }

    fn record(&mut self, step: Step, m: Measurement) -> Option<&LevelResult> {
        let run = match step {
            Step::Probe(c) => {
                let row = Row::new(c as f64, &m.summary, None);
                if let SweepLevels::Auto(a) = &mut self.choice {
                    a.record(row.level, row.requests_per_s, row.output_tokens_per_s);
                }
                self.probes.push(row);
                return None;
            }
            Step::Run(run) => run,
        };
        let (level, mut runs) = match self.current.take() {
            Some((l, runs)) if l == run.level => (l, runs),
            _ => (run.level, Vec::new()),
        };
        runs.push(m);
        if (runs.len() as u32) < self.repeats {
            self.current = Some((level, runs));
            return None;
        }
        let result = judge(
            level,
            &runs,
            &self.slos,
            SWEEP_CONFIDENCE,
            PassRule::Confident,
        );
        if let SweepLevels::Auto(a) = &mut self.choice {
            let row = &result.merged;
            a.record(level, row.requests_per_s, row.output_tokens_per_s);
        }
        self.levels.push(result);
        self.levels.last()
    }

    fn levels(&self) -> &[LevelResult] {
        &self.levels
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_metrics::Summary;

    fn measured() -> Measurement {
        Measurement {
            summary: Summary::default(),
            goodput_met: 0,
            early_stop: None,
            judged_at_look: 0,
            start_up: None,
            elapsed_s: 1.0,
            dir: String::new(),
        }
    }

    #[test]
    fn a_listed_sweep_runs_every_level_its_repeats_times_in_order() {
        let mut p = SweepPlan::new(
            LoadAxis::Concurrency,
            SweepLevels::List(vec![10.0, 20.0]),
            2,
            SloSet::default(),
        );
        let mut seen = Vec::new();
        while let Some(step) = p.next() {
            let Step::Run(r) = step else {
                panic!("no probes in a listed sweep")
            };
            seen.push((r.level, r.repeat));
            p.record(step, measured());
        }
        assert_eq!(seen, [(10.0, 1), (10.0, 2), (20.0, 1), (20.0, 2)]);
        assert_eq!(p.levels.len(), 2);
    }
}
