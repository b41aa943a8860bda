//! The legend: one entry per named series, then the statuses present, each with a swatch
//! that looks like what it names; capped in rows and width.

use plotters::style::RGBColor;

use super::canvas::{INK, hex};
use super::font::{LEGEND_SIZE, fit_text, text_size};
use super::layout::Rect;
use crate::chart::{self, Chart, Mark, PointStatus};

/// What a legend entry's swatch shows.
#[derive(Debug, Clone, Copy)]
pub(super) enum Swatch {
    /// A line, maybe dashed, maybe with a dot.
    Line { dashed: bool, dot: bool },
    /// A dot; `ring` draws it hollow (the series' points carry status colours).
    Dot { ring: bool },
    /// A bar.
    Bar,
    /// Nothing (the "and N more" line).
    None,
}

#[derive(Debug, Clone)]
pub(super) struct LegendEntry {
    pub(super) swatch: Swatch,
    pub(super) color: RGBColor,
    pub(super) text: String,
}

pub(super) const LEGEND_ROW: f64 = 21.0;
pub(super) const LEGEND_PAD: f64 = 8.0;
pub(super) const SWATCH_W: f64 = 30.0;
pub(super) const LEGEND_MAX_W: f64 = 260.0;
/// Rows that fit beside the plot; more entries end with "and N more".
pub(super) const LEGEND_MAX_ROWS: usize = 20;

pub(super) fn legend_entries(c: &Chart) -> Vec<LegendEntry> {
    let mut out = Vec::new();
    for s in c.series.iter().filter(|s| !s.name.trim().is_empty()) {
        let all_status = !s.points.is_empty() && s.points.iter().all(|p| p.status.is_some());
        let swatch = match s.mark {
            Mark::Line | Mark::Step => Swatch::Line {
                dashed: s.dashed,
                dot: false,
            },
            Mark::LinePoints => Swatch::Line {
                dashed: s.dashed,
                dot: true,
            },
            Mark::Points => Swatch::Dot { ring: all_status },
            Mark::Bars { .. } => Swatch::Bar,
        };
        out.push(LegendEntry {
            swatch,
            color: hex(chart::color(s.color)),
            text: s.name.clone(),
        });
    }
    for (status, text) in [
        (PointStatus::Pass, "PASS"),
        (PointStatus::Marginal, "MARGINAL"),
        (PointStatus::Fail, "FAIL"),
    ] {
        let present = c
            .series
            .iter()
            .flat_map(|s| &s.points)
            .any(|p| p.status == Some(status));
        if present {
            out.push(LegendEntry {
                swatch: Swatch::Dot { ring: false },
                color: hex(chart::status_color(status)),
                text: text.to_string(),
            });
        }
    }
    if out.len() > LEGEND_MAX_ROWS {
        let more = out.len() - (LEGEND_MAX_ROWS - 1);
        out.truncate(LEGEND_MAX_ROWS - 1);
        out.push(LegendEntry {
            swatch: Swatch::None,
            color: INK,
            text: format!("and {more} more"),
        });
    }
    let max_text = LEGEND_MAX_W - 2.0 * LEGEND_PAD - SWATCH_W - 6.0;
    for e in &mut out {
        e.text = fit_text(&e.text, LEGEND_SIZE, max_text);
    }
    out
}

pub(super) fn legend_size(entries: &[LegendEntry]) -> (f64, f64) {
    let text_w = entries
        .iter()
        .map(|e| text_size(&e.text, LEGEND_SIZE).0)
        .fold(0.0, f64::max);
    (
        2.0 * LEGEND_PAD + SWATCH_W + 6.0 + text_w,
        2.0 * LEGEND_PAD - 4.0 + entries.len() as f64 * LEGEND_ROW,
    )
}

/// Where the legend goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum LegendAt {
    /// Inside the plot, over a corner free of data.
    Inside(Rect),
    /// To the right of the plot.
    Outside(Rect),
}
