//! The report of a sweep: the knee, maximum throughput and best latency first, the
//! levels with their marks, charts versus load, CDFs by level and the template.

use super::plan::{cdf_section, header_meta, sorted, templates};
use crate::document::{Block, Card, Cell, Document, Section, Table, Tone};
use crate::figures;
use crate::levels::ms;
use crate::num::count;
use crate::{fmt_num, fmt_thousands};
use headroom_capacity::sweep::{Marks, Row};
use headroom_capacity::{LevelResult, LoadAxis};
use headroom_results::SweepDoc;
use headroom_results::read::PlanResults;

/// The levels of a sweep: throughput, latency, errors, goodput when SLOs were given,
/// and the marked levels (knee, maximum throughput, best latency, over-saturated).
fn rows_table(
    levels: &[&LevelResult],
    axis: LoadAxis,
    marks: Option<&Marks>,
    with_slos: bool,
) -> Table {
    // Without SLOs every request "meets" them: goodput would only repeat req/s.
    let with_goodput = with_slos && levels.iter().any(|l| l.merged.goodput_per_s.is_some());
    let mut head = vec![
        axis.heading().to_string(),
        "Req/s".into(),
        "Output tok/s".into(),
        "P50 latency".into(),
        "P95 latency".into(),
        "P99 latency".into(),
        "P95 TTFT".into(),
        "Errors".into(),
    ];
    if with_goodput {
        head.push("Goodput (req/s)".into());
    }
    let telemetry = crate::levels::TelemetryColumns::of(levels.iter().map(|l| &l.merged));
    head.extend(telemetry.head());
    if marks.is_some() {
        head.push("Mark".into());
    }
    let mut t = Table::new(head);
    if marks.is_some() {
        t.left = vec![t.head.len() - 1];
    }
    for l in levels {
        let r = &l.merged;
        let mut row: Vec<Cell> = vec![
            axis.cell(l.level).into(),
            fmt_num(r.requests_per_s).into(),
            fmt_num(r.output_tokens_per_s).into(),
            ms(r.p50_e2e_ms).into(),
            ms(r.p95_e2e_ms).into(),
            ms(r.p99_e2e_ms).into(),
            ms(r.p95_ttft_ms).into(),
            Cell::toned(
                format!("{:.2}%", r.error_rate * 100.0),
                if r.error_rate > 0.0 {
                    Tone::Bad
                } else {
                    Tone::Neutral
                },
            ),
        ];
        if with_goodput {
            row.push(r.goodput_per_s.map_or_else(|| "N/A".into(), fmt_num).into());
        }
        row.extend(telemetry.cells(r).into_iter().map(Cell::from));
        if let Some(mk) = marks {
            let mut words = Vec::new();
            if mk.knee == Some(l.level) {
                words.push("knee (recommended)");
            }
            if mk.max_throughput == Some(l.level) {
                words.push("max throughput");
            }
            if mk.best_latency == Some(l.level) {
                words.push("best latency");
            }
            if mk.over_saturated.contains(&l.level) {
                words.push("over-saturated");
            }
            let tone = if mk.over_saturated.contains(&l.level) {
                Tone::Bad
            } else if mk.knee == Some(l.level) {
                Tone::Good
            } else {
                Tone::Neutral
            };
            row.push(Cell::toned(words.join(", "), tone));
        }
        t.rows.push(row);
    }
    t
}

/// The report of a sweep; `gpu` names the GPU in the documentation template.
pub fn sweep_document(results: &PlanResults<SweepDoc>, gpu: Option<String>) -> Document {
    let d = &results.doc;
    let h = &d.header;
    let axis = h.axis;
    let mut doc = Document::default();
    header_meta(&mut doc, h, "sweep");
    let levels = sorted(&d.levels);
    let find = |v: Option<f64>| v.and_then(|v| levels.iter().find(|x| x.level == v));
    if let Some(k) = find(d.marks.knee) {
        doc.cards.push(
            Card::new("Knee (recommended)", axis.describe(k.level))
                .detail(format!(
                    "{} req/s at P95 {}",
                    fmt_num(k.merged.requests_per_s),
                    ms(k.merged.p95_e2e_ms)
                ))
                .tone(Tone::Good),
        );
        let levels = d.levels.iter().map(|l| l.level);
        if let Some(hint) = crate::levels::knee_edge_hint(&d.marks, axis, levels) {
            doc.warnings.push(hint);
        }
    }
    if let Some(k) = find(d.marks.max_throughput) {
        doc.cards.push(
            Card::new(
                "Max throughput",
                format!("{} tok/s", fmt_thousands(k.merged.output_tokens_per_s, 0)),
            )
            .detail(format!("at {}", axis.describe(k.level))),
        );
    }
    if let Some(k) = find(d.marks.best_latency) {
        doc.cards.push(
            Card::new("Best P95 latency", ms(k.merged.p95_e2e_ms))
                .detail(format!("at {}", axis.describe(k.level))),
        );
    }
    doc.cards
        .push(Card::new("Levels", levels.len().to_string()).detail(count(
            levels.iter().map(|l| l.repeats.len()).sum::<usize>(),
            "run",
            "runs",
        )));
    if !d.marks.over_saturated.is_empty() {
        doc.cards.push(
            Card::new(
                "Over-saturated",
                d.marks
                    .over_saturated
                    .iter()
                    .map(|v| axis.cell(*v))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
            .detail("more load, less throughput")
            .tone(Tone::Bad),
        );
    }
    let mut sec = Section::new("Levels");
    sec.push(Block::Table(
        None,
        rows_table(&levels, axis, Some(&d.marks), !h.slos.is_empty()),
    ));
    sec.push(Block::Text(
        "Knee: the level with the highest throughput ÷ mean latency (the recommended operating point). Over-saturated: above the maximum-throughput level with less than 95 % of its throughput.".into(),
    ));
    doc.sections.push(sec);
    let rows: Vec<&Row> = levels.iter().map(|l| &l.merged).collect();
    let mut ch = Section::new("Versus load");
    ch.push(Block::Charts(figures::versus_load(
        axis,
        &rows,
        d.marks.knee,
        None,
        !h.slos.is_empty(),
    )));
    doc.sections.push(ch);
    doc.sections
        .extend(cdf_section(results, axis, None, "Distributions by level"));
    doc.sections
        .push(templates(&levels, axis, gpu.as_deref(), &h.slos));
    doc
}
