//! Reports for headroom. Only reads: it formats a [`Summary`] and never measures or
//! writes files itself.
//!
//! - [`table`]: the console table, one row per statistic like genai-perf's, with columns
//!   avg, min, max, p99, p95, p90, p75, p50, followed by throughput and error lines.
//! - [`csv`]: the same numbers as CSV.
//! - [`json`]: the summary as JSON (the shape of `summary.json`).
//! - [`levels`]: sweeps (the scaling table, the knee) and capacity searches (the answer,
//!   the levels with their intervals, the envelope).
//! - [`chart`] and [`plot`]: charts as data, drawn as SVG or PNG.
//! - [`genai_perf`]: genai-perf's console table, `profile_export_genai_perf.json` and
//!   `.csv`, for `headroom profile`.
//!
//! [`Summary`]: headroom_metrics::Summary
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chart;
pub mod charts;
pub mod compare;
mod console;
pub mod document;
pub mod genai_perf;
pub mod html;
pub mod levels;
pub mod load;
pub mod markdown;
mod num;
pub mod plot;
pub mod render;
pub mod reports;
pub mod text;
pub mod timeline;

pub use console::{Header, csv, json, table};
pub use num::{fmt_num, fmt_thousands};
