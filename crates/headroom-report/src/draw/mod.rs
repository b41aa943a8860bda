//! Drawing a [`Chart`] as SVG ([`svg()`]) or PNG ([`png()`]).
//!
//! Both go through one drawing routine on a plotters backend, so the two files show the
//! same picture. The layout (axis ranges, ticks, where the legend goes) is computed here
//! in pixels and plotters draws the lines, shapes and text. Text is measured with the
//! bundled DejaVu Sans (`assets/DejaVuSans.ttf`), which also draws the PNG's text; the
//! SVG names the generic `sans-serif` family and embeds no font. PNGs are drawn at twice
//! the size and scaled down, which smooths lines and text.
//!
//! What is drawn:
//! - the title on top, both axis titles, ticks with readable labels (`0.25`, `1,200`,
//!   `15k`), logarithmic axes where [`ChartAxis::log`](crate::chart::ChartAxis::log) is
//!   set;
//! - each series by its [`Mark`](crate::chart::Mark); points with a
//!   [`PointStatus`](crate::chart::PointStatus) filled in its colour, error bars where a
//!   point has `lo`/`hi`, point labels above right of the point;
//! - rules as dashed dark grey lines, labelled inside the plot near the line's end;
//! - a legend (named series, then the statuses present) in a corner of the plot that no
//!   data cross, or to the right of the plot when there is none.
//!
//! Non-finite values, and values ≤ 0 on a logarithmic axis, are skipped; a chart with
//! nothing to plot gets its axes and a "no data" note.
//!
//! The parts, in the order a chart goes through them:
//! - `font`: the bundled font, text sizes, measuring and shortening text;
//! - `scale`: axis ranges from the data, ticks and their labels;
//! - `layout`: the plot area, the legend's corner, where point and rule labels go
//!   (with `legend` and `labels`), all in pixels; `geometry` places series in them;
//! - `canvas` and `picture`: the drawing itself, on any plotters backend;
//! - `raster`: the PNG backend (its own text drawing) and the downsampling.

mod canvas;
mod font;
mod geometry;
mod labels;
mod layout;
mod legend;
mod picture;
mod raster;
mod scale;
#[cfg(test)]
mod tests;

use plotters::prelude::*;

use crate::chart::Chart;
use canvas::Canvas;
use raster::{Raster, downsample};

/// Width of every chart, in pixels (the SVG's user units).
pub const WIDTH: u32 = 960;
/// Height of every chart, in pixels (the SVG's user units).
pub const HEIGHT: u32 = 540;

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum DrawError {
    /// The bundled font could not be parsed (a broken build).
    #[error("the bundled font (DejaVu Sans) could not be loaded")]
    Font,
    /// The drawing backend failed.
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    /// PNG encoding failed.
    #[error("encoding the PNG failed: {0}")]
    Encode(String),
}

/// Draws the chart as a standalone SVG document, [`WIDTH`] × [`HEIGHT`] with a `viewBox`
/// (so that it scales when inlined in HTML with CSS `width: 100%; height: auto`).
/// The same chart always gives the same string.
pub fn svg(chart: &Chart) -> Result<String, DrawError> {
    font::ensure_font()?;
    let mut out = String::with_capacity(32 * 1024);
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        let canvas = Canvas {
            root: &root,
            s: 1.0,
            inclusive: false,
        };
        picture::render(&canvas, chart)?;
        root.present().map_err(draw_err)?;
    }
    Ok(out)
}

/// How much larger PNGs are drawn before being scaled down to [`WIDTH`] × [`HEIGHT`].
const SUPERSAMPLE: u32 = 2;

/// Draws the chart as a PNG image (RGB), [`WIDTH`] × [`HEIGHT`] pixels.
pub fn png(chart: &Chart) -> Result<Vec<u8>, DrawError> {
    font::ensure_font()?;
    let (w, h) = (WIDTH * SUPERSAMPLE, HEIGHT * SUPERSAMPLE);
    let mut big = vec![255u8; (w * h * 3) as usize];
    {
        let root = Raster {
            inner: BitMapBackend::with_buffer(&mut big, (w, h)),
        }
        .into_drawing_area();
        let canvas = Canvas {
            root: &root,
            s: f64::from(SUPERSAMPLE),
            inclusive: true,
        };
        picture::render(&canvas, chart)?;
        root.present().map_err(draw_err)?;
    }
    let rgb = downsample(&big, w as usize, h as usize, SUPERSAMPLE as usize);
    let mut out = Vec::with_capacity(64 * 1024);
    let enc_err = |e: png::EncodingError| DrawError::Encode(e.to_string());
    {
        let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Default);
        let mut writer = enc.write_header().map_err(enc_err)?;
        writer.write_image_data(&rgb).map_err(enc_err)?;
        writer.finish().map_err(enc_err)?;
    }
    Ok(out)
}

fn draw_err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> DrawError {
    DrawError::Draw(e.to_string())
}
