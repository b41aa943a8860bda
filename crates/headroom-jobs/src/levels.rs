//! Running one level (and repeat) of a sweep or search into its own subdirectory of the
//! plan's results directory, and picking up runs already measured when a plan resumes.
//!
//! Each run has a seed derived from the plan's seed, the level and the repeat, so repeats
//! differ, a resumed plan sends what the interrupted one would have, and a run on disk
//! measured with other settings is recognised (its seed differs) rather than reused.

use crate::error::JobError;
use crate::job::{RunJob, Tool, record};
use crate::place::Place;
use crate::settings::{LevelOptions, check_plan, default_stop};
use crate::sink::Progress;
use crate::workload::Workload;
use headroom_capacity::{EarlyStopping, LoadAxis, Measurement, StopSignal};
use headroom_core::seed::mix;
use headroom_core::{LoadPolicy, RequestSource, RequestSpec, RunPlan, StopRule};
use headroom_metrics::Summary;
use headroom_metrics::slo::SloSet;
use headroom_results::dir::set_aside;
use headroom_results::files::{SUMMARY, WATCH};
use headroom_results::{WatchRecord, read_json, write_json};
use headroom_workload::AnySource;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Request `i` of a level is request `i + offset` of the workload, so levels and repeats
/// send different prompts (no prefix-cache hits from an earlier level) from one source.
#[derive(Debug)]
struct Offset {
    inner: AnySource,
    offset: u64,
}

impl RequestSource for Offset {
    fn request(&self, index: u64) -> RequestSpec {
        self.inner.request(index + self.offset)
    }
    fn len(&self) -> Option<u64> {
        self.inner.len()
    }
    fn arrival_us(&self, index: u64) -> Option<u64> {
        self.inner.arrival_us(index)
    }
}

/// The seed of a level and repeat: derived from the base seed, so repeats differ and a
/// resumed plan sends what the interrupted one would have.
pub fn run_seed(base: u64, level: f64, repeat: u32) -> u64 {
    mix(base ^ mix(level.to_bits() ^ mix(repeat as u64)))
}

/// The run directory of a level and repeat: `c15`, or `c15-r2` when there are repeats.
pub fn run_name(axis: LoadAxis, level: f64, repeat: u32, repeats: u32) -> String {
    if repeats > 1 {
        format!("{}-r{repeat}", axis.label(level))
    } else {
        axis.label(level)
    }
}

/// Runs the levels of one plan.
#[derive(Debug)]
pub(crate) struct LevelRunner<'a> {
    pub(crate) place: &'a Place,
    pub(crate) workload: &'a Workload,
    /// What every level shares: warmup, grace, conversations, the base seed, and the
    /// open-loop settings.
    pub(crate) template: &'a RunPlan,
    pub(crate) each: &'a LevelOptions,
    pub(crate) labels: &'a BTreeMap<String, String>,
    pub(crate) root: &'a Path,
    pub(crate) slos: &'a SloSet,
    pub(crate) early_stopping: Option<EarlyStopping>,
    pub(crate) interrupt: &'a StopSignal,
    pub(crate) tool: &'a Tool,
}

