//! genai-perf's outputs, from headroom's measurements: the "LLM Metrics" console table,
//! `profile_export_genai_perf.json` and `profile_export_genai_perf.csv`, in the shapes
//! genai-perf writes them, so scripts that read genai-perf's files keep working.
//!
//! genai-perf's metric names map onto headroom's metrics as follows:
//!
//! | genai-perf | headroom | note |
//! |---|---|---|
//! | `time_to_first_token` | TTFT | streamed requests only |
//! | `inter_token_latency` | TPOT | genai-perf defines it per request as (latency − TTFT) / (output tokens − 1) |
//! | `request_latency` | E2E | |
//! | `output_sequence_length`, `input_sequence_length` | OSL, ISL | |
//! | `output_token_throughput`, `request_throughput` | throughput over the measurement window | one value, `avg` |
//!
//! Percentiles are headroom's (nearest rank over HDR histograms) where genai-perf
//! interpolates linearly between samples; with a few hundred requests the two differ by
//! less than the gap between neighbouring samples. genai-perf's
//! `output_token_throughput_per_request` has no headroom counterpart and is left out, as
//! are metrics without samples (TTFT and inter-token latency of runs that did not stream).

use crate::console::notes;
use crate::console_table;
use crate::num::fmt_num;
use headroom_metrics::{Dist, Metric, Summary};
use serde::Serialize;
use serde::ser::SerializeMap;

/// genai-perf's per-request metrics, in its order, and headroom's source of each.
const REQUEST_METRICS: [(&str, Metric); 5] = [
    ("time_to_first_token", Metric::Ttft),
    ("inter_token_latency", Metric::Tpot),
    ("request_latency", Metric::E2e),
    ("output_sequence_length", Metric::Osl),
    ("input_sequence_length", Metric::Isl),
];

/// genai-perf's per-run metrics: one value each.
#[derive(Debug, Clone, Copy)]
enum SystemMetric {
    OutputTokenThroughput,
    RequestThroughput,
}

impl SystemMetric {
    const ALL: [SystemMetric; 2] = [
        SystemMetric::OutputTokenThroughput,
        SystemMetric::RequestThroughput,
    ];

    fn key(self) -> &'static str {
        match self {
            SystemMetric::OutputTokenThroughput => "output_token_throughput",
            SystemMetric::RequestThroughput => "request_throughput",
        }
    }

    /// The unit in genai-perf's JSON.
    fn json_unit(self) -> &'static str {
        match self {
            SystemMetric::OutputTokenThroughput => "tokens/sec",
            SystemMetric::RequestThroughput => "requests/sec",
        }
    }

    fn value(self, s: &Summary) -> f64 {
        let tp = s.throughput();
        match self {
            SystemMetric::OutputTokenThroughput => tp.output_tokens_per_s,
            SystemMetric::RequestThroughput => tp.requests_per_s,
        }
    }
}

/// The per-request metrics that have samples.
fn request_metrics(s: &Summary) -> impl Iterator<Item = (&'static str, &Dist)> {
    REQUEST_METRICS
        .iter()
        .map(|(k, m)| (*k, s.dist(*m)))
        .filter(|(_, d)| !d.is_empty())
}

/// `time_to_first_token` → `Time to first token (ms)` (genai-perf's console label).
fn console_label(key: &str, unit: &str) -> String {
    let mut words = key.replace('_', " ");
    if let Some(first) = words.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    match unit {
        "tokens" => words,
        u => format!("{words} ({u})"),
    }
}

/// `time_to_first_token` → `Time To First Token (ms)` (genai-perf's CSV label).
fn csv_label(key: &str, unit: &str) -> String {
    let words: Vec<String> = key
        .split('_')
        .map(|w| {
            let mut w = w.to_string();
            if let Some(first) = w.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            w
        })
        .collect();
    match unit {
        "tokens" => words.join(" "),
        u => format!("{} ({u})", words.join(" ")),
    }
}

/// The columns of genai-perf's console table.
const TABLE_HEAD: [&str; 7] = ["Statistic", "avg", "min", "max", "p99", "p90", "p75"];

