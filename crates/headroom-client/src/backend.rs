//! The OpenAI-compatible [`Backend`]: builds the request for the API flavour, sends it,
//! and times every content chunk as it arrives.

use crate::endpoint::{Endpoints, ModelEntry, ModelList};
use crate::sse::{Event, SseDecoder};
use crate::tokens::apportion;
use crate::wire::{Chunk, Usage};
use headroom_core::{
    ApiFlavor, Backend, ErrorKind, Outcome, Prompt, RequestCtx, RequestRecord, RequestSpec,
    TokenCounter, TokenSource,
};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How the client talks to the server.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL as given by the user.
    pub url: String,
    /// Chat or completions.
    pub api: ApiFlavor,
    /// Streaming (SSE) or not.
    pub stream: bool,
    /// Bearer token.
    pub api_key: Option<String>,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Merged into every request body (overrides headroom's own fields).
    pub extra_body: Option<Map<String, Value>>,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Longest silence between response bytes (streaming) or before the response head.
    pub stall_timeout: Duration,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Force the full output length: sends `ignore_eos: true` and `min_tokens` equal to
    /// `max_tokens` (vLLM, SGLang and TensorRT-LLM accept them; OpenAI's API does not).
    pub ignore_eos: bool,
}

impl ClientConfig {
    /// A configuration with headroom's defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        ClientConfig {
            url: url.into(),
            api: ApiFlavor::Chat,
            stream: true,
            api_key: None,
            headers: Vec::new(),
            extra_body: None,
            timeout: Duration::from_secs(600),
            stall_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            ignore_eos: false,
        }
    }
}

/// The client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL is unusable.
    #[error(transparent)]
    Url(#[from] crate::endpoint::UrlError),
    /// A `--header` is malformed.
    #[error("invalid header {0:?}: expected NAME:VALUE with a valid HTTP header name and value")]
    Header(String),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    Build(String),
}

/// The server could not be asked about itself.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    /// Nothing is listening, or the host cannot be reached.
    #[error("cannot reach {url}: {reason}. Is the server running and the address right?")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// The server refused the request.
    #[error("{url} answered HTTP {status}: {body}{hint}")]
    Status {
        /// The URL tried.
        url: String,
        /// The status.
        status: u16,
        /// A body excerpt.
        body: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// The answer was not a model list.
    #[error("{url} did not return a model list ({reason}); pass --model to skip the lookup")]
    Invalid {
        /// The URL tried.
        url: String,
        /// Why.
        reason: String,
    },
    /// The list was empty.
    #[error("{0} lists no models; pass --model")]
    NoModels(String),
}

/// What the preflight learnt about the server.
#[derive(Debug, Clone, Default)]
pub struct ServerInfo {
    /// Models listed by `/v1/models`.
    pub models: Vec<ModelEntry>,
    /// `/version`, when the server has it.
    pub version: Option<String>,
}

/// Sends OpenAI-compatible requests and records their timings.
pub struct OpenAiBackend {
    http: reqwest::Client,
    endpoints: Endpoints,
    config: ClientConfig,
    model: String,
    counter: Arc<dyn TokenCounter>,
}

impl std::fmt::Debug for OpenAiBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiBackend")
            .field("endpoint", &self.endpoints.completions.as_str())
            .field("model", &self.model)
            .field("stream", &self.config.stream)
            .finish_non_exhaustive()
    }
}

