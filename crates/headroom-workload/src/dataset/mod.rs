//! Prompts read from a dataset file: ShareGPT, JSONL or CSV.
//!
//! [`load`] reads a file named by a [`DatasetRef`], counts every prompt's tokens with the
//! run's [`TokenCounter`] (in parallel: a large ShareGPT file is mostly counting), drops
//! what does not fit a [`LengthFilter`], and returns a [`Dataset`]. A [`DatasetSource`]
//! then turns the dataset into requests, in file order, in a seeded random order, or at
//! random with replacement ([`Sampling`]).
//!
//! Reading is split by format (`sharegpt.rs`, `jsonl.rs`, `csv.rs`: each parses the file
//! into candidate entries); counting, filtering and the types are here; turning a dataset
//! into requests is `source.rs`.

mod csv;
mod jsonl;
mod sharegpt;
mod source;

pub use source::{DatasetSource, Sampling, SamplingError};

use headroom_core::{Prompt, TokenCounter};
use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// How a dataset file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatasetFormat {
    /// A JSON array of `{"conversations": [{"from": "human", "value": ...}, {"from":
    /// "gpt", ...}, ...]}` objects, as in vLLM's `ShareGPT_V3_unfiltered_cleaned_split.json`.
    /// The prompt is the first human turn that a gpt turn answers; the answer's length
    /// is the entry's output length.
    ShareGpt,
    /// One JSON object per line with a `prompt` (or `text`) string or a `messages` array,
    /// and optionally `output_tokens` (or `max_tokens`).
    Jsonl,
    /// A CSV file with a header row, a `prompt` (or `text`) column and optionally an
    /// `output_tokens` (or `max_tokens`) column.
    Csv,
}

impl DatasetFormat {
    /// The name used on the command line (`sharegpt`, `jsonl`, `csv`).
    pub fn name(self) -> &'static str {
        match self {
            DatasetFormat::ShareGpt => "sharegpt",
            DatasetFormat::Jsonl => "jsonl",
            DatasetFormat::Csv => "csv",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "sharegpt" => Some(DatasetFormat::ShareGpt),
            "jsonl" => Some(DatasetFormat::Jsonl),
            "csv" => Some(DatasetFormat::Csv),
            _ => None,
        }
    }

    fn from_extension(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(DatasetFormat::ShareGpt),
            "jsonl" | "ndjson" => Some(DatasetFormat::Jsonl),
            "csv" => Some(DatasetFormat::Csv),
            _ => None,
        }
    }
}

impl fmt::Display for DatasetFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DatasetFormat {
    type Err = DatasetRefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DatasetFormat::from_name(s.trim())
            .ok_or_else(|| DatasetRefError::UnknownFormat(s.to_string()))
    }
}

/// A dataset file and its format.
///
/// Written `sharegpt:PATH`, `jsonl:PATH`, `csv:PATH`, or a bare `PATH` whose extension
/// picks the format: `.json` is ShareGPT, `.jsonl` and `.ndjson` are JSONL, `.csv` is CSV.
/// [`Display`](fmt::Display) writes `format:path`, which parses back to the same value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DatasetRef {
    /// The file's layout.
    pub format: DatasetFormat,
    /// Where the file is.
    pub path: PathBuf,
}

const REF_FORMS: &str = "write sharegpt:PATH, jsonl:PATH or csv:PATH, or name a .json (ShareGPT), .jsonl/.ndjson (JSONL) or .csv file";

/// A dataset named in a way that cannot be read: no name, no file, or no format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatasetRefError {
    /// No format has that name.
    #[error("unknown dataset format {0:?} (expected sharegpt, jsonl or csv)")]
    UnknownFormat(String),
    /// Nothing was given.
    #[error("empty dataset name: {REF_FORMS}")]
    Empty,
    /// A format prefix without a file.
    #[error("dataset {0:?} names no file: {REF_FORMS}")]
    NoFile(String),
    /// A bare path whose extension names no format.
    #[error("cannot tell the format of dataset {0:?} from its extension: {REF_FORMS}")]
    NoFormat(String),
    /// A `FORMAT:PATH` whose format headroom does not read.
    #[error(
        "headroom does not read {format} datasets ({given:?}); the formats it reads are sharegpt:PATH, jsonl:PATH and csv:PATH"
    )]
    OtherFormat {
        /// The prefix given.
        format: String,
        /// As given.
        given: String,
    },
}

