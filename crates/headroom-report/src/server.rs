//! The server's own view of a run, beside the client's: its latency percentiles from its
//! histograms (the difference to the client's is the network plus the client), its batch,
//! queue and KV cache, and its count of generated tokens against the client's.

use crate::console_table;
use crate::num::{fmt_num, fmt_thousands};
use headroom_metrics::{Metric, Summary};
use headroom_telemetry::{GaugeFigures, LatencyFigures};

/// The server's view of a run, as rows both the console and the report documents show.
pub(crate) struct ServerView {
    /// `Server (vLLM /metrics, 31 scrapes)`.
    pub(crate) title: String,
    /// Latency rows: name, server p50/p95/p99, client p50/p95/p99.
    pub(crate) latency: Vec<[String; 7]>,
    /// The batch, prefix-cache and token lines.
    pub(crate) notes: Vec<String>,
}

/// The latency table's header.
pub(crate) const LATENCY_HEAD: [&str; 7] = [
    "Latency",
    "Server p50",
    "Server p95",
    "Server p99",
    "Client p50",
    "Client p95",
    "Client p99",
];

/// What the latency table's ranges mean.
pub(crate) const LATENCY_NOTE: &str = "The server's percentiles come from its histogram: a \
    range is the bucket that holds one, too wide to say more. The gap to the client's is the \
    network and the client.";

/// The server's view of `s`; `None` without telemetry.
pub(crate) fn view(s: &Summary) -> Option<ServerView> {
    let f = s.server.as_ref()?;
    let title = format!(
        "Server ({} /metrics, {}{})",
        f.engine.label(),
        scrapes(f.scrapes),
        match f.failed_scrapes {
            0 => String::new(),
            n => format!(", {n} failed"),
        }
    );
    let client_itl = match s.dist(Metric::ItlPerToken).is_empty() {
        true => Metric::Itl,
        false => Metric::ItlPerToken,
    };
    let rows: [(&str, &Option<LatencyFigures>, Option<Metric>); 4] = [
        ("TTFT (ms)", &f.ttft, Some(Metric::Ttft)),
        ("ITL (ms)", &f.itl, Some(client_itl)),
        ("E2E (ms)", &f.e2e, Some(Metric::E2e)),
        ("Queue time (ms)", &f.queue_time, None),
    ];
    let dash = || "—".to_string();
    let latency = rows
        .into_iter()
        .filter_map(|(name, fig, client)| {
            let fig = fig.as_ref()?;
            let v = |x: Option<f64>| x.map_or_else(dash, |ms| within(fig, ms));
            let c = client.map(|m| s.stats(m)).filter(|st| st.count > 0);
            let cv = |f: fn(&headroom_metrics::Stats) -> f64| {
                c.as_ref().map_or_else(dash, |st| fmt_num(f(st)))
            };
            Some([
                name.to_string(),
                v(fig.p50_ms),
                v(fig.p95_ms),
                v(fig.p99_ms),
                cv(|st| st.p50),
                cv(|st| st.p95),
                cv(|st| st.p99),
            ])
        })
        .collect();
    let mut notes = Vec::new();
    let gauge = |name: &str, g: &Option<GaugeFigures>, pct: bool| {
        g.map(|g| match pct {
            true => format!(
                "{name} mean {} %, max {} %",
                fmt_thousands(g.mean * 100.0, 1),
                fmt_thousands(g.max * 100.0, 1)
            ),
            false => format!(
                "{name} mean {}, max {}",
                fmt_thousands(g.mean, 1),
                fmt_thousands(g.max, 0)
            ),
        })
    };
    let mut parts = Vec::new();
    parts.extend(gauge("running", &f.running, false));
    parts.extend(gauge("waiting", &f.waiting, false));
    parts.extend(gauge("KV cache", &f.kv_usage, true));
    if let Some(p) = f.preemptions {
        parts.push(format!("preemptions {}", fmt_thousands(p, 0)));
    }
    if let Some(t) = f.iteration_tokens.as_ref().and_then(|b| b.mean()) {
        parts.push(format!(
            "tokens per engine step mean {}",
            fmt_thousands(t, 1)
        ));
    }
    if !parts.is_empty() {
        notes.push(format!("Batch: {}", parts.join(" | ")));
    }
    if let Some(rate) = f.prefix_hit_rate() {
        notes.push(format!(
            "Prefix cache hit rate: {} % of prompt tokens",
            fmt_thousands(rate * 100.0, 1)
        ));
    }
    if let Some(g) = f.generation_tokens {
        notes.push(tokens_line(g, s.tokens.output as f64));
    }
    Some(ServerView {
        title,
        latency,
        notes,
    })
}

