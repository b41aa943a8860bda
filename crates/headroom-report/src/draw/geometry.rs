//! Where series go in pixels: lines and staircases as connected pieces clipped to the
//! plot area, bars, and error bars.

use super::layout::{Frame, Rect};
use crate::chart::{Mark, Series};

/// The pixel points of a line or staircase, `None` where a point cannot be placed (the
/// line breaks there).
pub(super) fn path_points(f: &Frame, s: &Series) -> Vec<Option<(f64, f64)>> {
    let mut out = Vec::with_capacity(s.points.len() * 2);
    let mut prev: Option<(f64, f64)> = None;
    for p in &s.points {
        let at = f.at(p.x, p.y);
        if s.mark == Mark::Step
            && let (Some((_, py)), Some((x, _))) = (prev, at)
        {
            out.push(Some((x, py)));
        }
        out.push(at);
        prev = at;
    }
    out
}

/// Liang–Barsky: the part of segment a→b inside `r`.
pub(super) fn clip(r: &Rect, a: (f64, f64), b: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r.x0),
        (dx, r.x1 - a.0),
        (-dy, a.1 - r.y0),
        (dy, r.y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then_some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// Connected pieces of the path inside the plot area.
pub(super) fn polylines(f: &Frame, pts: &[Option<(f64, f64)>]) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut open = false;
    for w in pts.windows(2) {
        let (Some(a), Some(b)) = (w[0], w[1]) else {
            open = false;
            continue;
        };
        match clip(&f.area, a, b) {
            Some((ca, cb)) => {
                let continues = open && ca == a;
                match out.last_mut() {
                    Some(line) if continues => line.push(cb),
                    _ => out.push(vec![ca, cb]),
                }
                open = cb == b;
            }
            None => open = false,
        }
    }
    out
}

/// The bar of a point, clipped to the plot area.
pub(super) fn bar_rect(f: &Frame, x: f64, y: f64, width: f64) -> Option<Rect> {
    if !(width.is_finite() && width > 0.0 && x.is_finite() && f.y.valid(y)) {
        return None;
    }
    let a = f.area;
    let x0 = x - width / 2.0;
    let x1 = x + width / 2.0;
    let px0 = if f.x.valid(x0) { f.px(x0) } else { a.x0 };
    let px1 = if f.x.valid(x1) { f.px(x1) } else { return None };
    let base = if f.y.log {
        f.y.lo
    } else {
        0f64.clamp(f.y.lo, f.y.hi)
    };
    let (py0, py1) = (f.py(y), f.py(base));
    let r = Rect {
        x0: px0.min(px1).max(a.x0),
        x1: px0.max(px1).min(a.x1),
        y0: py0.min(py1).max(a.y0),
        y1: py0.max(py1).min(a.y1),
    };
    (r.x1 > r.x0 && r.y1 >= r.y0).then_some(r)
}

/// An error bar's x pixel and its two ends' y pixels, clipped to the plot area.
pub(super) fn error_bar(
    f: &Frame,
    x: f64,
    lo: Option<f64>,
    hi: Option<f64>,
) -> Option<(f64, f64, f64)> {
    let (lo, hi) = (lo.filter(|&v| f.y.valid(v)), hi.filter(|&v| f.y.valid(v)));
    if lo.is_none() && hi.is_none() || !f.x.valid(x) {
        return None;
    }
    let px = f.px(x);
    if px < f.area.x0 || px > f.area.x1 {
        return None;
    }
    let a = f.area;
    let ylo = lo.map(|v| f.py(v).clamp(a.y0, a.y1));
    let yhi = hi.map(|v| f.py(v).clamp(a.y0, a.y1));
    Some((
        px,
        ylo.unwrap_or_else(|| yhi.unwrap_or(a.y1)),
        yhi.unwrap_or_else(|| ylo.unwrap_or(a.y0)),
    ))
}
