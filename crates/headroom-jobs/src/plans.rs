//! Sweeps and capacity searches: one loop over a [`Plan`] (`next`, then `record`), one
//! run per level and repeat in its own subdirectory, the plan's file (`sweep.json`,
//! `capacity.json`) rewritten after every run so an interrupted plan is readable and
//! resumable.

use crate::error::JobError;
use crate::job::Tool;
use crate::levels::{LevelRunner, plan_root, run_name, run_seed};
use crate::place::Place;
use crate::settings::{LevelOptions, LoadOptions, OutputOptions, SettingsError};
use crate::sink::Progress;
use crate::workload::Workload;
use headroom_capacity::sequential::{self, Budget, Expectation};
use headroom_capacity::sweep::{Row, mark};
use headroom_capacity::{
    Capacity, EarlyStopping, LevelResult, LoadAxis, Measurement, Plan, Step, StopSignal, SweepPlan,
};
use headroom_core::{LoadPolicy, RunPlan};
use headroom_metrics::slo::SloSet;
use headroom_results::command::redacted_argv;
use headroom_results::{
    CapacityDoc, PlanHeader, PlanKind, PlanStatus, SweepDoc, read_json, rfc3339, write_json,
};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What every level of a sweep or search shares, checked.
#[derive(Debug)]
pub struct PlanSettings {
    /// The requests.
    pub workload: Workload,
    /// The plan every level's run starts from: warmup, grace, seed, and the open-loop
    /// settings of rate levels.
    pub template: RunPlan,
    /// What each level runs.
    pub each: LevelOptions,
    /// Where results go.
    pub output: OutputOptions,
    /// Continue the plan in `output.out` instead of starting one.
    pub resume: bool,
}

impl PlanSettings {
    /// The settings of a plan over `axis` whose first level is `first`; `load` gives the
    /// settings all levels share (its concurrency, rate and stop rule are the levels').
    pub fn new(
        workload: Workload,
        load: &LoadOptions,
        axis: LoadAxis,
        first: f64,
        each: LevelOptions,
        output: OutputOptions,
        resume: bool,
    ) -> Result<PlanSettings, SettingsError> {
        if workload.trace_speedup.is_some() {
            return Err(SettingsError::new(
                "a trace replays its own arrival times, so it has no load levels to vary; replay it with `headroom run --trace` (and --trace-speedup)",
            ));
        }
        // The first level's plan, checked now so a bad setting fails before any work.
        let first_load = LoadOptions {
            concurrency: (axis == LoadAxis::Concurrency).then_some(first.round().max(1.0) as u32),
            rate: (axis == LoadAxis::Rate).then_some(first),
            requests: None,
            duration: None,
            ..load.clone()
        };
        let template = first_load.plan(&workload)?;
        Ok(PlanSettings {
            workload,
            template,
            each,
            output,
            resume,
        })
    }
}

/// A sweep or search with the file it keeps.
pub trait PlanJob: Plan {
    /// Its file.
    type Doc: Serialize;
    /// Sweep or capacity.
    const KIND: PlanKind;
    /// What levels vary.
    fn axis(&self) -> LoadAxis;
    /// Runs per level.
    fn repeats(&self) -> u32;
    /// The SLOs levels are judged by.
    fn slos(&self) -> &SloSet;
    /// Whether (and at what confidence) a clearly failing level is stopped early; with
    /// `sequential` levels, also once decided.
    fn early_stopping(&self, sequential: bool) -> Option<EarlyStopping>;
    /// The file as it stands.
    fn document(&self, header: PlanHeader) -> Self::Doc;
    /// Logs the start.
    fn announce(&self, root: &Path);
    /// Logs a run just measured (or read back).
    fn log_run(&self, name: &str, m: &Measurement);
    /// Logs a level just judged.
    fn log_level(&self, level: &LevelResult);
    /// What a sequential level at `level` running `load` is likely to cost, from the
    /// levels judged so far.
    fn expectation(
        &self,
        _level: f64,
        _load: &LoadPolicy,
        _budget: &Budget,
    ) -> Option<Expectation> {
        None
    }
}

/// How a plan ended.
#[derive(Debug)]
pub struct PlanEnd<D> {
    /// Its results directory.
    pub root: PathBuf,
    /// Its file, as written last.
    pub doc: D,
    /// `true` when an interrupt stopped it: continue with `--resume`.
    pub interrupted: bool,
}

