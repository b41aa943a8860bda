//! Console table, CSV and JSON renderings of a summary.

use crate::num::fmt_num;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use headroom_metrics::{Metric, Stats, Summary};

/// What the run was, for the title line.
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// e.g. `concurrency 20` or `rate 8/s poisson`.
    pub load: String,
    /// Model name.
    pub model: String,
    /// Target URL (or "embedded simulator").
    pub target: String,
    /// Set when the run was interrupted or failed: the results are partial.
    pub partial: Option<String>,
}

/// Rows shown, in order. Metrics without samples are left out (e.g. TTFT when not
/// streaming, scheduling lag in closed loop).
fn rows(s: &Summary) -> Vec<Metric> {
    let chunky = s.dist(Metric::Itl).count() != s.dist(Metric::ItlPerToken).count();
    [
        Metric::Ttft,
        Metric::ItlPerToken,
        Metric::Itl,
        Metric::Tpot,
        Metric::E2e,
        Metric::Osl,
        Metric::Isl,
        Metric::SchedulingLag,
        Metric::TtftFromIntended,
        Metric::E2eFromIntended,
    ]
    .into_iter()
    .filter(|m| !s.dist(*m).is_empty())
    .filter(|m| *m != Metric::Itl || chunky)
    .collect()
}

/// genai-perf's labels: the unit in parentheses for times, none for token counts.
fn label(m: Metric) -> String {
    match m.unit() {
        headroom_metrics::Unit::Micros => format!("{} ({})", m.label(), m.unit().display()),
        headroom_metrics::Unit::Tokens => m.label().to_string(),
    }
}

fn columns(st: &Stats) -> [f64; 8] {
    [
        st.mean, st.min, st.max, st.p99, st.p95, st.p90, st.p75, st.p50,
    ]
}

const HEAD: [&str; 9] = [
    "Statistic",
    "avg",
    "min",
    "max",
    "p99",
    "p95",
    "p90",
    "p75",
    "p50",
];

/// The console report: a title, the statistics table, throughput, and request and error
/// counts. Pure text, no colour.
pub fn table(s: &Summary, h: &Header) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(HEAD);
    for m in rows(s) {
        let mut row = vec![label(m)];
        row.extend(columns(&s.stats(m)).iter().map(|v| fmt_num(*v)));
        t.add_row(row);
    }
    for i in 0..HEAD.len() {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = String::new();
    out.push_str(&format!(
        "headroom | {} | {} | {}\n",
        h.load, h.model, h.target
    ));
    if let Some(p) = &h.partial {
        out.push_str(&format!("PARTIAL RESULTS: {p}\n"));
    }
    if rows(s).is_empty() {
        out.push_str("(no request completed: no latency statistics)\n");
    } else {
        out.push_str(&t.to_string());
        out.push('\n');
    }
    let tp = s.throughput();
    out.push_str(&format!(
        "Output token throughput: {} tok/s | Total token throughput: {} tok/s\n",
        fmt_num(tp.output_tokens_per_s),
        fmt_num(tp.total_tokens_per_s)
    ));
    out.push_str(&format!(
        "Request throughput: {} req/s | measurement window {} s\n",
        fmt_num(tp.requests_per_s),
        fmt_num(tp.window_s)
    ));
    out.push_str(&counts_line(s));
    out.push('\n');
    if s.counts.ok > 0 {
        let usage = s.tokens.output_from_usage;
        let line = if usage == s.counts.ok {
            "Token counts: server usage for every request".to_string()
        } else if usage == 0 {
            "Token counts: the server sent no usage; counted with headroom's tokenizer".to_string()
        } else {
            format!(
                "Token counts: server usage for {usage} of {} requests, headroom's tokenizer for the rest",
                s.counts.ok
            )
        };
        out.push_str(&line);
        out.push('\n');
    }
    if s.tokens.usage_disagreements > 0 {
        out.push_str(&format!(
            "WARNING: for {} requests the server's usage and headroom's count of the text differ by more than 2 %\n",
            s.tokens.usage_disagreements
        ));
    }
    out
}

