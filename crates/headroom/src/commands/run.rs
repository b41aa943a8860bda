//! `headroom run`: measure one load level.

use crate::cli::{Format, RunArgs};
use crate::results::{Progress, ResultsSink, create_dir, redacted_argv, run_id, unix_us_now};
use anyhow::{Context as _, bail};
use headroom_client::{ClientConfig, OpenAiBackend, ServerInfo, preflight};
use headroom_core::results::{
    FORMAT_VERSION, HostInfo, Manifest, ProcessStats, RunStatus, SUMMARY, TargetInfo, ToolInfo,
    rfc3339, write_json_atomic,
};
use headroom_core::{
    LoadPolicy, RunError, RunPlan, Runner, Scenario, StopRule, Target, TokenCounter, WorkloadSpec,
};
use headroom_load::Driver;
use headroom_report::Header;
use headroom_workload::{SyntheticSource, WordCounter};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

/// Validated settings of one run.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// `None`: start the embedded simulator.
    pub url: Option<String>,
    pub client: ClientConfig,
    pub model: Option<String>,
    pub workload: WorkloadSpec,
    pub plan: RunPlan,
    pub out: Option<PathBuf>,
    pub labels: BTreeMap<String, String>,
    pub format: Format,
    pub progress: bool,
    pub threads: Option<usize>,
}

