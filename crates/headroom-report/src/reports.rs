//! The report [`Document`] of a run, a sweep and a capacity search: the answer first,
//! then tables, charts and seed 000's documentation template per level and run.

use crate::chart::Chart;
use crate::document::{Block, Card, Cell, Document, Section, Table, Tone};
use crate::figures;
use crate::levels::{estimate, ms};
use crate::load::{Levels, Results, Run};
use crate::{fmt_num, fmt_thousands};
use headroom_capacity::doc::{CapacityDoc, Header, Status, SweepDoc};
use headroom_capacity::{Axis as LoadAxis, LevelResult};
use headroom_core::LoadPolicy;
use headroom_core::results::{Manifest, RunStatus};
use headroom_metrics::{Metric, Slo, Summary, Verdict};

/// The report of whatever `r` holds.
pub fn document(r: &Results) -> Document {
    match r {
        Results::Run(run) => run_document(run, r.gpu()),
        Results::Sweep(s) => sweep_document(s, r.gpu()),
        Results::Capacity(c) => capacity_document(c, r.gpu()),
    }
}

fn target_of(m: &Manifest) -> String {
    if m.target.virtual_time {
        format!(
            "predicted in virtual time ({})",
            m.target.simulator.as_deref().unwrap_or("engine model")
        )
    } else if m.target.embedded_simulator {
        format!(
            "embedded simulator ({})",
            m.target.simulator.as_deref().unwrap_or("engine model")
        )
    } else {
        let version = m
            .target
            .server_version
            .as_deref()
            .map(|v| format!(", server {v}"))
            .unwrap_or_default();
        format!("{}{version}", m.scenario.target.url)
    }
}

fn duration(s: f64) -> String {
    if s >= 120.0 {
        format!("{} minutes", fmt_num(s / 60.0))
    } else {
        format!("{} s", fmt_num(s))
    }
}

/// Statistic table rows for the latency and length metrics that have data.
fn stats_table(s: &Summary) -> Table {
    let mut t = Table::new([
        "Metric", "Unit", "Mean", "Min", "P50", "P75", "P90", "P95", "P99", "P99.9", "Max", "Count",
    ]);
    t.left = vec![1];
    for m in Metric::ALL {
        let d = s.dist(m);
        if d.is_empty() {
            continue;
        }
        let st = d.stats();
        let f = |v: f64| fmt_num(v);
        t.row([
            m.label().to_string(),
            m.unit().display().to_string(),
            f(st.mean),
            f(st.min),
            f(st.p50),
            f(st.p75),
            f(st.p90),
            f(st.p95),
            f(st.p99),
            f(st.p999),
            f(st.max),
            fmt_thousands(st.count as f64, 0),
        ]);
    }
    t
}

fn throughput_table(s: &Summary) -> Table {
    let t = s.throughput();
    let mut tab = Table::new(["Quantity", "Value"]);
    tab.row([
        "Completed requests".to_string(),
        fmt_thousands(s.counts.ok as f64, 0),
    ]);
    tab.row([
        "Failed requests".to_string(),
        fmt_thousands(s.counts.failed() as f64, 0),
    ]);
    for (k, n) in &s.counts.errors {
        tab.row([format!("  {k}"), fmt_thousands(*n as f64, 0)]);
    }
    tab.row([
        "Error rate".to_string(),
        format!("{:.2}%", s.counts.error_rate() * 100.0),
    ]);
    tab.row([
        "Request throughput (req/s)".to_string(),
        fmt_num(t.requests_per_s),
    ]);
    tab.row([
        "Output token throughput (tok/s)".to_string(),
        fmt_num(t.output_tokens_per_s),
    ]);
    tab.row([
        "Total token throughput (tok/s)".to_string(),
        fmt_num(t.total_tokens_per_s),
    ]);
    tab.row([
        "Input tokens".to_string(),
        fmt_thousands(s.tokens.input as f64, 0),
    ]);
    tab.row([
        "Output tokens".to_string(),
        fmt_thousands(s.tokens.output as f64, 0),
    ]);
    tab.row(["Measurement window (s)".to_string(), fmt_num(t.window_s)]);
    if s.counts.warmup > 0 {
        tab.row([
            "Warmup requests (excluded)".to_string(),
            fmt_thousands(s.counts.warmup as f64, 0),
        ]);
    }
    tab
}

