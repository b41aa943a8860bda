//! `headroom compare`: several runs, sweeps or capacity searches side by side, with
//! ratios to the first, whether each difference is beyond noise, cost from hourly prices,
//! and `--fail-if` gates.
//!
//! - **Operating point**: a run is compared as a whole; a capacity search at its highest
//!   passing level ("at capacity"); a sweep at its knee. Sweeps and searches are also
//!   aligned level by level.
//! - **Significance** of percentile differences: the bootstrap of each order statistic,
//!   computed exactly from the histograms ([`headroom_metrics::significance`]); of means:
//!   Welch's interval; of throughput: Welch's t-interval across repeats (a single run has
//!   one throughput value, so its difference is shown without a test). A difference whose
//!   interval contains 0 is marked "within noise".
//! - **Cost** from `--price NAME=USD_PER_HOUR`: dollars per million output tokens and
//!   requests per dollar at the operating point's throughput, and, for capacity searches,
//!   dollars per hour per concurrent user (or per req/s) at the SLO.

use crate::chart::{Chart, ChartAxis, DataPoint, Mark, Orientation, Rule, Series};
use crate::document::{Block, Card, Cell, Document, Section, Table, Tone};
use crate::figures::{self, TimeUnit};
use crate::levels::ms;
use crate::load::Results;
use crate::{fmt_num, fmt_thousands};
use headroom_capacity::sweep::Row;
use headroom_capacity::{Axis as LoadAxis, LevelResult};
use headroom_metrics::gate::{Gate, Quantity};
use headroom_metrics::significance::{
    Difference, mean_difference, quantile_difference, repeat_difference,
};
use headroom_metrics::{Metric, Summary};
use std::fmt::Write as _;

/// Where a price came from.
#[derive(Debug, Clone, PartialEq)]
pub enum PriceSource {
    /// `--price KEY=…`, with the key.
    Flag(String),
    /// The simulator catalog's price of the predicted GPU.
    Catalog,
}

/// One compared result.
#[derive(Debug, Clone)]
pub struct CompareEntry {
    /// Its name in tables: labels, else GPU, else directory.
    pub name: String,
    /// What was loaded.
    pub results: Results,
    /// Dollars per hour, when known.
    pub price: Option<(f64, PriceSource)>,
}

impl CompareEntry {
    /// An entry without a price.
    pub fn new(results: Results) -> Self {
        CompareEntry {
            name: results.display_name(),
            results,
            price: None,
        }
    }

    /// The names `--price KEY` may use for this entry (lowercase): its name, directory
    /// name, label values, `key=value` labels and GPU.
    pub fn price_keys(&self) -> Vec<String> {
        let mut keys = vec![self.name.to_lowercase()];
        if let Some(d) = self.results.dir().file_name() {
            keys.push(d.to_string_lossy().to_lowercase());
        }
        for (k, v) in self.results.labels() {
            keys.push(v.to_lowercase());
            keys.push(format!("{k}={v}").to_lowercase());
        }
        if let Some(g) = self.results.gpu() {
            keys.push(g.to_lowercase());
        }
        keys
    }
}

/// The part of a result that is compared.
#[derive(Debug, Clone)]
struct Operating<'a> {
    summary: Option<&'a Summary>,
    /// `run`, `at capacity (c27)`, `at the knee (c20)`.
    what: String,
    /// Repeats' rows at this point (for throughput across repeats).
    repeats: Vec<&'a Row>,
    /// The merged row (sweeps and searches).
    row: Option<&'a Row>,
    /// Highest passing level of a capacity search.
    capacity: Option<(f64, LoadAxis, bool)>,
    axis: Option<LoadAxis>,
}

fn level_point<'a>(
    levels: &'a [LevelResult],
    summaries: &'a [(f64, Summary)],
    level: Option<f64>,
) -> (Option<&'a Summary>, Vec<&'a Row>, Option<&'a Row>) {
    let Some(level) = level else {
        return (None, Vec::new(), None);
    };
    let lr = levels.iter().find(|l| l.level == level);
    (
        summaries.iter().find(|(l, _)| *l == level).map(|(_, s)| s),
        lr.map(|l| l.repeats.iter().map(|r| &r.row).collect())
            .unwrap_or_default(),
        lr.map(|l| &l.merged),
    )
}

