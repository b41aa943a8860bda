//! One run into its results directory: the manifest first (status `running`), every
//! record journaled as it ends, then the summary and the final manifest. A run that fails
//! to write, is interrupted or is killed leaves everything recorded so far on disk.

use crate::error::JobError;
use crate::place::Place;
use crate::sink::{Progress, RunSink};
use crate::telemetry::Sampler;
use headroom_capacity::{
    EarlyStop, EarlyStopping, Measurement, StartUp, StopSignal, Watch, either,
};
use headroom_core::{RunError, RunInfo, RunPlan, Runner, Scenario, Warmup, WorkloadSpec};
use headroom_metrics::slo::SloSet;
use headroom_metrics::timeline::{Timeline, TimelineBuilder};
use headroom_metrics::{Recorder, Summary};
use headroom_results::command::redacted_argv;
use headroom_results::dir::create_run_dir;
use headroom_results::files::{JOURNAL, MANIFEST, SUMMARY, TELEMETRY};
use headroom_results::{
    FORMAT_VERSION, HostInfo, JournalWriter, Manifest, ProcessStats, RunStatus, ToolInfo, rfc3339,
    write_json,
};
use headroom_telemetry::{TelemetrySample, WindowFigures};
use headroom_workload::AnySource;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The tool as manifests record it; the binary sets its version and git commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    /// Version.
    pub version: String,
    /// Git commit the binary was built from.
    pub git_sha: String,
}

/// One run to record.
#[derive(Debug)]
pub struct RunJob<'a> {
    /// What to send when, and when to stop.
    pub plan: RunPlan,
    /// The requests.
    pub source: AnySource,
    /// How the manifest describes the workload.
    pub workload: &'a WorkloadSpec,
    /// The results directory: this one (it must not hold a run), or a fresh
    /// `results/<run-id>`.
    pub out: Option<PathBuf>,
    /// `--label`s.
    pub labels: &'a BTreeMap<String, String>,
    /// Sweeps and searches: the SLOs to count goodput by and, with early stopping, to end a
    /// clearly failing level early. `None`: no watch (a plain run).
    pub watch: Option<(&'a SloSet, Option<EarlyStopping>)>,
    /// Log the start at info level (a level of a plan logs its own line instead).
    pub announce: bool,
    /// The tool that records.
    pub tool: &'a Tool,
}

/// A run recorded into its results directory.
#[derive(Debug)]
pub struct Recorded {
    /// The results directory.
    pub dir: PathBuf,
    /// The summary, as written to `summary.json`.
    pub summary: Summary,
    /// The manifest, as written to `manifest.json`.
    pub manifest: Manifest,
    /// The runner's report.
    pub info: RunInfo,
    /// Measured requests that met every SLO (0 without a watch).
    pub goodput_met: u64,
    /// Why the watch ended the run early, if it did.
    pub early_stop: Option<EarlyStop>,
    /// The sequential look the run is judged at (0: a fixed level, or no watch).
    pub judged_at_look: u32,
    /// Its start-up, found by the watch: left out of `summary` when applied.
    pub start_up: Option<StartUp>,
    /// The run over time (for its report, without reading the journal back).
    pub timeline: Timeline,
    /// The server's scrapes, on the records' clock (as `telemetry.jsonl` holds them).
    pub telemetry: Vec<TelemetrySample>,
}

impl Recorded {
    /// `true` when an interrupt (Ctrl-C) ended the run: its results are partial.
    pub fn interrupted(&self) -> bool {
        self.info.interrupted && self.early_stop.is_none()
    }

    /// Length of the run, s.
    pub fn elapsed_s(&self) -> f64 {
        self.info.elapsed_us as f64 / 1e6
    }

    /// What a plan's judgement needs of this run, named by its directory `name`.
    pub fn measurement(&self, name: &str) -> Measurement {
        Measurement {
            summary: self.summary.clone(),
            goodput_met: self.goodput_met,
            early_stop: self.early_stop.clone(),
            judged_at_look: self.judged_at_look,
            start_up: self.start_up,
            elapsed_s: self.elapsed_s(),
            dir: name.to_string(),
        }
    }

    /// An error when every measured request failed: the server, not the load, is the
    /// problem. Each error is in the journal.
    pub fn check_some_succeeded(&self) -> Result<(), JobError> {
        let c = &self.summary.counts;
        if c.ok == 0 && c.failed() > 0 {
            let kinds: Vec<String> = c.errors.iter().map(|(k, n)| format!("{k} {n}")).collect();
            return Err(JobError::EveryRequestFailed {
                failed: c.failed(),
                kinds: kinds.join(", "),
                journal: self.dir.join(JOURNAL),
            });
        }
        Ok(())
    }
}

