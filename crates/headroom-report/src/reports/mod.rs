//! The report [`Document`] of a run, a sweep and a capacity search: the answer first,
//! then tables, charts and seed 000's documentation template per level and run.
//!
//! - `run`: one run (cards, statistics, the template, distributions, over time, setup);
//! - `sweep` and `capacity`: a sweep and a capacity search, with what they share in
//!   `plan` (the title and warnings, the template per level and run, CDFs by level).

mod capacity;
mod plan;
mod run;
mod sweep;

pub use capacity::capacity_document;
pub use run::run_document;
pub use sweep::sweep_document;

use crate::document::{Block, Document};
use crate::fmt_num;
use headroom_results::read::Results;

/// The report of whatever `results` holds.
pub fn document(results: &Results) -> Document {
    match results {
        Results::Run(run) => run_document(run, results.gpu()),
        Results::Sweep(s) => sweep_document(s, results.gpu()),
        Results::Capacity(c) => capacity_document(c, results.gpu()),
    }
}

/// A duration for people: `52.13 s`, `10.00 minutes`.
pub(super) fn duration(s: f64) -> String {
    if s >= 120.0 {
        format!("{} minutes", fmt_num(s / 60.0))
    } else {
        format!("{} s", fmt_num(s))
    }
}

/// Seed 000's documentation template for one run.
pub(super) struct TemplateRun<'a> {
    pub(super) gpu: Option<&'a str>,
    pub(super) level: String,
    pub(super) p95_ms: f64,
    pub(super) p99_ms: f64,
    pub(super) requests_per_s: f64,
    pub(super) duration_s: f64,
    pub(super) status: String,
}

/// The template's block for one run.
pub(super) fn template(t: TemplateRun<'_>) -> Block {
    let not_measured = "not measured (no GPU telemetry in this run)".to_string();
    Block::Template(vec![
        (
            "GPU".into(),
            t.gpu.map_or_else(
                || "not recorded (add --label gpu=NAME)".into(),
                str::to_string,
            ),
        ),
        ("Concurrent Requests".into(), t.level),
        (
            "P95 Response Time".into(),
            format!("{:.2}s", t.p95_ms / 1e3),
        ),
        (
            "P99 Response Time".into(),
            format!("{:.2}s", t.p99_ms / 1e3),
        ),
        (
            "Throughput".into(),
            format!("{:.2} req/s", t.requests_per_s),
        ),
        ("VRAM Usage".into(), not_measured.clone()),
        ("GPU Utilization".into(), not_measured),
        ("Test Duration".into(), duration(t.duration_s)),
        ("Status".into(), t.status),
    ])
}
