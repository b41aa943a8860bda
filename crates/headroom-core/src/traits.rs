//! The seams between crates.
//!
//! - A [`RequestSource`] makes request `i` (the workload).
//! - A [`Backend`] sends one request and times it (the HTTP client; a test double).
//! - A [`Runner`] executes a [`RunPlan`] and hands every record to a [`RecordSink`]
//!   (the real-time load driver over a backend, or the simulator in virtual time), so
//!   sweeps and capacity searches run unchanged against either.

use crate::{Phase, PlanError, RequestRecord, RequestSpec, RunPlan};
use std::future::Future;

/// A monotonic clock reading microseconds since the run's epoch.
pub trait Clock: Send + Sync {
    /// Microseconds since the epoch.
    fn now_us(&self) -> u64;
}

/// Counts tokens the way headroom's configured tokenizer does.
pub trait TokenCounter: Send + Sync {
    /// A name for the manifest (`words`, `cl100k_base`, a `tokenizer.json` path).
    fn name(&self) -> &str;

    /// Tokens in `text`.
    fn count(&self, text: &str) -> u32;

    /// Tokens per segment of `text`, where segment `i` ends at byte `ends[i]` (the last
    /// end is `text.len()`). The sum equals `count(text)`. The default counts each segment
    /// on its own; tokenizers that can attribute tokens across boundaries override it.
    fn count_segments(&self, text: &str, ends: &[usize], out: &mut Vec<u32>) {
        out.clear();
        let mut start = 0;
        for &end in ends {
            out.push(self.count(text.get(start..end).unwrap_or("")));
            start = end;
        }
    }
}

/// Makes the requests of a run. Request `i` depends only on `i` and the source's seed, so
/// any worker may ask for any index in any order and the run stays reproducible.
#[allow(clippy::len_without_is_empty)]
pub trait RequestSource: Send + Sync {
    /// Request number `index`.
    fn request(&self, index: u64) -> RequestSpec;

    /// How many distinct requests the source holds, when it is finite (a trace, a
    /// dataset read once). `None`: any index is valid.
    fn len(&self) -> Option<u64> {
        None
    }

    /// Trace replay: when request `index` arrives, µs after the first arrival. Sources
    /// without their own timing return `None`.
    fn arrival_us(&self, index: u64) -> Option<u64> {
        let _ = index;
        None
    }
}

/// What the load driver knows about a request when it hands it to a backend.
#[derive(Clone, Copy)]
pub struct RequestCtx<'a> {
    /// Position in the run's request sequence.
    pub index: u64,
    /// Warmup or measured.
    pub phase: Phase,
    /// Open loop: the intended send time, µs since the run epoch.
    pub intended_us: Option<u64>,
    /// The run's clock; every timestamp in the record is read from it.
    pub clock: &'a dyn Clock,
}

impl std::fmt::Debug for RequestCtx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestCtx")
            .field("index", &self.index)
            .field("phase", &self.phase)
            .field("intended_us", &self.intended_us)
            .finish_non_exhaustive()
    }
}

/// Sends one request and records what happened. It never fails: every failure is a
/// record with an error outcome.
pub trait Backend: Send + Sync + 'static {
    /// Sends `spec` and returns its record. When `cancel` completes first, the request is
    /// abandoned and recorded as cancelled with the timings gathered so far.
    fn execute<'a, C>(
        &'a self,
        spec: RequestSpec,
        ctx: RequestCtx<'a>,
        cancel: C,
    ) -> impl Future<Output = RequestRecord> + Send + 'a
    where
        C: Future<Output = ()> + Send + 'a;
}

/// Why a sink refused a record.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct SinkError {
    /// What the sink was doing.
    pub what: String,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// Receives every record of a run, in completion order.
pub trait RecordSink: Send {
    /// Called once when the run's clock starts, before any record, with the wall-clock
    /// time of the epoch that every record's `*_us` time is relative to.
    fn started(&mut self, epoch_unix_us: u64) -> Result<(), SinkError> {
        let _ = epoch_unix_us;
        Ok(())
    }

    /// Takes one record. An error stops the run (e.g. the disk is full).
    fn record(&mut self, record: RequestRecord) -> Result<(), SinkError>;
}

impl RecordSink for Vec<RequestRecord> {
    fn record(&mut self, record: RequestRecord) -> Result<(), SinkError> {
        self.push(record);
        Ok(())
    }
}

/// What a runner reports about a finished run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunInfo {
    /// Wall-clock time of the run's epoch (µs since the Unix epoch).
    pub epoch_unix_us: u64,
    /// Length of the run, µs, from epoch to the last record.
    pub elapsed_us: u64,
    /// `true` when the run was interrupted before its stop rule.
    pub interrupted: bool,
    /// Open loop: measured arrivals the plan still held when sending stopped, whose
    /// intended time had not come (arrivals that were due but waited for a slot under
    /// `max_concurrency` are recorded as `not_sent` instead). 0 for a closed loop and for
    /// a run that reached its stop rule.
    pub unsent_arrivals: u64,
}

/// Why a run could not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The sink failed; records up to the failure were delivered.
    #[error("could not record results: {0}")]
    Sink(#[from] SinkError),
    /// The plan cannot be executed.
    #[error("invalid run plan: {0}")]
    Plan(#[from] PlanError),
    /// The runner could not start what it needs (the load driver's pacer thread).
    #[error("could not start the pacer thread: {0}")]
    Start(std::io::Error),
}

/// Executes a run plan and delivers every record to a sink.
pub trait Runner {
    /// Runs `plan`. When `shutdown` completes, sending stops, in-flight requests get the
    /// plan's grace period, and the rest are recorded as cancelled or not sent.
    fn run<'a, S>(
        &'a self,
        plan: &'a RunPlan,
        sink: &'a mut (dyn RecordSink + 'a),
        shutdown: S,
    ) -> impl Future<Output = Result<RunInfo, RunError>> + Send + 'a
    where
        S: Future<Output = ()> + Send + 'a;
}
