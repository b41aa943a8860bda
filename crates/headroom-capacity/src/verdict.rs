//! Judging a level from its repeats, and the capacity search that uses the judgement.
//!
//! # The pass rule
//!
//! Each SLO is assessed over all repeats of a level together (see
//! [`headroom_metrics::slo`]): the estimate comes from the repeats' histograms merged
//! exactly, and its confidence interval is the wider of the interval from the samples
//! (sampling noise within runs) and the t-interval of the per-repeat values (variation
//! from run to run). Against the limit the SLO is
//!
//! - **PASS** when the whole interval is within the limit,
//! - **FAIL** when the whole interval is beyond it,
//! - **INCONCLUSIVE** when the limit lies inside the interval: the data cannot tell at the
//!   chosen confidence.
//!
//! A level passes when every SLO passes. With the default rule (`confident`) an INCONCLUSIVE
//! level does not pass, so the capacity reported is one the data supports at 95 %
//! confidence; with `estimate` an INCONCLUSIVE level is decided by the point estimate. A level
//! with a repeat stopped early (see [`crate::watch`]) fails.

use crate::search::{Found, LevelOutcome, Search};
use crate::sequential::confidence_at;
use crate::settle::StartUp;
use crate::sweep::Row;
use crate::watch::EarlyStop;
use headroom_metrics::Summary;
use headroom_metrics::slo::{Assessment, Repeat, SloSet, Verdict, assess, point_verdict};
use serde::{Deserialize, Serialize};

/// How an INCONCLUSIVE level counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum PassRule {
    /// Only a level whose every SLO interval is within its limit passes.
    #[default]
    Confident,
    /// An INCONCLUSIVE level passes when its point estimates are within the limits.
    Estimate,
}

/// One run of a level: what the caller measured.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// The run's summary.
    pub summary: Summary,
    /// Measured requests that met every SLO.
    pub goodput_met: u64,
    /// Why the run was stopped early, if it was.
    pub early_stop: Option<EarlyStop>,
    /// The sequential look it is judged at ([`crate::sequential`]; 0: a fixed level).
    pub judged_at_look: u32,
    /// Its start-up ([`crate::settle`]): left out of `summary` when applied.
    pub start_up: Option<StartUp>,
    /// Length of the run, s.
    pub elapsed_s: f64,
    /// Where its results are (a results subdirectory).
    pub dir: String,
}

/// A level and a repeat (1-based).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelRun {
    /// The level.
    pub level: f64,
    /// The repeat, from 1.
    pub repeat: u32,
}

/// One repeat of a level, as seed 000's documentation template lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RepeatRow {
    /// The repeat, from 1.
    pub repeat: u32,
    /// Its numbers (request latency percentiles, throughput, errors, goodput).
    #[serde(flatten)]
    pub row: Row,
    /// Each SLO's value in this repeat (ms, fraction or req/s), in SLO order; `None`
    /// without data.
    pub values: Vec<Option<f64>>,
    /// PASS or FAIL of this repeat on its own point estimates.
    pub verdict: Verdict,
    /// Length of the run, s.
    pub duration_s: f64,
    /// Why it was stopped early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stop: Option<EarlyStop>,
    /// Its start-up: left out of its numbers when `applied` (a sequential level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_up: Option<StartUp>,
    /// Its results subdirectory.
    pub dir: String,
}

/// One SLO's assessment at a level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SloResult {
    /// The SLO, as written canonically.
    pub slo: String,
    /// Estimate, intervals and verdict.
    pub assessment: Assessment,
}

/// A level, judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LevelResult {
    /// The level.
    pub level: f64,
    /// All repeats merged.
    pub merged: Row,
    /// One row per repeat.
    pub repeats: Vec<RepeatRow>,
    /// Per SLO.
    pub slos: Vec<SloResult>,
    /// The worst SLO verdict (FAIL when a repeat was stopped early).
    pub verdict: Verdict,
    /// Whether the level counts as passing under the pass rule.
    pub passed: bool,
}

