//! The HTTP front: a [`Sim`] serves OpenAI-compatible routes and `/metrics`, pacing its
//! responses by a fixed schedule or by the engine model in real time.
//!
//! Three parts: the settings, the shared state and the router (this file); the routes,
//! which read a request, refuse it as a real server would or inject its fault
//! (`routes.rs`); and the response generator, which paces chunks and writes the SSE
//! stream or the whole body (`stream.rs`).

mod routes;
mod stream;

use crate::driver::EngineHandle;
use crate::engine::Engine;
use crate::faults::{FaultError, FaultKind, Faults};
use crate::perf::{CostModel, SimSpec, SpecError};
use crate::prom::ServerMetrics;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use headroom_workload::Tokenizer;
use routes::{chat, completions, error_response, health, metrics, models, version};
use std::fmt::Write as _;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;

/// When tokens come out in fixed-timing mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedTiming {
    /// Request arrival → first content chunk.
    pub ttft: Duration,
    /// Time per generated token after the first.
    pub itl: Duration,
    /// Tokens carried by each content chunk.
    pub tokens_per_chunk: u32,
}

impl Default for FixedTiming {
    fn default() -> Self {
        FixedTiming {
            ttft: Duration::from_millis(50),
            itl: Duration::from_millis(10),
            tokens_per_chunk: 1,
        }
    }
}

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The model id served.
    pub model: String,
    /// Token schedule in fixed mode.
    pub timing: FixedTiming,
    /// The engine model; when set, it paces tokens instead of the fixed schedule.
    pub engine: Option<SimSpec>,
    /// Send a role-only chunk first (chat), as vLLM does.
    pub role_chunk: bool,
    /// Send an empty-content chunk after the role chunk.
    pub empty_chunk: bool,
    /// Honour `stream_options.include_usage` (off simulates servers that send no usage).
    pub usage: bool,
    /// `max_tokens` when a request gives none.
    pub default_max_tokens: u32,
    /// Context length reported by `/v1/models` (engine mode: the engine's max_model_len).
    pub max_model_len: u64,
    /// Faults to inject.
    pub faults: Faults,
    /// How long `slow-first-byte` delays the response head.
    pub fault_delay: Duration,
    /// Time "loading the model": `/health` and every API answer 503 until it has passed.
    pub startup_delay: Duration,
    /// How prompts are counted (and, in engine mode, hashed for the prefix cache), as a
    /// real server tokenizes them. Match the client's `--tokenizer` for exact lengths.
    pub tokenizer: Arc<Tokenizer>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            model: "headroom-sim".into(),
            timing: FixedTiming::default(),
            engine: None,
            role_chunk: true,
            empty_chunk: false,
            usage: true,
            default_max_tokens: 256,
            max_model_len: 32_768,
            faults: Faults::default(),
            fault_delay: Duration::from_secs(2),
            startup_delay: Duration::ZERO,
            tokenizer: Arc::new(Tokenizer::default_builtin()),
        }
    }
}

impl SimConfig {
    /// The engine-model simulator of `spec`, serving the model under its Hugging Face id.
    pub fn engine(spec: SimSpec) -> SimConfig {
        SimConfig {
            model: spec.model.hf_id.clone(),
            max_model_len: spec.settings.max_model_len,
            engine: Some(spec),
            ..SimConfig::default()
        }
    }
}

