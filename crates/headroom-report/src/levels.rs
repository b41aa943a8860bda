//! Sweeps and capacity searches on the console: seed 004's scaling table with the marked
//! levels, and seed 000's envelope (one row per level and run, PASS/FAIL).

use crate::console_table::{self, align_right};
use crate::num::{count, fmt_num, fmt_thousands};
use comfy_table::{CellAlignment, Table};
use headroom_capacity::sweep::{Marks, RangeEdge, Row};
use headroom_capacity::{EarlyStop, LevelResult, LoadAxis};
use headroom_metrics::slo::{Assessment, GoodputTarget, Slo};
use headroom_results::{CapacityDoc, PlanStatus, SweepDoc};
use std::fmt::Write as _;

/// Milliseconds for people: `850 ms`, `3.62 s`.
pub fn ms(millis: f64) -> String {
    if millis >= 1000.0 {
        format!("{} s", fmt_num(millis / 1e3))
    } else if millis >= 10.0 {
        format!("{} ms", fmt_thousands(millis, 0))
    } else {
        format!("{millis:.2} ms")
    }
}

/// An SLO's value in its unit: latency in ms or s, error rate and goodput share in %,
/// goodput in req/s.
pub fn value(slo: &Slo, amount: f64) -> String {
    match slo {
        Slo::Latency { .. } => ms(amount),
        Slo::Errors { .. } | Slo::Goodput(GoodputTarget::Share(_)) => {
            format!("{:.2}%", amount * 100.0)
        }
        Slo::Goodput(GoodputTarget::PerSecond(_)) => format!("{} req/s", fmt_num(amount)),
    }
}

fn unit_of(slo: &str) -> Option<Slo> {
    slo.parse().ok()
}

/// `3.62 s [3.51–3.74 s]`: the estimate and its interval, in the SLO's unit.
pub fn estimate(assessment: &Assessment) -> String {
    estimate_in(assessment, Some(&assessment.slo))
}

fn estimate_in(a: &Assessment, slo: Option<&Slo>) -> String {
    let f = |v: f64| match slo {
        Some(s) => value(s, v),
        None => fmt_num(v),
    };
    let Some(e) = a.estimate else {
        return "no data".into();
    };
    match &a.interval {
        Some(iv) => {
            let lo = if a.open_below { "…".into() } else { f(iv.lo) };
            let hi = if a.open_above { "…".into() } else { f(iv.hi) };
            format!("{} [{lo}–{hi}]", f(e))
        }
        None => f(e),
    }
}

fn title(kind: &str, model: &str, target: &str, status: PlanStatus) -> String {
    let partial = match status {
        PlanStatus::Complete => "",
        PlanStatus::Running => " (incomplete)",
        PlanStatus::Interrupted => " (interrupted: partial)",
    };
    format!("headroom {kind} | {model} | {target}{partial}\n")
}

/// What the levels' intervals are: `95% interval`, or for sequential levels (judged at
/// the look that decided them, each at its own confidence) the design's overall level.
pub(crate) fn interval_words(doc: &CapacityDoc) -> String {
    let overall = doc.confidence * 100.0;
    let sequential = doc
        .levels
        .iter()
        .flat_map(|l| &l.slos)
        .any(|s| (s.assessment.confidence - doc.confidence).abs() > 1e-9);
    if sequential {
        format!("interval at each level's deciding look: {overall:.0}% overall")
    } else {
        format!("{overall:.0}% interval")
    }
}

/// When the knee is at an end of the tested range: where to add levels to see the real
/// one.
pub(crate) fn knee_edge_hint(
    marks: &Marks,
    axis: LoadAxis,
    levels: impl IntoIterator<Item = f64>,
) -> Option<String> {
    let knee = marks.knee?;
    Some(match marks.knee_at_edge(levels)? {
        RangeEdge::Lowest => format!(
            "The knee is the lowest level tried: levels below {} may give more throughput per \
             second of latency; add some to see where the knee really is.",
            axis.describe(knee)
        ),
        RangeEdge::Highest => format!(
            "The knee is the highest level tried: throughput was still growing faster than \
             latency; add levels above {} to see where it stops.",
            axis.describe(knee)
        ),
    })
}

