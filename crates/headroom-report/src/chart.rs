//! Charts as data: what to draw, independent of how. [`crate::draw::svg`] and
//! [`crate::draw::png`] draw the same [`Chart`], so the HTML report (inline SVG) and
//! `plots/` (SVG and PNG files) show the same pictures.
//!
//! Text in PNGs is drawn with a font bundled in the binary (DejaVu Sans), so plots render
//! the same on a machine without any system fonts.

/// One chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem in `plots/` and the HTML element id, e.g. `e2e-cdf`. Lowercase ASCII
    /// letters, digits and `-` only.
    pub id: String,
    /// The title drawn above the plot.
    pub title: String,
    /// The horizontal axis.
    pub x: ChartAxis,
    /// The vertical axis.
    pub y: ChartAxis,
    /// What is plotted, drawn in order; each named series gets a legend entry.
    pub series: Vec<Series>,
    /// Reference lines (an SLO limit, a chosen level), drawn dashed with their label.
    pub rules: Vec<Rule>,
}

/// An axis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChartAxis {
    /// The axis title with its unit, e.g. `Request latency (s)`.
    pub label: String,
    /// Logarithmic scale (values must be > 0).
    pub log: bool,
    /// Lower end; `None` fits the data (0 for linear axes whose data are all ≥ 0).
    pub min: Option<f64>,
    /// Upper end; `None` fits the data with a small margin.
    pub max: Option<f64>,
}

impl ChartAxis {
    /// A linear axis with this title.
    pub fn new(label: impl Into<String>) -> Self {
        ChartAxis {
            label: label.into(),
            ..ChartAxis::default()
        }
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    /// Straight segments between points.
    Line,
    /// A staircase (empirical CDFs): horizontal then vertical.
    Step,
    /// Points only.
    Points,
    /// Segments with a dot at each point (sweep curves).
    LinePoints,
    /// Vertical bars centred on each x, `width` in x units (histograms).
    Bars {
        /// Bar width in x units.
        width: f64,
    },
}

/// A PASS / FAIL / INCONCLUSIVE mark on a point (capacity envelopes): the point is drawn in
/// green, red or amber whatever the series colour, and the legend explains the colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointStatus {
    /// Within the SLO.
    Pass,
    /// Beyond the SLO.
    Fail,
    /// Too close to call.
    Inconclusive,
}

/// One data point.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataPoint {
    /// x value.
    pub x: f64,
    /// y value.
    pub y: f64,
    /// Error bar (a confidence interval of y): low end.
    pub lo: Option<f64>,
    /// Error bar: high end.
    pub hi: Option<f64>,
    /// Short text drawn next to the point, e.g. the level `c25`.
    pub label: Option<String>,
    /// Pass/fail colouring.
    pub status: Option<PointStatus>,
}

impl DataPoint {
    /// A plain point.
    pub fn new(x: f64, y: f64) -> Self {
        DataPoint {
            x,
            y,
            ..DataPoint::default()
        }
    }
}

/// A named sequence of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend entry; may come from a server or dataset (escaped when drawn).
    pub name: String,
    /// How it is drawn.
    pub mark: Mark,
    /// The points, in x order for lines and steps.
    pub points: Vec<DataPoint>,
    /// Palette index: series with the same index share a colour (a result drawn in
    /// several charts of a comparison keeps its colour).
    pub color: usize,
    /// Drawn dashed (a second statistic of the same result, e.g. P99 beside P95).
    pub dashed: bool,
}

impl Series {
    /// A solid series named `name`, drawn as `mark` in palette colour `color`.
    pub fn new(name: impl Into<String>, mark: Mark, points: Vec<DataPoint>, color: usize) -> Self {
        Series {
            name: name.into(),
            mark,
            points,
            color,
            dashed: false,
        }
    }

    /// The same series, dashed.
    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }
}

/// Orientation of a reference line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// y = value.
    Horizontal,
    /// x = value.
    Vertical,
}

/// A reference line.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Which way it runs.
    pub orientation: Orientation,
    /// Where, in axis units.
    pub value: f64,
    /// Its label, e.g. `SLO p95(e2e) ≤ 3.81 s`.
    pub label: String,
}

/// The colour of palette index `i` as `#rrggbb` (Okabe–Ito, distinguishable with colour
/// blindness), repeating after 8.
pub fn color(index: usize) -> &'static str {
    const PALETTE: [&str; 8] = [
        "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
    ];
    PALETTE[index % PALETTE.len()]
}

/// The colour of a status: green, red, amber.
pub fn status_color(status: PointStatus) -> &'static str {
    match status {
        PointStatus::Pass => "#1a9850",
        PointStatus::Fail => "#d73027",
        PointStatus::Inconclusive => "#f39c12",
    }
}
