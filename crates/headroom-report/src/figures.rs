//! The charts of each report, built from summaries, timelines and sweep rows.

use crate::chart::{Chart, ChartAxis, DataPoint, Mark, Orientation, PointStatus, Rule, Series};
use crate::timeline::Timeline;
use headroom_capacity::sweep::Row;
use headroom_capacity::{Axis as LoadAxis, LevelResult};
use headroom_metrics::slo::GoodputTarget;
use headroom_metrics::{Dist, Metric, Slo, Summary, Verdict};

/// Milliseconds or seconds, whichever reads better for values around `typical_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// ms
    Ms,
    /// s
    S,
}

impl TimeUnit {
    /// Seconds from 1 s up.
    pub fn for_ms(typical_ms: f64) -> TimeUnit {
        if typical_ms >= 1000.0 {
            TimeUnit::S
        } else {
            TimeUnit::Ms
        }
    }

    /// A value in ms, in this unit.
    pub fn of(self, ms: f64) -> f64 {
        match self {
            TimeUnit::Ms => ms,
            TimeUnit::S => ms / 1e3,
        }
    }

    /// `ms` or `s`.
    pub fn symbol(self) -> &'static str {
        match self {
            TimeUnit::Ms => "ms",
            TimeUnit::S => "s",
        }
    }
}

/// A number with as few decimals as it needs (3 significant digits below 100).
fn round(v: f64) -> String {
    if v == v.round() || v.abs() >= 100.0 {
        crate::fmt_thousands(v, 0)
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The short name of a latency metric for titles.
pub fn short(metric: Metric) -> &'static str {
    match metric {
        Metric::Ttft => "TTFT",
        Metric::Itl => "ITL",
        Metric::ItlPerToken => "ITL per token",
        Metric::Tpot => "TPOT",
        Metric::E2e => "Request latency",
        Metric::Isl => "Input length",
        Metric::Osl => "Output length",
        Metric::SchedulingLag => "Scheduling lag",
        Metric::TtftFromIntended => "TTFT from intended",
        Metric::E2eFromIntended => "Latency from intended",
    }
}

/// The chart id stem of a metric: `ttft`, `itl`, `e2e`.
fn stem(m: Metric) -> &'static str {
    m.key()
}

/// The points of a CDF (value in `unit`, cumulative %), at most ~400 of them.
fn cdf_points(d: &Dist, unit: TimeUnit) -> Vec<DataPoint> {
    let rec = d.recorded();
    let n = d.count().max(1) as f64;
    let step = (rec.len() / 400).max(1);
    let mut out = Vec::with_capacity(rec.len() / step + 2);
    let mut seen = 0u64;
    for (i, (v, c)) in rec.iter().enumerate() {
        seen += c;
        if i % step == 0 || i + 1 == rec.len() {
            out.push(DataPoint::new(unit.of(*v), 100.0 * seen as f64 / n));
        }
    }
    out
}

/// Whether a CDF of these distributions needs a log axis (values spanning > 50×).
fn wide(dists: &[&Dist]) -> bool {
    let lo = dists
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| d.quantile(0.001))
        .fold(f64::INFINITY, f64::min);
    let hi = dists
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| d.quantile(0.999))
        .fold(0.0, f64::max);
    lo > 0.0 && hi / lo > 50.0
}

/// The unit for a metric's values in these distributions.
fn unit_of(dists: &[&Dist]) -> TimeUnit {
    let p50 = dists
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| d.quantile(0.5))
        .fold(0.0, f64::max);
    TimeUnit::for_ms(p50)
}

/// Overlaid CDFs of metric `m`, one series per (name, distribution).
pub fn cdf(id: &str, metric: Metric, dists: &[(String, &Dist)]) -> Chart {
    let all: Vec<&Dist> = dists.iter().map(|(_, d)| *d).collect();
    let unit = unit_of(&all);
    let log = wide(&all);
    Chart {
        id: id.into(),
        title: format!("{} distribution (CDF)", short(metric)),
        x: ChartAxis {
            log,
            ..ChartAxis::new(format!("{} ({})", short(metric), unit.symbol()))
        },
        y: ChartAxis {
            min: Some(0.0),
            max: Some(100.0),
            ..ChartAxis::new("Requests at or below (%)")
        },
        series: dists
            .iter()
            .enumerate()
            .filter(|(_, (_, d))| !d.is_empty())
            .map(|(i, (name, d))| Series::new(name.clone(), Mark::Step, cdf_points(d, unit), i))
            .collect(),
        rules: Vec::new(),
    }
}

