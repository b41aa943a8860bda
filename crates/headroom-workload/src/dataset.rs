//! Prompts read from a dataset file: ShareGPT, JSONL or CSV.
//!
//! [`load`] reads a file named by a [`DatasetRef`], counts every prompt's tokens with the
//! run's [`TokenCounter`] (in parallel: a large ShareGPT file is mostly counting), drops
//! what does not fit a [`LengthFilter`], and returns a [`Dataset`]. A [`DatasetSource`]
//! then turns the dataset into requests, in file order, in a seeded random order, or at
//! random with replacement ([`Sampling`]).

use crate::synthetic::sample_length;
use headroom_core::seed::mix;
use headroom_core::{
    LengthSpec, Message, Prompt, RequestSource, RequestSpec, Segment, TokenCounter,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

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
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DatasetFormat::from_name(s.trim()).ok_or_else(|| {
            format!("unknown dataset format {s:?} (expected sharegpt, jsonl or csv)")
        })
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

impl FromStr for DatasetRef {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Err(format!("empty dataset name: {REF_FORMS}"));
        }
        if let Some((prefix, rest)) = s.split_once(':')
            && let Some(format) = DatasetFormat::from_name(prefix)
        {
            if rest.is_empty() {
                return Err(format!("dataset {s:?} names no file: {REF_FORMS}"));
            }
            return Ok(DatasetRef {
                format,
                path: PathBuf::from(rest),
            });
        }
        let path = PathBuf::from(s);
        match DatasetFormat::from_extension(&path) {
            Some(format) => Ok(DatasetRef { format, path }),
            None => Err(format!(
                "cannot tell the format of dataset {s:?} from its extension: {REF_FORMS}"
            )),
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
fn json_message(e: &serde_json::Error) -> String {
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
    r: &DatasetRef,
    counter: &dyn TokenCounter,
    filter: &LengthFilter,
) -> Result<Dataset, DatasetError> {
    let path = r.path.as_path();
    let io = |source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    };
    match r.format {
        DatasetFormat::ShareGpt => {
            let bytes = std::fs::read(path).map_err(io)?;
            let parsed = parse_sharegpt(&bytes, path)?;
            finish(r, parsed, counter, filter)
        }
        DatasetFormat::Jsonl => {
            let file = std::fs::File::open(path).map_err(io)?;
            let parsed = parse_jsonl(std::io::BufReader::new(file), path)?;
            finish(r, parsed, counter, filter)
        }
        DatasetFormat::Csv => {
            let file = std::fs::File::open(path).map_err(io)?;
            let parsed = parse_csv(file, path)?;
            finish(r, parsed, counter, filter)
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

// ---------------------------------------------------------------------------------------
// ShareGPT

#[derive(Deserialize)]
struct RawEntry<'a> {
    #[serde(borrow)]
    conversations: Vec<RawTurn<'a>>,
}

#[derive(Deserialize)]
struct RawTurn<'a> {
    #[serde(borrow, alias = "role")]
    from: Cow<'a, str>,
    #[serde(borrow, alias = "content")]
    value: Cow<'a, str>,
}

fn is_human(from: &str) -> bool {
    matches!(from, "human" | "user")
}

fn is_gpt(from: &str) -> bool {
    matches!(from, "gpt" | "assistant" | "chatgpt")
}

/// The first human turn answered by a gpt turn, as (prompt, answer).
fn first_exchange(turns: Vec<RawTurn<'_>>) -> Option<(String, Cow<'_, str>)> {
    let at = turns
        .windows(2)
        .position(|w| is_human(&w[0].from) && is_gpt(&w[1].from))?;
    let mut it = turns.into_iter().skip(at);
    let human = it.next()?;
    let gpt = it.next()?;
    Some((human.value.into_owned(), gpt.value))
}

/// Walks the top-level array, keeping one exchange per entry as it goes (the other turns
/// are dropped at once, so memory stays near the file's size). `current` holds the index
/// of the entry being parsed, to name it in an error.
struct ShareGptEntries<'s> {
    current: &'s Cell<Option<usize>>,
}

/// The exchanges found and the number of entries read.
type Exchanges<'de> = (Vec<(usize, String, Cow<'de, str>)>, usize);