/// Requests the run will send, when known in advance (for the progress display).
fn expected_total(plan: &RunPlan) -> Option<u64> {
    let warm = match plan.warmup {
        Warmup::Requests(n) => n,
        Warmup::None => 0,
        Warmup::Duration(_) => return None,
    };
    match (plan.stop.requests, plan.stop.duration) {
        (Some(n), None) => Some(n + warm),
        _ => None,
    }
}

fn unix_us(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Now, µs since the Unix epoch.
pub(crate) fn unix_now_us() -> u64 {
    unix_us(SystemTime::now())
}

/// The run's start (µs since the Unix epoch), once the runner has said it: the zero of
/// the records' clock, which telemetry samples share.
#[derive(Debug, Clone, Default)]
pub(crate) struct StartClock(Arc<OnceLock<u64>>);

impl StartClock {
    pub(crate) fn set(&self, epoch_unix_us: u64) {
        let _ = self.0.set(epoch_unix_us);
    }

    pub(crate) fn get(&self) -> Option<u64> {
        self.0.get().copied()
    }
}

/// Records `job` at `place`: creates the results directory, journals every record as it
/// ends, and writes the summary and manifest. `interrupt` ends the run early (in-flight
/// requests get the plan's grace period), leaving partial results marked `interrupted`.
pub async fn record(
    place: &Place,
    job: RunJob<'_>,
    progress: &mut dyn Progress,
    interrupt: &StopSignal,
) -> Result<Recorded, JobError> {
    let now = SystemTime::now();
    let dir = create_run_dir(job.out.as_deref(), now)?;
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        tool: ToolInfo {
            name: "headroom".into(),
            version: job.tool.version.clone(),
            git_sha: job.tool.git_sha.clone(),
        },
        run_id: dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        command: redacted_argv(),
        scenario: Scenario {
            target: place.target.clone(),
            workload: job.workload.clone(),
            plan: job.plan.clone(),
        },
        labels: job.labels.clone(),
        target: place.info.clone(),
        host: HostInfo::current(),
        epoch_unix_us: unix_us(now),
        started_at: rfc3339(now),
        ended_at: None,
        status: RunStatus::Running,
        status_message: None,
        generator: None,
    };
    let line = format!(
        "{} against {}, model {}; results in {}",
        job.plan.load.label(),
        place.label,
        place.model(),
        dir.display()
    );
    if job.announce {
        tracing::info!("{line}");
    } else {
        tracing::debug!("{line}");
    }
    let journal_path = dir.join(JOURNAL);
    let journal =
        JournalWriter::create(&journal_path).map_err(|e| JobError::write(&journal_path, e))?;
    progress.start(expected_total(&job.plan), job.plan.stop.duration);
    let clock = StartClock::default();
    let (url, gpu, host) = (
        place.metrics_url.clone(),
        place.gpu.clone(),
        place.host.clone(),
    );
    let sampler = match (&url, &gpu) {
        // The host alone is read only for a server on it (--server-pid).
        (None, None) if host.as_ref().is_none_or(|h| !h.has_server()) => None,
        _ => {
            let path = dir.join(TELEMETRY);
            let interval = place.scrape_interval;
            Some(Sampler::start(url, gpu, host, interval, &path, clock.clone()).await)
        }
    };
    let mut sink = RunSink {
        clock,
        dir: dir.clone(),
        manifest,
        journal,
        recorder: Recorder::new(),
        timeline: TimelineBuilder::new(),
        watch: job
            .watch
            .map(|(slos, early_stopping)| Watch::new(slos, &job.plan, early_stopping)),
        progress,
    };
    sink.write_manifest()
        .map_err(|e| JobError::write(dir.join(MANIFEST), e))?;
    let runner = place.runner(job.source, job.plan.seed);
    let early = sink.watch.as_ref().map(Watch::signal).unwrap_or_default();
    let result = runner
        .run(
            &job.plan,
            &mut sink,
            either(interrupt.stopped(), early.stopped()),
        )
        .await;
    sink.progress.finish();
    let _ = sink.journal.sync();
    let telemetry = match sampler {
        Some(s) => s.finish().await,
        None => Vec::new(),
    };
    conclude(sink, result, place.is_virtual(), telemetry)
}