/// A histogram of metric `m` with about 40 bars between the minimum and the 99.5th
/// percentile (a long tail would squash everything else into one bar); the title says
/// how many values lie beyond.
pub fn histogram(id: &str, metric: Metric, dist: &Dist) -> Chart {
    let unit = unit_of(&[dist]);
    let rec = dist.recorded();
    let (lo, hi) = if dist.is_empty() {
        (0.0, 1.0)
    } else {
        (unit.of(dist.quantile(0.0)), unit.of(dist.quantile(0.995)))
    };
    let span = (hi - lo).max(hi.abs() * 1e-3).max(1e-9);
    let nbins = 40usize;
    let width = span / nbins as f64;
    let mut counts = vec![0u64; nbins];
    let mut beyond = 0u64;
    for (v, c) in rec {
        let v = unit.of(v);
        if v > hi + width * 1e-9 {
            beyond += c;
            continue;
        }
        let i = (((v - lo) / width) as usize).min(nbins - 1);
        counts[i] += c;
    }
    let points = counts
        .iter()
        .enumerate()
        .map(|(i, c)| DataPoint::new(lo + (i as f64 + 0.5) * width, *c as f64))
        .collect();
    let title = if beyond > 0 {
        format!(
            "{} histogram ({} above {} {})",
            short(metric),
            crate::fmt_thousands(beyond as f64, 0),
            round(hi),
            unit.symbol()
        )
    } else {
        format!("{} histogram", short(metric))
    };
    let noun = match metric {
        Metric::Itl | Metric::ItlPerToken => "Gaps",
        _ => "Requests",
    };
    Chart {
        id: id.into(),
        title,
        x: ChartAxis::new(format!("{} ({})", short(metric), unit.symbol())),
        y: ChartAxis::new(noun),
        series: vec![Series::new(
            format!("{noun} per {} {}", round(width), unit.symbol()),
            Mark::Bars {
                width: width * 0.92,
            },
            points,
            0,
        )],
        rules: Vec::new(),
    }
}

/// The distribution charts of a run: histogram and CDF of TTFT, ITL and request latency
/// (those that have data).
pub fn distributions(summary: &Summary) -> Vec<Chart> {
    let mut out = Vec::new();
    for m in [Metric::Ttft, Metric::Itl, Metric::E2e] {
        let d = summary.dist(m);
        if d.is_empty() {
            continue;
        }
        out.push(histogram(&format!("{}-histogram", stem(m)), m, d));
        out.push(cdf(&format!("{}-cdf", stem(m)), m, &[(short(m).into(), d)]));
    }
    out
}

