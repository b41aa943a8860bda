//! `headroom run`: measure one load level against a server or the embedded simulator.

use super::pipeline::{Common, Job, pair};
use crate::cli::{RunArgs, TargetArgs};
use anyhow::bail;
use headroom_client::{ClientConfig, OpenAiBackend, ServerInfo, preflight};
use headroom_core::{Scenario, Target, TokenCounter};
use headroom_load::Driver;
use headroom_results::TargetInfo;
use std::process::ExitCode;
use std::sync::Arc;

/// Validated settings of one run.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// `None`: start the embedded simulator.
    pub url: Option<String>,
    pub client: ClientConfig,
    pub model: Option<String>,
    pub common: Common,
}

impl RunSettings {
    /// Checks and resolves the raw arguments.
    pub fn resolve(a: RunArgs, quiet: bool) -> anyhow::Result<Self> {
        let ignore_eos = a.target.ignore_eos;
        let common = Common::resolve(a.workload, a.load, a.output, quiet, ignore_eos)?;
        Self::with_target(a.target, common)
    }

    /// The target's settings, with `common` settings resolved already.
    pub fn with_target(t: TargetArgs, common: Common) -> anyhow::Result<Self> {
        let api_key = t
            .api_key
            .or_else(|| std::env::var("OPENAI_API_KEY").ok())
            .filter(|k| !k.is_empty());
        let headers = headers(&t.headers)?;
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
        let mut client = ClientConfig::new(t.url.clone().unwrap_or_default());
        client.api = t.api;
        client.stream = !t.no_stream;
        client.api_key = api_key;
        client.headers = headers;
        client.extra_body = extra_body;
        client.timeout = t.timeout;
        client.stall_timeout = t.stall_timeout;
        client.ignore_eos = t.ignore_eos;
        if let Some(u) = &t.url {
            headroom_client::Endpoints::resolve(u, t.api)?;
        }
        Ok(RunSettings {
            url: t.url,
            client,
            model: t.model,
            common,
        })
    }
}

/// `NAME:VALUE` header flags as pairs.
pub fn headers(raw: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    raw.iter()
        .map(|h| pair(h, ':', "--header", "NAME:VALUE, e.g. 'X-Team: infra'"))
        .collect()
}

pub fn execute(args: RunArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let settings = RunSettings::resolve(args, quiet)?;
    let rt = super::runtime(settings.common.threads)?;
    rt.block_on(run(settings))
}

/// A simulator started inside this process for a run without `--url`.
struct Embedded {
    url: String,
    description: String,
    spec: serde_json::Value,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Embedded {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// The embedded default target: the engine model of an A10 serving Qwen3-8B-AWQ (seed
/// 000's baseline), on a free loopback port.
async fn start_embedded(
    seed: u64,
    tokenizer: Arc<headroom_workload::Tokenizer>,
) -> anyhow::Result<Embedded> {
    let args = crate::cli::EngineArgs::default();
    let spec = super::engine::spec(&args, seed)?;
    let spec_json = serde_json::to_value(&spec)?;
    let mut config = headroom_sim::SimConfig::engine(spec);
    // The simulated server tokenizes with the run's tokenizer, so lengths agree exactly.
    config.tokenizer = tokenizer;
    let sim = headroom_sim::Sim::new(config).map_err(|e| anyhow::anyhow!(e))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| anyhow::anyhow!("cannot start the embedded simulator on 127.0.0.1: {e}"))?;
    let url = format!("http://{}", listener.local_addr()?);
    let description = sim.describe();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(sim.serve(listener, async move {
        let _ = rx.await;
    }));
    Ok(Embedded {
        url,
        description,
        spec: spec_json,
        stop: Some(tx),
    })
}

/// A server ready to measure: the embedded simulator (if started), the client, and how
/// the results describe the target.
pub struct Connected {
    /// Keeps the embedded simulator running while this lives.
    _embedded: Option<Embedded>,
    pub backend: Arc<OpenAiBackend>,
    /// The scenario's target (URL, endpoint, model, …).
    pub target: Target,
    pub info: TargetInfo,
    /// How logs name the target.
    pub label: String,
}

impl std::fmt::Debug for Connected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connected")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// Starts the embedded simulator when there is no `--url`, checks the server and picks the
/// model.
pub async fn connect(s: &RunSettings) -> anyhow::Result<Connected> {
    let embedded = match &s.url {
        Some(_) => None,
        None => {
            let e = start_embedded(s.common.plan.seed, s.common.built.tokenizer.clone()).await?;
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
    let counter: Arc<dyn TokenCounter> = s.common.built.tokenizer.clone();
    let backend = OpenAiBackend::new(client.clone(), model.clone(), counter)?;
    let endpoint = backend.endpoint().to_string();
    let target = Target {
        url: client.url.clone(),
        endpoint: endpoint.clone(),
        api: client.api,
        model,
        stream: client.stream,
        header_names: client.headers.iter().map(|(k, _)| k.clone()).collect(),
        api_key: client.api_key.is_some(),
        extra_body: client.extra_body.clone(),
        timeout: client.timeout,
        stall_timeout: client.stall_timeout,
    };
    let info = TargetInfo {
        models: listed,
        max_model_len,
        server_version: server.version.clone(),
        embedded_simulator: embedded.is_some(),
        simulator: embedded.as_ref().map(|e| e.description.clone()),
        virtual_time: false,
        simulator_spec: embedded.as_ref().map(|e| e.spec.clone()),
    };
    let label = format!(
        "{endpoint} ({})",
        if client.stream {
            "streaming"
        } else {
            "not streaming"
        }
    );
    Ok(Connected {
        _embedded: embedded,
        backend: Arc::new(backend),
        target,
        info,
        label,
    })
}

impl Connected {
    /// A run of `common`'s plan and workload against this server.
    pub fn job<'a>(&self, common: &'a Common) -> Job<'a> {
        Job {
            common,
            scenario: Scenario {
                target: self.target.clone(),
                workload: common.built.spec.clone(),
                plan: common.plan.clone(),
            },
            target: self.info.clone(),
            target_label: self.label.clone(),
            progress: true,
            announce: true,
        }
    }

    /// The load driver sending `common`'s workload to this server.
    pub fn driver(&self, common: &Common) -> Driver<OpenAiBackend, headroom_workload::AnySource> {
        Driver::new(self.backend.clone(), Arc::new(common.built.source.clone()))
    }
}

async fn run(s: RunSettings) -> anyhow::Result<ExitCode> {
    let c = connect(&s).await?;
    super::pipeline::execute(&c.driver(&s.common), c.job(&s.common)).await
}
