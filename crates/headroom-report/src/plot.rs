//! Drawing a [`Chart`] as SVG ([`svg`]) or PNG ([`png`]).
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
//!   `15k`), logarithmic axes where [`Axis::log`](crate::chart::Axis::log) is set;
//! - each series by its [`Mark`]; points with a [`Status`] filled in its colour, error bars
//!   where a point has `lo`/`hi`, point labels above right of the point;
//! - rules as dashed dark grey lines, labelled inside the plot near the line's end;
//! - a legend (named series, then the statuses present) in a corner of the plot that no
//!   data cross, or to the right of the plot when there is none.
//!
//! Non-finite values, and values ≤ 0 on a logarithmic axis, are skipped; a chart with
//! nothing to plot gets its axes and a "no data" note.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use plotters::coord::Shift;
use plotters::element::{DashedPathElement, Drawable, PointCollection};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, FontTransform};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

use crate::chart::{self, Chart, Mark, Orientation, Series, Status};
use crate::num::fmt_thousands;

/// Width of every chart, in pixels (the SVG's user units).
pub const WIDTH: u32 = 960;
/// Height of every chart, in pixels (the SVG's user units).
pub const HEIGHT: u32 = 540;

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
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
pub fn svg(c: &Chart) -> Result<String, PlotError> {
    ensure_font()?;
    let mut out = String::with_capacity(32 * 1024);
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        let canvas = Canvas {
            root: &root,
            s: 1.0,
            inclusive: false,
        };
        render(&canvas, c)?;
        root.present().map_err(draw_err)?;
    }
    Ok(out)
}

/// How much larger PNGs are drawn before being scaled down to [`WIDTH`] × [`HEIGHT`].
const SUPERSAMPLE: u32 = 2;

/// Draws the chart as a PNG image (RGB), [`WIDTH`] × [`HEIGHT`] pixels.
pub fn png(c: &Chart) -> Result<Vec<u8>, PlotError> {
    ensure_font()?;
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
        render(&canvas, c)?;
        root.present().map_err(draw_err)?;
    }
    let rgb = downsample(&big, w as usize, h as usize, SUPERSAMPLE as usize);
    let mut out = Vec::with_capacity(64 * 1024);
    let enc_err = |e: png::EncodingError| PlotError::Encode(e.to_string());
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

/// Averages `k`×`k` blocks of an RGB image `w` × `h`.
fn downsample(src: &[u8], w: usize, h: usize, k: usize) -> Vec<u8> {
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

// ---------------------------------------------------------------------------------------
// Font, colours, text sizes

/// The family the text is drawn in: registered with the bundled font in plotters, and
/// named as is in SVGs (the browser's default sans-serif).
const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The bundled font, parsed once.
fn face() -> Option<&'static FontRef<'static>> {
    static FACE: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FACE.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok())
        .as_ref()
}

fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok && face().is_some() {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

fn draw_err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> PlotError {
    PlotError::Draw(e.to_string())
}

// Text sizes in plotters' units: the em is this / 1.24 pixels (SVG font-size).
const TITLE_SIZE: f64 = 23.0;
const AXIS_SIZE: f64 = 18.0;
const TICK_SIZE: f64 = 16.0;
const LEGEND_SIZE: f64 = 16.0;
const LABEL_SIZE: f64 = 14.0;
const NOTE_SIZE: f64 = 22.0;
const RULE_SIZE: f64 = 15.0;
/// A point label's offset right of and above its point.
const LABEL_DX: f64 = 7.0;
const LABEL_DY: f64 = 5.0;

/// The em of a plotters text size, as plotters' SVG backend writes it.
fn em(size: f64) -> f64 {
    size / 1.24
}

/// ab_glyph's scale (ascent to descent) for an em of `em` pixels.
fn px_scale(font: &FontRef<'_>, em: f32) -> PxScale {
    PxScale::from(em * font.height_unscaled() / font.units_per_em().unwrap_or(2048.0))
}

const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const TICK_INK: RGBColor = RGBColor(0x44, 0x44, 0x44);
const AXIS_LINE: RGBColor = RGBColor(0x66, 0x66, 0x66);
const GRID: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);
const GRID_MINOR: RGBColor = RGBColor(0xef, 0xef, 0xef);
const RULE: RGBColor = RGBColor(0x40, 0x40, 0x40);
const NOTE: RGBColor = RGBColor(0x88, 0x88, 0x88);

