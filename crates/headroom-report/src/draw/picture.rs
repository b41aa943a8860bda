//! The picture of one chart: background, grid, rules, series, axes, labels, legend and
//! the "no data" note, drawn from its layout on a [`Canvas`].

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::DrawError;
use super::canvas::{AXIS_LINE, Canvas, GRID, GRID_MINOR, INK, NOTE, RULE, TICK_INK, hex};
use super::font::{
    AXIS_SIZE, LABEL_SIZE, LEGEND_SIZE, NOTE_SIZE, RULE_SIZE, TICK_SIZE, TITLE_SIZE, em,
};
use super::geometry::{bar_rect, clip, error_bar, path_points, polylines};
use super::layout::{Frame, H, Layout, Rect, TICK_LEN, W, layout};
use super::legend::{LEGEND_LINE, LEGEND_PAD, LEGEND_ROW, LegendAt, LegendEntry, SWATCH_W, Swatch};
use crate::chart::{self, Chart, Mark, Orientation, Series};

pub(super) fn render<DB: DrawingBackend>(cv: &Canvas<'_, DB>, c: &Chart) -> Result<(), DrawError> {
    let l = layout(c);
    let f = &l.frame;
    let a = f.area;
    cv.fill(
        Rect {
            x0: 0.0,
            y0: 0.0,
            x1: W,
            y1: H,
        },
        WHITE.filled(),
    )?;
    draw_grid(cv, &l)?;
    draw_rules(cv, c, f)?;
    let mut drawn_any = false;
    for s in &c.series {
        drawn_any |= draw_series(cv, f, s)?;
    }
    draw_axes(cv, &l)?;
    // Labels over the data.
    draw_point_labels(cv, &l)?;
    draw_rule_labels(cv, &l)?;
    if !drawn_any {
        cv.text(
            "no data",
            ((a.x0 + a.x1) / 2.0, (a.y0 + a.y1) / 2.0),
            NOTE_SIZE,
            &NOTE,
            (HPos::Center, VPos::Center),
        )?;
    }
    if let Some((at, entries)) = &l.legend {
        draw_legend(cv, *at, entries)?;
    }
    Ok(())
}

/// Minor and major grid lines.
fn draw_grid<DB: DrawingBackend>(cv: &Canvas<'_, DB>, l: &Layout) -> Result<(), DrawError> {
    let f = &l.frame;
    let a = f.area;
    for &v in &l.axes.x_minor {
        let x = f.px(v);
        if x > a.x0 + 1.0 && x < a.x1 - 1.0 {
            cv.hairline((x, a.y0), (x, a.y1), &GRID_MINOR)?;
        }
    }
    for &v in &l.axes.y_minor {
        let y = f.py(v);
        if y > a.y0 + 1.0 && y < a.y1 - 1.0 {
            cv.hairline((a.x0, y), (a.x1, y), &GRID_MINOR)?;
        }
    }
    for t in &l.axes.x {
        cv.hairline((t.pos, a.y0), (t.pos, a.y1), &GRID)?;
    }
    for t in &l.axes.y {
        cv.hairline((a.x0, t.pos), (a.x1, t.pos), &GRID)?;
    }
    Ok(())
}

/// The rules' dashed lines, under the data.
fn draw_rules<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    c: &Chart,
    f: &Frame,
) -> Result<(), DrawError> {
    let a = f.area;
    for r in &c.rules {
        let (p0, p1) = match r.orientation {
            Orientation::Horizontal if f.y.valid(r.value) => {
                let y = f.py(r.value);
                ((a.x0, y), (a.x1, y))
            }
            Orientation::Vertical if f.x.valid(r.value) => {
                let x = f.px(r.value);
                ((x, a.y0), (x, a.y1))
            }
            _ => continue,
        };
        if let Some((p0, p1)) = clip(&a, p0, p1) {
            cv.path(&[p0, p1], cv.stroke(&RULE, 1.5), Some((8.0, 5.0)))?;
        }
    }
    Ok(())
}

