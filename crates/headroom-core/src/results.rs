//! The results-directory contract.
//!
//! ```text
//! results/<run-id>/
//!   manifest.json    tool version + git sha, resolved scenario, seed, labels, target, host,
//!                    start/end, status
//!   requests.jsonl   one RequestRecord per line, appended and flushed as each request ends
//!   summary.json     per-metric distributions and the serialized HDR histograms
//! ```
//!
//! The journal is written line by line with one `write` per record, so a run that is
//! killed leaves every finished request on disk; [`read_journal`] tolerates a torn last
//! line and reports any damaged line by number.

use crate::{RequestRecord, Scenario};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// `manifest.json`
pub const MANIFEST: &str = "manifest.json";
/// `requests.jsonl`
pub const JOURNAL: &str = "requests.jsonl";
/// `summary.json`
pub const SUMMARY: &str = "summary.json";

/// Version of the results-directory format; bumped on incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// `manifest.json`: what was run, against what, by which tool, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Manifest {
    /// Results-directory format version.
    pub format_version: u32,
    /// The tool that wrote this directory.
    pub tool: ToolInfo,
    /// Directory name of this run.
    pub run_id: String,
    /// The command line, with secrets redacted.
    pub command: Vec<String>,
    /// The resolved scenario (includes the seed).
    pub scenario: Scenario,
    /// User labels (`--label gpu=L20`).
    pub labels: BTreeMap<String, String>,
    /// What the server said about itself.
    pub target: TargetInfo,
    /// The machine that generated the load.
    pub host: HostInfo,
    /// Wall-clock time of the run's epoch, µs since the Unix epoch; every `*_us` time in
    /// `requests.jsonl` is relative to it.
    pub epoch_unix_us: u64,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time (absent while running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// How the run ended.
    pub status: RunStatus,
    /// Why it ended that way, when not complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// What the load generator itself used (includes the embedded simulator when it ran
    /// in the same process). Absent where the OS does not report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<ProcessStats>,
}

/// CPU and memory used by the headroom process, to tell whether the load generator
/// itself was a bottleneck.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProcessStats {
    /// CPU seconds in user mode.
    pub cpu_user_s: f64,
    /// CPU seconds in the kernel.
    pub cpu_system_s: f64,
    /// Peak resident memory, bytes.
    pub peak_rss_bytes: u64,
}

impl ProcessStats {
    /// Reads this process's totals so far (Linux `/proc/self`; `None` elsewhere).
    pub fn current() -> Option<Self> {
        // USER_HZ, the unit of /proc times, is 100 on every Linux ABI.
        const TICKS: f64 = 100.0;
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let rest = &stat[stat.rfind(')')? + 1..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = f.get(11)?.parse().ok()?;
        let stime: f64 = f.get(12)?.parse().ok()?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let hwm_kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(ProcessStats {
            cpu_user_s: utime / TICKS,
            cpu_system_s: stime / TICKS,
            peak_rss_bytes: hwm_kb * 1024,
        })
    }

    /// User plus system CPU seconds.
    pub fn cpu_s(&self) -> f64 {
        self.cpu_user_s + self.cpu_system_s
    }
}

/// Tool identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ToolInfo {
    /// `headroom`.
    pub name: String,
    /// Crate version.
    pub version: String,
    /// Git commit the binary was built from (`unknown` outside a checkout).
    pub git_sha: String,
}

/// What is known about the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TargetInfo {
    /// Model ids from `/v1/models`.
    pub models: Vec<String>,
    /// `max_model_len` of the model, when the server reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_model_len: Option<u64>,
    /// Server version (`/version`), when available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// `true` when the target was headroom's embedded simulator.
    pub embedded_simulator: bool,
    /// Simulator settings, when the target was the embedded simulator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulator: Option<String>,
    /// `true` for a prediction (`headroom predict`): the simulator ran in virtual time and
    /// every time in the results is simulated.
    #[serde(default)]
    pub virtual_time: bool,
    /// The simulator's full specification (GPU and model entries, engine settings, cost-model
    /// constants), when the target was the simulator's engine model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulator_spec: Option<serde_json::Value>,
}

/// The load generator's machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HostInfo {
    /// Host name.
    pub hostname: String,
    /// `linux`, `macos`, ...
    pub os: String,
    /// `x86_64`, `aarch64`, ...
    pub arch: String,
    /// Logical CPUs.
    pub cpus: usize,
}