/// `#rrggbb` → colour (black for anything else; the palette is all `#rrggbb`).
fn hex(s: &str) -> RGBColor {
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

/// Glyphs of `text` laid out on a baseline at y = 0 from x = 0, and the advance width.
fn layout_glyphs(font: &FontRef<'_>, text: &str, em: f32) -> (Vec<ab_glyph::Glyph>, f32) {
    let scale = px_scale(font, em);
    let sf = font.as_scaled(scale);
    let mut glyphs = Vec::with_capacity(text.len());
    let mut caret = 0f32;
    let mut prev = None;
    for ch in text.chars() {
        let id = sf.glyph_id(ch);
        if let Some(p) = prev {
            caret += sf.kern(p, id);
        }
        glyphs.push(id.with_scale_and_position(scale, ab_glyph::point(caret, 0.0)));
        caret += sf.h_advance(id);
        prev = Some(id);
    }
    (glyphs, caret)
}

/// Width and height (the em) of `text` in pixels at `size`, in the bundled font (a
/// browser's sans-serif is usually narrower, so SVG text fits too).
fn text_size(text: &str, size: f64) -> (f64, f64) {
    let em = em(size);
    match face() {
        Some(f) => (f64::from(layout_glyphs(f, text, em as f32).1), em),
        None => (text.chars().count() as f64 * em * 0.6, em),
    }
}

/// `text` shortened with `…` to at most `max_w` pixels at `size`.
fn fit_text(text: &str, size: f64, max_w: f64) -> String {
    if text_size(text, size).0 <= max_w {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut lo, mut hi) = (0usize, chars.len());
    // Longest prefix that fits with the ellipsis.
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let s: String = chars[..mid].iter().chain(std::iter::once(&'…')).collect();
        if text_size(&s, size).0 <= max_w {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut s: String = chars[..lo]
        .iter()
        .collect::<String>()
        .trim_end()
        .to_string();
    s.push('…');
    s
}

// ---------------------------------------------------------------------------------------
// Scales and ticks

/// The range of one axis.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Scale {
    /// Whether `v` can be placed on this axis.
    fn valid(&self, v: f64) -> bool {
        v.is_finite() && (!self.log || v > 0.0)
    }

    /// Position of `v` from 0 (lo) to 1 (hi); values beyond the range go beyond.
    fn frac(&self, v: f64) -> f64 {
        if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    /// The range for `axis` fitting `values`, with `pad` of the span added at each end
    /// that is not fixed (and not the 0 of a linear axis whose data are all ≥ 0).
    fn fit(axis: &chart::Axis, values: &[f64], pad: f64) -> Scale {
        let log = axis.log;
        let ok = |v: f64| v.is_finite() && (!log || v > 0.0);
        let (dmin, dmax) = values
            .iter()
            .copied()
            .filter(|&v| ok(v))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        let fixed_lo = axis.min.filter(|&v| ok(v));
        let fixed_hi = axis.max.filter(|&v| ok(v));
        let has_data = dmin <= dmax;
        if log {
            let (mut l0, mut l1) = if has_data {
                (dmin.log10(), dmax.log10())
            } else {
                (0.0, 1.0)
            };
            let span = l1 - l0;
            if span < 1e-9 {
                l0 -= 0.5;
                l1 += 0.5;
            } else {
                l0 -= pad * span;
                l1 += pad * span;
            }
            let mut lo = fixed_lo.unwrap_or(10f64.powf(l0));
            let mut hi = fixed_hi.unwrap_or(10f64.powf(l1));
            if hi <= lo {
                match (fixed_lo.is_some(), fixed_hi.is_some()) {
                    (true, false) => hi = lo * 10.0,
                    (false, true) => lo = hi / 10.0,
                    _ => hi = lo * 10.0,
                }
            }
            Scale { lo, hi, log }
        } else {
            let (dmin, dmax) = if has_data { (dmin, dmax) } else { (0.0, 1.0) };
            let zero_based = dmin >= 0.0;
            let lo0 = fixed_lo.unwrap_or(if zero_based { 0.0 } else { dmin });
            let hi0 = fixed_hi.unwrap_or(dmax);
            let span = hi0 - lo0;
            let mut lo = match fixed_lo {
                Some(v) => v,
                None if zero_based => 0.0,
                None => lo0 - pad * span,
            };
            let mut hi = fixed_hi.unwrap_or(hi0 + pad * span);
            if hi <= lo {
                let d = if lo.abs() > 0.0 { lo.abs() * 0.1 } else { 1.0 };
                match (fixed_lo.is_some() || zero_based, fixed_hi.is_some()) {
                    (_, false) => hi = lo + d,
                    (false, true) => lo = hi - d,
                    (true, true) => hi = lo + d,
                }
            }
            Scale { lo, hi, log }
        }
    }

    /// Major ticks (about `target` of them) and minor grid values.
    fn ticks(&self, target: usize) -> (Vec<f64>, Vec<f64>) {
        if self.log {
            log_ticks(self.lo, self.hi, target)
        } else {
            (linear_ticks(self.lo, self.hi, target), Vec::new())
        }
    }
}

/// 1, 2, 2.5 or 5 × 10ⁿ, the first ≥ `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let n = raw / mag;
    let m = if n <= 1.0 + 1e-9 {
        1.0
    } else if n <= 2.0 + 1e-9 {
        2.0
    } else if n <= 2.5 + 1e-9 {
        2.5
    } else if n <= 5.0 + 1e-9 {
        5.0
    } else {
        10.0
    };
    m * mag
}

fn linear_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let step = nice_step((hi - lo) / target.max(1) as f64);
    let first = (lo / step - 1e-9).ceil();
    let mut out = Vec::new();
    for i in 0..1000 {
        let mut v = (first + f64::from(i)) * step;
        if v > hi + step * 1e-9 {
            break;
        }
        if v.abs() < step * 1e-9 {
            v = 0.0;
        }
        out.push(v);
    }
    out
}

fn log_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, Vec<f64>) {
    let d0 = lo.log10().floor() as i32;
    let d1 = hi.log10().ceil() as i32;
    let inside = |v: f64| v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9);
    let with = |ms: &[f64]| -> Vec<f64> {
        (d0..=d1)
            .flat_map(|d| ms.iter().map(move |m| m * 10f64.powi(d)))
            .filter(|&v| inside(v))
            .collect()
    };
    let all: Vec<f64> = with(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    let decades = with(&[1.0]);
    let one_two_five = with(&[1.0, 2.0, 5.0]);
    if decades.len() >= 2 {
        if one_two_five.len() <= target {
            let minor = all
                .into_iter()
                .filter(|v| !one_two_five.contains(v))
                .collect();
            return (one_two_five, minor);
        }
        let k = decades.len().div_ceil(target.max(1));
        let major: Vec<f64> = decades.iter().copied().step_by(k.max(1)).collect();
        let minor = if k == 1 {
            all.into_iter().filter(|v| !major.contains(v)).collect()
        } else {
            decades.into_iter().filter(|v| !major.contains(v)).collect()
        };
        return (major, minor);
    }
    if one_two_five.len() >= 3 {
        let minor = all
            .into_iter()
            .filter(|v| !one_two_five.contains(v))
            .collect();
        return (one_two_five, minor);
    }
    // Less than a factor of ~5: plain ticks, placed logarithmically.
    (linear_ticks(lo, hi, target.min(6)), Vec::new())
}

/// The fewest decimals (≤ 9) that show `v` exactly enough.
fn decimals_for(v: f64) -> usize {
    let v = v.abs();
    for d in 0..=9 {
        let s = v * 10f64.powi(d);
        if (s - s.round()).abs() < 1e-6 * s.max(1.0) {
            return d as usize;
        }
    }
    9
}

/// The suffix for numbers as large as `v`: `G`, `M`, `k` (from `k_from`) or none.
fn unit_of(v: f64, k_from: f64) -> (f64, &'static str) {
    let v = v.abs();
    if v >= 1e9 {
        (1e9, "G")
    } else if v >= 1e6 {
        (1e6, "M")
    } else if v >= k_from {
        (1e3, "k")
    } else {
        (1.0, "")
    }
}

/// Tick labels: on a linear axis with one number format for all (decimals from the step,
/// a `k`/`M`/`G` suffix from the largest, `k` from 10,000 on so that `1,200` stays
/// exact); on a log axis each tick on its own (`500`, `1k`, `2k`).
fn tick_labels(ticks: &[f64], log: bool) -> Vec<String> {
    if log {
        return ticks
            .iter()
            .map(|&v| {
                let (div, suffix) = unit_of(v, 1e3);
                let d = decimals_for(v / div).min(6);
                format!("{}{suffix}", fmt_thousands(v / div, d))
            })
            .collect();
    }
    let biggest = ticks.iter().fold(0f64, |m, v| m.max(v.abs()));
    let (div, suffix) = unit_of(biggest, 1e4);
    let step = ticks
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(f64::INFINITY, f64::min);
    let step = if step.is_finite() {
        step
    } else {
        ticks.first().copied().unwrap_or(1.0)
    };
    let d = decimals_for(step / div)
        .max(decimals_for(ticks.first().copied().unwrap_or(0.0) / div))
        .min(9);
    ticks
        .iter()
        .map(|&v| {
            if v == 0.0 {
                "0".to_string()
            } else {
                format!("{}{suffix}", fmt_thousands(v / div, d))
            }
        })
        .collect()
}

/// A labelled tick.
#[derive(Debug, Clone)]
struct Tick {
    /// Pixel position along its axis.
    pos: f64,
    label: String,
    /// The label's size along the axis, in pixels.
    extent: f64,
}

