//! A simulated OpenAI-compatible LLM server.
//!
//! Fixed-timing mode: every response emits its tokens on an exact schedule — the first
//! content chunk `ttft` after the request arrives, then one chunk of `tokens_per_chunk`
//! tokens every `tokens_per_chunk × itl` — so headroom's own metrics can be checked
//! against known truth. Chat streams start with a role-only chunk (and, optionally, an
//! empty-content chunk), the way vLLM's do; usage is sent when the request asks for it
//! with `stream_options.include_usage`.
//!
//! Faults are injected deterministically: arrival `i` gets a fault when a seeded hash of
//! `i` falls in that fault's share, so a run of N requests meets an exact, reproducible
//! number of each fault, counted in [`SimStats`].
//!
//! The server is `serve(listener, shutdown)`: tests bind `127.0.0.1:0` and pass the
//! listener in. This crate keeps its own wire structs (it does not share the client's),
//! so a parsing bug cannot cancel itself out between the two.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod calibration;
pub mod catalog;
mod driver;
pub mod engine;
mod faults;
mod local;
pub mod options;
pub mod perf;
mod prom;
pub mod runner;
mod server;
mod text;
mod wire;

pub use faults::{FaultKind, FaultSpec, Faults};
pub use local::LocalSim;
pub use options::{EngineError, EngineOptions};
pub use prom::ServerMetrics;
pub use server::{FixedTiming, Sim, SimConfig, SimStats, serve_router};
