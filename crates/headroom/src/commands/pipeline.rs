//! What every measuring command shares: the workload, load and output settings, and the
//! pipeline that runs a plan with any [`Runner`] into a results directory and a report.

use crate::cli::{Format, LoadArgs, OutputArgs, WorkloadArgs};
use crate::results::{Progress, ResultsSink, create_dir, redacted_argv, run_id, unix_us_now};
use anyhow::{Context as _, bail};
use headroom_capacity::Watched;
use headroom_core::RequestSource;
use headroom_core::results::{
    FORMAT_VERSION, HostInfo, JOURNAL, MANIFEST, Manifest, ProcessStats, RunStatus, SUMMARY,
    TargetInfo, ToolInfo, rfc3339, write_json_atomic,
};
use headroom_core::{LoadPolicy, RunError, RunPlan, Runner, Scenario, StopRule, Warmup};
use headroom_metrics::slo::SloSet;
use headroom_report::RunTitle;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

/// Workload, load and output settings, validated.
#[derive(Debug, Clone)]
pub struct Common {
    /// The request source, its tokenizer and its description for the manifest.
    pub built: super::workload::Workload,
    pub plan: RunPlan,
    pub out: Option<PathBuf>,
    pub labels: BTreeMap<String, String>,
    pub format: Format,
    pub progress: bool,
    pub threads: Option<usize>,
    /// Write report.html, report.md and plots/ at the end.
    pub report: bool,
}

/// `KEY<sep>VALUE` with a non-empty key, both trimmed.
pub fn pair(s: &str, sep: char, flag: &str, expected: &str) -> anyhow::Result<(String, String)> {
    s.split_once(sep)
        .filter(|(k, _)| !k.trim().is_empty())
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .with_context(|| format!("invalid {flag} {s:?}: expected {expected}"))
}

impl Common {
    /// Checks and resolves the shared arguments.
    pub fn resolve(
        w: WorkloadArgs,
        l: LoadArgs,
        o: OutputArgs,
        quiet: bool,
        ignore_eos: bool,
    ) -> anyhow::Result<Self> {
        let built = super::workload::build(&w, l.seed, ignore_eos)?;
        let labels = o
            .labels
            .iter()
            .map(|kv| pair(kv, '=', "--label", "KEY=VALUE, e.g. gpu=L20"))
            .collect::<anyhow::Result<BTreeMap<_, _>>>()?;
        if built.trace_speedup.is_some() && (l.rate.is_some() || l.concurrency.is_some()) {
            bail!(
                "a trace replays its own arrival times: drop --rate and --concurrency (use --trace-speedup and --max-concurrency)"
            );
        }
        if l.max_concurrency.is_some() && l.rate.is_none() && built.trace_speedup.is_none() {
            bail!("--max-concurrency applies to open loop: give --rate or --trace");
        }
        let load = match (l.concurrency, l.rate) {
            _ if built.trace_speedup.is_some() => {
                if l.max_concurrency == Some(0) {
                    bail!("--max-concurrency must be at least 1");
                }
                LoadPolicy::Trace {
                    speedup: built.trace_speedup.unwrap_or(1.0),
                    max_concurrency: l.max_concurrency,
                }
            }
            (_, Some(rate)) => {
                if built.conversation.is_some() {
                    bail!(
                        "conversations run in closed loop: give --concurrency (the number of users), not --rate"
                    );
                }
                if !(rate.is_finite() && rate > 0.0) {
                    bail!("--rate must be a positive number of requests per second, got {rate}");
                }
                if !(l.burstiness.is_finite() && l.burstiness > 0.0) {
                    bail!("--burstiness must be positive, got {}", l.burstiness);
                }
                if l.max_concurrency == Some(0) {
                    bail!("--max-concurrency must be at least 1");
                }
                LoadPolicy::Open {
                    rate,
                    arrival: l.arrival,
                    burstiness: l.burstiness,
                    max_concurrency: l.max_concurrency,
                }
            }
            (c, None) => {
                let concurrency = c.unwrap_or(10);
                if concurrency == 0 {
                    bail!("--concurrency must be at least 1");
                }
                LoadPolicy::Closed { concurrency }
            }
        };
        if l.requests == Some(0) {
            bail!("--requests must be at least 1");
        }
        let stop = match (l.requests, l.duration) {
            (None, None) => default_stop(&load, built.source.len(), built.conversation),
            (requests, duration) => StopRule { requests, duration },
        };
        Ok(Common {
            plan: RunPlan {
                load,
                stop,
                warmup: l.warmup,
                seed: l.seed,
                grace: l.grace,
                conversation: built.conversation,
            },
            out: o.out,
            labels,
            format: o.format,
            progress: !o.no_progress && !quiet && std::io::stderr().is_terminal(),
            threads: l.threads,
            report: !o.no_report,
            built,
        })
    }

