//! The PNG side: a bitmap backend that draws text glyph by glyph like the SVG places it,
//! and the downsampling of the supersampled image.

use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

use ab_glyph::Font;

use super::font::{em, face, layout_glyphs};

/// The bitmap backend with its own text drawing: plotters' ab_glyph text drops glyphs'
/// side bearings (uneven letter spacing) and sits dots at mid-height. Glyphs here are
/// placed like the SVG's text: the same em (size / 1.24) and baseline for each anchor.
pub(super) struct Raster<'a> {
    pub(super) inner: BitMapBackend<'a>,
}

pub(super) type RasterError<'a> = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

impl<'a> DrawingBackend for Raster<'a> {
    type ErrorType = RasterError<'a>;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let Some(font) = face() else {
            return self.inner.draw_text(text, style, pos);
        };
        let em = em(style.size()) as f32;
        let (glyphs, width) = layout_glyphs(font, text, em);
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        // As the SVG backend: dy of 0.76em, 0.5ex or -0.5ex (ex ≈ 0.53em).
        let dy = match anchor.v_pos {
            VPos::Top => 0.76 * em,
            VPos::Center => 0.265 * em,
            VPos::Bottom => -0.265 * em,
        };
        let trans = style.transform();
        let mut failed = None;
        for mut g in glyphs {
            g.position.x += dx;
            g.position.y += dy;
            let Some(outline) = font.outline_glyph(g) else {
                continue;
            };
            let b = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                if failed.is_some() || coverage <= 0.0 {
                    return;
                }
                let lx = (b.min.x + gx as f32) as i32;
                let ly = (b.min.y + gy as f32) as i32;
                let (x, y) = match trans {
                    FontTransform::Rotate90 => (-ly, lx),
                    FontTransform::Rotate180 => (-lx, -ly),
                    FontTransform::Rotate270 => (ly, -lx),
                    _ => (lx, ly),
                };
                let c = BackendColor {
                    alpha: color.alpha * f64::from(coverage.min(1.0)),
                    rgb: color.rgb,
                };
                if let Err(e) = self.inner.draw_pixel((pos.0 + x, pos.1 + y), c) {
                    failed = Some(e);
                }
            });
            if let Some(e) = failed {
                return Err(e);
            }
        }
        Ok(())
    }
}

/// Averages `k`×`k` blocks of an RGB image `w` × `h`.
pub(super) fn downsample(src: &[u8], w: usize, h: usize, k: usize) -> Vec<u8> {
    let (ow, oh) = (w / k, h / k);
    let mut out = vec![0u8; ow * oh * 3];
    let n = (k * k) as u32;
    for oy in 0..oh {
        for ox in 0..ow {
            let mut acc = [0u32; 3];
            for dy in 0..k {
                let row = ((oy * k + dy) * w + ox * k) * 3;
                for px in src[row..row + k * 3].chunks_exact(3) {
                    acc[0] += u32::from(px[0]);
                    acc[1] += u32::from(px[1]);
                    acc[2] += u32::from(px[2]);
                }
            }
            let o = (oy * ow + ox) * 3;
            for i in 0..3 {
                out[o + i] = ((acc[i] + n / 2) / n) as u8;
            }
        }
    }
    out
}