/// Latency, throughput and concurrency over the run.
pub fn over_time(t: &Timeline) -> Vec<Chart> {
    let start_rule: Vec<Rule> = t
        .measure_start_s
        .map(|s| Rule {
            orientation: Orientation::Vertical,
            value: s,
            label: "measurement starts".into(),
        })
        .into_iter()
        .collect();
    let typical = t
        .bins
        .iter()
        .filter_map(|b| b.e2e_p50_ms)
        .fold(0.0, f64::max);
    let unit = TimeUnit::for_ms(typical);
    let mid = |b: &crate::timeline::Bin| b.t_s + t.bin_s / 2.0;
    let line = |f: &dyn Fn(&crate::timeline::Bin) -> Option<f64>| -> Vec<DataPoint> {
        t.bins
            .iter()
            .filter_map(|b| f(b).map(|v| DataPoint::new(mid(b), v)))
            .collect()
    };
    let x = || ChartAxis::new("Time since start (s)");
    let latency = Chart {
        id: "latency-over-time".into(),
        title: format!(
            "Latency over time (requests ending in each {} s)",
            round(t.bin_s)
        ),
        x: x(),
        y: ChartAxis::new(format!("Latency ({})", unit.symbol())),
        series: vec![
            Series::new(
                "P50 request latency",
                Mark::Line,
                line(&|b| b.e2e_p50_ms.map(|v| unit.of(v))),
                0,
            ),
            Series::new(
                "P95 request latency",
                Mark::Line,
                line(&|b| b.e2e_p95_ms.map(|v| unit.of(v))),
                0,
            )
            .dashed(),
            Series::new(
                "P50 TTFT",
                Mark::Line,
                line(&|b| b.ttft_p50_ms.map(|v| unit.of(v))),
                1,
            ),
            Series::new(
                "P95 TTFT",
                Mark::Line,
                line(&|b| b.ttft_p95_ms.map(|v| unit.of(v))),
                1,
            )
            .dashed(),
        ]
        .into_iter()
        .filter(|s| !s.points.is_empty())
        .collect(),
        rules: start_rule.clone(),
    };
    let throughput = Chart {
        id: "throughput-over-time".into(),
        title: "Output token throughput over time".into(),
        x: x(),
        y: ChartAxis::new("Output tokens per second (tok/s)"),
        series: vec![Series::new(
            "Output tok/s",
            Mark::Line,
            line(&|b| Some(b.output_tokens as f64 / t.bin_s)),
            2,
        )],
        rules: start_rule.clone(),
    };
    let mut req = vec![Series::new(
        "Completed req/s",
        Mark::Line,
        line(&|b| Some(b.completed as f64 / t.bin_s)),
        0,
    )];
    if t.bins.iter().any(|b| b.errors > 0) {
        req.push(Series::new(
            "Failed req/s",
            Mark::Line,
            line(&|b| Some(b.errors as f64 / t.bin_s)),
            5,
        ));
    }
    let requests = Chart {
        id: "requests-over-time".into(),
        title: "Requests over time".into(),
        x: x(),
        y: ChartAxis::new("Requests per second (req/s)"),
        series: req,
        rules: start_rule.clone(),
    };
    let concurrency = Chart {
        id: "concurrency-over-time".into(),
        title: "Requests in flight over time".into(),
        x: x(),
        y: ChartAxis::new("Requests in flight (mean per bin)"),
        series: vec![Series::new(
            "In flight",
            Mark::Line,
            line(&|b| Some(b.in_flight)),
            3,
        )],
        rules: start_rule,
    };
    vec![latency, throughput, requests, concurrency]
}

/// The x axis of load levels: concurrent users or request rate, from 0.
pub fn level_axis(axis: LoadAxis) -> ChartAxis {
    ChartAxis {
        min: Some(0.0),
        ..ChartAxis::new(match axis {
            LoadAxis::Concurrency => "Concurrent users",
            LoadAxis::Rate => "Request rate (req/s)",
        })
    }
}

/// The point label of a level, e.g. `c25`.
fn tag(axis: LoadAxis, level: f64) -> String {
    axis.label(level)
}

