//! Where a job runs: a server over HTTP (without a URL, the embedded simulator, started
//! here on a free loopback port), or the simulated engine in virtual time. Either way a
//! job sees one [`Place`], and gets a [`core::Runner`](headroom_core::Runner) from it.

use crate::error::JobError;
use crate::gpu::GpuProbe;
use crate::host::HostProbe;
use crate::settings::{SettingsError, TargetOptions};
use crate::workload::Workload;
use headroom_client::{OpenAiBackend, ServerInfo, preflight};
use headroom_core::{
    ApiFlavor, RecordSink, RunError, RunInfo, RunPlan, Runner, Target, TokenCounter,
};
use headroom_load::Driver;
use headroom_results::TargetInfo;
use headroom_sim::perf::SimSpec;
use headroom_sim::runner::VirtualRunner;
use headroom_sim::{EngineOptions, LocalSim, Sim, SimConfig};
use headroom_workload::AnySource;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Where a job runs.
pub struct Place {
    kind: Kind,
    /// The scenario's target (URL, endpoint, model, …), recorded in every manifest.
    pub target: Target,
    /// What the server said about itself.
    pub info: TargetInfo,
    /// How logs name the target.
    pub label: String,
    /// Where the server's Prometheus metrics are scraped beside each run (`None`: not).
    pub metrics_url: Option<String>,
    /// How often (the GPUs too).
    pub scrape_interval: Duration,
    /// Where the GPUs are read beside each run (`None`: not).
    pub(crate) gpu: Option<Arc<GpuProbe>>,
    /// The host (and the server's processes) read beside each run (`None`: not).
    pub(crate) host: Option<HostProbe>,
}

enum Kind {
    /// A server over HTTP, real time.
    Server {
        /// The embedded simulator, when started for this place: it serves while this
        /// lives.
        _embedded: Option<LocalSim>,
        backend: Arc<OpenAiBackend>,
    },
    /// The simulated engine in virtual time: every run is computed, not waited for.
    Virtual { spec: Box<SimSpec> },
}

impl std::fmt::Debug for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Place")
            .field("target", &self.target)
            .field("virtual_time", &self.is_virtual())
            .finish_non_exhaustive()
    }
}

impl Place {
    /// The server `target` names, checked with a first request to `/v1/models`; without
    /// a URL, the embedded simulator (an A10 serving Qwen3-8B-AWQ as vLLM V1 would)
    /// started on a free loopback port, counting tokens with `workload`'s tokenizer so
    /// lengths agree exactly. `seed` seeds the simulator's step-time jitter.
    pub async fn connect(
        target: &TargetOptions,
        workload: &Workload,
        seed: u64,
    ) -> Result<Place, JobError> {
        let mut client = target.client()?;
        let embedded = match &target.url {
            Some(_) => None,
            None => Some(start_embedded(workload, seed).await?),
        };
        if let Some(e) = &embedded {
            client.url = e.url.clone();
            tracing::info!(
                "no --url given: started the embedded simulator at {} ({}); pass --url to measure a real server",
                e.url,
                e.sim.describe()
            );
        }
        let server: ServerInfo = preflight(&client).await?;
        let listed: Vec<String> = server.models.iter().map(|m| m.id.clone()).collect();
        let model = match &target.model {
            Some(m) => {
                if !listed.contains(m) {
                    tracing::warn!(
                        "model {m:?} is not among the models the server lists ({}); sending it anyway",
                        listed.join(", ")
                    );
                }
                m.clone()
            }
            None => listed.first().cloned().unwrap_or_default(),
        };
        let max_model_len = server
            .models
            .iter()
            .find(|m| m.id == model)
            .and_then(|m| m.max_model_len);
        let counter: Arc<dyn TokenCounter> = workload.tokenizer.clone();
        let backend = OpenAiBackend::new(client.clone(), model.clone(), counter)
            .map_err(|e| SettingsError::from_error(&e))?;
        let endpoint = backend.endpoint().to_string();
        let simulator = embedded.as_ref().map(|e| e.sim.describe());
        let spec = embedded
            .as_ref()
            .and_then(|e| e.sim.config().engine.as_ref())
            .and_then(|s| serde_json::to_value(s).ok());
        Ok(Place {
            target: Target {
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
            },
            info: TargetInfo {
                models: listed,
                max_model_len,
                server_version: server.version.clone(),
                embedded_simulator: embedded.is_some(),
                simulator,
                virtual_time: false,
                simulator_spec: spec,
            },
            label: format!(
                "{endpoint} ({})",
                if client.stream {
                    "streaming"
                } else {
                    "not streaming"
                }
            ),
            kind: Kind::Server {
                _embedded: embedded,
                backend: Arc::new(backend),
            },
            metrics_url: target.metrics.resolve(&client.url),
            scrape_interval: target.scrape_interval,
            gpu: GpuProbe::resolve(&target.gpu)?.map(Arc::new),
            host: HostProbe::resolve(target.server_pid)?,
        })
    }

