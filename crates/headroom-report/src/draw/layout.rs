//! The layout of one chart in pixels: the plot area and its scales, the ticks, and where
//! the legend goes (a corner free of data, or to the right of the plot).

use super::font::{AXIS_SIZE, TICK_SIZE, TITLE_SIZE, fit_text, text_size};
use super::geometry::{bar_rect, error_bar, path_points, polylines};
use super::labels::{Placed, point_labels, rule_labels};
use super::legend::{LegendAt, LegendEntry, legend_entries, legend_size};
use super::scale::{Scale, Tick, thin, tick_labels};
use super::{HEIGHT, WIDTH};
use crate::chart::{Chart, Mark, Orientation};

/// An axis-aligned box in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rect {
    pub(super) x0: f64,
    pub(super) y0: f64,
    pub(super) x1: f64,
    pub(super) y1: f64,
}

impl Rect {
    pub(super) fn intersects(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
    pub(super) fn contains(&self, (x, y): (f64, f64)) -> bool {
        x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1
    }
    pub(super) fn around((x, y): (f64, f64), r: f64) -> Rect {
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
pub(super) struct Frame {
    pub(super) area: Rect,
    pub(super) x: Scale,
    pub(super) y: Scale,
}

impl Frame {
    pub(super) fn px(&self, v: f64) -> f64 {
        self.area.x0 + self.x.frac(v) * (self.area.x1 - self.area.x0)
    }
    pub(super) fn py(&self, v: f64) -> f64 {
        self.area.y1 - self.y.frac(v) * (self.area.y1 - self.area.y0)
    }
    /// Pixel position of a data point, if both values can be placed.
    pub(super) fn at(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        (self.x.valid(x) && self.y.valid(y)).then(|| (self.px(x), self.py(y)))
    }
}

/// The ticks of both axes: labelled major ticks and unlabelled minor grid values.
pub(super) struct Axes {
    pub(super) x: Vec<Tick>,
    pub(super) y: Vec<Tick>,
    pub(super) x_minor: Vec<f64>,
    pub(super) y_minor: Vec<f64>,
}

/// The whole layout of one chart.
pub(super) struct Layout {
    pub(super) frame: Frame,
    pub(super) axes: Axes,
    pub(super) legend: Option<(LegendAt, Vec<LegendEntry>)>,
    /// Each rule's label, placed clear of the data where it can be.
    pub(super) rule_labels: Vec<Placed>,
    /// Each labelled point's label, placed clear of the data, the rules and each other.
    pub(super) point_labels: Vec<Placed>,
    pub(super) title: String,
    pub(super) x_title: String,
    pub(super) y_title: String,
}

pub(super) const W: f64 = WIDTH as f64;
pub(super) const H: f64 = HEIGHT as f64;
pub(super) const TICK_LEN: f64 = 5.0;

pub(super) fn layout(c: &Chart) -> Layout {
    let (xs, ys) = plotted_values(c);
    let xs_scale = Scale::fit(&c.x, &xs, 0.03);
    let ys_scale = Scale::fit(&c.y, &ys, 0.05);

    let title = fit_text(c.title.trim(), TITLE_SIZE, W - 24.0);
    let top = if title.is_empty() { 18.0 } else { 48.0 };
    let bottom = H - 64.0;

    // y ticks first: their labels set the left margin.
    let (y_ticks, y_minor) = y_axis(xs_scale, ys_scale, top, bottom);
    let y_label_w = y_ticks
        .iter()
        .map(|t| text_size(&t.label, TICK_SIZE).0)
        .fold(0.0, f64::max);
    let y_title_h = text_size("Ag", AXIS_SIZE).1;
    let left = (10.0 + y_title_h + 12.0 + y_label_w + TICK_LEN + 4.0).round();
    let plot = PlotBox {
        left,
        top,
        bottom,
        x: xs_scale,
        y: ys_scale,
    };

    let (frame, x_ticks, x_minor) = plot.x_axis((W - 24.0).round());
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
        rule_labels: Vec::new(),
        point_labels: Vec::new(),
        title,
        x_title,
        y_title,
    };
    place_legend(c, &plot, &mut out);
    // In the final frame: a legend put outside narrows the plot.
    let mut avoid = data_obstacles(c, &out.frame);
    out.rule_labels = rule_labels(c, &out.frame, &avoid);
    avoid.extend(out.rule_labels.iter().map(|(_, r, _)| *r));
    out.point_labels = point_labels(c, &out.frame, &avoid);
    out
}

/// The values the axes must show: every plottable point (with its error bar and, for
/// bars, their edges and base) and every rule.
fn plotted_values(c: &Chart) -> (Vec<f64>, Vec<f64>) {
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
    (xs, ys)
}

/// The y ticks (thinned so that labels do not touch) and minor grid values, for a plot
/// from `top` to `bottom`.
fn y_axis(x: Scale, y: Scale, top: f64, bottom: f64) -> (Vec<Tick>, Vec<f64>) {
    let (y_major, y_minor) = y.ticks(((bottom - top) / 55.0).round().max(2.0) as usize);
    // Only the vertical extent matters here: the left margin is not known yet.
    let y_frame = Frame {
        area: Rect {
            x0: 0.0,
            y0: top,
            x1: 1.0,
            y1: bottom,
        },
        x,
        y,
    };
    let y_labels = tick_labels(&y_major, y.log);
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
    (thin(y_ticks, 8.0), y_minor)
}

/// The plot area's fixed edges and scales; its right edge depends on where the legend
/// goes.
struct PlotBox {
    left: f64,
    top: f64,
    bottom: f64,
    x: Scale,
    y: Scale,
}

impl PlotBox {
    /// The frame with its right edge at `right`, and the x ticks that fit its width.
    fn x_axis(&self, right: f64) -> (Frame, Vec<Tick>, Vec<f64>) {
        let frame = Frame {
            area: Rect {
                x0: self.left,
                y0: self.top,
                x1: right,
                y1: self.bottom,
            },
            x: self.x,
            y: self.y,
        };
        let (x_major, x_minor) = self
            .x
            .ticks(((right - self.left) / 90.0).round().max(2.0) as usize);
        let x_labels = tick_labels(&x_major, self.x.log);
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
    }
}

/// Puts the legend in the emptiest corner inside the plot, or to the right of the plot
/// (narrowing it) when no corner is empty.
fn place_legend(c: &Chart, plot: &PlotBox, out: &mut Layout) {
    let entries = legend_entries(c);
    if entries.is_empty() {
        return;
    }
    let (lw, lh) = legend_size(&entries);
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
            let (frame, x_ticks, x_minor) = plot.x_axis(right);
            out.frame = frame;
            out.axes.x = x_ticks;
            out.axes.x_minor = x_minor;
            let r = Rect {
                x0: right + 16.0,
                y0: plot.top,
                x1: right + 16.0 + lw,
                y1: plot.top + lh,
            };
            out.legend = Some((LegendAt::Outside(r), entries));
        }
    }
}

