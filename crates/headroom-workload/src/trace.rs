//! Trace files: recorded (or hand-written) arrival sequences to replay open-loop.
//!
//! [`load`] reads a trace file into a [`Trace`]: a list of [`TraceEntry`]s sorted by
//! arrival time (stable, so entries with the same time keep their file order) and rebased
//! so that the first arrival is at offset 0. Another part of the program turns entries into
//! prompts and schedules each request at its `offset_us`.
//!
//! A trace is named by a [`TraceRef`]: `headroom:PATH`, `mooncake:PATH`, `azure:PATH`, or a
//! bare `PATH` whose format is detected: a `.csv` file is an Azure trace; anything else
//! (`.jsonl`, `.json`, other) is sniffed from its first non-blank, non-`#` line: a JSON
//! object with `input_length` or `hash_ids` is a Mooncake trace, one with `input_tokens` a
//! headroom trace, and a CSV header `TIMESTAMP,ContextTokens,GeneratedTokens` an Azure
//! trace.
//!
//! (A first object with none of
//! `input_tokens`, `input_length`, `hash_ids` but other fields of one format, e.g. a typo
//! of `input_tokens` next to `t_ms`, is read as that format so the error names the typo.)
//! The formats are described on [`TraceFormat`].

use serde::Deserialize;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Block size of Mooncake hash ids, in tokens.
const MOONCAKE_BLOCK_TOKENS: u32 = 512;

/// Largest accepted arrival time, in microseconds (about 31,700 years).
const MAX_US: f64 = 1e18;

/// The format of a trace file.
///
/// # headroom JSONL
///
/// Our own format: one JSON object per line; blank lines and lines starting with `#` are
/// skipped.
///
/// ```text
/// # t_ms: arrival offset in milliseconds
/// {"t_ms": 0, "input_tokens": 1200, "output_tokens": 200, "session": "alice", "prefix": "system-v2", "prefix_tokens": 800}
/// {"t_ms": 12.5, "input_tokens": 300, "output_tokens": 50}
/// {"t_ms": 1500, "input_tokens": 1400, "output_tokens": 120, "session": "alice", "prefix": "system-v2", "prefix_tokens": 800}
/// {"t_us": 2000000, "input_tokens": 90, "output_tokens": 30, "session": 17}
/// ```
///
/// | field | meaning |
/// |---|---|
/// | `t_ms` | arrival time in milliseconds, a number ≥ 0 (may be fractional) |
/// | `t_us` | … or in whole microseconds (integer ≥ 0) |
/// | `t` | … or in seconds (number ≥ 0, may be fractional) |
/// | `input_tokens` | prompt length, integer ≥ 1 |
/// | `output_tokens` | output length, integer ≥ 1 |
/// | `session` | optional conversation id, string or non-negative integer |
/// | `prefix` | optional shared-prefix id, string or non-negative integer |
/// | `prefix_tokens` | optional length of the shared prefix, integer ≥ 1 and ≤ `input_tokens`; needs `prefix` |
///
/// Exactly one of `t_ms`, `t_us`, `t` must be given. Times are rounded to the microsecond
/// and only their differences matter (the first arrival becomes offset 0). Unknown fields
/// are an error, so that a typo is not silently ignored. String ids are hashed to `u64`
/// with a stable function (FNV-1a 64, then [`headroom_core::seed::mix`]), the same on every
/// run and platform; integer ids are kept as they are.
///
/// # Mooncake JSONL
///
/// The traces published with Mooncake (FAST'25), e.g. `conversation_trace.jsonl`:
///
/// ```text
/// {"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2353, 2354]}
/// ```
///
/// `timestamp` is in milliseconds; each hash id names a block of 512 tokens
/// ([`Trace::block_tokens`] is `Some(512)`), so two requests whose `hash_ids` start the
/// same share that prefix. The number of hash ids is not checked against `input_length`
/// (real traces are not always exact). Unknown fields are ignored. `input_length` must be
/// ≥ 1; an `output_length` of 0 is read as 1 (a request generates at least one token).
/// Blank lines and lines starting with `#` are skipped.
///
/// # Azure LLM inference trace
///
/// The CSV files of Microsoft's AzurePublicDataset (`AzureLLMInferenceTrace_conv.csv`,
/// `AzureLLMInferenceTrace_code.csv`):
///
/// ```text
/// TIMESTAMP,ContextTokens,GeneratedTokens
/// 2023-11-16 18:15:46.6805900,374,44
/// 2023-11-16 18:15:50.9951690,396,109
/// ```
///
/// Header names are matched case-insensitively (other columns are ignored). `TIMESTAMP`
/// is `YYYY-MM-DD HH:MM:SS` (or with `T` between date and time), optionally followed by a
/// fraction of a second (1 to 9 digits, rounded to the microsecond) and a UTC offset (`Z`
/// or `±HH:MM`, e.g. `+00:00`). `ContextTokens` must be ≥ 1; a `GeneratedTokens` of 0 is
/// read as 1. Azure traces carry no session or prefix ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceFormat {
    /// headroom JSONL (see above).
    Headroom,
    /// Mooncake (FAST'25) JSONL with `timestamp`, `input_length`, `output_length`, `hash_ids`.
    Mooncake,
    /// AzurePublicDataset LLM inference CSV with `TIMESTAMP,ContextTokens,GeneratedTokens`.
    Azure,
}

impl TraceFormat {
    /// All formats, in the order they are listed in messages.
    pub const ALL: [TraceFormat; 3] = [
        TraceFormat::Headroom,
        TraceFormat::Mooncake,
        TraceFormat::Azure,
    ];

    /// The name used in [`TraceRef`]s: `headroom`, `mooncake` or `azure`.
    pub fn name(self) -> &'static str {
        match self {
            TraceFormat::Headroom => "headroom",
            TraceFormat::Mooncake => "mooncake",
            TraceFormat::Azure => "azure",
        }
    }
}

impl fmt::Display for TraceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TraceFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TraceFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("unknown trace format {s:?}: expected headroom, mooncake or azure")
            })
    }
}

