//! The console rendering of a [`Document`]: cards as lines, tables drawn with
//! comfy-table; charts are named by their files where they were written, templates are
//! skipped (they are in `report.md`).
//!
//! A terminal has no colour to spare (and `NO_COLOR` users have none), so bad news is
//! marked `!` and a result too close to call `?`, with a line under the cards or table
//! that says so.

use crate::console_table;
use crate::document::{Block, Document, Table, Tone};
use std::fmt::Write as _;
use std::path::Path;

fn mark(text: &str, tone: Tone) -> String {
    match tone {
        Tone::Neutral | Tone::Good => text.to_string(),
        Tone::Bad => format!("{text} !"),
        Tone::Warn => format!("{text} ?"),
    }
}

/// What the marks among `tones` mean, when there are any.
fn legend(tones: impl IntoIterator<Item = Tone>) -> Option<String> {
    let (mut bad, mut warn) = (false, false);
    for t in tones {
        bad |= t == Tone::Bad;
        warn |= t == Tone::Warn;
    }
    let mut parts = Vec::new();
    if bad {
        parts.push("! marks bad news: worse beyond noise, below target, or failed");
    }
    if warn {
        parts.push("? marks a result too close to call");
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn table(out: &mut String, caption: Option<&str>, t: &Table) {
    if let Some(c) = caption {
        let _ = writeln!(out, "{c}");
    }
    let mut ct = console_table::new(t.head.clone());
    for row in &t.rows {
        ct.add_row(row.iter().map(|c| mark(&c.text, c.tone)));
    }
    console_table::align_right(&mut ct, (0..t.head.len()).filter(|&i| !t.is_left(i)));
    let _ = writeln!(out, "{ct}");
    if let Some(l) = legend(t.rows.iter().flatten().map(|c| c.tone)) {
        let _ = writeln!(out, "{l}");
    }
}

/// Renders `doc` for a terminal. `plots` is where its charts were written (they are
/// listed by file name there); with `None` the charts are left out, because nothing drew
/// them.
pub fn render(doc: &Document, plots: Option<&Path>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", doc.title);
    for m in &doc.meta {
        let _ = writeln!(out, "{m}");
    }
    out.push('\n');
    for c in &doc.cards {
        let detail = c
            .detail
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        let _ = writeln!(out, "{}: {}{detail}", c.label, mark(&c.value, c.tone));
    }
    if let Some(l) = legend(doc.cards.iter().map(|c| c.tone)) {
        let _ = writeln!(out, "{l}");
    }
    for w in &doc.warnings {
        let _ = writeln!(out, "WARNING: {w}");
    }
    for s in &doc.sections {
        let mut body = String::new();
        for b in &s.blocks {
            match b {
                Block::Text(t) => {
                    let _ = writeln!(body, "{t}");
                }
                Block::Table(caption, t) => table(&mut body, caption.as_deref(), t),
                Block::Charts(charts) => {
                    if let Some(dir) = plots {
                        let names: Vec<String> =
                            charts.iter().map(|c| format!("{}.svg", c.id)).collect();
                        let _ = writeln!(body, "charts in {}: {}", dir.display(), names.join(", "));
                    }
                }
                Block::Template(_) => {}
            }
        }
        if !body.is_empty() {
            let _ = write!(out, "\n{}\n{body}", s.heading);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{Chart, ChartAxis};
    use crate::document::{Card, Cell, Section};

    fn doc() -> Document {
        let mut t = Table::new(["Quantity", "a", "b", "b vs first"]);
        t.row([
            Cell::from("P95 ITL"),
            "60 ms".into(),
            "66 ms".into(),
            Cell::toned("1.11× (+10.8%)", Tone::Bad),
        ]);
        let chart = Chart {
            id: "compare-e2e-cdf".into(),
            title: "CDF".into(),
            x: ChartAxis::new("x"),
            y: ChartAxis::new("y"),
            series: Vec::new(),
            rules: Vec::new(),
        };
        let mut latency = Section::new("Latency");
        latency.push(Block::Table(None, t));
        let mut dists = Section::new("Distributions");
        dists.push(Block::Charts(vec![chart]));
        Document {
            title: "compare".into(),
            cards: vec![Card::new("Capacity", "20 concurrent")],
            sections: vec![latency, dists],
            ..Document::default()
        }
    }

    #[test]
    fn marks_are_explained_under_their_table() {
        // Regression: compare's console table marked rows with an unexplained `!`.
        let text = render(&doc(), None);
        let after = text.split("1.11× (+10.8%) !").nth(1).unwrap();
        let legend = after.lines().nth(2).unwrap();
        assert!(legend.starts_with("! marks bad news"), "{text}");
        // No marks, no legend.
        assert!(!text[..text.find("Latency").unwrap()].contains("bad news"));
    }

    #[test]
    fn charts_are_listed_only_where_they_were_written() {
        // Regression: `compare` without --out printed "charts in plots/: …" and wrote
        // no plots.
        let text = render(&doc(), None);
        assert!(!text.contains("charts in"), "{text}");
        assert!(!text.contains("Distributions"), "{text}");
        let text = render(&doc(), Some(Path::new("cmp/plots")));
        assert!(
            text.contains("charts in cmp/plots: compare-e2e-cdf.svg"),
            "{text}"
        );
    }
}