/// ChartAxis lines, ticks with their labels, the axis titles and the chart's title.
fn draw_axes<DB: DrawingBackend>(cv: &Canvas<'_, DB>, l: &Layout) -> Result<(), DrawError> {
    let a = l.frame.area;
    cv.hairline((a.x0, a.y0), (a.x0, a.y1), &AXIS_LINE)?;
    cv.hairline((a.x0, a.y1), (a.x1, a.y1), &AXIS_LINE)?;
    for t in &l.axes.x {
        cv.hairline((t.pos, a.y1), (t.pos, a.y1 + TICK_LEN), &AXIS_LINE)?;
        cv.text(
            &t.label,
            (t.pos, a.y1 + TICK_LEN + 4.0),
            TICK_SIZE,
            &TICK_INK,
            (HPos::Center, VPos::Top),
        )?;
    }
    for t in &l.axes.y {
        cv.hairline((a.x0 - TICK_LEN, t.pos), (a.x0, t.pos), &AXIS_LINE)?;
        cv.text(
            &t.label,
            (a.x0 - TICK_LEN - 4.0, t.pos),
            TICK_SIZE,
            &TICK_INK,
            (HPos::Right, VPos::Center),
        )?;
    }
    if !l.x_title.is_empty() {
        cv.text(
            &l.x_title,
            ((a.x0 + a.x1) / 2.0, H - 12.0),
            AXIS_SIZE,
            &INK,
            (HPos::Center, VPos::Bottom),
        )?;
    }
    if !l.y_title.is_empty() {
        cv.text_up(
            &l.y_title,
            (10.0 + em(AXIS_SIZE) / 2.0, (a.y0 + a.y1) / 2.0),
            AXIS_SIZE,
            &INK,
        )?;
    }
    if !l.title.is_empty() {
        cv.text(
            &l.title,
            (W / 2.0, 12.0),
            TITLE_SIZE,
            &INK,
            (HPos::Center, VPos::Top),
        )?;
    }
    Ok(())
}

/// The x at which text anchored `anchor` starts or ends in box `r`.
fn anchor_x(r: &Rect, anchor: HPos) -> f64 {
    match anchor {
        HPos::Left => r.x0,
        HPos::Center => (r.x0 + r.x1) / 2.0,
        HPos::Right => r.x1,
    }
}

/// Each labelled point's label, where the layout placed it.
fn draw_point_labels<DB: DrawingBackend>(cv: &Canvas<'_, DB>, l: &Layout) -> Result<(), DrawError> {
    for (label, r, anchor) in &l.point_labels {
        cv.text(
            label,
            (anchor_x(r, *anchor), r.y0),
            LABEL_SIZE,
            &INK,
            (*anchor, VPos::Top),
        )?;
    }
    Ok(())
}

/// Each rule's label, on a near-opaque box so that lines under it do not cross the text.
fn draw_rule_labels<DB: DrawingBackend>(cv: &Canvas<'_, DB>, l: &Layout) -> Result<(), DrawError> {
    for (text, r, anchor) in &l.rule_labels {
        cv.fill(
            Rect {
                x0: r.x0 - 3.0,
                y0: r.y0 - 1.0,
                x1: r.x1 + 3.0,
                y1: r.y1 + 1.0,
            },
            WHITE.mix(0.92).filled(),
        )?;
        cv.text(
            text,
            (anchor_x(r, *anchor), r.y0),
            RULE_SIZE,
            &RULE,
            (*anchor, VPos::Top),
        )?;
    }
    Ok(())
}