/// A trace file and, optionally, its format: `headroom:PATH`, `mooncake:PATH`,
/// `azure:PATH`, or a bare `PATH` (format detected when loading).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TraceRef {
    /// The format, or `None` to detect it from the extension and the first line.
    pub format: Option<TraceFormat>,
    /// The trace file.
    pub path: PathBuf,
}

impl FromStr for TraceRef {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (format, path) = match s.split_once(':') {
            Some((name, rest)) => match TraceFormat::ALL
                .into_iter()
                .find(|f| f.name().eq_ignore_ascii_case(name))
            {
                Some(f) => (Some(f), rest),
                None => (None, s),
            },
            None => (None, s),
        };
        if path.trim().is_empty() {
            return Err(format!(
                "trace {s:?} names no file: expected headroom:PATH, mooncake:PATH, azure:PATH \
                 or a bare PATH"
            ));
        }
        Ok(TraceRef {
            format,
            path: PathBuf::from(path),
        })
    }
}

impl fmt::Display for TraceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.format {
            Some(format) => write!(f, "{format}:{}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// One arrival of a trace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TraceEntry {
    /// Arrival time in microseconds after the first arrival of the trace (which is at 0).
    pub offset_us: u64,
    /// Prompt length in tokens (≥ 1).
    pub input_tokens: u32,
    /// Output length in tokens (≥ 1).
    pub output_tokens: u32,
    /// Conversation id (hashed to `u64` if the file gives a string).
    pub session: Option<u64>,
    /// Shared-prefix id (hashed to `u64` if the file gives a string).
    pub prefix: Option<u64>,
    /// Length of the shared prefix in tokens (≤ `input_tokens`).
    pub prefix_tokens: Option<u32>,
    /// Mooncake block ids, each [`Trace::block_tokens`] long (empty for other formats).
    pub hash_ids: Vec<u64>,
    /// 1-based line of the entry in the file.
    pub line: u64,
}

/// A loaded trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// The arrivals, sorted by `offset_us` (stable: equal times keep file order); the first
    /// is at offset 0.
    pub entries: Vec<TraceEntry>,
    /// The format the file was read as.
    pub format: TraceFormat,
    /// The file.
    pub path: PathBuf,
    /// Tokens per hash id: `Some(512)` for Mooncake traces, `None` otherwise.
    pub block_tokens: Option<u32>,
}

impl Trace {
    /// Offset of the last arrival in microseconds (the trace's span).
    pub fn duration_us(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.offset_us)
    }

    /// Mean arrival rate in requests per second: the number of inter-arrival gaps over the
    /// span, `(n - 1) / duration`. 0 when it cannot be measured (fewer than two entries, or
    /// all arrivals at the same instant).
    pub fn mean_rate(&self) -> f64 {
        let d = self.duration_us();
        if self.entries.len() < 2 || d == 0 {
            return 0.0;
        }
        (self.entries.len() - 1) as f64 / (d as f64 / 1e6)
    }
}

/// Why a trace could not be loaded. Every message names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The file could not be opened or read.
    #[error("cannot read trace file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A line (or CSV record) is not valid for the format.
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The file holds no entries.
    #[error("trace file {} has no entries", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The format of a bare path could not be detected.
    #[error(
        "cannot tell the format of trace file {}: {message}; expected headroom JSONL \
         (objects with `input_tokens`), Mooncake JSONL (objects with `input_length` and \
         `hash_ids`) or Azure CSV (header TIMESTAMP,ContextTokens,GeneratedTokens), or name \
         the format: headroom:PATH, mooncake:PATH, azure:PATH",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        message: String,
    },
}

/// Reads the trace `r` names, detecting its format if `r.format` is `None`.
pub fn load(r: &TraceRef) -> Result<Trace, TraceError> {
    let path = r.path.as_path();
    let format = match r.format {
        Some(f) => f,
        None => detect(path)?,
    };
    let mut entries = match format {
        TraceFormat::Headroom => read_jsonl(path, parse_headroom)?,
        TraceFormat::Mooncake => read_jsonl(path, parse_mooncake)?,
        TraceFormat::Azure => read_azure(path)?,
    };
    if entries.is_empty() {
        return Err(TraceError::Empty {
            path: path.to_path_buf(),
        });
    }
    // Stable: equal arrival times keep their file order.
    entries.sort_by_key(|e| e.offset_us);
    let first = entries[0].offset_us;
    for e in &mut entries {
        e.offset_us -= first;
    }
    Ok(Trace {
        entries,
        format,
        path: path.to_path_buf(),
        block_tokens: (format == TraceFormat::Mooncake).then_some(MOONCAKE_BLOCK_TOKENS),
    })
}

/// Stable id of a string: FNV-1a 64, then SplitMix64.
fn hash_id(s: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let h = s
        .bytes()
        .fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME));
    headroom_core::seed::mix(h)
}