impl FromStr for DatasetRef {
    type Err = DatasetRefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Err(DatasetRefError::Empty);
        }
        if let Some((prefix, rest)) = s.split_once(':')
            && let Some(format) = DatasetFormat::from_name(prefix)
        {
            if rest.is_empty() {
                return Err(DatasetRefError::NoFile(s.to_string()));
            }
            return Ok(DatasetRef {
                format,
                path: PathBuf::from(rest),
            });
        }
        let path = PathBuf::from(s);
        match DatasetFormat::from_extension(&path) {
            Some(format) => Ok(DatasetRef { format, path }),
            // `parquet:x`: a prefix was given (a word of two letters or more, so not a
            // Windows drive), just not one headroom reads.
            None => match s.split_once(':') {
                Some((prefix, _))
                    if prefix.len() > 1 && prefix.chars().all(|c| c.is_ascii_alphanumeric()) =>
                {
                    Err(DatasetRefError::OtherFormat {
                        format: prefix.to_string(),
                        given: s.to_string(),
                    })
                }
                _ => Err(DatasetRefError::NoFormat(s.to_string())),
            },
        }
    }
}

impl fmt::Display for DatasetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.format, self.path.display())
    }
}

/// One usable prompt of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The prompt as the file gives it.
    pub prompt: Prompt,
    /// Prompt tokens by the counter given to [`load`] (for a chat, the sum over the
    /// messages' contents).
    pub input_tokens: u32,
    /// Output length the file gives: a ShareGPT answer's tokens, or a JSONL/CSV
    /// `output_tokens` value. `None` when the file says nothing.
    pub output_tokens: Option<u32>,
    /// Where the entry is: the 1-based line of a JSONL line or of the start of a CSV row;
    /// for ShareGPT, the entry's index in the top-level array (from 0).
    pub line: u64,
}

/// A loaded dataset: its usable entries and what was left out.
#[derive(Clone)]
pub struct Dataset {
    /// Usable entries, in file order. Never empty when returned by [`load`].
    pub entries: Vec<Entry>,
    /// The file read.
    pub path: PathBuf,
    /// Its format.
    pub format: DatasetFormat,
    /// Entries read: array elements (ShareGPT), non-blank lines (JSONL) or rows (CSV).
    pub read: usize,
    /// Entries that hold no usable prompt: an empty prompt, or a ShareGPT conversation
    /// with no human turn answered by a gpt turn.
    pub skipped: usize,
    /// Entries dropped by the [`LengthFilter`].
    pub filtered: usize,
}

impl fmt::Debug for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dataset")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("entries", &self.entries.len())
            .field("read", &self.read)
            .field("skipped", &self.skipped)
            .field("filtered", &self.filtered)
            .finish()
    }
}

/// Token-length bounds (inclusive) an entry must meet to be kept.
///
/// The output bounds apply only to entries whose output length is known (ShareGPT
/// answers, `output_tokens` in JSONL/CSV); the others pass them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LengthFilter {
    /// Fewest prompt tokens.
    pub min_input: Option<u32>,
    /// Most prompt tokens.
    pub max_input: Option<u32>,
    /// Fewest output tokens.
    pub min_output: Option<u32>,
    /// Most output tokens.
    pub max_output: Option<u32>,
}

impl LengthFilter {
    /// `true` when an entry with these lengths is kept.
    pub fn accepts(&self, input_tokens: u32, output_tokens: Option<u32>) -> bool {
        let within = |v: u32, min: Option<u32>, max: Option<u32>| {
            min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m)
        };
        within(input_tokens, self.min_input, self.max_input)
            && output_tokens.is_none_or(|o| within(o, self.min_output, self.max_output))
    }
}

/// Why a dataset could not be loaded. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The file could not be read.
    #[error("cannot read dataset {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line (JSONL), row (CSV) or place in the file (ShareGPT) is not what the format
    /// expects.
    #[error("{} line {line}{}: {message}", .path.display(), column_suffix(*.column))]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// 1-based column, where the JSON parser gives one.
        column: Option<u64>,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A ShareGPT entry has the wrong shape.
    #[error("{} entry {index} (line {line}, column {column}): {message}", .path.display())]
    Entry {
        /// The file.
        path: PathBuf,
        /// The entry's index in the top-level array (from 0).
        index: usize,
        /// 1-based line where the parser stopped.
        line: u64,
        /// 1-based column where the parser stopped.
        column: u64,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The file as a whole is not what the format expects (e.g. a CSV header without a
    /// prompt column).
    #[error("{}: {message}", .path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong and what was expected.
        message: String,
    },
    /// No entry is left to send.
    #[error(
        "{}: no usable prompts ({read} entries read, {skipped} skipped as unusable, {filtered} outside the length filter)",
        .path.display()
    )]
    Empty {
        /// The file.
        path: PathBuf,
        /// Entries read.
        read: usize,
        /// Entries without a usable prompt.
        skipped: usize,
        /// Entries dropped by the length filter.
        filtered: usize,
    },
}

