//! The operating point of each compared result (the run, the capacity, the knee), the
//! values compared there, how each reads, and the significance of a difference.

use crate::document::Tone;
use crate::fmt_num;
use crate::levels::ms;
use headroom_capacity::sweep::Row;
use headroom_capacity::{LevelResult, LoadAxis};
use headroom_metrics::gate::Quantity;
use headroom_metrics::significance::{
    Difference, mean_difference, quantile_difference, repeat_difference,
};
use headroom_metrics::{Metric, Summary, Unit};
use headroom_results::read::Results;

/// The part of a result that is compared.
#[derive(Debug, Clone)]
pub(super) struct Operating<'a> {
    pub(super) summary: Option<&'a Summary>,
    /// `run`, `at capacity (c27)`, `at the knee (c20)`.
    pub(super) what: String,
    /// Repeats' rows at this point (for throughput across repeats).
    pub(super) repeats: Vec<&'a Row>,
    /// The merged row (sweeps and searches).
    pub(super) row: Option<&'a Row>,
    /// Highest passing level of a capacity search.
    pub(super) capacity: Option<(f64, LoadAxis, bool)>,
    pub(super) axis: Option<LoadAxis>,
}

/// A sweep's or search's summary, repeats' rows and merged row at `level`.
pub(super) fn level_point<'a>(
    levels: &'a [LevelResult],
    summaries: &'a [(f64, Summary)],
    level: Option<f64>,
) -> (Option<&'a Summary>, Vec<&'a Row>, Option<&'a Row>) {
    let Some(level) = level else {
        return (None, Vec::new(), None);
    };
    let lr = levels.iter().find(|l| l.level == level);
    (
        summaries.iter().find(|(l, _)| *l == level).map(|(_, s)| s),
        lr.map(|l| l.repeats.iter().map(|r| &r.row).collect())
            .unwrap_or_default(),
        lr.map(|l| &l.merged),
    )
}

/// The operating point of a result: the run, the capacity, or the knee.
pub(super) fn operating(r: &Results) -> Operating<'_> {
    match r {
        Results::Run(run) => Operating {
            summary: Some(&run.summary),
            what: "the run".into(),
            repeats: Vec::new(),
            row: None,
            capacity: None,
            axis: None,
        },
        Results::Capacity(c) => {
            let axis = c.doc.header.axis;
            let at = c.doc.found.max_pass;
            let (summary, repeats, row) = level_point(&c.doc.levels, &c.summaries, at);
            Operating {
                summary,
                what: at.map_or_else(
                    || "no passing level".into(),
                    |l| format!("at capacity ({})", axis.label(l)),
                ),
                repeats,
                row,
                capacity: c
                    .doc
                    .found
                    .max_pass
                    .map(|m| (m, axis, c.doc.found.limit_reached)),
                axis: Some(axis),
            }
        }
        Results::Sweep(s) => {
            let axis = s.doc.header.axis;
            let at = s.doc.marks.knee.or(s.doc.marks.max_throughput);
            let (summary, repeats, row) = level_point(&s.doc.levels, &s.summaries, at);
            Operating {
                summary,
                what: at.map_or_else(
                    || "no level".into(),
                    |l| format!("at the knee ({})", axis.label(l)),
                ),
                repeats,
                row,
                capacity: None,
                axis: Some(axis),
            }
        }
    }
}

impl Operating<'_> {
    pub(super) fn requests_per_s(&self) -> Option<f64> {
        self.row
            .map(|r| r.requests_per_s)
            .or_else(|| self.summary.map(|s| s.throughput().requests_per_s))
    }

    pub(super) fn tokens_per_s(&self) -> Option<f64> {
        self.row
            .map(|r| r.output_tokens_per_s)
            .or_else(|| self.summary.map(|s| s.throughput().output_tokens_per_s))
    }

    /// The value of `q` in display units (ms, fraction, per second, level).
    pub(super) fn value(&self, q: &Quantity) -> Option<f64> {
        match q {
            Quantity::Percentile { q, metric } => self
                .summary
                .map(|s| s.dist(*metric))
                .filter(|d| !d.is_empty())
                .map(|d| d.quantile(*q)),
            Quantity::Mean(metric) => self
                .summary
                .map(|s| s.dist(*metric))
                .filter(|d| !d.is_empty())
                .map(|d| d.stats().mean),
            Quantity::Throughput => self.tokens_per_s(),
            Quantity::RequestsPerS => self.requests_per_s(),
            Quantity::Errors => self
                .row
                .map(|r| r.error_rate)
                .or_else(|| self.summary.map(|s| s.counts.error_rate())),
            Quantity::Goodput => self.row.and_then(|r| r.goodput_per_s),
            Quantity::Capacity => self.capacity.map(|(m, _, _)| m),
        }
    }
}

