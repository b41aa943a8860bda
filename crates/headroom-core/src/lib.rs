//! Shared vocabulary of headroom, the LLM-serving load tester.
//!
//! Everything the other crates exchange is defined here, so that the load driver, the
//! HTTP client, the simulator and the reports agree on one meaning for each word.
//!
//! # Layout
//!
//! - [`request`]: what to send ([`RequestSpec`], [`Prompt`]).
//! - [`record`]: what happened to one request ([`RequestRecord`], [`Outcome`], [`ErrorKind`]).
//!   Every request ends as `Ok` or an error kind; nothing is dropped silently.
//! - [`load`]: when to send ([`LoadPolicy`], [`ArrivalKind`], [`StopRule`], [`Warmup`], [`RunPlan`]),
//!   and what can make a plan unrunnable ([`PlanError`], [`ArrivalError`]).
//! - [`length`]: token-length distributions ([`LengthSpec`]; a lengths file's [`LengthsFileError`]).
//! - [`scenario`]: the fully resolved description of a run, serialized into every result.
//! - [`seed`]: deriving independent, platform-stable seeds (`seed::mix`).
//! - [`duration`]: durations as people write them (`10m`, `500ms`; [`duration::DurationError`]).
//! - [`traits`]: the seams between crates: [`Backend`] (sends one request), [`RequestSource`]
//!   (makes request `i`), [`Runner`] (runs a plan and feeds records to a [`RecordSink`];
//!   why it could not finish: [`RunError`]),
//!   [`TokenCounter`] and [`Clock`].
//!
//! This crate depends on serde, serde_json, humantime and thiserror only; optional features
//! derive `clap::ValueEnum` (`clap`) and JSON Schema (`schema`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod duration;
pub mod length;
pub mod load;
pub mod record;
pub mod request;
pub mod scenario;
pub mod seed;
pub mod traits;

pub use api::ApiFlavor;
pub use length::{LengthSpec, LengthsFileError};
pub use load::{
    ArrivalError, ArrivalKind, Conversation, LoadPolicy, PlanError, RunPlan, StopRule, Warmup,
    WarmupError,
};
pub use record::{ErrorKind, Outcome, Phase, RequestRecord, TokenSource};
pub use request::{Message, Prompt, RequestSpec, Segment, Tags};
pub use scenario::{Scenario, Target, WorkloadSpec};
pub use traits::{
    Backend, Clock, RecordSink, RequestCtx, RequestSource, RunError, RunInfo, Runner, SinkError,
    TokenCounter,
};