impl RunSettings {
    /// Checks and resolves the raw arguments.
    pub fn resolve(a: RunArgs, quiet: bool) -> anyhow::Result<Self> {
        let t = a.target;
        let l = a.load;
        let api_key = t
            .api_key
            .or_else(|| std::env::var("OPENAI_API_KEY").ok())
            .filter(|k| !k.is_empty());
        let headers = t
            .headers
            .iter()
            .map(|h| pair(h, ':', "--header", "NAME:VALUE, e.g. 'X-Team: infra'"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let extra_body = match &t.extra_body {
            None => None,
            Some(s) => match serde_json::from_str::<serde_json::Value>(s) {
                Ok(serde_json::Value::Object(m)) => Some(m),
                Ok(_) => {
                    bail!("--extra-body must be a JSON object, e.g. '{{\"ignore_eos\": true}}'")
                }
                Err(e) => bail!(
                    "--extra-body is not valid JSON ({e}); expected an object, e.g. '{{\"ignore_eos\": true}}'"
                ),
            },
        };
        let labels = a
            .output
            .labels
            .iter()
            .map(|kv| pair(kv, '=', "--label", "KEY=VALUE, e.g. gpu=L20"))
            .collect::<anyhow::Result<BTreeMap<_, _>>>()?;
        let load = match (l.concurrency, l.rate) {
            (_, Some(rate)) => {
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
                requests: Some(match load {
                    LoadPolicy::Closed { concurrency } => (10 * concurrency as u64).max(100),
                    LoadPolicy::Open { rate, .. } => ((rate * 30.0).ceil() as u64).max(100),
                }),
                duration: None,
            },
            (requests, duration) => StopRule { requests, duration },
        };
        let mut client = ClientConfig::new(t.url.clone().unwrap_or_default());
        client.api = t.api;
        client.stream = !t.no_stream;
        client.api_key = api_key;
        client.headers = headers;
        client.extra_body = extra_body;
        client.timeout = t.timeout;
        client.stall_timeout = t.stall_timeout;
        if let Some(u) = &t.url {
            headroom_client::Endpoints::resolve(u, t.api)?;
        }
        Ok(RunSettings {
            url: t.url,
            client,
            model: t.model,
            workload: WorkloadSpec {
                input_tokens: a.workload.input_tokens,
                output_tokens: a.workload.output_tokens,
                tokenizer: WordCounter::NAME.into(),
            },
            plan: RunPlan {
                load,
                stop,
                warmup: l.warmup,
                seed: l.seed,
                grace: l.grace,
            },
            out: a.output.out,
            labels,
            format: a.output.format,
            progress: !a.output.no_progress && !quiet && std::io::stderr().is_terminal(),
            threads: l.threads,
        })
    }

    fn expected_total(&self) -> Option<u64> {
        let warm = match self.plan.warmup {
            headroom_core::Warmup::Requests(n) => n,
            headroom_core::Warmup::None => 0,
            headroom_core::Warmup::Duration(_) => return None,
        };
        match (self.plan.stop.requests, self.plan.stop.duration) {
            (Some(n), None) => Some(n + warm),
            _ => None,
        }
    }
}

/// `KEY<sep>VALUE` with a non-empty key, both trimmed.
fn pair(s: &str, sep: char, flag: &str, expected: &str) -> anyhow::Result<(String, String)> {
    s.split_once(sep)
        .filter(|(k, _)| !k.trim().is_empty())
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .with_context(|| format!("invalid {flag} {s:?}: expected {expected}"))
}

pub fn execute(args: RunArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let settings = RunSettings::resolve(args, quiet)?;
    let rt = super::runtime(settings.threads)?;
    rt.block_on(run(settings))
}

/// A simulator started inside this process for a run without `--url`.
struct Embedded {
    url: String,
    description: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Embedded {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn start_embedded() -> anyhow::Result<Embedded> {
    let sim = headroom_sim::Sim::new(headroom_sim::SimConfig::default())
        .map_err(|e| anyhow::anyhow!(e))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot start the embedded simulator on 127.0.0.1")?;
    let url = format!("http://{}", listener.local_addr()?);
    let description = sim.describe();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(sim.serve(listener, async move {
        let _ = rx.await;
    }));
    Ok(Embedded {
        url,
        description,
        stop: Some(tx),
    })
}

async fn run(s: RunSettings) -> anyhow::Result<ExitCode> {
    let embedded = match &s.url {
        Some(_) => None,
        None => {
            let e = start_embedded().await?;
            tracing::info!(
                "no --url given: started the embedded simulator at {} ({}); pass --url to measure a real server",
                e.url,
                e.description
            );
            Some(e)
        }
    };
    let mut client = s.client.clone();
    if let Some(e) = &embedded {
        client.url = e.url.clone();
    }
    let server: ServerInfo = preflight(&client).await.map_err(anyhow::Error::new)?;
    let listed: Vec<String> = server.models.iter().map(|m| m.id.clone()).collect();
    let model = match &s.model {
        Some(m) => {
            if !listed.contains(m) {
                tracing::warn!(
                    "model {m:?} is not among the models the server lists ({}); sending it anyway",
                    listed.join(", ")
                );
            }
            m.clone()
        }
        None => listed[0].clone(),
    };
    let max_model_len = server
        .models
        .iter()
        .find(|m| m.id == model)
        .and_then(|m| m.max_model_len);
    let counter: Arc<dyn TokenCounter> = Arc::new(WordCounter);
    let backend = OpenAiBackend::new(client.clone(), model.clone(), counter)?;
    let scenario = Scenario {
        target: Target {
            url: client.url.clone(),
            endpoint: backend.endpoint().to_string(),
            api: client.api,
            model: model.clone(),
            stream: client.stream,
            header_names: client.headers.iter().map(|(k, _)| k.clone()).collect(),
            api_key: client.api_key.is_some(),
            extra_body: client.extra_body.clone(),
            timeout: client.timeout,
            stall_timeout: client.stall_timeout,
        },
        workload: s.workload.clone(),
        plan: s.plan.clone(),
    };
    let now = SystemTime::now();
    let id = run_id(now);
    let dir = create_dir(s.out.as_deref(), &id)?;
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
        scenario,
        labels: s.labels.clone(),
        target: TargetInfo {
            models: listed,
            max_model_len,
            server_version: server.version.clone(),
            embedded_simulator: embedded.is_some(),
            simulator: embedded.as_ref().map(|e| e.description.clone()),
        },
        host: HostInfo::current(),
        epoch_unix_us: unix_us_now(),
        started_at: rfc3339(now),
        ended_at: None,
        status: RunStatus::Running,
        status_message: None,
        generator: None,
    };
    tracing::info!(
        "{} against {} ({}), model {model}; results in {}",
        s.plan.load.label(),
        backend.endpoint(),
        if client.stream {
            "streaming"
        } else {
            "not streaming"
        },
        dir.display()
    );
    let progress = Progress::new(s.progress, s.expected_total(), s.plan.stop.duration);
    let mut sink = ResultsSink::create(&dir, manifest, progress)?;
    let source = SyntheticSource::new(
        s.workload.input_tokens,
        s.workload.output_tokens,
        s.plan.seed,
    );
    let driver = Driver::new(Arc::new(backend), Arc::new(source));
    let grace = s.plan.grace;
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
    let result = driver.run(&s.plan, &mut sink, shutdown).await;
    drop(embedded);
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
                dir.join(headroom_core::results::JOURNAL).display()
            );
        }
        Err(e @ RunError::Plan(_)) => return Err(e.into()),
    };
    let (summary, mut manifest) = sink.finish(info.epoch_unix_us);
    manifest.ended_at = Some(ended);
    manifest.generator = ProcessStats::current();
    warn_if_generator_saturated(manifest.generator.as_ref(), info.elapsed_us, s.threads);
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
    write_json_atomic(&dir.join(headroom_core::results::MANIFEST), &manifest)
        .with_context(|| format!("cannot write the manifest in {}", dir.display()))?;

    let header = Header {
        load: s.plan.load.label(),
        model,
        target: if manifest.target.embedded_simulator {
            "embedded simulator".into()
        } else {
            manifest.scenario.target.url.clone()
        },
        partial: info
            .interrupted
            .then(|| "interrupted by Ctrl-C".to_string()),
    };
    let report = match s.format {
        Format::Table => headroom_report::table(&summary, &header),
        Format::Json => headroom_report::json(&summary) + "\n",
        Format::Csv => headroom_report::csv(&summary),
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(report.as_bytes()).and_then(|()| out.flush()) {
        // `headroom run | head` closing the pipe early is not a failure of the run.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(e).context("cannot write the report to stdout");
        }
        _ => {}
    }
    if info.interrupted {
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
            dir.join(headroom_core::results::JOURNAL).display()
        );
    }
    Ok(ExitCode::SUCCESS)
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
