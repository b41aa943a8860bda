//! Console table, CSV and JSON renderings of a summary.

use crate::console_table;
use crate::num::{csv_num, fmt_num, fmt_thousands};
use headroom_core::{LoadPolicy, Warmup};
use headroom_metrics::{Dist, Lengths, Metric, PrefixCache, Stats, Summary, TurnStats};
use headroom_results::Manifest;
use std::collections::BTreeMap;

/// What the run was, for the console report's title line
/// (`headroom | concurrency 20 | model | target`).
#[derive(Debug, Clone, Default)]
pub struct RunTitle {
    /// e.g. `concurrency 20` or `rate 8/s poisson`.
    pub load: String,
    /// Model name.
    pub model: String,
    /// Target URL (or "embedded simulator").
    pub target: String,
    /// Set when the run was interrupted or failed: the results are partial.
    pub partial: Option<String>,
}

impl RunTitle {
    /// The title of the run `manifest` describes (`None`: its manifest is lost): the
    /// target is its URL, "embedded simulator" (whose port is gone once the run ends) or
    /// "predicted in virtual time". `partial` says why its results are partial.
    pub fn of(manifest: Option<&Manifest>, partial: Option<String>) -> Self {
        let Some(m) = manifest else {
            return RunTitle {
                model: "unknown model".into(),
                partial,
                ..RunTitle::default()
            };
        };
        let plan = &m.scenario.plan;
        let burst = match (
            plan.load,
            plan.stop.requests,
            plan.stop.duration,
            plan.warmup,
        ) {
            (LoadPolicy::Closed { concurrency }, Some(n), None, Warmup::None)
                if n == u64::from(concurrency) =>
            {
                Some(concurrency)
            }
            _ => None,
        };
        RunTitle {
            load: burst.map_or_else(
                || plan.load.label(),
                |n| format!("burst of {n} (released together)"),
            ),
            model: m.scenario.target.model.clone(),
            target: if m.target.virtual_time {
                "predicted in virtual time".into()
            } else if m.target.embedded_simulator {
                "embedded simulator".into()
            } else {
                m.scenario.target.url.clone()
            },
            partial,
        }
    }
}

/// Whether a report shows metric `m` of `s`: not when it has no samples (TTFT when not
/// streaming, scheduling lag in closed loop), and inter-chunk latency only when chunks
/// carried several tokens (otherwise it repeats inter-token latency row for row). One
/// rule for the console table, the CSV and the HTML and Markdown reports.
pub(crate) fn shows(s: &Summary, m: Metric) -> bool {
    let chunky = s.dist(Metric::Itl).count() != s.dist(Metric::ItlPerToken).count();
    !s.dist(m).is_empty() && (m != Metric::Itl || chunky)
}