/// Why a simulator cannot be built from its settings ([`Sim::new`]).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The faults cannot be injected as given.
    #[error(transparent)]
    Faults(#[from] FaultError),
    /// Fixed timing with chunks of no token.
    #[error("tokens per chunk must be at least 1")]
    NoTokensPerChunk,
    /// The engine model cannot run this GPU, model and settings.
    #[error(transparent)]
    Spec(#[from] SpecError),
}

/// Counters of what the simulator did.
#[derive(Debug, Default)]
pub struct SimStats {
    /// Completion requests received.
    pub requests: AtomicU64,
    /// Responses that ran to their normal end.
    pub completed: AtomicU64,
    /// Content tokens sent.
    pub tokens: AtomicU64,
    faults: [AtomicU64; 8],
}

impl SimStats {
    /// Faults of `kind` injected so far.
    pub fn faults(&self, kind: FaultKind) -> u64 {
        self.faults[kind.idx()].load(Ordering::SeqCst)
    }
}

struct Inner {
    config: SimConfig,
    stats: SimStats,
    metrics: Arc<ServerMetrics>,
    model_json: String,
    ready_at: std::time::Instant,
    /// Engine mode: the engine until the first request starts its task, then the handle.
    engine: Mutex<Option<Engine>>,
    handle: OnceLock<EngineHandle>,
    block_size: u32,
}

/// A simulated server. Cheap to clone; clones share state and counters.
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// A simulator with `config`; in engine mode the spec is checked here (does the model
    /// fit, are the settings valid).
    pub fn new(config: SimConfig) -> Result<Sim, SimError> {
        config.faults.validate()?;
        if config.timing.tokens_per_chunk == 0 {
            return Err(SimError::NoTokensPerChunk);
        }
        let (engine, block_size) = match &config.engine {
            Some(spec) => {
                let cost = CostModel::new(spec)?;
                (
                    Some(Engine::new(cost, spec.settings.clone(), spec.seed)),
                    spec.settings.block_size,
                )
            }
            None => (None, 16),
        };
        // The model id as a JSON string, quoted and escaped (a string always serializes).
        let model_json = serde_json::Value::String(config.model.clone()).to_string();
        Ok(Sim {
            inner: Arc::new(Inner {
                ready_at: std::time::Instant::now() + config.startup_delay,
                config,
                stats: SimStats::default(),
                metrics: Arc::new(ServerMetrics::default()),
                model_json,
                engine: Mutex::new(engine),
                handle: OnceLock::new(),
                block_size,
            }),
        })
    }

    /// Counters.
    pub fn stats(&self) -> &SimStats {
        &self.inner.stats
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// A one-line description for logs and manifests.
    pub fn describe(&self) -> String {
        let c = &self.inner.config;
        let mut s = match &c.engine {
            Some(spec) => spec.describe(),
            None => format!(
                "fixed timing: ttft {:?}, itl {:?}, {} token(s) per chunk, model {}",
                c.timing.ttft, c.timing.itl, c.timing.tokens_per_chunk, c.model
            ),
        };
        for f in &c.faults.specs {
            let _ = write!(s, ", fault {}={}", f.kind, f.rate);
        }
        if !c.startup_delay.is_zero() {
            let _ = write!(s, ", startup delay {:?}", c.startup_delay);
        }
        s
    }

    /// The HTTP routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/health", get(health))
            .route("/metrics", get(metrics))
            .route("/v1/models", get(models))
            .route("/version", get(version))
            .route("/v1/chat/completions", post(chat))
            .route("/v1/completions", post(completions))
            .with_state(self.clone())
    }

    /// Serves on `listener` until `shutdown` completes (then lets open responses finish).
    pub async fn serve<F>(self, listener: TcpListener, shutdown: F) -> std::io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        serve_router(listener, self.router(), shutdown).await
    }

    fn loading(&self) -> Option<Response> {
        (std::time::Instant::now() < self.inner.ready_at).then(|| {
            error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableError",
                "the model is loading",
            )
        })
    }

    /// The engine task's handle, started on first use (on the caller's runtime).
    fn engine(&self) -> Option<&EngineHandle> {
        self.inner.config.engine.as_ref()?;
        Some(self.inner.handle.get_or_init(|| {
            let engine = self
                .inner
                .engine
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            match engine {
                Some(e) => EngineHandle::spawn(e, self.inner.metrics.clone()),
                // Only reachable if a previous start panicked; never in practice.
                None => unreachable!("the engine is taken once"),
            }
        }))
    }
}

/// Serves `router` with TCP_NODELAY on every connection until `shutdown` completes.
pub async fn serve_router<F>(
    listener: TcpListener,
    router: Router,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    use axum::serve::ListenerExt;
    // Without TCP_NODELAY, Nagle and delayed ACKs add tens of ms to small chunks.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
