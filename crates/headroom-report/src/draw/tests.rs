//! Tests of drawing: both formats, text, escaping, ranges and ticks, the legend, labels.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::canvas::hex;
use super::labels::{LABEL_DY, point_label_box};
use super::layout::{H, Rect, W, data_obstacles, layout, obstacles};
use super::legend::{LEGEND_MAX_ROWS, LEGEND_MAX_W, LegendAt, legend_entries};
use super::scale::{Scale, linear_ticks, log_ticks, tick_labels};
use super::*;
use crate::chart::{
    self, Chart, ChartAxis, DataPoint, Mark, Orientation, PointStatus, Rule, Series,
};

fn chart(title: &str, x: ChartAxis, y: ChartAxis, series: Vec<Series>) -> Chart {
    Chart {
        id: "test".into(),
        title: title.into(),
        x,
        y,
        series,
        rules: Vec::new(),
    }
}

fn line(n: usize, f: impl Fn(f64) -> f64) -> Vec<DataPoint> {
    (0..n)
        .map(|i| {
            let x = i as f64;
            DataPoint::new(x, f(x))
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
            ChartAxis::new("Concurrency"),
            ChartAxis::new("Throughput (req/s)"),
            vec![Series::new(
                format!("series {i}"),
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
        ChartAxis::new("Concurrency"),
        ChartAxis::new("Output tokens/s"),
        vec![
            Series::new("vllm-a", Mark::LinePoints, line(8, |x| x * 10.0), 0),
            Series::new("vllm-b", Mark::Line, line(8, |x| x * 12.0), 1),
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
        ChartAxis::new(evil),
        ChartAxis::new("y <&> 'q'"),
        vec![Series::new(
            evil,
            Mark::Points,
            vec![DataPoint::new(1.0, 1.0)],
            0,
        )],
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
            ChartAxis::new("x"),
            ChartAxis::new("y"),
            vec![Series::new("empty", Mark::Line, vec![], 0)],
        );
        c.x.log = xlog;
        c.y.log = ylog;
        let t = texts(&svg(&c).unwrap());
        assert!(t.iter().any(|s| s == "no data"), "{t:?}");
        assert!(t.iter().any(|s| s == "x") && t.iter().any(|s| s == "y"));
        assert_eq!(png_size(&png(&c).unwrap()), (WIDTH, HEIGHT));
    }
    let bare = chart("", ChartAxis::default(), ChartAxis::default(), vec![]);
    assert!(texts(&svg(&bare).unwrap()).iter().any(|s| s == "no data"));
    png(&bare).unwrap();
}

#[test]
fn one_point_and_non_finite_values() {
    let c = chart(
        "One",
        ChartAxis::new("x"),
        ChartAxis::new("y"),
        vec![Series::new(
            "one",
            Mark::LinePoints,
            vec![DataPoint::new(5.0, 3.0)],
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
            ChartAxis::new("x"),
            ChartAxis::new("y"),
            vec![Series::new("holes", mark, pts.clone(), 2)],
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
        ChartAxis::new("x"),
        ChartAxis::new("y"),
        vec![Series::new(
            "nan",
            Mark::Line,
            vec![DataPoint::new(f64::NAN, f64::NAN); 3],
            0,
        )],
    );
    assert!(texts(&svg(&nan).unwrap()).iter().any(|s| s == "no data"));
}

#[test]
fn log_axis_ticks_are_decades() {
    let mut c = chart(
        "Latency CDF",
        ChartAxis::new("Latency (s)"),
        ChartAxis::new("Fraction of requests"),
        vec![Series::new(
            "run",
            Mark::Step,
            (0..200)
                .map(|i| DataPoint::new(0.01 * 1.05f64.powi(i), f64::from(i) / 199.0))
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
                PointStatus::Pass,
                PointStatus::Pass,
                PointStatus::Inconclusive,
                PointStatus::Fail,
                PointStatus::Fail,
            ][i],
        );
        p.lo = Some(p.y * 0.9);
        p.hi = Some(p.y * 1.1);
        p.label = Some(format!("c{}", 5 * (i + 1)));
    }
    let mut c = chart(
        "Capacity",
        ChartAxis::new("Concurrency"),
        ChartAxis::new("p95 e2e latency (s)"),
        vec![Series::new("p95(e2e)", Mark::Points, pts, 0)],
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
        "INCONCLUSIVE",
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
    for st in [
        PointStatus::Pass,
        PointStatus::Inconclusive,
        PointStatus::Fail,
    ] {
        assert!(has_color(&rgb, chart::status_color(st)), "{st:?}");
    }
    // No status, no status legend.
    let plain = chart(
        "Plain",
        ChartAxis::new("x"),
        ChartAxis::new("y"),
        vec![Series::new("s", Mark::Points, line(3, |x| x), 0)],
    );
    assert!(!texts(&svg(&plain).unwrap()).iter().any(|s| s == "PASS"));
}

#[test]
fn unnamed_series_have_no_legend() {
    let c = chart(
        "Unnamed",
        ChartAxis::new("x"),
        ChartAxis::new("y"),
        vec![Series::new(" ", Mark::Line, line(3, |x| x), 0)],
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
    let a = ChartAxis::new("a");
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
    let fixed = ChartAxis {
        min: Some(1.0),
        max: Some(2.0),
        ..ChartAxis::new("f")
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
        ChartAxis::new(&long),
        ChartAxis::new(&long),
        vec![Series::new(&long, Mark::Line, line(3, |x| x), 0)],
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
        .map(|i| Series::new(format!("s{i}"), Mark::Line, line(3, |x| x + i as f64), i))
        .collect();
    let c = chart("Many", ChartAxis::new("x"), ChartAxis::new("y"), many);
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

#[test]
fn point_labels_keep_clear_of_each_other_the_data_and_the_rules() {
    // Regression: the labels of a capacity search's levels collided with each other and
    // crossed the curve and the SLO line.
    let pts = (0..10)
        .map(|i| {
            let x = 600.0 + 30.0 * (1.0 - 0.8f64.powi(i));
            DataPoint {
                label: Some(format!("c{}", 5 * (i + 1))),
                ..DataPoint::new(x, 1.0 + 0.3 * f64::from(i))
            }
        })
        .collect();
    let mut c = chart(
        "Latency versus throughput",
        ChartAxis::new("Output tokens per second (tok/s)"),
        ChartAxis::new("P95 request latency (s)"),
        vec![Series::new("P95", Mark::LinePoints, pts, 1)],
    );
    c.rules.push(Rule {
        orientation: Orientation::Horizontal,
        value: 2.2,
        label: "SLO p95(e2e) <= 2.2 s".into(),
    });
    let l = layout(&c);
    assert_eq!(l.point_labels.len(), 10);
    let data = data_obstacles(&c, &l.frame);
    for (i, (text, r, _)) in l.point_labels.iter().enumerate() {
        assert!(l.frame.area.contains((r.x0, r.y0)) && l.frame.area.contains((r.x1, r.y1)));
        for (other, o, _) in l.point_labels.iter().skip(i + 1) {
            assert!(!r.intersects(o), "{text} covers {other}");
        }
        for (rule, o, _) in &l.rule_labels {
            assert!(!r.intersects(o), "{text} covers {rule}");
        }
        assert!(
            data.iter().all(|d| !d.intersects(r)),
            "{text} covers the data"
        );
    }
    let t = texts(&svg(&c).unwrap());
    assert!(t.iter().any(|s| s == "c50"), "{t:?}");
}

#[test]
fn a_long_legend_entry_wraps_instead_of_being_cut() {
    // Regression: "Goodput (req/s meeting every SLO)" was cut to "Goodput (req/s
    // meeting every…" in the legend of capacity charts.
    let name = "Goodput (req/s meeting every SLO) at each level of the search";
    let c = chart(
        "Requests",
        ChartAxis::new("x"),
        ChartAxis::new("y"),
        vec![Series::new(name, Mark::LinePoints, line(5, |x| x), 2)],
    );
    let entries = legend_entries(&c);
    assert_eq!(entries[0].lines.len(), 2, "{:?}", entries[0].lines);
    assert_eq!(entries[0].lines.join(" "), name);
    let t = texts(&svg(&c).unwrap());
    assert!(!t.iter().any(|s| s.contains('…')), "{t:?}");
}

// --- samples (run with `-- --ignored`, written to /tmp/plot-samples) ---

fn sample_histogram() -> Chart {
    // A lognormal-ish latency histogram.
    let pts = (0..40)
        .map(|i| {
            let x = 0.05 + 0.1 * f64::from(i);
            let y = 1800.0 * (-(x.ln() - 0.3).powi(2) / 0.3).exp() / x;
            DataPoint::new(x, y.round())
        })
        .collect();
    chart(
        "Request latency distribution",
        ChartAxis::new("Request latency (s)"),
        ChartAxis::new("Requests"),
        vec![Series::new(
            "vllm-a, concurrency 32",
            Mark::Bars { width: 0.1 },
            pts,
            0,
        )],
    )
}

fn sample_cdf() -> Chart {
    let cdf = |scale: f64, spread: f64| -> Vec<DataPoint> {
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
            .map(|(i, &x)| DataPoint::new(x, (i + 1) as f64 / f64::from(n)))
            .collect()
    };
    let mut c = chart(
        "Time to first token: CDF",
        ChartAxis {
            log: true,
            ..ChartAxis::new("Time to first token (s)")
        },
        ChartAxis::new("Fraction of requests"),
        vec![
            Series::new("vllm-a (c=8)", Mark::Step, cdf(0.08, 0.35), 0),
            Series::new("vllm-b (c=8)", Mark::Step, cdf(0.2, 0.5), 1),
            Series::new("sglang (c=8)", Mark::Step, cdf(0.5, 0.4), 2),
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
            DataPoint::new(c, 0.9 + 0.02 * c + 0.0009 * c * c)
        })
        .collect::<Vec<_>>();
    let p99 = p95
        .iter()
        .map(|p| DataPoint::new(p.x, p.y * 1.35 + 0.1))
        .collect();
    let mut c = chart(
        "Sweep: request latency by concurrency",
        ChartAxis::new("Concurrency (requests in flight)"),
        ChartAxis::new("Request latency (s)"),
        vec![
            Series::new("vllm-a P95", Mark::LinePoints, p95, 0),
            Series::new("vllm-a P99", Mark::LinePoints, p99, 0),
        ],
    );
    c.series[1].dashed = true;
    c
}

fn sample_envelope() -> Chart {
    let levels = [
        (5.0, 1.9, PointStatus::Pass),
        (10.0, 2.4, PointStatus::Pass),
        (15.0, 3.1, PointStatus::Pass),
        (20.0, 3.75, PointStatus::Inconclusive),
        (25.0, 4.6, PointStatus::Fail),
        (30.0, 5.8, PointStatus::Fail),
    ];
    let pts = levels
        .iter()
        .map(|&(c, y, st)| DataPoint {
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
        ChartAxis::new("Concurrency"),
        ChartAxis::new("p95 request latency (s)"),
        vec![Series::new("p95(e2e) with 95% CI", Mark::Points, pts, 0)],
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
            DataPoint::new(x, 50.0 + 30.0 * (x * 0.7).sin() + 10.0 * (x * 5.3).cos())
        })
        .collect();
    let pts2 = (0..2000)
        .map(|i| {
            let x = f64::from(i) * 0.01;
            DataPoint::new(x, 60.0 + 25.0 * (x * 0.4).cos())
        })
        .collect();
    let mut c = chart(
        "2,000 points",
        ChartAxis::new("Time (s)"),
        ChartAxis::new("Tokens/s"),
        vec![
            Series::new("throughput", Mark::Line, pts, 0),
            Series::new("smoothed", Mark::Line, pts2, 5),
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
                DataPoint::new(
                    (t * 0.618).fract() * 100.0,
                    (t * 0.377).fract() * 50.0 + 1.0,
                )
            })
            .collect();
        series_list.push(Series::new(
            format!("deployment-{k} of a model with a rather long name, run {k}"),
            Mark::Points,
            pts,
            k as usize,
        ));
    }
    chart(
        "Scatter everywhere",
        ChartAxis::new("Prompt tokens"),
        ChartAxis::new("Time to first token (ms)"),
        series_list,
    )
}

fn sample_log_y() -> Chart {
    let pts = (0..30)
        .map(|i| DataPoint::new(f64::from(i) * 1500.0, 3.0 * 1.6f64.powi(i)))
        .collect();
    let mut c = chart(
        "Log y, big numbers",
        ChartAxis::new("Input tokens"),
        ChartAxis {
            log: true,
            ..ChartAxis::new("Output tokens")
        },
        vec![Series::new("growth", Mark::Line, pts, 3)],
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
    let mut empty = chart(
        "Empty chart",
        ChartAxis::new("x (s)"),
        ChartAxis::new("y"),
        vec![],
    );
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
                ChartAxis::new("Concurrency"),
                ChartAxis::new("Requests/s"),
                vec![Series::new(
                    "only",
                    Mark::LinePoints,
                    vec![DataPoint {
                        label: Some("c8".into()),
                        ..DataPoint::new(8.0, 1234.5)
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