impl<'de> DeserializeSeed<'de> for ShareGptEntries<'_> {
    type Value = Exchanges<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ShareGptEntries<'_> {
    type Value = Exchanges<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON array of ShareGPT entries ({SHAREGPT_SHAPE})")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let mut read = 0;
        loop {
            self.current.set(Some(read));
            let Some(entry) = seq.next_element::<RawEntry<'de>>()? else {
                break;
            };
            if let Some((prompt, answer)) = first_exchange(entry.conversations) {
                out.push((read, prompt, answer));
            }
            read += 1;
        }
        self.current.set(None);
        Ok((out, read))
    }
}

/// What a ShareGPT entry looks like, for error messages.
const SHAREGPT_SHAPE: &str = r#"each entry {"conversations": [{"from": "human", "value": "..."}, {"from": "gpt", "value": "..."}, ...]}"#;

fn parse_sharegpt<'a>(bytes: &'a [u8], path: &Path) -> Result<Parsed<'a>, DatasetError> {
    let current = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = ShareGptEntries { current: &current }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    let (exchanges, read) = match result {
        Ok(v) => v,
        Err(e) => {
            let message = json_message(&e);
            return Err(match (e.classify(), current.get()) {
                (serde_json::error::Category::Data, Some(index)) => DatasetError::Entry {
                    path: path.to_path_buf(),
                    index,
                    line: e.line() as u64,
                    column: e.column().max(1) as u64,
                    message: format!("{message} ({SHAREGPT_SHAPE})"),
                },
                (serde_json::error::Category::Data, None) => DatasetError::Parse {
                    path: path.to_path_buf(),
                    line: e.line() as u64,
                    column: Some(e.column().max(1) as u64),
                    message: format!("{message} (for one JSON object per line, write jsonl:PATH)"),
                },
                _ => DatasetError::Parse {
                    path: path.to_path_buf(),
                    line: e.line() as u64,
                    column: Some(e.column().max(1) as u64),
                    message: format!("invalid JSON: {message}"),
                },
            });
        }
    };
    let mut parsed = Parsed::new();
    parsed.read = read;
    parsed.skipped = read - exchanges.len();
    for (index, prompt, answer) in exchanges {
        parsed.push(Candidate {
            prompt: Prompt::Text(prompt),
            completion: Some(answer),
            output_tokens: None,
            line: index as u64,
        });
    }
    Ok(parsed)
}

// ---------------------------------------------------------------------------------------
// JSONL

const JSONL_EXPECTED: &str =
    r#"expected a "prompt" string or a "messages" array (or genai-perf's "text" string)"#;

fn parse_jsonl(reader: impl BufRead, path: &Path) -> Result<Parsed<'static>, DatasetError> {
    let mut parsed = Parsed::new();
    for (i, line) in reader.lines().enumerate() {
        let line_no = i as u64 + 1;
        let at = |column: Option<u64>, message: String| DatasetError::Parse {
            path: path.to_path_buf(),
            line: line_no,
            column,
            message,
        };
        let text = line.map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidData {
                at(None, "not valid UTF-8 text".to_string())
            } else {
                DatasetError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
        if text.trim().is_empty() {
            continue;
        }
        parsed.read += 1;
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            at(
                Some(e.column().max(1) as u64),
                format!("invalid JSON: {}", json_message(&e)),
            )
        })?;
        let (prompt, output_tokens) = jsonl_entry(&value).map_err(|m| at(None, m))?;
        parsed.push(Candidate {
            prompt,
            completion: None,
            output_tokens,
            line: line_no,
        });
    }
    Ok(parsed)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The prompt and output length of one JSONL object.
