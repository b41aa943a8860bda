//! Charts versus load: latency, throughput and goodput of the levels of one sweep or
//! search, the latency-throughput curve, the capacity envelope of each SLO, and several
//! results overlaid for a comparison.

use super::{TimeUnit, level_axis, status, tag};
use crate::chart::{Chart, ChartAxis, DataPoint, Mark, Orientation, Rule, Series};
use headroom_capacity::sweep::{Row, ServerRow};
use headroom_capacity::{LevelResult, LoadAxis};
use headroom_metrics::Slo;
use headroom_metrics::slo::GoodputTarget;

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
    let charts = LoadCharts {
        axis,
        rows,
        unit: TimeUnit::for_ms(typical),
        knee_rule: knee
            .map(|k| Rule {
                orientation: Orientation::Vertical,
                value: k,
                label: format!("knee {}", tag(axis, k)),
            })
            .into_iter()
            .collect(),
    };
    let mut out = vec![
        charts.latency(slo_line),
        charts.throughput(),
        charts.requests(goodput),
        charts.curve(knee),
    ];
    out.extend(charts.server());
    out
}

/// What the charts of one sweep or search share: the load axis, the levels' rows (in
/// level order), the latency unit and the knee's line.
struct LoadCharts<'a> {
    axis: LoadAxis,
    rows: &'a [&'a Row],
    unit: TimeUnit,
    knee_rule: Vec<Rule>,
}

