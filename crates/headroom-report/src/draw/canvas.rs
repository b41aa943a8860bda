//! The drawing primitives on a plotters drawing area: hairlines, filled boxes, paths,
//! circles and text, with the layout's pixels scaled to the backend's (1 for SVG, 2 for
//! the supersampled PNG), and the colours of the chart's furniture.

use plotters::coord::Shift;
use plotters::element::{DashedPathElement, Drawable, PointCollection};
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::font::FONT;
use super::layout::Rect;
use super::{DrawError, draw_err};

pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(super) const TICK_INK: RGBColor = RGBColor(0x44, 0x44, 0x44);
pub(super) const AXIS_LINE: RGBColor = RGBColor(0x66, 0x66, 0x66);
pub(super) const GRID: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);
pub(super) const GRID_MINOR: RGBColor = RGBColor(0xef, 0xef, 0xef);
pub(super) const RULE: RGBColor = RGBColor(0x40, 0x40, 0x40);
pub(super) const NOTE: RGBColor = RGBColor(0x88, 0x88, 0x88);

/// `#rrggbb` → colour (black for anything else; the palette is all `#rrggbb`).
pub(super) fn hex(s: &str) -> RGBColor {
    let b = s.as_bytes();
    let byte = |i: usize| {
        std::str::from_utf8(b.get(i..i + 2).unwrap_or(b"00"))
            .ok()
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0)
    };
    if b.len() == 7 && b[0] == b'#' {
        RGBColor(byte(1), byte(3), byte(5))
    } else {
        BLACK
    }
}

/// The drawing area with the layout's pixels scaled by `s` (1 for SVG, 2 for PNG).
pub(super) struct Canvas<'a, DB: DrawingBackend> {
    pub(super) root: &'a DrawingArea<DB, Shift>,
    pub(super) s: f64,
    /// Whether a rectangle's bottom-right corner is inside it (the bitmap backend) or
    /// just outside (SVG).
    pub(super) inclusive: bool,
}

impl<DB: DrawingBackend> Canvas<'_, DB> {
    pub(super) fn p(&self, (x, y): (f64, f64)) -> (i32, i32) {
        ((x * self.s).round() as i32, (y * self.s).round() as i32)
    }

    /// A hairline position: the middle of a pixel, so that a 1-pixel line is crisp.
    pub(super) fn crisp(v: f64) -> f64 {
        v.floor() + 0.5
    }

    pub(super) fn stroke(&self, color: &impl Color, width: f64) -> ShapeStyle {
        color.stroke_width((width * self.s).round().max(1.0) as u32)
    }

    pub(super) fn draw<E>(&self, e: &E) -> Result<(), DrawError>
    where
        for<'b> &'b E: PointCollection<'b, (i32, i32)>,
        E: Drawable<DB>,
    {
        self.root.draw(e).map_err(draw_err)
    }

    /// A polyline, solid or with `(dash, gap)`.
    pub(super) fn path(
        &self,
        pts: &[(f64, f64)],
        style: ShapeStyle,
        dash: Option<(f64, f64)>,
    ) -> Result<(), DrawError> {
        let mut px: Vec<(i32, i32)> = Vec::with_capacity(pts.len());
        for &p in pts {
            let q = self.p(p);
            if px.last() != Some(&q) {
                px.push(q);
            }
        }
        if px.len() < 2 {
            return Ok(());
        }
        match dash {
            None => self.draw(&PathElement::new(px, style)),
            Some((d, g)) => {
                let (d, g) = ((d * self.s).round() as i32, (g * self.s).round() as i32);
                self.draw(&DashedPathElement::new(px, d, g, style))
            }
        }
    }

    /// A 1-pixel line (grid, axes, ticks), horizontal or vertical.
    pub(super) fn hairline(
        &self,
        a: (f64, f64),
        b: (f64, f64),
        color: &RGBColor,
    ) -> Result<(), DrawError> {
        let (a, b) = if a.0 == b.0 {
            ((Self::crisp(a.0), a.1), (Self::crisp(b.0), b.1))
        } else {
            ((a.0, Self::crisp(a.1)), (b.0, Self::crisp(b.1)))
        };
        // A filled 1-pixel-wide box: exact at any scale.
        let r = Rect {
            x0: a.0.min(b.0) - 0.5,
            y0: a.1.min(b.1) - 0.5,
            x1: a.0.max(b.0) + 0.5,
            y1: a.1.max(b.1) + 0.5,
        };
        self.fill(r, color.filled())
    }

    /// A filled box covering exactly `r` (edges rounded to pixels).
    pub(super) fn fill(&self, r: Rect, style: ShapeStyle) -> Result<(), DrawError> {
        let (x0, y0) = self.p((r.x0, r.y0));
        let (x1, y1) = self.p((r.x1, r.y1));
        if x1 <= x0 || y1 <= y0 {
            return Ok(());
        }
        let end = if self.inclusive {
            (x1 - 1, y1 - 1)
        } else {
            (x1, y1)
        };
        self.draw(&Rectangle::new([(x0, y0), end], style))
    }

    pub(super) fn circle(
        &self,
        at: (f64, f64),
        r: f64,
        style: ShapeStyle,
    ) -> Result<(), DrawError> {
        let r = (r * self.s).round().max(1.0) as u32;
        self.draw(&Circle::new(self.p(at), r, style))
    }

    pub(super) fn text(
        &self,
        text: &str,
        at: (f64, f64),
        size: f64,
        color: &RGBColor,
        (h, v): (HPos, VPos),
    ) -> Result<(), DrawError> {
        let style = (FONT, size * self.s)
            .into_font()
            .color(color)
            .pos(Pos::new(h, v));
        self.root
            .draw_text(text, &style, self.p(at))
            .map_err(draw_err)
    }

    pub(super) fn text_up(
        &self,
        text: &str,
        at: (f64, f64),
        size: f64,
        color: &RGBColor,
    ) -> Result<(), DrawError> {
        let style = (FONT, size * self.s)
            .into_font()
            .color(color)
            .pos(Pos::new(HPos::Center, VPos::Center))
            .transform(FontTransform::Rotate270);
        self.root
            .draw_text(text, &style, self.p(at))
            .map_err(draw_err)
    }
}