fn io_error(path: &Path, source: std::io::Error) -> TraceError {
    TraceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn parse_error(path: &Path, line: u64, message: impl Into<String>) -> TraceError {
    TraceError::Parse {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// Calls `f(line_number, line)` for every line of the file (without its line ending).
/// Stops at the first error, or when `f` returns `Ok(false)`.
fn for_each_line(
    path: &Path,
    mut f: impl FnMut(u64, &str) -> Result<bool, TraceError>,
) -> Result<(), TraceError> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut reader = BufReader::new(file);
    let mut buf = String::new();
    let mut number = 0u64;
    loop {
        buf.clear();
        number += 1;
        match reader.read_line(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(parse_error(path, number, "not valid UTF-8 text"));
            }
            Err(e) => return Err(io_error(path, e)),
        }
        let line = buf.trim_end_matches(['\n', '\r']);
        let line = if number == 1 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        if !f(number, line)? {
            return Ok(());
        }
    }
}

/// Whether a JSONL line holds no entry (blank or a `#` comment).
fn skipped(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// Detects the format of a bare path (see the module docs).
fn detect(path: &Path) -> Result<TraceFormat, TraceError> {
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        return Ok(TraceFormat::Azure);
    }
    let mut first: Option<(u64, String)> = None;
    for_each_line(path, |number, line| {
        if skipped(line) {
            return Ok(true);
        }
        first = Some((number, line.trim().to_string()));
        Ok(false)
    })?;
    let Some((number, line)) = first else {
        return Err(TraceError::Empty {
            path: path.to_path_buf(),
        });
    };
    let unknown = |message: String| TraceError::UnknownFormat {
        path: path.to_path_buf(),
        message,
    };
    match serde_json::from_str::<serde_json::Value>(&line) {
        Ok(serde_json::Value::Object(map)) => {
            let has = |keys: &[&str]| keys.iter().any(|k| map.contains_key(*k));
            if has(&["input_length", "hash_ids"]) {
                Ok(TraceFormat::Mooncake)
            } else if has(&["input_tokens", "output_tokens", "t_ms", "t_us", "t"]) {
                // Headroom fields other than `input_tokens` too, so that a typo in
                // `input_tokens` is reported by the headroom parser, naming the field.
                Ok(TraceFormat::Headroom)
            } else if has(&["output_length", "timestamp"]) {
                Ok(TraceFormat::Mooncake)
            } else {
                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                Err(unknown(format!(
                    "the first entry (line {number}) has neither `input_tokens` nor \
                     `input_length`/`hash_ids` (its fields: {})",
                    if keys.is_empty() {
                        "none".to_string()
                    } else {
                        keys.join(", ")
                    }
                )))
            }
        }
        Ok(_) => Err(unknown(format!(
            "the first entry (line {number}) is JSON but not an object"
        ))),
        Err(_) if azure_header(&line) => Ok(TraceFormat::Azure),
        Err(_) => Err(unknown(format!(
            "the first entry (line {number}) is neither a JSON object nor an Azure CSV header"
        ))),
    }
}

/// Whether a line is an Azure CSV header.
fn azure_header(line: &str) -> bool {
    let cols: Vec<&str> = line
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    AZURE_COLUMNS
        .iter()
        .all(|want| cols.iter().any(|c| c.eq_ignore_ascii_case(want)))
}

/// Reads a JSONL trace, parsing each entry line with `parse`.
fn read_jsonl(
    path: &Path,
    parse: fn(&str) -> Result<TraceEntry, String>,
) -> Result<Vec<TraceEntry>, TraceError> {
    let mut entries = Vec::new();
    for_each_line(path, |number, line| {
        if skipped(line) {
            return Ok(true);
        }
        let mut entry = parse(line).map_err(|m| parse_error(path, number, m))?;
        entry.line = number;
        entries.push(entry);
        Ok(true)
    })?;
    Ok(entries)
}

/// A serde_json error without its (always line 1) position, but with the column.
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(m) if e.column() > 0 => format!("{m} (column {})", e.column()),
        Some(m) => m.to_string(),
        None => full,
    }
}

/// Converts a time in `unit` microseconds (1000 for ms, 1e6 for s) to whole microseconds.
fn to_us(value: f64, unit: f64, field: &str) -> Result<u64, String> {
    if !value.is_finite() || value < 0.0 {
        return Err(format!("`{field}` is {value}: expected a number ≥ 0"));
    }
    let us = (value * unit).round();
    if us > MAX_US {
        return Err(format!("`{field}` is {value}: too large"));
    }
    Ok(us as u64)
}