/// Runs (or resumes) `job` at `place`: every level and repeat the plan asks for, each in
/// its own directory, the plan's file rewritten after each. `interrupt` ends the level
/// running and the plan; what was measured stays on disk.
pub async fn run_plan<J: PlanJob>(
    place: &Place,
    settings: &PlanSettings,
    mut job: J,
    tool: &Tool,
    progress: &mut dyn Progress,
    interrupt: &StopSignal,
) -> Result<PlanEnd<J::Doc>, JobError> {
    let root = plan_root(
        settings.output.out.as_deref(),
        settings.resume,
        J::KIND.file(),
    )?;
    let state = root.join(J::KIND.file());
    let mut header = header(&state, settings, place, &job)?;
    job.announce(&root);
    let slos = job.slos().clone();
    let runner = LevelRunner {
        place,
        workload: &settings.workload,
        template: &settings.template,
        each: &settings.each,
        labels: &settings.output.labels,
        root: &root,
        slos: &slos,
        early_stopping: job.early_stopping(settings.each.sequential.is_some()),
        interrupt,
        tool,
    };
    let write = |job: &J, header: &PlanHeader| {
        write_json(&state, &job.document(header.clone())).map_err(|e| JobError::write(&state, e))
    };
    let mut interrupted = false;
    let mut first = true;
    while let Some(step) = job.next() {
        if interrupt.is_raised() {
            interrupted = true;
            break;
        }
        if !first {
            runner.cooldown().await;
        }
        first = false;
        let (name, plan) = step_plan(&runner, &job, step)?;
        if let (Step::Run(p), Some(budget)) = (step, &settings.each.sequential)
            && let Some(e) = job.expectation(p.level, &plan.load, budget)
        {
            log_expectation(&name, &e, budget);
        }
        let Some(m) = runner.run(&name, plan, progress).await? else {
            interrupted = true;
            break;
        };
        job.log_run(&name, &m);
        if let Some(result) = job.record(step, m) {
            let result = result.clone();
            job.log_level(&result);
        }
        write(&job, &header)?;
    }
    header.status = if interrupted {
        PlanStatus::Interrupted
    } else {
        PlanStatus::Complete
    };
    write(&job, &header)?;
    Ok(PlanEnd {
        doc: job.document(header),
        root,
        interrupted,
    })
}

/// Says before a sequential level starts what it is likely to cost.
fn log_expectation(name: &str, e: &Expectation, budget: &Budget) {
    let at = format!(
        "{} ≈ {} by the levels around it, {:.1} % from its limit",
        e.slo,
        headroom_report::levels::value(&e.slo, e.estimate),
        e.margin * 100.0
    );
    match e.requests {
        Some(n) => tracing::info!("{name}: expect about {n} requests to decide ({at})"),
        None => tracing::info!(
            "{name}: likely INCONCLUSIVE within {} requests ({at}); a larger \
             --max-requests-per-level would decide it",
            budget.max_requests
        ),
    }
}

/// The run directory name and checked plan of `step`.
fn step_plan<J: PlanJob>(
    runner: &LevelRunner<'_>,
    job: &J,
    step: Step,
) -> Result<(String, RunPlan), JobError> {
    let base = runner.template.seed;
    Ok(match step {
        Step::Probe(c) => {
            let level = c as f64;
            // Probes draw their own seeds: they are not a level's repeats.
            let seed = run_seed(base ^ 0x9e37, level, 1);
            let plan = runner.plan(LoadPolicy::Closed { concurrency: c }, level, seed)?;
            (format!("probe-c{c}"), plan)
        }
        Step::Run(r) => {
            let axis = job.axis();
            let seed = run_seed(base, r.level, r.repeat);
            let load = axis.load(r.level, &runner.template.load);
            let plan = runner.plan(load, r.level, seed)?;
            (run_name(axis, r.level, r.repeat, job.repeats()), plan)
        }
    })
}

/// The header of a plan's file: new, or (resuming) with the command line and start time
/// of the run that began it.
fn header<J: PlanJob>(
    state: &Path,
    settings: &PlanSettings,
    place: &Place,
    job: &J,
) -> Result<PlanHeader, JobError> {
    // The file's top level is the header's fields, then the plan's.
    let earlier: Option<PlanHeader> = if settings.resume && state.exists() {
        Some(read_json(state).map_err(|e| JobError::read(state, e))?)
    } else {
        None
    };
    Ok(PlanHeader {
        command: earlier
            .as_ref()
            .map_or_else(redacted_argv, |h| h.command.clone()),
        started_at: earlier
            .as_ref()
            .map_or_else(|| rfc3339(SystemTime::now()), |h| h.started_at.clone()),
        target: place.describe(),
        model: place.model().to_string(),
        labels: settings.output.labels.clone(),
        axis: job.axis(),
        slos: job.slos().0.iter().map(ToString::to_string).collect(),
        repeats: job.repeats(),
        status: PlanStatus::Running,
    })
}

impl PlanJob for SweepPlan {
    type Doc = SweepDoc;
    const KIND: PlanKind = PlanKind::Sweep;

    fn axis(&self) -> LoadAxis {
        self.axis
    }

    fn repeats(&self) -> u32 {
        self.repeats
    }

    fn slos(&self) -> &SloSet {
        &self.slos
    }

    fn early_stopping(&self, _sequential: bool) -> Option<EarlyStopping> {
        None
    }