fn counts_line(s: &Summary) -> String {
    use headroom_core::ErrorKind::{Cancelled, NotSent};
    let c = &s.counts;
    let mut line = format!("Requests: {} ok", c.ok);
    let kinds = |interrupt: bool| -> Vec<String> {
        c.errors
            .iter()
            .filter(|(k, _)| matches!(k, Cancelled | NotSent) == interrupt)
            .map(|(k, n)| format!("{k} {n}"))
            .collect()
    };
    if c.failed() > 0 {
        line.push_str(&format!(
            ", {} failed ({:.1} %: {})",
            c.failed(),
            c.error_rate() * 100.0,
            kinds(false).join(", ")
        ));
    } else {
        line.push_str(", 0 failed");
    }
    if c.interrupted() > 0 {
        line.push_str(&format!("; interrupted: {}", kinds(true).join(", ")));
    }
    if c.warmup > 0 {
        line.push_str(&format!("; {} warmup requests excluded", c.warmup));
    }
    line
}

/// The statistics as CSV: one row per metric, then throughput and counts.
pub fn csv(s: &Summary) -> String {
    let mut out = String::from("Metric,unit,avg,min,max,p99,p95,p90,p75,p50,p99.9,stddev,count\n");
    for m in rows(s) {
        let st = s.stats(m);
        let v = columns(&st);
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            m.key(),
            m.unit().display(),
            v[0],
            v[1],
            v[2],
            v[3],
            v[4],
            v[5],
            v[6],
            v[7],
            st.p999,
            st.stddev,
            st.count
        ));
    }
    let tp = s.throughput();
    out.push('\n');
    out.push_str("Metric,value\n");
    out.push_str(&format!(
        "output_token_throughput_per_s,{}\n",
        tp.output_tokens_per_s
    ));
    out.push_str(&format!(
        "total_token_throughput_per_s,{}\n",
        tp.total_tokens_per_s
    ));
    out.push_str(&format!("request_throughput_per_s,{}\n", tp.requests_per_s));
    out.push_str(&format!("window_s,{}\n", tp.window_s));
    out.push_str(&format!("requests_ok,{}\n", s.counts.ok));
    for (k, n) in &s.counts.errors {
        out.push_str(&format!("errors_{k},{n}\n"));
    }
    out
}

/// The summary as pretty JSON (the shape of `summary.json`).
pub fn json(s: &Summary) -> String {
    serde_json::to_string_pretty(s).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_core::{ErrorKind, Outcome, Phase, RequestRecord, TokenSource};
    use headroom_metrics::Recorder;

    fn summary() -> Summary {
        let mut r = Recorder::new();
        for i in 0..100u64 {
            let ttft = 40_000 + i * 100;
            let content: Vec<u64> = (0..10).map(|k| ttft + k * 10_000).collect();
            r.add(&RequestRecord {
                index: i,
                phase: Phase::Measure,
                intended_us: None,
                send_us: Some(i * 50_000),
                end_us: Some(i * 50_000 + ttft + 95_000),
                content_us: content,
                content_tokens: vec![],
                input_tokens: 200,
                input_tokens_source: TokenSource::Usage,
                output_tokens: 10,
                output_tokens_source: TokenSource::Usage,
                output_tokens_counted: None,
                max_tokens: 10,
                requested_input_tokens: None,
                tags: Default::default(),
                http_status: Some(200),
                finish_reason: Some("length".into()),
                outcome: if i % 25 == 0 {
                    Outcome::Error {
                        kind: ErrorKind::Timeout,
                        message: "x".into(),
                    }
                } else {
                    Outcome::Ok
                },
            });
        }
        r.finish(0)
    }

    fn header() -> Header {
        Header {
            load: "concurrency 4".into(),
            model: "sim".into(),
            target: "http://127.0.0.1:8000".into(),
            partial: None,
        }
    }

    #[test]
    fn console_table_snapshot() {
        insta::assert_snapshot!(table(&summary(), &header()));
    }

    #[test]
    fn csv_snapshot() {
        insta::assert_snapshot!(csv(&summary()));
    }

    #[test]
    fn partial_and_empty_runs_say_so() {
        let mut h = header();
        h.partial = Some("interrupted by Ctrl-C".into());
        let t = table(&Summary::default(), &h);
        assert!(t.contains("PARTIAL RESULTS: interrupted by Ctrl-C"));
        assert!(t.contains("no request completed"));
    }
}