/// A session or prefix id: string (hashed) or non-negative integer (kept).
fn id(value: Option<serde_json::Value>, field: &str) -> Result<Option<u64>, String> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(hash_id(&s))),
        Some(serde_json::Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
        Some(other) => Err(format!(
            "`{field}` is {other}: expected a string or a non-negative integer"
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeadroomLine {
    t_ms: Option<f64>,
    t_us: Option<u64>,
    t: Option<f64>,
    input_tokens: u32,
    output_tokens: u32,
    session: Option<serde_json::Value>,
    prefix: Option<serde_json::Value>,
    prefix_tokens: Option<u32>,
}

const HEADROOM_EXPECTED: &str = "expected a JSON object with `t_ms` (or `t_us` or `t`), \
     `input_tokens`, `output_tokens` and optionally `session`, `prefix`, `prefix_tokens`";

fn parse_headroom(line: &str) -> Result<TraceEntry, String> {
    let l: HeadroomLine = serde_json::from_str(line)
        .map_err(|e| format!("{}; {HEADROOM_EXPECTED}", json_message(&e)))?;
    let offset_us = match (l.t_ms, l.t_us, l.t) {
        (Some(ms), None, None) => to_us(ms, 1e3, "t_ms")?,
        (None, Some(us), None) => us,
        (None, None, Some(s)) => to_us(s, 1e6, "t")?,
        (None, None, None) => {
            return Err(
                "no arrival time: expected one of `t_ms` (milliseconds), `t_us` \
                 (microseconds) or `t` (seconds)"
                    .to_string(),
            );
        }
        _ => {
            return Err(
                "more than one arrival time: expected exactly one of `t_ms`, `t_us`, `t`"
                    .to_string(),
            );
        }
    };
    if l.input_tokens == 0 {
        return Err("`input_tokens` is 0: expected an integer ≥ 1".to_string());
    }
    if l.output_tokens == 0 {
        return Err("`output_tokens` is 0: expected an integer ≥ 1".to_string());
    }
    let session = id(l.session, "session")?;
    let prefix = id(l.prefix, "prefix")?;
    if let Some(p) = l.prefix_tokens {
        if prefix.is_none() {
            return Err("`prefix_tokens` without `prefix`: name the shared prefix".to_string());
        }
        if p == 0 {
            return Err("`prefix_tokens` is 0: expected an integer ≥ 1".to_string());
        }
        if p > l.input_tokens {
            return Err(format!(
                "`prefix_tokens` ({p}) exceeds `input_tokens` ({}): expected a prefix no \
                 longer than the prompt",
                l.input_tokens
            ));
        }
    }
    Ok(TraceEntry {
        offset_us,
        input_tokens: l.input_tokens,
        output_tokens: l.output_tokens,
        session,
        prefix,
        prefix_tokens: l.prefix_tokens,
        hash_ids: Vec::new(),
        line: 0,
    })
}

#[derive(Deserialize)]
struct MooncakeLine {
    timestamp: f64,
    input_length: u32,
    output_length: u32,
    #[serde(default)]
    hash_ids: Vec<u64>,
}

const MOONCAKE_EXPECTED: &str = "expected a Mooncake JSON object with `timestamp` \
     (milliseconds), `input_length`, `output_length` and `hash_ids`";

fn parse_mooncake(line: &str) -> Result<TraceEntry, String> {
    let l: MooncakeLine = serde_json::from_str(line)
        .map_err(|e| format!("{}; {MOONCAKE_EXPECTED}", json_message(&e)))?;
    let offset_us = to_us(l.timestamp, 1e3, "timestamp")?;
    if l.input_length == 0 {
        return Err("`input_length` is 0: expected an integer ≥ 1".to_string());
    }
    Ok(TraceEntry {
        offset_us,
        input_tokens: l.input_length,
        // A request generates at least one token.
        output_tokens: l.output_length.max(1),
        session: None,
        prefix: None,
        prefix_tokens: None,
        hash_ids: l.hash_ids,
        line: 0,
    })
}

/// The Azure columns we read (matched case-insensitively).
const AZURE_COLUMNS: [&str; 3] = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"];

fn read_azure(path: &Path) -> Result<Vec<TraceEntry>, TraceError> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(BufReader::new(file));
    let csv_error = |e: csv::Error| match e.position() {
        Some(p) => parse_error(path, p.line(), format!("invalid CSV: {e}")),
        None => match e.into_kind() {
            csv::ErrorKind::Io(io) => io_error(path, io),
            kind => parse_error(path, 1, format!("invalid CSV: {kind:?}")),
        },
    };
    let header = reader.headers().map_err(csv_error)?.clone();
    let mut columns = [0usize; 3];
    for (slot, want) in columns.iter_mut().zip(AZURE_COLUMNS) {
        *slot = header
            .iter()
            .position(|h| {
                h.trim_start_matches('\u{feff}')
                    .trim()
                    .eq_ignore_ascii_case(want)
            })
            .ok_or_else(|| {
                parse_error(
                    path,
                    1,
                    format!(
                        "no `{want}` column in the header: expected an Azure LLM inference \
                         trace header TIMESTAMP,ContextTokens,GeneratedTokens"
                    ),
                )
            })?;
    }
    let [ts_col, ctx_col, gen_col] = columns;
    let mut rows: Vec<(i64, TraceEntry)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let number = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let field = |i: usize, name: &str| {
            record.get(i).ok_or_else(|| {
                parse_error(
                    path,
                    number,
                    format!(
                        "missing `{name}` field: expected TIMESTAMP,ContextTokens,GeneratedTokens"
                    ),
                )
            })
        };
        let ts = field(ts_col, "TIMESTAMP")?;
        let at = parse_timestamp(ts).map_err(|m| {
            parse_error(
                path,
                number,
                format!(
                    "bad TIMESTAMP {ts:?}: {m}; expected YYYY-MM-DD HH:MM:SS[.fraction] \
                     (e.g. 2023-11-16 18:15:46.6805900)"
                ),
            )
        })?;
        let count = |i: usize, name: &str| -> Result<u32, TraceError> {
            let v = field(i, name)?;
            v.parse::<u32>().map_err(|_| {
                parse_error(
                    path,
                    number,
                    format!("bad {name} {v:?}: expected a non-negative integer"),
                )
            })
        };
        let input_tokens = count(ctx_col, "ContextTokens")?;
        if input_tokens == 0 {
            return Err(parse_error(
                path,
                number,
                "ContextTokens is 0: expected an integer ≥ 1",
            ));
        }
        // A request generates at least one token.
        let output_tokens = count(gen_col, "GeneratedTokens")?.max(1);
        rows.push((
            at,
            TraceEntry {
                offset_us: 0,
                input_tokens,
                output_tokens,
                session: None,
                prefix: None,
                prefix_tokens: None,
                hash_ids: Vec::new(),
                line: number,
            },
        ));
    }
    let Some(earliest) = rows.iter().map(|(at, _)| *at).min() else {
        return Ok(Vec::new());
    };
    Ok(rows
        .into_iter()
        .map(|(at, mut e)| {
            e.offset_us = at.abs_diff(earliest);
            e
        })
        .collect())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400; // [0, 399]
    let mp = i64::from((month + 9) % 12); // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses exactly `n` ASCII digits.
fn digits(s: &str, n: usize, what: &str) -> Result<u32, String> {
    if s.len() != n || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("expected {n} digits for the {what}, found {s:?}"));
    }
    s.parse::<u32>().map_err(|e| e.to_string())
}

