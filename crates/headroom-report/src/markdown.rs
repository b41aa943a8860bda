//! The Markdown report: the same [`Document`] as the HTML report, as GitHub-flavoured
//! Markdown to paste into a design document or a pull request. Charts are linked from
//! `plots/`; seed 000's documentation template is a fenced block per level and run.

use crate::document::{Block, Document, Table, Tone};
use std::fmt::Write as _;

/// Escapes text for a Markdown paragraph or table cell: the characters that start markup,
/// and `|` and line breaks, which would break a table row.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let at = |j: Option<usize>| j.and_then(|j| chars.get(j)).copied();
    for (i, &c) in chars.iter().enumerate() {
        let (prev, next) = (at(i.checked_sub(1)), at(Some(i + 1)));
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        let special = match c {
            '\\' | '`' | '*' | '|' => true,
            // An underscore inside a word (max_num_seqs) is no emphasis in GitHub's Markdown.
            '_' => !(word(prev) && word(next)),
            // `<` opens HTML only before a letter, `/`, `!` or `?`: `p95<=3s` stays as is.
            '<' => next.is_some_and(|n| n.is_alphabetic() || matches!(n, '/' | '!' | '?')),
            // Brackets make links only as `[text](…)` or `[text][…]`.
            ']' => matches!(next, Some('(' | '[')),
            '[' => chars[i..].iter().collect::<String>().contains("]("),
            // Block markup only at the start.
            '>' | '#' => i == 0,
            _ => false,
        };
        match c {
            '\n' | '\r' => out.push(' '),
            _ if special => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn mark(text: &str, tone: Tone) -> String {
    match tone {
        Tone::Good | Tone::Bad | Tone::Warn => format!("**{}**", escape(text)),
        Tone::Neutral => escape(text),
    }
}

fn table(out: &mut String, t: &Table) {
    let _ = writeln!(
        out,
        "| {} |",
        t.head
            .iter()
            .map(|h| escape(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let align: Vec<&str> = (0..t.head.len())
        .map(|i| if t.is_left(i) { ":---" } else { "---:" })
        .collect();
    let _ = writeln!(out, "| {} |", align.join(" | "));
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(|c| mark(&c.text, c.tone)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

/// Renders `doc`; charts link to `plots/<id>.png` (beside `report.md`).
pub fn render(doc: &Document) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", escape(&doc.title));
    for m in &doc.meta {
        let _ = writeln!(out, "{}  ", escape(m));
    }
    if !doc.meta.is_empty() {
        out.push('\n');
    }
    for c in &doc.cards {
        let detail = c
            .detail
            .as_deref()
            .map(|d| format!(" ({})", escape(d)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- **{}: {}**{detail}",
            escape(&c.label),
            escape(&c.value)
        );
    }
    if !doc.cards.is_empty() {
        out.push('\n');
    }
    for w in &doc.warnings {
        let _ = writeln!(out, "> **Warning:** {}\n", escape(w));
    }
    for s in &doc.sections {
        let _ = writeln!(out, "## {}\n", escape(&s.heading));
        for b in &s.blocks {
            match b {
                Block::Text(t) => {
                    let _ = writeln!(out, "{}\n", escape(t));
                }
                Block::Table(caption, t) => {
                    if let Some(c) = caption {
                        let _ = writeln!(out, "**{}**\n", escape(c));
                    }
                    table(&mut out, t);
                }
                Block::Charts(charts) => {
                    for c in charts {
                        let _ = writeln!(out, "![{}](plots/{}.png)\n", escape(&c.title), c.id);
                    }
                }
                Block::Template(lines) => {
                    out.push_str("```\n");
                    for (k, v) in lines {
                        // A fence cannot be escaped from inside: keep values on one line
                        // and free of backtick runs.
                        let v = v.replace(['\n', '\r'], " ").replace("```", "'''");
                        let _ = writeln!(out, "{k}: {v}");
                    }
                    out.push_str("```\n\n");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Section;

    #[test]
    fn table_cells_cannot_break_the_table() {
        let mut t = Table::new(["name", "p95"]);
        t.row(["a|b\nc <x>", "1"]);
        let mut s = Section::new("S");
        s.push(Block::Table(None, t));
        let md = render(&Document {
            title: "T".into(),
            sections: vec![s],
            ..Document::default()
        });
        assert!(md.contains("| a\\|b c \\<x> | 1 |"), "{md}");
        assert_eq!(escape("max_num_seqs _x_"), "max_num_seqs \\_x\\_");
        assert_eq!(
            escape("p95(e2e)<=3.81s [3.5–3.9]"),
            "p95(e2e)<=3.81s [3.5–3.9]"
        );
        assert_eq!(
            escape("[a](javascript:x) <img> # x"),
            "\\[a\\](javascript:x) \\<img> # x"
        );
        assert_eq!(escape("# h"), "\\# h");
    }
}
