//! The HTTP front and the fixed-timing response generator.

use crate::faults::{FaultKind, Faults};
use crate::text::token;
use crate::wire::{ChatRequest, CompletionRequest, value_words};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::fmt::Write as _;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::time::Instant;

/// When tokens come out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedTiming {
    /// Request arrival → first content chunk.
    pub ttft: Duration,
    /// Time per generated token after the first chunk.
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
    /// Token schedule.
    pub timing: FixedTiming,
    /// Send a role-only chunk first (chat), as vLLM does.
    pub role_chunk: bool,
    /// Send an empty-content chunk after the role chunk.
    pub empty_chunk: bool,
    /// Honour `stream_options.include_usage` (off simulates servers that send no usage).
    pub usage: bool,
    /// `max_tokens` when a request gives none.
    pub default_max_tokens: u32,
    /// Context length reported by `/v1/models`.
    pub max_model_len: u64,
    /// Faults to inject.
    pub faults: Faults,
    /// How long `slow-first-byte` delays the response head.
    pub fault_delay: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            model: "headroom-sim".into(),
            timing: FixedTiming::default(),
            role_chunk: true,
            empty_chunk: false,
            usage: true,
            default_max_tokens: 256,
            max_model_len: 32_768,
            faults: Faults::default(),
            fault_delay: Duration::from_secs(2),
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
    model_json: String,
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
    /// A simulator with `config`.
    pub fn new(config: SimConfig) -> Result<Sim, String> {
        config.faults.validate()?;
        if config.timing.tokens_per_chunk == 0 {
            return Err("tokens per chunk must be at least 1".into());
        }
        let model_json = serde_json::to_string(&config.model).map_err(|e| e.to_string())?;
        Ok(Sim {
            inner: Arc::new(Inner {
                config,
                stats: SimStats::default(),
                model_json,
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
        let mut s = format!(
            "fixed timing: ttft {:?}, itl {:?}, {} token(s) per chunk, model {}",
            c.timing.ttft, c.timing.itl, c.timing.tokens_per_chunk, c.model
        );
        for f in &c.faults.specs {
            let _ = write!(s, ", fault {}={}", f.kind, f.rate);
        }
        s
    }

    /// The HTTP routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/health", get(|| async { StatusCode::OK }))
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

async fn models(State(sim): State<Sim>) -> Response {
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

async fn chat(State(sim): State<Sim>, body: Bytes) -> Response {
    match parse::<ChatRequest>(&body) {
        Ok(req) => {
            let prompt_tokens = req.messages.iter().map(|m| value_words(&m.content)).sum();
            let max = req.max_completion_tokens.or(req.max_tokens);
            let usage = req.stream_options.is_some_and(|o| o.include_usage);
            respond(sim, true, prompt_tokens, max, req.stream, usage).await
        }
        Err(r) => *r,
    }
}

async fn completions(State(sim): State<Sim>, body: Bytes) -> Response {
    match parse::<CompletionRequest>(&body) {
        Ok(req) => {
            let usage = req.stream_options.is_some_and(|o| o.include_usage);
            respond(
                sim,
                false,
                value_words(&req.prompt),
                req.max_tokens,
                req.stream,
                usage,
            )
            .await
        }
        Err(r) => *r,
    }
}

async fn respond(
    sim: Sim,
    chat: bool,
    prompt_tokens: u32,
    max_tokens: Option<u32>,
    stream: bool,
    include_usage: bool,
) -> Response {
    let t0 = Instant::now();
    let stats = &sim.inner.stats;
    let arrival = stats.requests.fetch_add(1, Ordering::SeqCst);
    let fault = sim.inner.config.faults.pick(arrival);
    if let Some(f) = fault {
        stats.faults[f.idx()].fetch_add(1, Ordering::SeqCst);
    }
    let c = &sim.inner.config;
    let n = max_tokens.unwrap_or(c.default_max_tokens);
    if n == 0 {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "max_tokens must be at least 1",
        );
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
    let g = Gen {
        sim: sim.clone(),
        id: arrival,
        created: unix_now(),
        chat,
        n,
        prompt_tokens,
        include_usage: include_usage && c.usage,
        fault,
        t0,
    };
    if stream {
        let body = Body::from_stream(futures_util::stream::unfold(
            g.start(),
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
        g.whole().await
    }
}

/// One response being generated.
struct Gen {
    sim: Sim,
    id: u64,
    created: u64,
    chat: bool,
    n: u32,
    prompt_tokens: u32,
    include_usage: bool,
    fault: Option<FaultKind>,
    t0: Instant,
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
    step: Step,
    chunks: u32,
    fault_at: u32,
    buf: Vec<u8>,
}

/// Frames larger than this are cut even when more chunks are already due.
const FRAME: usize = 32 * 1024;

impl Gen {
    fn timing(&self) -> FixedTiming {
        self.sim.inner.config.timing
    }

    fn chunks(&self) -> u32 {
        self.n.div_ceil(self.timing().tokens_per_chunk)
    }

    /// When content chunk `j` is due.
    fn due(&self, j: u32) -> Instant {
        let t = self.timing();
        self.t0 + t.ttft + t.itl * (j * t.tokens_per_chunk)
    }

    fn start(self) -> StreamState {
        let chunks = self.chunks();
        StreamState {
            chunks,
            fault_at: chunks / 2,
            g: self,
            step: Step::Preamble,
            buf: Vec::with_capacity(512),
        }
    }

    /// Generated text of content chunk `j`.
    fn chunk_text(&self, j: u32, out: &mut String) {
        let k = self.timing().tokens_per_chunk;
        let salt = self.id as u32;
        for i in j * k..((j + 1) * k).min(self.n) {
            let (sp, w) = token(i, salt);
            out.push_str(sp);
            out.push_str(w);
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

    /// A non-streamed response, sent when the whole generation would have finished.
    async fn whole(self) -> Response {
        let last = self.due(self.chunks().saturating_sub(1));
        match self.fault {
            Some(FaultKind::Stall) => std::future::pending::<()>().await,
            Some(FaultKind::Disconnect) => {
                tokio::time::sleep_until(last).await;
                let s = futures_util::stream::iter([Err::<Bytes, _>(std::io::Error::other(
                    "simulated disconnect",
                ))]);
                return Response::builder()
                    .status(StatusCode::OK)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from_stream(s))
                    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
            }
            _ => {}
        }
        tokio::time::sleep_until(last).await;
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
        let stats = &self.sim.inner.stats;
        stats.tokens.fetch_add(self.n as u64, Ordering::SeqCst);
        stats.completed.fetch_add(1, Ordering::SeqCst);
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
    /// The next body frame: every chunk already due, up to [`FRAME`] bytes.
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
                        return Some(Ok(Bytes::copy_from_slice(&self.buf)));
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
                    let due = self.g.due(j);
                    if due > Instant::now() {
                        if !self.buf.is_empty() {
                            return Some(Ok(Bytes::copy_from_slice(&self.buf)));
                        }
                        tokio::time::sleep_until(due).await;
                    }
                    // Faults strike when chunk `fault_at` is due, after what came before
                    // has been sent.
                    if j == self.fault_at && self.g.fault.is_some() {
                        if !self.buf.is_empty() && self.g.fault != Some(FaultKind::ErrorEvent) {
                            return Some(Ok(Bytes::copy_from_slice(&self.buf)));
                        }
                        match self.g.fault {
                            Some(FaultKind::ErrorEvent) => {
                                self.buf.extend_from_slice(
                                    br#"data: {"error":{"message":"simulated engine error","type":"InternalServerError","code":500}}"#,
                                );
                                self.buf.extend_from_slice(b"\n\ndata: [DONE]\n\n");
                                self.step = Step::Over;
                                return Some(Ok(Bytes::copy_from_slice(&self.buf)));
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
                    let k = self.g.timing().tokens_per_chunk;
                    let sent = k.min(self.g.n - j * k);
                    self.g
                        .sim
                        .inner
                        .stats
                        .tokens
                        .fetch_add(sent as u64, Ordering::Relaxed);
                    self.step = Step::Content(j + 1);
                    if self.buf.len() >= FRAME {
                        return Some(Ok(Bytes::copy_from_slice(&self.buf)));
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
                    return Some(Ok(Bytes::copy_from_slice(&self.buf)));
                }
                Step::Over => return None,
            }
        }
    }
}
