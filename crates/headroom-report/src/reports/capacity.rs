//! The report of a capacity search: the answer and the levels around it first, then
//! each SLO's estimate per level, the envelope (a chart per SLO, a row per level and
//! run), charts versus load, CDFs at the capacity and the first failing level, and the
//! template per level and run.

use super::duration;
use super::plan::{cdf_section, header_meta, sorted, templates, verdict_tone};
use crate::document::{Block, Card, Cell, Document, Section, Table, Tone};
use crate::figures;
use crate::levels::{estimate, ms};
use crate::num::count;
use crate::{fmt_num, fmt_thousands};
use headroom_capacity::sweep::Row;
use headroom_capacity::{LevelResult, LoadAxis, PassRule};
use headroom_metrics::{Metric, Slo};
use headroom_results::CapacityDoc;
use headroom_results::read::PlanResults;

/// The report of a capacity search; `gpu` names the GPU in the documentation template.
pub fn capacity_document(results: &PlanResults<CapacityDoc>, gpu: Option<String>) -> Document {
    let d = &results.doc;
    let h = &d.header;
    let axis = h.axis;
    let mut doc = Document::default();
    header_meta(&mut doc, h, "capacity");
    let levels = sorted(&d.levels);
    let slos: Vec<Option<Slo>> = h.slos.iter().map(|s| s.parse().ok()).collect();
    doc.cards = cards(d, &levels);
    doc.sections.push(levels_section(d, &levels));
    doc.sections.push(envelope_section(d, &levels, &slos));

    let rows: Vec<&Row> = levels.iter().map(|l| &l.merged).collect();
    let slo_line = slos.iter().flatten().find_map(|s| match s {
        Slo::Latency {
            metric: Metric::E2e,
            ..
        } => Some((s.threshold(), format!("SLO {s}"))),
        _ => None,
    });
    let mut ch = Section::new("Versus load");
    ch.push(Block::Charts(figures::versus_load(
        axis, &rows, None, slo_line, true,
    )));
    doc.sections.push(ch);
    let around: Vec<f64> = [d.found.max_pass, d.found.first_fail]
        .into_iter()
        .flatten()
        .collect();
    doc.sections.extend(cdf_section(
        results,
        axis,
        (!around.is_empty()).then_some(around.as_slice()),
        "Distributions at the capacity and the first failing level",
    ));
    doc.sections
        .push(templates(&levels, axis, gpu.as_deref(), &h.slos));
    doc
}

/// The headline: the capacity, the passing and first failing levels with each SLO's
/// estimate, the throughput at capacity, and how many runs.
fn cards(d: &CapacityDoc, levels: &[&LevelResult]) -> Vec<Card> {
    let h = &d.header;
    let axis = h.axis;
    let found = &d.found;
    // Inconclusive levels above the highest pass make the answer a range (or leave it
    // undecided): a warning, never a failure.
    let answer_tone = match (found.max_pass, found.limit_reached, found.range()) {
        (_, _, Some(_)) | (Some(_), true, _) => Tone::Warn,
        (Some(_), false, None) => Tone::Good,
        (None, _, None) => Tone::Bad,
    };
    let answer = match (found.max_pass, found.range()) {
        (Some(low), Some((_, high))) => format!("{}–{}", axis.cell(low), axis.describe(high)),
        (None, Some(_)) => "undecided".into(),
        (Some(m), None) if found.limit_reached => format!("≥ {}", axis.describe(m)),
        (Some(m), None) => format!("max {}", axis.describe(m)),
        (None, None) => "none passed".into(),
    };
    let answer_detail = match found.range() {
        Some(_) => format!(
            "at {}; {} inconclusive: more requests per level would decide",
            h.slos.join(", "),
            count(found.inconclusive.len(), "level", "levels")
        ),
        None => format!("at {}", h.slos.join(", ")),
    };
    let mut cards = vec![
        Card::new("Capacity", answer)
            .detail(answer_detail)
            .tone(answer_tone),
    ];
    for (which, lv) in [
        ("Passing level", found.max_pass),
        ("First failing level", found.first_fail),
    ] {
        if let Some(lr) = lv.and_then(|v| d.level(v)) {
            cards.push(level_card(which, axis, lr));
        }
    }
    if let Some(lr) = found.max_pass.and_then(|v| d.level(v)) {
        cards.push(
            Card::new(
                "Throughput at capacity",
                format!("{} req/s", fmt_num(lr.merged.requests_per_s)),
            )
            .detail(format!(
                "{} output tok/s",
                fmt_thousands(lr.merged.output_tokens_per_s, 0)
            )),
        );
    }
    cards.push(
        Card::new(
            "Runs",
            levels
                .iter()
                .map(|l| l.repeats.len())
                .sum::<usize>()
                .to_string(),
        )
        .detail(format!(
            "{}, {}; {:.0}% intervals",
            count(levels.len(), "level", "levels"),
            if h.repeats == 1 {
                "1 run each".to_string()
            } else {
                format!("up to {} repeats each", h.repeats)
            },
            d.confidence * 100.0
        )),
    );
    cards
}