impl LoadCharts<'_> {
    /// A point per level that completed a request.
    fn points(&self, value: &dyn Fn(&Row) -> f64) -> Vec<DataPoint> {
        self.rows
            .iter()
            .filter(|r| r.ok > 0)
            .map(|r| DataPoint::new(r.level, value(r)))
            .collect()
    }

    /// What the server said per level (its `/metrics`): the batch and the queue behind
    /// it, and its KV cache; none when it was not scraped.
    fn server(&self) -> Vec<Chart> {
        let pts = |f: fn(&ServerRow) -> Option<f64>, scale: f64| -> Vec<DataPoint> {
            self.rows
                .iter()
                .filter_map(|r| Some(DataPoint::new(r.level, f(r.server.as_ref()?)? * scale)))
                .collect()
        };
        let lp = Mark::LinePoints;
        let chart = |id: &str, title: &str, y: &str, series: Vec<Series>| Chart {
            id: id.into(),
            title: title.into(),
            x: level_axis(self.axis),
            y: ChartAxis::new(y),
            series: series
                .into_iter()
                .filter(|s| !s.points.is_empty())
                .collect(),
            rules: self.knee_rule.clone(),
        };
        let batch = chart(
            "server-queue-vs-load",
            "Server batch and queue versus load (its /metrics)",
            "Requests",
            vec![
                Series::new("Running (mean)", lp, pts(|s| s.running_mean, 1.0), 3),
                Series::new("Waiting (mean)", lp, pts(|s| s.waiting_mean, 1.0), 5),
                Series::new("Waiting (max)", lp, pts(|s| s.waiting_max, 1.0), 5).dashed(),
            ],
        );
        let kv = chart(
            "server-kv-cache-vs-load",
            "Server KV-cache usage versus load (its /metrics)",
            "KV cache used (%)",
            vec![
                Series::new("KV cache (mean)", lp, pts(|s| s.kv_mean, 100.0), 2),
                Series::new("KV cache (max)", lp, pts(|s| s.kv_max, 100.0), 2).dashed(),
            ],
        );
        [batch, kv]
            .into_iter()
            .filter(|c| !c.series.is_empty())
            .collect()
    }

    /// A latency in the charts' unit.
    fn latency_points(&self, ms: fn(&Row) -> f64) -> Vec<DataPoint> {
        self.points(&|r| self.unit.of(ms(r)))
    }

    /// P50, P95 and P99 request latency and P95 TTFT per level, with the knee and the
    /// SLO limit.
    fn latency(&self, slo_line: Option<(f64, String)>) -> Chart {
        let mut rules = self.knee_rule.clone();
        if let Some((v, label)) = slo_line {
            rules.push(Rule {
                orientation: Orientation::Horizontal,
                value: self.unit.of(v),
                label,
            });
        }
        let lp = Mark::LinePoints;
        Chart {
            id: "latency-vs-load".into(),
            title: "Latency versus load".into(),
            x: level_axis(self.axis),
            y: ChartAxis::new(format!("Latency ({})", self.unit.symbol())),
            series: vec![
                Series::new(
                    "P50 request latency",
                    lp,
                    self.latency_points(|r| r.p50_e2e_ms),
                    0,
                ),
                Series::new(
                    "P95 request latency",
                    lp,
                    self.latency_points(|r| r.p95_e2e_ms),
                    1,
                ),
                Series::new(
                    "P99 request latency",
                    lp,
                    self.latency_points(|r| r.p99_e2e_ms),
                    5,
                )
                .dashed(),
                Series::new("P95 TTFT", lp, self.latency_points(|r| r.p95_ttft_ms), 2).dashed(),
            ],
            rules,
        }
    }

    /// Output tokens per second per level.
    fn throughput(&self) -> Chart {
        Chart {
            id: "throughput-vs-load".into(),
            title: "Output token throughput versus load".into(),
            x: level_axis(self.axis),
            y: ChartAxis::new("Output tokens per second (tok/s)"),
            series: vec![Series::new(
                "Output tok/s",
                Mark::LinePoints,
                self.points(&|r| r.output_tokens_per_s),
                2,
            )],
            rules: self.knee_rule.clone(),
        }
    }

    /// Completed requests per second per level, and goodput when asked for and known.
    fn requests(&self, goodput: bool) -> Chart {
        let mut series = vec![Series::new(
            "Completed req/s",
            Mark::LinePoints,
            self.points(&|r| r.requests_per_s),
            0,
        )];
        if goodput && self.rows.iter().any(|r| r.goodput_per_s.is_some()) {
            series.push(
                Series::new(
                    "Goodput (req/s meeting every SLO)",
                    Mark::LinePoints,
                    self.points(&|r| r.goodput_per_s.unwrap_or(0.0)),
                    2,
                )
                .dashed(),
            );
        }
        Chart {
            id: "requests-vs-load".into(),
            title: "Request throughput versus load".into(),
            x: level_axis(self.axis),
            y: ChartAxis::new("Requests per second (req/s)"),
            series,
            rules: self.knee_rule.clone(),
        }
    }

    /// P95 request latency against output throughput, each point a level, labelled.
    fn curve(&self, knee: Option<f64>) -> Chart {
        let axis = self.axis;
        Chart {
            id: "latency-throughput".into(),
            title: "Latency versus throughput (each point a level)".into(),
            x: ChartAxis::new("Output tokens per second (tok/s)"),
            y: ChartAxis::new(format!("P95 request latency ({})", self.unit.symbol())),
            series: vec![Series::new(
                "P95 request latency",
                Mark::LinePoints,
                self.rows
                    .iter()
                    .filter(|r| r.ok > 0)
                    .map(|r| DataPoint {
                        label: Some(if knee == Some(r.level) {
                            format!("{} (knee)", tag(axis, r.level))
                        } else {
                            tag(axis, r.level)
                        }),
                        ..DataPoint::new(r.output_tokens_per_s, self.unit.of(r.p95_e2e_ms))
                    })
                    .collect(),
                1,
            )],
            rules: Vec::new(),
        }
    }
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

/// The capacity envelope of SLO number `slo_index`: its estimate per level with the
/// confidence interval, coloured PASS/FAIL/INCONCLUSIVE, each run's value, the limit as a
/// line and the capacity found.
pub fn envelope(
    id: &str,
    axis: LoadAxis,
    levels: &[&LevelResult],
    slo_index: usize,
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
        let Some(s) = l.slos.get(slo_index) else {
            continue;
        };
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