fn setup_table(m: &Manifest, dir: &str) -> Table {
    let mut t = Table::new(["Setting", "Value"]);
    t.left = vec![1];
    let sc = &m.scenario;
    t.row(["Model".to_string(), sc.target.model.clone()]);
    t.row(["Target".to_string(), target_of(m)]);
    t.row([
        "API".to_string(),
        format!("{} {}", sc.target.api, sc.target.endpoint),
    ]);
    t.row([
        "Streaming".to_string(),
        if sc.target.stream { "yes" } else { "no" }.to_string(),
    ]);
    t.row(["Load".to_string(), sc.plan.load.label()]);
    t.row([
        "Input tokens".to_string(),
        sc.workload.input_tokens.to_string(),
    ]);
    t.row([
        "Output tokens".to_string(),
        sc.workload.output_tokens.to_string(),
    ]);
    if let Some(src) = &sc.workload.source {
        t.row(["Prompts from".to_string(), src.clone()]);
    }
    t.row(["Tokenizer".to_string(), sc.workload.tokenizer.clone()]);
    t.row(["Warmup".to_string(), sc.plan.warmup.to_string()]);
    t.row(["Seed".to_string(), sc.plan.seed.to_string()]);
    for (k, v) in &m.labels {
        t.row([format!("Label {k}"), v.clone()]);
    }
    t.row(["Started".to_string(), m.started_at.clone()]);
    if let Some(e) = &m.ended_at {
        t.row(["Ended".to_string(), e.clone()]);
    }
    t.row([
        "Status".to_string(),
        format!("{:?}", m.status).to_lowercase(),
    ]);
    t.row([
        "Tool".to_string(),
        format!("{} {} ({})", m.tool.name, m.tool.version, m.tool.git_sha),
    ]);
    t.row([
        "Load generator host".to_string(),
        format!(
            "{} ({} {}, {} CPUs)",
            m.host.hostname, m.host.os, m.host.arch, m.host.cpus
        ),
    ]);
    t.row(["Command".to_string(), m.command.join(" ")]);
    t.row(["Results".to_string(), dir.to_string()]);
    t
}

/// Seed 000's documentation template for one run.
struct TemplateRun<'a> {
    gpu: Option<&'a str>,
    level: String,
    p95_ms: f64,
    p99_ms: f64,
    requests_per_s: f64,
    duration_s: f64,
    status: String,
}

