//! A simulated OpenAI-compatible LLM server, and a model of a continuous-batching engine
//! that predicts what a real one would do.
//!
//! # Three ways to run it
//!
//! - **Fixed timing, over HTTP** ([`Sim`] with a plain [`SimConfig`]): every response
//!   emits its tokens on an exact schedule — the first content chunk `ttft` after the
//!   request arrives, then one chunk of `tokens_per_chunk` tokens every
//!   `tokens_per_chunk × itl` — so headroom's own metrics can be checked against known
//!   truth.
//! - **The engine model in real time, over HTTP** ([`SimConfig::engine`]): a
//!   discrete-event model of a vLLM-like engine ([`engine`]: waiting, admission under KV
//!   blocks and `max_num_seqs`, chunked prefill under `max_num_batched_tokens`, decode,
//!   preemption, prefix caching) with step times from a roofline over the GPU × model
//!   [`catalog`] ([`perf`]) runs on a task that sleeps until each step's end, and hands
//!   each response its tokens as they come. `/metrics` carries vLLM's metric names.
//! - **The engine model in virtual time** ([`runner::VirtualRunner`]): the same engine
//!   behind a simulated client that follows the same run plan, arrival schedule and
//!   workload as a real run (`headroom-load`'s schedule and admission, `headroom-workload`'s
//!   requests) and produces the same records, with no network and no clock: a 10-minute
//!   test runs in well under a second. It implements [`headroom_core::Runner`], so a
//!   capacity search drives it unchanged (`headroom predict`).
//!
//! Over HTTP, chat streams start with a role-only chunk (and, optionally, an
//! empty-content chunk), the way vLLM's do; usage is sent when the request asks for it
//! with `stream_options.include_usage`. Faults are injected deterministically: arrival
//! `i` gets a fault when a seeded hash of `i` falls in that fault's share, so a run of N
//! requests meets an exact, reproducible number of each fault, counted in [`SimStats`].
//! The server is `serve(listener, shutdown)`: tests bind `127.0.0.1:0` and pass the
//! listener in. This crate keeps its own wire structs (it does not share the client's),
//! so a parsing bug cannot cancel itself out between the two.
//!
//! # Layout
//!
//! - [`catalog`]: GPUs, models and architecture defaults (built-in `data/catalog.toml`,
//!   [`catalog::BUILTIN_TOML`], plus a user's file).
//! - [`perf`]: the cost model — KV capacity and the time of one step — and the engine
//!   settings under vLLM's names ([`perf::SimSpec`]); `perf/constants.rs` holds its
//!   named constants ([`perf::PerfConstants`]).
//! - [`engine`]: the scheduler model, stepping in virtual time.
//! - [`runner`]: the virtual-time runner ([`runner::VirtualRunner`]).
//! - `server/`: the HTTP front — settings and router ([`Sim`], [`SimConfig`]), routes
//!   (refusals and status faults), and the response generator (pacing, SSE, stream
//!   faults); `driver.rs` runs the engine in real time for it; `prom.rs` renders
//!   `/metrics`; `wire.rs` reads request bodies; `text.rs` holds the generated words.
//! - `faults.rs`: [`Faults`] and how a request is picked for one.
//! - [`calibration`]: published measurements the model is checked against
//!   ([`calibration::CalibrationPoint`]).
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

pub use faults::{FaultError, FaultKind, FaultSpec, Faults};
pub use local::LocalSim;
pub use options::{EngineError, EngineOptions};
pub use prom::ServerMetrics;
pub use server::{FixedTiming, Sim, SimConfig, SimError, SimStats, serve_router};
