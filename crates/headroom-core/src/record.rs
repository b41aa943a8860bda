//! What happened to one request: the [`RequestRecord`], one JSON line in `requests.jsonl`.
//!
//! A record carries raw timings, not derived metrics, so that every later report can be
//! rebuilt from the journal alone. All `*_us` times are microseconds since the run's
//! epoch (`manifest.json` → `epoch_unix_us`), except `content_us`, which is relative to
//! the send time.

use crate::{RequestSpec, Tags};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether a request counts towards the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Sent during warmup: journaled, excluded from metrics.
    Warmup,
    /// Measured.
    Measure,
}

/// Where a token count came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// The server's `usage` object.
    Usage,
    /// Counted by headroom's tokenizer (the server sent no usage).
    Tokenizer,
    /// The workload's own count of the prompt it generated.
    Workload,
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// The response completed (`[DONE]` or the end of a well-formed body).
    Ok,
    /// The request failed; partial timings are kept in the record.
    Error {
        /// What kind of failure.
        kind: ErrorKind,
        /// What happened, for a person (an HTTP body excerpt, the I/O error, ...).
        message: String,
    },
}

impl Outcome {
    /// `true` for [`Outcome::Ok`].
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok)
    }

    /// The error kind, if any.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        match self {
            Outcome::Ok => None,
            Outcome::Error { kind, .. } => Some(*kind),
        }
    }
}

/// The kinds of failure, counted separately in every summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The TCP/TLS connection could not be made.
    Connect,
    /// The request exceeded the timeout, or the stream stalled longer than allowed.
    Timeout,
    /// The server answered with a non-2xx status (the record's `http_status`).
    HttpStatus,
    /// The body was not valid SSE/JSON for the API flavour.
    MalformedStream,
    /// The connection closed before the response was complete (no `[DONE]`).
    TruncatedStream,
    /// The server sent an error object inside a 200 stream.
    ServerError,
    /// Cancelled by the user (Ctrl-C) while in flight.
    Cancelled,
    /// Scheduled but never sent (the run was interrupted first).
    NotSent,
    /// Any other transport failure.
    Transport,
}