fn template(t: TemplateRun<'_>) -> Block {
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

fn load_words(load: &LoadPolicy) -> String {
    match load {
        LoadPolicy::Closed { concurrency } => concurrency.to_string(),
        other => format!("open loop, {}", other.label()),
    }
}

fn level_words(axis: LoadAxis, level: f64) -> String {
    match axis {
        LoadAxis::Concurrency => fmt_thousands(level, 0),
        LoadAxis::Rate => format!("open loop at {} req/s", fmt_num(level)),
    }
}

/// The report of one run.
pub fn run_document(run: &Run, gpu: Option<String>) -> Document {
    let s = &run.summary;
    let m = run.manifest.as_ref();
    let model = m.map_or_else(
        || "unknown model".into(),
        |m| m.scenario.target.model.clone(),
    );
    let mut doc = Document {
        title: format!("headroom run: {model}"),
        ..Document::default()
    };
    if let Some(m) = m {
        doc.meta.push(format!(
            "{} against {} · started {}",
            m.scenario.plan.load.label(),
            target_of(m),
            m.started_at
        ));
        doc.meta.push(m.command.join(" "));
        match m.status {
            RunStatus::Complete => {}
            RunStatus::Interrupted => {
                let msg = m
                    .status_message
                    .as_deref()
                    .unwrap_or("the run was interrupted");
                let mut w: String = msg
                    .chars()
                    .take(1)
                    .flat_map(char::to_uppercase)
                    .chain(msg.chars().skip(1))
                    .collect();
                if !msg.contains("partial") {
                    w.push_str("; results are partial");
                }
                doc.warnings.push(w + ".");
            }
            RunStatus::Running if run.rebuilt => doc.warnings.push(format!(
                "This run did not finish (killed?): the report is rebuilt from the {} requests in its journal.",
                fmt_thousands((s.counts.measured() + s.counts.warmup) as f64, 0)
            )),
            other => doc.warnings.push(format!(
                "The run ended as {:?}: {}",
                other,
                m.status_message.as_deref().unwrap_or("results are partial")
            )),
        }
    } else {
        doc.warnings
            .push("manifest.json is missing: the setup of this run is unknown.".into());
    }
    if run.damaged_lines > 0 {
        doc.warnings.push(format!(
            "{} line(s) of requests.jsonl could not be read (a torn last line is normal for a killed run) and are not counted.",
            run.damaged_lines
        ));
    }
    let t = s.throughput();
    let e2e = s.stats(Metric::E2e);
    let ttft = s.dist(Metric::Ttft);
    doc.cards.push(
        Card::new("Throughput", format!("{} req/s", fmt_num(t.requests_per_s)))
            .detail(format!("{} output tok/s", fmt_num(t.output_tokens_per_s))),
    );
    doc.cards.push(
        Card::new("P95 request latency", ms(e2e.p95)).detail(format!(
            "P50 {} · P99 {}",
            ms(e2e.p50),
            ms(e2e.p99)
        )),
    );
    if !ttft.is_empty() {
        let st = ttft.stats();
        doc.cards
            .push(Card::new("P95 TTFT", ms(st.p95)).detail(format!("P50 {}", ms(st.p50))));
    }
    let itl = s.dist(Metric::Itl);
    if !itl.is_empty() {
        let st = itl.stats();
        doc.cards
            .push(Card::new("P95 ITL", ms(st.p95)).detail(format!("P50 {}", ms(st.p50))));
    }
    let failed = s.counts.failed();
    doc.cards.push(
        Card::new("Errors", format!("{:.2}%", s.counts.error_rate() * 100.0))
            .detail(format!(
                "{} failed of {}",
                fmt_thousands(failed as f64, 0),
                fmt_thousands(s.counts.measured() as f64, 0)
            ))
            .tone(if failed > 0 { Tone::Bad } else { Tone::Good }),
    );

    let mut summary = Section::new("Summary");
    summary
        .push(Block::Table(
            Some("Latency and lengths".into()),
            stats_table(s),
        ))
        .push(Block::Table(
            Some("Throughput and errors".into()),
            throughput_table(s),
        ));
    doc.sections.push(summary);

    let mut tmpl = Section::new("Documentation template");
    tmpl.push(template(TemplateRun {
        gpu: gpu.as_deref(),
        level: m.map_or_else(|| "unknown".into(), |m| load_words(&m.scenario.plan.load)),
        p95_ms: e2e.p95,
        p99_ms: e2e.p99,
        requests_per_s: t.requests_per_s,
        duration_s: t.window_s,
        status: "no SLO given (headroom capacity judges levels against one)".into(),
    }));
    doc.sections.push(tmpl);

    let dists = figures::distributions(s);
    if !dists.is_empty() {
        let mut sec = Section::new("Distributions");
        sec.push(Block::Charts(dists));
        doc.sections.push(sec);
    }
    if let Some(tl) = &run.timeline {
        let mut sec = Section::new("Over time");
        sec.push(Block::Charts(figures::over_time(tl)));
        doc.sections.push(sec);
    }
    if let Some(m) = m {
        let mut sec = Section::new("Setup");
        sec.push(Block::Table(
            None,
            setup_table(m, &run.dir.display().to_string()),
        ));
        doc.sections.push(sec);
    }
    doc
}

fn header_meta(doc: &mut Document, h: &Header, kind: &str) {
    doc.title = format!("headroom {kind}: {}", h.model);
    doc.meta
        .push(format!("{} · started {}", h.target, h.started_at));
    doc.meta.push(h.command.join(" "));
    match h.status {
        Status::Complete => {}
        Status::Running => doc.warnings.push(format!(
            "This {kind} did not finish (killed?): the report shows the levels measured so far; continue it with `headroom {kind} --resume DIR`."
        )),
        Status::Interrupted => doc.warnings.push(format!(
            "This {kind} was interrupted: the report shows the levels measured so far; continue it with `headroom {kind} --resume DIR`."
        )),
    }
}

fn verdict_tone(v: Verdict) -> Tone {
    match v {
        Verdict::Pass => Tone::Good,
        Verdict::Fail => Tone::Bad,
        Verdict::Marginal => Tone::Warn,
    }
}

/// Seed 000's template for every level and run.
fn templates(
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
            }));
        }
    }
    sec
}

