//! Text: the bundled font (DejaVu Sans), the sizes of each kind of text, and measuring
//! and shortening text so that the layout knows how much room it takes.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use plotters::style::FontStyle;

use super::DrawError;

/// The family the text is drawn in: registered with the bundled font in plotters, and
/// named as is in SVGs (the browser's default sans-serif).
pub(super) const FONT: &str = "sans-serif";
pub(super) static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The bundled font, parsed once.
pub(super) fn face() -> Option<&'static FontRef<'static>> {
    static FACE: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FACE.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok())
        .as_ref()
}

pub(super) fn ensure_font() -> Result<(), DrawError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok && face().is_some() {
        Ok(())
    } else {
        Err(DrawError::Font)
    }
}

// Text sizes in plotters' units: the em is this / 1.24 pixels (SVG font-size). The
// smallest em (point and rule labels, 14.1 px) reads at 11.5 px where the HTML report
// shows a chart at its narrowest, `crate::html::CHART_MIN_PX` wide.
pub(super) const TITLE_SIZE: f64 = 25.0;
pub(super) const AXIS_SIZE: f64 = 20.0;
pub(super) const TICK_SIZE: f64 = 18.0;
pub(super) const LEGEND_SIZE: f64 = 18.0;
pub(super) const LABEL_SIZE: f64 = 17.5;
pub(super) const NOTE_SIZE: f64 = 24.0;
pub(super) const RULE_SIZE: f64 = 17.5;

/// The em of a plotters text size, as plotters' SVG backend writes it.
pub(super) fn em(size: f64) -> f64 {
    size / 1.24
}

/// ab_glyph's scale (ascent to descent) for an em of `em` pixels.
pub(super) fn px_scale(font: &FontRef<'_>, em: f32) -> PxScale {
    PxScale::from(em * font.height_unscaled() / font.units_per_em().unwrap_or(2048.0))
}

/// Glyphs of `text` laid out on a baseline at y = 0 from x = 0, and the advance width.
pub(super) fn layout_glyphs(
    font: &FontRef<'_>,
    text: &str,
    em: f32,
) -> (Vec<ab_glyph::Glyph>, f32) {
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
pub(super) fn text_size(text: &str, size: f64) -> (f64, f64) {
    let em = em(size);
    match face() {
        Some(f) => (f64::from(layout_glyphs(f, text, em as f32).1), em),
        None => (text.chars().count() as f64 * em * 0.6, em),
    }
}

/// `text` shortened with `…` to at most `max_w` pixels at `size`.
pub(super) fn fit_text(text: &str, size: f64, max_w: f64) -> String {
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

/// `text` in at most `max_lines` lines of at most `max_w` pixels at `size`, broken
/// between words; what does not fit ends the last line with `…`. A word too long for a
/// line is shortened on one line rather than broken.
pub(super) fn wrap_text(text: &str, size: f64, max_w: f64, max_lines: usize) -> Vec<String> {
    let fits = |s: &str| text_size(s, size).0 <= max_w;
    if fits(text) || max_lines <= 1 {
        return vec![fit_text(text, size, max_w)];
    }
    let mut lines: Vec<String> = Vec::new();
    let mut rest = text.trim();
    while lines.len() + 1 < max_lines {
        // The longest run of whole words that fits.
        let mut cut = None;
        for (i, _) in rest.match_indices(' ') {
            if fits(rest[..i].trim_end()) {
                cut = Some(i);
            } else {
                break;
            }
        }
        let Some(i) = cut else { break };
        lines.push(rest[..i].trim_end().to_string());
        rest = rest[i..].trim_start();
        if fits(rest) {
            break;
        }
    }
    if lines.is_empty() {
        return vec![fit_text(text, size, max_w)];
    }
    lines.push(fit_text(rest, size, max_w));
    lines
}