/// Microseconds since the Unix epoch (UTC) of `YYYY-MM-DD[ T]HH:MM:SS[.f{1,9}][Z|±HH:MM]`.
fn parse_timestamp(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (date, rest) = s
        .split_once([' ', 'T'])
        .ok_or("expected a date and a time separated by a space")?;
    let mut d = date.split('-');
    let (Some(y), Some(mo), Some(da), None) = (d.next(), d.next(), d.next(), d.next()) else {
        return Err(format!("expected a date YYYY-MM-DD, found {date:?}"));
    };
    let year = i64::from(digits(y, 4, "year")?);
    let month = digits(mo, 2, "month")?;
    let day = digits(da, 2, "day")?;
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} is not in 1..=12"));
    }
    if !(1..=days_in_month(year, month)).contains(&day) {
        return Err(format!("day {day} does not exist in {year}-{month:02}"));
    }
    // UTC offset: `Z`, or a sign followed by HH:MM at the end.
    let rest = rest.trim();
    let (time, offset_s) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        (t, 0i64)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (t, off) = rest.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..]
            .split_once(':')
            .ok_or_else(|| format!("expected a UTC offset ±HH:MM, found {off:?}"))?;
        let oh = digits(oh, 2, "offset hours")?;
        let om = digits(om, 2, "offset minutes")?;
        if oh > 23 || om > 59 {
            return Err(format!("UTC offset {off:?} is out of range"));
        }
        (t, sign * i64::from(oh * 3600 + om * 60))
    } else {
        (rest, 0)
    };
    let (hms, frac) = match time.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (time, None),
    };
    let mut t = hms.split(':');
    let (Some(h), Some(mi), Some(se), None) = (t.next(), t.next(), t.next(), t.next()) else {
        return Err(format!("expected a time HH:MM:SS, found {time:?}"));
    };
    let hour = digits(h, 2, "hour")?;
    let minute = digits(mi, 2, "minute")?;
    let second = digits(se, 2, "second")?;
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!("time {hms} is out of range"));
    }
    let micros = match frac {
        None => 0i64,
        Some(f) => {
            if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "expected 1 to 9 digits of fraction of a second, found {f:?}"
                ));
            }
            // Nanoseconds, rounded to the nearest microsecond (may carry into the second).
            let ns: i64 = format!("{f:0<9}").parse().map_err(|_| "bad fraction")?;
            (ns + 500) / 1000
        }
    };
    let seconds = days_from_civil(year, month, day) * 86_400
        + i64::from(hour * 3600 + minute * 60 + second)
        - offset_s;
    Ok(seconds * 1_000_000 + micros)
}

/// Salts for the texts of trace blocks, prefixes and unique parts.
const BLOCK: u64 = 0x0062_6c6f_636b;
const TRACE_PREFIX: u64 = 0x7472_7072_6566;
const TRACE_UNIQUE: u64 = 0x7472_756e_6971;

/// Replays a [`Trace`]: request `i` is entry `i`, due at its offset, with a synthetic
/// prompt of the entry's exact length. Content sharing follows the trace: Mooncake hash
/// ids become blocks whose text is a pure function of the id (so equal ids give a real
/// server, and headroom's simulator, the same prefix-cache hits), and a headroom trace's
/// `prefix` becomes a shared opening of `prefix_tokens` tokens. Everything else is unique.
#[derive(Debug, Clone)]
pub struct TraceSource {
    trace: std::sync::Arc<Trace>,
    composer: std::sync::Arc<crate::Composer>,
    seed: u64,
}

impl TraceSource {
    /// A source replaying `trace` with prompts from `composer`.
    pub fn new(
        trace: std::sync::Arc<Trace>,
        composer: std::sync::Arc<crate::Composer>,
        seed: u64,
    ) -> Self {
        TraceSource {
            trace,
            composer,
            seed,
        }
    }

    /// The trace.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
}

impl headroom_core::RequestSource for TraceSource {
    fn request(&self, index: u64) -> headroom_core::RequestSpec {
        use crate::synthetic::rng_for;
        use headroom_core::seed::mix;
        use headroom_core::{Prompt, RequestSpec, Segment, Tags};
        let n = self.trace.entries.len().max(1) as u64;
        let Some(e) = self.trace.entries.get((index % n) as usize) else {
            return RequestSpec::new(Prompt::Text(String::new()), 0, 1);
        };
        let mut text = String::with_capacity(e.input_tokens as usize * 6);
        let mut segments = Vec::new();
        let mut left = e.input_tokens;
        let mut tags = Tags {
            session: e.session,
            ..Tags::default()
        };
        if !e.hash_ids.is_empty() {
            let bt = self.trace.block_tokens.unwrap_or(512).max(1);
            for &h in &e.hash_ids {
                if left == 0 {
                    break;
                }
                let want = left.min(bt);
                let mut rng = rng_for(self.seed, BLOCK, h);
                let start = text.is_empty();
                let got = self.composer.compose(&mut text, want, &mut rng, start);
                segments.push(Segment {
                    key: mix(self.seed ^ BLOCK ^ mix(h)),
                    tokens: got,
                });
                left -= want;
            }
        } else if let Some(p) = e.prefix {
            let want = e
                .prefix_tokens
                .unwrap_or(e.input_tokens)
                .min(e.input_tokens);
            let mut rng = rng_for(self.seed, TRACE_PREFIX, p);
            let got = self.composer.compose(&mut text, want, &mut rng, true);
            segments.push(Segment {
                key: mix(self.seed ^ TRACE_PREFIX ^ mix(p)),
                tokens: got,
            });
            left -= want;
            tags.prefix_group = Some((p ^ (p >> 32)) as u32);
            tags.prefix_tokens = Some(got);
        }
        if left > 0 {
            let mut rng = rng_for(self.seed, TRACE_UNIQUE, index);
            let start = text.is_empty();
            let got = self.composer.compose(&mut text, left, &mut rng, start);
            segments.push(Segment {
                key: mix(self.seed ^ TRACE_UNIQUE ^ mix(index)),
                tokens: got,
            });
        }
        let total = segments.iter().map(|s| s.tokens).sum();
        let mut spec = RequestSpec::new(Prompt::Text(text), total, e.output_tokens.max(1));
        spec.segments = segments;
        spec.tags = tags;
        spec
    }

    fn len(&self) -> Option<u64> {
        Some(self.trace.entries.len() as u64)
    }

    fn arrival_us(&self, index: u64) -> Option<u64> {
        self.trace.entries.get(index as usize).map(|e| e.offset_us)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        fs::write(&p, text).unwrap();
        p
    }

    fn load_path(p: &Path) -> Result<Trace, TraceError> {
        load(&TraceRef {
            format: None,
            path: p.to_path_buf(),
        })
    }

    fn entry(offset_us: u64, input: u32, output: u32, line: u64) -> TraceEntry {
        TraceEntry {
            offset_us,
            input_tokens: input,
            output_tokens: output,
            session: None,
            prefix: None,
            prefix_tokens: None,
            hash_ids: Vec::new(),
            line,
        }
    }