fn sorted(levels: &[LevelResult]) -> Vec<&LevelResult> {
    let mut v: Vec<&LevelResult> = levels.iter().collect();
    v.sort_by(|a, b| a.level.total_cmp(&b.level));
    v
}

/// CDFs of request latency and TTFT per level (at most 8 levels, spread over the range).
fn cdfs_by_level<D>(l: &Levels<D>, axis: LoadAxis, only: Option<&[f64]>) -> Vec<Chart> {
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
        let dists: Vec<(String, &headroom_metrics::Dist)> = chosen
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

fn rows_table(
    levels: &[&LevelResult],
    axis: LoadAxis,
    marks: Option<&headroom_capacity::sweep::Marks>,
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

/// The report of a sweep.
pub fn sweep_document(l: &Levels<SweepDoc>, gpu: Option<String>) -> Document {
    let d = &l.doc;
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
    doc.cards.push(
        Card::new("Levels", levels.len().to_string()).detail(format!(
            "{} runs",
            levels.iter().map(|l| l.repeats.len()).sum::<usize>()
        )),
    );
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
    let rows: Vec<&headroom_capacity::sweep::Row> = levels.iter().map(|l| &l.merged).collect();
    let mut ch = Section::new("Versus load");
    ch.push(Block::Charts(figures::versus_load(
        axis,
        &rows,
        d.marks.knee,
        None,
        !h.slos.is_empty(),
    )));
    doc.sections.push(ch);
    let cdfs = cdfs_by_level(l, axis, None);
    if !cdfs.is_empty() {
        let mut sec = Section::new("Distributions by level");
        sec.push(Block::Charts(cdfs));
        doc.sections.push(sec);
    }
    doc.sections
        .push(templates(&levels, axis, gpu.as_deref(), &h.slos));
    doc
}

/// The report of a capacity search.
pub fn capacity_document(l: &Levels<CapacityDoc>, gpu: Option<String>) -> Document {
    let d = &l.doc;
    let h = &d.header;
    let axis = h.axis;
    let mut doc = Document::default();
    header_meta(&mut doc, h, "capacity");
    let levels = sorted(&d.levels);
    let slos: Vec<Option<Slo>> = h.slos.iter().map(|s| s.parse().ok()).collect();
    let found = &d.found;
    let answer_tone = match (found.max_pass, found.limit_reached) {
        (Some(_), false) => Tone::Good,
        (Some(_), true) => Tone::Warn,
        (None, _) => Tone::Bad,
    };
    let answer = match found.max_pass {
        Some(m) if found.limit_reached => format!("≥ {}", axis.describe(m)),
        Some(m) => format!("max {}", axis.describe(m)),
        None => "none passed".into(),
    };
    doc.cards.push(
        Card::new("Capacity", answer)
            .detail(format!("at {}", h.slos.join(", ")))
            .tone(answer_tone),
    );
    for (which, lv) in [
        ("Passing level", found.max_pass),
        ("First failing level", found.first_fail),
    ] {
        let Some(lr) = lv.and_then(|v| d.level(v)) else {
            continue;
        };
        let parts: Vec<String> = lr
            .slos
            .iter()
            .map(|s| format!("{} = {}", s.slo, estimate(&s.assessment)))
            .collect();
        doc.cards.push(
            Card::new(
                which,
                format!("{} ({})", axis.describe(lr.level), lr.verdict),
            )
            .detail(parts.join("; "))
            .tone(verdict_tone(lr.verdict)),
        );
    }
    if let Some(lr) = found.max_pass.and_then(|v| d.level(v)) {
        doc.cards.push(
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
    doc.cards.push(
        Card::new(
            "Runs",
            levels
                .iter()
                .map(|l| l.repeats.len())
                .sum::<usize>()
                .to_string(),
        )
        .detail(format!(
            "{} levels, {}; {:.0}% intervals",
            levels.len(),
            if h.repeats == 1 {
                "1 run each".to_string()
            } else {
                format!("up to {} repeats each", h.repeats)
            },
            d.confidence * 100.0
        )),
    );

    // Levels with each SLO's estimate and interval.
    let mut head = vec![axis.heading().to_string()];
    head.extend(h.slos.iter().cloned());
    head.extend(["Goodput (req/s)".to_string(), "Verdict".to_string()]);
    let mut t = Table::new(head);
    t.left = vec![t.head.len() - 1];
    for lr in &levels {
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
        let stopped = lr.repeats.iter().any(|r| r.early_stop.is_some());
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
            "Estimate [{:.0}% interval] per SLO",
            d.confidence * 100.0
        )),
        t,
    ));
    sec.push(Block::Text(format!(
        "A level passes when the whole interval is within every SLO; the {} rule counts MARGINAL (the interval straddles the limit) as {}. Intervals combine the sampling interval within runs and the spread across repeats.",
        match d.pass_rule {
            headroom_capacity::PassRule::Confident => "confident",
            headroom_capacity::PassRule::Estimate => "estimate",
        },
        match d.pass_rule {
            headroom_capacity::PassRule::Confident => "not passing",
            headroom_capacity::PassRule::Estimate => "the estimate decides",
        }
    )));
    doc.sections.push(sec);

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
            &levels,
            i,
            slo,
            found.max_pass,
        ));
    }
    env.push(Block::Charts(env_charts));
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
        "Status",
    ]);
    et.left = vec![9];
    for lr in &levels {
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
                Cell::toned(
                    match &r.early_stop {
                        Some(e) => format!("{} (stopped early: {})", r.verdict, e.rule),
                        None => r.verdict.to_string(),
                    },
                    verdict_tone(r.verdict),
                ),
            ]);
        }
    }
    env.push(Block::Table(Some("One row per level and run".into()), et));
    doc.sections.push(env);

    let rows: Vec<&headroom_capacity::sweep::Row> = levels.iter().map(|l| &l.merged).collect();
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
    let around: Vec<f64> = [found.max_pass, found.first_fail]
        .into_iter()
        .flatten()
        .collect();
    let cdfs = cdfs_by_level(l, axis, (!around.is_empty()).then_some(around.as_slice()));
    if !cdfs.is_empty() {
        let mut sec = Section::new("Distributions at the capacity and the first failing level");
        sec.push(Block::Charts(cdfs));
        doc.sections.push(sec);
    }
    doc.sections
        .push(templates(&levels, axis, gpu.as_deref(), &h.slos));
    doc
}