/// The capacity search: the answer, the levels with each SLO's interval, and the
/// envelope.
pub fn capacity(doc: &CapacityDoc) -> String {
    let h = &doc.header;
    let axis = h.axis;
    let mut out = title("capacity", &h.model, &h.target, h.status);
    let slos: Vec<Option<Slo>> = h.slos.iter().map(|s| unit_of(s)).collect();
    let _ = writeln!(out, "Answer: {}", doc.headline());
    let f = &doc.found;
    let answer_levels = std::iter::once(("passing", f.max_pass))
        .chain(f.inconclusive.iter().map(|l| ("inconclusive", Some(*l))))
        .chain([("first failing", f.first_fail)]);
    for (which, level) in answer_levels {
        let Some(l) = level.and_then(|l| doc.level(l)) else {
            continue;
        };
        let parts: Vec<String> = l
            .slos
            .iter()
            .zip(&slos)
            .map(|(s, u)| format!("{} = {}", s.slo, estimate_in(&s.assessment, u.as_ref())))
            .collect();
        let _ = writeln!(
            out,
            "  {which}: {} — {} ({})",
            axis.describe(l.level),
            parts.join("; "),
            l.verdict
        );
    }
    let _ = writeln!(
        out,
        "  {}, {}; intervals at {:.0}% confidence, within runs and across repeats",
        count(doc.levels.len(), "level", "levels"),
        count(
            doc.levels.iter().map(|l| l.repeats.len()).sum::<usize>(),
            "run",
            "runs"
        ),
        doc.confidence * 100.0
    );

    let mut head = vec![axis.heading().to_string()];
    head.extend(h.slos.iter().cloned());
    head.push("Goodput (req/s)".into());
    let telemetry = TelemetryColumns::of(doc.levels.iter().map(|l| &l.merged));
    head.extend(telemetry.head());
    head.push("Verdict".into());
    let mut t = console_table::new(head);
    let mut sorted: Vec<&LevelResult> = doc.levels.iter().collect();
    sorted.sort_by(|a, b| a.level.total_cmp(&b.level));
    for l in &sorted {
        let mut row = vec![axis.cell(l.level)];
        for (s, u) in l.slos.iter().zip(&slos) {
            row.push(estimate_in(&s.assessment, u.as_ref()));
        }
        row.push(l.merged.goodput_per_s.map_or_else(|| "N/A".into(), fmt_num));
        row.extend(telemetry.cells(&l.merged));
        let stopped = l
            .repeats
            .iter()
            .any(|r| r.early_stop.as_ref().is_some_and(EarlyStop::fails));
        row.push(if stopped {
            format!("{} (stopped early)", l.verdict)
        } else {
            l.verdict.to_string()
        });
        t.add_row(row);
    }
    let columns = t.column_count();
    align_right(&mut t, 0..columns);
    let _ = writeln!(out, "\nLevels (estimate [{}])", interval_words(doc));
    let _ = writeln!(out, "{t}");
    let _ = writeln!(out, "\nEnvelope (one row per level and run)");
    let _ = writeln!(out, "{}", envelope(&sorted, axis));
    for l in &sorted {
        for r in &l.repeats {
            if let Some(e) = &r.early_stop {
                let how = if e.fails() {
                    format!("stopped early ({})", e.rule)
                } else {
                    "decided".to_string()
                };
                let _ = writeln!(
                    out,
                    "{} run {}: {how}: {}",
                    axis.describe(l.level),
                    r.repeat,
                    e.detail
                );
            } else if let Some(u) = &r.start_up {
                let (level, run) = (axis.describe(l.level), r.repeat);
                let _ = writeln!(out, "{level} run {run}: {}", u.describe());
            }
        }
    }
    out
}

/// Seed 000's documentation template as a table: one row per level and run.
fn envelope(levels: &[&LevelResult], axis: LoadAxis) -> Table {
    let mut t = console_table::new(
        [
            axis.heading(),
            "Run",
            "P95 latency (s)",
            "P99 latency (s)",
            "Throughput (req/s)",
            "Output (tok/s)",
            "Errors",
            "Goodput (req/s)",
            "Duration",
            "Status (estimate)",
        ]
        .map(String::from)
        .to_vec(),
    );
    for l in levels {
        for r in &l.repeats {
            t.add_row(vec![
                axis.cell(l.level),
                r.repeat.to_string(),
                fmt_num(r.row.p95_e2e_ms / 1e3),
                fmt_num(r.row.p99_e2e_ms / 1e3),
                fmt_num(r.row.requests_per_s),
                fmt_num(r.row.output_tokens_per_s),
                format!("{:.2}%", r.row.error_rate * 100.0),
                r.row.goodput_per_s.map_or_else(|| "N/A".into(), fmt_num),
                duration(r.duration_s),
                r.verdict.to_string(),
            ]);
        }
    }
    let columns = t.column_count();
    align_right(&mut t, 0..columns);
    t
}