impl HostInfo {
    /// Reads the current machine's facts.
    pub fn current() -> Self {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        HostInfo {
            hostname,
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still running (or killed without a chance to say otherwise).
    Running,
    /// The stop rule was reached.
    Complete,
    /// Interrupted (Ctrl-C): results are partial.
    Interrupted,
    /// A fatal error ended the run: results are partial.
    Failed,
}

/// Formats a wall-clock time as RFC 3339 with microseconds.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_micros(t).to_string()
}

/// Writes `value` as pretty JSON to `path` atomically (temp file + rename), so a reader
/// never sees half a file.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    {
        let mut f = File::create(&tmp)?;
        serde_json::to_writer_pretty(&mut f, value)?;
        f.write_all(b"\n")?;
        f.sync_data()?;
    }
    std::fs::rename(&tmp, path)
}

/// Reads a JSON file with a message naming the file on failure.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> io::Result<T> {
    let f = File::open(path)?;
    serde_json::from_reader(BufReader::new(f)).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is not valid: {e}", path.display()),
        )
    })
}

/// Appends records to `requests.jsonl`, one line per record, each handed to the OS before
/// `append` returns.
#[derive(Debug)]
pub struct JournalWriter {
    file: File,
    path: PathBuf,
    line: Vec<u8>,
    count: u64,
}

impl JournalWriter {
    /// Creates (or truncates) the journal at `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)?;
        Ok(JournalWriter {
            file,
            path: path.to_path_buf(),
            line: Vec::with_capacity(4096),
            count: 0,
        })
    }

    /// Appends one record as a single write.
    pub fn append(&mut self, record: &RequestRecord) -> io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, record)?;
        self.line.push(b'\n');
        self.file.write_all(&self.line)?;
        self.count += 1;
        Ok(())
    }

    /// Records written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes file data to stable storage.
    pub fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }
}

/// What [`read_journal`] found.
#[derive(Debug, Default)]
pub struct Journal {
    /// Every readable record, in file order.
    pub records: Vec<RequestRecord>,
    /// Lines that could not be read: (1-based line number, reason). A torn final line
    /// from a killed run shows up here.
    pub damaged: Vec<(usize, String)>,
}

/// Reads `requests.jsonl`, keeping every readable line.
pub fn read_journal(path: &Path) -> io::Result<Journal> {
    let reader = BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut journal = Journal::default();
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<RequestRecord>(&line) {
            Ok(r) => journal.records.push(r),
            Err(e) => journal.damaged.push((i + 1, e.to_string())),
        }
    }
    Ok(journal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Outcome, Phase, TokenSource};

    fn rec(i: u64) -> RequestRecord {
        RequestRecord {
            index: i,
            phase: Phase::Measure,
            intended_us: None,
            send_us: Some(i * 10),
            end_us: Some(i * 10 + 5),
            content_us: vec![1, 2, 3],
            content_tokens: vec![],
            input_tokens: 4,
            input_tokens_source: TokenSource::Workload,
            output_tokens: 3,
            output_tokens_source: TokenSource::Usage,
            output_tokens_counted: None,
            max_tokens: 3,
            requested_input_tokens: None,
            tags: Default::default(),
            http_status: Some(200),
            finish_reason: None,
            outcome: Outcome::Ok,
        }
    }

    #[test]
    fn journal_round_trips_and_survives_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL);
        let mut w = JournalWriter::create(&path).unwrap();
        for i in 0..3 {
            w.append(&rec(i)).unwrap();
        }
        assert_eq!(w.count(), 3);
        drop(w);
        // A kill in the middle of a write leaves half a line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"index":3,"phase":"meas"#).unwrap();
        let j = read_journal(&path).unwrap();
        assert_eq!(j.records, vec![rec(0), rec(1), rec(2)]);
        assert_eq!(j.damaged.len(), 1);
        assert_eq!(j.damaged[0].0, 4);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn process_stats_are_read_on_linux() {
        let s = ProcessStats::current().unwrap();
        assert!(s.peak_rss_bytes > 100_000);
        assert!(s.cpu_s() >= 0.0);
    }

    #[test]
    fn atomic_json_write() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        write_json_atomic(&p, &serde_json::json!({"a": 1})).unwrap();
        let v: serde_json::Value = read_json(&p).unwrap();
        assert_eq!(v["a"], 1);
        assert!(!dir.path().join("x.json.tmp").exists());
    }
}