/// Writes the summary and the final manifest of a run that `result` ended.
fn conclude(
    mut sink: RunSink<'_>,
    result: Result<RunInfo, RunError>,
    virtual_time: bool,
    telemetry: Vec<TelemetrySample>,
) -> Result<Recorded, JobError> {
    let ended = Some(rfc3339(SystemTime::now()));
    let info = match result {
        Ok(info) => info,
        Err(RunError::Sink(error)) => {
            let written = sink.journal.count();
            let m = &mut sink.manifest;
            m.status = RunStatus::Failed;
            m.ended_at = ended;
            m.status_message = Some(error.to_string());
            let _ = sink.write_manifest();
            return Err(JobError::Recording {
                error,
                written,
                journal: sink.journal.path().to_path_buf(),
            });
        }
        Err(e) => return Err(JobError::Plan(e)),
    };
    let early_stop = sink.watch.as_ref().and_then(|w| w.early_stop().cloned());
    let goodput_met = sink.watch.as_ref().map_or(0, Watch::goodput_met);
    let judged_at_look = sink.watch.as_ref().map_or(0, Watch::judged_at_look);
    let start_up = sink.watch.as_ref().and_then(Watch::start_up);
    // A sequential level is judged, and summarized, without its start-up.
    let steady = sink
        .watch
        .as_ref()
        .and_then(|w| w.steady(info.epoch_unix_us));
    let (mut summary, goodput_met) = match steady {
        Some((summary, met)) => (summary, met),
        None => (sink.recorder.finish(info.epoch_unix_us), goodput_met),
    };
    summary.counts.unsent_arrivals = info.unsent_arrivals;
    if let Some(window) = summary.windows.start().zip(summary.windows.end()) {
        let f = WindowFigures::over_run(&telemetry, window, info.epoch_unix_us);
        (summary.server, summary.gpu, summary.host) = (f.server, f.gpu, f.host);
    }
    let timeline = sink.timeline.finish();
    let m = &mut sink.manifest;
    m.ended_at = ended;
    m.generator = ProcessStats::current();
    if !virtual_time {
        warn_if_generator_saturated(m.generator.as_ref(), info.elapsed_us);
    }
    m.status = if info.interrupted {
        RunStatus::Interrupted
    } else {
        RunStatus::Complete
    };
    if let Some(e) = &early_stop {
        m.status_message = Some(match e.fails() {
            true => format!("stopped early ({}): {}", e.rule, e.detail),
            false => format!("decided: {}", e.detail),
        });
    } else if info.interrupted {
        let mut message = "interrupted by Ctrl-C: results are partial".to_string();
        if info.unsent_arrivals > 0 {
            message.push_str(&format!(
                "; {} scheduled arrivals had not come due and were never sent",
                info.unsent_arrivals
            ));
        }
        m.status_message = Some(message);
    }
    let dir = sink.dir;
    write_json(&dir.join(SUMMARY), &summary).map_err(|e| JobError::write(dir.join(SUMMARY), e))?;
    write_json(&dir.join(MANIFEST), &sink.manifest)
        .map_err(|e| JobError::write(dir.join(MANIFEST), e))?;
    Ok(Recorded {
        dir,
        summary,
        manifest: sink.manifest,
        info,
        goodput_met,
        early_stop,
        judged_at_look,
        start_up,
        timeline,
        telemetry,
    })
}

/// Warns when the load generator used nearly all the CPU it had: its timings then include
/// its own queueing, and the server may have had headroom left.
fn warn_if_generator_saturated(stats: Option<&ProcessStats>, elapsed_us: u64) {
    let (Some(st), true) = (stats, elapsed_us > 1_000_000) else {
        return;
    };
    let cores = tokio::runtime::Handle::try_current()
        .map(|h| h.metrics().num_workers())
        .unwrap_or(1) as f64;
    let used = st.cpu_s() / (elapsed_us as f64 / 1e6);
    if used > 0.9 * cores {
        tracing::warn!(
            "the load generator used {used:.2} of {cores} cores: it may have been the bottleneck; \
             give it more cores (--threads), run the server elsewhere, or lower the load"
        );
    }
}

/// Completes after `d`, or at once when `stop` is raised.
pub async fn pause(d: Duration, stop: &StopSignal) {
    if d > Duration::ZERO {
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = stop.stopped() => {}
        }
    }
}
