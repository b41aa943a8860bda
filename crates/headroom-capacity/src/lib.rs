//! Sweeps and SLO capacity searches, generic over any [`Runner`].
//!
//! The same search runs against a real server (the load driver over the HTTP client) or
//! the simulator in virtual time: the caller makes a runner per level and repeat and
//! hands it to [`measure`], which watches the run (goodput, early stop) and returns what
//! the judgement needs. The searches themselves are state machines that never run
//! anything: [`Capacity::next`] says which level and repeat to run, [`Capacity::record`]
//! takes the result. So a search resumed from a results directory makes the same
//! decisions by feeding back the measurements already on disk.
//!
//! - [`plan`]: the one shape of sweeps and searches ([`Plan`]: `next`, `record`), and the
//!   sweep's ([`SweepPlan`]); a capacity search is a [`Capacity`].
//! - [`search`]: linear (seed 000) and adaptive (bracket by doubling, then bisect).
//! - [`verdict`]: the pass rule over repeats with confidence intervals.
//! - [`watch`]: goodput and the early stop of a clearly failing level.
//! - [`sequential`]: levels measured until decided; [`settle`]: their start-up, left out.
//! - [`sweep`]: rows, the maximum-throughput and best-latency levels, the knee, `--auto`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod level;
pub mod plan;
pub mod search;
pub mod sequential;
pub mod settle;
pub mod sweep;
pub mod verdict;
pub mod watch;

pub use level::LoadAxis;
pub use plan::{Plan, Step, SweepLevels, SweepPlan};
pub use search::{Found, LevelOutcome, Method, Search, SearchKind};
pub use settle::StartUp;
pub use sweep::{GpuRow, ServerRow};
pub use verdict::{Capacity, LevelResult, LevelRun, Measurement, PassRule, RepeatRow, judge};
pub use watch::{EarlyStop, EarlyStopRule, EarlyStopping, StopSignal, Watch};

use headroom_core::{RecordSink, RequestRecord, RunError, RunInfo, RunPlan, Runner, SinkError};
use headroom_metrics::Recorder;
use headroom_metrics::slo::SloSet;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// What [`measure`] saw besides the records.
#[derive(Debug, Clone)]
pub struct Watched {
    /// The runner's report.
    pub info: RunInfo,
    /// Measured requests that met every SLO.
    pub goodput_met: u64,
    /// Why the run was stopped early, if it was.
    pub early_stop: Option<EarlyStop>,
    /// The sequential look it is judged at (0: a fixed level).
    pub judged_at_look: u32,
    /// Its start-up ([`settle`]).
    pub start_up: Option<StartUp>,
}

impl Watched {
    /// The measurement of a run whose records are `records`, in the order they completed
    /// (for callers that keep the records in memory rather than in a results directory),
    /// judged by `slos`. An applied start-up is left out.
    pub fn measurement(
        &self,
        records: &[RequestRecord],
        slos: &SloSet,
        dir: String,
    ) -> Measurement {
        let left_out = self
            .start_up
            .filter(|u| u.applied)
            .map_or(0, |u| u.requests);
        let (rec, goodput_met) = settle::without_start_up(records, left_out, slos);
        Measurement {
            summary: rec.finish(self.info.epoch_unix_us),
            goodput_met,
            early_stop: self.early_stop.clone(),
            judged_at_look: self.judged_at_look,
            start_up: self.start_up,
            elapsed_s: self.info.elapsed_us as f64 / 1e6,
            dir,
        }
    }

    /// `true` when the run was interrupted from outside (Ctrl-C), not stopped early.
    pub fn interrupted(&self) -> bool {
        self.info.interrupted && self.early_stop.is_none()
    }
}

/// Runs `plan` with `runner`, every record going to `sink` and to a [`Watch`] judged by
/// `slos`. The run ends at its stop rule, at `shutdown`, or early when the watch sees the
/// level clearly failing (with `early_stopping`).
pub async fn measure<R, S>(
    runner: &R,
    plan: &RunPlan,
    sink: &mut (dyn RecordSink + '_),
    slos: &SloSet,
    early_stopping: Option<EarlyStopping>,
    shutdown: S,
) -> Result<Watched, RunError>
where
    R: Runner,
    S: Future<Output = ()> + Send,
{
    let mut watched = WatchedSink {
        inner: sink,
        recorder: Recorder::new(),
        watch: Watch::new(slos, plan, early_stopping),
    };
    let stop = watched.watch.signal().stopped();
    let info = runner
        .run(plan, &mut watched, either(shutdown, stop))
        .await?;
    Ok(Watched {
        info,
        goodput_met: watched.watch.goodput_met(),
        early_stop: watched.watch.early_stop().cloned(),
        judged_at_look: watched.watch.judged_at_look(),
        start_up: watched.watch.start_up(),
    })
}

/// A sink in front of another that keeps the summary a [`Watch`] needs.
struct WatchedSink<'a> {
    inner: &'a mut (dyn RecordSink + 'a),
    recorder: Recorder,
    watch: Watch,
}

impl RecordSink for WatchedSink<'_> {
    fn started(&mut self, epoch_unix_us: u64) -> Result<(), SinkError> {
        self.inner.started(epoch_unix_us)
    }

    fn record(&mut self, r: RequestRecord) -> Result<(), SinkError> {
        self.recorder.add(&r);
        self.watch.observe(&r, self.recorder.current());
        self.inner.record(r)
    }
}

/// A future that completes when `a` or `b` does: a run's shutdown is Ctrl-C or an early
/// stop, whichever comes first.
pub fn either<A, B>(a: A, b: B) -> impl Future<Output = ()> + Send
where
    A: Future<Output = ()> + Send,
    B: Future<Output = ()> + Send,
{
    Either(Box::pin(a), Box::pin(b))
}

/// Completes when either future completes.
struct Either<A, B>(Pin<Box<A>>, Pin<Box<B>>);

impl<A: Future<Output = ()>, B: Future<Output = ()>> Future for Either<A, B> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.as_mut().poll(cx).is_ready() || self.1.as_mut().poll(cx).is_ready() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}