/// genai-perf's console table ("LLM Metrics": avg, min, max, p99, p90, p75; the
/// throughputs as rows with only an average) under `title`, centred as genai-perf centres
/// it, followed by headroom's request counts, token-count source and lengths.
pub fn table(summary: &Summary, title: &str) -> String {
    let mut t = console_table::new(TABLE_HEAD);
    for (key, d) in request_metrics(summary) {
        let st = d.stats();
        let mut row = vec![console_label(key, d.unit().display())];
        row.extend(
            [st.mean, st.min, st.max, st.p99, st.p90, st.p75]
                .iter()
                .map(|v| fmt_num(*v)),
        );
        t.add_row(row);
    }
    for m in SystemMetric::ALL {
        let mut row = vec![console_label(m.key(), "per sec"), fmt_num(m.value(summary))];
        row.extend(std::iter::repeat_n("N/A".to_string(), TABLE_HEAD.len() - 2));
        t.add_row(row);
    }
    console_table::align_right(&mut t, 0..TABLE_HEAD.len());
    let body = t.to_string();
    let width = body.lines().next().map_or(0, |l| l.chars().count());
    let pad = width.saturating_sub(title.chars().count()) / 2;
    let mut out = format!("{}{title}\n", " ".repeat(pad));
    if request_metrics(summary).next().is_none() {
        out.push_str("(no request completed: no latency statistics)\n");
    }
    out.push_str(&body);
    out.push('\n');
    out.push_str(&notes(summary));
    out
}

/// One per-request metric in genai-perf's JSON: unit, mean, percentiles, extremes and
/// the population standard deviation (numpy's default, as genai-perf computes it).
#[derive(Serialize)]
struct RequestStats {
    unit: &'static str,
    avg: f64,
    p1: f64,
    p5: f64,
    p10: f64,
    p25: f64,
    p50: f64,
    p75: f64,
    p90: f64,
    p95: f64,
    p99: f64,
    min: f64,
    max: f64,
    std: f64,
}

impl RequestStats {
    fn of(d: &Dist) -> Self {
        let st = d.stats();
        RequestStats {
            unit: d.unit().display(),
            avg: st.mean,
            p1: d.quantile(0.01),
            p5: d.quantile(0.05),
            p10: d.quantile(0.10),
            p25: d.quantile(0.25),
            p50: st.p50,
            p75: st.p75,
            p90: st.p90,
            p95: st.p95,
            p99: st.p99,
            min: st.min,
            max: st.max,
            std: st.stddev,
        }
    }
}

/// One per-run metric in genai-perf's JSON.
#[derive(Serialize)]
struct RunValue {
    unit: &'static str,
    avg: f64,
}

/// The export, serialized as a map in genai-perf's key order.
struct Export<'a> {
    summary: &'a Summary,
    input_config: &'a [(&'a str, serde_json::Value)],
}

impl Serialize for Export<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let s = self.summary;
        let run = |m: SystemMetric| RunValue {
            unit: m.json_unit(),
            avg: m.value(s),
        };
        let mut map = ser.serialize_map(None)?;
        map.serialize_entry(
            SystemMetric::RequestThroughput.key(),
            &run(SystemMetric::RequestThroughput),
        )?;
        // genai-perf's order: latency, TTFT, ITL, then throughput, then the lengths.
        for (key, metric) in [REQUEST_METRICS[2], REQUEST_METRICS[0], REQUEST_METRICS[1]] {
            let d = s.dist(metric);
            if !d.is_empty() {
                map.serialize_entry(key, &RequestStats::of(d))?;
            }
        }
        map.serialize_entry(
            SystemMetric::OutputTokenThroughput.key(),
            &run(SystemMetric::OutputTokenThroughput),
        )?;
        for (key, metric) in &REQUEST_METRICS[3..] {
            let d = s.dist(*metric);
            if !d.is_empty() {
                map.serialize_entry(key, &RequestStats::of(d))?;
            }
        }
        map.serialize_entry("input_config", &Ordered(self.input_config))?;
        map.end()
    }
}

