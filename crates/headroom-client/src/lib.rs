//! OpenAI-compatible client for headroom.
//!
//! - [`sse`]: an incremental SSE decoder (same events for any split of the bytes).
//! - [`wire`]: the parts of chat/completions responses that are measured.
//! - [`OpenAiBackend`]: a [`headroom_core::Backend`] that posts to `/v1/chat/completions`
//!   or `/v1/completions`, streaming or not, and records the arrival of every content
//!   chunk, the usage, and how the request ended.
//! - [`preflight`]: asks `/v1/models` (and `/version`) before a run.
//!
//! Timing rules (the README's "Definitions"): the send time is read just before the
//! request is handed to the connection; a chunk's time is when the network read that
//! completed it returned; role-only and empty chunks are not content; `[DONE]` or the
//! end of a whole body ends the request.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod backend;
pub mod endpoint;
pub mod sse;
mod tokens;
pub mod wire;

pub use backend::{
    ClientConfig, ClientError, OpenAiBackend, PreflightError, ServerInfo, http_client, preflight,
};
pub use endpoint::Endpoints;
pub use tokens::apportion;
