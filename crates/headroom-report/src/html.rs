//! The HTML report: one self-contained file (inline CSS and SVG, no script, nothing
//! fetched), readable from disk in any browser and printable.
//!
//! Every string is escaped: model names, labels, error messages and dataset text come from
//! servers and files headroom does not control.

use crate::document::{Block, Cell, Document, Table, Tone};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The narrowest a chart's figure gets in the page, border and padding included: charts
/// are drawn [`WIDTH`](crate::draw::WIDTH) px wide and scaled to fit, and the smallest
/// chart text must still read at 11 px or more. Narrower windows scroll sideways.
pub const CHART_MIN_PX: f64 = 780.0;
/// A chart figure's border and padding, left and right together.
const CHART_CHROME_PX: f64 = 14.0;

/// How charts are laid out: one per row at up to their drawn size (two where the page
/// is wide enough for both at [`CHART_MIN_PX`]), never narrower than that.
fn chart_style() -> String {
    let max = f64::from(crate::draw::WIDTH) + CHART_CHROME_PX;
    let (min, pad) = (CHART_MIN_PX, (CHART_CHROME_PX - 2.0) / 2.0);
    format!(
        ".charts {{ display:grid; grid-template-columns:repeat(auto-fill,minmax({min}px,{max}px)); gap:16px; overflow-x:auto; }}\n\
         figure.chart {{ margin:0; border:1px solid var(--line); border-radius:6px; padding:{pad}px; background:#fff; min-width:{min}px; max-width:{max}px; }}\n"
    )
}

/// The width the page's content has at most (`main`'s width less its padding): what
/// narrow tables are laid out across.
const CONTENT_PX: f64 = 1240.0 - 2.0 * 28.0;
/// The gap between the column groups of a narrow table.
const GROUP_GAP_PX: f64 = 28.0;

const STYLE: &str = r#"
:root { --fg:#1d2330; --muted:#5b6472; --line:#d9dde3; --bg:#ffffff; --panel:#f6f7f9;
        --good:#1a9850; --bad:#d73027; --warn:#c77c02; --accent:#0072b2; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
       color:var(--fg); background:var(--bg); }