fn column_suffix(column: Option<u64>) -> String {
    column.map_or_else(String::new, |c| format!(", column {c}"))
}

/// serde_json's message without its trailing " at line L column C".
pub(super) fn json_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match s.strip_suffix(&suffix) {
        Some(m) => m.to_string(),
        None => s,
    }
}

/// Reads a dataset, counts its prompts' tokens with `counter` and keeps the entries that
/// pass `filter`.
///
/// Errors when the file cannot be read or parsed (with the line, and the column where the
/// JSON parser gives one), and when no entry is left.
pub fn load(
    dataset: &DatasetRef,
    counter: &dyn TokenCounter,
    filter: &LengthFilter,
) -> Result<Dataset, DatasetError> {
    let path = dataset.path.as_path();
    let io = |source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    };
    match dataset.format {
        DatasetFormat::ShareGpt => {
            let bytes = std::fs::read(path).map_err(io)?;
            let parsed = sharegpt::parse(&bytes, path)?;
            finish(dataset, parsed, counter, filter)
        }
        DatasetFormat::Jsonl => {
            let file = std::fs::File::open(path).map_err(io)?;
            let parsed = jsonl::parse(std::io::BufReader::new(file), path)?;
            finish(dataset, parsed, counter, filter)
        }
        DatasetFormat::Csv => {
            let file = std::fs::File::open(path).map_err(io)?;
            let parsed = csv::parse(file, path)?;
            finish(dataset, parsed, counter, filter)
        }
    }
}

/// An entry before counting.
struct Candidate<'a> {
    prompt: Prompt,
    /// Text whose token count is the output length (a ShareGPT answer).
    completion: Option<Cow<'a, str>>,
    output_tokens: Option<u32>,
    line: u64,
}

/// What a format's parser found.
struct Parsed<'a> {
    candidates: Vec<Candidate<'a>>,
    read: usize,
    skipped: usize,
}

impl<'a> Parsed<'a> {
    fn new() -> Self {
        Parsed {
            candidates: Vec::new(),
            read: 0,
            skipped: 0,
        }
    }

    /// Keeps `c` unless its prompt is empty.
    fn push(&mut self, c: Candidate<'a>) {
        if is_blank(&c.prompt) {
            self.skipped += 1;
        } else {
            self.candidates.push(c);
        }
    }
}

fn is_blank(p: &Prompt) -> bool {
    match p {
        Prompt::Text(t) => t.trim().is_empty(),
        Prompt::Chat(m) => m.iter().all(|m| m.content.trim().is_empty()),
    }
}

fn count_prompt(counter: &dyn TokenCounter, p: &Prompt) -> u32 {
    match p {
        Prompt::Text(t) => counter.count(t),
        Prompt::Chat(m) => m
            .iter()
            .fold(0u32, |acc, m| acc.saturating_add(counter.count(&m.content))),
    }
}

/// Below this many items counting stays on the calling thread.
const PARALLEL_MIN: usize = 256;

/// `items.map(f)`, spread over the machine's cores.
fn par_map<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send + Clone + Default,
    F: Fn(&T) -> R + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if threads <= 1 || items.len() < PARALLEL_MIN {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let mut out = vec![R::default(); items.len()];
    let f = &f;
    std::thread::scope(|s| {
        for (ins, outs) in items.chunks(chunk).zip(out.chunks_mut(chunk)) {
            s.spawn(move || {
                for (i, o) in ins.iter().zip(outs) {
                    *o = f(i);
                }
            });
        }
    });
    out
}

