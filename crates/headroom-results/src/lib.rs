//! The results directory of headroom: the one owner of its format.
//!
//! Every file a run, a sweep or a capacity search leaves is named, written and read here,
//! and each JSON file has a JSON Schema (feature `schema`; committed in `schemas/` and
//! validated against real output in tests). Nothing here measures or decides anything.
//!
//! # Layout
//!
//! - [`files`]: every file name, and the directory layout.
//! - [`write`]: the one atomic writer (temporary file, sync, rename) and the JSON reader.
//! - [`manifest`]: `manifest.json`, what was run against what and how it ended.
//! - [`journal`]: `requests.jsonl`, one record per line, crash-safe.
//! - [`plan`]: `capacity.json` and `sweep.json`, a plan's state after every level.
//! - [`watch`]: `watch.json`, beside each finished run of a level (resume reuses it).
//! - [`read`]: a run, a sweep or a capacity search read back ([`read::Results`]); a run
//!   killed before its summary is rebuilt from its journal, with its timeline.
//! - [`dir`]: creating run and plan directories, run ids, keeping interrupted runs aside.
//! - [`command`]: the stored command line, with secrets hidden.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod command;
pub mod dir;
pub mod files;
pub mod journal;
pub mod manifest;
pub mod plan;
pub mod read;
pub mod watch;
pub mod write;

pub use dir::DirError;
pub use journal::{Journal, JournalWriter, Lines, read_journal, read_telemetry};
pub use manifest::{
    FORMAT_VERSION, HostInfo, Manifest, ProcessStats, RunStatus, TargetInfo, ToolInfo, rfc3339,
};
pub use plan::{CapacityDoc, PlanHeader, PlanKind, PlanStatus, SweepDoc};
pub use watch::WatchRecord;
pub use write::{read_json, write_atomic, write_json};