    /// Requests the run will send, when known in advance (for the progress bar).
    pub fn expected_total(&self) -> Option<u64> {
        let warm = match self.plan.warmup {
            Warmup::Requests(n) => n,
            Warmup::None => 0,
            Warmup::Duration(_) => return None,
        };
        match (self.plan.stop.requests, self.plan.stop.duration) {
            (Some(n), None) => Some(n + warm),
            _ => None,
        }
    }
}

/// The stop rule of a run given neither a request count nor a duration: every entry of a
/// finite source once; closed loop 10 requests per user (at least 100, whole
/// conversations); open loop 30 s of arrivals (at least 100).
pub fn default_stop(
    load: &LoadPolicy,
    source_len: Option<u64>,
    conversation: Option<headroom_core::Conversation>,
) -> StopRule {
    StopRule {
        requests: Some(match (source_len, *load) {
            // A trace, a dataset read once, or --num-prompts: each once.
            (Some(n), _) => n,
            (None, LoadPolicy::Closed { concurrency }) => {
                let n = (10 * concurrency as u64).max(100);
                // Whole conversations.
                let t = conversation.map_or(1, |c| c.turns.max(1) as u64);
                n.div_ceil(t) * t
            }
            (None, LoadPolicy::Open { rate, .. }) => ((rate * 30.0).ceil() as u64).max(100),
            (None, LoadPolicy::Trace { .. }) => 100,
        }),
        duration: None,
    }
}

/// One measurement to run: the settings, what is measured, and how to describe it.
#[derive(Debug)]
pub struct Job<'a> {
    pub common: &'a Common,
    pub scenario: Scenario,
    pub target: TargetInfo,
    /// How the start-of-run log line names the target.
    pub target_label: String,
    /// Whether to show a progress bar (not for virtual time).
    pub progress: bool,
    /// Whether to log the start of the run (sweeps log their own line per level).
    pub announce: bool,
}

/// A run recorded into its results directory.
#[derive(Debug)]
pub struct Finished {
    /// The results directory.
    pub dir: PathBuf,
    /// The summary, as written to summary.json.
    pub summary: headroom_metrics::Summary,
    /// The manifest, as written to manifest.json.
    pub manifest: Manifest,
    /// Goodput and early stop.
    pub watched: Watched,
}

/// Completes at Ctrl-C, after logging that the run is winding down.
pub async fn ctrl_c(grace: std::time::Duration) {
    if tokio::signal::ctrl_c().await.is_ok() {
        tracing::warn!(
            "interrupted: no new requests; in-flight requests get {} to finish",
            headroom_core::duration::format(grace)
        );
    } else {
        std::future::pending::<()>().await;
    }
}

/// Runs `job` with `runner` (`job.common.plan`, into `job.common.out` or a new
/// directory): journals every record as it ends, then writes the summary and the manifest.
/// `slos` are watched for goodput and, with `early_stop`, a clearly failing run is ended.
pub async fn record<R: Runner>(
    runner: &R,
    job: Job<'_>,
    slos: &SloSet,
    early_stop: bool,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> anyhow::Result<Finished> {
    let common = job.common;
    let now = SystemTime::now();
    let id = run_id(now);
    let dir = create_dir(common.out.as_deref(), &id)?;
    let model = job.scenario.target.model.clone();
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        tool: ToolInfo {
            name: "headroom".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            git_sha: env!("HEADROOM_GIT_SHA").into(),
        },
        run_id: dir
            .file_name()
            .map_or(id, |n| n.to_string_lossy().into_owned()),
        command: redacted_argv(),
        scenario: job.scenario,
        labels: common.labels.clone(),
        target: job.target,
        host: HostInfo::current(),
        epoch_unix_us: unix_us_now(),
        started_at: rfc3339(now),
        ended_at: None,
        status: RunStatus::Running,
        status_message: None,
        generator: None,
    };
    let line = format!(
        "{} against {}, model {model}; results in {}",
        common.plan.load.label(),
        job.target_label,
        dir.display()
    );
    if job.announce {
        tracing::info!("{line}");
    } else {
        tracing::debug!("{line}");
    }
    let progress = Progress::new(
        job.progress && common.progress,
        common.expected_total(),
        common.plan.stop.duration,
    );
    let mut sink = ResultsSink::create(&dir, manifest, progress)?;
    let result =
        headroom_capacity::measure(runner, &common.plan, &mut sink, slos, early_stop, shutdown)
            .await;
    let ended = rfc3339(SystemTime::now());
    let watched = match result {
        Ok(w) => w,
        Err(RunError::Sink(e)) => {
            let written = sink.written();
            let m = sink.manifest_mut();
            m.status = RunStatus::Failed;
            m.ended_at = Some(ended);
            m.status_message = Some(e.to_string());
            let _ = sink.write_manifest();
            bail!(
                "the run stopped because its results could not be written: {e}. The {written} requests recorded before that are in {}; free space (or choose another --out) and run again",
                dir.join(JOURNAL).display()
            );
        }
        Err(e @ RunError::Plan(_)) => return Err(e.into()),
    };
    let info = watched.info;
    let (summary, mut manifest) = sink.finish(info.epoch_unix_us);
    manifest.ended_at = Some(ended);
    manifest.generator = ProcessStats::current();
    if !manifest.target.virtual_time {
        warn_if_generator_saturated(manifest.generator.as_ref(), info.elapsed_us, common.threads);
    }
    manifest.status = if info.interrupted {
        RunStatus::Interrupted
    } else {
        RunStatus::Complete
    };
    if let Some(e) = &watched.early_stop {
        manifest.status_message = Some(format!("stopped early ({}): {}", e.rule, e.detail));
    } else if info.interrupted {
        manifest.status_message = Some("interrupted by Ctrl-C: results are partial".into());
    }
    let summary_path = dir.join(SUMMARY);
    write_json_atomic(&summary_path, &summary)
        .with_context(|| format!("cannot write {}", summary_path.display()))?;
    write_json_atomic(&dir.join(MANIFEST), &manifest)
        .with_context(|| format!("cannot write the manifest in {}", dir.display()))?;
    Ok(Finished {
        dir,
        summary,
        manifest,
        watched,
    })
}