/// Builds the HTTP client shared by the preflight and the backend.
pub fn http_client(config: &ClientConfig) -> Result<reqwest::Client, ClientError> {
    #[cfg(feature = "https")]
    {
        // reqwest is built without a bundled provider; install ring's once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(key) = &config.api_key {
        let mut v = HeaderValue::from_str(&format!("Bearer {key}"))
            .map_err(|_| ClientError::Header("Authorization: Bearer <key>".into()))?;
        v.set_sensitive(true);
        headers.insert(AUTHORIZATION, v);
    }
    for (k, v) in &config.headers {
        let name = HeaderName::from_bytes(k.trim().as_bytes())
            .map_err(|_| ClientError::Header(format!("{k}:{v}")))?;
        let value =
            HeaderValue::from_str(v.trim()).map_err(|_| ClientError::Header(format!("{k}:{v}")))?;
        headers.insert(name, value);
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .tcp_nodelay(true)
        .connect_timeout(config.connect_timeout)
        .pool_max_idle_per_host(usize::MAX)
        .pool_idle_timeout(Duration::from_secs(90))
        .no_proxy()
        .build()
        .map_err(|e| ClientError::Build(error_chain(&e)))
}

/// Asks the server for its models and version.
pub async fn preflight(config: &ClientConfig) -> Result<ServerInfo, PreflightError> {
    let endpoints =
        Endpoints::resolve(&config.url, config.api).map_err(|e| PreflightError::Invalid {
            url: config.url.clone(),
            reason: e.to_string(),
        })?;
    let http = http_client(config).map_err(|e| PreflightError::Invalid {
        url: config.url.clone(),
        reason: e.to_string(),
    })?;
    let url = endpoints.models.to_string();
    let limit = config.connect_timeout + config.stall_timeout;
    let resp = tokio::time::timeout(limit, http.get(endpoints.models.clone()).send())
        .await
        .map_err(|_| PreflightError::Unreachable {
            url: url.clone(),
            reason: format!("no answer within {}s", limit.as_secs()),
        })?
        .map_err(|e| PreflightError::Unreachable {
            url: url.clone(),
            reason: error_chain(&e),
        })?;
    let status = resp.status().as_u16();
    let body = tokio::time::timeout(limit, resp.bytes())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    if !(200..300).contains(&status) {
        let hint = match status {
            401 | 403 => " (check the API key: --api-key, OPENAI_API_KEY or HEADROOM_API_KEY)",
            404 => " (is --url the server's base URL? headroom appends /v1/...)",
            _ => "",
        };
        return Err(PreflightError::Status {
            url,
            status,
            body: excerpt(&body),
            hint,
        });
    }
    let list: ModelList = serde_json::from_slice(&body).map_err(|e| PreflightError::Invalid {
        url: url.clone(),
        reason: e.to_string(),
    })?;
    if list.data.is_empty() {
        return Err(PreflightError::NoModels(url));
    }
    let version =
        match tokio::time::timeout(limit, http.get(endpoints.version.clone()).send()).await {
            Ok(Ok(r)) if r.status().is_success() => r
                .bytes()
                .await
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .and_then(|v| v.get("version").and_then(Value::as_str).map(str::to_string)),
            _ => None,
        };
    Ok(ServerInfo {
        models: list.data,
        version,
    })
}

impl OpenAiBackend {
    /// A backend for `model` at the configured URL; `counter` counts tokens the server does
    /// not report.
    pub fn new(
        config: ClientConfig,
        model: impl Into<String>,
        counter: Arc<dyn TokenCounter>,
    ) -> Result<Self, ClientError> {
        let endpoints = Endpoints::resolve(&config.url, config.api)?;
        let http = http_client(&config)?;
        Ok(OpenAiBackend {
            http,
            endpoints,
            config,
            model: model.into(),
            counter,
        })
    }

    /// The URL requests are posted to.
    pub fn endpoint(&self) -> &str {
        self.endpoints.completions.as_str()
    }

    /// The JSON body for `spec`.
    pub fn body(&self, spec: RequestSpec) -> Vec<u8> {
        let mut m = Map::with_capacity(8);
        m.insert("model".into(), Value::String(self.model.clone()));
        match (self.config.api, spec.prompt) {
            (ApiFlavor::Chat, Prompt::Chat(msgs)) => {
                let msgs = msgs
                    .into_iter()
                    .map(|m| {
                        let mut o = Map::with_capacity(2);
                        o.insert("role".into(), Value::String(m.role));
                        o.insert("content".into(), Value::String(m.content));
                        Value::Object(o)
                    })
                    .collect();
                m.insert("messages".into(), Value::Array(msgs));
            }
            (ApiFlavor::Chat, Prompt::Text(t)) => {
                let mut o = Map::with_capacity(2);
                o.insert("role".into(), Value::String("user".into()));
                o.insert("content".into(), Value::String(t));
                m.insert("messages".into(), Value::Array(vec![Value::Object(o)]));
            }
            (ApiFlavor::Completions, p) => {
                m.insert("prompt".into(), Value::String(p.to_text().into_owned()));
            }
        }
        m.insert("max_tokens".into(), Value::from(spec.max_tokens));
        if self.config.ignore_eos {
            m.insert("ignore_eos".into(), Value::Bool(true));
            m.insert("min_tokens".into(), Value::from(spec.max_tokens));
        }
        m.insert("stream".into(), Value::Bool(self.config.stream));
        if self.config.stream {
            let mut so = Map::with_capacity(1);
            so.insert("include_usage".into(), Value::Bool(true));
            m.insert("stream_options".into(), Value::Object(so));
        }
        if let Some(extra) = &self.config.extra_body {
            for (k, v) in extra {
                m.insert(k.clone(), v.clone());
            }
        }
        // Serializing a Map of JSON values cannot fail.
        serde_json::to_vec(&Value::Object(m)).unwrap_or_default()
    }

    async fn exchange(&self, body: Vec<u8>, st: &mut Exchange<'_>) -> Result<(), Fail> {
        let deadline = Instant::now() + self.config.timeout;
        let stall = self.config.stall_timeout;
        let request = self
            .http
            .post(self.endpoints.completions.clone())
            .body(body)
            .build()
            .map_err(|e| Fail(ErrorKind::Transport, error_chain(&e)))?;
        st.rec.send_us = Some(st.clock.now_us());
        let resp = timed(
            self.http.execute(request),
            deadline,
            stall,
            "the response head",
        )
        .await?
        .map_err(|e| Fail(classify(&e), error_chain(&e)))?;
        let status = resp.status();
        st.rec.http_status = Some(status.as_u16());
        if !status.is_success() {
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(|v| format!(" (Retry-After: {v})"))
                .unwrap_or_default();
            let body = read_excerpt(resp, deadline, stall).await;
            return Err(Fail(
                ErrorKind::HttpStatus,
                format!("HTTP {status}{retry_after}: {body}"),
            ));
        }
        let is_sse = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if self.config.stream && is_sse {
            self.read_stream(resp, st, deadline, stall).await
        } else {
            // A whole JSON body: `--no-stream`, or a server that ignored `stream: true`.
            let bytes = timed(
                resp.bytes(),
                deadline,
                self.config.timeout,
                "the response body",
            )
            .await?
            .map_err(|e| Fail(ErrorKind::TruncatedStream, error_chain(&e)))?;
            st.rec.end_us = Some(st.clock.now_us());
            let chunk: Chunk<'_> = serde_json::from_slice(&bytes).map_err(|e| {
                Fail(
                    ErrorKind::MalformedStream,
                    format!("{e}: {}", excerpt(&bytes)),
                )
            })?;
            if let Some(msg) = chunk.error_message() {
                return Err(Fail(ErrorKind::ServerError, msg));
            }
            st.usage = chunk.usage;
            if let Some(c) = &chunk.choices.0 {
                c.append_content(&mut st.text);
                st.finish = c.finish_reason.as_deref().map(str::to_string);
            }
            st.ends.push(st.text.len());
            Ok(())
        }
    }

    async fn read_stream(
        &self,
        mut resp: reqwest::Response,
        st: &mut Exchange<'_>,
        deadline: Instant,
        stall: Duration,
    ) -> Result<(), Fail> {
        let send_us = st.rec.send_us.unwrap_or(0);
        let mut dec = SseDecoder::new();
        loop {
            let next = timed(resp.chunk(), deadline, stall, "the next chunk").await?;
            match next {
                Ok(Some(bytes)) => {
                    let t = st.clock.now_us().saturating_sub(send_us);
                    dec.push(&bytes);
                    loop {
                        match dec.next_event() {
                            Ok(Some(ev)) => {
                                if st.on_event(ev, t)? {
                                    // The end is when the read carrying `[DONE]` arrived.
                                    st.rec.end_us = Some(send_us + t);
                                    drain(resp).await;
                                    return Ok(());
                                }
                            }
                            Ok(None) => break,
                            Err(e) => return Err(Fail(ErrorKind::MalformedStream, e.to_string())),
                        }
                    }
                }
                Ok(None) => {
                    let t = st.clock.now_us();
                    while let Some(ev) = dec.finish() {
                        if st.on_event(ev, t.saturating_sub(send_us))? {
                            break;
                        }
                    }
                    st.rec.end_us = Some(t);
                    if st.done || st.finish.is_some() {
                        // Some servers omit `[DONE]`; a finish_reason says the answer is whole.
                        return Ok(());
                    }
                    return Err(Fail(
                        ErrorKind::TruncatedStream,
                        format!(
                            "the stream ended without [DONE] or a finish_reason after {} content chunks",
                            st.rec.content_us.len()
                        ),
                    ));
                }
                Err(e) => {
                    return Err(Fail(
                        ErrorKind::TruncatedStream,
                        format!(
                            "the connection failed after {} content chunks: {}",
                            st.rec.content_us.len(),
                            error_chain(&e)
                        ),
                    ));
                }
            }
        }
    }

    /// Fills token counts once the response is over.
    fn settle_tokens(&self, st: &mut Exchange<'_>) {
        let mut seg = Vec::new();
        let counted = |seg: &mut Vec<u32>| self.count(&st.text, &st.ends, seg);
        let rec = &mut st.rec;
        let chunks = rec.content_us.len();
        if let Some(p) = st.usage.and_then(|u| u.prompt_tokens) {
            rec.input_tokens = p;
            rec.input_tokens_source = TokenSource::Usage;
        }
        match st.usage.and_then(|u| u.completion_tokens) {
            Some(total) => {
                rec.output_tokens = total;
                rec.output_tokens_source = TokenSource::Usage;
                if total as usize != chunks {
                    // Chunks carried several tokens (or the usage is off): count the text
                    // once, split by chunk, and scale to the server's total.
                    rec.output_tokens_counted = Some(counted(&mut seg));
                    if chunks > 0 {
                        rec.content_tokens = apportion(total, &seg, &st.ends);
                    }
                }
            }
            None => {
                rec.output_tokens = counted(&mut seg);
                rec.output_tokens_source = TokenSource::Tokenizer;
                if chunks > 0 && seg.iter().any(|&n| n != 1) {
                    rec.content_tokens = seg;
                }
            }
        }
    }

    fn count(&self, text: &str, ends: &[usize], seg: &mut Vec<u32>) -> u32 {
        if ends.is_empty() {
            seg.clear();
            return 0;
        }
        self.counter.count_segments(text, ends, seg);
        seg.iter().sum()
    }
}

