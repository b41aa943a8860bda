//! The sink that journals every record of a run as it ends, and the progress display.

use anyhow::Context as _;
use headroom_core::{RecordSink, RequestRecord, SinkError};
use headroom_metrics::{Recorder, Summary};
use headroom_results::files::{JOURNAL, MANIFEST};
use headroom_results::{JournalWriter, Manifest, rfc3339, write_json as write_json_atomic};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Journals each record, folds it into the summary and moves the progress display.
pub struct ResultsSink {
    dir: PathBuf,
    manifest: Manifest,
    journal: JournalWriter,
    recorder: Recorder,
    progress: Progress,
}

impl ResultsSink {
    /// A sink writing into `dir`, whose manifest is written now (status `running`).
    pub fn create(dir: &Path, manifest: Manifest, progress: Progress) -> anyhow::Result<Self> {
        write_json_atomic(&dir.join(MANIFEST), &manifest)
            .with_context(|| format!("cannot write {}", dir.join(MANIFEST).display()))?;
        let journal = JournalWriter::create(&dir.join(JOURNAL))
            .with_context(|| format!("cannot create {}", dir.join(JOURNAL).display()))?;
        Ok(ResultsSink {
            dir: dir.to_path_buf(),
            manifest,
            journal,
            recorder: Recorder::new(),
            progress,
        })
    }

    /// Records written to the journal.
    pub fn written(&self) -> u64 {
        self.journal.count()
    }

    /// The manifest as it stands.
    pub fn manifest_mut(&mut self) -> &mut Manifest {
        &mut self.manifest
    }

    /// Rewrites the manifest.
    pub fn write_manifest(&self) -> anyhow::Result<()> {
        let p = self.dir.join(MANIFEST);
        write_json_atomic(&p, &self.manifest)
            .with_context(|| format!("cannot write {}", p.display()))
    }

    /// Ends the progress display and returns the summary.
    pub fn finish(mut self, epoch_unix_us: u64) -> (Summary, Manifest) {
        self.progress.finish();
        let _ = self.journal.sync();
        (self.recorder.finish(epoch_unix_us), self.manifest)
    }
}

impl RecordSink for ResultsSink {
    fn started(&mut self, epoch_unix_us: u64) -> Result<(), SinkError> {
        self.manifest.epoch_unix_us = epoch_unix_us;
        self.manifest.started_at = rfc3339(UNIX_EPOCH + Duration::from_micros(epoch_unix_us));
        let p = self.dir.join(MANIFEST);
        write_json_atomic(&p, &self.manifest).map_err(|source| SinkError {
            what: format!("writing {}", p.display()),
            source,
        })
    }

    fn record(&mut self, record: RequestRecord) -> Result<(), SinkError> {
        self.journal.append(&record).map_err(|source| SinkError {
            what: format!("writing {}", self.journal.path().display()),
            source,
        })?;
        self.recorder.add(&record);
        self.progress.update(&self.recorder);
        Ok(())
    }
}

/// A progress bar on stderr, shown only on a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
    start: std::time::Instant,
}

impl Progress {
    /// A bar towards `total` requests (a spinner when the total is unknown).
    pub fn new(enabled: bool, total: Option<u64>, duration: Option<Duration>) -> Self {
        let bar = enabled.then(|| {
            let (bar, template) = match total {
                Some(n) => (
                    ProgressBar::new(n),
                    "{elapsed_precise} [{bar:30}] {pos}/{len} requests | {msg}",
                ),
                None => (
                    ProgressBar::no_length(),
                    "{spinner} {elapsed_precise} {pos} requests | {msg}",
                ),
            };
            bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            if let Some(d) = duration {
                bar.set_message(format!(
                    "sending for {}",
                    headroom_core::duration::format(d)
                ));
            }
            bar
        });
        Progress {
            bar,
            start: std::time::Instant::now(),
        }
    }

    fn update(&self, r: &Recorder) {
        if let Some(bar) = &self.bar {
            let s = r.current();
            bar.set_position(r.seen());
            let secs = self.start.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "ok {} | failed {} | {:.1} req/s",
                s.counts.ok,
                s.counts.failed(),
                s.counts.ok as f64 / secs
            ));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The wall-clock time now, µs since the Unix epoch.
pub fn unix_us_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}
