//! Which charts each report draws, as [`Chart`] data, built from summaries, timelines
//! and the rows of sweeps and searches: distributions here, the run over time in
//! `time`, and versus load (sweeps, searches, the envelope, comparisons) in `load`.

mod load;
mod server;
mod time;

pub use load::{envelope, versus_load, versus_load_overlay};
pub use server::server_over_time;
pub use time::over_time;

use crate::chart::{Chart, ChartAxis, DataPoint, Mark, PointStatus, Series};
use headroom_capacity::LoadAxis;
use headroom_metrics::{Dist, Metric, Summary, Verdict};

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
pub(crate) fn round(v: f64) -> String {
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

/// What one observation of `metric` is, for the axis that counts them: a request, or
/// for inter-token latency a gap between chunks (`itl`) or a token (`itl_per_token`,
/// which counts each gap once per token of the later chunk).
fn counted(metric: Metric) -> &'static str {
    match metric {
        Metric::Itl => "Gaps between chunks",
        Metric::ItlPerToken => "Tokens",
        _ => "Requests",
    }
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
            ..ChartAxis::new(format!("{} at or below (%)", counted(metric)))
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
pub(crate) fn tag(axis: LoadAxis, level: f64) -> String {
    axis.label(level)
}

/// The status colour of a verdict.
pub fn status(verdict: Verdict) -> PointStatus {
    match verdict {
        Verdict::Pass => PointStatus::Pass,
        Verdict::Fail => PointStatus::Fail,
        Verdict::Inconclusive => PointStatus::Inconclusive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cdf_says_what_it_counts() {
        // Regression: the ITL CDF's y axis said "Requests" for gaps between tokens.
        let mut d = Dist::new(headroom_metrics::Unit::Micros);
        for v in [10_000, 12_000, 15_000, 40_000] {
            d.record(v);
        }
        let y = |m| cdf("x", m, &[("run".into(), &d)]).y.label;
        assert_eq!(y(Metric::Itl), "Gaps between chunks at or below (%)");
        assert_eq!(y(Metric::ItlPerToken), "Tokens at or below (%)");
        assert_eq!(y(Metric::E2e), "Requests at or below (%)");
        assert_eq!(y(Metric::Ttft), "Requests at or below (%)");
    }
}
