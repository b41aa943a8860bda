//! Why a job could not run or finish. Every message says what happened and what to do;
//! whatever was recorded before the failure is on disk.

use crate::settings::SettingsError;
use std::path::PathBuf;

/// Why a job failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A setting cannot work (a usage error).
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The server did not answer its first request.
    #[error(transparent)]
    Unreachable(#[from] headroom_client::PreflightError),
    /// The embedded simulator could not start.
    #[error("cannot start the embedded simulator on 127.0.0.1: {0}")]
    Embedded(String),
    /// The results directory could not be created.
    #[error(transparent)]
    Dir(#[from] headroom_results::DirError),
    /// A results file could not be written or read.
    #[error("cannot {what} {}: {source}", .path.display())]
    File {
        /// `write` or `read`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The journal could not be written: the run stopped there.
    #[error(
        "the run stopped because its results could not be written: {error}. The {written} requests recorded before that are in {}; free space (or choose another --out) and run again",
        .journal.display()
    )]
    Recording {
        /// What failed.
        error: headroom_core::SinkError,
        /// Records on disk.
        written: u64,
        /// The journal.
        journal: PathBuf,
    },
    /// The runner refused the plan.
    #[error(transparent)]
    Plan(headroom_core::RunError),
    /// Every measured request of a run failed.
    #[error(
        "every one of the {failed} measured requests failed ({kinds}); is the server healthy? Each error is in {}",
        .journal.display()
    )]
    EveryRequestFailed {
        /// Failed requests.
        failed: u64,
        /// Failures by kind, e.g. `http_status 8`.
        kinds: String,
        /// The journal, where each error is.
        journal: PathBuf,
    },
    /// A level on disk was measured with other settings than the plan being resumed.
    #[error(
        "{} was measured with other settings (seed {found} instead of {expected}); resume with the same command, or start a new results directory",
        .dir.display()
    )]
    OtherSettings {
        /// The level's run directory.
        dir: PathBuf,
        /// The seed on disk.
        found: u64,
        /// The seed the plan derives.
        expected: u64,
    },
}

impl JobError {
    /// A failed write of `path`.
    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        JobError::File {
            what: "write",
            path: path.into(),
            source,
        }
    }

    /// A failed read of `path`.
    pub fn read(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        JobError::File {
            what: "read",
            path: path.into(),
            source,
        }
    }

    /// `true` for a usage error: the settings, not the server or the disk.
    pub fn is_usage(&self) -> bool {
        matches!(self, JobError::Settings(_))
    }
}