main { max-width:1240px; margin:0 auto; padding:24px 28px 60px; }
h1 { font-size:24px; margin:0 0 4px; }
h2 { font-size:19px; margin:36px 0 12px; padding-bottom:6px; border-bottom:1px solid var(--line); }
.meta { color:var(--muted); font-size:13px; margin:0; overflow-wrap:anywhere; }
.cards { display:grid; grid-template-columns:repeat(auto-fill,minmax(210px,1fr)); gap:12px; margin:20px 0 8px; }
.card { background:var(--panel); border:1px solid var(--line); border-left:5px solid var(--accent);
        border-radius:6px; padding:10px 14px; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .value { font-size:22px; font-weight:600; margin-top:2px; overflow-wrap:anywhere; }
.card .detail { color:var(--muted); font-size:13px; overflow-wrap:anywhere; }
.card.good { border-left-color:var(--good); } .card.good .value { color:var(--good); }
.card.bad { border-left-color:var(--bad); } .card.bad .value { color:var(--bad); }
.card.warn { border-left-color:var(--warn); } .card.warn .value { color:var(--warn); }
.warning { background:#fff4e0; border:1px solid #f0c36d; border-radius:6px; padding:8px 12px; margin:10px 0; }
.table-wrap { overflow-x:auto; margin:8px 0 16px; }
.table-groups { display:grid; gap:0 28px; align-items:start; }
.table-groups table { width:100%; }
.table-wrap > .caption { font-weight:600; padding:4px 0 6px; }
table { border-collapse:collapse; font-size:13.5px; font-variant-numeric:tabular-nums; }
caption { text-align:left; font-weight:600; padding:4px 0 6px; }
th, td { padding:5px 10px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
th { background:var(--panel); font-weight:600; }
th.l, td.l { text-align:left; }
td.l { white-space:normal; max-width:760px; overflow-wrap:anywhere; }
tbody tr:nth-child(even) { background:#fafbfc; }
td.good { color:var(--good); font-weight:600; } td.bad { color:var(--bad); font-weight:600; }
td.warn { color:var(--warn); font-weight:600; }
figure.chart svg { width:100%; height:auto; display:block; }
figure.chart figcaption { color:var(--muted); font-size:12px; padding:2px 6px; }
pre.template { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:10px 14px;
               margin:8px 12px 8px 0; display:inline-block; vertical-align:top; font-size:13px; }
footer { color:var(--muted); font-size:12px; margin-top:40px; }
@media print { .charts { grid-template-columns:1fr; } figure.chart { break-inside:avoid; min-width:0; } }
"#;

fn tone_class(t: Tone) -> &'static str {
    match t {
        Tone::Neutral => "",
        Tone::Good => "good",
        Tone::Bad => "bad",
        Tone::Warn => "warn",
    }
}

/// About how wide `t` is in the page, px: 13.5 px text in padded cells, text columns
/// capped where they wrap.
fn table_width(t: &Table) -> f64 {
    (0..t.head.len())
        .map(|i| {
            let chars = t
                .rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.text.chars().count())
                .chain(std::iter::once(t.head[i].chars().count()))
                .max()
                .unwrap_or(0);
            let w = chars as f64 * 7.6;
            20.0 + if t.is_left(i) && i > 0 {
                w.min(760.0)
            } else {
                w
            }
        })
        .sum()
}

/// How many side-by-side groups a table's rows are laid out in: a table narrower than
/// half the page would leave the rest empty, so its rows go into as many groups of at
/// least 3 as fit across (a key-value table reads the same in columns).
fn groups(t: &Table) -> usize {
    let fit = ((CONTENT_PX + GROUP_GAP_PX) / (table_width(t) + GROUP_GAP_PX)).floor() as usize;
    fit.min(t.rows.len() / 3).max(1)
}

fn table(out: &mut String, caption: Option<&str>, t: &Table) {
    out.push_str("<div class=\"table-wrap\">");
    let k = groups(t);
    if k == 1 {
        table_element(out, caption, t, &t.rows);
    } else {
        if let Some(c) = caption {
            let _ = write!(out, "<div class=\"caption\">{}</div>", escape(c));
        }
        // Equal columns across the page, none narrower than its content.
        let _ = write!(
            out,
            "<div class=\"table-groups\" style=\"grid-template-columns:repeat({k},minmax(max-content,1fr))\">"
        );
        for rows in t.rows.chunks(t.rows.len().div_ceil(k)) {
            table_element(out, None, t, rows);
        }
        out.push_str("</div>");
    }
    out.push_str("</div>\n");
}

/// One `<table>` with `t`'s head and `rows`.
fn table_element(out: &mut String, caption: Option<&str>, t: &Table, rows: &[Vec<Cell>]) {
    out.push_str("<table>");
    if let Some(c) = caption {
        let _ = write!(out, "<caption>{}</caption>", escape(c));
    }
    out.push_str("<thead><tr>");
    for (i, h) in t.head.iter().enumerate() {
        let class = if t.is_left(i) { " class=\"l\"" } else { "" };
        let _ = write!(out, "<th{class}>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (i, Cell { text, tone }) in row.iter().enumerate() {
            let mut classes = Vec::new();
            if t.is_left(i) {
                classes.push("l");
            }
            if *tone != Tone::Neutral {
                classes.push(tone_class(*tone));
            }
            if classes.is_empty() {
                let _ = write!(out, "<td>{}</td>", escape(text));
            } else {
                let _ = write!(
                    out,
                    "<td class=\"{}\">{}</td>",
                    classes.join(" "),
                    escape(text)
                );
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// Renders `doc`; `svgs` holds each chart's SVG document by chart id (from
/// [`crate::draw::svg`]). A chart without an SVG is listed as missing rather than dropped.
pub fn render(doc: &Document, svgs: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(64 * 1024 + svgs.values().map(String::len).sum::<usize>());
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(out, "<title>{}</title>", escape(&doc.title));
    let _ = writeln!(
        out,
        "<style>{STYLE}{}</style></head><body><main>",
        chart_style()
    );
    let _ = writeln!(out, "<h1>{}</h1>", escape(&doc.title));
    for m in &doc.meta {
        let _ = writeln!(out, "<p class=\"meta\">{}</p>", escape(m));
    }
    if !doc.cards.is_empty() {
        out.push_str("<section class=\"cards\">");
        for c in &doc.cards {
            let class = tone_class(c.tone);
            let _ = write!(
                out,
                "<div class=\"card {class}\"><div class=\"label\">{}</div><div class=\"value\">{}</div>",
                escape(&c.label),
                escape(&c.value)
            );
            if let Some(d) = &c.detail {
                let _ = write!(out, "<div class=\"detail\">{}</div>", escape(d));
            }
            out.push_str("</div>");
        }
        out.push_str("</section>\n");
    }
    for w in &doc.warnings {
        let _ = writeln!(out, "<div class=\"warning\">{}</div>", escape(w));
    }
    for s in &doc.sections {
        let _ = writeln!(out, "<section><h2>{}</h2>", escape(&s.heading));
        let mut in_templates = false;
        for b in &s.blocks {
            let template = matches!(b, Block::Template(_));
            if in_templates && !template {
                out.push_str("</div>");
                in_templates = false;
            }
            match b {
                Block::Text(t) => {
                    let _ = writeln!(out, "<p>{}</p>", escape(t));
                }
                Block::Table(caption, t) => table(&mut out, caption.as_deref(), t),
                Block::Charts(charts) => {
                    out.push_str("<div class=\"charts\">");
                    for c in charts {
                        let _ = write!(
                            out,
                            "<figure class=\"chart\" id=\"chart-{id}\" data-chart=\"{id}\">",
                            id = escape(&c.id)
                        );
                        match svgs.get(&c.id) {
                            Some(svg) => out.push_str(svg),
                            None => out.push_str("<p>(chart not rendered)</p>"),
                        }
                        let _ = write!(
                            out,
                            "<figcaption>{} — plots/{}.svg, plots/{}.png</figcaption></figure>",
                            escape(&c.title),
                            escape(&c.id),
                            escape(&c.id)
                        );
                    }
                    out.push_str("</div>\n");
                }
                Block::Template(lines) => {
                    if !in_templates {
                        out.push_str("<div class=\"templates\">");
                        in_templates = true;
                    }
                    out.push_str("<pre class=\"template\">");
                    for (k, v) in lines {
                        let _ = writeln!(out, "{}: {}", escape(k), escape(v));
                    }
                    out.push_str("</pre>");
                }
            }
        }
        if in_templates {
            out.push_str("</div>");
        }
        out.push_str("</section>\n");
    }
    let _ = writeln!(
        out,
        "<footer>Generated by headroom {}. Definitions of every metric: the README's “Definitions”.</footer>",
        escape(env!("CARGO_PKG_VERSION"))
    );
    out.push_str("</main></body></html>\n");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::document::{Card, Section};

    #[test]
    fn every_string_is_escaped() {
        let evil = "<script>alert('x')</script> & \"q\"";
        let mut t = Table::new([evil, "n"]);
        t.row([evil, "1"]);
        let mut s = Section::new(evil);
        s.push(Block::Text(evil.into()))
            .push(Block::Table(Some(evil.into()), t))
            .push(Block::Template(vec![(evil.into(), evil.into())]));
        let doc = Document {
            title: evil.into(),
            meta: vec![evil.into()],
            cards: vec![Card::new(evil, evil).detail(evil)],
            warnings: vec![evil.into()],
            sections: vec![s],
        };
        let html = render(&doc, &HashMap::new());
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("alert('x')"));
        assert_eq!(html.matches("&lt;script&gt;alert(&#39;x&#39;)").count(), 14);
    }

    /// The font sizes of an SVG's text, px.
    fn font_sizes(svg: &str) -> Vec<f64> {
        svg.split("font-size=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next()?.parse().ok())
            .collect()
    }

    #[test]
    fn chart_text_reads_at_11_px_or_more_however_narrow_the_chart() {
        // Regression: charts drawn 960 px wide were shown ~570 px wide, so their text
        // read at about 8 px at 100 % zoom.
        use crate::chart::{Chart, ChartAxis, DataPoint, Mark, Orientation, Rule, Series};
        let points = (1..=5)
            .map(|i| DataPoint {
                label: Some(format!("c{}", i * 5)),
                ..DataPoint::new(f64::from(i * 5), f64::from(i))
            })
            .collect();
        let chart = Chart {
            id: "t".into(),
            title: "Title".into(),
            x: ChartAxis::new("Concurrent users"),
            y: ChartAxis::new("Latency (s)"),
            series: vec![Series::new("P95", Mark::LinePoints, points, 0)],
            rules: vec![Rule {
                orientation: Orientation::Horizontal,
                value: 3.5,
                label: "SLO".into(),
            }],
        };
        let svg = crate::draw::svg(&chart).unwrap();
        let sizes = font_sizes(&svg);
        assert!(sizes.len() >= 15, "{sizes:?}");
        let smallest = sizes.iter().copied().fold(f64::INFINITY, f64::min);
        let scale = (CHART_MIN_PX - CHART_CHROME_PX) / f64::from(crate::draw::WIDTH);
        assert!(
            smallest * scale >= 11.0,
            "smallest text {smallest} px reads at {} px",
            smallest * scale
        );
        // The page lays charts out as the constants say.
        let css = chart_style();
        assert!(css.contains("minmax(780px,974px)"), "{css}");
        assert!(
            css.contains("padding:6px") && css.contains("min-width:780px"),
            "{css}"
        );
    }

    #[test]
    fn narrow_tables_fill_the_width_in_groups_of_rows() {
        // Regression: a two-column table of nine rows left most of the page empty.
        let mut narrow = Table::new(["Quantity", "Value"]);
        for i in 0..9 {
            narrow.row([format!("Quantity {i}"), i.to_string()]);
        }
        let mut s = Section::new("S");
        s.push(Block::Table(Some("Throughput".into()), narrow.clone()));
        let doc = Document {
            sections: vec![s],
            ..Document::default()
        };
        let html = render(&doc, &HashMap::new());
        assert_eq!(html.matches("<table>").count(), 3, "{html}");
        assert_eq!(html.matches("<div class=\"caption\">Throughput").count(), 1);
        // Every row once, in order.
        let rows: Vec<usize> = (0..9)
            .map(|i| html.find(&format!("Quantity {i}<")).unwrap())
            .collect();
        assert!(rows.windows(2).all(|w| w[0] < w[1]));
        // Wide or short tables stay whole.
        let mut wide = Table::new((0..12).map(|i| format!("Column {i}")));
        for _ in 0..9 {
            wide.row((0..12).map(|i| format!("{i}.000")));
        }
        assert_eq!(groups(&wide), 1);
        narrow.rows.truncate(5);
        assert_eq!(groups(&narrow), 1);
    }
}