impl LevelRunner<'_> {
    /// The checked plan of a run at `level` with `load` and `seed`.
    pub(crate) fn plan(
        &self,
        load: LoadPolicy,
        level: f64,
        seed: u64,
    ) -> Result<RunPlan, JobError> {
        let w = self.workload;
        let stop = match (self.each.requests, self.each.duration, self.each.sequential) {
            (None, None, Some(budget)) => StopRule {
                requests: Some(budget.max_requests),
                duration: Some(budget.max_duration),
            },
            (None, None, None) => default_stop(&load, w.source.len(), w.conversation),
            (n, duration, _) => StopRule {
                requests: n.map(|n| n.at(level)),
                duration,
            },
        };
        let mut plan = RunPlan {
            load,
            stop,
            seed,
            ..self.template.clone()
        };
        if self.each.sequential.is_some() {
            // A decided level is judged on the requests its look saw: those still in
            // flight are cancelled, not waited for (an interrupted level is measured
            // again on resume, so it needs no grace either).
            plan.grace = Duration::ZERO;
        }
        check_plan(&plan)?;
        Ok(plan)
    }

    /// Runs (or, when resuming, reads back) the run named `name` of `plan`. `None`: it
    /// was interrupted.
    pub(crate) async fn run(
        &self,
        name: &str,
        plan: RunPlan,
        progress: &mut dyn Progress,
    ) -> Result<Option<Measurement>, JobError> {
        let dir = self.root.join(name);
        if let Some(m) = finished(&dir, plan.seed)? {
            tracing::info!("{name}: measured before, reusing {}", dir.display());
            return Ok(Some(m));
        }
        if dir.exists() {
            let kept = set_aside(&dir)?;
            tracing::info!(
                "{} was interrupted; keeping it as {} and measuring the level again",
                dir.display(),
                kept.display()
            );
        }
        tracing::info!("{name}: {} …", plan.load.label());
        let w = self.workload;
        // Finite sources (datasets, traces, --num-prompts) are sent as they are.
        let offset = match w.source.len() {
            Some(_) => 0,
            None => {
                let turns = w.conversation.map_or(1, |t| t.turns.max(1) as u64);
                ((plan.seed >> 44) + 1) * (1 << 32) * turns
            }
        };
        let source = AnySource(Arc::new(Offset {
            inner: w.source.clone(),
            offset,
        }));
        let seed = plan.seed;
        let job = RunJob {
            plan,
            source,
            workload: &w.spec,
            out: Some(dir.clone()),
            labels: self.labels,
            watch: Some((self.slos, self.early_stopping)),
            announce: false,
            tool: self.tool,
        };
        let run = record(self.place, job, progress, self.interrupt).await?;
        if run.interrupted() {
            return Ok(None);
        }
        let watch = WatchRecord {
            goodput_met: run.goodput_met,
            early_stop: run.early_stop.clone(),
            judged_at_look: run.judged_at_look,
            start_up: run.start_up,
            elapsed_s: run.elapsed_s(),
            seed,
        };
        let path = dir.join(WATCH);
        write_json(&path, &watch).map_err(|e| JobError::write(&path, e))?;
        Ok(Some(run.measurement(name)))
    }

    /// Waits out `--cooldown` between levels (or until an interrupt); not in virtual
    /// time.
    pub(crate) async fn cooldown(&self) {
        if !self.place.is_virtual() {
            crate::job::pause(self.each.cooldown, self.interrupt).await;
        }
    }
}

/// A run finished earlier: its summary and watch file are written and its seed matches.
fn finished(dir: &Path, seed: u64) -> Result<Option<Measurement>, JobError> {
    let (summary_path, watch_path) = (dir.join(SUMMARY), dir.join(WATCH));
    if !(summary_path.exists() && watch_path.exists()) {
        return Ok(None);
    }
    let w: WatchRecord = read_json(&watch_path).map_err(|e| JobError::read(&watch_path, e))?;
    if w.seed != seed {
        return Err(JobError::OtherSettings {
            dir: dir.to_path_buf(),
            found: w.seed,
            expected: seed,
        });
    }
    let summary: Summary =
        read_json(&summary_path).map_err(|e| JobError::read(&summary_path, e))?;
    Ok(Some(Measurement {
        summary,
        goodput_met: w.goodput_met,
        early_stop: w.early_stop,
        judged_at_look: w.judged_at_look,
        start_up: w.start_up,
        elapsed_s: w.elapsed_s,
        dir: file_name(dir),
    }))
}

fn file_name(dir: &Path) -> String {
    dir.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// The directory of a plan: created (`out`, or a fresh `results/<run-id>`), or `out`
/// itself when resuming.
pub(crate) fn plan_root(
    out: Option<&Path>,
    resume: bool,
    plan_file: &str,
) -> Result<PathBuf, JobError> {
    if resume {
        return out.map(Path::to_path_buf).ok_or_else(|| {
            JobError::Settings(crate::settings::SettingsError::new(
                "--resume needs the results directory",
            ))
        });
    }
    Ok(headroom_results::dir::create_plan_dir(
        out,
        plan_file,
        std::time::SystemTime::now(),
    )?)
}