/// Keeps every k-th tick, with the smallest k for which neighbouring labels leave `gap`
/// pixels between them.
fn thin(ticks: Vec<Tick>, gap: f64) -> Vec<Tick> {
    for k in 1..=ticks.len().max(1) {
        let kept: Vec<&Tick> = ticks.iter().step_by(k).collect();
        let fits = kept
            .windows(2)
            .all(|w| (w[1].pos - w[0].pos).abs() >= (w[0].extent + w[1].extent) / 2.0 + gap);
        if fits {
            return ticks.into_iter().step_by(k).collect();
        }
    }
    ticks.into_iter().take(1).collect()
}

// ---------------------------------------------------------------------------------------
// Layout

/// An axis-aligned box in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn intersects(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
    fn contains(&self, (x, y): (f64, f64)) -> bool {
        x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1
    }
    fn around((x, y): (f64, f64), r: f64) -> Rect {
        Rect {
            x0: x - r,
            y0: y - r,
            x1: x + r,
            y1: y + r,
        }
    }
}

/// The plot area and the scales that map into it.
#[derive(Debug, Clone, Copy)]
struct Frame {
    area: Rect,
    x: Scale,
    y: Scale,
}

impl Frame {
    fn px(&self, v: f64) -> f64 {
        self.area.x0 + self.x.frac(v) * (self.area.x1 - self.area.x0)
    }
    fn py(&self, v: f64) -> f64 {
        self.area.y1 - self.y.frac(v) * (self.area.y1 - self.area.y0)
    }
    /// Pixel position of a data point, if both values can be placed.
    fn at(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        (self.x.valid(x) && self.y.valid(y)).then(|| (self.px(x), self.py(y)))
    }
}

