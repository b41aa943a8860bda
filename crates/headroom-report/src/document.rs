//! A report as data: headline cards, notes, then sections of text, tables, charts and
//! seed 000's documentation template. [`crate::html`] and [`crate::markdown`] render the
//! same [`Document`], so the two reports never disagree.

use crate::chart::Chart;

/// How a value should read: good news, bad news, a warning or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    /// Neither.
    #[default]
    Neutral,
    /// Within target (PASS, faster).
    Good,
    /// Beyond target (FAIL, slower).
    Bad,
    /// Too close to call, partial results.
    Warn,
}

/// A headline number.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// What it is, e.g. `Capacity`.
    pub label: String,
    /// The value, e.g. `max 25 concurrent`.
    pub value: String,
    /// One line under it, e.g. `p95(e2e) ≤ 3.81 s`.
    pub detail: Option<String>,
    /// Its colour.
    pub tone: Tone,
}

impl Card {
    /// A neutral card.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Card {
            label: label.into(),
            value: value.into(),
            detail: None,
            tone: Tone::Neutral,
        }
    }

    /// With a detail line.
    pub fn detail(mut self, text: impl Into<String>) -> Self {
        self.detail = Some(text.into());
        self
    }

    /// With a tone.
    pub fn tone(mut self, tone: Tone) -> Self {
        self.tone = tone;
        self
    }
}

/// A table cell.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    /// The text.
    pub text: String,
    /// Its colour.
    pub tone: Tone,
}

impl<T: Into<String>> From<T> for Cell {
    fn from(t: T) -> Self {
        Cell {
            text: t.into(),
            tone: Tone::Neutral,
        }
    }
}

impl Cell {
    /// A coloured cell.
    pub fn toned(text: impl Into<String>, tone: Tone) -> Self {
        Cell {
            text: text.into(),
            tone,
        }
    }
}

/// A table: the first column is a label, the others are right-aligned numbers unless
/// `left` says otherwise.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column headings.
    pub head: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
    /// Columns (by index) that are text, aligned left; column 0 always is.
    pub left: Vec<usize>,
}

impl Table {
    /// A table with these headings.
    pub fn new<S: Into<String>>(head: impl IntoIterator<Item = S>) -> Self {
        Table {
            head: head.into_iter().map(Into::into).collect(),
            ..Table::default()
        }
    }

    /// Adds a row.
    pub fn row<C: Into<Cell>>(&mut self, cells: impl IntoIterator<Item = C>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// Whether column `i` is aligned left.
    pub fn is_left(&self, column: usize) -> bool {
        column == 0 || self.left.contains(&column)
    }
}

/// A block of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph.
    Text(String),
    /// A table with a caption.
    Table(Option<String>, Table),
    /// Charts, laid out side by side where there is room.
    Charts(Vec<Chart>),
    /// Seed 000's documentation template: `Key: value` lines, one block per level and run.
    Template(Vec<(String, String)>),
}

/// A section.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Its heading.
    pub heading: String,
    /// Its content.
    pub blocks: Vec<Block>,
}

impl Section {
    /// An empty section.
    pub fn new(heading: impl Into<String>) -> Self {
        Section {
            heading: heading.into(),
            blocks: Vec::new(),
        }
    }

    /// Adds a block.
    pub fn push(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }
}

/// A whole report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    /// The page title, e.g. `headroom capacity: Qwen/Qwen3-8B-AWQ`.
    pub title: String,
    /// Lines under the title: target, date, command.
    pub meta: Vec<String>,
    /// The answer first.
    pub cards: Vec<Card>,
    /// Warnings a reader must see (partial results, damaged journal lines).
    pub warnings: Vec<String>,
    /// The body.
    pub sections: Vec<Section>,
}

impl Document {
    /// Every chart, in order.
    pub fn charts(&self) -> impl Iterator<Item = &Chart> {
        self.sections
            .iter()
            .flat_map(|s| s.blocks.iter())
            .filter_map(|b| match b {
                Block::Charts(c) => Some(c.iter()),
                _ => None,
            })
            .flatten()
    }
}
