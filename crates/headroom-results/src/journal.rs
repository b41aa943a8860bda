//! `requests.jsonl`: one [`RequestRecord`] per line, appended as each request ends; and
//! `telemetry.jsonl`, one [`TelemetrySample`] per line, appended as each is taken.
//!
//! Each line is one `write`, so a run that is killed leaves every finished request (and
//! sample) on disk; [`read_journal`] and [`read_telemetry`] tolerate a torn last line and
//! report any damaged line by number.

use headroom_core::RequestRecord;
use headroom_telemetry::TelemetrySample;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// Appends lines of JSON to `requests.jsonl` (records) or `telemetry.jsonl` (samples),
/// each handed to the OS before `append` returns.
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

    /// Appends one record (or sample) as a single write.
    pub fn append<T: Serialize>(&mut self, record: &T) -> io::Result<()> {
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

/// What [`read_journal`] or [`read_telemetry`] found.
#[derive(Debug)]
pub struct Lines<T> {
    /// Every readable line, in file order.
    pub records: Vec<T>,
    /// Lines that could not be read: (1-based line number, reason). A torn final line
    /// from a killed run shows up here.
    pub damaged: Vec<(usize, String)>,
}

impl<T> Default for Lines<T> {
    fn default() -> Self {
        Lines {
            records: Vec::new(),
            damaged: Vec::new(),
        }
    }
}

/// `requests.jsonl` read back.
pub type Journal = Lines<RequestRecord>;

/// Reads `requests.jsonl`, keeping every readable line.
pub fn read_journal(path: &Path) -> io::Result<Journal> {
    read_lines(path)
}

/// Reads `telemetry.jsonl`, keeping every readable line.
pub fn read_telemetry(path: &Path) -> io::Result<Lines<TelemetrySample>> {
    read_lines(path)
}

fn read_lines<T: DeserializeOwned>(path: &Path) -> io::Result<Lines<T>> {
    let reader = BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut journal = Lines::default();
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<T>(&line) {
            Ok(r) => journal.records.push(r),
            Err(e) => journal.damaged.push((i + 1, e.to_string())),
        }
    }
    Ok(journal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::JOURNAL;
    use headroom_testkit::record;

    fn rec(i: u64) -> RequestRecord {
        record(i)
            .sent_at(i * 10)
            .e2e_us(5)
            .content_us(vec![1, 2, 3])
            .input_tokens(4)
            .output_tokens(3)
            .build()
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
}
