//! The legend: one entry per named series, then the statuses present, each with a swatch
//! that looks like what it names; capped in rows and width.

use plotters::style::RGBColor;

use super::canvas::{INK, hex};
use super::font::{LEGEND_SIZE, text_size, wrap_text};
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

/// One legend entry: its swatch and colour, its text, and that text in lines.
#[derive(Debug, Clone)]
pub(super) struct LegendEntry {
    pub(super) swatch: Swatch,
    pub(super) color: RGBColor,
    /// What the entry says (shortened with `…` when even two lines cannot hold it).
    pub(super) text: String,
    /// `text` in one or two lines.
    pub(super) lines: Vec<String>,
}

impl LegendEntry {
    /// The entry's height: a row, and a line more for each line after the first.
    pub(super) fn height(&self) -> f64 {
        LEGEND_ROW + LEGEND_LINE * self.lines.len().saturating_sub(1) as f64
    }
}

/// The height of an entry of one line.
pub(super) const LEGEND_ROW: f64 = 23.0;
/// The height each further line of a wrapped entry adds.
pub(super) const LEGEND_LINE: f64 = 18.0;
pub(super) const LEGEND_PAD: f64 = 8.0;
pub(super) const SWATCH_W: f64 = 30.0;
pub(super) const LEGEND_MAX_W: f64 = 320.0;
/// Rows that fit beside the plot; more entries end with "and N more".
pub(super) const LEGEND_MAX_ROWS: usize = 20;
/// The tallest legend: what fits beside the plot below the title.
const LEGEND_MAX_H: f64 = 480.0;

/// The entries: each named series, then each status present, wrapped and capped.
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
            lines: Vec::new(),
        });
    }
    for (status, text) in [
        (PointStatus::Pass, "PASS"),
        (PointStatus::Inconclusive, "INCONCLUSIVE"),
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
                lines: Vec::new(),
            });
        }
    }
    let max_text = LEGEND_MAX_W - 2.0 * LEGEND_PAD - SWATCH_W - 6.0;
    for e in &mut out {
        // Two lines before shortening: a long series name is read, not guessed at.
        e.lines = wrap_text(&e.text, LEGEND_SIZE, max_text, 2);
        e.text = e.lines.join(" ");
    }
    cap(out)
}

/// At most [`LEGEND_MAX_ROWS`] entries and [`LEGEND_MAX_H`] pixels: the last entry that
/// fits says how many more there are.
fn cap(mut entries: Vec<LegendEntry>) -> Vec<LegendEntry> {
    let height =
        |es: &[LegendEntry]| 2.0 * LEGEND_PAD - 4.0 + es.iter().map(|e| e.height()).sum::<f64>();
    if entries.len() <= LEGEND_MAX_ROWS && height(&entries) <= LEGEND_MAX_H {
        return entries;
    }
    let total = entries.len();
    entries.truncate(LEGEND_MAX_ROWS - 1);
    while !entries.is_empty() && height(&entries) + LEGEND_ROW > LEGEND_MAX_H {
        entries.pop();
    }
    let more = format!("and {} more", total - entries.len());
    entries.push(LegendEntry {
        swatch: Swatch::None,
        color: INK,
        text: more.clone(),
        lines: vec![more],
    });
    entries
}

/// The legend's width and height.
pub(super) fn legend_size(entries: &[LegendEntry]) -> (f64, f64) {
    let text_w = entries
        .iter()
        .flat_map(|e| &e.lines)
        .map(|l| text_size(l, LEGEND_SIZE).0)
        .fold(0.0, f64::max);
    (
        2.0 * LEGEND_PAD + SWATCH_W + 6.0 + text_w,
        2.0 * LEGEND_PAD - 4.0 + entries.iter().map(LegendEntry::height).sum::<f64>(),
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