/// Judges a level from its measurements.
pub fn judge(
    level: f64,
    runs: &[Measurement],
    slos: &SloSet,
    confidence: f64,
    rule: PassRule,
) -> LevelResult {
    let mut merged = Summary::default();
    for m in runs {
        merged += &m.summary;
    }
    let met: u64 = runs.iter().map(|m| m.goodput_met).sum();
    let repeats: Vec<Repeat> = runs
        .iter()
        .map(|m| Repeat {
            summary: &m.summary,
            goodput_met: m.goodput_met,
        })
        .collect();
    // A sequential level is judged at the confidence of the look it ended at.
    let look = runs.iter().map(|m| m.judged_at_look).max().unwrap_or(0);
    let at = confidence_at(confidence, look);
    let results: Vec<SloResult> = slos
        .0
        .iter()
        .map(|s| SloResult {
            slo: s.to_string(),
            assessment: assess(s, &repeats, at),
        })
        .collect();
    let stopped = runs
        .iter()
        .any(|m| m.early_stop.as_ref().is_some_and(EarlyStop::fails));
    let verdict = if stopped {
        Verdict::Fail
    } else {
        results
            .iter()
            .map(|r| r.assessment.verdict)
            .fold(Verdict::Pass, worst)
    };
    let passed = match verdict {
        Verdict::Pass => true,
        Verdict::Fail => false,
        Verdict::Inconclusive => {
            rule == PassRule::Estimate
                && slos
                    .0
                    .iter()
                    .all(|s| point_verdict(s, &merged, met).1 == Verdict::Pass)
        }
    };
    let rows = runs
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let points: Vec<(Option<f64>, Verdict)> = slos
                .0
                .iter()
                .map(|s| point_verdict(s, &m.summary, m.goodput_met))
                .collect();
            RepeatRow {
                repeat: i as u32 + 1,
                row: Row::new(level, &m.summary, Some(m.goodput_met)),
                values: points.iter().map(|p| p.0).collect(),
                verdict: if m.early_stop.as_ref().is_some_and(EarlyStop::fails) {
                    Verdict::Fail
                } else {
                    points.iter().map(|p| p.1).fold(Verdict::Pass, worst)
                },
                duration_s: m.elapsed_s,
                early_stop: m.early_stop.clone(),
                start_up: m.start_up,
                dir: m.dir.clone(),
            }
        })
        .collect();
    // Repeats run one after another, so rates are totals over the sum of their windows
    // (runs in virtual time have overlapping wall-clock windows, which a union would
    // count once).
    let mut row = Row::new(level, &merged, Some(met));
    let window: f64 = runs.iter().map(|m| m.summary.throughput().window_s).sum();
    if window > 0.0 {
        row.window_s = window;
        row.requests_per_s = merged.counts.ok as f64 / window;
        row.output_tokens_per_s = merged.tokens.output as f64 / window;
        row.goodput_per_s = Some(met as f64 / window);
    }
    LevelResult {
        level,
        merged: row,
        repeats: rows,
        slos: results,
        verdict,
        passed,
    }
}

impl LevelResult {
    /// What the level establishes for a search under `rule`: PASS when it passed, FAIL
    /// when it failed (or the estimate rule decided an inconclusive level against it),
    /// INCONCLUSIVE when the confident rule could not decide it.
    pub fn outcome(&self, rule: PassRule) -> LevelOutcome {
        match (self.passed, self.verdict, rule) {
            (true, _, _) => LevelOutcome::Pass,
            (false, Verdict::Inconclusive, PassRule::Confident) => LevelOutcome::Inconclusive,
            _ => LevelOutcome::Fail,
        }
    }
}

/// The worse of two verdicts: FAIL over INCONCLUSIVE over PASS.
pub(crate) fn worst(a: Verdict, b: Verdict) -> Verdict {
    let rank = |v: Verdict| match v {
        Verdict::Pass => 0,
        Verdict::Inconclusive => 1,
        Verdict::Fail => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// A capacity search: which level and repeat to run next, and the levels judged so far.
#[derive(Debug, Clone)]
pub struct Capacity {
    /// Where the search looks.
    pub search: Search,
    /// Runs per level.
    pub repeats: u32,
    /// The SLOs every level is judged by.
    pub slos: SloSet,
    /// Confidence of the intervals (0.95).
    pub confidence: f64,
    /// How INCONCLUSIVE levels count.
    pub rule: PassRule,
    /// Levels judged, in the order run.
    pub levels: Vec<LevelResult>,
    current: Option<(f64, Vec<Measurement>)>,
}

impl Capacity {
    /// A search with `repeats` runs per level.
    pub fn new(
        search: Search,
        repeats: u32,
        slos: SloSet,
        confidence: f64,
        rule: PassRule,
    ) -> Self {
        Capacity {
            search,
            repeats: repeats.max(1),
            slos,
            confidence,
            rule,
            levels: Vec::new(),
            current: None,
        }
    }

    /// The next run, or `None` when the search is over.
    pub fn next(&self) -> Option<LevelRun> {
        match &self.current {
            Some((level, runs)) => Some(LevelRun {
                level: *level,
                repeat: runs.len() as u32 + 1,
            }),
            None => self
                .search
                .next()
                .map(|level| LevelRun { level, repeat: 1 }),
        }
    }

    /// Takes the measurement of `point`; returns the level's result when this completes
    /// it (all repeats run, or one stopped early: the rest are skipped).
    pub fn record(&mut self, point: LevelRun, m: Measurement) -> Option<&LevelResult> {
        let (level, mut runs) = match self.current.take() {
            Some((l, runs)) if l == point.level => (l, runs),
            _ => (point.level, Vec::new()),
        };
        let stopped = m.early_stop.is_some();
        runs.push(m);
        if !stopped && (runs.len() as u32) < self.repeats {
            self.current = Some((level, runs));
            return None;
        }
        let result = judge(level, &runs, &self.slos, self.confidence, self.rule);
        self.search.record(level, result.outcome(self.rule));
        self.levels.push(result);
        self.levels.last()
    }

    /// What the levels judged so far establish.
    pub fn found(&self) -> Found {
        self.search.found()
    }

    /// The judged level at `level`.
    pub fn level(&self, level: f64) -> Option<&LevelResult> {
        self.levels.iter().find(|l| l.level == level)
    }
}