/// Counts tokens, applies the filter, and builds the dataset.
fn finish(
    r: &DatasetRef,
    parsed: Parsed<'_>,
    counter: &dyn TokenCounter,
    filter: &LengthFilter,
) -> Result<Dataset, DatasetError> {
    let Parsed {
        candidates,
        read,
        skipped,
    } = parsed;
    let counts = par_map(&candidates, |c| {
        (
            count_prompt(counter, &c.prompt),
            c.completion.as_deref().map(|t| counter.count(t)),
        )
    });
    let mut filtered = 0;
    let mut entries = Vec::with_capacity(candidates.len());
    for (c, (input_tokens, completion_tokens)) in candidates.into_iter().zip(counts) {
        let output_tokens = completion_tokens.or(c.output_tokens);
        if filter.accepts(input_tokens, output_tokens) {
            entries.push(Entry {
                prompt: c.prompt,
                input_tokens,
                output_tokens,
                line: c.line,
            });
        } else {
            filtered += 1;
        }
    }
    if entries.is_empty() {
        return Err(DatasetError::Empty {
            path: r.path.clone(),
            read,
            skipped,
            filtered,
        });
    }
    Ok(Dataset {
        entries,
        path: r.path.clone(),
        format: r.format,
        read,
        skipped,
        filtered,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod fixtures {
    //! Helpers shared by the dataset tests.
    use super::*;
    use crate::WordCounter;
    use headroom_core::{LengthSpec, RequestSource};
    use std::sync::Arc;

    pub(crate) fn write(dir: &tempfile::TempDir, name: &str, body: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    pub(crate) fn load_str(name: &str, body: &str) -> Result<Dataset, DatasetError> {
        load_filtered(name, body, &LengthFilter::default())
    }

    pub(crate) fn load_filtered(
        name: &str,
        body: &str,
        filter: &LengthFilter,
    ) -> Result<Dataset, DatasetError> {
        let dir = tempfile::tempdir().unwrap();
        let r: DatasetRef = write(&dir, name, body).to_str().unwrap().parse().unwrap();
        load(&r, &WordCounter, filter)
    }

    pub(crate) fn text(p: &Prompt) -> &str {
        match p {
            Prompt::Text(t) => t,
            Prompt::Chat(_) => panic!("expected text, got {p:?}"),
        }
    }

    pub(crate) fn source(n: usize, sampling: Sampling, seed: u64) -> DatasetSource {
        let entries = (0..n)
            .map(|i| Entry {
                prompt: Prompt::Text(format!("prompt number {i}")),
                input_tokens: 3,
                output_tokens: None,
                line: i as u64 + 1,
            })
            .collect();
        let ds = Dataset {
            entries,
            path: PathBuf::from("x.jsonl"),
            format: DatasetFormat::Jsonl,
            read: n,
            skipped: 0,
            filtered: 0,
        };
        DatasetSource::new(Arc::new(ds), sampling, seed, None, LengthSpec::Fixed(7))
    }

    pub(crate) fn picked(s: &DatasetSource, i: u64) -> String {
        text(&s.request(i).prompt).to_string()
    }

    pub(crate) const SHAREGPT: &str = r#"[
  {"id": "a", "conversations": [
    {"from": "human", "value": "what is rust"},
    {"from": "gpt", "value": "a systems language\nwith \"borrows\""},
    {"from": "human", "value": "thanks"}]},
  {"id": "b", "conversations": [{"from": "human", "value": "alone"}]},
  {"id": "c", "conversations": []},
  {"id": "d", "extra": {"x": [1, 2]}, "conversations": [
    {"from": "system", "value": "be brief"},
    {"from": "human", "value": "one two"},
    {"from": "gpt", "value": "three"}]},
  {"id": "e", "conversations": [
    {"from": "gpt", "value": "hello there"},
    {"from": "gpt", "value": "anyone"}]},
  {"id": "f", "conversations": [
    {"from": "human", "value": "   "},
    {"from": "gpt", "value": "empty prompt"}]}
]"#;
}

#[cfg(test)]
mod tests {
    use super::fixtures::{SHAREGPT, load_filtered, load_str};
    use super::*;
    use crate::WordCounter;

    #[test]
    fn dataset_refs_parse_and_round_trip() {
        let cases = [
            ("sharegpt:data/a.txt", DatasetFormat::ShareGpt, "data/a.txt"),
            ("jsonl:a.json", DatasetFormat::Jsonl, "a.json"),
            ("csv:/tmp/x:y.tsv", DatasetFormat::Csv, "/tmp/x:y.tsv"),
            (
                "ShareGPT_V3.json",
                DatasetFormat::ShareGpt,
                "ShareGPT_V3.json",
            ),
            ("p.jsonl", DatasetFormat::Jsonl, "p.jsonl"),
            ("p.NDJSON", DatasetFormat::Jsonl, "p.NDJSON"),
            ("dir/p.csv", DatasetFormat::Csv, "dir/p.csv"),
        ];
        for (s, format, path) in cases {
            let r: DatasetRef = s.parse().unwrap();
            assert_eq!(r.format, format, "{s}");
            assert_eq!(r.path, PathBuf::from(path), "{s}");
            assert_eq!(r.to_string().parse::<DatasetRef>().unwrap(), r, "{s}");
        }
        assert_eq!(
            "jsonl:p.txt".parse::<DatasetRef>().unwrap().to_string(),
            "jsonl:p.txt"
        );
        for bad in ["prompts.txt", "noext", "", "jsonl:"] {
            let e = bad.parse::<DatasetRef>().unwrap_err().to_string();
            assert!(
                e.contains("sharegpt:PATH, jsonl:PATH or csv:PATH"),
                "{bad}: {e}"
            );
        }
        assert!(
            "prompts.txt"
                .parse::<DatasetRef>()
                .unwrap_err()
                .to_string()
                .contains("prompts.txt")
        );
        assert_eq!("Shuffle".parse::<Sampling>().unwrap(), Sampling::Shuffle);
        for s in [Sampling::Sequential, Sampling::Random, Sampling::Shuffle] {
            assert_eq!(s.to_string().parse::<Sampling>().unwrap(), s);
        }
        assert!("often".parse::<Sampling>().is_err());
    }

    #[test]
    fn missing_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nowhere.jsonl");
        for format in [
            DatasetFormat::ShareGpt,
            DatasetFormat::Jsonl,
            DatasetFormat::Csv,
        ] {
            let r = DatasetRef {
                format,
                path: path.clone(),
            };
            let e = load(&r, &WordCounter, &LengthFilter::default()).unwrap_err();
            assert!(matches!(e, DatasetError::Io { .. }), "{e:?}");
            assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        }
    }

    #[test]
    fn length_filter_drops_and_counts() {
        let body = concat!(
            "{\"prompt\": \"one\"}\n",
            "{\"prompt\": \"one two three\", \"output_tokens\": 50}\n",
            "{\"prompt\": \"one two three four five six\"}\n",
            "{\"prompt\": \"one two three\", \"output_tokens\": 5}\n",
            "{\"prompt\": \"one two\"}\n",
        );
        let filter = LengthFilter {
            min_input: Some(2),
            max_input: Some(5),
            min_output: None,
            max_output: Some(10),
        };
        let d = load_filtered("f.jsonl", body, &filter).unwrap();
        assert_eq!((d.read, d.skipped, d.filtered), (5, 0, 3));
        let lines: Vec<u64> = d.entries.iter().map(|e| e.line).collect();
        assert_eq!(lines, [4, 5]);

        let d = load_filtered(
            "s.json",
            SHAREGPT,
            &LengthFilter {
                min_output: Some(2),
                ..LengthFilter::default()
            },
        )
        .unwrap();
        assert_eq!((d.entries.len(), d.skipped, d.filtered), (1, 4, 1));

        let none = LengthFilter {
            min_input: Some(100),
            ..LengthFilter::default()
        };
        let e = load_filtered("f.jsonl", body, &none).unwrap_err();
        assert!(
            matches!(
                e,
                DatasetError::Empty {
                    read: 5,
                    skipped: 0,
                    filtered: 5,
                    ..
                }
            ),
            "{e:?}"
        );
        let m = e.to_string();
        assert!(m.contains("f.jsonl") && m.contains("5 entries read"), "{m}");
    }

    #[test]
    fn parallel_counting_matches_serial() {
        let mut body = String::new();
        for i in 0..(PARALLEL_MIN * 3 + 7) {
            body.push_str(&format!(
                "{{\"prompt\": \"{}\"}}\n",
                vec!["w"; i % 17 + 1].join(" ")
            ));
        }
        let d = load_str("many.jsonl", &body).unwrap();
        assert_eq!(d.entries.len(), PARALLEL_MIN * 3 + 7);
        for (i, e) in d.entries.iter().enumerate() {
            assert_eq!(e.input_tokens as usize, i % 17 + 1);
            assert_eq!(e.line as usize, i + 1);
        }
    }

    #[test]
    fn ref_errors_say_what_is_expected() {
        let forms = "write sharegpt:PATH, jsonl:PATH or csv:PATH, or name a .json (ShareGPT), .jsonl/.ndjson (JSONL) or .csv file";
        for (text, want) in [
            ("", format!("empty dataset name: {forms}")),
            (
                "jsonl:",
                format!("dataset \"jsonl:\" names no file: {forms}"),
            ),
            (
                "p.txt",
                format!("cannot tell the format of dataset \"p.txt\" from its extension: {forms}"),
            ),
            (
                "parquet:data/train.parquet",
                "headroom does not read parquet datasets (\"parquet:data/train.parquet\"); the formats it reads are sharegpt:PATH, jsonl:PATH and csv:PATH".to_string(),
            ),
        ] {
            assert_eq!(text.parse::<DatasetRef>().unwrap_err().to_string(), want);
        }
        assert_eq!(
            "tsv".parse::<DatasetFormat>().unwrap_err(),
            DatasetRefError::UnknownFormat("tsv".into())
        );
        assert_eq!(
            "often".parse::<Sampling>().unwrap_err().to_string(),
            "unknown sampling \"often\" (expected sequential, random or shuffle)"
        );
    }
}
