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
use headroom_capacity::GpuRow;
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
    /// The GPUs, when they were read.
    pub(super) gpus: Option<GpuRow>,
}

/// `73.0 GiB of 80.0 GiB (the most used, fullest GPU)`.
pub(crate) fn vram_words(g: &GpuRow) -> Option<String> {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    let used = g.vram_max_bytes?;
    Some(match g.vram_total_bytes {
        Some(t) => format!("{:.1} GiB of {:.1} GiB (peak)", used / GIB, t / GIB),
        None => format!("{:.1} GiB (peak)", used / GIB),
    })
}

/// The template's block for one run.
pub(super) fn template(t: TemplateRun<'_>) -> Block {
    let not_measured = || "not measured (no GPU telemetry in this run)".to_string();
    let vram = t
        .gpus
        .as_ref()
        .and_then(vram_words)
        .unwrap_or_else(not_measured);
    let util = t
        .gpus
        .and_then(|g| g.utilization_mean)
        .map_or_else(not_measured, |u| format!("{:.0}% (mean)", u * 100.0));
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
        ("VRAM Usage".into(), vram),
        ("GPU Utilization".into(), util),
        ("Test Duration".into(), duration(t.duration_s)),
        ("Status".into(), t.status),
    ])
}