/// A failure: its kind and a message for people.
struct Fail(ErrorKind, String);

/// The state of one request while it runs.
struct Exchange<'a> {
    rec: RequestRecord,
    clock: &'a dyn headroom_core::Clock,
    /// Generated text so far (for token counting when the server reports none).
    text: String,
    /// Byte offset in `text` where each content chunk ends.
    ends: Vec<usize>,
    usage: Option<Usage>,
    finish: Option<String>,
    done: bool,
}

impl Exchange<'_> {
    /// Handles one SSE event received `t` µs after send; `Ok(true)` at `[DONE]`.
    fn on_event(&mut self, ev: Event<'_>, t: u64) -> Result<bool, Fail> {
        if ev.data == b"[DONE]" {
            self.done = true;
            return Ok(true);
        }
        if ev.event == Some(b"error") {
            return Err(Fail(ErrorKind::ServerError, excerpt(ev.data)));
        }
        let chunk: Chunk<'_> = serde_json::from_slice(ev.data).map_err(|e| {
            Fail(
                ErrorKind::MalformedStream,
                format!(
                    "chunk {} is not valid JSON ({e}): {}",
                    self.rec.content_us.len() + 1,
                    excerpt(ev.data)
                ),
            )
        })?;
        if let Some(msg) = chunk.error_message() {
            return Err(Fail(ErrorKind::ServerError, msg));
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        if let Some(c) = &chunk.choices.0 {
            if c.append_content(&mut self.text) {
                self.rec.content_us.push(t);
                self.ends.push(self.text.len());
            }
            if let Some(f) = &c.finish_reason {
                self.finish = Some(f.to_string());
            }
        }
        Ok(false)
    }
}