fn duration(s: f64) -> String {
    if s >= 120.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.1} s")
    }
}

/// One CSV row per level and run (the envelope).
pub fn envelope_csv(levels: &[LevelResult], axis: LoadAxis) -> String {
    let mut out = String::from(
        "level_axis,level,run,p50_latency_ms,p95_latency_ms,p99_latency_ms,mean_latency_ms,mean_ttft_ms,requests_per_s,output_tokens_per_s,error_rate,goodput_per_s,duration_s,status,dir\n",
    );
    for l in levels {
        for r in &l.repeats {
            let _ = writeln!(
                out,
                "{},{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{:.4},{:.3},{:.5},{},{:.3},{},{}",
                match axis {
                    LoadAxis::Concurrency => "concurrency",
                    LoadAxis::Rate => "rate",
                },
                l.level,
                r.repeat,
                r.row.p50_e2e_ms,
                r.row.p95_e2e_ms,
                r.row.p99_e2e_ms,
                r.row.mean_e2e_ms,
                r.row.mean_ttft_ms,
                r.row.requests_per_s,
                r.row.output_tokens_per_s,
                r.row.error_rate,
                r.row
                    .goodput_per_s
                    .map_or_else(String::new, |g| format!("{g:.4}")),
                r.duration_s,
                r.verdict,
                r.dir
            );
        }
    }
    out
}

/// Seed 004's scaling table: one row per level with the marks in a last column.
fn sweep_table(doc: &SweepDoc) -> Table {
    let h = &doc.header;
    let axis = h.axis;
    let m = &doc.marks;
    let with_slo = !h.slos.is_empty();
    let mut head: Vec<String> = [
        axis.heading(),
        "Req/s",
        "Output tok/s",
        "Avg latency (s)",
        "P95 latency (s)",
        "P99 latency (s)",
        "Avg TTFT (ms)",
        "Errors",
    ]
    .map(String::from)
    .to_vec();
    let telemetry = TelemetryColumns::of(doc.levels.iter().map(|l| &l.merged));
    head.extend(telemetry.head());
    if with_slo {
        head.push("Goodput (req/s)".into());
        head.push(h.slos.join(", "));
    }
    head.push("Note".into());
    let mut t = console_table::new(head);
    let is = |o: Option<f64>, l: f64| o == Some(l);
    for l in doc.rows() {
        let r = &l.merged;
        let mut notes = Vec::new();
        if is(m.knee, l.level) {
            notes.push("knee (recommended)");
        }
        if is(m.best_latency, l.level) {
            notes.push("best latency");
        }
        if is(m.max_throughput, l.level) {
            notes.push("max throughput");
        }
        if m.over_saturated.contains(&l.level) {
            notes.push("over-saturated");
        }
        let mut row = vec![
            axis.cell(l.level),
            fmt_num(r.requests_per_s),
            fmt_num(r.output_tokens_per_s),
            fmt_num(r.mean_e2e_ms / 1e3),
            fmt_num(r.p95_e2e_ms / 1e3),
            fmt_num(r.p99_e2e_ms / 1e3),
            if r.mean_ttft_ms > 0.0 {
                fmt_num(r.mean_ttft_ms)
            } else {
                "N/A".into()
            },
            format!("{:.2}%", r.error_rate * 100.0),
        ];
        row.extend(telemetry.cells(r));
        if with_slo {
            row.push(r.goodput_per_s.map_or_else(|| "N/A".into(), fmt_num));
            row.push(l.verdict.to_string());
        }
        row.push(notes.join(", "));
        t.add_row(row);
    }
    let columns = t.column_count();
    align_right(&mut t, 0..columns);
    let last = t.column_count() - 1;
    if let Some(c) = t.column_mut(last) {
        c.set_cell_alignment(CellAlignment::Left);
    }
    t
}

/// The telemetry columns of a levels table: the server's queue and KV cache when it was
/// scraped, the GPUs' peak memory when they were read.
#[derive(Debug, Clone, Copy)]
pub struct TelemetryColumns {
    server: bool,
    gpu: bool,
}