fn jsonl_entry(v: &Value) -> Result<(Prompt, Option<u32>), String> {
    let Some(obj) = v.as_object() else {
        return Err(format!(
            "{JSONL_EXPECTED} in a JSON object, found {}",
            json_kind(v)
        ));
    };
    let prompt = if let Some(Value::String(s)) = obj.get("prompt") {
        Prompt::Text(s.clone())
    } else if let Some(Value::String(s)) = obj.get("text") {
        Prompt::Text(s.clone())
    } else if let Some(Value::Array(ms)) = obj.get("messages") {
        let messages = ms
            .iter()
            .enumerate()
            .map(|(k, m)| chat_message(m).ok_or_else(|| {
                format!(
                    r#"message {k} of "messages": expected an object with "role" and "content" strings"#
                )
            }))
            .collect::<Result<Vec<_>, _>>()?;
        Prompt::Chat(messages)
    } else {
        let found = ["prompt", "text", "messages"]
            .iter()
            .find_map(|k| {
                obj.get(*k)
                    .map(|v| format!(" (\"{k}\" is {})", json_kind(v)))
            })
            .unwrap_or_default();
        return Err(format!("{JSONL_EXPECTED}{found}"));
    };
    let output = match (obj.get("output_tokens"), obj.get("max_tokens")) {
        (Some(v), _) if !v.is_null() => Some(("output_tokens", v)),
        (_, Some(v)) if !v.is_null() => Some(("max_tokens", v)),
        _ => None,
    };
    let output_tokens = match output {
        None => None,
        Some((name, v)) => Some(
            v.as_u64()
                .filter(|&n| n >= 1)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("\"{name}\" must be a positive whole number, found {v}"))?,
        ),
    };
    Ok((prompt, output_tokens))
}

/// `{"role": ..., "content": ...}`; content may also be OpenAI-style parts, whose text
/// parts are joined.
fn chat_message(m: &Value) -> Option<Message> {
    let role = m.get("role")?.as_str()?.to_string();
    let content = match m.get("content")? {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => return None,
    };
    Some(Message { role, content })
}

// ---------------------------------------------------------------------------------------
// CSV

fn parse_csv(reader: impl std::io::Read, path: &Path) -> Result<Parsed<'static>, DatasetError> {
    let csv_error = |e: csv::Error| {
        let line = e.position().map(csv::Position::line);
        let message = match e.kind() {
            csv::ErrorKind::Utf8 { err, .. } => format!("not valid UTF-8 text ({err})"),
            _ => e.to_string(),
        };
        match (e.into_kind(), line) {
            (csv::ErrorKind::Io(source), _) => DatasetError::Io {
                path: path.to_path_buf(),
                source,
            },
            (_, Some(line)) => DatasetError::Parse {
                path: path.to_path_buf(),
                line,
                column: None,
                message,
            },
            (_, None) => DatasetError::Format {
                path: path.to_path_buf(),
                message,
            },
        }
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let headers = rdr.headers().map_err(csv_error)?.clone();
    let column = |names: &[&str]| {
        names.iter().find_map(|n| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(n))
        })
    };
    let Some(prompt_col) = column(&["prompt", "text"]) else {
        let columns = if headers.iter().all(|h| h.trim().is_empty()) {
            "the header row is empty".to_string()
        } else {
            format!(
                "the header's columns are {}",
                headers
                    .iter()
                    .map(|h| format!("{h:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(DatasetError::Format {
            path: path.to_path_buf(),
            message: format!(
                "expected a header row with a \"prompt\" (or \"text\") column, and optionally \"output_tokens\"; {columns}"
            ),
        });
    };
    let prompt_name = headers
        .get(prompt_col)
        .unwrap_or("prompt")
        .trim()
        .to_string();
    let output_col = column(&["output_tokens", "max_tokens"]);
    let mut parsed = Parsed::new();
    let mut record = csv::StringRecord::new();
    while rdr.read_record(&mut record).map_err(csv_error)? {
        parsed.read += 1;
        let line = record.position().map_or(0, csv::Position::line);
        let at = |message: String| DatasetError::Parse {
            path: path.to_path_buf(),
            line,
            column: None,
            message,
        };
        let Some(prompt) = record.get(prompt_col) else {
            return Err(at(format!(
                "the row ends before its \"{prompt_name}\" cell (column {}); expected a prompt",
                prompt_col + 1
            )));
        };
        let output_tokens =
            match output_col.and_then(|c| record.get(c)).map(str::trim) {
                None | Some("") => None,
                Some(cell) => Some(cell.parse::<u32>().ok().filter(|&n| n >= 1).ok_or_else(
                    || {
                        at(format!(
                            "\"{}\" must be a positive whole number or empty, found {cell:?}",
                            output_col
                                .and_then(|c| headers.get(c))
                                .unwrap_or("output_tokens")
                                .trim()
                        ))
                    },
                )?),
            };
        parsed.push(Candidate {
            prompt: Prompt::Text(prompt.to_string()),
            completion: None,
            output_tokens,
            line,
        });
    }
    Ok(parsed)
}

// ---------------------------------------------------------------------------------------
// Sampling

/// The order in which a [`DatasetSource`] hands out entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sampling {
    /// In file order, starting over after the last entry.
    Sequential,
    /// A uniformly random entry for every request (with replacement).
    Random,
    /// Every entry once in a seeded random order (without replacement), then the same
    /// order again.
    Shuffle,
}