impl Backend for OpenAiBackend {
    async fn execute<'a, C>(
        &'a self,
        spec: RequestSpec,
        ctx: RequestCtx<'a>,
        cancel: C,
    ) -> RequestRecord
    where
        C: Future<Output = ()> + Send + 'a,
    {
        let max_tokens = spec.max_tokens;
        let input_tokens = spec.input_tokens;
        let mut rec = RequestRecord::not_sent(ctx.index, ctx.phase, ctx.intended_us, max_tokens);
        rec.input_tokens = input_tokens;
        let mut st = Exchange {
            rec,
            clock: ctx.clock,
            text: String::new(),
            ends: Vec::new(),
            usage: None,
            finish: None,
            done: false,
        };
        let body = self.body(spec);
        let result = {
            let exchange = self.exchange(body, &mut st);
            tokio::pin!(exchange);
            tokio::pin!(cancel);
            tokio::select! {
                biased;
                r = &mut exchange => r,
                () = &mut cancel => Err(Fail(ErrorKind::Cancelled, "cancelled while in flight (interrupted)".into())),
            }
        };
        if st.rec.end_us.is_none() && st.rec.send_us.is_some() {
            st.rec.end_us = Some(st.clock.now_us());
        }
        st.rec.finish_reason = st.finish.take();
        self.settle_tokens(&mut st);
        st.rec.outcome = match result {
            Ok(()) => Outcome::Ok,
            Err(Fail(kind, message)) => Outcome::Error { kind, message },
        };
        if st.rec.send_us.is_none() {
            // Cancelled before the request was handed to the connection.
            st.rec.outcome = Outcome::Error {
                kind: ErrorKind::NotSent,
                message: "the run stopped before this request could be sent".into(),
            };
        }
        st.rec
    }
}