/// Boxes around everything drawn inside the plot that a legend must not cover: the
/// data and the rules ([`data_obstacles`]), rule labels and point labels.
pub(super) fn obstacles(c: &Chart, f: &Frame) -> Vec<Rect> {
    let mut out = label_obstacles(c, f);
    out.extend(point_labels(c, f, &out).into_iter().map(|(_, r, _)| r));
    out
}

/// What a point label must not cover: the data, the rules and their labels.
fn label_obstacles(c: &Chart, f: &Frame) -> Vec<Rect> {
    let mut out = data_obstacles(c, f);
    let rules = rule_labels(c, f, &out);
    out.extend(rules.into_iter().map(|(_, r, _)| r));
    out
}

/// Boxes around the data drawn inside the plot (samples along lines, markers, bars,
/// error bars) and the rules' lines.
pub(super) fn data_obstacles(c: &Chart, f: &Frame) -> Vec<Rect> {
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
        }
    }
    let a = f.area;
    for r in &c.rules {
        match r.orientation {
            Orientation::Horizontal if f.y.valid(r.value) => {
                let y = f.py(r.value);
                out.push(Rect {
                    x0: a.x0,
                    y0: y - 1.5,
                    x1: a.x1,
                    y1: y + 1.5,
                });
            }
            Orientation::Vertical if f.x.valid(r.value) => {
                let x = f.px(r.value);
                out.push(Rect {
                    x0: x - 1.5,
                    y0: a.y0,
                    x1: x + 1.5,
                    y1: a.y1,
                });
            }
            _ => {}
        }
    }
    out
}
