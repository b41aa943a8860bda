//! One builder per part of the comparison report: what was compared, capacity, the
//! main latency and throughput table, cost, level by level, distributions, gates, and
//! the headline cards.

use super::operating::{Kind, Operating, lines, ratio_text, show, test, tone};
use super::{CompareEntry, GateResult, PriceSource};
use crate::document::{Block, Card, Cell, Section, Table, Tone};
use crate::figures;
use crate::levels::ms;
use crate::{fmt_num, fmt_thousands};
use headroom_capacity::sweep::Row;
use headroom_capacity::{GpuRow, LoadAxis};
use headroom_metrics::gate::{Gate, Quantity};
use headroom_metrics::{Dist, Metric, Slo, Summary};
use headroom_results::read::Results;

/// What every section is built from: the entries (the first is the baseline), their
/// operating points, and the confidence of the tests.
pub(super) struct Compared<'a> {
    pub(super) entries: &'a [CompareEntry],
    pub(super) ops: Vec<Operating<'a>>,
    pub(super) confidence: f64,
}

/// The P95 request latency, a quantity several sections show.
const P95_E2E: Quantity = Quantity::Percentile {
    q: 0.95,
    metric: Metric::E2e,
};

impl<'a> Compared<'a> {
    fn base(&self) -> &Operating<'a> {
        &self.ops[0]
    }

    /// Each result's name, in order.
    pub(super) fn names(&self) -> Vec<&'a str> {
        self.entries.iter().map(|e| e.name.as_str()).collect()
    }

    /// The capacity of each result that is a capacity search with a passing level.
    fn capacities(&self) -> Vec<Option<(f64, LoadAxis, bool)>> {
        self.ops.iter().map(|o| o.capacity).collect()
    }

    /// The table of what was compared: kind, GPU, model, operating point, directory.
    pub(super) fn compared_section(&self) -> Section {
        let mut what = Table::new(["Name", "Kind", "GPU", "Model", "Compared", "Directory"]);
        what.left = vec![1, 2, 3, 4, 5];
        for (e, op) in self.entries.iter().zip(&self.ops) {
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
        sec
    }

    /// Whether any result is a capacity search that found a capacity.
    pub(super) fn has_capacity(&self) -> bool {
        self.capacities().iter().any(Option::is_some)
    }

    /// The capacities side by side, the direct performance ratio (when any result has a
    /// capacity).
    pub(super) fn capacity_section(&self) -> Option<Section> {
        let caps = self.capacities();
        if !caps.iter().any(Option::is_some) {
            return None;
        }
        let mut t = Table::new([
            "Name",
            "Capacity",
            "Ratio to first",
            "Req/s at capacity",
            "P95 latency at capacity",
        ]);
        let base = caps[0].map(|c| c.0);
        for ((e, op), cap) in self.entries.iter().zip(&self.ops).zip(&caps) {
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
                op.value(&P95_E2E).map_or_else(|| "—".into(), ms),
            ]);
        }
        let mut sec = Section::new("Capacity (direct performance ratio)");
        sec.push(Block::Table(None, t));
        Some(sec)
    }

    /// The baseline's capacity, then each candidate's with its ratio to the baseline.
    pub(super) fn capacity_cards(&self) -> Vec<Card> {
        let caps = self.capacities();
        let mut cards = Vec::new();
        if let Some((b, axis, _)) = caps[0] {
            cards.push(
                Card::new(
                    format!("{} capacity", self.entries[0].name),
                    axis.describe(b),
                )
                .detail("baseline"),
            );
        }
        let base = caps[0].map(|c| c.0);
        for (e, cap) in self.entries.iter().zip(&caps).skip(1) {
            if let (Some(b), Some((m, axis, _))) = (base, cap) {
                cards.push(
                    Card::new(format!("{} capacity", e.name), axis.describe(*m))
                        .detail(format!("{} {}", ratio_text(b, *m).1, "of the first"))
                        .tone(if *m >= b { Tone::Good } else { Tone::Bad }),
                );
            }
        }
        cards
    }

    /// The candidate's value of `quantity` against the baseline's `base`: the ratio,
    /// whether it is beyond noise, and its tone; `tested` counts the tests run and
    /// those within noise.
    fn ratio_cell(
        &self,
        quantity: &Quantity,
        base: f64,
        candidate: (&Operating<'_>, f64),
        tested: &mut (usize, usize),
    ) -> Cell {
        let (op, value) = candidate;
        let (r, text) = ratio_text(base, value);
        let (text, significant) = match test(quantity, self.base(), op, self.confidence) {
            Some(d) if d.significant => {
                tested.0 += 1;
                (text, true)
            }
            Some(_) => {
                tested.0 += 1;
                tested.1 += 1;
                (format!("{text}, within noise"), false)
            }
            None => (format!("{text}, not tested"), false),
        };
        Cell::toned(text, tone(r, quantity.higher_is_worse(), significant))
    }

    /// The main table: each quantity, the baseline's value, then each other's value,
    /// ratio and significance.
    pub(super) fn latency_section(&self) -> Section {
        let names = self.names();
        let mut head = vec!["Quantity".to_string(), names[0].to_string()];
        for n in &names[1..] {
            head.push((*n).to_string());
            head.push(format!("{n} vs first"));
        }
        let mut t = Table::new(head);
        // (tested, within noise)
        let mut tested = (0, 0);
        for line in lines() {
            let base = self.base().value(&line.quantity);
            if base.is_none() && self.ops.iter().all(|o| o.value(&line.quantity).is_none()) {
                continue;
            }
            let shown = |v: Option<f64>| -> Cell {
                v.map_or_else(|| "—".into(), |v| show(line.kind, v)).into()
            };
            let mut row: Vec<Cell> = vec![line.label.into(), shown(base)];
            for op in &self.ops[1..] {
                let v = op.value(&line.quantity);
                row.push(shown(v));
                row.push(match (base, v) {
                    (Some(a), Some(b)) => self.ratio_cell(&line.quantity, a, (op, b), &mut tested),
                    _ => "—".into(),
                });
            }
            t.rows.push(row);
        }
        let (tested, within_noise) = tested;
        let mut sec = Section::new("Latency and throughput");
        sec.push(Block::Table(
            Some(format!(
                "At each result's operating point ({})",
                self.ops
                    .iter()
                    .map(|o| o.what.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            t,
        ));
        sec.push(Block::Text(format!(
            "Percentile differences: bootstrap of the order statistic computed exactly from the histograms; means: Welch; throughput: Welch's t across repeats (a single run has no spread, so it is not tested). \"Within noise\": the {:.0}% interval of the difference contains 0 ({within_noise} of {tested} tested differences).",
            self.confidence * 100.0
        )));
        sec
    }

    /// What the servers, their GPUs and hosts said at each operating point, side by side
    /// (descriptive: no test); `None` when no result has telemetry.
    pub(super) fn server_section(&self) -> Option<Section> {
        const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
        type Line = (&'static str, fn(&Summary) -> Option<String>);
        let lines: [Line; 8] = [
            ("Server TTFT p95 (ms)", |s| {
                let f = s.server.as_ref()?.ttft.as_ref()?;
                Some(crate::server::within(f, f.p95_ms?))
            }),
            ("Server queue time p95 (ms)", |s| {
                let f = s.server.as_ref()?.queue_time.as_ref()?;
                Some(crate::server::within(f, f.p95_ms?))
            }),
            ("Requests waiting (mean / max)", |s| {
                let w = s.server.as_ref()?.waiting?;
                Some(format!(
                    "{} / {}",
                    fmt_thousands(w.mean, 1),
                    fmt_thousands(w.max, 0)
                ))
            }),
            ("KV cache (mean / max)", |s| {
                let k = s.server.as_ref()?.kv_usage?;
                Some(format!("{:.1} / {:.1} %", k.mean * 100.0, k.max * 100.0))
            }),
            ("Preemptions", |s| {
                s.server.as_ref()?.preemptions.map(|p| fmt_thousands(p, 0))
            }),
            ("GPU memory peak (GiB)", |s| {
                let peak = GpuRow::of(s.gpu.as_ref()?).vram_max_bytes?;
                Some(format!("{:.1}", peak / GIB))
            }),
            ("GPU utilisation (mean)", |s| {
                let u = GpuRow::of(s.gpu.as_ref()?).utilization_mean?;
                Some(format!("{:.0} %", u * 100.0))
            }),
            ("GPU energy per output token (J)", |s| {
                let j = s.gpu.as_ref()?.energy_j()?;
                (s.tokens.output > 0).then(|| fmt_num(j / s.tokens.output as f64))
            }),
        ];
        let mut head = vec!["Quantity".to_string()];
        head.extend(self.names().iter().map(|n| n.to_string()));
        let mut t = Table::new(head);
        for (label, f) in lines {
            let cells: Vec<Option<String>> =
                self.ops.iter().map(|o| o.summary.and_then(f)).collect();
            if cells.iter().all(Option::is_none) {
                continue;
            }
            let mut row: Vec<Cell> = vec![label.into()];
            row.extend(
                cells
                    .into_iter()
                    .map(|c| Cell::from(c.unwrap_or_else(|| "—".into()))),
            );
            t.rows.push(row);
        }
        if t.rows.is_empty() {
            return None;
        }
        let mut sec = Section::new("Server and GPU");
        sec.push(Block::Table(
            Some("What each server, its GPUs and host said at the operating point (its /metrics, NVML or DCGM)".into()),
            t,
        ));
        Some(sec)
    }

    /// Cost at each operating point, from the prices (when any result has one), and a
    /// card per priced result.
    pub(super) fn cost(&self) -> Option<(Section, Vec<Card>)> {
        if !self.entries.iter().any(|e| e.price.is_some()) {
            return None;
        }
        let mut t = Table::new([
            "Name",
            "Price ($/h)",
            "Output tok/s",
            "$ per M output tokens",
            "Requests per $",
            "$/h per unit of capacity",
        ]);
        let mut cards = Vec::new();
        for (e, op) in self.entries.iter().zip(&self.ops) {
            let Some((price, source)) = &e.price else {
                t.row([e.name.as_str(), "no price", "—", "—", "—", "—"]);
                continue;
            };
            let cost = Cost::at(op, *price);
            if let Some(card) = cost.card(&e.name) {
                cards.push(card);
            }
            let src = match source {
                PriceSource::Flag(k) => format!("{} (--price {k})", fmt_num(*price)),
                PriceSource::Catalog => format!("{} (catalog)", fmt_num(*price)),
            };
            t.row([
                e.name.clone(),
                src,
                cost.tokens_per_s.map_or_else(|| "—".into(), fmt_num),
                cost.per_m_tokens
                    .map_or_else(|| "—".into(), |v| format!("{v:.4}")),
                cost.requests_per_dollar
                    .map_or_else(|| "—".into(), |v| fmt_thousands(v, 0)),
                cost.per_unit
                    .map_or_else(|| "—".into(), |(u, what)| format!("{u:.4} {what}")),
            ]);
        }
        let mut sec = Section::new("Cost");
        sec.push(Block::Table(None, t));
        sec.push(Block::Text(
            "$ per M output tokens = price per hour ÷ (output tok/s × 3,600) × 10⁶, at the operating point's throughput. Requests per $ = req/s × 3,600 ÷ price. $/h per unit of capacity = price ÷ the highest passing level of a capacity search (the cost of each concurrent user served within the SLO).".into(),
        ));
        Some((sec, cards))
    }

    /// Sweeps and searches level by level: a table and overlaid charts (when at least
    /// two results have levels).
    pub(super) fn levels_section(&self) -> Option<Section> {
        let level_rows: Vec<Option<Vec<&Row>>> = self
            .entries
            .iter()
            .map(|e| match &e.results {
                Results::Sweep(s) => Some(s.doc.levels.iter().map(|l| &l.merged).collect()),
                Results::Capacity(c) => Some(c.doc.levels.iter().map(|l| &l.merged).collect()),
                Results::Run(_) => None,
            })
            .collect();
        if level_rows.iter().filter(|r| r.is_some()).count() < 2 {
            return None;
        }
        let mut all: Vec<f64> = level_rows
            .iter()
            .flatten()
            .flat_map(|rows| rows.iter().map(|r| r.level))
            .collect();
        all.sort_by(f64::total_cmp);
        all.dedup();
        let axis = self
            .ops
            .iter()
            .find_map(|o| o.axis)
            .unwrap_or(LoadAxis::Concurrency);
        let mut head = vec![axis.heading().to_string()];
        for n in self.names() {
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
        let results: Vec<(String, Option<Vec<&Row>>)> = self
            .entries
            .iter()
            .map(|e| e.name.clone())
            .zip(level_rows)
            .collect();
        let mut sec = Section::new("Level by level");
        sec.push(Block::Table(None, t));
        sec.push(Block::Charts(figures::versus_load_overlay(
            axis,
            &results,
            &self.latency_slos(),
        )));
        Some(sec)
    }

    /// The request-latency SLOs of the capacity searches, each once.
    fn latency_slos(&self) -> Vec<Slo> {
        let mut out: Vec<Slo> = Vec::new();
        for e in self.entries {
            if let Results::Capacity(c) = &e.results {
                for s in &c.doc.header.slos {
                    if let Ok(
                        slo @ Slo::Latency {
                            metric: Metric::E2e,
                            ..
                        },
                    ) = s.parse::<Slo>()
                        && !out.iter().any(|o| o.to_string() == slo.to_string())
                    {
                        out.push(slo);
                    }
                }
            }
        }
        out
    }

    /// CDFs of request latency, TTFT and ITL at the operating points.
    pub(super) fn distributions_section(&self) -> Option<Section> {
        let mut cdfs = Vec::new();
        for (m, id) in [
            (Metric::E2e, "compare-e2e-cdf"),
            (Metric::Ttft, "compare-ttft-cdf"),
            (Metric::Itl, "compare-itl-cdf"),
        ] {
            let dists: Vec<(String, &Dist)> = self
                .entries
                .iter()
                .zip(&self.ops)
                .filter_map(|(e, o)| o.summary.map(|s| (e.name.clone(), s.dist(m))))
                .collect();
            if dists.iter().any(|(_, d)| !d.is_empty()) {
                // Keep colours by entry: empty distributions stay in the list and draw
                // nothing.
                cdfs.push(figures::cdf(id, m, &dists));
            }
        }
        if cdfs.is_empty() {
            return None;
        }
        let mut sec = Section::new("Distributions at the operating points");
        sec.push(Block::Charts(cdfs));
        Some(sec)
    }

    /// Judges one gate against one candidate: its outcome and its table row.
    fn judge(
        &self,
        gate: &Gate,
        entry: &CompareEntry,
        op: &Operating<'_>,
    ) -> (GateResult, Vec<Cell>) {
        let q = gate.quantity();
        let (a, b) = (self.base().value(q), op.value(q));
        let diff = test(q, self.base(), op, self.confidence);
        // A gate that cannot be judged fails: a CI gate must not pass by checking
        // nothing (TTFT of an unstreamed run, capacity of a plain run).
        let failed = match (a, b) {
            (Some(a), Some(b)) => gate.fails(a, b),
            _ => true,
        };
        let kind = Kind::of(q);
        let shown = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |v| show(kind, v));
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
        let result = GateResult {
            gate: gate.to_string(),
            candidate: entry.name.clone(),
            baseline: a,
            value: b,
            failed,
            no_data: a.is_none() || b.is_none(),
            significant: diff.map(|d| d.significant),
            baseline_shown: shown(a),
            value_shown: shown(b),
        };
        let row = vec![
            gate.to_string().into(),
            entry.name.clone().into(),
            result.baseline_shown.clone().into(),
            result.value_shown.clone().into(),
            change.into(),
            verdict,
        ];
        (result, row)
    }

    /// Every gate against every candidate: the outcomes, their section and a card.
    pub(super) fn gates(&self, gates: &[Gate]) -> (Vec<GateResult>, Section, Card) {
        let mut t = Table::new([
            "Gate",
            "Candidate",
            "First",
            "Candidate value",
            "Change",
            "Result",
        ]);
        t.left = vec![1, 5];
        let mut results = Vec::new();
        for g in gates {
            for (e, op) in self.entries.iter().zip(&self.ops).skip(1) {
                let (result, row) = self.judge(g, e, op);
                results.push(result);
                t.rows.push(row);
            }
        }
        let failed = results.iter().filter(|r| r.failed).count();
        let card = Card::new(
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
        .tone(if failed == 0 { Tone::Good } else { Tone::Bad });
        let mut sec = Section::new("Gates (--fail-if)");
        sec.push(Block::Table(None, t));
        (results, sec, card)
    }

    /// Headline ratios of throughput and P95 latency for each candidate (used when no
    /// result has a capacity to headline).
    pub(super) fn ratio_cards(&self) -> Vec<Card> {
        let mut cards = Vec::new();
        for (label, q) in [
            ("Throughput", Quantity::Throughput),
            ("P95 request latency", P95_E2E),
        ] {
            for (e, op) in self.entries.iter().zip(&self.ops).skip(1) {
                if let (Some(a), Some(b)) = (self.base().value(&q), op.value(&q)) {
                    let (r, text) = ratio_text(a, b);
                    let sig =
                        test(&q, self.base(), op, self.confidence).is_none_or(|d| d.significant);
                    cards.push(
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
        cards
    }
}

/// The cost figures of one priced result at its operating point.
struct Cost {
    tokens_per_s: Option<f64>,
    per_m_tokens: Option<f64>,
    requests_per_dollar: Option<f64>,
    /// Dollars per hour per unit of capacity, and the unit in words.
    per_unit: Option<(f64, &'static str)>,
}

impl Cost {
    fn at(op: &Operating<'_>, price: f64) -> Cost {
        let tokens_per_s = op.tokens_per_s();
        Cost {
            tokens_per_s,
            per_m_tokens: tokens_per_s
                .filter(|t| *t > 0.0)
                .map(|t| price / (t * 3600.0) * 1e6),
            requests_per_dollar: op.requests_per_s().map(|r| r * 3600.0 / price),
            per_unit: op
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
                }),
        }
    }

    /// The headline card: $ per million tokens, with the cost per unit of capacity or
    /// the requests per dollar.
    fn card(&self, name: &str) -> Option<Card> {
        let pm = self.per_m_tokens?;
        Some(
            Card::new(format!("{name} cost"), format!("${pm:.3} / M tok")).detail(
                self.per_unit.map_or_else(
                    || {
                        format!(
                            "{} requests per $",
                            self.requests_per_dollar
                                .map_or_else(|| "—".into(), |v| fmt_thousands(v, 0))
                        )
                    },
                    |(u, what)| format!("${u:.4}/h {what} at the SLO"),
                ),
            ),
        )
    }
}
