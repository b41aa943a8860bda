//! Where the records of a run go as they end: the journal on disk first (so a killed run
//! keeps every finished request), then one recorder that folds each record into the
//! summary once, the timeline of its report, the SLO watch (sweeps and searches only) and
//! the progress display.

use crate::job::StartClock;
use headroom_capacity::Watch;
use headroom_core::{RecordSink, RequestRecord, SinkError};
use headroom_metrics::timeline::TimelineBuilder;
use headroom_metrics::{Recorder, Summary};
use headroom_results::files::MANIFEST;
use headroom_results::{JournalWriter, Manifest, rfc3339, write_json};
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

/// Shows a run's progress (the binary draws a bar on a terminal). Every method has a
/// default that does nothing.
pub trait Progress: Send {
    /// A run starts: `expected` requests when known in advance, `duration` of sending
    /// when the run is timed.
    fn start(&mut self, expected: Option<u64>, duration: Option<Duration>) {
        let _ = (expected, duration);
    }

    /// A record arrived: `summary` is the run so far, `seen` the records so far (warmup
    /// included).
    fn update(&mut self, summary: &Summary, seen: u64) {
        let _ = (summary, seen);
    }

    /// The run ended.
    fn finish(&mut self) {}
}

/// No progress display (virtual time, tests, `--no-progress`).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// The sink of one run.
pub(crate) struct RunSink<'a> {
    /// The run's start, for the telemetry sampler.
    pub(crate) clock: StartClock,
    pub(crate) dir: PathBuf,
    pub(crate) manifest: Manifest,
    pub(crate) journal: JournalWriter,
    pub(crate) recorder: Recorder,
    /// The run over time, for its report (a few words per request).
    pub(crate) timeline: TimelineBuilder,
    pub(crate) watch: Option<Watch>,
    pub(crate) progress: &'a mut dyn Progress,
}

impl RunSink<'_> {
    /// Writes the manifest as it stands.
    pub(crate) fn write_manifest(&self) -> std::io::Result<()> {
        write_json(&self.dir.join(MANIFEST), &self.manifest)
    }
}

impl RecordSink for RunSink<'_> {
    fn started(&mut self, epoch_unix_us: u64) -> Result<(), SinkError> {
        self.clock.set(epoch_unix_us);
        self.manifest.epoch_unix_us = epoch_unix_us;
        self.manifest.started_at = rfc3339(UNIX_EPOCH + Duration::from_micros(epoch_unix_us));
        self.write_manifest().map_err(|source| SinkError {
            what: format!("writing {}", self.dir.join(MANIFEST).display()),
            source,
        })
    }

    fn record(&mut self, record: RequestRecord) -> Result<(), SinkError> {
        self.journal.append(&record).map_err(|source| SinkError {
            what: format!("writing {}", self.journal.path().display()),
            source,
        })?;
        self.recorder.add(&record);
        self.timeline.add(&record);
        if let Some(w) = &mut self.watch {
            w.observe(&record, self.recorder.current());
        }
        self.progress
            .update(self.recorder.current(), self.recorder.seen());
        Ok(())
    }
}
