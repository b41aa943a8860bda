//! The jobs headroom runs, as a library: one run into a results directory, and sweeps and
//! capacity searches level by level (resumable), against a server, the embedded simulator
//! or the simulated engine in virtual time. The binary parses flags into the settings
//! here, calls these functions and prints; tests call them in-process.
//!
//! # Layout
//!
//! - [`settings`]: every value a user can give, checked once ([`SettingsError`] is a
//!   usage error): load, target, output, levels, sweeps, searches.
//! - [`workload`]: the workload settings and the request source they build.
//! - [`place`]: where a job runs ([`Place`]): a server over HTTP (the embedded simulator
//!   without a URL) or the engine in virtual time; it hands out the runner.
//! - [`job`]: one run into its results directory ([`record`]): manifest, journal,
//!   summary, the SLO watch of a level, the progress display ([`Progress`]).
//! - [`levels`]: one level's run in its subdirectory of a plan, reused when resuming.
//! - [`plans`]: sweeps and capacity searches as one loop over a
//!   [`Plan`](headroom_capacity::Plan) ([`run_plan`]).
//! - [`genai_perf`]: genai-perf's `profile` as a job, with its statistics files.
//! - [`reports`]: `report.html`, `report.md` and `plots/` of a results directory.
//! - [`catalog`]: what the simulator knows (`headroom catalog`), as text.
//! - [`error`]: why a job failed ([`JobError`]).
//!
//! # One run
//!
//! Settings → [`Workload::build`] and [`LoadOptions::plan`] → [`Place::connect`] (checks
//! the server with `/v1/models`, or starts the embedded simulator) → [`record`]: the
//! results directory and `manifest.json` (status `running`), then the runner sends
//! requests and every record goes through the sink — `requests.jsonl` first, then one
//! [`Recorder`](headroom_metrics::Recorder) — until the stop rule or an interrupt; then
//! `summary.json` and the final manifest. The binary prints the table and calls
//! [`reports::write_reports_after`].
//!
//! # One capacity decision
//!
//! [`CapacityOptions::plan`] gives a [`Capacity`](headroom_capacity::Capacity) search
//! (no I/O). [`run_plan`] asks it for the next level and repeat, derives the run's seed
//! and plan, and [`record`]s the run into `c15-r2/` with a
//! [`Watch`](headroom_capacity::Watch) counting goodput and stopping a clearly failing
//! level early; `watch.json` marks the run finished. The measurement goes back to the
//! search, which judges the level once its repeats are in (the pass rule over confidence
//! intervals) and picks the next level; `capacity.json` is rewritten after every run. A
//! resumed search replays the runs on disk through the same `next`/`record`, so it makes
//! the same decisions.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod catalog;
pub mod error;
pub mod genai_perf;
mod gpu;
mod host;
pub mod job;
pub mod levels;
pub mod place;
pub mod plans;
pub mod reports;
pub mod settings;
pub mod sink;
mod telemetry;
pub mod workload;

pub use error::JobError;
pub use job::{Recorded, RunJob, Tool, record};
pub use place::Place;
pub use plans::{CapacitySearch, PlanEnd, PlanJob, PlanSettings, run_plan};
pub use settings::{
    BudgetOptions, CapacityOptions, GpuSource, LevelOptions, LoadOptions, MetricsSource,
    OutputOptions, SettingsError, SweepOptions, TargetOptions,
};
pub use sink::{NoProgress, Progress};
pub use workload::{Workload, WorkloadOptions};