impl fmt::Display for Sampling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sampling::Sequential => "sequential",
            Sampling::Random => "random",
            Sampling::Shuffle => "shuffle",
        })
    }
}

impl FromStr for Sampling {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sequential" => Ok(Sampling::Sequential),
            "random" => Ok(Sampling::Random),
            "shuffle" => Ok(Sampling::Shuffle),
            _ => Err(format!(
                "unknown sampling {s:?} (expected sequential, random or shuffle)"
            )),
        }
    }
}

/// Requests made from a dataset's entries. Request `i` is a pure function of the seed and
/// `i`.
///
/// Each request carries one [`Segment`] whose key identifies the entry, so the same entry
/// sent twice reads as the same content (a prefix-cache hit on a server, and in
/// headroom's simulator).
#[derive(Clone)]
pub struct DatasetSource {
    dataset: Arc<Dataset>,
    sampling: Sampling,
    seed: u64,
    output: Option<LengthSpec>,
    fallback_output: LengthSpec,
    /// The permutation for [`Sampling::Shuffle`]; empty otherwise.
    order: Vec<usize>,
}

impl fmt::Debug for DatasetSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatasetSource")
            .field("dataset", &self.dataset)
            .field("sampling", &self.sampling)
            .field("seed", &self.seed)
            .field("output", &self.output)
            .field("fallback_output", &self.fallback_output)
            .finish_non_exhaustive()
    }
}

impl DatasetSource {
    /// A source over `dataset`. The output length (`max_tokens`) is drawn from `output`
    /// when given, else it is the entry's own output length, else it is drawn from
    /// `fallback_output`.
    ///
    /// [`load`] never returns an empty dataset; over an empty one (built by hand) every
    /// request has an empty prompt.
    pub fn new(
        dataset: Arc<Dataset>,
        sampling: Sampling,
        seed: u64,
        output: Option<LengthSpec>,
        fallback_output: LengthSpec,
    ) -> Self {
        let order = if sampling == Sampling::Shuffle {
            let mut order: Vec<usize> = (0..dataset.entries.len()).collect();
            let mut rng = ChaCha8Rng::seed_from_u64(mix(seed ^ 0x0073_6875_6666_6c65));
            for k in (1..order.len()).rev() {
                let j = rng.random_range(0..=k);
                order.swap(k, j);
            }
            order
        } else {
            Vec::new()
        };
        DatasetSource {
            dataset,
            sampling,
            seed,
            output,
            fallback_output,
            order,
        }
    }