/// Latency percentiles and throughput versus load, and the latency-throughput curve, for
/// the rows of one sweep or search: the knee and an SLO limit (ms) as lines, goodput when
/// SLOs were given.
pub fn versus_load(
    axis: LoadAxis,
    rows: &[&Row],
    knee: Option<f64>,
    slo_line: Option<(f64, String)>,
    goodput: bool,
) -> Vec<Chart> {
    let typical = rows.iter().map(|r| r.p50_e2e_ms).fold(0.0, f64::max);
    let unit = TimeUnit::for_ms(typical);
    let pts = |f: &dyn Fn(&Row) -> f64| -> Vec<DataPoint> {
        rows.iter()
            .filter(|r| r.ok > 0)
            .map(|r| DataPoint::new(r.level, f(r)))
            .collect()
    };
    let knee_rule: Vec<Rule> = knee
        .map(|k| Rule {
            orientation: Orientation::Vertical,
            value: k,
            label: format!("knee {}", tag(axis, k)),
        })
        .into_iter()
        .collect();
    let mut latency_rules = knee_rule.clone();
    if let Some((v, label)) = slo_line {
        latency_rules.push(Rule {
            orientation: Orientation::Horizontal,
            value: unit.of(v),
            label,
        });
    }
    let latency = Chart {
        id: "latency-vs-load".into(),
        title: "Latency versus load".into(),
        x: level_axis(axis),
        y: ChartAxis::new(format!("Latency ({})", unit.symbol())),
        series: vec![
            Series::new(
                "P50 request latency",
                Mark::LinePoints,
                pts(&|r| unit.of(r.p50_e2e_ms)),
                0,
            ),
            Series::new(
                "P95 request latency",
                Mark::LinePoints,
                pts(&|r| unit.of(r.p95_e2e_ms)),
                1,
            ),
            Series::new(
                "P99 request latency",
                Mark::LinePoints,
                pts(&|r| unit.of(r.p99_e2e_ms)),
                5,
            )
            .dashed(),
            Series::new(
                "P95 TTFT",
                Mark::LinePoints,
                pts(&|r| unit.of(r.p95_ttft_ms)),
                2,
            )
            .dashed(),
        ],
        rules: latency_rules,
    };
    let throughput = Chart {
        id: "throughput-vs-load".into(),
        title: "Output token throughput versus load".into(),
        x: level_axis(axis),
        y: ChartAxis::new("Output tokens per second (tok/s)"),
        series: vec![Series::new(
            "Output tok/s",
            Mark::LinePoints,
            pts(&|r| r.output_tokens_per_s),
            2,
        )],
        rules: knee_rule.clone(),
    };
    let mut req = vec![Series::new(
        "Completed req/s",
        Mark::LinePoints,
        pts(&|r| r.requests_per_s),
        0,
    )];
    if goodput && rows.iter().any(|r| r.goodput_per_s.is_some()) {
        req.push(
            Series::new(
                "Goodput (req/s meeting every SLO)",
                Mark::LinePoints,
                pts(&|r| r.goodput_per_s.unwrap_or(0.0)),
                2,
            )
            .dashed(),
        );
    }
    let requests = Chart {
        id: "requests-vs-load".into(),
        title: "Request throughput versus load".into(),
        x: level_axis(axis),
        y: ChartAxis::new("Requests per second (req/s)"),
        series: req,
        rules: knee_rule,
    };
    let curve = Chart {
        id: "latency-throughput".into(),
        title: "Latency versus throughput (each point a level)".into(),
        x: ChartAxis::new("Output tokens per second (tok/s)"),
        y: ChartAxis::new(format!("P95 request latency ({})", unit.symbol())),
        series: vec![Series::new(
            "P95 request latency",
            Mark::LinePoints,
            rows.iter()
                .filter(|r| r.ok > 0)
                .map(|r| DataPoint {
                    label: Some(if knee == Some(r.level) {
                        format!("{} (knee)", tag(axis, r.level))
                    } else {
                        tag(axis, r.level)
                    }),
                    ..DataPoint::new(r.output_tokens_per_s, unit.of(r.p95_e2e_ms))
                })
                .collect(),
            1,
        )],
        rules: Vec::new(),
    };
    vec![latency, throughput, requests, curve]
}

/// P95 latency and throughput versus load for several results, one colour per result
/// (a result without levels keeps its colour and draws nothing), with each latency
/// SLO as a line.
pub fn versus_load_overlay(
    axis: LoadAxis,
    results: &[(String, Option<Vec<&Row>>)],
    slos: &[Slo],
) -> Vec<Chart> {
    let typical = results
        .iter()
        .filter_map(|(_, rows)| rows.as_ref())
        .flat_map(|r| r.iter().map(|r| r.p50_e2e_ms))
        .fold(0.0, f64::max);
    let unit = TimeUnit::for_ms(typical);
    let x = || level_axis(axis);
    let mk = |f: &dyn Fn(&Row) -> f64| -> Vec<Series> {
        results
            .iter()
            .enumerate()
            .filter_map(|(i, (name, rows))| {
                let mut pts: Vec<DataPoint> = rows
                    .as_ref()?
                    .iter()
                    .filter(|r| r.ok > 0)
                    .map(|r| DataPoint::new(r.level, f(r)))
                    .collect();
                pts.sort_by(|a, b| a.x.total_cmp(&b.x));
                Some(Series::new(name.clone(), Mark::LinePoints, pts, i))
            })
            .collect()
    };
    let rules = slos
        .iter()
        .map(|slo| Rule {
            orientation: Orientation::Horizontal,
            value: unit.of(slo.threshold()),
            label: format!("SLO {slo}"),
        })
        .collect();
    vec![
        Chart {
            id: "compare-latency-vs-load".into(),
            title: "P95 request latency versus load".into(),
            x: x(),
            y: ChartAxis::new(format!("P95 request latency ({})", unit.symbol())),
            series: mk(&|r| unit.of(r.p95_e2e_ms)),
            rules,
        },
        Chart {
            id: "compare-throughput-vs-load".into(),
            title: "Output token throughput versus load".into(),
            x: x(),
            y: ChartAxis::new("Output tokens per second (tok/s)"),
            series: mk(&|r| r.output_tokens_per_s),
            rules: Vec::new(),
        },
    ]
}

