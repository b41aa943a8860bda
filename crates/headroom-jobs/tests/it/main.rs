//! The jobs in-process, as the binary and the matrix call them: a run against the
//! simulator on 127.0.0.1:0, sweeps and capacity searches in virtual time, interrupted and
//! resumed. No binary is spawned.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use headroom_capacity::{LoadAxis, PassRule, StopSignal};
use headroom_core::LengthSpec;
use headroom_jobs::job::{Recorded, RunJob, record};
use headroom_jobs::settings::{PerLevel, SweepLevelsOption};
use headroom_jobs::{
    CapacityOptions, CapacitySearch, LevelOptions, LoadOptions, NoProgress, OutputOptions, Place,
    PlanSettings, Progress, SettingsError, SweepOptions, TargetOptions, Tool, Workload,
    WorkloadOptions, run_plan,
};
use headroom_metrics::Summary;
use headroom_results::files::{CAPACITY, JOURNAL, MANIFEST, SUMMARY, WATCH};
use headroom_results::{CapacityDoc, Manifest, PlanStatus, RunStatus, read_journal, read_json};
use headroom_sim::EngineOptions;
use headroom_testkit::spawn_sim;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

fn tool() -> Tool {
    Tool {
        version: "test".into(),
        git_sha: "test".into(),
    }
}

/// Short fixed lengths: these tests check the pipeline, not the server.
fn workload() -> Workload {
    Workload::build(
        &WorkloadOptions {
            input_tokens: Some(LengthSpec::Fixed(20)),
            output_tokens: Some(LengthSpec::Fixed(10)),
            ..WorkloadOptions::default()
        },
        0,
    )
    .unwrap()
}