    /// The simulated engine `engine` describes, in virtual time; `seed` seeds its
    /// step-time jitter (levels of a plan derive their own).
    pub fn virtual_time(engine: &EngineOptions, seed: u64) -> Result<Place, SettingsError> {
        let spec = engine.spec(seed)?;
        let model = spec.model.hf_id.clone();
        let description = spec.describe();
        Ok(Place {
            target: Target {
                url: "virtual".into(),
                endpoint: "virtual".into(),
                api: ApiFlavor::Chat,
                model: model.clone(),
                stream: true,
                header_names: Vec::new(),
                api_key: false,
                extra_body: None,
                timeout: Duration::ZERO,
                stall_timeout: Duration::ZERO,
            },
            info: TargetInfo {
                models: vec![model],
                max_model_len: Some(spec.settings.max_model_len),
                server_version: None,
                embedded_simulator: true,
                simulator: Some(description.clone()),
                virtual_time: true,
                simulator_spec: serde_json::to_value(&spec).ok(),
            },
            label: format!("the {description}, in virtual time"),
            kind: Kind::Virtual {
                spec: Box::new(spec),
            },
            metrics_url: None,
            scrape_interval: Duration::ZERO,
            gpu: None,
            host: None,
        })
    }

    /// `true` for the simulated engine in virtual time.
    pub fn is_virtual(&self) -> bool {
        matches!(self.kind, Kind::Virtual { .. })
    }

    /// The model requested.
    pub fn model(&self) -> &str {
        &self.target.model
    }

    /// How reports name the target: its URL, `embedded simulator`, or the simulated
    /// engine `predicted in virtual time`.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Virtual { .. } => format!(
                "{}, predicted in virtual time",
                self.info.simulator.clone().unwrap_or_default()
            ),
            Kind::Server { .. } if self.info.embedded_simulator => "embedded simulator".into(),
            Kind::Server { .. } => self.target.url.clone(),
        }
    }

    /// A runner sending `source`'s requests here; in virtual time `seed` seeds the
    /// engine's step-time jitter.
    pub(crate) fn runner(&self, source: AnySource, seed: u64) -> PlaceRunner {
        match &self.kind {
            Kind::Server { backend, .. } => {
                PlaceRunner::Driver(Driver::new(backend.clone(), Arc::new(source)))
            }
            Kind::Virtual { spec } => {
                let mut spec = (**spec).clone();
                spec.seed = seed;
                PlaceRunner::Virtual(Box::new(VirtualRunner::new(spec, Arc::new(source))))
            }
        }
    }
}

/// Starts the embedded default target: the engine model of an A10 serving Qwen3-8B-AWQ
/// on a free loopback port, tokenizing with the run's tokenizer.
async fn start_embedded(workload: &Workload, seed: u64) -> Result<LocalSim, JobError> {
    let spec = EngineOptions::default()
        .spec(seed)
        .map_err(SettingsError::from)?;
    let mut config = SimConfig::engine(spec);
    config.tokenizer = workload.tokenizer.clone();
    let sim = Sim::new(config).map_err(|e| JobError::Embedded(e.to_string()))?;
    sim.spawn_local("")
        .await
        .map_err(|e| JobError::Embedded(e.to_string()))
}

/// The runner of a [`Place`]: the load driver over HTTP, or the engine in virtual time.
pub(crate) enum PlaceRunner {
    Driver(Driver<OpenAiBackend, AnySource>),
    Virtual(Box<VirtualRunner<AnySource>>),
}

impl Runner for PlaceRunner {
    // The trait's signature (a `Send` future tied to `'a`) is spelled out, as in the
    // runners this delegates to.
    #[allow(clippy::manual_async_fn)]
    fn run<'a, S>(
        &'a self,
        plan: &'a RunPlan,
        sink: &'a mut (dyn RecordSink + 'a),
        shutdown: S,
    ) -> impl Future<Output = Result<RunInfo, RunError>> + Send + 'a
    where
        S: Future<Output = ()> + Send + 'a,
    {
        async move {
            match self {
                PlaceRunner::Driver(d) => d.run(plan, sink, shutdown).await,
                PlaceRunner::Virtual(v) => v.run(plan, sink, shutdown).await,
            }
        }
    }
}
