//! The routes: health, models, version, metrics, and the two completion APIs, which
//! refuse a request as a real server would (loading, too long), inject its fault, or
//! hand it to the response generator.

use super::stream::{Gen, Pace};
use super::{Sim, SimConfig};
use crate::faults::FaultKind;
use crate::wire::{ChatRequest, CompletionRequest, value_texts};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub(super) async fn health(State(sim): State<Sim>) -> Response {
    sim.loading()
        .unwrap_or_else(|| StatusCode::OK.into_response())
}

pub(super) async fn metrics(State(sim): State<Sim>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        sim.inner.metrics.render(&sim.inner.config.model),
    )
        .into_response()
}

pub(super) async fn models(State(sim): State<Sim>) -> Response {
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

pub(super) async fn version() -> Response {
    json_response(
        StatusCode::OK,
        format!(
            r#"{{"version":"headroom-sim {}"}}"#,
            env!("CARGO_PKG_VERSION")
        ),
    )
}

pub(super) fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

pub(super) fn error_response(status: StatusCode, kind: &str, message: &str) -> Response {
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

pub(super) async fn chat(State(sim): State<Sim>, body: Bytes) -> Response {
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

pub(super) async fn completions(State(sim): State<Sim>, body: Bytes) -> Response {
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
    if let Some(r) = refuse_lengths(c, prompt_tokens, n) {
        return r;
    }
    let stats = &sim.inner.stats;
    let arrival = stats.requests.fetch_add(1, Ordering::SeqCst);
    let fault = c.faults.pick(arrival);
    if let Some(f) = fault {
        stats.faults[f.idx()].fetch_add(1, Ordering::SeqCst);
    }
    if let Some(r) = fault_status(fault) {
        return r;
    }
    if fault == Some(FaultKind::SlowFirstByte) {
        tokio::time::sleep(c.fault_delay).await;
    }
    let pace = Pace::start(&sim, &tokens, n, t0);
    let g = Gen {
        sim: sim.clone(),
        id: arrival,
        created: unix_now(),
        chat: ask.chat,
        n,
        k: pace.tokens_per_chunk(),
        prompt_tokens,
        include_usage: ask.include_usage && c.usage,
        fault,
        t0,
        last_emit: None,
        fixed: matches!(pace, Pace::Fixed { .. }),
    };
    if ask.stream {
        g.stream(pace)
    } else {
        g.whole(pace).await
    }
}

/// The 400 a server answers for no output or a request over the context length.
fn refuse_lengths(c: &SimConfig, prompt_tokens: u32, n: u32) -> Option<Response> {
    if n == 0 {
        return Some(error_response(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "max_tokens must be at least 1",
        ));
    }
    if prompt_tokens as u64 + n as u64 > c.max_model_len {
        return Some(error_response(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            &format!(
                "This model's maximum context length is {} tokens. However, you requested {} tokens ({prompt_tokens} in the messages, {n} in the completion).",
                c.max_model_len,
                prompt_tokens as u64 + n as u64
            ),
        ));
    }
    None
}

/// The error status of an HTTP-status fault; `None` for the faults that strike later.
fn fault_status(fault: Option<FaultKind>) -> Option<Response> {
    match fault? {
        FaultKind::Http429 => {
            let mut r = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                "RateLimitError",
                "simulated rate limit",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            Some(r)
        }
        FaultKind::Http500 => Some(error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "simulated internal error",
        )),
        FaultKind::Http503 => Some(error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableError",
            "simulated overload",
        )),
        _ => None,
    }
}