    fn parse_err(e: TraceError) -> (u64, String) {
        let shown = e.to_string();
        match e {
            TraceError::Parse { line, .. } => (line, shown),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn string_ids_hash_stably() {
        // Pinned: ids must be the same on every run and platform.
        assert_eq!(hash_id(""), headroom_core::seed::mix(0xcbf2_9ce4_8422_2325));
        assert_eq!(
            hash_id("a"),
            headroom_core::seed::mix(0xaf63_dc4c_8601_ec8c)
        );
        assert_ne!(hash_id("alice"), hash_id("bob"));
    }

    #[test]
    fn headroom_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "t.jsonl",
            "# a comment\n\
             {\"t_ms\": 1000, \"input_tokens\": 1200, \"output_tokens\": 200, \"session\": \"alice\", \"prefix\": \"sys\", \"prefix_tokens\": 800}\n\
             \n\
             {\"t_ms\": 1012.5, \"input_tokens\": 300, \"output_tokens\": 50}\r\n\
             {\"t_us\": 3000000, \"input_tokens\": 90, \"output_tokens\": 30, \"session\": 17, \"prefix\": 4}\n\
             {\"t\": 2.5, \"input_tokens\": 5, \"output_tokens\": 1, \"session\": null}\n",
        );
        let t = load_path(&p).unwrap();
        assert_eq!(t.format, TraceFormat::Headroom);
        assert_eq!(t.block_tokens, None);
        assert_eq!(t.path, p);
        let mut e1 = entry(0, 1200, 200, 2);
        e1.session = Some(hash_id("alice"));
        e1.prefix = Some(hash_id("sys"));
        e1.prefix_tokens = Some(800);
        let e2 = entry(12_500, 300, 50, 4);
        let e4 = entry(1_500_000, 5, 1, 6);
        let mut e3 = entry(2_000_000, 90, 30, 5);
        e3.session = Some(17);
        e3.prefix = Some(4);
        assert_eq!(t.entries, vec![e1, e2, e4, e3]);
        assert_eq!(t.duration_us(), 2_000_000);
        assert!((t.mean_rate() - 1.5).abs() < 1e-12);
    }

