//! The server over a run, from its scrapes: the batch (requests running and waiting) and
//! its KV cache, on the same time axis as the latency charts.

use crate::chart::{Chart, ChartAxis, DataPoint, Mark, Series};
use headroom_telemetry::{ServerSnapshot, TelemetrySample};

/// The server's charts over time; none without successful scrapes.
pub fn server_over_time(samples: &[TelemetrySample]) -> Vec<Chart> {
    let points = |f: fn(&ServerSnapshot) -> Option<f64>, scale: f64| -> Vec<DataPoint> {
        samples
            .iter()
            .filter_map(|s| {
                let v = f(s.server.as_ref()?)?;
                Some(DataPoint::new(s.t_us as f64 / 1e6, v * scale))
            })
            .collect()
    };
    let chart = |id: &str, title: &str, y: &str, series: Vec<Series>| Chart {
        id: id.into(),
        title: title.into(),
        x: ChartAxis::new("Time since start (s)"),
        y: ChartAxis::new(y),
        series,
        rules: Vec::new(),
    };
    let mut charts = Vec::new();
    let batch: Vec<Series> = [
        Series::new("Running", Mark::Line, points(|s| s.running, 1.0), 3),
        Series::new("Waiting", Mark::Line, points(|s| s.waiting, 1.0), 5).dashed(),
    ]
    .into_iter()
    .filter(|s| !s.points.is_empty())
    .collect();
    if !batch.is_empty() {
        charts.push(chart(
            "server-batch-over-time",
            "Server batch over time (its /metrics)",
            "Requests",
            batch,
        ));
    }
    let kv = points(|s| s.kv_usage, 100.0);
    if !kv.is_empty() {
        charts.push(chart(
            "server-kv-cache-over-time",
            "Server KV-cache usage over time (its /metrics)",
            "KV cache used (%)",
            vec![Series::new("KV cache", Mark::Line, kv, 2)],
        ));
    }
    charts
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_telemetry::prom::parse;

    #[test]
    fn charts_what_the_server_said_and_skips_failed_scrapes() {
        let at = |t, text: &str| {
            TelemetrySample::server(t, ServerSnapshot::from_exposition(&parse(text)))
        };
        let samples = vec![
            at(
                0,
                "vllm:num_requests_running 0\nvllm:kv_cache_usage_perc 0.0\n",
            ),
            TelemetrySample::failed(1_000_000, "refused".into()),
            at(
                2_000_000,
                "vllm:num_requests_running 8\nvllm:num_requests_waiting 3\nvllm:kv_cache_usage_perc 0.25\n",
            ),
        ];
        let charts = server_over_time(&samples);
        assert_eq!(charts.len(), 2);
        let batch = &charts[0];
        assert_eq!(batch.series[0].points.len(), 2, "running at 0 s and 2 s");
        assert_eq!(
            batch.series[1].points.len(),
            1,
            "waiting only where reported"
        );
        let kv = &charts[1].series[0].points;
        assert_eq!((kv[1].x, kv[1].y), (2.0, 25.0));
        assert!(server_over_time(&samples[1..2]).is_empty());
    }
}
