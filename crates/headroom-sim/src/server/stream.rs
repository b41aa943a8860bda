//! The response generator: when each content chunk is ready (a fixed schedule or the
//! engine's tokens), and the SSE stream or whole body that carries it, faults included.

use super::routes::{error_response, json_response};
use super::{FixedTiming, Sim};
use crate::driver::Ticket;
use crate::engine::{NewRequest, block_hashes};
use crate::faults::FaultKind;
use crate::text::token;
use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A body frame of the stream: bytes, an I/O error that ends the connection, or the end.
type Frame = Option<Result<Bytes, std::io::Error>>;

/// What decides when content chunk `j` is ready.
pub(super) enum Pace {
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
    /// Paces a new response of `n` tokens to a prompt of `tokens`: hands it to the engine
    /// in engine mode, or starts the fixed schedule at `t0`.
    pub(super) fn start(sim: &Sim, tokens: &[u64], n: u32, t0: Instant) -> Pace {
        let prompt_tokens = tokens.len() as u32;
        match sim.engine() {
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
                    timing: sim.inner.config.timing,
                }
            }
        }
    }

    /// Tokens per content chunk: the fixed timing's, one from the engine.
    pub(super) fn tokens_per_chunk(&self) -> u32 {
        match self {
            Pace::Fixed { timing, .. } => timing.tokens_per_chunk,
            Pace::Engine { .. } => 1,
        }
    }

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

/// One response being generated (built by the routes when they admit a request).
pub(super) struct Gen {
    pub(super) sim: Sim,
    pub(super) id: u64,
    pub(super) created: u64,
    pub(super) chat: bool,
    /// Output tokens.
    pub(super) n: u32,
    /// Tokens per content chunk.
    pub(super) k: u32,
    pub(super) prompt_tokens: u32,
    pub(super) include_usage: bool,
    pub(super) fault: Option<FaultKind>,
    pub(super) t0: Instant,
    pub(super) last_emit: Option<Instant>,
    /// Fixed mode keeps the running gauge itself.
    pub(super) fixed: bool,
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

    /// The streamed (SSE) response: frames come as chunks become ready.
    pub(super) fn stream(self, pace: Pace) -> Response {
        let body = Body::from_stream(futures_util::stream::unfold(
            self.start(pace),
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
    pub(super) async fn whole(mut self, mut pace: Pace) -> Response {
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
    fn flush(&self) -> Frame {
        Some(Ok(Bytes::copy_from_slice(&self.buf)))
    }

    /// The next body frame: every chunk already ready, up to [`FRAME`] bytes.
    async fn next_frame(&mut self) -> Frame {
        self.buf.clear();
        let mut text = String::new();
        loop {
            match self.step {
                Step::Preamble => {
                    self.write_preamble();
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
                        if let Some(frame) = self.strike().await {
                            return frame;
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
                    self.write_usage();
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

    /// The role-only chunk (chat) and the empty chunk, as configured.
    fn write_preamble(&mut self) {
        if self.g.chat && self.g.sim.inner.config.role_chunk {
            self.g.write_chunk(&mut self.buf, None, true, false);
        }
        if self.g.sim.inner.config.empty_chunk {
            self.g.write_chunk(&mut self.buf, Some(""), false, false);
        }
    }

    /// The stream's fault strikes: the frame that ends the stream, or `None` to go on
    /// (a malformed chunk is written and the stream continues).
    async fn strike(&mut self) -> Option<Frame> {
        match self.g.fault {
            Some(FaultKind::ErrorEvent) => {
                self.buf.extend_from_slice(
                    br#"data: {"error":{"message":"simulated engine error","type":"InternalServerError","code":500}}"#,
                );
                self.buf.extend_from_slice(b"\n\ndata: [DONE]\n\n");
                self.step = Step::Over;
                Some(self.flush())
            }
            Some(FaultKind::Disconnect) => {
                // Pending once, so hyper flushes what was sent before: the connection
                // drops after those chunks, not instead of them.
                tokio::task::yield_now().await;
                self.step = Step::Over;
                Some(Some(Err(std::io::Error::other("simulated disconnect"))))
            }
            Some(FaultKind::Stall) => std::future::pending().await,
            Some(FaultKind::Malformed) => {
                self.buf
                    .extend_from_slice(b"data: {\"choices\":[{\"delta\":{\"content\":\"x\"}\n\n");
                self.g.fault = None;
                None
            }
            _ => None,
        }
    }

    /// The usage chunk after the last content chunk.
    fn write_usage(&mut self) {
        let g = &self.g;
        let s = format!(
            r#"data: {{"id":"sim-{}","object":"{}","created":{},"model":{},"choices":[],"usage":{{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{}}}}}"#,
            g.id,
            if g.chat {
                "chat.completion.chunk"
            } else {
                "text_completion"
            },
            g.created,
            g.sim.inner.model_json,
            g.prompt_tokens,
            g.n,
            g.prompt_tokens + g.n
        );
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\n\n");
    }
}
