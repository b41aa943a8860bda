//! What every measuring command shares: the workload, load and output settings, and the
//! pipeline that runs a plan with any [`Runner`] into a results directory and a report.

use crate::cli::{Format, LoadArgs, OutputArgs, WorkloadArgs};
use crate::results::{Progress, ResultsSink, create_dir, redacted_argv, run_id, unix_us_now};
use anyhow::{Context as _, bail};
use headroom_core::RequestSource;
use headroom_core::results::{
    FORMAT_VERSION, HostInfo, JOURNAL, MANIFEST, Manifest, ProcessStats, RunStatus, SUMMARY,
    TargetInfo, ToolInfo, rfc3339, write_json_atomic,
};
use headroom_core::{LoadPolicy, RunError, RunPlan, Runner, Scenario, StopRule, Warmup};
use headroom_metrics::Summary;
use headroom_report::Header;
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
            (None, None) => StopRule {
                requests: Some(match (built.source.len(), load) {
                    // A trace, a dataset read once, or --num-prompts: each once.
                    (Some(n), _) => n,
                    (None, LoadPolicy::Closed { concurrency }) => {
                        let n = (10 * concurrency as u64).max(100);
                        // Whole conversations.
                        let t = built.conversation.map_or(1, |c| c.turns.max(1) as u64);
                        n.div_ceil(t) * t
                    }
                    (None, LoadPolicy::Open { rate, .. }) => ((rate * 30.0).ceil() as u64).max(100),
                    (None, LoadPolicy::Trace { .. }) => 100,
                }),
                duration: None,
            },
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
}

/// Runs `job` with `runner`: writes the results directory as it goes, then the summary,
/// the manifest and the report. Exit codes: 0 complete, 1 when every measured request
/// failed, 130 when interrupted.
pub async fn execute<R: Runner>(runner: &R, job: Job<'_>) -> anyhow::Result<ExitCode> {
    let common = job.common;
    let m = measure(runner, job).await?;
    let report = match common.format {
        Format::Table => headroom_report::table(&m.summary, &m.header()),
        Format::Json => headroom_report::json(&m.summary) + "\n",
        Format::Csv => headroom_report::csv(&m.summary),
    };
    print_report(&report)?;
    m.conclude()
}

/// A finished measurement: its results directory holds the journal, the summary and the
/// manifest.
#[derive(Debug)]
pub struct Measured {
    pub dir: PathBuf,
    pub summary: Summary,
    pub manifest: Manifest,
    /// Stopped by Ctrl-C: the results are partial.
    pub interrupted: bool,
    /// How the run's load reads (`concurrency 20`).
    pub load: String,
}

impl Measured {
    /// The console report's title.
    pub fn header(&self) -> Header {
        Header {
            load: self.load.clone(),
            model: self.manifest.scenario.target.model.clone(),
            target: report_target(&self.manifest),
            partial: self
                .interrupted
                .then(|| "interrupted by Ctrl-C".to_string()),
        }
    }

    /// The exit status, after the report: 130 when interrupted, an error when every
    /// measured request failed, else 0.
    pub fn conclude(&self) -> anyhow::Result<ExitCode> {
        let (dir, summary) = (&self.dir, &self.summary);
        if self.interrupted {
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

/// Writes the report to stdout.
pub fn print_report(report: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(report.as_bytes()).and_then(|()| out.flush()) {
        // `headroom run | head` closing the pipe early is not a failure of the run.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write the report to stdout")
        }
        _ => Ok(()),
    }
}

/// Runs `job` with `runner`: creates the results directory, journals every request as
/// it ends, then writes the summary and the final manifest.
pub async fn measure<R: Runner>(runner: &R, job: Job<'_>) -> anyhow::Result<Measured> {
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
    tracing::info!(
        "{} against {}, model {model}; results in {}",
        common.plan.load.label(),
        job.target_label,
        dir.display()
    );
    let progress = Progress::new(
        job.progress && common.progress,
        common.expected_total(),
        common.plan.stop.duration,
    );
    let mut sink = ResultsSink::create(&dir, manifest, progress)?;
    let grace = common.plan.grace;
    let shutdown = async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::warn!(
                "interrupted: no new requests; in-flight requests get {} to finish",
                headroom_core::duration::format(grace)
            );
        } else {
            std::future::pending::<()>().await;
        }
    };
    let result = runner.run(&common.plan, &mut sink, shutdown).await;
    let ended = rfc3339(SystemTime::now());
    let info = match result {
        Ok(info) => info,
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
    if info.interrupted {
        manifest.status_message = Some("interrupted by Ctrl-C: results are partial".into());
    }
    let summary_path = dir.join(SUMMARY);
    write_json_atomic(&summary_path, &summary)
        .with_context(|| format!("cannot write {}", summary_path.display()))?;
    write_json_atomic(&dir.join(MANIFEST), &manifest)
        .with_context(|| format!("cannot write the manifest in {}", dir.display()))?;

    Ok(Measured {
        dir,
        summary,
        manifest,
        interrupted: info.interrupted,
        load: common.plan.load.label(),
    })
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