/// Awaits `fut` until the total deadline or `stall` from now, whichever is first.
async fn timed<F: Future>(
    fut: F,
    deadline: Instant,
    stall: Duration,
    what: &str,
) -> Result<F::Output, Fail> {
    let now = Instant::now();
    let stall_at = now + stall;
    let (limit, why) = if stall_at < deadline {
        (
            stall_at,
            format!(
                "stalled: nothing received for {} while waiting for {what}",
                fmt_dur(stall)
            ),
        )
    } else {
        (
            deadline,
            format!("the request timeout elapsed while waiting for {what}"),
        )
    };
    tokio::time::timeout_at(limit, fut)
        .await
        .map_err(|_| Fail(ErrorKind::Timeout, why))
}

fn fmt_dur(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Reads what remains after `[DONE]` so the connection returns to the pool; bounded so a
/// server that keeps the body open cannot hold the request.
async fn drain(mut resp: reqwest::Response) {
    let _ = tokio::time::timeout(Duration::from_millis(50), async {
        while let Ok(Some(_)) = resp.chunk().await {}
    })
    .await;
}

async fn read_excerpt(mut resp: reqwest::Response, deadline: Instant, stall: Duration) -> String {
    let mut buf = Vec::new();
    while buf.len() < 512 {
        match timed(resp.chunk(), deadline, stall, "the error body").await {
            Ok(Ok(Some(b))) => buf.extend_from_slice(&b),
            _ => break,
        }
    }
    excerpt(&buf)
}

/// At most 300 characters of a body, on one line.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(1200)]);
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 300 {
        let cut: String = one_line.chars().take(300).collect();
        format!("{cut}…")
    } else if one_line.is_empty() {
        "(empty body)".into()
    } else {
        one_line
    }
}

fn classify(e: &reqwest::Error) -> ErrorKind {
    if e.is_connect() {
        ErrorKind::Connect
    } else if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_body() || e.is_decode() {
        ErrorKind::TruncatedStream
    } else {
        ErrorKind::Transport
    }
}

/// An error with its causes, `a: b: c`.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}
