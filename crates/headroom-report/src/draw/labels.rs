//! DataPoint labels and rule labels: where each goes, so that it stays in the plot.

use plotters::style::text_anchor::HPos;

use super::font::{LABEL_SIZE, RULE_SIZE, fit_text, text_size};
use super::layout::{Frame, Rect};
use crate::chart::{Chart, Orientation};

/// A point label's offset right of and above its point.
pub(super) const LABEL_DX: f64 = 7.0;
pub(super) const LABEL_DY: f64 = 5.0;

/// Where a point's label goes: above right of the point, or on the left or below where it
/// would leave the plot. Its box and horizontal anchor (the text hangs from the box's top).
pub(super) fn point_label_box(area: &Rect, at: (f64, f64), label: &str) -> (Rect, HPos) {
    let (w, h) = text_size(label, LABEL_SIZE);
    let (x0, anchor) = if at.0 + LABEL_DX + w > area.x1 - 2.0 {
        (at.0 - LABEL_DX - w, HPos::Right)
    } else {
        (at.0 + LABEL_DX, HPos::Left)
    };
    let y0 = if at.1 - LABEL_DY - h < area.y0 + 2.0 {
        at.1 + LABEL_DY
    } else {
        at.1 - LABEL_DY - h
    };
    let r = Rect {
        x0,
        y0,
        x1: x0 + w,
        y1: y0 + h,
    };
    (r, anchor)
}

/// Each rule's label: text, box, anchor.
pub(super) fn rule_labels(c: &Chart, f: &Frame) -> Vec<(String, Rect, HPos)> {
    let a = f.area;
    let mut out = Vec::new();
    let mut vertical_row = 0.0;
    for r in &c.rules {
        let text = fit_text(r.label.trim(), RULE_SIZE, (a.x1 - a.x0) * 0.6);
        if text.is_empty() {
            continue;
        }
        let (w, h) = text_size(&text, RULE_SIZE);
        match r.orientation {
            Orientation::Horizontal => {
                if !f.y.valid(r.value) {
                    continue;
                }
                let y = f.py(r.value);
                if y < a.y0 || y > a.y1 {
                    continue;
                }
                // Above the line, at its right end; below when too close to the top.
                let y0 = if y - 4.0 - h < a.y0 + 2.0 {
                    y + 4.0
                } else {
                    y - 4.0 - h
                };
                let x1 = a.x1 - 6.0;
                out.push((
                    text,
                    Rect {
                        x0: x1 - w,
                        y0,
                        x1,
                        y1: y0 + h,
                    },
                    HPos::Right,
                ));
            }
            Orientation::Vertical => {
                if !f.x.valid(r.value) {
                    continue;
                }
                let x = f.px(r.value);
                if x < a.x0 || x > a.x1 {
                    continue;
                }
                let y0 = a.y0 + 6.0 + vertical_row * (h + 4.0);
                vertical_row += 1.0;
                // Right of the line; left of it when it would run out of the plot.
                let (x0, anchor) = if x + 5.0 + w > a.x1 - 2.0 {
                    (x - 5.0 - w, HPos::Right)
                } else {
                    (x + 5.0, HPos::Left)
                };
                out.push((
                    text,
                    Rect {
                        x0,
                        y0,
                        x1: x0 + w,
                        y1: y0 + h,
                    },
                    anchor,
                ));
            }
        }
    }
    out
}