/// Draws one series; whether it had anything to draw.
pub(super) fn draw_series<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    f: &Frame,
    s: &Series,
) -> Result<bool, DrawError> {
    let color = hex(chart::color(s.color));
    let a = f.area;
    let mut any = false;

    // Bars.
    if let Mark::Bars { width } = s.mark {
        for p in &s.points {
            let Some(r) = bar_rect(f, p.x, p.y, width) else {
                continue;
            };
            any = true;
            let fill = p.status.map_or(color, |st| hex(chart::status_color(st)));
            cv.fill(r, fill.filled())?;
            if r.x1 - r.x0 >= 4.0 {
                // A white hairline between neighbouring bars.
                cv.fill(
                    Rect {
                        x0: r.x0,
                        x1: r.x0 + 1.0,
                        ..r
                    },
                    WHITE.filled(),
                )?;
            }
        }
    }

    // Lines.
    if matches!(s.mark, Mark::Line | Mark::Step | Mark::LinePoints) {
        let dash = s.dashed.then_some((9.0, 6.0));
        for piece in polylines(f, &path_points(f, s)) {
            any = true;
            cv.path(&piece, cv.stroke(&color, 2.0), dash)?;
        }
    }

    // Error bars.
    for p in &s.points {
        let Some((x, y0, y1)) = error_bar(f, p.x, p.lo, p.hi) else {
            continue;
        };
        let st = cv.stroke(&color, 1.5);
        cv.path(&[(x, y0), (x, y1)], st, None)?;
        for y in [y0, y1] {
            if y > a.y0 && y < a.y1 {
                cv.path(&[(x - 4.0, y), (x + 4.0, y)], st, None)?;
            }
        }
    }

    // Markers: dots for Points and LinePoints, and for any point with a status.
    let radius = match s.mark {
        Mark::Points => Some(5.0),
        Mark::LinePoints => Some(4.0),
        _ => None,
    };
    for p in &s.points {
        let Some(at) = f.at(p.x, p.y).filter(|&at| a.contains(at)) else {
            continue;
        };
        any = true;
        if matches!(s.mark, Mark::Bars { .. }) {
            continue;
        }
        match (p.status, radius) {
            (Some(st), r) => {
                let r = r.unwrap_or(5.0) + 1.0;
                cv.circle(at, r, hex(chart::status_color(st)).filled())?;
                cv.circle(at, r, cv.stroke(&color, 1.0))?;
            }
            (None, Some(r)) => cv.circle(at, r, color.filled())?,
            (None, None) => {}
        }
    }
    Ok(any)
}

pub(super) fn draw_legend<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    at: LegendAt,
    entries: &[LegendEntry],
) -> Result<(), DrawError> {
    let r = match at {
        LegendAt::Inside(r) | LegendAt::Outside(r) => r,
    };
    let opacity = if matches!(at, LegendAt::Inside(_)) {
        0.85
    } else {
        1.0
    };
    cv.fill(r, WHITE.mix(opacity).filled())?;
    let border = RGBColor(0xbb, 0xbb, 0xbb);
    cv.hairline((r.x0, r.y0), (r.x1, r.y0), &border)?;
    cv.hairline((r.x0, r.y1), (r.x1, r.y1), &border)?;
    cv.hairline((r.x0, r.y0), (r.x0, r.y1), &border)?;
    cv.hairline((r.x1, r.y0), (r.x1, r.y1), &border)?;
    let mut top = r.y0 + LEGEND_PAD - 2.0;
    for e in entries {
        let cy = top + LEGEND_ROW / 2.0;
        top += e.height();
        let x0 = r.x0 + LEGEND_PAD;
        let x1 = x0 + SWATCH_W;
        let mid = (x0 + x1) / 2.0;
        match e.swatch {
            Swatch::Line { dashed, dot } => {
                let dash = dashed.then_some((7.0, 4.0));
                cv.path(&[(x0, cy), (x1, cy)], cv.stroke(&e.color, 2.0), dash)?;
                if dot {
                    cv.circle((mid, cy), 4.0, e.color.filled())?;
                }
            }
            Swatch::Dot { ring: false } => cv.circle((mid, cy), 5.5, e.color.filled())?,
            Swatch::Dot { ring: true } => {
                cv.circle((mid, cy), 6.0, WHITE.filled())?;
                cv.circle((mid, cy), 6.0, cv.stroke(&e.color, 1.5))?;
            }
            Swatch::None => {}
            Swatch::Bar => cv.fill(
                Rect {
                    x0: mid - 8.0,
                    y0: cy - 6.0,
                    x1: mid + 8.0,
                    y1: cy + 6.0,
                },
                e.color.filled(),
            )?,
        }
        for (k, line) in e.lines.iter().enumerate() {
            cv.text(
                line,
                (x1 + 6.0, cy + LEGEND_LINE * k as f64),
                LEGEND_SIZE,
                &INK,
                (HPos::Left, VPos::Center),
            )?;
        }
    }
    Ok(())
}