    /// The dataset the requests come from.
    pub fn dataset(&self) -> &Arc<Dataset> {
        &self.dataset
    }

    /// The sampling order.
    pub fn sampling(&self) -> Sampling {
        self.sampling
    }

    fn rng(&self, index: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(mix(self.seed ^ mix(index)))
    }
}

/// The content key of dataset entry `entry`.
fn entry_key(entry: usize) -> u64 {
    mix(0x6461_7461 ^ mix(entry as u64))
}

impl RequestSource for DatasetSource {
    fn request(&self, index: u64) -> RequestSpec {
        let mut rng = self.rng(index);
        let entries = &self.dataset.entries;
        let n = entries.len();
        if n == 0 {
            let max_tokens = sample_length(
                self.output.as_ref().unwrap_or(&self.fallback_output),
                &mut rng,
            );
            return RequestSpec::new(Prompt::Text(String::new()), 0, max_tokens);
        }
        let at = (index % n as u64) as usize;
        let k = match self.sampling {
            Sampling::Sequential => at,
            Sampling::Shuffle => self.order.get(at).copied().unwrap_or(at),
            Sampling::Random => rng.random_range(0..n),
        };
        let entry = &entries[k];
        let max_tokens = match (&self.output, entry.output_tokens) {
            (Some(spec), _) => sample_length(spec, &mut rng),
            (None, Some(n)) => n,
            (None, None) => sample_length(&self.fallback_output, &mut rng),
        }
        .max(1);
        let mut spec = RequestSpec::new(entry.prompt.clone(), entry.input_tokens, max_tokens);
        if entry.input_tokens > 0 {
            spec.segments = vec![Segment {
                key: entry_key(k),
                tokens: entry.input_tokens,
            }];
        }
        spec
    }

