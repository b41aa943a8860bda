//! Reports for headroom. Only reads: it turns results into text, tables, charts, HTML and
//! Markdown, and never measures or writes files itself (the binary writes what it returns).
//!
//! Console and data formats:
//! - [`table`], [`csv`], [`json`]: a run's summary (genai-perf-like table, CSV, JSON).
//! - [`levels`]: sweeps (the scaling table, the knee) and capacity searches (the answer,
//!   the levels with their intervals, the envelope) on the console.
//! - [`genai_perf`]: genai-perf's console table and export files, for `headroom profile`.
//!
//! Reports (`report.html`, `report.md`, `plots/`):
//! - [`load`]: reads a results directory back (a run, a sweep, a capacity search); a run
//!   killed before its summary is rebuilt from its journal. [`timeline`]: a run in time bins.
//! - [`reports`]: the [`document::Document`] of each kind (cards, tables, charts, seed
//!   000's documentation template), built from [`charts`] (what to draw, as
//!   [`chart::Chart`] data).
//! - [`plot`]: draws a chart as SVG and PNG (plotters, with a bundled DejaVu Sans).
//! - [`html`], [`markdown`], [`text`]: render a document; [`render`] does all of it, charts
//!   in parallel.
//! - [`compare`]: several results side by side: ratios, significance, cost, gates.
//!
//! [`Summary`]: headroom_metrics::Summary
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chart;
pub mod compare;
mod console;
pub mod console_table;
pub mod document;
pub mod draw;
pub mod figures;
pub mod genai_perf;
pub mod html;
pub mod levels;
pub mod load;
pub mod markdown;
mod num;
pub mod render;
pub mod reports;
pub mod text;

pub use console::{RunTitle, csv, json, table};
/// A run in time bins; it lives in `headroom_metrics` (pure, and built incrementally while
/// a run goes), re-exported here for the readers of results directories.
pub use headroom_metrics::timeline;
pub use num::{fmt_num, fmt_thousands};
