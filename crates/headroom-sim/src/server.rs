//! The HTTP front: OpenAI-compatible routes, `/metrics`, and the response generator,
//! paced either by a fixed schedule or by the engine model in real time.

use crate::driver::{EngineHandle, Ticket};
use crate::engine::{Engine, NewRequest, block_hashes};
use crate::faults::{FaultKind, Faults};
use crate::perf::{CostModel, SimSpec};
use crate::prom::ServerMetrics;
use crate::text::token;
use crate::wire::{ChatRequest, CompletionRequest, value_texts};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use headroom_workload::Tokenizer;
use std::fmt::Write as _;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::Instant;

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
    pub fn new(config: SimConfig) -> Result<Sim, String> {
        config.faults.validate()?;
        if config.timing.tokens_per_chunk == 0 {
            return Err("tokens per chunk must be at least 1".into());
        }
        let (engine, block_size) = match &config.engine {
            Some(spec) => {
                let cost = CostModel::new(spec).map_err(|e| e.to_string())?;
                (
                    Some(Engine::new(cost, spec.settings.clone(), spec.seed)),
                    spec.settings.block_size,
                )
            }
            None => (None, 16),
        };
        let model_json = serde_json::to_string(&config.model).map_err(|e| e.to_string())?;
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

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn health(State(sim): State<Sim>) -> Response {
    sim.loading()
        .unwrap_or_else(|| StatusCode::OK.into_response())
}

async fn metrics(State(sim): State<Sim>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        sim.inner.metrics.render(&sim.inner.config.model),
    )
        .into_response()
}

async fn models(State(sim): State<Sim>) -> Response {
    if let Some(r) = sim.loading() {
        return r;
    }
    let c = &sim.inner.config;
    json_response(
        StatusCode::OK,
        format!(
            r#"{{"object":"list","data":[{{"id":{},"object":"model","created":{},"owned_by":"headroom-sim","max_model_len":{}}}]}}"#,
            sim.inner.model_json,
            unix_now(),
            c.max_model_len
        ),
    )
}

async fn version() -> Response {
    json_response(
        StatusCode::OK,
        format!(
            r#"{{"version":"headroom-sim {}"}}"#,
            env!("CARGO_PKG_VERSION")
        ),
    )
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error_response(status: StatusCode, kind: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "error": {"message": message, "type": kind, "code": status.as_u16()}
    });
    json_response(status, body.to_string())
}

/// The request body, or the 400 an OpenAI-compatible server would answer.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(error_response(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            &format!("invalid request: {e}"),
        ))
    })
}

/// What a completion request asks for, whatever its API.
struct Ask<'a> {
    chat: bool,
    texts: Vec<&'a str>,
    max_tokens: Option<u32>,
    stream: bool,
    include_usage: bool,
}

async fn chat(State(sim): State<Sim>, body: Bytes) -> Response {
    match parse::<ChatRequest>(&body) {
        Ok(req) => {
            let mut texts = Vec::new();
            for m in &req.messages {
                value_texts(&m.content, &mut texts);
            }
            let ask = Ask {
                chat: true,
                texts,
                max_tokens: req.max_completion_tokens.or(req.max_tokens),
                stream: req.stream,
                include_usage: req.stream_options.as_ref().is_some_and(|o| o.include_usage),
            };
            respond(sim, ask).await
        }
        Err(r) => *r,
    }
}

async fn completions(State(sim): State<Sim>, body: Bytes) -> Response {
    match parse::<CompletionRequest>(&body) {
        Ok(req) => {
            let mut texts = Vec::new();
            value_texts(&req.prompt, &mut texts);
            let ask = Ask {
                chat: false,
                texts,
                max_tokens: req.max_tokens,
                stream: req.stream,
                include_usage: req.stream_options.as_ref().is_some_and(|o| o.include_usage),
            };
            respond(sim, ask).await
        }
        Err(r) => *r,
    }
}