fn fast_sim() -> headroom_sim::SimConfig {
    headroom_sim::SimConfig {
        timing: headroom_sim::FixedTiming {
            ttft: Duration::from_millis(2),
            itl: Duration::from_millis(1),
            tokens_per_chunk: 1,
        },
        ..headroom_sim::SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_against_the_simulator_on_port_0_leaves_a_complete_results_directory() {
    let sim = spawn_sim(fast_sim()).await;
    let w = workload();
    let plan = LoadOptions {
        concurrency: Some(4),
        requests: Some(20),
        warmup: headroom_core::Warmup::Requests(2),
        ..LoadOptions::default()
    }
    .plan(&w)
    .unwrap();
    let target = TargetOptions {
        url: Some(sim.url.clone()),
        ..TargetOptions::default()
    };
    let place = Place::connect(&target, &w, plan.seed).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let labels = BTreeMap::from([("gpu".to_string(), "sim".to_string())]);
    let job = RunJob {
        plan,
        source: w.source.clone(),
        workload: &w.spec,
        out: Some(out.clone()),
        labels: &labels,
        watch: None,
        announce: true,
        tool: &tool(),
    };
    let run = record(&place, job, &mut NoProgress, &StopSignal::default())
        .await
        .unwrap();
    assert_eq!(run.summary.counts.ok, 20);
    assert_eq!(run.summary.counts.warmup, 2);
    assert_eq!((run.goodput_met, &run.early_stop), (0, &None));
    // Everything the run holds is what it wrote.
    let on_disk: Summary = read_json(&out.join(SUMMARY)).unwrap();
    assert_eq!(on_disk, run.summary);
    let m: Manifest = read_json(&out.join(MANIFEST)).unwrap();
    assert_eq!(m, run.manifest);
    assert_eq!(m.status, RunStatus::Complete);
    assert_eq!(m.labels["gpu"], "sim");
    assert_eq!(m.target.models, ["headroom-sim"]);
    assert_eq!(read_journal(&out.join(JOURNAL)).unwrap().records.len(), 22);
    run.check_some_succeeded().unwrap();
    // A plain run has no watch file: only the levels of a plan do.
    assert!(!out.join(WATCH).exists());
}

/// `load` run in virtual time into `dir`/r, interrupted once 50 records have arrived.
async fn interrupted_virtual_run(load: LoadOptions, dir: &Path) -> Recorded {
    let w = workload();
    let plan = load.plan(&w).unwrap();
    let place = Place::virtual_time(&EngineOptions::default(), 0).unwrap();
    let stop = StopSignal::default();
    let mut after_50 = RaiseAfter {
        records: 50,
        signal: stop.clone(),
    };
    let labels = BTreeMap::new();
    let job = RunJob {
        plan,
        source: w.source.clone(),
        workload: &w.spec,
        out: Some(dir.join("r")),
        labels: &labels,
        watch: None,
        announce: false,
        tool: &tool(),
    };
    record(&place, job, &mut after_50, &stop).await.unwrap()
}

#[tokio::test]
async fn an_interrupt_ends_the_run_with_partial_results_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let load = LoadOptions {
        concurrency: Some(8),
        requests: Some(2000),
        ..LoadOptions::default()
    };
    let run = interrupted_virtual_run(load, dir.path()).await;
    assert!(run.interrupted());
    assert_eq!(run.manifest.status, RunStatus::Interrupted);
    assert!(run.summary.counts.ok < 2000, "{:?}", run.summary.counts);
    let journal = read_journal(&dir.path().join("r").join(JOURNAL)).unwrap();
    assert_eq!(journal.records.len() as u64, run.summary.counts.measured());
}

#[tokio::test]
async fn an_interrupted_open_loop_accounts_for_every_scheduled_arrival() {
    let dir = tempfile::tempdir().unwrap();
    let load = LoadOptions {
        rate: Some(50.0),
        requests: Some(2000),
        ..LoadOptions::default()
    };
    let run = interrupted_virtual_run(load, dir.path()).await;
    assert!(run.interrupted());
    let c = &run.summary.counts;
    assert!(c.unsent_arrivals > 0, "{c:?}");
    // Every one of the 2,000 is a record in the journal or counted as never due.
    let journal = read_journal(&dir.path().join("r").join(JOURNAL)).unwrap();
    assert_eq!(journal.records.len() as u64 + c.unsent_arrivals, 2000);
    let on_disk: Summary = read_json(&dir.path().join("r").join(SUMMARY)).unwrap();
    assert_eq!(on_disk.counts.unsent_arrivals, c.unsent_arrivals);
    let message = run.manifest.status_message.as_deref().unwrap_or_default();
    assert!(
        message.contains(&format!("{} scheduled arrivals", c.unsent_arrivals)),
        "{message}"
    );
}

/// Raises `signal` once `records` records have arrived, as Ctrl-C would mid-run.
struct RaiseAfter {
    records: u64,
    signal: StopSignal,
}

impl Progress for RaiseAfter {
    fn update(&mut self, _: &Summary, seen: u64) {
        if seen >= self.records {
            self.signal.raise();
        }
    }
}

fn capacity_options() -> CapacityOptions {
    CapacityOptions {
        slos: "p95(e2e)<=1s"
            .parse::<headroom_metrics::Slo>()
            .into_iter()
            .collect(),
        axis: LoadAxis::Concurrency,
        search: None,
        start: Some(8.0),
        step: None,
        max: None,
        repeats: 2,
        confidence: 0.95,
        pass_rule: PassRule::Estimate,
        early_stop: true,
    }
}

/// A capacity search in virtual time on the capacity plan's L20 (short requests, a
/// tight SLO: a handful of levels), into `out`.
async fn search(
    out: &Path,
    resume: bool,
    interrupt: &StopSignal,
    progress: &mut dyn Progress,
) -> CapacityDoc {
    let options = capacity_options();
    let job = CapacitySearch {
        capacity: options.plan().unwrap(),
        early_stop: options.early_stop,
    };
    let settings = PlanSettings::new(
        workload(),
        &LoadOptions::default(),
        LoadAxis::Concurrency,
        job.capacity.search.method.start(),
        LevelOptions {
            requests: Some(PerLevel::PerUnit(5.0)),
            ..LevelOptions::default()
        },
        OutputOptions {
            out: Some(out.to_path_buf()),
            ..OutputOptions::default()
        },
        resume,
    )
    .unwrap();
    let engine = EngineOptions {
        gpu: Some("l20".into()),
        max_model_len: Some(8192),
        max_num_seqs: Some(50),
        ..EngineOptions::default()
    };
    let place = Place::virtual_time(&engine, settings.template.seed).unwrap();
    run_plan(&place, &settings, job, &tool(), progress, interrupt)
        .await
        .unwrap()
        .doc
}

#[tokio::test]
async fn a_resumed_search_reuses_the_runs_on_disk_and_decides_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let whole = search(
        &dir.path().join("whole"),
        false,
        &StopSignal::default(),
        &mut NoProgress,
    )
    .await;
    assert_eq!(whole.header.status, PlanStatus::Complete);
    assert!(whole.found.max_pass.is_some(), "{:?}", whole.found);
    let runs: usize = whole.levels.iter().map(|l| l.repeats.len()).sum();
    assert!(runs >= 6, "{runs} runs");

    // The same search, interrupted during its fourth run…
    let cut = dir.path().join("cut");
    let stop = StopSignal::default();
    let records_before_cut: u64 = whole
        .levels
        .iter()
        .flat_map(|l| &l.repeats)
        .take(3)
        .map(|r| r.row.ok)
        .sum();
    let mut progress = CountAcrossRuns {
        seen: 0,
        last: 0,
        raise_at: records_before_cut + 3,
        signal: stop.clone(),
    };
    let partial = search(&cut, false, &stop, &mut progress).await;
    assert_eq!(partial.header.status, PlanStatus::Interrupted);
    assert!(partial.levels.len() < whole.levels.len());
    // …and resumed: the three finished runs are reused, the cut one is kept aside and
    // measured again, and every decision is the same.
    let resumed = search(&cut, true, &StopSignal::default(), &mut NoProgress).await;
    assert_eq!(resumed.header.status, PlanStatus::Complete);
    assert_eq!(resumed.found, whole.found);
    let levels = |d: &CapacityDoc| {
        d.levels
            .iter()
            .map(|l| (l.level, l.passed))
            .collect::<Vec<_>>()
    };
    assert_eq!(levels(&resumed), levels(&whole));
    assert_eq!(resumed.header.started_at, partial.header.started_at);
    let aside = std::fs::read_dir(&cut)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".interrupted")
        })
        .count();
    assert_eq!(aside, 1);
    let doc: CapacityDoc = read_json(&cut.join(CAPACITY)).unwrap();
    assert_eq!((levels(&doc), doc.found), (levels(&resumed), resumed.found));
}