/// A level's card: its verdict and each SLO's estimate there.
fn level_card(which: &str, axis: LoadAxis, lr: &LevelResult) -> Card {
    let parts: Vec<String> = lr
        .slos
        .iter()
        .map(|s| format!("{} = {}", s.slo, estimate(&s.assessment)))
        .collect();
    Card::new(
        which,
        format!("{} ({})", axis.describe(lr.level), lr.verdict),
    )
    .detail(parts.join("; "))
    .tone(verdict_tone(lr.verdict))
}

/// The levels with each SLO's estimate and interval, goodput and verdict, and how a
/// level passes.
fn levels_section(d: &CapacityDoc, levels: &[&LevelResult]) -> Section {
    let h = &d.header;
    let axis = h.axis;
    let mut head = vec![axis.heading().to_string()];
    head.extend(h.slos.iter().cloned());
    head.push("Goodput (req/s)".to_string());
    // The server's queue and KV cache say why a level failed.
    let telemetry = crate::levels::TelemetryColumns::of(levels.iter().map(|l| &l.merged));
    head.extend(telemetry.head());
    head.push("Verdict".to_string());
    let mut t = Table::new(head);
    t.left = vec![t.head.len() - 1];
    for lr in levels {
        let mut row: Vec<Cell> = vec![axis.cell(lr.level).into()];
        for s in &lr.slos {
            row.push(Cell::toned(
                estimate(&s.assessment),
                verdict_tone(s.assessment.verdict),
            ));
        }
        row.push(
            lr.merged
                .goodput_per_s
                .map_or_else(|| "N/A".into(), fmt_num)
                .into(),
        );
        row.extend(telemetry.cells(&lr.merged).into_iter().map(Cell::from));
        let stopped = lr
            .repeats
            .iter()
            .any(|r| r.early_stop.as_ref().is_some_and(|e| e.fails()));
        row.push(Cell::toned(
            if stopped {
                format!("{} (stopped early)", lr.verdict)
            } else {
                lr.verdict.to_string()
            },
            verdict_tone(lr.verdict),
        ));
        t.rows.push(row);
    }
    let mut sec = Section::new("Levels");
    sec.push(Block::Table(
        Some(format!(
            "Estimate [{}] per SLO",
            crate::levels::interval_words(d)
        )),
        t,
    ));
    let (rule, inconclusive) = match d.pass_rule {
        PassRule::Confident => ("confident", "not passing"),
        PassRule::Estimate => ("estimate", "the estimate decides"),
    };
    sec.push(Block::Text(format!(
        "A level passes when the whole interval is within every SLO; the {rule} rule counts INCONCLUSIVE (the interval straddles the limit) as {inconclusive}. Intervals combine the sampling interval within runs and the spread across repeats."
    )));
    sec
}

/// The envelope: a chart per SLO, then one row per level and run.
fn envelope_section(d: &CapacityDoc, levels: &[&LevelResult], slos: &[Option<Slo>]) -> Section {
    let axis = d.header.axis;
    let mut env = Section::new("Envelope");
    let mut env_charts = Vec::new();
    for (i, slo) in slos.iter().enumerate() {
        let Some(slo) = slo else { continue };
        let id = if i == 0 {
            "capacity-envelope".to_string()
        } else {
            format!("capacity-envelope-{}", i + 1)
        };
        env_charts.push(figures::envelope(
            &id,
            axis,
            levels,
            i,
            slo,
            d.found.max_pass,
        ));
    }
    env.push(Block::Charts(env_charts));
    env.push(Block::Table(
        Some("One row per level and run".into()),
        runs_table(axis, levels),
    ));
    env.push(Block::Text(
        "A run's status compares its point estimates with the SLOs; a level's verdict (above) \
         reads the confidence intervals of all its runs together."
            .into(),
    ));
    env
}

/// One row per level and run: latency, throughput, errors, goodput, duration, verdict.
fn runs_table(axis: LoadAxis, levels: &[&LevelResult]) -> Table {
    let mut et = Table::new([
        axis.heading(),
        "Run",
        "P95 latency",
        "P99 latency",
        "Req/s",
        "Output tok/s",
        "Errors",
        "Goodput (req/s)",
        "Duration",
        "Start-up",
        "Status (estimate)",
    ]);
    et.left = vec![10];
    for lr in levels {
        for r in &lr.repeats {
            et.rows.push(vec![
                axis.cell(lr.level).into(),
                r.repeat.to_string().into(),
                ms(r.row.p95_e2e_ms).into(),
                ms(r.row.p99_e2e_ms).into(),
                fmt_num(r.row.requests_per_s).into(),
                fmt_num(r.row.output_tokens_per_s).into(),
                format!("{:.2}%", r.row.error_rate * 100.0).into(),
                r.row
                    .goodput_per_s
                    .map_or_else(|| "N/A".into(), fmt_num)
                    .into(),
                duration(r.duration_s).into(),
                r.start_up
                    .map_or_else(
                        || "—".to_string(),
                        |u| {
                            let how = if u.applied { "left out" } else { "kept" };
                            format!("{how}: {} req, {:.1} s", u.requests, u.seconds)
                        },
                    )
                    .into(),
                Cell::toned(
                    match &r.early_stop {
                        Some(e) if e.fails() => {
                            format!("{} (stopped early: {})", r.verdict, e.rule)
                        }
                        _ => r.verdict.to_string(),
                    },
                    verdict_tone(r.verdict),
                ),
            ]);
        }
    }
    et
}
