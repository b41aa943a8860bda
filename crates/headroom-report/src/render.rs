//! Renders a [`Document`] into everything a results directory gets: `report.html`,
//! `report.md` and `plots/<chart>.svg|png`. Charts are drawn in parallel; nothing is
//! written here (the caller writes the files).

use crate::chart::Chart;
use crate::document::Document;
use crate::draw::{self, DrawError};
use std::collections::HashMap;

/// A rendered report.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// `report.html`.
    pub html: String,
    /// `report.md`.
    pub markdown: String,
    /// `plots/` files: (file name, bytes), SVG and PNG of every chart.
    pub plots: Vec<(String, Vec<u8>)>,
}

/// What to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Draw PNGs too (SVGs are always drawn: the HTML report inlines them).
    pub png: bool,
    /// Threads to draw with (at least 1).
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            png: true,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

type Drawn = (String, String, Option<Vec<u8>>);

fn draw(c: &Chart, png: bool) -> Result<Drawn, DrawError> {
    let svg = draw::svg(c)?;
    let png = if png { Some(draw::png(c)?) } else { None };
    Ok((c.id.clone(), svg, png))
}

/// Renders `doc` with `opts`.
pub fn render(doc: &Document, opts: Options) -> Result<Rendered, DrawError> {
    let charts: Vec<&Chart> = doc.charts().collect();
    let threads = opts.threads.clamp(1, charts.len().max(1));
    let mut drawn: Vec<Drawn> = Vec::with_capacity(charts.len());
    if threads == 1 {
        for c in &charts {
            drawn.push(draw(c, opts.png)?);
        }
    } else {
        let chunks: Vec<Vec<&Chart>> = (0..threads)
            .map(|t| charts.iter().skip(t).step_by(threads).copied().collect())
            .collect();
        let results: Vec<Result<Vec<Drawn>, DrawError>> = std::thread::scope(|s| {
            let handles: Vec<_> = chunks
                .iter()
                .map(|chunk| {
                    s.spawn(move || {
                        chunk
                            .iter()
                            .map(|c| draw(c, opts.png))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(DrawError::Draw("a drawing thread panicked".into()))
                    })
                })
                .collect()
        });
        for r in results {
            drawn.extend(r?);
        }
        // Chart order, for deterministic output.
        let order: HashMap<&str, usize> = charts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        drawn.sort_by_key(|(id, _, _)| order.get(id.as_str()).copied().unwrap_or(usize::MAX));
    }
    let mut svgs = HashMap::with_capacity(drawn.len());
    let mut plots = Vec::with_capacity(drawn.len() * 2);
    for (id, svg, png) in drawn {
        plots.push((format!("{id}.svg"), svg.clone().into_bytes()));
        if let Some(p) = png {
            plots.push((format!("{id}.png"), p));
        }
        svgs.insert(id, svg);
    }
    Ok(Rendered {
        html: crate::html::render(doc, &svgs),
        markdown: crate::markdown::render(doc),
        plots,
    })
}