/// Counts records across the runs of a plan and raises `signal` at `raise_at`.
struct CountAcrossRuns {
    seen: u64,
    last: u64,
    raise_at: u64,
    signal: StopSignal,
}

impl Progress for CountAcrossRuns {
    fn start(&mut self, _: Option<u64>, _: Option<Duration>) {
        self.last = 0;
    }

    fn update(&mut self, _: &Summary, seen: u64) {
        self.seen += seen - self.last;
        self.last = seen;
        if self.seen >= self.raise_at {
            self.signal.raise();
        }
    }
}

#[tokio::test]
async fn a_sweep_in_virtual_time_runs_every_level_and_marks_the_knee() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = SweepOptions {
        levels: Some(SweepLevelsOption::Concurrency(vec![5, 20, 80])),
        repeats: 1,
        slos: Default::default(),
    }
    .plan()
    .unwrap();
    let settings = PlanSettings::new(
        workload(),
        &LoadOptions::default(),
        sweep.axis,
        sweep.first_level(),
        LevelOptions {
            requests: Some(PerLevel::PerUnit(4.0)),
            ..LevelOptions::default()
        },
        OutputOptions {
            out: Some(dir.path().join("sw")),
            ..OutputOptions::default()
        },
        false,
    )
    .unwrap();
    let place = Place::virtual_time(&EngineOptions::default(), 0).unwrap();
    let end = run_plan(
        &place,
        &settings,
        sweep,
        &tool(),
        &mut NoProgress,
        &StopSignal::default(),
    )
    .await
    .unwrap();
    let levels: Vec<f64> = end.doc.levels.iter().map(|l| l.level).collect();
    assert_eq!(levels, [5.0, 20.0, 80.0]);
    assert!(end.doc.marks.knee.is_some());
    for d in ["c5", "c20", "c80"] {
        assert!(end.root.join(d).join(SUMMARY).exists(), "{d}");
    }
}

#[test]
fn a_bad_value_is_the_same_error_whichever_job_gets_it() {
    let w = workload();
    let run = LoadOptions {
        concurrency: Some(0),
        ..LoadOptions::default()
    }
    .plan(&w)
    .unwrap_err();
    let sweep = PlanSettings::new(
        w,
        &LoadOptions::default(),
        LoadAxis::Concurrency,
        0.0,
        LevelOptions::default(),
        OutputOptions::default(),
        false,
    );
    // A level of 0 users rounds up to 1 (a search never goes below its minimum); a rate of
    // 0 is refused with the same message as `run --rate 0`.
    assert!(sweep.is_ok());
    let rate = LoadOptions {
        rate: Some(0.0),
        ..LoadOptions::default()
    };
    let run_rate = rate.plan(&workload()).unwrap_err();
    let plan_rate = PlanSettings::new(
        workload(),
        &LoadOptions::default(),
        LoadAxis::Rate,
        0.0,
        LevelOptions::default(),
        OutputOptions::default(),
        false,
    )
    .unwrap_err();
    assert_eq!(run_rate, plan_rate);
    assert_eq!(run, SettingsError::new("--concurrency must be at least 1"));
}
