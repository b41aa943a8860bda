//! The console rendering of a [`Document`]: cards as lines, tables drawn with
//! comfy-table; charts are named by their files in `plots/`, templates are skipped (they
//! are in `report.md`).

use crate::console_table;
use crate::document::{Block, Document, Tone};
use std::fmt::Write as _;

fn mark(text: &str, tone: Tone) -> String {
    match tone {
        Tone::Neutral | Tone::Good => text.to_string(),
        Tone::Bad => format!("{text} !"),
        Tone::Warn => format!("{text} ?"),
    }
}

/// Renders `doc` for a terminal.
pub fn render(doc: &Document) -> String {
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
                Block::Table(caption, t) => {
                    if let Some(c) = caption {
                        let _ = writeln!(body, "{c}");
                    }
                    let mut ct = console_table::new(t.head.clone());
                    for row in &t.rows {
                        ct.add_row(row.iter().map(|c| mark(&c.text, c.tone)));
                    }
                    console_table::align_right(
                        &mut ct,
                        (0..t.head.len()).filter(|&i| !t.is_left(i)),
                    );
                    let _ = writeln!(body, "{ct}");
                }
                Block::Charts(charts) => {
                    let names: Vec<String> =
                        charts.iter().map(|c| format!("{}.svg", c.id)).collect();
                    let _ = writeln!(body, "charts in plots/: {}", names.join(", "));
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