async fn respond(sim: Sim, ask: Ask<'_>) -> Response {
    if let Some(r) = sim.loading() {
        return r;
    }
    let t0 = Instant::now();
    let c = &sim.inner.config;
    // Tokenized as a server would (each message on its own; no chat template).
    let tokens: Vec<u64> = ask
        .texts
        .iter()
        .flat_map(|t| c.tokenizer.encode(t))
        .map(|id| id as u64)
        .collect();
    let prompt_tokens = tokens.len() as u32;
    let n = ask.max_tokens.unwrap_or(c.default_max_tokens);
    if n == 0 {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "max_tokens must be at least 1",
        );
    }
    if prompt_tokens as u64 + n as u64 > c.max_model_len {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            &format!(
                "This model's maximum context length is {} tokens. However, you requested {} tokens ({prompt_tokens} in the messages, {n} in the completion).",
                c.max_model_len,
                prompt_tokens as u64 + n as u64
            ),
        );
    }
    let stats = &sim.inner.stats;
    let arrival = stats.requests.fetch_add(1, Ordering::SeqCst);
    let fault = c.faults.pick(arrival);
    if let Some(f) = fault {
        stats.faults[f.idx()].fetch_add(1, Ordering::SeqCst);
    }
    match fault {
        Some(FaultKind::Http429) => {
            let mut r = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                "RateLimitError",
                "simulated rate limit",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return r;
        }
        Some(FaultKind::Http500) => {
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "simulated internal error",
            );
        }
        Some(FaultKind::Http503) => {
            return error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableError",
                "simulated overload",
            );
        }
        Some(FaultKind::SlowFirstByte) => tokio::time::sleep(c.fault_delay).await,
        _ => {}
    }
    let pace = match sim.engine() {
        Some(engine) => {
            let hashes = block_hashes(tokens.iter().copied(), sim.inner.block_size);
            let (ticket, rx) = engine.submit(NewRequest {
                id: 0,
                prompt_tokens,
                block_hashes: hashes,
                max_tokens: n,
            });
            Pace::Engine {
                rx,
                got: 0,
                _ticket: ticket,
            }
        }
        None => {
            sim.inner.metrics.start_request(prompt_tokens);
            Pace::Fixed {
                t0,
                timing: c.timing,
            }
        }
    };
    let k = match pace {
        Pace::Fixed { timing, .. } => timing.tokens_per_chunk,
        Pace::Engine { .. } => 1,
    };
    let g = Gen {
        sim: sim.clone(),
        id: arrival,
        created: unix_now(),
        chat: ask.chat,
        n,
        k,
        prompt_tokens,
        include_usage: ask.include_usage && c.usage,
        fault,
        t0,
        last_emit: None,
        fixed: matches!(pace, Pace::Fixed { .. }),
    };
    if ask.stream {
        let body = Body::from_stream(futures_util::stream::unfold(
            g.start(pace),
            |mut st| async move {
                let frame = st.next_frame().await?;
                Some((frame, st))
            },
        ));
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/event-stream")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(body)
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    } else {
        g.whole(pace).await
    }
}

/// What decides when content chunk `j` is ready.
enum Pace {
    /// Chunk `j` is due at `t0 + ttft + j × k × itl`.
    Fixed { t0: Instant, timing: FixedTiming },
    /// Chunk `j` is ready once the engine produced `j + 1` tokens.
    Engine {
        rx: mpsc::UnboundedReceiver<()>,
        got: u32,
        _ticket: Ticket,
    },
}

impl Pace {
    fn due(t0: Instant, t: FixedTiming, j: u32) -> Instant {
        t0 + t.ttft + t.itl * (j * t.tokens_per_chunk)
    }

    /// Whether chunk `j` can be sent now, without waiting.
    fn ready(&mut self, j: u32) -> bool {
        match self {
            Pace::Fixed { t0, timing } => Self::due(*t0, *timing, j) <= Instant::now(),
            Pace::Engine { rx, got, .. } => {
                while *got <= j {
                    match rx.try_recv() {
                        Ok(()) => *got += 1,
                        Err(_) => return false,
                    }
                }
                true
            }
        }
    }

    /// Waits until chunk `j` is ready; `false` if it never will be (the engine dropped it).
    async fn wait(&mut self, j: u32) -> bool {
        match self {
            Pace::Fixed { t0, timing } => {
                tokio::time::sleep_until(Self::due(*t0, *timing, j)).await;
                true
            }
            Pace::Engine { rx, got, .. } => {
                while *got <= j {
                    match rx.recv().await {
                        Some(()) => *got += 1,
                        None => return false,
                    }
                }
                true
            }
        }
    }
}

/// One response being generated.
struct Gen {
    sim: Sim,
    id: u64,
    created: u64,
    chat: bool,
    /// Output tokens.
    n: u32,
    /// Tokens per content chunk.
    k: u32,
    prompt_tokens: u32,
    include_usage: bool,
    fault: Option<FaultKind>,
    t0: Instant,
    last_emit: Option<Instant>,
    /// Fixed mode keeps the running gauge itself.
    fixed: bool,
}