/// Runs `job` with `runner`: writes the results directory as it goes, then the summary,
/// the manifest and the report. Exit codes: 0 complete, 1 when every measured request
/// failed, 130 when interrupted.
pub async fn execute<R: Runner>(runner: &R, job: Job<'_>) -> anyhow::Result<ExitCode> {
    let common = job.common;
    let model = job.scenario.target.model.clone();
    let f = record(
        runner,
        job,
        &SloSet::default(),
        false,
        ctrl_c(common.plan.grace),
    )
    .await?;
    let report = match common.format {
        Format::Table => headroom_report::table(&f.summary, &f.header(model)),
        Format::Json => headroom_report::json(&f.summary) + "\n",
        Format::Csv => headroom_report::csv(&f.summary),
    };
    print_report(&report)?;
    if common.report {
        super::report::after(&f.dir);
    }
    f.conclude()
}

impl Finished {
    /// `true` when Ctrl-C stopped the run: the results are partial.
    pub fn interrupted(&self) -> bool {
        self.watched.info.interrupted
    }

    /// The console report's title.
    pub fn header(&self, model: String) -> RunTitle {
        RunTitle {
            load: self.manifest.scenario.plan.load.label(),
            model,
            target: report_target(&self.manifest),
            partial: self
                .interrupted()
                .then(|| "interrupted by Ctrl-C".to_string()),
        }
    }

    /// The exit status, after the report: 130 when interrupted, an error when every
    /// measured request failed, else 0.
    pub fn conclude(&self) -> anyhow::Result<ExitCode> {
        let (dir, summary) = (&self.dir, &self.summary);
        if self.interrupted() {
            tracing::warn!(
                "interrupted: results are partial; everything recorded is in {}",
                dir.display()
            );
            return Ok(ExitCode::from(130));
        }
        tracing::info!("results in {}", dir.display());
        if summary.counts.ok == 0 && summary.counts.failed() > 0 {
            let kinds: Vec<String> = summary
                .counts
                .errors
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            bail!(
                "every one of the {} measured requests failed ({}); is the server healthy? Each error is in {}",
                summary.counts.failed(),
                kinds.join(", "),
                dir.join(JOURNAL).display()
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Writes a report to stdout; a reader closing the pipe early (`| head`) is not an error.
pub fn print_report(report: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(report.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write the report to stdout")
        }
        _ => Ok(()),
    }
}

/// How the report's title names the target.
fn report_target(m: &Manifest) -> String {
    if m.target.virtual_time {
        "predicted in virtual time".into()
    } else if m.target.embedded_simulator {
        "embedded simulator".into()
    } else {
        m.scenario.target.url.clone()
    }
}

/// Warns when the load generator used nearly all the CPU it had: its timings then include
/// its own queueing, and the server may have had headroom left.
fn warn_if_generator_saturated(
    stats: Option<&ProcessStats>,
    elapsed_us: u64,
    threads: Option<usize>,
) {
    let (Some(st), true) = (stats, elapsed_us > 1_000_000) else {
        return;
    };
    let cores = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        as f64;
    let used = st.cpu_s() / (elapsed_us as f64 / 1e6);
    if used > 0.9 * cores {
        tracing::warn!(
            "the load generator used {used:.2} of {cores} cores: it may have been the bottleneck; \
             give it more cores (--threads), run the server elsewhere, or lower the load"
        );
    }
}