/// What the GPUs said over the window, a line per GPU, then the energy per output token,
/// then the host's memory and the server's processes; empty when none was read.
pub(crate) fn machine_lines(s: &Summary) -> Vec<String> {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    let mut out: Vec<String> = s
        .gpu
        .iter()
        .flat_map(|g| &g.gpus)
        .map(|w| {
            let mut parts = Vec::new();
            if let Some(u) = w.memory_used_max_bytes {
                parts.push(match w.memory_total_bytes {
                    Some(t) => format!("memory peak {:.1} of {:.1} GiB", u / GIB, t / GIB),
                    None => format!("memory peak {:.1} GiB", u / GIB),
                });
            }
            if let Some(u) = w.utilization_mean {
                parts.push(format!("utilisation mean {:.0} %", u * 100.0));
            }
            if let Some(p) = w.power_mean_w {
                parts.push(format!("power mean {p:.0} W"));
            }
            let name = w
                .name
                .as_deref()
                .map_or(String::new(), |n| format!(" ({n})"));
            format!("GPU {}{name}: {}", w.index, parts.join(" | "))
        })
        .collect();
    if let Some(j) = s.gpu.as_ref().and_then(|g| g.energy_j()) {
        let tokens = s.tokens.output as f64;
        let mut line = format!(
            "GPU energy over the window: {} kJ",
            fmt_thousands(j / 1e3, 2)
        );
        if tokens > 0.0 && j > 0.0 {
            line.push_str(&format!(
                " — {} J per output token ({} output tokens per joule)",
                fmt_num(j / tokens),
                fmt_num(tokens / j)
            ));
        }
        out.push(line);
    }
    if let Some(h) = &s.host {
        let mut line = format!(
            "Host: memory in use peak {:.1} of {:.1} GiB",
            h.memory_used_max_bytes / GIB,
            h.memory_total_bytes / GIB
        );
        if let Some(rss) = h.server_rss_max_bytes {
            line.push_str(&format!(
                " | server processes: resident peak {:.2} GiB",
                rss / GIB
            ));
        }
        if let Some(c) = h.server_cpu_cores {
            line.push_str(&format!(", {} CPU cores (mean)", fmt_num(c)));
        }
        out.push(line);
    }
    out
}

/// The server section of the console report; empty without telemetry.
pub(crate) fn server_lines(s: &Summary) -> String {
    let mut out = String::new();
    for line in machine_lines(s) {
        out.push_str(&format!("{line}\n"));
    }
    let Some(v) = view(s) else {
        return out;
    };
    out.push_str(&format!("{}:\n", v.title));
    if !v.latency.is_empty() {
        let mut t = console_table::new(LATENCY_HEAD);
        for row in &v.latency {
            t.add_row(row.to_vec());
        }
        console_table::align_right(&mut t, 0..LATENCY_HEAD.len());
        out.push_str(&t.to_string());
        out.push('\n');
        out.push_str(&format!("  ({LATENCY_NOTE})\n"));
    }
    for n in &v.notes {
        out.push_str(&format!("  {n}\n"));
    }
    out
}

/// A server percentile (ms): interpolated when its bucket is narrow (within 10 % of its
/// upper bound), else the bucket itself, `2,500–5,000`: interpolating in a wide bucket
/// would print a precision the server never measured.
pub(crate) fn within(fig: &LatencyFigures, ms: f64) -> String {
    let (lo, hi) = fig.buckets.bucket_of(ms / 1e3);
    let (lo, hi) = (lo * 1e3, hi * 1e3);
    if !hi.is_finite() {
        return format!("> {}", fmt_thousands(lo, 0));
    }
    if hi - lo <= 0.1 * hi {
        return fmt_num(ms);
    }
    let digits = if hi < 10.0 { 1 } else { 0 };
    format!(
        "{}–{}",
        fmt_thousands(lo, digits),
        fmt_thousands(hi, digits)
    )
}

fn scrapes(n: u64) -> String {
    match n {
        1 => "1 scrape".into(),
        n => format!("{n} scrapes"),
    }
}

/// The server's generated tokens over the window against the client's count: a mismatch
/// is said, not hidden.
fn tokens_line(server: f64, client: f64) -> String {
    let mut line = format!(
        "Generated tokens: server {}, client {}",
        fmt_thousands(server, 0),
        fmt_thousands(client, 0)
    );
    let off = (server - client).abs();
    if off > 1.0 && off > 0.01 * client.max(server) {
        line.push_str(&format!(
            " — they differ by {}: the server's window runs from the scrape before the run to \
             the one after it, so warmup requests and other traffic count there",
            fmt_thousands(off, 0)
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percentile_in_a_wide_bucket_is_shown_as_the_bucket() {
        let buckets = headroom_telemetry::Buckets {
            le: vec![1.0, 1.05, 2.5, 5.0],
            cumulative: vec![0.0, 10.0, 20.0, 30.0, 31.0],
            sum: 60.0,
        };
        let fig = LatencyFigures::new(buckets).unwrap();
        assert_eq!(within(&fig, 1_020.0), "1,020.00");
        assert_eq!(within(&fig, 4_545.0), "2,500–5,000");
        assert_eq!(within(&fig, 6_000.0), "> 5,000");
    }

    #[test]
    fn a_token_mismatch_is_said() {
        assert!(!tokens_line(9_600.0, 9_600.0).contains("differ"));
        assert!(!tokens_line(9_650.0, 9_600.0).contains("differ"));
        let line = tokens_line(10_240.0, 9_600.0);
        assert!(line.contains("differ by 640"), "{line}");
    }
}