/// Key–value pairs serialized as a JSON object in their order.
struct Ordered<'a>(&'a [(&'a str, serde_json::Value)]);

impl Serialize for Ordered<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut map = ser.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// `profile_export_genai_perf.json`: one object per metric with samples (`unit`, `avg`,
/// `p1`…`p99`, `min`, `max`, `std`; times in ms), the two throughputs (`unit`, `avg`), and
/// `input_config`, the settings as given (pairs, kept in order).
pub fn json(summary: &Summary, input_config: &[(&str, serde_json::Value)]) -> String {
    let export = Export {
        summary,
        input_config,
    };
    serde_json::to_string_pretty(&export).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The CSV columns of per-request metrics.
const CSV_HEAD: &str = "Metric,avg,min,max,p99,p95,p90,p75,p50,p25";

/// A CSV field: quoted when it holds a comma (numbers with thousands separators).
fn field(v: String) -> String {
    if v.contains(',') {
        format!("\"{v}\"")
    } else {
        v
    }
}

/// `profile_export_genai_perf.csv`: genai-perf's layout. A table of per-request metrics
/// (values with two decimals and thousands separators, quoted), a blank line, then
/// `Metric,Value` rows of the throughputs. Lines end in CRLF, as Python's csv module
/// writes them.
pub fn csv(summary: &Summary) -> String {
    let mut rows = vec![CSV_HEAD.to_string()];
    for (key, d) in request_metrics(summary) {
        let st = d.stats();
        let mut row = vec![csv_label(key, d.unit().display())];
        row.extend(
            [
                st.mean,
                st.min,
                st.max,
                st.p99,
                st.p95,
                st.p90,
                st.p75,
                st.p50,
                d.quantile(0.25),
            ]
            .iter()
            .map(|v| field(fmt_num(*v))),
        );
        rows.push(row.join(","));
    }
    rows.push(String::new());
    rows.push("Metric,Value".into());
    for m in SystemMetric::ALL {
        rows.push(format!(
            "{},{:.2}",
            csv_label(m.key(), "per sec"),
            m.value(summary)
        ));
    }
    let mut out = rows.join("\r\n");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_core::TokenSource;
    use headroom_metrics::Recorder;
    use headroom_testkit::record;

    /// 40 requests, half of them streamed as 10 chunks; TTFT 40 ms + 1 ms per index.
    fn summary(streamed: bool) -> Summary {
        let mut r = Recorder::new();
        for i in 0..40u64 {
            let ttft = 40_000 + i * 1_000;
            let send = i * 50_000;
            let content: Vec<u64> = if streamed {
                (0..10).map(|k| ttft + k * 10_000).collect()
            } else {
                vec![]
            };
            r.add(
                &record(i)
                    .sent_at(send)
                    .e2e_us(ttft + 90_000)
                    .content_us(content)
                    .input_tokens(200 + i as u32)
                    .input_source(TokenSource::Usage)
                    .output_tokens(10)
                    .finish_reason("length")
                    .build(),
            );
        }
        r.finish(0)
    }

    #[test]
    fn labels_are_genai_perfs() {
        assert_eq!(
            console_label("time_to_first_token", "ms"),
            "Time to first token (ms)"
        );
        assert_eq!(
            console_label("output_sequence_length", "tokens"),
            "Output sequence length"
        );
        assert_eq!(
            csv_label("request_throughput", "per sec"),
            "Request Throughput (per sec)"
        );
    }

    #[test]
    fn streamed_table_snapshot() {
        insta::assert_snapshot!(table(&summary(true), "headroom profile | LLM Metrics"));
    }

    #[test]
    fn not_streamed_table_has_no_ttft_row() {
        let t = table(&summary(false), "headroom profile | LLM Metrics");
        assert!(!t.contains("Time to first token"), "{t}");
        assert!(!t.contains("Inter token latency"), "{t}");
        assert!(t.contains("Request latency (ms)"), "{t}");
        assert!(t.contains("Request throughput (per sec)"), "{t}");
    }

    #[test]
    fn json_has_genai_perfs_keys_in_its_order() {
        let config = [
            ("model", serde_json::json!(["m"])),
            ("streaming", true.into()),
        ];
        let text = json(&summary(true), &config);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        for key in [
            "request_throughput",
            "request_latency",
            "time_to_first_token",
            "inter_token_latency",
            "output_token_throughput",
            "output_sequence_length",
            "input_sequence_length",
        ] {
            assert!(v[key]["avg"].is_number(), "{key}: {text}");
        }
        assert_eq!(v["request_latency"]["unit"], "ms");
        assert_eq!(v["request_throughput"]["unit"], "requests/sec");
        assert_eq!(v["output_token_throughput"]["unit"], "tokens/sec");
        assert_eq!(v["input_sequence_length"]["unit"], "tokens");
        // TTFT 40..79 ms; ITL (latency − TTFT) / 9 = 10 ms.
        assert_eq!(v["time_to_first_token"]["min"], 40.0);
        assert_eq!(v["time_to_first_token"]["max"], 79.0);
        assert_eq!(v["inter_token_latency"]["avg"], 10.0);
        assert_eq!(v["input_config"]["model"][0], "m");
        let pos = |k: &str| text.find(&format!("\"{k}\"")).unwrap();
        assert!(pos("request_throughput") < pos("request_latency"));
        assert!(pos("inter_token_latency") < pos("output_token_throughput"));
        assert!(pos("input_sequence_length") < pos("input_config"));

        let v: serde_json::Value = serde_json::from_str(&json(&summary(false), &[])).unwrap();
        assert!(v.get("time_to_first_token").is_none());
        assert!(v.get("inter_token_latency").is_none());
        assert!(v["request_latency"]["p25"].is_number());
    }

    #[test]
    fn csv_snapshot() {
        let text = csv(&summary(true));
        assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'));
        insta::assert_snapshot!(text.replace("\r\n", "\n"));
    }
}