fn operating(r: &Results) -> Operating<'_> {
    match r {
        Results::Run(run) => Operating {
            summary: Some(&run.summary),
            what: "the run".into(),
            repeats: Vec::new(),
            row: None,
            capacity: None,
            axis: None,
        },
        Results::Capacity(c) => {
            let axis = c.doc.header.axis;
            let at = c.doc.found.max_pass;
            let (summary, repeats, row) = level_point(&c.doc.levels, &c.summaries, at);
            Operating {
                summary,
                what: at.map_or_else(
                    || "no passing level".into(),
                    |l| format!("at capacity ({})", axis.label(l)),
                ),
                repeats,
                row,
                capacity: c
                    .doc
                    .found
                    .max_pass
                    .map(|m| (m, axis, c.doc.found.limit_reached)),
                axis: Some(axis),
            }
        }
        Results::Sweep(s) => {
            let axis = s.doc.header.axis;
            let at = s.doc.marks.knee.or(s.doc.marks.max_throughput);
            let (summary, repeats, row) = level_point(&s.doc.levels, &s.summaries, at);
            Operating {
                summary,
                what: at.map_or_else(
                    || "no level".into(),
                    |l| format!("at the knee ({})", axis.label(l)),
                ),
                repeats,
                row,
                capacity: None,
                axis: Some(axis),
            }
        }
    }
}

impl Operating<'_> {
    fn requests_per_s(&self) -> Option<f64> {
        self.row
            .map(|r| r.requests_per_s)
            .or_else(|| self.summary.map(|s| s.throughput().requests_per_s))
    }

    fn tokens_per_s(&self) -> Option<f64> {
        self.row
            .map(|r| r.output_tokens_per_s)
            .or_else(|| self.summary.map(|s| s.throughput().output_tokens_per_s))
    }

    /// The value of `q` in display units (ms, fraction, per second, level).
    fn value(&self, q: &Quantity) -> Option<f64> {
        match q {
            Quantity::Percentile { q, metric } => self
                .summary
                .map(|s| s.dist(*metric))
                .filter(|d| !d.is_empty())
                .map(|d| d.quantile(*q)),
            Quantity::Mean(metric) => self
                .summary
                .map(|s| s.dist(*metric))
                .filter(|d| !d.is_empty())
                .map(|d| d.stats().mean),
            Quantity::Throughput => self.tokens_per_s(),
            Quantity::RequestsPerS => self.requests_per_s(),
            Quantity::Errors => self
                .row
                .map(|r| r.error_rate)
                .or_else(|| self.summary.map(|s| s.counts.error_rate())),
            Quantity::Goodput => self.row.and_then(|r| r.goodput_per_s),
            Quantity::Capacity => self.capacity.map(|(m, _, _)| m),
        }
    }
}

/// A compared quantity of the main table.
struct Line {
    label: &'static str,
    quantity: Quantity,
    /// Display: ms values, rates, or a percentage.
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    Ms,
    Rate,
    Percent,
}

fn lines() -> Vec<Line> {
    let p = |label, q, metric| Line {
        label,
        quantity: Quantity::Percentile { q, metric },
        kind: Kind::Ms,
    };
    vec![
        Line {
            label: "Output tok/s",
            quantity: Quantity::Throughput,
            kind: Kind::Rate,
        },
        Line {
            label: "Requests/s",
            quantity: Quantity::RequestsPerS,
            kind: Kind::Rate,
        },
        p("P50 request latency", 0.5, Metric::E2e),
        p("P95 request latency", 0.95, Metric::E2e),
        p("P99 request latency", 0.99, Metric::E2e),
        Line {
            label: "Mean request latency",
            quantity: Quantity::Mean(Metric::E2e),
            kind: Kind::Ms,
        },
        p("P50 TTFT", 0.5, Metric::Ttft),
        p("P95 TTFT", 0.95, Metric::Ttft),
        p("P99 TTFT", 0.99, Metric::Ttft),
        p("P50 ITL", 0.5, Metric::Itl),
        p("P95 ITL", 0.95, Metric::Itl),
        p("P50 TPOT", 0.5, Metric::Tpot),
        p("P95 TPOT", 0.95, Metric::Tpot),
        Line {
            label: "Error rate",
            quantity: Quantity::Errors,
            kind: Kind::Percent,
        },
    ]
}