impl ErrorKind {
    /// All kinds, in a stable order.
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::HttpStatus,
        ErrorKind::MalformedStream,
        ErrorKind::TruncatedStream,
        ErrorKind::ServerError,
        ErrorKind::Cancelled,
        ErrorKind::NotSent,
        ErrorKind::Transport,
    ];

    /// The snake_case name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::MalformedStream => "malformed_stream",
            ErrorKind::TruncatedStream => "truncated_stream",
            ErrorKind::ServerError => "server_error",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::NotSent => "not_sent",
            ErrorKind::Transport => "transport",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request, from schedule to end. One line of `requests.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RequestRecord {
    /// Position in the run's request sequence (the workload made request `index`).
    pub index: u64,
    /// Warmup or measured.
    pub phase: Phase,
    /// Open loop: when the schedule wanted it sent (µs since the run epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intended_us: Option<u64>,
    /// When it was handed to the connection (µs since the run epoch). `None` if never sent.
    pub send_us: Option<u64>,
    /// When the response ended or the request failed (µs since the run epoch).
    pub end_us: Option<u64>,
    /// Arrival of each chunk that carried generated content (text, reasoning or a tool
    /// call), in µs after `send_us`. Role-only and empty chunks are not here. The first
    /// entry is the TTFT.
    #[serde(default)]
    pub content_us: Vec<u64>,
    /// Tokens carried by each content chunk; empty when every chunk carried one token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content_tokens: Vec<u32>,
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Where `input_tokens` came from.
    pub input_tokens_source: TokenSource,
    /// Generated tokens.
    pub output_tokens: u32,
    /// Where `output_tokens` came from.
    pub output_tokens_source: TokenSource,
    /// headroom's own count of the generated text, when it was taken next to the server's
    /// usage (kept so disagreement can be reported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens_counted: Option<u32>,
    /// `max_tokens` asked for.
    pub max_tokens: u32,
    /// Prompt tokens the workload asked for (its own tokenizer's count), to compare with
    /// `input_tokens` when the server counted (the difference is chat-template overhead
    /// or a different tokenizer). Absent in records of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_input_tokens: Option<u32>,
    /// The workload's labels: prefix group, conversation and turn.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// The HTTP status, when a response head arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The server's `finish_reason`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// `Ok` or the error.
    pub outcome: Outcome,
}

impl RequestRecord {
    /// A record for a request that was scheduled but never sent.
    pub fn not_sent(index: u64, phase: Phase, intended_us: Option<u64>, max_tokens: u32) -> Self {
        RequestRecord {
            index,
            phase,
            intended_us,
            send_us: None,
            end_us: None,
            content_us: Vec::new(),
            content_tokens: Vec::new(),
            input_tokens: 0,
            input_tokens_source: TokenSource::Workload,
            output_tokens: 0,
            output_tokens_source: TokenSource::Tokenizer,
            output_tokens_counted: None,
            max_tokens,
            requested_input_tokens: None,
            tags: Tags::default(),
            http_status: None,
            finish_reason: None,
            outcome: Outcome::Error {
                kind: ErrorKind::NotSent,
                message: "the run stopped before this request could be sent".into(),
            },
        }
    }

    /// Time to first token: send → first content chunk, µs.
    pub fn ttft_us(&self) -> Option<u64> {
        self.content_us.first().copied()
    }

    /// End-to-end latency: send → end, µs.
    pub fn e2e_us(&self) -> Option<u64> {
        Some(self.end_us?.saturating_sub(self.send_us?))
    }

    /// Scheduling lag: intended → send, µs (open loop only).
    pub fn lag_us(&self) -> Option<u64> {
        Some(self.send_us?.saturating_sub(self.intended_us?))
    }

    /// Tokens carried by content chunk `chunk`.
    pub fn chunk_tokens(&self, chunk: usize) -> u32 {
        if self.content_tokens.is_empty() {
            1
        } else {
            self.content_tokens.get(chunk).copied().unwrap_or(0)
        }
    }

    /// Time per output token: (E2E − TTFT) / (output tokens − 1), µs, for streamed
    /// requests with at least two output tokens.
    pub fn tpot_us(&self) -> Option<f64> {
        if self.output_tokens < 2 {
            return None;
        }
        let e2e = self.e2e_us()?;
        let ttft = self.ttft_us()?;
        Some(e2e.saturating_sub(ttft) as f64 / (self.output_tokens - 1) as f64)
    }

    /// `true` when the request completed.
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }

    /// Copies what the workload asked for (requested prompt length, tags) from `spec`.
    pub fn describe(&mut self, spec: &RequestSpec) {
        self.describe_as(spec.input_tokens, spec.tags);
    }

    /// [`RequestRecord::describe`] for a spec already handed on: its prompt length and tags.
    pub fn describe_as(&mut self, requested_input_tokens: u32, tags: Tags) {
        self.requested_input_tokens = Some(requested_input_tokens);
        self.tags = tags;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> RequestRecord {
        RequestRecord {
            index: 3,
            phase: Phase::Measure,
            intended_us: Some(1_000),
            send_us: Some(1_250),
            end_us: Some(101_250),
            content_us: vec![50_000, 60_000, 70_000],
            content_tokens: vec![],
            input_tokens: 200,
            input_tokens_source: TokenSource::Usage,
            output_tokens: 11,
            output_tokens_source: TokenSource::Usage,
            output_tokens_counted: None,
            max_tokens: 11,
            requested_input_tokens: Some(200),
            tags: Tags::default(),
            http_status: Some(200),
            finish_reason: Some("length".into()),
            outcome: Outcome::Ok,
        }
    }

    #[test]
    fn derived_timings() {
        let r = rec();
        assert_eq!(r.ttft_us(), Some(50_000));
        assert_eq!(r.e2e_us(), Some(100_000));
        assert_eq!(r.lag_us(), Some(250));
        assert_eq!(r.tpot_us(), Some(5_000.0));
        assert_eq!(r.chunk_tokens(2), 1);
    }

    #[test]
    fn json_shape_is_stable() {
        let v = serde_json::to_value(rec()).unwrap();
        assert_eq!(v["outcome"], serde_json::json!({"status": "ok"}));
        assert!(
            v.get("content_tokens").is_none(),
            "all-ones chunk tokens are omitted"
        );
        let back: RequestRecord = serde_json::from_value(v).unwrap();
        assert_eq!(back, rec());
        let err = Outcome::Error {
            kind: ErrorKind::HttpStatus,
            message: "429 Too Many Requests".into(),
        };
        assert_eq!(
            serde_json::to_value(err).unwrap(),
            serde_json::json!({"status": "error", "kind": "http_status", "message": "429 Too Many Requests"})
        );
    }
}