    #[test]
    fn mooncake_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "conversation_trace.jsonl",
            "{\"timestamp\": 27482, \"input_length\": 6955, \"output_length\": 52, \"hash_ids\": [46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2353, 2354]}\n\
             {\"timestamp\": 27500, \"input_length\": 100, \"output_length\": 0, \"hash_ids\": [46], \"extra\": \"ignored\"}\n\
             {\"timestamp\": 27482.25, \"input_length\": 7, \"output_length\": 3}\n",
        );
        let t = load_path(&p).unwrap();
        assert_eq!(t.format, TraceFormat::Mooncake);
        assert_eq!(t.block_tokens, Some(512));
        let mut a = entry(0, 6955, 52, 1);
        a.hash_ids = vec![46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2353, 2354];
        let c = entry(250, 7, 3, 3);
        let mut b = entry(18_000, 100, 1, 2);
        b.hash_ids = vec![46];
        assert_eq!(t.entries, vec![a, c, b]);

        let bad = write(
            &dir,
            "zero.jsonl",
            "{\"timestamp\": 1, \"input_length\": 0, \"output_length\": 3, \"hash_ids\": []}\n",
        );
        let (line, msg) = parse_err(load_path(&bad).unwrap_err());
        assert_eq!(line, 1);
        assert!(msg.contains("input_length"), "{msg}");
    }

    #[test]
    fn azure_csv() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "AzureLLMInferenceTrace_conv.csv",
            "timestamp,CONTEXTTOKENS,GeneratedTokens\n\
             2023-11-16 18:15:46.6805900,374,44\n\
             2023-11-16 18:15:50.9951690,396,109\n\
             2023-11-16 18:15:46,10,0\n\
             2023-11-16T18:15:47.5Z,11,2\n\
             2023-11-16 18:15:48.25+00:00,12,3\n\
             2023-11-16 19:15:49-01:00,13,4\n",
        );
        let t = load_path(&p).unwrap();
        assert_eq!(t.format, TraceFormat::Azure);
        assert_eq!(t.block_tokens, None);
        assert_eq!(
            t.entries,
            vec![
                entry(0, 10, 1, 4),
                entry(680_590, 374, 44, 2),
                entry(1_500_000, 11, 2, 5),
                entry(2_250_000, 12, 3, 6),
                entry(4_995_169, 396, 109, 3),
                entry(7_203_000_000, 13, 4, 7),
            ]
        );
    }

    #[test]
    fn azure_offsets_across_midnight_and_month() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "a.csv",
            "TIMESTAMP,ContextTokens,GeneratedTokens\n\
             2023-11-30 23:59:59.5,1,1\n\
             2023-12-01 00:00:00.25,1,1\n\
             2024-01-01 00:00:00.5,1,1\n\
             2024-03-01 00:00:00.5,1,1\n",
        );
        let t = load_path(&p).unwrap();
        let offsets: Vec<u64> = t.entries.iter().map(|e| e.offset_us).collect();
        let day = 86_400_000_000u64;
        // 1 Dec 2023 → 1 Jan 2024 is 31 days; 1 Jan → 1 Mar 2024 (leap year) 31 + 29 days.
        assert_eq!(
            offsets,
            vec![
                0,
                750_000,
                31 * day + 1_000_000,
                (31 + 31 + 29) * day + 1_000_000
            ]
        );
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(
            parse_timestamp("2023-11-16 18:15:46.6805900").unwrap(),
            1_700_158_546_680_590
        );
        assert!(parse_timestamp("2023-02-29 00:00:00").is_err());
        assert!(parse_timestamp("2024-02-29 00:00:00").is_ok());
    }

    #[test]
    fn out_of_order_is_sorted_stably_and_rebased() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "t.jsonl",
            "{\"t_ms\": 5000, \"input_tokens\": 1, \"output_tokens\": 1}\n\
             {\"t_ms\": 3000.001, \"input_tokens\": 2, \"output_tokens\": 1}\n\
             {\"t_ms\": 4000, \"input_tokens\": 3, \"output_tokens\": 1}\n\
             {\"t_ms\": 3000.001, \"input_tokens\": 4, \"output_tokens\": 1}\n",
        );
        let t = load_path(&p).unwrap();
        let got: Vec<(u64, u32, u64)> = t
            .entries
            .iter()
            .map(|e| (e.offset_us, e.input_tokens, e.line))
            .collect();
        assert_eq!(
            got,
            vec![(0, 2, 2), (0, 4, 4), (999_999, 3, 3), (1_999_999, 1, 1)]
        );
    }

    #[test]
    fn detection_and_refs() {
        let dir = tempfile::tempdir().unwrap();
        let mooncake =
            "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1, \"hash_ids\": [1]}\n";
        let headroom = "{\"t_ms\": 0, \"input_tokens\": 5, \"output_tokens\": 1}\n";
        let azure = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,5,1\n";
        let commented = format!("\n# header\n  \n{headroom}");
        let cases = [
            ("a.jsonl", mooncake, TraceFormat::Mooncake),
            ("b.json", headroom, TraceFormat::Headroom),
            ("c.txt", commented.as_str(), TraceFormat::Headroom),
            ("d.CSV", azure, TraceFormat::Azure),
            ("e", azure, TraceFormat::Azure),
            ("f", mooncake, TraceFormat::Mooncake),
        ];
        for (name, text, want) in cases {
            let p = write(&dir, name, text);
            assert_eq!(load_path(&p).unwrap().format, want, "{name}");
        }

        // An object of neither kind: the error names the expected formats.
        let p = write(&dir, "u.jsonl", "{\"foo\": 1}\n");
        let e = load_path(&p).unwrap_err();
        assert!(matches!(e, TraceError::UnknownFormat { .. }), "{e:?}");
        let msg = e.to_string();
        for want in ["u.jsonl", "foo", "headroom", "Mooncake", "Azure"] {
            assert!(msg.contains(want), "{msg}");
        }
        let p = write(&dir, "v.jsonl", "hello\n");
        assert!(matches!(
            load_path(&p).unwrap_err(),
            TraceError::UnknownFormat { .. }
        ));

        // An explicit format wins over detection.
        let p = write(&dir, "g.csv", mooncake);
        let t = load(&format!("mooncake:{}", p.display()).parse().unwrap()).unwrap();
        assert_eq!(t.format, TraceFormat::Mooncake);

        let r: TraceRef = "azure:/x/y.csv".parse().unwrap();
        assert_eq!(r.format, Some(TraceFormat::Azure));
        assert_eq!(r.path, PathBuf::from("/x/y.csv"));
        assert_eq!(r.to_string(), "azure:/x/y.csv");
        let r: TraceRef = "/x/y.jsonl".parse().unwrap();
        assert_eq!(r.format, None);
        assert_eq!(r.to_string(), "/x/y.jsonl");
        let r: TraceRef = "odd:name.jsonl".parse().unwrap();
        assert_eq!(r.format, None);
        assert_eq!(r.path, PathBuf::from("odd:name.jsonl"));
        assert!("headroom:".parse::<TraceRef>().is_err());
        assert!("".parse::<TraceRef>().is_err());
        assert_eq!("Mooncake".parse::<TraceFormat>(), Ok(TraceFormat::Mooncake));
        assert!("sharegpt".parse::<TraceFormat>().is_err());
    }

    #[test]
    fn malformed_json_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let ok = "{\"t_ms\": 0, \"input_tokens\": 5, \"output_tokens\": 1}\n";
        let p = write(
            &dir,
            "t.jsonl",
            &format!("{ok}{ok}{{\"t_ms\": 1, \"input_tokens\": 5,\n"),
        );
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 3);
        assert!(msg.contains("t.jsonl:3:"), "{msg}");
        assert!(msg.contains("expected a JSON object"), "{msg}");

        let p = write(
            &dir,
            "m.jsonl",
            "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1}\n\n{\"timestamp\": \"x\"}\n",
        );
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 3);
        assert!(
            msg.contains("m.jsonl:3:") && msg.contains("timestamp"),
            "{msg}"
        );
    }

    #[test]
    fn headroom_field_errors() {
        let dir = tempfile::tempdir().unwrap();
        let check = |name: &str, text: &str, wants: &[&str]| {
            let p = write(&dir, name, text);
            let r = TraceRef {
                format: Some(TraceFormat::Headroom),
                path: p,
            };
            let (line, msg) = parse_err(load(&r).unwrap_err());
            assert_eq!(line, 1, "{msg}");
            for want in wants {
                assert!(msg.contains(want), "{want:?} not in {msg}");
            }
        };
        check(
            "typo.jsonl",
            "{\"t_ms\": 0, \"input_tokns\": 5, \"output_tokens\": 1}\n",
            &[
                "typo.jsonl:1:",
                "input_tokns",
                "`t_ms`",
                "`input_tokens`",
                "`prefix_tokens`",
            ],
        );
        check(
            "prefix.jsonl",
            "{\"t_ms\": 0, \"input_tokens\": 5, \"output_tokens\": 1, \"prefix\": \"p\", \"prefix_tokens\": 6}\n",
            &["prefix_tokens", "input_tokens", "(6)", "(5)"],
        );
        check(
            "noprefix.jsonl",
            "{\"t_ms\": 0, \"input_tokens\": 5, \"output_tokens\": 1, \"prefix_tokens\": 2}\n",
            &["without `prefix`"],
        );
        // A typo in the first line of a bare path is still reported as a typo.
        let p = write(
            &dir,
            "typo2.jsonl",
            "{\"t_ms\": 0, \"input_tokns\": 5, \"output_tokens\": 1}\n",
        );
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 1);
        assert!(msg.contains("unknown field `input_tokns`"), "{msg}");
        check(
            "notime.jsonl",
            "{\"input_tokens\": 5, \"output_tokens\": 1}\n",
            &["t_ms", "t_us"],
        );
        check(
            "twotimes.jsonl",
            "{\"t_ms\": 0, \"t\": 0, \"input_tokens\": 5, \"output_tokens\": 1}\n",
            &["exactly one"],
        );
        check(
            "negative.jsonl",
            "{\"t_ms\": -1, \"input_tokens\": 5, \"output_tokens\": 1}\n",
            &["t_ms", "≥ 0"],
        );
        check(
            "zero.jsonl",
            "{\"t_ms\": 0, \"input_tokens\": 5, \"output_tokens\": 0}\n",
            &["output_tokens", "≥ 1"],
        );
        check(
            "badid.jsonl",
            "{\"t_ms\": 0, \"input_tokens\": 5, \"output_tokens\": 1, \"session\": [1]}\n",
            &["session", "string or a non-negative integer"],
        );
    }

    #[test]
    fn azure_errors() {
        let dir = tempfile::tempdir().unwrap();
        let header = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
        let p = write(
            &dir,
            "a.csv",
            &format!("{header}2023-11-16 18:15:46,5,1\n2023-11-16 25:15:46,5,1\n"),
        );
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 3);
        assert!(
            msg.contains("a.csv:3:") && msg.contains("TIMESTAMP"),
            "{msg}"
        );

        for bad in [
            "2023-11-16",
            "2023-13-01 00:00:00",
            "2023-11-16 18:15",
            "2023-11-16 18:15:46.",
            "2023-11-16 18:15:46.12345678901",
            "16/11/2023 18:15:46",
            "2023-11-16 18:15:46+0000",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }

        let p = write(
            &dir,
            "b.csv",
            &format!("{header}2023-11-16 18:15:46,5,1\n2023-11-16 18:15:47,0,1\n"),
        );
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 3);
        assert!(msg.contains("ContextTokens"), "{msg}");

        let p = write(&dir, "c.csv", "TIMESTAMP,Tokens\n2023-11-16 18:15:46,5\n");
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 1);
        assert!(msg.contains("`ContextTokens`"), "{msg}");

        let p = write(&dir, "d.csv", &format!("{header}2023-11-16 18:15:46,x,1\n"));
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 2);
        assert!(msg.contains("ContextTokens"), "{msg}");
    }

    #[test]
    fn missing_and_empty_files() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.jsonl");
        for format in [None, Some(TraceFormat::Azure), Some(TraceFormat::Mooncake)] {
            let e = load(&TraceRef {
                format,
                path: missing.clone(),
            })
            .unwrap_err();
            assert!(matches!(e, TraceError::Io { .. }), "{e:?}");
            assert!(e.to_string().contains("nope.jsonl"), "{e}");
        }
        for (name, text) in [
            ("empty.jsonl", ""),
            ("comments.jsonl", "# nothing\n\n  \n"),
            ("header.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n"),
        ] {
            let p = write(&dir, name, text);
            let e = load_path(&p).unwrap_err();
            assert!(matches!(e, TraceError::Empty { .. }), "{name}: {e:?}");
            assert!(e.to_string().contains(name), "{e}");
        }
        let p = write(&dir, "empty2.jsonl", "");
        let e = load(&TraceRef {
            format: Some(TraceFormat::Headroom),
            path: p,
        })
        .unwrap_err();
        assert!(matches!(e, TraceError::Empty { .. }), "{e:?}");
    }

    #[test]
    fn rate_of_tiny_traces() {
        let t = Trace {
            entries: vec![entry(0, 1, 1, 1)],
            format: TraceFormat::Headroom,
            path: PathBuf::from("x"),
            block_tokens: None,
        };
        assert_eq!(t.duration_us(), 0);
        assert_eq!(t.mean_rate(), 0.0);
    }

    #[test]
    fn replay_gives_exact_lengths_and_shares_blocks() {
        use headroom_core::{RequestSource, TokenCounter};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mooncake.jsonl");
        std::fs::write(
            &path,
            concat!(
                "{\"timestamp\": 0, \"input_length\": 1100, \"output_length\": 7, \"hash_ids\": [1, 2, 3]}\n",
                "{\"timestamp\": 250, \"input_length\": 1300, \"output_length\": 9, \"hash_ids\": [1, 2, 4]}\n",
                "{\"timestamp\": 900, \"input_length\": 300, \"output_length\": 1, \"hash_ids\": [5]}\n",
            ),
        )
        .unwrap();
        let trace = load(&TraceRef::from_str(path.to_str().unwrap()).unwrap()).unwrap();
        let tok = std::sync::Arc::new(crate::Tokenizer::default_builtin());
        let composer = std::sync::Arc::new(crate::Composer::new(tok.clone()));
        let src = TraceSource::new(std::sync::Arc::new(trace), composer, 1);
        assert_eq!(src.len(), Some(3));
        assert_eq!(
            (0..4).map(|i| src.arrival_us(i)).collect::<Vec<_>>(),
            vec![Some(0), Some(250_000), Some(900_000), None]
        );
        let text = |i| match src.request(i).prompt {
            headroom_core::Prompt::Text(t) => t,
            headroom_core::Prompt::Chat(_) => unreachable!(),
        };
        for (i, n) in [(0, 1100), (1, 1300), (2, 300)] {
            let r = src.request(i);
            assert_eq!(r.input_tokens, n);
            assert_eq!(tok.count(&text(i)), n, "request {i}");
        }
        assert_eq!(src.request(0).max_tokens, 7);
        // Hash ids 1 and 2 (1,024 tokens) are shared by the first two requests.
        let (a, b) = (tok.encode(&text(0)), tok.encode(&text(1)));
        assert_eq!(a[..1024], b[..1024]);
        assert_ne!(a[1024..1040], b[1024..1040]);
        assert_eq!(src.request(0).segments[..2], src.request(1).segments[..2]);
        assert_eq!(src.request(1), src.request(1), "reproducible");
    }
}