impl TelemetryColumns {
    /// The columns `rows` have data for.
    pub fn of<'a>(rows: impl Iterator<Item = &'a Row> + Clone) -> Self {
        TelemetryColumns {
            server: rows.clone().any(|r| r.server.is_some()),
            gpu: rows
                .into_iter()
                .any(|r| r.gpu.is_some_and(|g| g.vram_max_bytes.is_some())),
        }
    }

    /// Their headings.
    pub fn head(&self) -> Vec<String> {
        let mut h = Vec::new();
        if self.server {
            h.extend([
                "Server queue (mean/max)".into(),
                "KV cache (mean/max)".into(),
            ]);
        }
        if self.gpu {
            h.push("VRAM peak (GiB)".into());
        }
        h
    }

    /// A level's cells: `0.3 / 12`, `5.8 / 6.8 %`, `73.2`; `—` where nothing was said.
    pub fn cells(&self, r: &Row) -> Vec<String> {
        let mut out = Vec::new();
        if self.server {
            let s = r.server.unwrap_or_default();
            let pair = |mean: Option<f64>, max: Option<f64>, scale: f64, digits: usize| match (
                mean, max,
            ) {
                (Some(a), Some(b)) => format!(
                    "{} / {}",
                    fmt_thousands(a * scale, 1),
                    fmt_thousands(b * scale, digits)
                ),
                _ => "—".into(),
            };
            out.push(pair(s.waiting_mean, s.waiting_max, 1.0, 0));
            out.push(match (s.kv_mean, s.kv_max) {
                (Some(_), Some(_)) => format!("{} %", pair(s.kv_mean, s.kv_max, 100.0, 1)),
                _ => "—".into(),
            });
        }
        if self.gpu {
            out.push(r.gpu.and_then(|g| g.vram_max_bytes).map_or_else(
                || "—".into(),
                |b| format!("{:.1}", b / (1024.0 * 1024.0 * 1024.0)),
            ));
        }
        out
    }
}

/// The sweep: seed 004's scaling table with the marked levels, and what they mean.
pub fn sweep(doc: &SweepDoc) -> String {
    let h = &doc.header;
    let axis = h.axis;
    let m = &doc.marks;
    let mut out = title("sweep", &h.model, &h.target, h.status);
    let t = sweep_table(doc);
    let _ = writeln!(out, "{t}");
    let find = |o: Option<f64>| o.and_then(|v| doc.levels.iter().find(|l| l.level == v));
    if let Some(l) = find(m.max_throughput) {
        let _ = writeln!(
            out,
            "Maximum throughput: {} ({} output tok/s, {} req/s)",
            axis.describe(l.level),
            fmt_num(l.merged.output_tokens_per_s),
            fmt_num(l.merged.requests_per_s)
        );
    }
    if let Some(l) = find(m.best_latency) {
        let _ = writeln!(
            out,
            "Best latency: {} (mean {} s, P99 {} s)",
            axis.describe(l.level),
            fmt_num(l.merged.mean_e2e_ms / 1e3),
            fmt_num(l.merged.p99_e2e_ms / 1e3)
        );
    }
    if let Some(l) = find(m.knee) {
        let _ = writeln!(
            out,
            "Knee (recommended): {} — the most throughput per second of latency; above it latency grows faster than throughput",
            axis.describe(l.level)
        );
        if let Some(hint) = knee_edge_hint(m, axis, doc.levels.iter().map(|l| l.level)) {
            let _ = writeln!(out, "  {hint}");
        }
    }
    if !m.over_saturated.is_empty() {
        let list: Vec<String> = m.over_saturated.iter().map(|v| axis.cell(*v)).collect();
        let _ = writeln!(
            out,
            "Over-saturated: {} (more load, less throughput than the maximum)",
            list.join(", ")
        );
    }
    if !doc.probes.is_empty() {
        let list: Vec<String> = doc
            .probes
            .iter()
            .map(|p| format!("c{} {} req/s", p.level, fmt_num(p.requests_per_s)))
            .collect();
        let _ = writeln!(out, "Probes of maximum throughput: {}", list.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_knee_at_the_edge_of_the_range_says_where_to_add_levels() {
        let marks = Marks {
            knee: Some(10.0),
            ..Marks::default()
        };
        let hint = knee_edge_hint(&marks, LoadAxis::Concurrency, [10.0, 20.0, 40.0]).unwrap();
        assert!(hint.contains("levels below 10 concurrent"), "{hint}");
        let hint = knee_edge_hint(&marks, LoadAxis::Rate, [2.5, 5.0, 10.0]).unwrap();
        assert!(hint.contains("add levels above 10 req/s"), "{hint}");
        assert_eq!(
            knee_edge_hint(&marks, LoadAxis::Concurrency, [5.0, 10.0, 20.0]),
            None
        );
    }
}