/// Rows shown, in order.
fn rows(s: &Summary) -> Vec<Metric> {
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
    .filter(|m| shows(s, *m))
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

/// The console report: a title, the statistics table, throughput, request and error
/// counts, requested versus delivered lengths, and, when the workload had them, cold
/// versus warm prefix TTFT and a per-turn table. Pure text, no colour.
pub fn table(summary: &Summary, title: &RunTitle) -> String {
    let (s, h) = (summary, title);
    let mut t = console_table::new(HEAD);
    for m in rows(s) {
        let mut row = vec![label(m)];
        row.extend(columns(&s.stats(m)).iter().map(|v| fmt_num(*v)));
        t.add_row(row);
    }
    console_table::align_right(&mut t, 0..HEAD.len());
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
    if h.load.starts_with("burst of") {
        out.push_str(&format!(
            "Burst: all {} requests done {} s after the first was sent\n",
            s.counts.measured(),
            fmt_num(tp.window_s)
        ));
    }
    out.push_str(&notes(s));
    out
}

/// What follows the statistics: request and error counts, where token counts came from,
/// requested versus delivered lengths, and the prefix-cache and per-turn sections.
pub(crate) fn notes(s: &Summary) -> String {
    let mut out = counts_line(s);
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
    if s.counts.ok > 0 {
        out.push_str(&lengths_lines(&s.lengths));
    }
    if let Some(p) = &s.prefix {
        out.push_str(&prefix_lines(p));
    }
    if !s.turns.is_empty() {
        out.push_str(&turns_table(&s.turns));
    }
    out.push_str(&crate::server::server_lines(s));
    out
}

/// Requested versus delivered prompt and output lengths, one line each (plus a hint when
/// outputs ended early).
fn lengths_lines(l: &Lengths) -> String {
    let tokens = |v: f64| fmt_thousands(v, 1);
    let mut out = String::new();
    if let Some(requested) = l.requested_input_mean() {
        out.push_str(&format!(
            "Mean input tokens: requested {}",
            tokens(requested)
        ));
        if let (Some(served), Some(extra)) = (l.served_input_mean(), l.input_overhead_mean()) {
            out.push_str(&format!(", server counted {}", tokens(served)));
            if extra.abs() < 0.05 {
                out.push_str(" (no difference)");
            } else {
                let sign = if extra > 0.0 { "+" } else { "" };
                out.push_str(&format!(
                    " ({sign}{} chat template/tokenizer)",
                    tokens(extra)
                ));
            }
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "Mean output tokens: requested {}, delivered {}",
        tokens(l.requested_output_mean()),
        tokens(l.delivered_output_mean())
    ));
    if l.ended_early > 0 {
        out.push_str(&format!(
            "; {} % ended before max_tokens\n",
            fmt_thousands(l.short_output_share() * 100.0, 1)
        ));
        out.push_str("  (EOS or a stop sequence; --ignore-eos forces the full length)");
    }
    out.push('\n');
    out
}

/// Cold versus warm TTFT of prefix groups: the definition, then the medians.
fn prefix_lines(p: &PrefixCache) -> String {
    let plural = if p.groups == 1 { "" } else { "s" };
    let side = |name: &str, d: &Dist| {
        if d.is_empty() {
            format!("{name} none")
        } else {
            format!(
                "{name} {} ms (n={})",
                fmt_num(d.stats().p50),
                fmt_thousands(d.count() as f64, 0)
            )
        }
    };
    let mut out = format!(
        "Prefix cache ({} group{plural}; cold = sent before its group's first token, warm = after):\n",
        p.groups
    );
    out.push_str(&format!(
        "  TTFT p50: {}, {}",
        side("cold", &p.cold),
        side("warm", &p.warm)
    ));
    match p.warm_speedup() {
        Some(x) if x >= 1.0 => out.push_str(&format!("; warm is {}× faster", fmt_thousands(x, 1))),
        Some(x) if x > 0.0 => {
            out.push_str(&format!("; warm is {}× slower", fmt_thousands(1.0 / x, 1)))
        }
        _ => {}
    }
    out.push('\n');
    out
}

/// One row per conversation turn: requests, mean prompt tokens, TTFT and E2E p50/p95.
fn turns_table(turns: &BTreeMap<u32, TurnStats>) -> String {
    let ms = |d: &Dist, q: fn(&Stats) -> f64| {
        if d.is_empty() {
            "-".to_string()
        } else {
            fmt_num(q(&d.stats()))
        }
    };
    let mut t = console_table::new([
        "Turn",
        "Requests",
        "Prompt tokens",
        "TTFT p50",
        "TTFT p95",
        "E2E p50",
        "E2E p95",
    ]);
    for (turn, ts) in turns {
        t.add_row([
            turn.to_string(),
            fmt_thousands(ts.requests as f64, 0),
            fmt_thousands(ts.input_mean(), 1),
            ms(&ts.ttft, |s| s.p50),
            ms(&ts.ttft, |s| s.p95),
            ms(&ts.e2e, |s| s.p50),
            ms(&ts.e2e, |s| s.p95),
        ]);
    }
    console_table::align_right(&mut t, 0..7);
    format!("Per conversation turn (mean prompt tokens; TTFT and E2E in ms):\n{t}\n")
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
    if c.interrupted() > 0 || c.unsent_arrivals > 0 {
        let mut parts = kinds(true);
        if c.unsent_arrivals > 0 {
            parts.push(format!("{} scheduled, not yet due", c.unsent_arrivals));
        }
        line.push_str(&format!("; interrupted: {}", parts.join(", ")));
    }
    if c.warmup > 0 {
        line.push_str(&format!("; {} warmup requests excluded", c.warmup));
    }
    line
}

/// The statistics as CSV: one row per metric, then throughput, counts, requested versus
/// delivered lengths, and the prefix-cache and per-turn numbers when present.
pub fn csv(summary: &Summary) -> String {
    let s = summary;
    let mut out = String::from("Metric,unit,avg,min,max,p99,p95,p90,p75,p50,p99.9,stddev,count\n");
    for m in rows(s) {
        let st = s.stats(m);
        let mut cells = vec![m.key().to_string(), m.unit().display().to_string()];
        cells.extend(columns(&st).into_iter().map(csv_num));
        cells.extend([csv_num(st.p999), csv_num(st.stddev), st.count.to_string()]);
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    let tp = s.throughput();
    out.push('\n');
    out.push_str("Metric,value\n");
    for (k, v) in [
        ("output_token_throughput_per_s", tp.output_tokens_per_s),
        ("total_token_throughput_per_s", tp.total_tokens_per_s),
        ("request_throughput_per_s", tp.requests_per_s),
        ("window_s", tp.window_s),
    ] {
        out.push_str(&format!("{k},{}\n", csv_num(v)));
    }
    out.push_str(&format!("requests_ok,{}\n", s.counts.ok));
    for (k, n) in &s.counts.errors {
        out.push_str(&format!("errors_{k},{n}\n"));
    }
    let mut line = |k: &str, v: f64| out.push_str(&format!("{k},{}\n", csv_num(v)));
    let l = &s.lengths;
    if l.requests > 0 {
        if let Some(v) = l.requested_input_mean() {
            line("requested_input_tokens_mean", v);
        }
        if let Some(v) = l.served_input_mean() {
            line("served_input_tokens_mean", v);
        }
        if let Some(v) = l.input_overhead_mean() {
            line("input_overhead_tokens_mean", v);
        }
        line("requested_output_tokens_mean", l.requested_output_mean());
        line("delivered_output_tokens_mean", l.delivered_output_mean());
        line("short_output_share", l.short_output_share());
    }
    if let Some(p) = &s.prefix {
        line("prefix_groups", p.groups as f64);
        for (side, d) in [("cold", &p.cold), ("warm", &p.warm)] {
            line(&format!("prefix_{side}_requests"), d.count() as f64);
            if !d.is_empty() {
                line(&format!("prefix_{side}_ttft_p50_ms"), d.stats().p50);
            }
        }
        if let Some(v) = p.warm_speedup() {
            line("prefix_warm_speedup", v);
        }
    }
    for (turn, t) in &s.turns {
        line(&format!("turn_{turn}_requests"), t.requests as f64);
        line(&format!("turn_{turn}_input_tokens_mean"), t.input_mean());
        for (name, d) in [("ttft", &t.ttft), ("e2e", &t.e2e)] {
            if !d.is_empty() {
                let st = d.stats();
                line(&format!("turn_{turn}_{name}_p50_ms"), st.p50);
                line(&format!("turn_{turn}_{name}_p95_ms"), st.p95);
            }
        }
    }
    out
}

/// The summary as pretty JSON (the shape of `summary.json`).
pub fn json(summary: &Summary) -> String {
    serde_json::to_string_pretty(summary).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_core::{ErrorKind, Tags, TokenSource};
    use headroom_metrics::Recorder;
    use headroom_testkit::record;

    fn summary() -> Summary {
        let mut r = Recorder::new();
        for i in 0..100u64 {
            let ttft = 40_000 + i * 100;
            let content: Vec<u64> = (0..10).map(|k| ttft + k * 10_000).collect();
            let failed = i % 25 == 0;
            let rec = record(i)
                .sent_at(i * 50_000)
                .e2e_us(ttft + 95_000)
                .content_us(content)
                .input_tokens(200)
                .input_source(TokenSource::Usage)
                .output_tokens(10)
                .finish_reason("length");
            r.add(&if failed {
                rec.failed(ErrorKind::Timeout, "x").build()
            } else {
                rec.build()
            });
        }
        r.finish(0)
    }

    fn header() -> RunTitle {
        RunTitle {
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

    /// 60 requests of 20 three-turn conversations over 4 prefix groups: the first 8 are
    /// sent before their group's first token (cold, TTFT 400 ms), the rest are warm; the
    /// prompt grows by 150 tokens a turn and the server counts 9 more (the template);
    /// every fifth request stops at 40 of 100 tokens.
    fn sections_summary() -> Summary {
        let mut r = Recorder::new();
        for i in 0..60u64 {
            let turn = 1 + (i % 3) as u32;
            let ttft = if i < 8 {
                400_000
            } else {
                60_000 + turn as u64 * 10_000
            };
            let out = if i % 5 == 0 { 40 } else { 100 };
            let send = i * 50_000;
            let requested = 200 + 150 * (turn - 1);
            r.add(
                &record(i)
                    .sent_at(send)
                    .e2e_us(ttft + out as u64 * 10_000)
                    .content_us((0..out as u64).map(|k| ttft + k * 10_000).collect())
                    .input_tokens(requested + 9)
                    .input_source(TokenSource::Usage)
                    .requested_input_tokens(requested)
                    .output_tokens(out)
                    .max_tokens(100)
                    .tags(Tags {
                        prefix_group: Some((i % 4) as u32),
                        prefix_tokens: Some(100),
                        session: Some(i / 3),
                        turn: Some(turn),
                    })
                    .build(),
            );
        }
        r.finish(0)
    }

    #[test]
    fn console_table_with_lengths_prefix_and_turns_snapshot() {
        let s = sections_summary();
        let p = s.prefix.as_ref().unwrap();
        assert_eq!((p.cold.count(), p.warm.count()), (8, 52));
        insta::assert_snapshot!(table(&s, &header()));
    }

    #[test]
    fn csv_with_lengths_prefix_and_turns_snapshot() {
        insta::assert_snapshot!(csv(&sections_summary()));
    }

    #[test]
    fn new_lines_fit_in_100_columns_even_with_large_numbers() {
        let l = Lengths {
            requests: 1_000_000,
            with_requested_input: 1_000_000,
            requested_input: 131_072_000_000,
            with_usage: 1_000_000,
            requested_input_with_usage: 131_072_000_000,
            served_input: 131_072_000_000 + 1_234_500_000,
            requested_output: 32_768_000_000,
            delivered_output: 12_345_000_000,
            ended_early: 999_999,
        };
        let mut p = PrefixCache {
            groups: 100_000,
            ..PrefixCache::default()
        };
        for _ in 0..10_000 {
            p.cold.record(123_456_789);
            p.warm.record(1_234_567);
        }
        let text = lengths_lines(&l) + &prefix_lines(&p);
        for line in text.lines() {
            assert!(
                line.chars().count() < 100,
                "{} columns: {line}",
                line.chars().count()
            );
        }
        assert!(text.contains("(+1,234.5 chat template"), "{text}");
        assert!(text.contains("warm is 100.0× faster"), "{text}");
    }

    #[test]
    fn lengths_lines_without_usage_or_requested_input() {
        let mut l = Lengths {
            requests: 2,
            with_requested_input: 2,
            requested_input: 400,
            requested_output: 200,
            delivered_output: 200,
            ..Lengths::default()
        };
        assert_eq!(
            lengths_lines(&l),
            "Mean input tokens: requested 200.0\nMean output tokens: requested 100.0, delivered 100.0\n"
        );
        l.with_requested_input = 0;
        l.requested_input = 0;
        assert!(!lengths_lines(&l).contains("input"));
    }

    #[test]
    fn partial_and_empty_runs_say_so() {
        let mut h = header();
        h.partial = Some("interrupted by Ctrl-C".into());
        let t = table(&Summary::default(), &h);
        assert!(t.contains("PARTIAL RESULTS: interrupted by Ctrl-C"));
        assert!(t.contains("no request completed"));
    }

    #[test]
    fn an_interrupted_open_loop_says_what_was_never_sent() {
        let mut s = Summary::default();
        s.counts.ok = 40;
        s.counts
            .errors
            .insert(headroom_core::ErrorKind::Cancelled, 3);
        s.counts.unsent_arrivals = 957;
        assert_eq!(
            counts_line(&s),
            "Requests: 40 ok, 0 failed; interrupted: cancelled 3, 957 scheduled, not yet due"
        );
        // Everything in flight finished within the grace period: still said.
        s.counts.errors.clear();
        assert!(counts_line(&s).ends_with("; interrupted: 957 scheduled, not yet due"));
    }
}
