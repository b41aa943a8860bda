//! Reports for headroom. Only reads: it turns results into text, tables, charts, HTML and
//! Markdown, and never measures or writes files itself (`headroom_jobs::reports` writes
//! what it returns).
//!
//! # Layout
//!
//! Console and data formats:
//! - [`table`], [`csv`], [`json`]: a run's summary (genai-perf-like table, CSV, JSON),
//!   titled by a [`RunTitle`].
//! - [`levels`]: sweeps (the scaling table, the knee) and capacity searches (the answer,
//!   the levels with their intervals, the envelope) on the console.
//! - [`genai_perf`]: genai-perf's console table and export files, for `headroom profile`.
//! - [`console_table`]: the one style of every table printed on a terminal (the binary's
//!   too).
//!
//! Reports (`report.html`, `report.md`, `plots/`), from data to pixels:
//! - Results come from `headroom_results::read` (a run, a sweep, a capacity search; a
//!   killed run rebuilt from its journal) and `headroom_metrics::timeline` (a run in time
//!   bins).
//! - [`reports`]: the [`document::Document`] of each kind (cards, tables, charts, the
//!   capacity plan's documentation template), one module per kind.
//! - [`figures`]: which charts each report draws (distributions, over time, versus
//!   load, the capacity envelope, comparison overlays), as [`chart::Chart`] data.
//! - [`chart`]: the data model of a chart ([`chart::ChartAxis`], [`chart::Series`] of
//!   [`chart::DataPoint`]s, [`chart::Rule`]s), independent of how it is drawn.
//! - [`draw`]: draws a chart as SVG and PNG (plotters, with a bundled DejaVu Sans): text
//!   measurement, scales and ticks, layout of the plot, legend and labels, the picture,
//!   the PNG backend.
//! - [`html`], [`markdown`], [`text`] (the console): render a document; [`render`] does
//!   the files of a results directory, charts in parallel.
//! - [`compare`]: several results side by side: naming them and matching prices
//!   ([`compare::entries`]), ratios, significance, cost, gates ([`compare::compare`]),
//!   one builder per section.
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
pub mod markdown;
mod num;
pub mod render;
pub mod reports;
mod server;
pub mod text;

pub use console::{RunTitle, csv, json, table};
pub use num::{fmt_num, fmt_thousands};
