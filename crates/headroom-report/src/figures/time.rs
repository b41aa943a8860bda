//! A run over time: latency of the requests ending in each bin, output token and
//! request throughput, and requests in flight, each with the line where measurement
//! starts after a warmup.

use super::{TimeUnit, round};
use crate::chart::{Chart, ChartAxis, DataPoint, Mark, Orientation, Rule, Series};
use headroom_metrics::timeline::{Bin, Timeline};

/// Latency, throughput and concurrency over the run.
pub fn over_time(timeline: &Timeline) -> Vec<Chart> {
    let charts = TimeCharts::new(timeline);
    vec![
        charts.latency(),
        charts.throughput(),
        charts.requests(),
        charts.concurrency(),
    ]
}

/// What the charts over time share: the bins, the x axis and the line where
/// measurement starts.
struct TimeCharts<'a> {
    timeline: &'a Timeline,
    rules: Vec<Rule>,
}

impl<'a> TimeCharts<'a> {
    fn new(timeline: &'a Timeline) -> Self {
        let rules = timeline
            .measure_start_s
            .map(|s| Rule {
                orientation: Orientation::Vertical,
                value: s,
                label: "measurement starts".into(),
            })
            .into_iter()
            .collect();
        TimeCharts { timeline, rules }
    }

    /// A point at the middle of each bin where `value` has one.
    fn line(&self, value: &dyn Fn(&Bin) -> Option<f64>) -> Vec<DataPoint> {
        let t = self.timeline;
        t.bins
            .iter()
            .filter_map(|b| value(b).map(|v| DataPoint::new(b.t_s + t.bin_s / 2.0, v)))
            .collect()
    }

    /// A count per bin as a rate per second.
    fn rate(&self, count: fn(&Bin) -> u64) -> Vec<DataPoint> {
        let bin_s = self.timeline.bin_s;
        self.line(&|b| Some(count(b) as f64 / bin_s))
    }

    fn chart(&self, id: &str, title: String, y: ChartAxis, series: Vec<Series>) -> Chart {
        Chart {
            id: id.into(),
            title,
            x: ChartAxis::new("Time since start (s)"),
            y,
            series,
            rules: self.rules.clone(),
        }
    }

    /// P50 and P95 of request latency and TTFT of the requests ending in each bin.
    fn latency(&self) -> Chart {
        let typical = self
            .timeline
            .bins
            .iter()
            .filter_map(|b| b.e2e_p50_ms)
            .fold(0.0, f64::max);
        let unit = TimeUnit::for_ms(typical);
        let ms = |v: Option<f64>| v.map(|v| unit.of(v));
        let series = vec![
            Series::new(
                "P50 request latency",
                Mark::Line,
                self.line(&|b| ms(b.e2e_p50_ms)),
                0,
            ),
            Series::new(
                "P95 request latency",
                Mark::Line,
                self.line(&|b| ms(b.e2e_p95_ms)),
                0,
            )
            .dashed(),
            Series::new("P50 TTFT", Mark::Line, self.line(&|b| ms(b.ttft_p50_ms)), 1),
            Series::new("P95 TTFT", Mark::Line, self.line(&|b| ms(b.ttft_p95_ms)), 1).dashed(),
        ];
        self.chart(
            "latency-over-time",
            format!(
                "Latency over time (requests ending in each {} s)",
                round(self.timeline.bin_s)
            ),
            ChartAxis::new(format!("Latency ({})", unit.symbol())),
            series
                .into_iter()
                .filter(|s| !s.points.is_empty())
                .collect(),
        )
    }

    /// Output tokens per second, counted when each token arrived.
    fn throughput(&self) -> Chart {
        self.chart(
            "throughput-over-time",
            "Output token throughput over time".into(),
            ChartAxis::new("Output tokens per second (tok/s)"),
            vec![Series::new(
                "Output tok/s",
                Mark::Line,
                self.rate(|b| b.output_tokens),
                2,
            )],
        )
    }

    /// Completed (and failed, when any failed) requests per second.
    fn requests(&self) -> Chart {
        let mut series = vec![Series::new(
            "Completed req/s",
            Mark::Line,
            self.rate(|b| b.completed),
            0,
        )];
        if self.timeline.bins.iter().any(|b| b.errors > 0) {
            series.push(Series::new(
                "Failed req/s",
                Mark::Line,
                self.rate(|b| b.errors),
                5,
            ));
        }
        self.chart(
            "requests-over-time",
            "Requests over time".into(),
            ChartAxis::new("Requests per second (req/s)"),
            series,
        )
    }

    /// The mean number of requests in flight in each bin.
    fn concurrency(&self) -> Chart {
        self.chart(
            "concurrency-over-time",
            "Requests in flight over time".into(),
            ChartAxis::new("Requests in flight (mean per bin)"),
            vec![Series::new(
                "In flight",
                Mark::Line,
                self.line(&|b| Some(b.in_flight)),
                3,
            )],
        )
    }
}
