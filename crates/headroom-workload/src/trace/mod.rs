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
//!
//! Reading is split by format: JSONL traces (headroom's and Mooncake's) in `jsonl.rs`, the
//! Azure CSV in `azure.rs`; detection, the shared line reader and the types are here; the
//! replay ([`TraceSource`]) is in `source.rs`.

mod azure;
mod jsonl;
mod source;

pub use source::TraceSource;

use azure::{azure_header, read_azure};
use jsonl::{parse_headroom, parse_mooncake, read_jsonl};
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

/// A trace named in a way that cannot be read: an unknown format, or no file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceRefError {
    /// No format has that name.
    #[error("unknown trace format {0:?}: expected headroom, mooncake or azure")]
    UnknownFormat(String),
    /// The reference names no file.
    #[error(
        "trace {0:?} names no file: expected headroom:PATH, mooncake:PATH, azure:PATH or a bare PATH"
    )]
    NoFile(String),
}

impl FromStr for TraceFormat {
    type Err = TraceRefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TraceFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| TraceRefError::UnknownFormat(s.to_string()))
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
    type Err = TraceRefError;

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
            return Err(TraceRefError::NoFile(s.to_string()));
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

/// Reads the file `trace` names, detecting its format if `trace.format` is `None`.
pub fn load(trace: &TraceRef) -> Result<Trace, TraceError> {
    let path = trace.path.as_path();
    let format = match trace.format {
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

pub(super) fn io_error(path: &Path, source: std::io::Error) -> TraceError {
    TraceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(super) fn parse_error(path: &Path, line: u64, message: impl Into<String>) -> TraceError {
    TraceError::Parse {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// Calls `f(line_number, line)` for every line of the file (without its line ending).
/// Stops at the first error, or when `f` returns `Ok(false)`.
pub(super) fn for_each_line(
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
pub(super) fn skipped(line: &str) -> bool {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod fixtures {
    //! Helpers shared by the trace tests.
    use super::*;
    use std::fs;

    pub(crate) fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        fs::write(&p, text).unwrap();
        p
    }

    pub(crate) fn load_path(p: &Path) -> Result<Trace, TraceError> {
        load(&TraceRef {
            format: None,
            path: p.to_path_buf(),
        })
    }

    pub(crate) fn entry(offset_us: u64, input: u32, output: u32, line: u64) -> TraceEntry {
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

    pub(crate) fn parse_err(e: TraceError) -> (u64, String) {
        let shown = e.to_string();
        match e {
            TraceError::Parse { line, .. } => (line, shown),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{entry, load_path, write};
    use super::*;

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
    fn ref_errors_say_what_is_expected() {
        assert_eq!(
            "csv".parse::<TraceFormat>().unwrap_err().to_string(),
            "unknown trace format \"csv\": expected headroom, mooncake or azure"
        );
        assert_eq!(
            "mooncake:".parse::<TraceRef>().unwrap_err(),
            TraceRefError::NoFile("mooncake:".into())
        );
        assert_eq!(
            TraceRefError::NoFile("azure: ".into()).to_string(),
            "trace \"azure: \" names no file: expected headroom:PATH, mooncake:PATH, azure:PATH or a bare PATH"
        );
    }
}