fn show(kind: Kind, v: f64) -> String {
    match kind {
        Kind::Ms => ms(v),
        Kind::Rate => fmt_num(v),
        Kind::Percent => format!("{:.2}%", v * 100.0),
    }
}

/// The significance test of one quantity between two operating points.
fn test(q: &Quantity, a: &Operating<'_>, b: &Operating<'_>, confidence: f64) -> Option<Difference> {
    match q {
        Quantity::Percentile { q, metric } => {
            let (sa, sb) = (a.summary?, b.summary?);
            quantile_difference(sa.dist(*metric), sb.dist(*metric), *q, confidence, 0x5eed)
        }
        Quantity::Mean(metric) => {
            let (sa, sb) = (a.summary?, b.summary?);
            mean_difference(sa.dist(*metric), sb.dist(*metric), confidence)
        }
        Quantity::Throughput => {
            let va: Vec<f64> = a.repeats.iter().map(|r| r.output_tokens_per_s).collect();
            let vb: Vec<f64> = b.repeats.iter().map(|r| r.output_tokens_per_s).collect();
            repeat_difference(&va, &vb, confidence)
        }
        Quantity::RequestsPerS => {
            let va: Vec<f64> = a.repeats.iter().map(|r| r.requests_per_s).collect();
            let vb: Vec<f64> = b.repeats.iter().map(|r| r.requests_per_s).collect();
            repeat_difference(&va, &vb, confidence)
        }
        _ => None,
    }
}

/// Whether a change is good or bad news, given that higher is worse or better.
fn tone(ratio: f64, higher_is_worse: bool, significant: bool) -> Tone {
    if !significant || !ratio.is_finite() || (ratio - 1.0).abs() < 1e-12 {
        return Tone::Neutral;
    }
    if (ratio > 1.0) == higher_is_worse {
        Tone::Bad
    } else {
        Tone::Good
    }
}

fn ratio_text(a: f64, b: f64) -> (f64, String) {
    if a == 0.0 {
        if b == 0.0 {
            return (1.0, "1.00×".into());
        }
        return (f64::INFINITY, "n/a (baseline 0)".into());
    }
    let r = b / a;
    (r, format!("{r:.2}× ({:+.1}%)", (r - 1.0) * 100.0))
}

/// One gate's outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GateResult {
    /// The expression.
    pub gate: String,
    /// The candidate's name.
    pub candidate: String,
    /// Baseline value, display units.
    pub baseline: Option<f64>,
    /// Candidate value.
    pub value: Option<f64>,
    /// Failed: a regression beyond the threshold, or no data to judge.
    pub failed: bool,
    /// A side lacks the quantity (not streamed, no SLO, not a capacity search).
    pub no_data: bool,
    /// Whether the difference is beyond noise (when tested).
    pub significant: Option<bool>,
}

/// The comparison: the document and the gates' outcomes.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The report.
    pub document: Document,
    /// Every gate against every candidate.
    pub gates: Vec<GateResult>,
}

impl Comparison {
    /// `true` when a gate failed.
    pub fn failed(&self) -> bool {
        self.gates.iter().any(|g| g.failed)
    }
}