impl Drop for Gen {
    fn drop(&mut self) {
        if self.fixed {
            self.sim.inner.metrics.end_request();
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Preamble,
    Content(u32),
    Usage,
    Done,
    Over,
}

struct StreamState {
    g: Gen,
    pace: Pace,
    step: Step,
    chunks: u32,
    fault_at: u32,
    buf: Vec<u8>,
}

/// Frames larger than this are cut even when more chunks are already due.
const FRAME: usize = 32 * 1024;

impl Gen {
    fn chunks(&self) -> u32 {
        self.n.div_ceil(self.k)
    }

    fn start(self, pace: Pace) -> StreamState {
        let chunks = self.chunks();
        StreamState {
            chunks,
            fault_at: chunks / 2,
            g: self,
            pace,
            step: Step::Preamble,
            buf: Vec::with_capacity(512),
        }
    }

    /// Generated text of content chunk `j`.
    fn chunk_text(&self, j: u32, out: &mut String) {
        let salt = self.id as u32;
        for i in j * self.k..((j + 1) * self.k).min(self.n) {
            let (sp, w) = token(i, salt);
            out.push_str(sp);
            out.push_str(w);
        }
    }

    /// Records the server-side timing of content chunk `j` leaving now.
    fn observe(&mut self, j: u32, tokens: u32) {
        let now = Instant::now();
        let m = &self.sim.inner.metrics;
        match self.last_emit {
            None => m.observe_ttft((now - self.t0).as_secs_f64()),
            Some(last) => m.observe_itl((now - last).as_secs_f64() / tokens.max(1) as f64),
        }
        self.last_emit = Some(now);
        self.sim
            .inner
            .stats
            .tokens
            .fetch_add(tokens as u64, Ordering::Relaxed);
        if self.fixed {
            m.add_generated(tokens as u64);
        }
        if j + 1 == self.chunks() {
            m.observe_e2e((now - self.t0).as_secs_f64());
        }
    }

    fn write_chunk(&self, buf: &mut Vec<u8>, text: Option<&str>, role: bool, finish: bool) {
        let m = &self.sim.inner.model_json;
        let fr = if finish { r#""length""# } else { "null" };
        let text = text.unwrap_or("");
        let s = if self.chat {
            let delta = if role {
                r#"{"role":"assistant","content":""}"#.to_string()
            } else {
                format!(r#"{{"content":"{text}"}}"#)
            };
            format!(
                r#"data: {{"id":"chatcmpl-sim-{}","object":"chat.completion.chunk","created":{},"model":{m},"choices":[{{"index":0,"delta":{delta},"logprobs":null,"finish_reason":{fr}}}]}}"#,
                self.id, self.created
            )
        } else {
            format!(
                r#"data: {{"id":"cmpl-sim-{}","object":"text_completion","created":{},"model":{m},"choices":[{{"index":0,"text":"{text}","logprobs":null,"finish_reason":{fr}}}]}}"#,
                self.id, self.created
            )
        };
        buf.extend_from_slice(s.as_bytes());
        buf.extend_from_slice(b"\n\n");
    }

    /// A non-streamed response, sent when the whole generation is done.
    async fn whole(mut self, mut pace: Pace) -> Response {
        let last = self.chunks().saturating_sub(1);
        if self.fault == Some(FaultKind::Stall) {
            std::future::pending::<()>().await;
        }
        let complete = pace.wait(last).await;
        if !complete || self.fault == Some(FaultKind::Disconnect) {
            let s = futures_util::stream::iter([Err::<Bytes, _>(std::io::Error::other(
                "simulated disconnect",
            ))]);
            return Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from_stream(s))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
        match self.fault {
            Some(FaultKind::ErrorEvent) => {
                return error_response(
                    StatusCode::OK,
                    "InternalServerError",
                    "simulated engine error",
                );
            }
            Some(FaultKind::Malformed) => {
                return json_response(
                    StatusCode::OK,
                    r#"{"choices":[{"message":{"content":"trunc"#.into(),
                );
            }
            _ => {}
        }
        let mut text = String::new();
        for j in 0..self.chunks() {
            self.chunk_text(j, &mut text);
        }
        self.observe(last, self.n);
        self.sim
            .inner
            .stats
            .completed
            .fetch_add(1, Ordering::SeqCst);
        let usage = serde_json::json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.n,
            "total_tokens": self.prompt_tokens + self.n,
        });
        let m = &self.sim.inner.config.model;
        let body = if self.chat {
            serde_json::json!({
                "id": format!("chatcmpl-sim-{}", self.id), "object": "chat.completion",
                "created": self.created, "model": m,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "length"}],
                "usage": usage,
            })
        } else {
            serde_json::json!({
                "id": format!("cmpl-sim-{}", self.id), "object": "text_completion",
                "created": self.created, "model": m,
                "choices": [{"index": 0, "text": text, "finish_reason": "length"}],
                "usage": usage,
            })
        };
        json_response(StatusCode::OK, body.to_string())
    }
}