/// What a legend entry's swatch shows.
#[derive(Debug, Clone, Copy)]
enum Swatch {
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
struct Entry {
    swatch: Swatch,
    color: RGBColor,
    text: String,
}

const LEGEND_ROW: f64 = 21.0;
const LEGEND_PAD: f64 = 8.0;
const SWATCH_W: f64 = 30.0;
const LEGEND_MAX_W: f64 = 260.0;
/// Rows that fit beside the plot; more entries end with "and N more".
const LEGEND_MAX_ROWS: usize = 20;

fn legend_entries(c: &Chart) -> Vec<Entry> {
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
        out.push(Entry {
            swatch,
            color: hex(chart::color(s.color)),
            text: s.name.clone(),
        });
    }
    for (status, text) in [
        (Status::Pass, "PASS"),
        (Status::Marginal, "MARGINAL"),
        (Status::Fail, "FAIL"),
    ] {
        let present = c
            .series
            .iter()
            .flat_map(|s| &s.points)
            .any(|p| p.status == Some(status));
        if present {
            out.push(Entry {
                swatch: Swatch::Dot { ring: false },
                color: hex(chart::status_color(status)),
                text: text.to_string(),
            });
        }
    }
    if out.len() > LEGEND_MAX_ROWS {
        let more = out.len() - (LEGEND_MAX_ROWS - 1);
        out.truncate(LEGEND_MAX_ROWS - 1);
        out.push(Entry {
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

fn legend_size(entries: &[Entry]) -> (f64, f64) {
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
enum LegendAt {
    /// Inside the plot, over a corner free of data.
    Inside(Rect),
    /// To the right of the plot.
    Outside(Rect),
}

struct Axes {
    x: Vec<Tick>,
    y: Vec<Tick>,
    x_minor: Vec<f64>,
    y_minor: Vec<f64>,
}

/// The whole layout of one chart.
struct Layout {
    frame: Frame,
    axes: Axes,
    legend: Option<(LegendAt, Vec<Entry>)>,
    title: String,
    x_title: String,
    y_title: String,
}

const W: f64 = WIDTH as f64;
const H: f64 = HEIGHT as f64;
const TICK_LEN: f64 = 5.0;

fn layout(c: &Chart) -> Layout {
    // Ranges from the data and the rules.
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for s in &c.series {
        for p in &s.points {
            let ok_x = p.x.is_finite() && (!c.x.log || p.x > 0.0);
            let ok_y = p.y.is_finite() && (!c.y.log || p.y > 0.0);
            if !(ok_x && ok_y) {
                continue;
            }
            xs.push(p.x);
            ys.push(p.y);
            ys.extend(p.lo.iter().chain(p.hi.iter()).copied());
            if let Mark::Bars { width } = s.mark
                && width.is_finite()
                && width > 0.0
            {
                xs.push(p.x - width / 2.0);
                xs.push(p.x + width / 2.0);
                if !c.y.log {
                    ys.push(0.0);
                }
            }
        }
    }
    for r in &c.rules {
        match r.orientation {
            Orientation::Horizontal => ys.push(r.value),
            Orientation::Vertical => xs.push(r.value),
        }
    }
    let xs_scale = Scale::fit(&c.x, &xs, 0.03);
    let ys_scale = Scale::fit(&c.y, &ys, 0.05);

    let title = fit_text(c.title.trim(), TITLE_SIZE, W - 24.0);
    let top = if title.is_empty() { 18.0 } else { 48.0 };
    let bottom = H - 64.0;

    // y ticks first: their labels set the left margin.
    let (y_major, y_minor) = ys_scale.ticks(((bottom - top) / 55.0).round().max(2.0) as usize);
    let y_frame = Frame {
        area: Rect {
            x0: 0.0,
            y0: top,
            x1: 1.0,
            y1: bottom,
        },
        x: xs_scale,
        y: ys_scale,
    };
    let y_labels = tick_labels(&y_major, ys_scale.log);
    let y_ticks: Vec<Tick> = y_major
        .iter()
        .zip(y_labels)
        .map(|(&v, l)| {
            let h = text_size(&l, TICK_SIZE).1;
            Tick {
                pos: y_frame.py(v),
                label: l,
                extent: h,
            }
        })
        .collect();
    let y_ticks = thin(y_ticks, 8.0);
    let y_label_w = y_ticks
        .iter()
        .map(|t| text_size(&t.label, TICK_SIZE).0)
        .fold(0.0, f64::max);
    let y_title_h = text_size("Ag", AXIS_SIZE).1;
    let left = (10.0 + y_title_h + 12.0 + y_label_w + TICK_LEN + 4.0).round();

    let entries = legend_entries(c);
    let (lw, lh) = legend_size(&entries);

    let make = |right: f64| -> (Frame, Vec<Tick>, Vec<f64>) {
        let frame = Frame {
            area: Rect {
                x0: left,
                y0: top,
                x1: right,
                y1: bottom,
            },
            x: xs_scale,
            y: ys_scale,
        };
        let (x_major, x_minor) = xs_scale.ticks(((right - left) / 90.0).round().max(2.0) as usize);
        let x_labels = tick_labels(&x_major, xs_scale.log);
        let x_ticks = x_major
            .iter()
            .zip(x_labels)
            .map(|(&v, l)| {
                let w = text_size(&l, TICK_SIZE).0;
                Tick {
                    pos: frame.px(v),
                    label: l,
                    extent: w,
                }
            })
            .collect();
        (frame, thin(x_ticks, 14.0), x_minor)
    };

    let right_inside = (W - 24.0).round();
    let (frame, x_ticks, x_minor) = make(right_inside);
    let x_title = fit_text(c.x.label.trim(), AXIS_SIZE, W - 40.0);
    let y_title = fit_text(c.y.label.trim(), AXIS_SIZE, bottom - top);

    let mut out = Layout {
        frame,
        axes: Axes {
            x: x_ticks,
            y: y_ticks,
            x_minor,
            y_minor,
        },
        legend: None,
        title,
        x_title,
        y_title,
    };
    if entries.is_empty() {
        return out;
    }
    // The emptiest corner inside; to the right of the plot when none is empty.
    let obstacles = obstacles(c, &out.frame);
    let a = out.frame.area;
    let inset = 10.0;
    let corners = [
        (a.x1 - inset - lw, a.y0 + inset),
        (a.x0 + inset, a.y0 + inset),
        (a.x1 - inset - lw, a.y1 - inset - lh),
        (a.x0 + inset, a.y1 - inset - lh),
    ];
    let fits_inside = lw + 2.0 * inset < (a.x1 - a.x0) / 2.0 && lh + 2.0 * inset < a.y1 - a.y0;
    let best = corners
        .iter()
        .map(|&(x, y)| Rect {
            x0: x,
            y0: y,
            x1: x + lw,
            y1: y + lh,
        })
        .map(|r| {
            let grown = Rect {
                x0: r.x0 - 4.0,
                y0: r.y0 - 4.0,
                x1: r.x1 + 4.0,
                y1: r.y1 + 4.0,
            };
            (obstacles.iter().filter(|o| o.intersects(&grown)).count(), r)
        })
        .find(|(n, _)| *n == 0);
    match best {
        Some((_, r)) if fits_inside => out.legend = Some((LegendAt::Inside(r), entries)),
        _ => {
            let right = (W - 20.0 - lw - 16.0).round();
            let (frame, x_ticks, x_minor) = make(right);
            out.frame = frame;
            out.axes.x = x_ticks;
            out.axes.x_minor = x_minor;
            let r = Rect {
                x0: right + 16.0,
                y0: top,
                x1: right + 16.0 + lw,
                y1: top + lh,
            };
            out.legend = Some((LegendAt::Outside(r), entries));
        }
    }
    out
}

/// Boxes around everything drawn inside the plot that a legend must not cover: samples
/// along lines, markers, bars, error bars, point labels and rule labels.
fn obstacles(c: &Chart, f: &Frame) -> Vec<Rect> {
    let mut out = Vec::new();
    for s in &c.series {
        match s.mark {
            Mark::Bars { width } => {
                for p in &s.points {
                    if let Some(r) = bar_rect(f, p.x, p.y, width) {
                        out.push(r);
                    }
                }
            }
            Mark::Points => {}
            Mark::Line | Mark::Step | Mark::LinePoints => {
                for line in polylines(f, &path_points(f, s)) {
                    for w in line.windows(2) {
                        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
                        let n = ((x1 - x0).hypot(y1 - y0) / 3.0).ceil().max(1.0) as usize;
                        for i in 0..=n {
                            let t = i as f64 / n as f64;
                            out.push(Rect::around((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t), 1.5));
                        }
                    }
                }
            }
        }
        for p in &s.points {
            let Some(at) = f.at(p.x, p.y) else { continue };
            if !f.area.contains(at) {
                continue;
            }
            if !matches!(s.mark, Mark::Line | Mark::Step | Mark::Bars { .. }) {
                out.push(Rect::around(at, 5.0));
            }
            if let Some(r) = error_bar(f, p.x, p.lo, p.hi) {
                out.push(Rect {
                    x0: r.0 - 4.0,
                    y0: r.1.min(r.2),
                    x1: r.0 + 4.0,
                    y1: r.1.max(r.2),
                });
            }
            if let Some(label) = p.label.as_deref().filter(|l| !l.is_empty()) {
                out.push(point_label_box(&f.area, at, label).0);
            }
        }
    }
    for (_, r, _) in rule_labels(c, f) {
        out.push(r);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Geometry of series

/// The pixel points of a line or staircase, `None` where a point cannot be placed (the
/// line breaks there).
fn path_points(f: &Frame, s: &Series) -> Vec<Option<(f64, f64)>> {
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
fn clip(r: &Rect, a: (f64, f64), b: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
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
fn polylines(f: &Frame, pts: &[Option<(f64, f64)>]) -> Vec<Vec<(f64, f64)>> {
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
fn bar_rect(f: &Frame, x: f64, y: f64, width: f64) -> Option<Rect> {
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
fn error_bar(f: &Frame, x: f64, lo: Option<f64>, hi: Option<f64>) -> Option<(f64, f64, f64)> {
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

/// Where a point's label goes: above right of the point, or on the left or below where it
/// would leave the plot. Its box and horizontal anchor (the text hangs from the box's top).
fn point_label_box(area: &Rect, at: (f64, f64), label: &str) -> (Rect, HPos) {
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
fn rule_labels(c: &Chart, f: &Frame) -> Vec<(String, Rect, HPos)> {
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

// ---------------------------------------------------------------------------------------
// Drawing

/// The drawing area with the layout's pixels scaled by `s` (1 for SVG, 2 for PNG).
struct Canvas<'a, DB: DrawingBackend> {
    root: &'a DrawingArea<DB, Shift>,
    s: f64,
    /// Whether a rectangle's bottom-right corner is inside it (the bitmap backend) or
    /// just outside (SVG).
    inclusive: bool,
}

impl<DB: DrawingBackend> Canvas<'_, DB> {
    fn p(&self, (x, y): (f64, f64)) -> (i32, i32) {
        ((x * self.s).round() as i32, (y * self.s).round() as i32)
    }

    /// A hairline position: the middle of a pixel, so that a 1-pixel line is crisp.
    fn crisp(v: f64) -> f64 {
        v.floor() + 0.5
    }

    fn stroke(&self, color: &impl Color, width: f64) -> ShapeStyle {
        color.stroke_width((width * self.s).round().max(1.0) as u32)
    }

    fn draw<E>(&self, e: &E) -> Result<(), PlotError>
    where
        for<'b> &'b E: PointCollection<'b, (i32, i32)>,
        E: Drawable<DB>,
    {
        self.root.draw(e).map_err(draw_err)
    }

    /// A polyline, solid or with `(dash, gap)`.
    fn path(
        &self,
        pts: &[(f64, f64)],
        style: ShapeStyle,
        dash: Option<(f64, f64)>,
    ) -> Result<(), PlotError> {
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
    fn hairline(&self, a: (f64, f64), b: (f64, f64), color: &RGBColor) -> Result<(), PlotError> {
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
    fn fill(&self, r: Rect, style: ShapeStyle) -> Result<(), PlotError> {
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

    fn circle(&self, at: (f64, f64), r: f64, style: ShapeStyle) -> Result<(), PlotError> {
        let r = (r * self.s).round().max(1.0) as u32;
        self.draw(&Circle::new(self.p(at), r, style))
    }

    fn text(
        &self,
        text: &str,
        at: (f64, f64),
        size: f64,
        color: &RGBColor,
        (h, v): (HPos, VPos),
    ) -> Result<(), PlotError> {
        let style = (FONT, size * self.s)
            .into_font()
            .color(color)
            .pos(Pos::new(h, v));
        self.root
            .draw_text(text, &style, self.p(at))
            .map_err(draw_err)
    }

    fn text_up(
        &self,
        text: &str,
        at: (f64, f64),
        size: f64,
        color: &RGBColor,
    ) -> Result<(), PlotError> {
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

fn render<DB: DrawingBackend>(cv: &Canvas<'_, DB>, c: &Chart) -> Result<(), PlotError> {
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

    // Grid.
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

    // Rules under the data.
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

    // Series.
    let mut drawn_any = false;
    for s in &c.series {
        drawn_any |= draw_series(cv, f, s)?;
    }

    // Axes: lines, ticks, labels, titles.
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

    // Point labels and rule labels over the data.
    for s in &c.series {
        for p in &s.points {
            let Some(label) = p.label.as_deref().filter(|l| !l.is_empty()) else {
                continue;
            };
            let Some(at) = f.at(p.x, p.y).filter(|&at| a.contains(at)) else {
                continue;
            };
            let (r, anchor) = point_label_box(&a, at, label);
            let x = if matches!(anchor, HPos::Right) {
                r.x1
            } else {
                r.x0
            };
            cv.text(label, (x, r.y0), LABEL_SIZE, &INK, (anchor, VPos::Top))?;
        }
    }
    for (text, r, anchor) in rule_labels(c, f) {
        cv.fill(
            Rect {
                x0: r.x0 - 3.0,
                y0: r.y0 - 1.0,
                x1: r.x1 + 3.0,
                y1: r.y1 + 1.0,
            },
            WHITE.mix(0.92).filled(),
        )?;
        let x = if matches!(anchor, HPos::Right) {
            r.x1
        } else {
            r.x0
        };
        cv.text(&text, (x, r.y0), RULE_SIZE, &RULE, (anchor, VPos::Top))?;
    }

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

/// Draws one series; whether it had anything to draw.
fn draw_series<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    f: &Frame,
    s: &Series,
) -> Result<bool, PlotError> {
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

fn draw_legend<DB: DrawingBackend>(
    cv: &Canvas<'_, DB>,
    at: LegendAt,
    entries: &[Entry],
) -> Result<(), PlotError> {
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
    for (i, e) in entries.iter().enumerate() {
        let cy = r.y0 + LEGEND_PAD - 2.0 + LEGEND_ROW * (i as f64 + 0.5);
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
        cv.text(
            &e.text,
            (x1 + 6.0, cy),
            LEGEND_SIZE,
            &INK,
            (HPos::Left, VPos::Center),
        )?;
    }
    Ok(())
}

/// The bitmap backend with its own text drawing: plotters' ab_glyph text drops glyphs'
/// side bearings (uneven letter spacing) and sits dots at mid-height. Glyphs here are
/// placed like the SVG's text: the same em (size / 1.24) and baseline for each anchor.
struct Raster<'a> {
    inner: BitMapBackend<'a>,
}

type RasterError<'a> = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::chart::{Axis, Point, Rule};

    fn series(name: &str, mark: Mark, points: Vec<Point>, color: usize) -> Series {
        Series {
            name: name.into(),
            mark,
            points,
            color,
            dashed: false,
        }
    }

    fn chart(title: &str, x: Axis, y: Axis, series: Vec<Series>) -> Chart {
        Chart {
            id: "test".into(),
            title: title.into(),
            x,
            y,
            series,
            rules: Vec::new(),
        }
    }

    fn line(n: usize, f: impl Fn(f64) -> f64) -> Vec<Point> {
        (0..n)
            .map(|i| {
                let x = i as f64;
                Point::new(x, f(x))
            })
            .collect()
    }

    /// Parses as XML; the root is an `<svg>` of the right size with a viewBox.
    fn well_formed(svg: &str) -> roxmltree::Document<'_> {
        let doc = roxmltree::Document::parse(svg).expect("SVG is well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("width"), Some("960"));
        assert_eq!(root.attribute("height"), Some("540"));
        assert_eq!(root.attribute("viewBox"), Some("0 0 960 540"));
        doc
    }

    /// All text drawn in the SVG, one string per `<text>` element.
    fn texts(svg: &str) -> Vec<String> {
        let doc = well_formed(svg);
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or("").trim().to_string())
            .collect()
    }

    /// Width and height from a PNG's IHDR chunk, after checking the signature.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&bytes[12..16], b"IHDR");
        let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
        (be(16), be(20))
    }

    /// Decodes the PNG and returns its RGB pixels.
    fn decode(bytes: &[u8]) -> Vec<u8> {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
        buf.truncate(info.buffer_size());
        buf
    }

    /// Whether any pixel has exactly this colour.
    fn has_color(rgb: &[u8], hex_color: &str) -> bool {
        let c = hex(hex_color);
        rgb.chunks_exact(3).any(|p| p == [c.0, c.1, c.2])
    }

    fn all_marks() -> Vec<Mark> {
        vec![
            Mark::Line,
            Mark::Step,
            Mark::Points,
            Mark::LinePoints,
            Mark::Bars { width: 0.8 },
        ]
    }

    #[test]
    fn every_mark_renders_in_both_formats() {
        for (i, mark) in all_marks().into_iter().enumerate() {
            let c = chart(
                "Marks",
                Axis::new("Concurrency"),
                Axis::new("Throughput (req/s)"),
                vec![series(
                    &format!("series {i}"),
                    mark,
                    line(12, |x| 3.0 + x * x),
                    i,
                )],
            );
            let s = svg(&c).unwrap();
            let t = texts(&s);
            assert!(t.contains(&format!("series {i}")), "{mark:?}: {t:?}");
            let p = png(&c).unwrap();
            assert_eq!(png_size(&p), (WIDTH, HEIGHT));
            let rgb = decode(&p);
            assert!(has_color(&rgb, chart::color(i)), "{mark:?} drew its colour");
        }
    }

    #[test]
    fn svg_has_title_axis_titles_and_series_names() {
        let mut c = chart(
            "Sweep: throughput",
            Axis::new("Concurrency"),
            Axis::new("Output tokens/s"),
            vec![
                series("vllm-a", Mark::LinePoints, line(8, |x| x * 10.0), 0),
                series("vllm-b", Mark::Line, line(8, |x| x * 12.0), 1),
            ],
        );
        c.series[1].dashed = true;
        let t = texts(&svg(&c).unwrap());
        for want in [
            "Sweep: throughput",
            "Concurrency",
            "Output tokens/s",
            "vllm-a",
            "vllm-b",
        ] {
            assert!(t.iter().any(|s| s == want), "{want} missing from {t:?}");
        }
        // The SVG names a generic family and embeds no font.
        let s = svg(&c).unwrap();
        assert!(s.contains("font-family=\"sans-serif\""));
        assert!(!s.contains("@font-face") && !s.contains("base64"));
    }

    #[test]
    fn text_is_escaped() {
        let evil = "<script>alert(1)</script> & \"x\"";
        let mut c = chart(
            evil,
            Axis::new(evil),
            Axis::new("y <&> 'q'"),
            vec![series(evil, Mark::Points, vec![Point::new(1.0, 1.0)], 0)],
        );
        c.series[0].points[0].label = Some(evil.into());
        c.rules.push(Rule {
            orientation: Orientation::Horizontal,
            value: 0.5,
            label: evil.into(),
        });
        let s = svg(&c).unwrap();
        assert!(!s.contains("<script"), "raw markup in the SVG");
        assert!(!s.contains("& \""), "raw ampersand in the SVG");
        let t = texts(&s);
        assert!(
            t.iter().filter(|s| s.as_str() == evil).count() >= 4,
            "{t:?}"
        );
        assert!(t.iter().any(|s| s == "y <&> 'q'"), "{t:?}");
    }

    #[test]
    fn empty_chart_draws_axes_and_a_note() {
        for (xlog, ylog) in [(false, false), (true, true)] {
            let mut c = chart(
                "Nothing",
                Axis::new("x"),
                Axis::new("y"),
                vec![series("empty", Mark::Line, vec![], 0)],
            );
            c.x.log = xlog;
            c.y.log = ylog;
            let t = texts(&svg(&c).unwrap());
            assert!(t.iter().any(|s| s == "no data"), "{t:?}");
            assert!(t.iter().any(|s| s == "x") && t.iter().any(|s| s == "y"));
            assert_eq!(png_size(&png(&c).unwrap()), (WIDTH, HEIGHT));
        }
        let bare = chart("", Axis::default(), Axis::default(), vec![]);
        assert!(texts(&svg(&bare).unwrap()).iter().any(|s| s == "no data"));
        png(&bare).unwrap();
    }

    #[test]
    fn one_point_and_non_finite_values() {
        let c = chart(
            "One",
            Axis::new("x"),
            Axis::new("y"),
            vec![series(
                "one",
                Mark::LinePoints,
                vec![Point::new(5.0, 3.0)],
                0,
            )],
        );
        let t = texts(&svg(&c).unwrap());
        assert!(!t.iter().any(|s| s == "no data"));
        png(&c).unwrap();

        let mut pts = line(10, |x| x);
        pts[3].y = f64::NAN;
        pts[5].x = f64::INFINITY;
        pts[7].y = f64::NEG_INFINITY;
        pts[2].hi = Some(f64::NAN);
        pts[2].lo = Some(1.0);
        for mark in all_marks() {
            let mut c = chart(
                "Holes",
                Axis::new("x"),
                Axis::new("y"),
                vec![series("holes", mark, pts.clone(), 2)],
            );
            let s = svg(&c).unwrap();
            assert!(!s.contains("NaN") && !s.contains("inf"), "{mark:?}");
            png(&c).unwrap();
            c.x.log = true;
            c.y.log = true;
            let s = svg(&c).unwrap();
            assert!(!s.contains("NaN") && !s.contains("inf"), "{mark:?} log");
            png(&c).unwrap();
        }
        let nan = chart(
            "All NaN",
            Axis::new("x"),
            Axis::new("y"),
            vec![series(
                "nan",
                Mark::Line,
                vec![Point::new(f64::NAN, f64::NAN); 3],
                0,
            )],
        );
        assert!(texts(&svg(&nan).unwrap()).iter().any(|s| s == "no data"));
    }

    #[test]
    fn log_axis_ticks_are_decades() {
        let mut c = chart(
            "Latency CDF",
            Axis::new("Latency (s)"),
            Axis::new("Fraction of requests"),
            vec![series(
                "run",
                Mark::Step,
                (0..200)
                    .map(|i| Point::new(0.01 * 1.05f64.powi(i), f64::from(i) / 199.0))
                    .collect(),
                0,
            )],
        );
        c.x.log = true;
        let t = texts(&svg(&c).unwrap());
        for want in ["0.01", "0.1", "1", "10"] {
            assert!(t.iter().any(|s| s == want), "{want} missing from {t:?}");
        }
        // Log tick labels read as numbers, not as floats' noise.
        assert!(t.iter().all(|s| !s.contains("0000000")), "{t:?}");
        png(&c).unwrap();
    }

    #[test]
    fn rules_are_labelled_and_statuses_in_the_legend() {
        let mut pts = line(5, |x| 1.0 + x * 0.5);
        for (i, p) in pts.iter_mut().enumerate() {
            p.status = Some(
                [
                    Status::Pass,
                    Status::Pass,
                    Status::Marginal,
                    Status::Fail,
                    Status::Fail,
                ][i],
            );
            p.lo = Some(p.y * 0.9);
            p.hi = Some(p.y * 1.1);
            p.label = Some(format!("c{}", 5 * (i + 1)));
        }
        let mut c = chart(
            "Capacity",
            Axis::new("Concurrency"),
            Axis::new("p95 e2e latency (s)"),
            vec![series("p95(e2e)", Mark::Points, pts, 0)],
        );
        c.rules.push(Rule {
            orientation: Orientation::Horizontal,
            value: 2.5,
            label: "SLO p95(e2e) ≤ 2.5 s".into(),
        });
        c.rules.push(Rule {
            orientation: Orientation::Vertical,
            value: 2.0,
            label: "chosen c15".into(),
        });
        let s = svg(&c).unwrap();
        let t = texts(&s);
        for want in [
            "PASS",
            "MARGINAL",
            "FAIL",
            "SLO p95(e2e) ≤ 2.5 s",
            "chosen c15",
            "p95(e2e)",
            "c5",
            "c25",
        ] {
            assert!(t.iter().any(|s| s == want), "{want} missing from {t:?}");
        }
        let rgb = decode(&png(&c).unwrap());
        for st in [Status::Pass, Status::Marginal, Status::Fail] {
            assert!(has_color(&rgb, chart::status_color(st)), "{st:?}");
        }
        // No status, no status legend.
        let plain = chart(
            "Plain",
            Axis::new("x"),
            Axis::new("y"),
            vec![series("s", Mark::Points, line(3, |x| x), 0)],
        );
        assert!(!texts(&svg(&plain).unwrap()).iter().any(|s| s == "PASS"));
    }

    #[test]
    fn unnamed_series_have_no_legend() {
        let c = chart(
            "Unnamed",
            Axis::new("x"),
            Axis::new("y"),
            vec![series(" ", Mark::Line, line(3, |x| x), 0)],
        );
        let l = layout(&c);
        assert!(l.legend.is_none());
    }

    #[test]
    fn svg_is_deterministic() {
        let c = sample_sweep();
        assert_eq!(svg(&c).unwrap(), svg(&c).unwrap());
        assert_eq!(png(&c).unwrap(), png(&c).unwrap());
    }

    #[test]
    fn ranges_and_tick_labels() {
        let a = Axis::new("a");
        // Data ≥ 0 start at 0, with headroom on top.
        let s = Scale::fit(&a, &[2.0, 10.0], 0.05);
        assert_eq!(s.lo, 0.0);
        assert!((s.hi - 10.5).abs() < 1e-9);
        // Negative data get padding at both ends.
        let s = Scale::fit(&a, &[-10.0, 10.0], 0.05);
        assert!(s.lo < -10.0 && s.hi > 10.0);
        // One value, all zeros, nothing.
        for vals in [&[3.0][..], &[0.0], &[], &[-2.0]] {
            let s = Scale::fit(&a, vals, 0.05);
            assert!(
                s.lo < s.hi && s.lo.is_finite() && s.hi.is_finite(),
                "{vals:?}: {s:?}"
            );
        }
        // Fixed ends win.
        let fixed = Axis {
            min: Some(1.0),
            max: Some(2.0),
            ..Axis::new("f")
        };
        assert_eq!(
            Scale::fit(&fixed, &[0.0, 100.0], 0.05),
            Scale {
                lo: 1.0,
                hi: 2.0,
                log: false
            }
        );

        let labels = |lo, hi, n| tick_labels(&linear_ticks(lo, hi, n), false);
        assert_eq!(labels(0.0, 1.0, 4), ["0", "0.25", "0.50", "0.75", "1.00"]);
        assert_eq!(labels(0.0, 0.3, 3), ["0", "0.1", "0.2", "0.3"]);
        assert_eq!(
            labels(0.0, 5000.0, 5),
            ["0", "1,000", "2,000", "3,000", "4,000", "5,000"]
        );
        assert_eq!(labels(0.0, 40000.0, 4), ["0", "10k", "20k", "30k", "40k"]);
        assert_eq!(labels(0.0, 3.0e6, 3), ["0", "1M", "2M", "3M"]);
        assert_eq!(labels(-1.0, 1.0, 4), ["-1.0", "-0.5", "0", "0.5", "1.0"]);
        let (major, _) = log_ticks(0.02, 30000.0, 10);
        assert_eq!(
            tick_labels(&major, true),
            ["0.1", "1", "10", "100", "1k", "10k"]
        );
        let (major, minor) = log_ticks(1.0, 100.0, 10);
        assert_eq!(
            tick_labels(&major, true),
            ["1", "2", "5", "10", "20", "50", "100"]
        );
        assert!(minor.contains(&3.0));
    }

    #[test]
    fn long_names_are_shortened() {
        let long = "x".repeat(300);
        let c = chart(
            &long,
            Axis::new(&long),
            Axis::new(&long),
            vec![series(&long, Mark::Line, line(3, |x| x), 0)],
        );
        let t = texts(&svg(&c).unwrap());
        assert!(t.iter().any(|s| s.ends_with('…')));
        let l = layout(&c);
        let Some((LegendAt::Inside(r) | LegendAt::Outside(r), _)) = l.legend else {
            panic!("no legend")
        };
        assert!(r.x1 - r.x0 <= LEGEND_MAX_W + 1.0);
    }

    #[test]
    fn many_series_cap_the_legend() {
        let many = (0..30)
            .map(|i| series(&format!("s{i}"), Mark::Line, line(3, |x| x + i as f64), i))
            .collect();
        let c = chart("Many", Axis::new("x"), Axis::new("y"), many);
        let l = layout(&c);
        let Some((LegendAt::Inside(r) | LegendAt::Outside(r), entries)) = &l.legend else {
            panic!("no legend")
        };
        assert_eq!(entries.len(), LEGEND_MAX_ROWS);
        assert_eq!(entries[LEGEND_MAX_ROWS - 1].text, "and 11 more");
        assert!(r.y1 <= H, "{r:?}");
        let t = texts(&svg(&c).unwrap());
        assert!(t.iter().any(|s| s == "and 11 more"));
    }

    #[test]
    fn point_labels_stay_in_the_plot() {
        let area = Rect {
            x0: 60.0,
            y0: 40.0,
            x1: 900.0,
            y1: 480.0,
        };
        for at in [
            (area.x0, area.y0),
            (area.x1, area.y0),
            (area.x0, area.y1),
            (area.x1, area.y1),
            (480.0, 260.0),
        ] {
            let (r, _) = point_label_box(&area, at, "c100");
            assert!(
                r.x0 >= area.x0
                    && r.x1 <= area.x1
                    && r.y0 >= area.y0
                    && r.y1 <= area.y1 + LABEL_DY + 20.0,
                "{at:?}: {r:?}"
            );
        }
    }

    // --- samples (run with `-- --ignored`, written to /tmp/plot-samples) ---

    fn sample_histogram() -> Chart {
        // A lognormal-ish latency histogram.
        let pts = (0..40)
            .map(|i| {
                let x = 0.05 + 0.1 * f64::from(i);
                let y = 1800.0 * (-(x.ln() - 0.3).powi(2) / 0.3).exp() / x;
                Point::new(x, y.round())
            })
            .collect();
        chart(
            "Request latency distribution",
            Axis::new("Request latency (s)"),
            Axis::new("Requests"),
            vec![series(
                "vllm-a, concurrency 32",
                Mark::Bars { width: 0.1 },
                pts,
                0,
            )],
        )
    }

    fn sample_cdf() -> Chart {
        let cdf = |scale: f64, spread: f64| -> Vec<Point> {
            let n = 400;
            let mut xs: Vec<f64> = (0..n)
                .map(|i| {
                    let u = (f64::from(i) + 0.5) / f64::from(n);
                    // An inverse-logistic quantile, skewed.
                    scale * (spread * (u / (1.0 - u)).ln()).exp()
                })
                .collect();
            xs.sort_by(f64::total_cmp);
            xs.iter()
                .enumerate()
                .map(|(i, &x)| Point::new(x, (i + 1) as f64 / f64::from(n)))
                .collect()
        };
        let mut c = chart(
            "Time to first token: CDF",
            Axis {
                log: true,
                ..Axis::new("Time to first token (s)")
            },
            Axis::new("Fraction of requests"),
            vec![
                series("vllm-a (c=8)", Mark::Step, cdf(0.08, 0.35), 0),
                series("vllm-b (c=8)", Mark::Step, cdf(0.2, 0.5), 1),
                series("sglang (c=8)", Mark::Step, cdf(0.5, 0.4), 2),
            ],
        );
        c.rules.push(Rule {
            orientation: Orientation::Vertical,
            value: 1.0,
            label: "SLO p95(ttft) ≤ 1 s".into(),
        });
        c
    }

    fn sample_sweep() -> Chart {
        let p95 = [1, 2, 4, 8, 16, 24, 32, 48, 64]
            .iter()
            .map(|&c| {
                let c = f64::from(c);
                Point::new(c, 0.9 + 0.02 * c + 0.0009 * c * c)
            })
            .collect::<Vec<_>>();
        let p99 = p95
            .iter()
            .map(|p| Point::new(p.x, p.y * 1.35 + 0.1))
            .collect();
        let mut c = chart(
            "Sweep: request latency by concurrency",
            Axis::new("Concurrency (requests in flight)"),
            Axis::new("Request latency (s)"),
            vec![
                series("vllm-a P95", Mark::LinePoints, p95, 0),
                series("vllm-a P99", Mark::LinePoints, p99, 0),
            ],
        );
        c.series[1].dashed = true;
        c
    }

    fn sample_envelope() -> Chart {
        let levels = [
            (5.0, 1.9, Status::Pass),
            (10.0, 2.4, Status::Pass),
            (15.0, 3.1, Status::Pass),
            (20.0, 3.75, Status::Marginal),
            (25.0, 4.6, Status::Fail),
            (30.0, 5.8, Status::Fail),
        ];
        let pts = levels
            .iter()
            .map(|&(c, y, st)| Point {
                x: c,
                y,
                lo: Some(y * 0.93),
                hi: Some(y * 1.08),
                label: Some(format!("c{c}")),
                status: Some(st),
            })
            .collect();
        let mut c = chart(
            "Capacity: p95 request latency by concurrency",
            Axis::new("Concurrency"),
            Axis::new("p95 request latency (s)"),
            vec![series("p95(e2e) with 95% CI", Mark::Points, pts, 0)],
        );
        c.rules.push(Rule {
            orientation: Orientation::Horizontal,
            value: 3.81,
            label: "SLO p95(e2e) ≤ 3.81 s".into(),
        });
        c
    }

    fn sample_big() -> Chart {
        let pts = (0..2000)
            .map(|i| {
                let x = f64::from(i) * 0.01;
                Point::new(x, 50.0 + 30.0 * (x * 0.7).sin() + 10.0 * (x * 5.3).cos())
            })
            .collect();
        let pts2 = (0..2000)
            .map(|i| {
                let x = f64::from(i) * 0.01;
                Point::new(x, 60.0 + 25.0 * (x * 0.4).cos())
            })
            .collect();
        let mut c = chart(
            "2,000 points",
            Axis::new("Time (s)"),
            Axis::new("Tokens/s"),
            vec![
                series("throughput", Mark::Line, pts, 0),
                series("smoothed", Mark::Line, pts2, 5),
            ],
        );
        c.series[1].dashed = true;
        c
    }

    /// Points all over the plot, in three series with long names: the legend must go
    /// outside.
    fn sample_crowded() -> Chart {
        let mut series_list = Vec::new();
        for k in 0..3u32 {
            let pts = (0..300u32)
                .map(|i| {
                    let t = f64::from(i * 7 + k * 13);
                    Point::new(
                        (t * 0.618).fract() * 100.0,
                        (t * 0.377).fract() * 50.0 + 1.0,
                    )
                })
                .collect();
            series_list.push(series(
                &format!("deployment-{k} of a model with a rather long name, run {k}"),
                Mark::Points,
                pts,
                k as usize,
            ));
        }
        chart(
            "Scatter everywhere",
            Axis::new("Prompt tokens"),
            Axis::new("Time to first token (ms)"),
            series_list,
        )
    }

    fn sample_log_y() -> Chart {
        let pts = (0..30)
            .map(|i| Point::new(f64::from(i) * 1500.0, 3.0 * 1.6f64.powi(i)))
            .collect();
        let mut c = chart(
            "Log y, big numbers",
            Axis::new("Input tokens"),
            Axis {
                log: true,
                ..Axis::new("Output tokens")
            },
            vec![series("growth", Mark::Line, pts, 3)],
        );
        c.rules.push(Rule {
            orientation: Orientation::Vertical,
            value: 40_000.0,
            label: "context limit".into(),
        });
        c.rules.push(Rule {
            orientation: Orientation::Vertical,
            value: 20_000.0,
            label: "half".into(),
        });
        c
    }

    #[test]
    fn legend_avoids_data_or_goes_outside() {
        let l = layout(&sample_crowded());
        let Some((LegendAt::Outside(r), _)) = l.legend else {
            panic!("legend inside a crowded plot")
        };
        assert!(r.x0 > l.frame.area.x1 && r.x1 <= W);
        for c in [
            sample_cdf(),
            sample_sweep(),
            sample_envelope(),
            sample_histogram(),
        ] {
            let l = layout(&c);
            let Some((LegendAt::Inside(r), _)) = l.legend else {
                panic!("{}: legend outside", c.title)
            };
            assert!(
                obstacles(&c, &l.frame).iter().all(|o| !o.intersects(&r)),
                "{}",
                c.title
            );
        }
    }

    #[test]
    #[ignore = "writes sample charts to /tmp/plot-samples for a person to look at"]
    fn write_samples() {
        let dir = std::path::Path::new("/tmp/plot-samples");
        std::fs::create_dir_all(dir).unwrap();
        let mut escape = sample_sweep();
        escape.series[0].name = "<script>alert(1)</script> & \"x\"".into();
        let mut empty = chart("Empty chart", Axis::new("x (s)"), Axis::new("y"), vec![]);
        empty.y.log = true;
        for (name, c) in [
            ("histogram", sample_histogram()),
            ("cdf", sample_cdf()),
            ("sweep", sample_sweep()),
            ("envelope", sample_envelope()),
            ("big", sample_big()),
            ("crowded", sample_crowded()),
            ("log-y", sample_log_y()),
            (
                "single",
                chart(
                    "One point",
                    Axis::new("Concurrency"),
                    Axis::new("Requests/s"),
                    vec![series(
                        "only",
                        Mark::LinePoints,
                        vec![Point {
                            label: Some("c8".into()),
                            ..Point::new(8.0, 1234.5)
                        }],
                        1,
                    )],
                ),
            ),
            ("escape", escape),
            ("empty", empty),
        ] {
            std::fs::write(dir.join(format!("{name}.svg")), svg(&c).unwrap()).unwrap();
            std::fs::write(dir.join(format!("{name}.png")), png(&c).unwrap()).unwrap();
        }
    }

    #[test]
    #[ignore = "timing; run in release: cargo test --release -p headroom-report -- --ignored render_time"]
    fn render_time() {
        let c = sample_big();
        let _ = png(&c).unwrap();
        let n = 20;
        let t = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(png(&c).unwrap());
        }
        let png_ms = t.elapsed().as_secs_f64() * 1000.0 / f64::from(n);
        let t = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(svg(&c).unwrap());
        }
        let svg_ms = t.elapsed().as_secs_f64() * 1000.0 / f64::from(n);
        let sizes = (png(&c).unwrap().len(), svg(&c).unwrap().len());
        #[allow(clippy::print_stderr)]
        {
            eprintln!("2,000-point chart: png {png_ms:.1} ms, svg {svg_ms:.1} ms, sizes {sizes:?}");
        }
    }
}