/// The status colour of a verdict.
pub fn status(verdict: Verdict) -> PointStatus {
    match verdict {
        Verdict::Pass => PointStatus::Pass,
        Verdict::Fail => PointStatus::Fail,
        Verdict::Marginal => PointStatus::Marginal,
    }
}

/// The capacity envelope of SLO number `i`: its estimate per level with the confidence
/// interval, coloured PASS/FAIL/MARGINAL, each run's value, the limit as a line and the
/// capacity found.
pub fn envelope(
    id: &str,
    axis: LoadAxis,
    levels: &[&LevelResult],
    i: usize,
    slo: &Slo,
    max_pass: Option<f64>,
) -> Chart {
    // Assessments are in the SLO's unit: ms for latency, fractions for errors and
    // goodput share, req/s for goodput per second.
    let (scale, unit): (f64, String) = match slo {
        Slo::Latency { .. } => {
            let u = TimeUnit::for_ms(slo.threshold());
            (u.of(1.0), u.symbol().into())
        }
        Slo::Errors { .. } | Slo::Goodput(GoodputTarget::Share(_)) => (100.0, "%".into()),
        Slo::Goodput(GoodputTarget::PerSecond(_)) => (1.0, "req/s".into()),
    };
    let mut estimates = Vec::new();
    let mut runs = Vec::new();
    for l in levels {
        let Some(s) = l.slos.get(i) else { continue };
        let a = &s.assessment;
        if let Some(e) = a.estimate {
            estimates.push(DataPoint {
                lo: a.interval.map(|iv| iv.lo * scale),
                hi: a.interval.map(|iv| iv.hi * scale),
                label: Some(tag(axis, l.level)),
                status: Some(status(a.verdict)),
                ..DataPoint::new(l.level, e * scale)
            });
        }
        for v in a.per_repeat.iter().flatten() {
            runs.push(DataPoint::new(l.level, v * scale));
        }
    }
    let mut rules = vec![Rule {
        orientation: Orientation::Horizontal,
        value: slo.threshold() * scale,
        label: format!("SLO {slo}"),
    }];
    if let Some(m) = max_pass {
        rules.push(Rule {
            orientation: Orientation::Vertical,
            value: m,
            label: format!("capacity {}", tag(axis, m)),
        });
    }
    let mut series_list = Vec::new();
    if levels.iter().any(|l| l.repeats.len() > 1) {
        series_list.push(Series::new("Each run", Mark::Points, runs, 7));
    }
    series_list.push(Series::new(
        "Estimate with its interval",
        Mark::Points,
        estimates,
        0,
    ));
    Chart {
        id: id.into(),
        title: format!("Capacity envelope: {slo} per level"),
        x: level_axis(axis),
        y: ChartAxis::new(format!("{} ({unit})", slo_quantity(slo))),
        series: series_list,
        rules,
    }
}

/// What an SLO measures, for an axis title: `p95(e2e)`, `error rate`, `goodput`.
fn slo_quantity(slo: &Slo) -> String {
    let text = slo.to_string();
    let cut = text.find(['<', '>']).unwrap_or(text.len());
    text[..cut].trim().to_string()
}
