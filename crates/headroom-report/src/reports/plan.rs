//! What the reports of a sweep and a capacity search share: the title, meta lines and
//! warnings from the plan's header, the documentation template per level and run, and
//! CDFs by level.

use super::{TemplateRun, template};
use crate::chart::Chart;
use crate::document::{Block, Document, Section, Tone};
use crate::figures;
use crate::{fmt_num, fmt_thousands};
use headroom_capacity::{LevelResult, LoadAxis};
use headroom_metrics::{Dist, Metric, Summary, Verdict};
use headroom_results::read::PlanResults;
use headroom_results::{PlanHeader, PlanStatus};

/// A level in the template's words: `20`, `open loop at 8.00 req/s`.
fn level_words(axis: LoadAxis, level: f64) -> String {
    match axis {
        LoadAxis::Concurrency => fmt_thousands(level, 0),
        LoadAxis::Rate => format!("open loop at {} req/s", fmt_num(level)),
    }
}

/// The title, meta lines and an unfinished plan's warning, from its header.
pub(super) fn header_meta(doc: &mut Document, h: &PlanHeader, kind: &str) {
    doc.title = format!("headroom {kind}: {}", h.model);
    doc.meta
        .push(format!("{} · started {}", h.target, h.started_at));
    doc.meta.push(h.command.join(" "));
    match h.status {
        PlanStatus::Complete => {}
        PlanStatus::Running => doc.warnings.push(format!(
            "This {kind} did not finish (killed?): the report shows the levels measured so far; continue it with `headroom {kind} --resume DIR`."
        )),
        PlanStatus::Interrupted => doc.warnings.push(format!(
            "This {kind} was interrupted: the report shows the levels measured so far; continue it with `headroom {kind} --resume DIR`."
        )),
    }
}

/// The colour of a verdict.
pub(super) fn verdict_tone(v: Verdict) -> Tone {
    match v {
        Verdict::Pass => Tone::Good,
        Verdict::Fail => Tone::Bad,
        Verdict::Inconclusive => Tone::Warn,
    }
}

/// Seed 000's template for every level and run.
pub(super) fn templates(
    levels: &[&LevelResult],
    axis: LoadAxis,
    gpu: Option<&str>,
    slos: &[String],
) -> Section {
    let mut sec = Section::new("Documentation template (one per level and run)");
    let slo_words = if slos.is_empty() {
        None
    } else {
        Some(slos.join(", "))
    };
    for l in levels {
        for r in &l.repeats {
            let status = match &slo_words {
                Some(w) => format!("{} for {w}", r.verdict),
                None => "no SLO given".into(),
            };
            let level = if l.repeats.len() > 1 {
                format!(
                    "{} (run {} of {})",
                    level_words(axis, l.level),
                    r.repeat,
                    l.repeats.len()
                )
            } else {
                level_words(axis, l.level)
            };
            sec.push(template(TemplateRun {
                gpu,
                level,
                p95_ms: r.row.p95_e2e_ms,
                p99_ms: r.row.p99_e2e_ms,
                requests_per_s: r.row.requests_per_s,
                duration_s: r.duration_s,
                status,
                gpus: r.row.gpu,
            }));
        }
    }
    sec
}

/// The levels in increasing order.
pub(super) fn sorted(levels: &[LevelResult]) -> Vec<&LevelResult> {
    let mut v: Vec<&LevelResult> = levels.iter().collect();
    v.sort_by(|a, b| a.level.total_cmp(&b.level));
    v
}

/// A section headed `heading` with the CDFs of request latency and TTFT per level (of
/// `only` those levels when given), when any level has data.
pub(super) fn cdf_section<D>(
    results: &PlanResults<D>,
    axis: LoadAxis,
    only: Option<&[f64]>,
    heading: &str,
) -> Option<Section> {
    let cdfs = cdfs_by_level(results, axis, only);
    if cdfs.is_empty() {
        return None;
    }
    let mut sec = Section::new(heading);
    sec.push(Block::Charts(cdfs));
    Some(sec)
}

/// CDFs of request latency and TTFT per level (at most 8 levels, spread over the range).
fn cdfs_by_level<D>(l: &PlanResults<D>, axis: LoadAxis, only: Option<&[f64]>) -> Vec<Chart> {
    let mut chosen: Vec<&(f64, Summary)> = l
        .summaries
        .iter()
        .filter(|(lv, _)| only.is_none_or(|o| o.contains(lv)))
        .collect();
    chosen.sort_by(|a, b| a.0.total_cmp(&b.0));
    if chosen.len() > 8 {
        let n = chosen.len();
        chosen = (0..8).map(|i| chosen[i * (n - 1) / 7]).collect();
    }
    let mut out = Vec::new();
    for (m, id) in [
        (Metric::E2e, "e2e-cdf-by-level"),
        (Metric::Ttft, "ttft-cdf-by-level"),
    ] {
        let dists: Vec<(String, &Dist)> = chosen
            .iter()
            .map(|(lv, s)| (axis.describe(*lv), s.dist(m)))
            .filter(|(_, d)| !d.is_empty())
            .collect();
        if !dists.is_empty() {
            out.push(figures::cdf(id, m, &dists));
        }
    }
    out
}