/// Compares `entries` (the first is the baseline) at `confidence`, judging `gates`.
pub fn compare(entries: &[CompareEntry], gates: &[Gate], confidence: f64) -> Comparison {
    let ops: Vec<Operating<'_>> = entries.iter().map(|e| operating(&e.results)).collect();
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let mut doc = Document {
        title: format!("headroom compare: {}", names.join(" vs ")),
        ..Document::default()
    };
    doc.meta.push(format!(
        "Ratios are to the first ({}); differences are tested at {:.0}% confidence.",
        names[0],
        confidence * 100.0
    ));

    // What was compared.
    let mut what = Table::new(["Name", "Kind", "GPU", "Model", "Compared", "Directory"]);
    what.left = vec![1, 2, 3, 4, 5];
    for (e, op) in entries.iter().zip(&ops) {
        let model = e
            .results
            .manifest()
            .map(|m| m.scenario.target.model.clone())
            .or_else(|| match &e.results {
                Results::Sweep(s) => Some(s.doc.header.model.clone()),
                Results::Capacity(c) => Some(c.doc.header.model.clone()),
                Results::Run(_) => None,
            })
            .unwrap_or_default();
        what.row([
            e.name.clone(),
            e.results.kind().to_string(),
            e.results.gpu().unwrap_or_else(|| "—".into()),
            model,
            op.what.clone(),
            e.results.dir().display().to_string(),
        ]);
    }
    let mut sec = Section::new("Compared");
    sec.push(Block::Table(None, what));
    doc.sections.push(sec);

    // Capacity: the direct performance ratio.
    let caps: Vec<Option<(f64, LoadAxis, bool)>> = ops.iter().map(|o| o.capacity).collect();
    if caps.iter().any(Option::is_some) {
        let mut t = Table::new([
            "Name",
            "Capacity",
            "Ratio to first",
            "Req/s at capacity",
            "P95 latency at capacity",
        ]);
        let base = caps[0].map(|c| c.0);
        for ((e, op), cap) in entries.iter().zip(&ops).zip(&caps) {
            let (text, ratio) = match cap {
                Some((m, axis, limit)) => (
                    format!("{}{}", if *limit { "≥ " } else { "" }, axis.describe(*m)),
                    base.map_or_else(|| "—".into(), |b| ratio_text(b, *m).1),
                ),
                None if matches!(e.results, Results::Capacity(_)) => {
                    ("no level passed".into(), "—".into())
                }
                None => ("—".into(), "—".into()),
            };
            t.row([
                e.name.clone(),
                text,
                ratio,
                op.requests_per_s().map_or_else(|| "—".into(), fmt_num),
                op.value(&Quantity::Percentile {
                    q: 0.95,
                    metric: Metric::E2e,
                })
                .map_or_else(|| "—".into(), ms),
            ]);
        }
        for (e, cap) in entries.iter().zip(&caps).skip(1) {
            if let (Some(b), Some((m, axis, _))) = (base, cap) {
                doc.cards.push(
                    Card::new(format!("{} capacity", e.name), axis.describe(*m))
                        .detail(format!("{} {}", ratio_text(b, *m).1, "of the first"))
                        .tone(if *m >= b { Tone::Good } else { Tone::Bad }),
                );
            }
        }
        if let Some((b, axis, _)) = caps[0] {
            doc.cards.insert(
                0,
                Card::new(format!("{} capacity", entries[0].name), axis.describe(b))
                    .detail("baseline"),
            );
        }
        let mut sec = Section::new("Capacity (direct performance ratio)");
        sec.push(Block::Table(None, t));
        doc.sections.push(sec);
    }

    // The main table: each quantity, the baseline's value, then each other's value,
    // ratio and significance.
    let mut head = vec!["Quantity".to_string(), names[0].to_string()];
    for n in &names[1..] {
        head.push((*n).to_string());
        head.push(format!("{n} vs first"));
    }
    let mut t = Table::new(head);
    let mut within_noise = 0;
    let mut tested = 0;
    for line in lines() {
        let base = ops[0].value(&line.quantity);
        if base.is_none() && ops.iter().all(|o| o.value(&line.quantity).is_none()) {
            continue;
        }
        let mut row: Vec<Cell> = vec![
            line.label.into(),
            base.map_or_else(|| "—".into(), |v| show(line.kind, v))
                .into(),
        ];
        for op in &ops[1..] {
            let v = op.value(&line.quantity);
            row.push(v.map_or_else(|| "—".into(), |v| show(line.kind, v)).into());
            match (base, v) {
                (Some(a), Some(b)) => {
                    let (r, text) = ratio_text(a, b);
                    let diff = test(&line.quantity, &ops[0], op, confidence);
                    let (text, significant) = match diff {
                        Some(d) if d.significant => {
                            tested += 1;
                            (text, true)
                        }
                        Some(_) => {
                            tested += 1;
                            within_noise += 1;
                            (format!("{text}, within noise"), false)
                        }
                        None => (format!("{text}, not tested"), false),
                    };
                    row.push(Cell::toned(
                        text,
                        tone(r, line.quantity.higher_is_worse(), significant),
                    ));
                }
                _ => row.push("—".into()),
            }
        }
        t.rows.push(row);
    }
    let mut sec = Section::new("Latency and throughput");
    sec.push(Block::Table(
        Some(format!(
            "At each result's operating point ({})",
            ops.iter()
                .map(|o| o.what.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )),
        t,
    ));
    sec.push(Block::Text(format!(
        "Percentile differences: bootstrap of the order statistic computed exactly from the histograms; means: Welch; throughput: Welch's t across repeats (a single run has no spread, so it is not tested). \"Within noise\": the {:.0}% interval of the difference contains 0 ({within_noise} of {tested} tested differences).",
        confidence * 100.0
    )));
    doc.sections.push(sec);

    // Cost.
    if entries.iter().any(|e| e.price.is_some()) {
        let mut t = Table::new([
            "Name",
            "Price ($/h)",
            "Output tok/s",
            "$ per M output tokens",
            "Requests per $",
            "$/h per unit of capacity",
        ]);
        let mut cost_cards = Vec::new();
        for (e, op) in entries.iter().zip(&ops) {
            let Some((price, source)) = &e.price else {
                t.row([
                    e.name.clone(),
                    "no price".into(),
                    "—".into(),
                    "—".into(),
                    "—".into(),
                    "—".into(),
                ]);
                continue;
            };
            let src = match source {
                PriceSource::Flag(k) => format!("{} (--price {k})", fmt_num(*price)),
                PriceSource::Catalog => format!("{} (catalog)", fmt_num(*price)),
            };
            let tok = op.tokens_per_s();
            let per_m = tok.filter(|t| *t > 0.0).map(|t| price / (t * 3600.0) * 1e6);
            let per_dollar = op.requests_per_s().map(|r| r * 3600.0 / price);
            let per_user = op
                .capacity
                .filter(|(m, _, _)| *m > 0.0)
                .map(|(m, axis, _)| {
                    (
                        price / m,
                        match axis {
                            LoadAxis::Concurrency => "per concurrent user",
                            LoadAxis::Rate => "per req/s",
                        },
                    )
                });
            if let Some(pm) = per_m {
                cost_cards.push(
                    Card::new(format!("{} cost", e.name), format!("${pm:.3} / M tok")).detail(
                        per_user.map_or_else(
                            || {
                                format!(
                                    "{} requests per $",
                                    per_dollar.map_or_else(|| "—".into(), |v| fmt_thousands(v, 0))
                                )
                            },
                            |(u, what)| format!("${u:.4}/h {what} at the SLO"),
                        ),
                    ),
                );
            }
            t.row([
                e.name.clone(),
                src,
                tok.map_or_else(|| "—".into(), fmt_num),
                per_m.map_or_else(|| "—".into(), |v| format!("{v:.4}")),
                per_dollar.map_or_else(|| "—".into(), |v| fmt_thousands(v, 0)),
                per_user.map_or_else(|| "—".into(), |(u, what)| format!("{u:.4} {what}")),
            ]);
        }
        doc.cards.extend(cost_cards);
        let mut sec = Section::new("Cost");
        sec.push(Block::Table(None, t));
        sec.push(Block::Text(
            "$ per M output tokens = price per hour ÷ (output tok/s × 3,600) × 10⁶, at the operating point's throughput. Requests per $ = req/s × 3,600 ÷ price. $/h per unit of capacity = price ÷ the highest passing level of a capacity search (the cost of each concurrent user served within the SLO).".into(),
        ));
        doc.sections.push(sec);
    }

    // Sweeps and searches level by level.
    let level_rows: Vec<Option<Vec<&Row>>> = entries
        .iter()
        .map(|e| match &e.results {
            Results::Sweep(s) => Some(s.doc.levels.iter().map(|l| &l.merged).collect()),
            Results::Capacity(c) => Some(c.doc.levels.iter().map(|l| &l.merged).collect()),
            Results::Run(_) => None,
        })
        .collect();
    if level_rows.iter().filter(|r| r.is_some()).count() >= 2 {
        let mut all: Vec<f64> = level_rows
            .iter()
            .flatten()
            .flat_map(|rows| rows.iter().map(|r| r.level))
            .collect();
        all.sort_by(f64::total_cmp);
        all.dedup();
        let axis = ops
            .iter()
            .find_map(|o| o.axis)
            .unwrap_or(LoadAxis::Concurrency);
        let mut head = vec![axis.heading().to_string()];
        for n in &names {
            head.push(format!("{n} P95"));
            head.push(format!("{n} tok/s"));
        }
        let mut t = Table::new(head);
        for lv in all {
            let mut row: Vec<Cell> = vec![axis.cell(lv).into()];
            for rows in &level_rows {
                let r = rows
                    .as_ref()
                    .and_then(|rs| rs.iter().find(|r| r.level == lv));
                row.push(r.map_or_else(|| "—".into(), |r| ms(r.p95_e2e_ms)).into());
                row.push(
                    r.map_or_else(|| "—".into(), |r| fmt_num(r.output_tokens_per_s))
                        .into(),
                );
            }
            t.rows.push(row);
        }
        let mut sec = Section::new("Level by level");
        sec.push(Block::Table(None, t));
        sec.push(Block::Charts(versus_load_overlay(
            entries,
            &level_rows,
            axis,
        )));
        doc.sections.push(sec);
    }

    // Distributions at the operating points.
    let mut cdfs = Vec::new();
    for (m, id) in [
        (Metric::E2e, "compare-e2e-cdf"),
        (Metric::Ttft, "compare-ttft-cdf"),
        (Metric::Itl, "compare-itl-cdf"),
    ] {
        let dists: Vec<(String, &headroom_metrics::Dist)> = entries
            .iter()
            .zip(&ops)
            .filter_map(|(e, o)| o.summary.map(|s| (e.name.clone(), s.dist(m))))
            .collect();
        if dists.iter().any(|(_, d)| !d.is_empty()) {
            // Keep colours by entry: empty distributions stay in the list and draw nothing.
            cdfs.push(figures::cdf(id, m, &dists));
        }
    }
    if !cdfs.is_empty() {
        let mut sec = Section::new("Distributions at the operating points");
        sec.push(Block::Charts(cdfs));
        doc.sections.push(sec);
    }

    // Gates.
    let mut results = Vec::new();
    if !gates.is_empty() {
        let mut t = Table::new([
            "Gate",
            "Candidate",
            "First",
            "Candidate value",
            "Change",
            "Result",
        ]);
        t.left = vec![1, 5];
        for g in gates {
            for (e, op) in entries.iter().zip(&ops).skip(1) {
                let q = g.quantity();
                let (a, b) = (ops[0].value(q), op.value(q));
                let diff = test(q, &ops[0], op, confidence);
                // A gate that cannot be judged fails: a CI gate must not pass by checking
                // nothing (TTFT of an unstreamed run, capacity of a plain run).
                let failed = match (a, b) {
                    (Some(a), Some(b)) => g.fails(a, b),
                    _ => true,
                };
                let kind = match q {
                    Quantity::Percentile { .. } | Quantity::Mean(_) => Kind::Ms,
                    Quantity::Errors => Kind::Percent,
                    _ => Kind::Rate,
                };
                let change = match (a, b) {
                    (Some(a), Some(b)) => ratio_text(a, b).1,
                    _ => "no data".into(),
                };
                let verdict = match (failed, a.zip(b), diff) {
                    (_, None, _) => Cell::toned("FAIL (no data to judge)", Tone::Bad),
                    (true, _, Some(d)) if !d.significant => {
                        Cell::toned("FAIL (the difference is within noise)", Tone::Bad)
                    }
                    (true, _, _) => Cell::toned("FAIL", Tone::Bad),
                    (false, _, _) => Cell::toned("pass", Tone::Good),
                };
                t.rows.push(vec![
                    g.to_string().into(),
                    e.name.clone().into(),
                    a.map_or_else(|| "—".into(), |v| show(kind, v)).into(),
                    b.map_or_else(|| "—".into(), |v| show(kind, v)).into(),
                    change.into(),
                    verdict,
                ]);
                results.push(GateResult {
                    gate: g.to_string(),
                    candidate: e.name.clone(),
                    baseline: a,
                    value: b,
                    failed,
                    no_data: a.is_none() || b.is_none(),
                    significant: diff.map(|d| d.significant),
                });
            }
        }
        let failed = results.iter().filter(|r| r.failed).count();
        doc.cards.insert(
            0,
            Card::new(
                "Gates",
                if failed == 0 {
                    "all pass".to_string()
                } else {
                    format!("{failed} failed")
                },
            )
            .detail(if results.len() == 1 {
                "1 check".to_string()
            } else {
                format!("{} checks", results.len())
            })
            .tone(if failed == 0 { Tone::Good } else { Tone::Bad }),
        );
        let mut sec = Section::new("Gates (--fail-if)");
        sec.push(Block::Table(None, t));
        doc.sections.insert(1, sec);
    }
    // Headline ratios of the second result when there are no capacity cards.
    if ops.len() >= 2 && caps.iter().all(Option::is_none) {
        for (label, q) in [
            ("Throughput", Quantity::Throughput),
            (
                "P95 request latency",
                Quantity::Percentile {
                    q: 0.95,
                    metric: Metric::E2e,
                },
            ),
        ] {
            for (e, op) in entries.iter().zip(&ops).skip(1) {
                if let (Some(a), Some(b)) = (ops[0].value(&q), op.value(&q)) {
                    let (r, text) = ratio_text(a, b);
                    let sig = test(&q, &ops[0], op, confidence).is_none_or(|d| d.significant);
                    doc.cards.push(
                        Card::new(format!("{label}: {}", e.name), text)
                            .detail(if sig {
                                "vs the first"
                            } else {
                                "vs the first, within noise"
                            })
                            .tone(tone(r, q.higher_is_worse(), sig)),
                    );
                }
            }
        }
    }
    Comparison {
        document: doc,
        gates: results,
    }
}

/// P95 latency and throughput versus load, one colour per result.
fn versus_load_overlay(
    entries: &[CompareEntry],
    rows: &[Option<Vec<&Row>>],
    axis: LoadAxis,
) -> Vec<Chart> {
    let typical = rows
        .iter()
        .flatten()
        .flat_map(|r| r.iter().map(|r| r.p50_e2e_ms))
        .fold(0.0, f64::max);
    let unit = TimeUnit::for_ms(typical);
    let x = || figures::level_axis(axis);
    let mk = |f: &dyn Fn(&Row) -> f64| -> Vec<Series> {
        entries
            .iter()
            .zip(rows)
            .enumerate()
            .filter_map(|(i, (e, r))| {
                let r = r.as_ref()?;
                let mut pts: Vec<DataPoint> = r
                    .iter()
                    .filter(|r| r.ok > 0)
                    .map(|r| DataPoint::new(r.level, f(r)))
                    .collect();
                pts.sort_by(|a, b| a.x.total_cmp(&b.x));
                Some(Series {
                    name: e.name.clone(),
                    mark: Mark::LinePoints,
                    points: pts,
                    color: i,
                    dashed: false,
                })
            })
            .collect()
    };
    let mut rules = Vec::new();
    for e in entries {
        if let Results::Capacity(c) = &e.results {
            for s in &c.doc.header.slos {
                if let Ok(
                    slo @ headroom_metrics::Slo::Latency {
                        metric: Metric::E2e,
                        ..
                    },
                ) = s.parse::<headroom_metrics::Slo>()
                {
                    let label = format!("SLO {slo}");
                    if !rules.iter().any(|r: &Rule| r.label == label) {
                        rules.push(Rule {
                            orientation: Orientation::Horizontal,
                            value: unit.of(slo.threshold()),
                            label,
                        });
                    }
                }
            }
        }
    }
    vec![
        Chart {
            id: "compare-latency-vs-load".into(),
            title: "P95 request latency versus load".into(),
            x: x(),
            y: ChartAxis::new(format!("P95 request latency ({})", unit.symbol())),
            series: mk(&|r| unit.of(r.p95_e2e_ms)),
            rules,
        },
        Chart {
            id: "compare-throughput-vs-load".into(),
            title: "Output token throughput versus load".into(),
            x: x(),
            y: ChartAxis::new("Output tokens per second (tok/s)"),
            series: mk(&|r| r.output_tokens_per_s),
            rules: Vec::new(),
        },
    ]
}

/// The gates' outcomes as lines for the console, e.g. `FAIL p95(e2e) > +10%: after …`.
pub fn gate_lines(comparison: &Comparison) -> String {
    let mut out = String::new();
    for g in &comparison.gates {
        if g.no_data {
            let _ = writeln!(
                out,
                "FAIL {}: {}: no data to judge (is it in both results? TTFT and ITL need streaming, goodput SLOs, capacity a capacity search)",
                g.gate, g.candidate
            );
            continue;
        }
        let _ = writeln!(
            out,
            "{} {}: {} ({} → {})",
            if g.failed { "FAIL" } else { "pass" },
            g.gate,
            g.candidate,
            g.baseline
                .map_or_else(|| "no data".into(), |v| format!("{v:.4}")),
            g.value
                .map_or_else(|| "no data".into(), |v| format!("{v:.4}")),
        );
    }
    out
}