    fn document(&self, header: PlanHeader) -> SweepDoc {
        let rows: Vec<Row> = self.levels.iter().map(|l| l.merged.clone()).collect();
        SweepDoc {
            kind: PlanKind::Sweep,
            header,
            levels: self.levels.clone(),
            probes: self.probes.clone(),
            marks: mark(&rows),
        }
    }

    fn announce(&self, root: &Path) {
        tracing::info!("sweep; results in {}", root.display());
    }

    fn log_run(&self, name: &str, m: &Measurement) {
        if name.starts_with("probe-") {
            let t = m.summary.throughput();
            tracing::info!(
                "{name}: {:.2} req/s, {:.1} output tok/s",
                t.requests_per_s,
                t.output_tokens_per_s
            );
        }
    }

    fn log_level(&self, level: &LevelResult) {
        let row = &level.merged;
        tracing::info!(
            "{}: {:.2} req/s, {:.1} output tok/s, mean latency {:.0} ms, p95 {:.0} ms",
            self.axis.describe(level.level),
            row.requests_per_s,
            row.output_tokens_per_s,
            row.mean_e2e_ms,
            row.p95_e2e_ms
        );
    }
}

/// A capacity search, with whether clearly failing levels stop early.
#[derive(Debug, Clone)]
pub struct CapacitySearch {
    /// The search.
    pub capacity: Capacity,
    /// Stop a clearly failing level early.
    pub early_stop: bool,
}

impl Plan for CapacitySearch {
    fn next(&self) -> Option<Step> {
        Plan::next(&self.capacity)
    }

    fn record(&mut self, step: Step, m: Measurement) -> Option<&LevelResult> {
        Plan::record(&mut self.capacity, step, m)
    }

    fn levels(&self) -> &[LevelResult] {
        &self.capacity.levels
    }
}

impl PlanJob for CapacitySearch {
    type Doc = CapacityDoc;
    const KIND: PlanKind = PlanKind::Capacity;

    fn axis(&self) -> LoadAxis {
        self.capacity.search.axis
    }

    fn repeats(&self) -> u32 {
        self.capacity.repeats
    }

    fn slos(&self) -> &SloSet {
        &self.capacity.slos
    }

    fn early_stopping(&self, sequential: bool) -> Option<EarlyStopping> {
        self.early_stop.then_some(EarlyStopping {
            confidence: self.capacity.confidence,
            sequential,
        })
    }

    fn document(&self, header: PlanHeader) -> CapacityDoc {
        let c = &self.capacity;
        CapacityDoc {
            kind: PlanKind::Capacity,
            header,
            method: c.search.method,
            confidence: c.confidence,
            pass_rule: c.rule,
            levels: c.levels.clone(),
            found: c.found(),
        }
    }

    fn announce(&self, root: &Path) {
        let over = match self.axis() {
            LoadAxis::Concurrency => "concurrency",
            LoadAxis::Rate => "request rate",
        };
        tracing::info!(
            "capacity search over {over}: {}; results in {}",
            self.capacity.slos,
            root.display()
        );
    }

    fn log_run(&self, name: &str, m: &Measurement) {
        let parts: Vec<String> = self
            .capacity
            .slos
            .0
            .iter()
            .map(|s| {
                let (v, verdict) =
                    headroom_metrics::slo::point_verdict(s, &m.summary, m.goodput_met);
                let v = v.map_or_else(
                    || "no data".into(),
                    |v| headroom_report::levels::value(s, v),
                );
                format!("{s}: {v} {verdict}")
            })
            .collect();
        let stop = m
            .early_stop
            .as_ref()
            .map(|e| match e.fails() {
                true => format!(" — stopped early: {}", e.detail),
                false => format!(" — decided: {}", e.detail),
            })
            .unwrap_or_default();
        let start_up = m.start_up.filter(|u| u.applied);
        let left_out = start_up.map_or(0, |u| u.requests);
        let warmup = match m.summary.counts.warmup.saturating_sub(left_out) {
            0 => String::new(),
            n => format!("; {n} warmup requests left out"),
        };
        let start_up = start_up.map_or_else(String::new, |u| format!("; {}", u.describe()));
        tracing::info!(
            "{name}: {} ({:.2} req/s{warmup}{start_up}){stop}",
            parts.join(", "),
            m.summary.throughput().requests_per_s
        );
        if let Some(u) = m.start_up.filter(|u| !u.applied) {
            tracing::warn!("{name}: {}", u.describe());
        }
    }

    fn expectation(&self, level: f64, load: &LoadPolicy, budget: &Budget) -> Option<Expectation> {
        let c = &self.capacity;
        sequential::expectation(&c.levels, &c.slos, level, load, budget, c.confidence)
    }

    fn log_level(&self, level: &LevelResult) {
        let slos: String = level
            .slos
            .iter()
            .map(|s| {
                format!(
                    "; {} = {}",
                    s.slo,
                    headroom_report::levels::estimate(&s.assessment)
                )
            })
            .collect();
        tracing::info!(
            "{}: {}{slos}",
            self.axis().describe(level.level),
            level.verdict
        );
    }
}
