//! The report of one run: headline cards, the statistics, the documentation template,
//! distributions, the run over time and its setup.

use super::{TemplateRun, template};
use crate::console::shows;
use crate::document::{Block, Card, Document, Section, Table, Tone};
use crate::figures;
use crate::levels::ms;
use crate::{fmt_num, fmt_thousands};
use headroom_capacity::GpuRow;
use headroom_core::LoadPolicy;
use headroom_metrics::{Metric, Summary};
use headroom_results::read::RunResults;
use headroom_results::{Manifest, RunStatus};

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

/// Statistic table rows for the latency and length metrics the console shows too.
fn stats_table(s: &Summary) -> Table {
    let mut t = Table::new([
        "Metric", "Unit", "Mean", "Min", "P50", "P75", "P90", "P95", "P99", "P99.9", "Max", "Count",
    ]);
    t.left = vec![1];
    for m in Metric::ALL.into_iter().filter(|m| shows(s, *m)) {
        let d = s.dist(m);
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

fn load_words(load: &LoadPolicy) -> String {
    match load {
        LoadPolicy::Closed { concurrency } => concurrency.to_string(),
        other => format!("open loop, {}", other.label()),
    }
}

/// The report of one run; `gpu` names the GPU in the documentation template.
pub fn run_document(run: &RunResults, gpu: Option<String>) -> Document {
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
    }
    doc.warnings = warnings(run);
    doc.cards = cards(s);

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
    if let Some(v) = crate::server::view(s) {
        let mut t = Table::new(crate::server::LATENCY_HEAD);
        for row in v.latency {
            t.row(row);
        }
        summary.push(Block::Table(Some(v.title), t));
        summary.push(Block::Text(crate::server::LATENCY_NOTE.into()));
        for n in v.notes {
            summary.push(Block::Text(n));
        }
    }
    for line in crate::server::machine_lines(s) {
        summary.push(Block::Text(line));
    }
    doc.sections.push(summary);

    let t = s.throughput();
    let e2e = s.stats(Metric::E2e);
    let mut tmpl = Section::new("Documentation template");
    tmpl.push(template(TemplateRun {
        gpu: gpu.as_deref(),
        level: m.map_or_else(|| "unknown".into(), |m| load_words(&m.scenario.plan.load)),
        p95_ms: e2e.p95,
        p99_ms: e2e.p99,
        requests_per_s: t.requests_per_s,
        duration_s: t.window_s,
        status: "no SLO given (headroom capacity judges levels against one)".into(),
        gpus: s.gpu.as_ref().map(GpuRow::of),
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
        let mut charts = figures::over_time(tl);
        charts.extend(figures::server_over_time(&run.telemetry));
        sec.push(Block::Charts(charts));
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

/// What a reader must know before trusting the numbers: an interrupted or unfinished
/// run, a missing manifest, unreadable journal lines.
fn warnings(run: &RunResults) -> Vec<String> {
    let s = &run.summary;
    let mut out = Vec::new();
    if let Some(m) = &run.manifest {
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
                out.push(w + ".");
            }
            RunStatus::Running if run.rebuilt => out.push(format!(
                "This run did not finish (killed?): the report is rebuilt from the {} requests in its journal.",
                fmt_thousands((s.counts.measured() + s.counts.warmup) as f64, 0)
            )),
            other => out.push(format!(
                "The run ended as {:?}: {}",
                other,
                m.status_message.as_deref().unwrap_or("results are partial")
            )),
        }
    } else {
        out.push("manifest.json is missing: the setup of this run is unknown.".into());
    }
    if run.damaged_lines > 0 {
        out.push(format!(
            "{} line(s) of requests.jsonl could not be read (a torn last line is normal for a killed run) and are not counted.",
            run.damaged_lines
        ));
    }
    out
}

/// The headline numbers: throughput, P95 latency, TTFT and ITL when streamed, errors.
fn cards(s: &Summary) -> Vec<Card> {
    let t = s.throughput();
    let e2e = s.stats(Metric::E2e);
    let mut cards = vec![
        Card::new("Throughput", format!("{} req/s", fmt_num(t.requests_per_s)))
            .detail(format!("{} output tok/s", fmt_num(t.output_tokens_per_s))),
        Card::new("P95 request latency", ms(e2e.p95)).detail(format!(
            "P50 {} · P99 {}",
            ms(e2e.p50),
            ms(e2e.p99)
        )),
    ];
    for (label, metric) in [("P95 TTFT", Metric::Ttft), ("P95 ITL", Metric::Itl)] {
        let d = s.dist(metric);
        if !d.is_empty() {
            let st = d.stats();
            cards.push(Card::new(label, ms(st.p95)).detail(format!("P50 {}", ms(st.p50))));
        }
    }
    let failed = s.counts.failed();
    cards.push(
        Card::new("Errors", format!("{:.2}%", s.counts.error_rate() * 100.0))
            .detail(format!(
                "{} failed of {}",
                fmt_thousands(failed as f64, 0),
                fmt_thousands(s.counts.measured() as f64, 0)
            ))
            .tone(if failed > 0 { Tone::Bad } else { Tone::Good }),
    );
    cards
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Block;
    use headroom_metrics::Recorder;

    /// A summary of 20 streamed requests whose chunks carry `per_chunk` tokens each.
    fn summary(per_chunk: u32) -> Summary {
        let mut rec = Recorder::new();
        for i in 0..20u64 {
            let chunks: Vec<u64> = (0..10).map(|k| 50_000 + k * 15_000).collect();
            let r = serde_json::from_value(serde_json::json!({
                "index": i, "phase": "measure", "send_us": i * 200_000,
                "end_us": i * 200_000 + 200_000, "content_us": chunks,
                "content_tokens": vec![per_chunk; 10], "input_tokens": 100,
                "input_tokens_source": "usage", "output_tokens": 10 * per_chunk,
                "output_tokens_source": "usage", "max_tokens": 10 * per_chunk,
                "http_status": 200, "outcome": {"status": "ok"}
            }))
            .unwrap();
            rec.add(&r);
        }
        rec.finish(0)
    }

    fn metric_rows(s: Summary) -> Vec<String> {
        let run = RunResults {
            dir: "run".into(),
            manifest: None,
            summary: s,
            rebuilt: false,
            damaged_lines: 0,
            timeline: None,
            telemetry: Vec::new(),
        };
        let doc = run_document(&run, None);
        let Some(Block::Table(_, t)) = doc.sections[0].blocks.first() else {
            panic!("no statistics table")
        };
        t.rows.iter().map(|r| r[0].text.clone()).collect()
    }

    #[test]
    fn inter_chunk_latency_shows_only_when_chunks_carry_several_tokens() {
        // Regression: the run report showed identical inter-chunk and inter-token rows
        // where the console table already hid the first.
        let rows = metric_rows(summary(1));
        assert!(
            rows.contains(&"Inter-token latency".to_string()),
            "{rows:?}"
        );
        assert!(
            !rows.contains(&"Inter-chunk latency".to_string()),
            "{rows:?}"
        );
        let rows = metric_rows(summary(3));
        assert!(
            rows.contains(&"Inter-chunk latency".to_string()),
            "{rows:?}"
        );
        assert!(
            rows.contains(&"Inter-token latency".to_string()),
            "{rows:?}"
        );
    }
}