    fn len(&self) -> Option<u64> {
        match self.sampling {
            Sampling::Sequential | Sampling::Shuffle => Some(self.dataset.entries.len() as u64),
            Sampling::Random => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WordCounter;

    fn write(dir: &tempfile::TempDir, name: &str, body: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    fn load_str(name: &str, body: &str) -> Result<Dataset, DatasetError> {
        load_filtered(name, body, &LengthFilter::default())
    }

    fn load_filtered(
        name: &str,
        body: &str,
        filter: &LengthFilter,
    ) -> Result<Dataset, DatasetError> {
        let dir = tempfile::tempdir().unwrap();
        let r: DatasetRef = write(&dir, name, body).to_str().unwrap().parse().unwrap();
        load(&r, &WordCounter, filter)
    }

    fn text(p: &Prompt) -> &str {
        match p {
            Prompt::Text(t) => t,
            Prompt::Chat(_) => panic!("expected text, got {p:?}"),
        }
    }

    fn source(n: usize, sampling: Sampling, seed: u64) -> DatasetSource {
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

    fn picked(s: &DatasetSource, i: u64) -> String {
        text(&s.request(i).prompt).to_string()
    }

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
            let e = bad.parse::<DatasetRef>().unwrap_err();
            assert!(
                e.contains("sharegpt:PATH, jsonl:PATH or csv:PATH"),
                "{bad}: {e}"
            );
        }
        assert!(
            "prompts.txt"
                .parse::<DatasetRef>()
                .unwrap_err()
                .contains("prompts.txt")
        );
        assert_eq!("Shuffle".parse::<Sampling>().unwrap(), Sampling::Shuffle);
        for s in [Sampling::Sequential, Sampling::Random, Sampling::Shuffle] {
            assert_eq!(s.to_string().parse::<Sampling>().unwrap(), s);
        }
        assert!("often".parse::<Sampling>().is_err());
    }

    const SHAREGPT: &str = r#"[
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

    #[test]
    fn sharegpt_takes_the_first_answered_human_turn() {
        let d = load_str("s.json", SHAREGPT).unwrap();
        assert_eq!(d.format, DatasetFormat::ShareGpt);
        assert_eq!((d.read, d.skipped, d.filtered), (6, 4, 0));
        assert_eq!(d.entries.len(), 2);
        let a = &d.entries[0];
        assert_eq!(a.prompt, Prompt::Text("what is rust".into()));
        assert_eq!((a.input_tokens, a.output_tokens, a.line), (3, Some(5), 0));
        let b = &d.entries[1];
        assert_eq!(b.prompt, Prompt::Text("one two".into()));
        assert_eq!((b.input_tokens, b.output_tokens, b.line), (2, Some(1), 3));
    }

    #[test]
    fn jsonl_reads_prompt_text_and_messages() {
        let body = concat!(
            r#"{"prompt": "a b c", "output_tokens": 12}"#,
            "\n\n",
            r#"{"text": "genai perf input", "max_tokens": 5, "other": 1}"#,
            "\r\n",
            r#"{"messages": [{"role": "system", "content": "be kind"}, {"role": "user", "content": "hi there you"}]}"#,
            "\n",
            r#"{"prompt": "", "output_tokens": 3}"#,
            "\n",
            r#"{"prompt": "x", "output_tokens": null}"#,
            "\n   \n",
        );
        let d = load_str("p.jsonl", body).unwrap();
        assert_eq!((d.read, d.skipped, d.filtered), (5, 1, 0));
        let e = &d.entries;
        assert_eq!(e.len(), 4);
        assert_eq!((text(&e[0].prompt), e[0].input_tokens), ("a b c", 3));
        assert_eq!((e[0].output_tokens, e[0].line), (Some(12), 1));
        assert_eq!(
            (text(&e[1].prompt), e[1].input_tokens),
            ("genai perf input", 3)
        );
        assert_eq!((e[1].output_tokens, e[1].line), (Some(5), 3));
        assert_eq!(
            e[2].prompt,
            Prompt::Chat(vec![
                Message {
                    role: "system".into(),
                    content: "be kind".into()
                },
                Message {
                    role: "user".into(),
                    content: "hi there you".into()
                },
            ])
        );
        assert_eq!(
            (e[2].input_tokens, e[2].output_tokens, e[2].line),
            (5, None, 4)
        );
        assert_eq!((e[3].output_tokens, e[3].line), (None, 6));
    }

    #[test]
    fn csv_reads_quoted_cells() {
        let body = "id,Prompt,output_tokens\n\
                    1,\"hello, world\",10\n\
                    2,\"line one\nline two\",\n\
                    3,\"say \"\"hi\"\"\", 4 \n\
                    4,,9\n";
        let d = load_str("p.csv", body).unwrap();
        assert_eq!((d.read, d.skipped, d.filtered), (4, 1, 0));
        let e = &d.entries;
        assert_eq!(e.len(), 3);
        assert_eq!(text(&e[0].prompt), "hello, world");
        assert_eq!(
            (e[0].input_tokens, e[0].output_tokens, e[0].line),
            (2, Some(10), 2)
        );
        assert_eq!(text(&e[1].prompt), "line one\nline two");
        assert_eq!(
            (e[1].input_tokens, e[1].output_tokens, e[1].line),
            (4, None, 3)
        );
        assert_eq!(text(&e[2].prompt), "say \"hi\"");
        assert_eq!((e[2].output_tokens, e[2].line), (Some(4), 5));

        let d = load_str("t.csv", "text\nfour words are here\n").unwrap();
        assert_eq!(
            (d.entries[0].input_tokens, d.entries[0].output_tokens),
            (4, None)
        );
    }

    #[test]
    fn jsonl_errors_name_the_line() {
        let body = "{\"prompt\": \"a\"}\n\n{\"prompt\": \"b\",,}\n";
        let e = load_str("bad.jsonl", body).unwrap_err();
        let m = e.to_string();
        assert!(
            matches!(
                e,
                DatasetError::Parse {
                    line: 3,
                    column: Some(_),
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(m.contains("bad.jsonl line 3, column"), "{m}");
        assert!(m.contains("invalid JSON"), "{m}");

        let body = "{\"prompt\": \"a\"}\n{\"question\": \"b\"}\n";
        let m = load_str("prompts.jsonl", body).unwrap_err().to_string();
        assert!(
            m.contains(r#"prompts.jsonl line 2: expected a "prompt" string or a "messages" array"#),
            "{m}"
        );

        let m = load_str("p.jsonl", "{\"prompt\": 5}\n")
            .unwrap_err()
            .to_string();
        assert!(m.contains(r#"("prompt" is a number)"#), "{m}");
        let m = load_str("p.jsonl", "[1]\n").unwrap_err().to_string();
        assert!(m.contains("found an array"), "{m}");
        let m = load_str("p.jsonl", "{\"prompt\": \"a\", \"output_tokens\": -2}\n")
            .unwrap_err()
            .to_string();
        assert!(m.contains("p.jsonl line 1:"), "{m}");
        assert!(
            m.contains("\"output_tokens\" must be a positive whole number"),
            "{m}"
        );
        let m = load_str("p.jsonl", "{\"messages\": [{\"role\": \"user\"}]}\n")
            .unwrap_err()
            .to_string();
        assert!(m.contains("message 0"), "{m}");
    }

    #[test]
    fn csv_errors_name_the_line_or_the_columns() {
        let body = "prompt,output_tokens\n\"a\nb\",3\nc,lots\n";
        let e = load_str("bad.csv", body).unwrap_err();
        assert!(matches!(e, DatasetError::Parse { line: 4, .. }), "{e:?}");
        let m = e.to_string();
        assert!(m.contains("bad.csv line 4:"), "{m}");
        assert!(m.contains("\"lots\""), "{m}");

        let m = load_str("bad.csv", "id,prompt\n1,a\n2\n")
            .unwrap_err()
            .to_string();
        assert!(m.contains("bad.csv line 3:"), "{m}");

        let m = load_str("nohead.csv", "question,answer\nx,y\n")
            .unwrap_err()
            .to_string();
        assert!(m.contains("nohead.csv"), "{m}");
        assert!(m.contains(r#""question", "answer""#), "{m}");
        assert!(m.contains("\"prompt\""), "{m}");
    }

    #[test]
    fn sharegpt_errors_give_line_column_or_entry() {
        let body = "[\n  {\"conversations\": []},\n  {\"conversations\": [}\n]";
        let e = load_str("bad.json", body).unwrap_err();
        assert!(
            matches!(
                e,
                DatasetError::Parse {
                    line: 3,
                    column: Some(_),
                    ..
                }
            ),
            "{e:?}"
        );
        let m = e.to_string();
        assert!(m.contains("bad.json line 3, column"), "{m}");

        let body = "[{\"conversations\": []},\n {\"conversations\": []},\n {\"conversations\": {\"from\": \"human\"}}]";
        let e = load_str("shape.json", body).unwrap_err();
        assert!(
            matches!(
                e,
                DatasetError::Entry {
                    index: 2,
                    line: 3,
                    ..
                }
            ),
            "{e:?}"
        );
        let m = e.to_string();
        assert!(m.contains("shape.json entry 2"), "{m}");
        assert!(m.contains("expected a sequence"), "{m}");

        let m = load_str("obj.json", "{\"prompt\": \"x\"}")
            .unwrap_err()
            .to_string();
        assert!(m.contains("obj.json line 1"), "{m}");
        assert!(m.contains("a JSON array of ShareGPT entries"), "{m}");
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
    fn sequential_goes_in_file_order() {
        let s = source(5, Sampling::Sequential, 1);
        assert_eq!(s.len(), Some(5));
        for i in 0..12 {
            assert_eq!(picked(&s, i), format!("prompt number {}", i % 5));
        }
    }

    #[test]
    fn shuffle_visits_every_entry_once_per_pass() {
        let n = 50;
        let s = source(n, Sampling::Shuffle, 9);
        assert_eq!(s.len(), Some(n as u64));
        let first: Vec<String> = (0..n as u64).map(|i| picked(&s, i)).collect();
        let distinct: std::collections::HashSet<&String> = first.iter().collect();
        assert_eq!(distinct.len(), n);
        let sequential: Vec<String> = (0..n).map(|i| format!("prompt number {i}")).collect();
        assert_ne!(first, sequential);
        let second: Vec<String> = (n as u64..2 * n as u64).map(|i| picked(&s, i)).collect();
        assert_eq!(first, second);
        let again = source(n, Sampling::Shuffle, 9);
        assert_eq!(
            first,
            (0..n as u64).map(|i| picked(&again, i)).collect::<Vec<_>>()
        );
        let other = source(n, Sampling::Shuffle, 10);
        assert_ne!(
            first,
            (0..n as u64).map(|i| picked(&other, i)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn random_is_reproducible() {
        let s = source(20, Sampling::Random, 3);
        assert_eq!(s.len(), None);
        let a: Vec<RequestSpec> = (0..100).map(|i| s.request(i)).collect();
        let b: Vec<RequestSpec> = (0..100).rev().map(|i| s.request(i)).collect();
        assert!(a.iter().eq(b.iter().rev()));
        let distinct: std::collections::HashSet<String> = (0..100).map(|i| picked(&s, i)).collect();
        assert!(distinct.len() > 10, "{}", distinct.len());
        let other = source(20, Sampling::Random, 4);
        assert!((0..100).any(|i| picked(&s, i) != picked(&other, i)));
    }

    #[test]
    fn output_length_override_entry_and_fallback() {
        let mut entries = vec![
            Entry {
                prompt: Prompt::Text("a".into()),
                input_tokens: 1,
                output_tokens: Some(42),
                line: 1,
            },
            Entry {
                prompt: Prompt::Text("b".into()),
                input_tokens: 1,
                output_tokens: None,
                line: 2,
            },
        ];
        entries.push(Entry {
            output_tokens: Some(0),
            ..entries[0].clone()
        });
        let ds = Arc::new(Dataset {
            entries,
            path: PathBuf::from("x.jsonl"),
            format: DatasetFormat::Jsonl,
            read: 3,
            skipped: 0,
            filtered: 0,
        });
        let fallback = LengthSpec::Fixed(9);
        let s = DatasetSource::new(ds.clone(), Sampling::Sequential, 0, None, fallback.clone());
        let got: Vec<u32> = (0..3).map(|i| s.request(i).max_tokens).collect();
        assert_eq!(got, [42, 9, 1]);
        let over = LengthSpec::Uniform { min: 100, max: 200 };
        let s = DatasetSource::new(ds, Sampling::Sequential, 0, Some(over), fallback);
        for i in 0..30 {
            let m = s.request(i).max_tokens;
            assert!((100..=200).contains(&m), "{m}");
            assert_eq!(s.request(i), s.request(i));
        }
    }

    #[test]
    fn segments_identify_the_entry() {
        let s = source(3, Sampling::Sequential, 5);
        let (a, b, a2) = (s.request(0), s.request(1), s.request(3));
        assert_eq!(a.input_tokens, 3);
        assert_eq!(a.segments.len(), 1);
        assert_eq!(a.segments[0].tokens, a.input_tokens);
        assert_eq!(a.segments, a2.segments);
        assert_eq!(a.prompt, a2.prompt);
        assert_ne!(a.segments[0].key, b.segments[0].key);
        let shuffled = source(3, Sampling::Shuffle, 5);
        let k = (0..3)
            .find(|&i| picked(&shuffled, i) == picked(&s, 0))
            .unwrap();
        assert_eq!(shuffled.request(k).segments, a.segments);
    }
}
