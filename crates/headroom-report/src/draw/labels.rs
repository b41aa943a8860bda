//! Point labels and rule labels: where each goes, so that it stays in the plot and, for
//! point labels, clear of the data, the rules and each other.

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

/// A placed label: its text, its box, and how the text is anchored in the box (it hangs
/// from the box's top).
pub(super) type Placed = (String, Rect, HPos);

/// Where each labelled point's label goes, in series order: the first of the places
/// around its point (above right, above left, below right, below left, right, left,
/// above, below) that stays in the plot and covers nothing in `avoid` nor a label
/// placed before it; where every place covers something, the one that covers least.
pub(super) fn point_labels(c: &Chart, f: &Frame, avoid: &[Rect]) -> Vec<Placed> {
    let a = f.area;
    let mut placed: Vec<Placed> = Vec::new();
    for s in &c.series {
        for p in &s.points {
            let Some(label) = p.label.as_deref().filter(|l| !l.is_empty()) else {
                continue;
            };
            let Some(at) = f.at(p.x, p.y).filter(|&at| a.contains(at)) else {
                continue;
            };
            let covered = |r: &Rect| {
                let grown = Rect {
                    x0: r.x0 - 1.0,
                    y0: r.y0 - 1.0,
                    x1: r.x1 + 1.0,
                    y1: r.y1 + 1.0,
                };
                avoid.iter().filter(|o| o.intersects(&grown)).count()
                    + placed
                        .iter()
                        .filter(|(_, o, _)| o.intersects(&grown))
                        .count()
            };
            let mut best: Option<(usize, Rect, HPos)> = None;
            for (r, anchor) in places(&a, at, label) {
                let n = covered(&r);
                if best.is_none_or(|(m, _, _)| n < m) {
                    best = Some((n, r, anchor));
                }
                if n == 0 {
                    break;
                }
            }
            if let Some((_, r, anchor)) = best {
                placed.push((label.to_string(), r, anchor));
            }
        }
    }
    placed
}

/// The places a label may go around its point at `at`: the usual one first, then the
/// others that stay inside `area`.
fn places(area: &Rect, at: (f64, f64), label: &str) -> Vec<(Rect, HPos)> {
    let (w, h) = text_size(label, LABEL_SIZE);
    let (x, y) = at;
    let (dx, dy) = (LABEL_DX, LABEL_DY);
    let boxed = |x0: f64, y0: f64| Rect {
        x0,
        y0,
        x1: x0 + w,
        y1: y0 + h,
    };
    let mut out = vec![point_label_box(area, at, label)];
    let others = [
        (boxed(x - dx - w, y - dy - h), HPos::Right),
        (boxed(x + dx, y + dy), HPos::Left),
        (boxed(x - dx - w, y + dy), HPos::Right),
        (boxed(x + dx + 2.0, y - h / 2.0), HPos::Left),
        (boxed(x - dx - 2.0 - w, y - h / 2.0), HPos::Right),
        (boxed(x - w / 2.0, y - dy - 3.0 - h), HPos::Center),
        (boxed(x - w / 2.0, y + dy + 3.0), HPos::Center),
    ];
    out.extend(others.into_iter().filter(|(r, _)| {
        r.x0 >= area.x0 + 2.0
            && r.x1 <= area.x1 - 2.0
            && r.y0 >= area.y0 + 2.0
            && r.y1 <= area.y1 - 2.0
    }));
    out
}

/// Each rule's label: text, box, anchor. The usual place is at the line's end (above a
/// horizontal line at its right end, right of a vertical line at its top, several
/// vertical lines' labels in rows); where that covers something in `avoid` or another
/// rule's label, the first free of the other ends and sides.
pub(super) fn rule_labels(c: &Chart, f: &Frame, avoid: &[Rect]) -> Vec<Placed> {
    let a = f.area;
    let mut out: Vec<Placed> = Vec::new();
    let mut vertical_row = 0.0;
    for r in &c.rules {
        let text = fit_text(r.label.trim(), RULE_SIZE, (a.x1 - a.x0) * 0.6);
        if text.is_empty() {
            continue;
        }
        let (w, h) = text_size(&text, RULE_SIZE);
        let boxed = |x0: f64, y0: f64| Rect {
            x0,
            y0,
            x1: x0 + w,
            y1: y0 + h,
        };
        let places: Vec<(Rect, HPos)> = match r.orientation {
            Orientation::Horizontal => {
                let Some(y) = f.y.valid(r.value).then(|| f.py(r.value)) else {
                    continue;
                };
                if y < a.y0 || y > a.y1 {
                    continue;
                }
                let (above, below) = (y - 4.0 - h, y + 4.0);
                let (right, left) = (a.x1 - 6.0 - w, a.x0 + 6.0);
                // Above the line, at its right end; below when too close to the top.
                let first = if above < a.y0 + 2.0 { below } else { above };
                vec![
                    (boxed(right, first), HPos::Right),
                    (boxed(right, below), HPos::Right),
                    (boxed(left, above), HPos::Left),
                    (boxed(left, below), HPos::Left),
                ]
            }
            Orientation::Vertical => {
                let Some(x) = f.x.valid(r.value).then(|| f.px(r.value)) else {
                    continue;
                };
                if x < a.x0 || x > a.x1 {
                    continue;
                }
                let row = vertical_row * (h + 4.0);
                vertical_row += 1.0;
                let (top, bottom) = (a.y0 + 6.0 + row, a.y1 - 6.0 - h - row);
                let (right, left) = (
                    (boxed(x + 5.0, 0.0), HPos::Left),
                    (boxed(x - 5.0 - w, 0.0), HPos::Right),
                );
                // Right of the line; left of it when it would run out of the plot.
                let sides = if right.0.x1 > a.x1 - 2.0 {
                    [left, right]
                } else {
                    [right, left]
                };
                [top, bottom]
                    .into_iter()
                    .flat_map(|y0| sides.map(|(b, anchor)| (boxed(b.x0, y0), anchor)))
                    .collect()
            }
        };
        let inside =
            |b: &Rect| b.x0 >= a.x0 + 2.0 && b.x1 <= a.x1 - 2.0 && b.y0 >= a.y0 && b.y1 <= a.y1;
        let free = |b: &Rect| {
            !avoid.iter().any(|o| o.intersects(b)) && !out.iter().any(|(_, o, _)| o.intersects(b))
        };
        let (rect, anchor) = places
            .iter()
            .skip(1)
            .find(|(b, _)| inside(b) && free(b))
            .filter(|_| !free(&places[0].0))
            .unwrap_or(&places[0]);
        out.push((text, *rect, *anchor));
    }
    out
}