/// A compared quantity of the main table.
pub(super) struct Line {
    pub(super) label: &'static str,
    pub(super) quantity: Quantity,
    /// Display: ms values, rates, or a percentage.
    pub(super) kind: Kind,
}

/// How a compared value reads.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    /// A latency in ms, shown as `850 ms` or `3.62 s`.
    Ms,
    /// A rate or a count, shown as `1,234.56`.
    Rate,
    /// A fraction, shown as a percentage.
    Percent,
}

impl Kind {
    /// How values of `quantity` read: latencies in ms, lengths and rates as numbers,
    /// the error rate as a percentage.
    pub(super) fn of(quantity: &Quantity) -> Kind {
        match quantity {
            Quantity::Percentile { metric, .. } | Quantity::Mean(metric)
                if metric.unit() == Unit::Micros =>
            {
                Kind::Ms
            }
            Quantity::Errors => Kind::Percent,
            _ => Kind::Rate,
        }
    }
}

/// The rows of the main table, in order.
pub(super) fn lines() -> Vec<Line> {
    let p = |label, q, metric| Line {
        label,
        quantity: Quantity::Percentile { q, metric },
        kind: Kind::Ms,
    };
    vec![
        Line {
            label: "Output tok/s",
            quantity: Quantity::Throughput,
            kind: Kind::Rate,
        },
        Line {
            label: "Requests/s",
            quantity: Quantity::RequestsPerS,
            kind: Kind::Rate,
        },
        p("P50 request latency", 0.5, Metric::E2e),
        p("P95 request latency", 0.95, Metric::E2e),
        p("P99 request latency", 0.99, Metric::E2e),
        Line {
            label: "Mean request latency",
            quantity: Quantity::Mean(Metric::E2e),
            kind: Kind::Ms,
        },
        p("P50 TTFT", 0.5, Metric::Ttft),
        p("P95 TTFT", 0.95, Metric::Ttft),
        p("P99 TTFT", 0.99, Metric::Ttft),
        p("P50 ITL", 0.5, Metric::Itl),
        p("P95 ITL", 0.95, Metric::Itl),
        p("P50 TPOT", 0.5, Metric::Tpot),
        p("P95 TPOT", 0.95, Metric::Tpot),
        Line {
            label: "Error rate",
            quantity: Quantity::Errors,
            kind: Kind::Percent,
        },
    ]
}

/// `value` as the tables show it.
pub(super) fn show(kind: Kind, value: f64) -> String {
    match kind {
        Kind::Ms => ms(value),
        Kind::Rate => fmt_num(value),
        Kind::Percent => format!("{:.2}%", value * 100.0),
    }
}

/// The significance test of one quantity between two operating points.
pub(super) fn test(
    q: &Quantity,
    a: &Operating<'_>,
    b: &Operating<'_>,
    confidence: f64,
) -> Option<Difference> {
    match q {
        Quantity::Percentile { q, metric } => {
            let (sa, sb) = (a.summary?, b.summary?);
            quantile_difference(sa.dist(*metric), sb.dist(*metric), *q, confidence, 0x5eed)
        }
        Quantity::Mean(metric) => {
            let (sa, sb) = (a.summary?, b.summary?);
            mean_difference(sa.dist(*metric), sb.dist(*metric), confidence)
        }
        Quantity::Throughput => {
            let va: Vec<f64> = a.repeats.iter().map(|r| r.output_tokens_per_s).collect();
            let vb: Vec<f64> = b.repeats.iter().map(|r| r.output_tokens_per_s).collect();
            repeat_difference(&va, &vb, confidence)
        }
        Quantity::RequestsPerS => {
            let va: Vec<f64> = a.repeats.iter().map(|r| r.requests_per_s).collect();
            let vb: Vec<f64> = b.repeats.iter().map(|r| r.requests_per_s).collect();
            repeat_difference(&va, &vb, confidence)
        }
        _ => None,
    }
}

/// Whether a change is good or bad news, given that higher is worse or better.
pub(super) fn tone(ratio: f64, higher_is_worse: bool, significant: bool) -> Tone {
    if !significant || !ratio.is_finite() || (ratio - 1.0).abs() < 1e-12 {
        return Tone::Neutral;
    }
    if (ratio > 1.0) == higher_is_worse {
        Tone::Bad
    } else {
        Tone::Good
    }
}

/// The candidate `b` as a multiple of the baseline `a`, and in words: `1.26× (+26.1%)`.
pub(super) fn ratio_text(a: f64, b: f64) -> (f64, String) {
    if a == 0.0 {
        if b == 0.0 {
            return (1.0, "1.00×".into());
        }
        return (f64::INFINITY, "n/a (baseline 0)".into());
    }
    let r = b / a;
    (r, format!("{r:.2}× ({:+.1}%)", (r - 1.0) * 100.0))
}
