//! The server over a run, from its scrapes: the batch (requests running and waiting) and
//! its KV cache, and the GPUs (utilisation, memory, power), on the same time axis as the
//! latency charts.

use crate::chart::{Chart, ChartAxis, DataPoint, Mark, Series};
use headroom_telemetry::{GpuReading, ServerSnapshot, TelemetrySample};

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
    let mut charts: Vec<Chart> = [
        time_chart(
            "server-batch-over-time",
            "Server batch over time (its /metrics)",
            "Requests",
            vec![
                Series::new("Running", Mark::Line, points(|s| s.running, 1.0), 3),
                Series::new("Waiting", Mark::Line, points(|s| s.waiting, 1.0), 5).dashed(),
            ],
        ),
        time_chart(
            "server-kv-cache-over-time",
            "Server KV-cache usage over time (its /metrics)",
            "KV cache used (%)",
            vec![Series::new(
                "KV cache",
                Mark::Line,
                points(|s| s.kv_usage, 100.0),
                2,
            )],
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    charts.extend(gpu_over_time(samples));
    charts
}

/// A chart over the run's time of the `series` with points; `None` when none has any.
fn time_chart(id: &str, title: &str, y: &str, series: Vec<Series>) -> Option<Chart> {
    let series: Vec<Series> = series
        .into_iter()
        .filter(|s| !s.points.is_empty())
        .collect();
    (!series.is_empty()).then(|| Chart {
        id: id.into(),
        title: title.into(),
        x: ChartAxis::new("Time since start (s)"),
        y: ChartAxis::new(y),
        series,
        rules: Vec::new(),
    })
}

/// The GPUs over time: utilisation, memory and power, a line per GPU.
fn gpu_over_time(samples: &[TelemetrySample]) -> Vec<Chart> {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    let mut indices: Vec<u32> = samples
        .iter()
        .flat_map(|s| s.gpus.iter().map(|g| g.index))
        .collect();
    indices.sort_unstable();
    indices.dedup();
    let per_gpu = |f: fn(&GpuReading) -> Option<f64>, scale: f64| -> Vec<Series> {
        indices
            .iter()
            .enumerate()
            .map(|(i, &index)| {
                let points = samples
                    .iter()
                    .filter_map(|s| {
                        let g = s.gpus.iter().find(|g| g.index == index)?;
                        Some(DataPoint::new(s.t_us as f64 / 1e6, f(g)? * scale))
                    })
                    .collect();
                Series::new(format!("GPU {index}"), Mark::Line, points, i)
            })
            .collect()
    };
    [
        time_chart(
            "gpu-utilization-over-time",
            "GPU utilisation over time",
            "Utilisation (%)",
            per_gpu(|g| g.utilization, 100.0),
        ),
        time_chart(
            "gpu-memory-over-time",
            "GPU memory in use over time",
            "Memory (GiB)",
            per_gpu(|g| g.memory_used_bytes, 1.0 / GIB),
        ),
        time_chart(
            "gpu-power-over-time",
            "GPU power over time",
            "Power (W)",
            per_gpu(|g| g.power_w, 1.0),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_telemetry::Source;
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
            TelemetrySample::failed(1_000_000, Source::Server, "refused".into()),
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
        let gpu = TelemetrySample::gpu(
            1_000_000,
            vec![GpuReading {
                index: 0,
                utilization: Some(0.5),
                power_w: Some(300.0),
                ..GpuReading::default()
            }],
        );
        let charts = server_over_time(&[gpu]);
        let ids: Vec<&str> = charts.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["gpu-utilization-over-time", "gpu-power-over-time"]);
        assert_eq!(charts[0].series[0].points[0].y, 50.0);
    }
}