impl StreamState {
    fn flush(&self) -> Option<Result<Bytes, std::io::Error>> {
        Some(Ok(Bytes::copy_from_slice(&self.buf)))
    }

    /// The next body frame: every chunk already ready, up to [`FRAME`] bytes.
    async fn next_frame(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        self.buf.clear();
        let mut text = String::new();
        loop {
            match self.step {
                Step::Preamble => {
                    if self.g.chat && self.g.sim.inner.config.role_chunk {
                        self.g.write_chunk(&mut self.buf, None, true, false);
                    }
                    if self.g.sim.inner.config.empty_chunk {
                        self.g.write_chunk(&mut self.buf, Some(""), false, false);
                    }
                    self.step = Step::Content(0);
                    if !self.buf.is_empty() {
                        return self.flush();
                    }
                }
                Step::Content(j) if j >= self.chunks => {
                    self.step = if self.g.include_usage {
                        Step::Usage
                    } else {
                        Step::Done
                    };
                }
                Step::Content(j) => {
                    if !self.pace.ready(j) {
                        if !self.buf.is_empty() {
                            return self.flush();
                        }
                        if !self.pace.wait(j).await {
                            // The engine dropped the request: the stream ends abruptly.
                            self.step = Step::Over;
                            return Some(Err(std::io::Error::other(
                                "the simulated engine dropped the request",
                            )));
                        }
                    }
                    // Faults strike when chunk `fault_at` is ready, after what came before
                    // has been sent.
                    if j == self.fault_at && self.g.fault.is_some() {
                        if !self.buf.is_empty() && self.g.fault != Some(FaultKind::ErrorEvent) {
                            return self.flush();
                        }
                        match self.g.fault {
                            Some(FaultKind::ErrorEvent) => {
                                self.buf.extend_from_slice(
                                    br#"data: {"error":{"message":"simulated engine error","type":"InternalServerError","code":500}}"#,
                                );
                                self.buf.extend_from_slice(b"\n\ndata: [DONE]\n\n");
                                self.step = Step::Over;
                                return self.flush();
                            }
                            Some(FaultKind::Disconnect) => {
                                // Pending once, so hyper flushes what was sent before: the
                                // connection drops after those chunks, not instead of them.
                                tokio::task::yield_now().await;
                                self.step = Step::Over;
                                return Some(Err(std::io::Error::other("simulated disconnect")));
                            }
                            Some(FaultKind::Stall) => std::future::pending::<()>().await,
                            Some(FaultKind::Malformed) => {
                                self.buf.extend_from_slice(
                                    b"data: {\"choices\":[{\"delta\":{\"content\":\"x\"}\n\n",
                                );
                                self.g.fault = None;
                            }
                            _ => {}
                        }
                    }
                    text.clear();
                    self.g.chunk_text(j, &mut text);
                    self.g
                        .write_chunk(&mut self.buf, Some(&text), false, j + 1 == self.chunks);
                    let sent = self.g.k.min(self.g.n - j * self.g.k);
                    self.g.observe(j, sent);
                    self.step = Step::Content(j + 1);
                    if self.buf.len() >= FRAME {
                        return self.flush();
                    }
                }
                Step::Usage => {
                    let s = format!(
                        r#"data: {{"id":"sim-{}","object":"{}","created":{},"model":{},"choices":[],"usage":{{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{}}}}}"#,
                        self.g.id,
                        if self.g.chat {
                            "chat.completion.chunk"
                        } else {
                            "text_completion"
                        },
                        self.g.created,
                        self.g.sim.inner.model_json,
                        self.g.prompt_tokens,
                        self.g.n,
                        self.g.prompt_tokens + self.g.n
                    );
                    self.buf.extend_from_slice(s.as_bytes());
                    self.buf.extend_from_slice(b"\n\n");
                    self.step = Step::Done;
                }
                Step::Done => {
                    self.buf.extend_from_slice(b"data: [DONE]\n\n");
                    self.step = Step::Over;
                    self.g
                        .sim
                        .inner
                        .stats
                        .completed
                        .fetch_add(1, Ordering::SeqCst);
                    return self.flush();
                }
                Step::Over => return None,
            }
        }
    }
}
