//! The driver: runs a plan against a backend and streams records to a sink.

use crate::{Admission, RunClock, Schedule};
use headroom_core::{
    Backend, LoadPolicy, Phase, PlanError, RecordSink, RequestCtx, RequestRecord, RequestSource,
    RequestSpec, RunError, RunInfo, RunPlan, Runner, SinkError,
};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

/// How open-loop arrivals wait for their intended time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pacing {
    /// A dedicated thread sleeps until shortly before each arrival, then spins to it:
    /// pacing error is microseconds instead of tokio's 1 ms timer granularity.
    #[default]
    Precise,
    /// tokio's timer on the runtime (for tests under `tokio::time::pause`).
    Tokio,
}

/// Intended times start this long after the epoch, so the first arrival is not late by
/// the time it takes to start the pacer. The simulator's virtual-time runner uses the
/// same lead, so a prediction's intended times match a real run's.
pub const LEAD_US: u64 = 1_000;
/// Arrivals never due are counted one by one up to this many (a tenth of a second or so),
/// so that stopping a day-long run at a high rate does not wait for the count.
const UNSENT_COUNT_LIMIT: usize = 5_000_000;
/// The precise pacer spins for at most this long before an arrival.
const SPIN_US: u64 = 150;

/// Runs a [`RunPlan`] by sending requests from a [`RequestSource`] through a [`Backend`].
pub struct Driver<B, S> {
    backend: Arc<B>,
    source: Arc<S>,
    pacing: Pacing,
}

impl<B, S> std::fmt::Debug for Driver<B, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("pacing", &self.pacing)
            .finish_non_exhaustive()
    }
}

impl<B: Backend, S: RequestSource + 'static> Driver<B, S> {
    /// A driver with precise pacing.
    pub fn new(backend: Arc<B>, source: Arc<S>) -> Self {
        Driver {
            backend,
            source,
            pacing: Pacing::Precise,
        }
    }

    /// Chooses how open-loop arrivals are paced.
    pub fn with_pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    async fn drive<Sh: Future<Output = ()> + Send>(
        &self,
        plan: &RunPlan,
        sink: &mut (dyn RecordSink + '_),
        shutdown: Sh,
    ) -> Result<RunInfo, RunError> {
        plan.check()?;
        let clock = Arc::new(RunClock::start());
        sink.started(clock.epoch_unix_us())?;
        let shared = Shared {
            backend: self.backend.clone(),
            source: self.source.clone(),
            clock: clock.clone(),
            admission: Arc::new(Admission::new(plan.stop, plan.warmup)),
            stop: CancellationToken::new(),
            cancel: CancellationToken::new(),
            unsent: Arc::new(AtomicU64::new(0)),
        };
        let (tx, rx) = mpsc::unbounded_channel::<RequestRecord>();
        self.start(plan, &shared, &tx)?;
        // The workers hold the only senders now: the channel closes when the last ends.
        drop(tx);
        let interrupted = collect(plan, sink, &shared, rx, shutdown).await?;
        Ok(RunInfo {
            epoch_unix_us: clock.epoch_unix_us(),
            elapsed_us: headroom_core::Clock::now_us(&*clock),
            interrupted,
            unsent_arrivals: shared.unsent.load(Ordering::Acquire),
        })
    }

    /// Starts what sends the plan's requests: closed-loop workers (users, for
    /// conversations), or the open-loop pacer and dispatcher.
    fn start(
        &self,
        plan: &RunPlan,
        shared: &Shared<B, S>,
        tx: &mpsc::UnboundedSender<RequestRecord>,
    ) -> Result<(), RunError> {
        match plan.load {
            LoadPolicy::Closed { concurrency } => match plan.conversation {
                None => {
                    for _ in 0..concurrency {
                        tokio::spawn(closed_worker(shared.clone(), tx.clone()));
                    }
                }
                Some(conv) => {
                    let sessions = Arc::new(AtomicU64::new(0));
                    for _ in 0..concurrency {
                        tokio::spawn(conversation_worker(
                            shared.clone(),
                            tx.clone(),
                            sessions.clone(),
                            conv,
                        ));
                    }
                }
            },
            LoadPolicy::Open { .. } | LoadPolicy::Trace { .. } => {
                let (schedule, max_concurrency) = arrivals(plan, &self.source)?;
                let (atx, arx) = mpsc::unbounded_channel::<Arrival>();
                let cap = max_concurrency.map(|c| Arc::new(Semaphore::new(c as usize)));
                tokio::spawn(dispatcher(shared.clone(), arx, cap, tx.clone()));
                let pacer_shared = shared.clone();
                match self.pacing {
                    Pacing::Tokio => {
                        tokio::spawn(
                            async move { pace(pacer_shared, schedule, atx, TokioSleep).await },
                        );
                    }
                    Pacing::Precise => {
                        let spawned = std::thread::Builder::new()
                            .name("headroom-pacer".into())
                            .spawn(move || {
                                let rt = tokio::runtime::Builder::new_current_thread().build();
                                if let Ok(rt) = rt {
                                    rt.block_on(pace(pacer_shared, schedule, atx, ThreadSleep));
                                }
                            });
                        if let Err(e) = spawned {
                            shared.stop.cancel();
                            return Err(RunError::Start(e));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Hands every record to the sink until the senders are done; on `shutdown` stops
/// sending and gives requests in flight the plan's grace period. Returns whether the run
/// was interrupted, or the sink's error (records after it are drained and dropped: there
/// is nowhere left to put them).
async fn collect<B: Backend, S>(
    plan: &RunPlan,
    sink: &mut (dyn RecordSink + '_),
    shared: &Shared<B, S>,
    mut rx: mpsc::UnboundedReceiver<RequestRecord>,
    shutdown: impl Future<Output = ()>,
) -> Result<bool, RunError> {
    tokio::pin!(shutdown);
    let grace = tokio::time::sleep(Duration::from_secs(365 * 24 * 3600));
    tokio::pin!(grace);
    let mut interrupted = false;
    let mut grace_armed = false;
    let mut sink_error: Option<SinkError> = None;
    loop {
        tokio::select! {
            biased;
            rec = rx.recv() => match rec {
                Some(rec) if sink_error.is_none() => {
                    if let Err(e) = sink.record(rec) {
                        sink_error = Some(e);
                        shared.halt();
                        shared.cancel.cancel();
                    }
                }
                Some(_) => {}
                None => break,
            },
            () = &mut shutdown, if !interrupted => {
                interrupted = true;
                shared.halt();
                grace.as_mut().reset(tokio::time::Instant::now() + plan.grace);
                grace_armed = true;
            }
            () = &mut grace, if grace_armed => {
                grace_armed = false;
                shared.cancel.cancel();
            }
        }
    }
    match sink_error {
        Some(e) => Err(RunError::Sink(e)),
        None => Ok(interrupted),
    }
}

impl<B: Backend, S: RequestSource + 'static> Runner for Driver<B, S> {
    fn run<'a, Sh>(
        &'a self,
        plan: &'a RunPlan,
        sink: &'a mut (dyn RecordSink + 'a),
        shutdown: Sh,
    ) -> impl Future<Output = Result<RunInfo, RunError>> + Send + 'a
    where
        Sh: Future<Output = ()> + Send + 'a,
    {
        self.drive(plan, sink, shutdown)
    }
}

/// What every task of a run shares.
struct Shared<B, S> {
    backend: Arc<B>,
    source: Arc<S>,
    clock: Arc<RunClock>,
    admission: Arc<Admission>,
    /// Stop sending new requests.
    stop: CancellationToken,
    /// Abandon requests in flight.
    cancel: CancellationToken,
    /// Open loop: measured arrivals never due when sending stopped.
    unsent: Arc<AtomicU64>,
}

impl<B, S> Clone for Shared<B, S> {
    fn clone(&self) -> Self {
        Shared {
            backend: self.backend.clone(),
            source: self.source.clone(),
            clock: self.clock.clone(),
            admission: self.admission.clone(),
            stop: self.stop.clone(),
            cancel: self.cancel.clone(),
            unsent: self.unsent.clone(),
        }
    }
}

impl<B: Backend, S> Shared<B, S> {
    fn halt(&self) {
        self.admission.close();
        self.stop.cancel();
    }

    /// Records `claimed` arrivals already claimed but not due, and what the stop rule
    /// would still have admitted from `rest`, as never sent (at most
    /// [`UNSENT_COUNT_LIMIT`] of them are counted one by one).
    fn count_unsent(&self, claimed: u64, rest: impl Iterator<Item = u64>) {
        let n = claimed + self.admission.unclaimed(rest.take(UNSENT_COUNT_LIMIT));
        self.unsent.store(n, Ordering::Release);
    }

    async fn send(
        &self,
        spec: RequestSpec,
        index: u64,
        phase: Phase,
        intended_us: Option<u64>,
    ) -> RequestRecord {
        let ctx = RequestCtx {
            index,
            phase,
            intended_us,
            clock: &*self.clock,
        };
        let requested = spec.input_tokens;
        let tags = spec.tags;
        let mut rec = self
            .backend
            .execute(spec, ctx, self.cancel.clone().cancelled_owned())
            .await;
        rec.describe_as(requested, tags);
        rec
    }
}

/// The open-loop arrival times (µs after the first): a seeded schedule, or the source's
/// own times for trace replay.
pub type Arrivals = Box<dyn Iterator<Item = u64> + Send>;

/// The arrival times and the in-flight cap of an open-loop or trace plan.
pub fn arrivals<S: RequestSource + 'static>(
    plan: &RunPlan,
    source: &Arc<S>,
) -> Result<(Arrivals, Option<u32>), PlanError> {
    match plan.load {
        LoadPolicy::Open {
            rate,
            arrival,
            burstiness,
            max_concurrency,
        } => {
            let s = Schedule::new(rate, arrival, burstiness, plan.seed)?;
            Ok((Box::new(s), max_concurrency))
        }
        LoadPolicy::Trace {
            speedup,
            max_concurrency,
        } => {
            if !(speedup > 0.0 && speedup.is_finite()) {
                return Err(PlanError::Speedup(speedup));
            }
            if source.arrival_us(0).is_none() {
                return Err(PlanError::NoArrivalTimes);
            }
            let source = source.clone();
            let times = (0u64..)
                .map_while(move |i| source.arrival_us(i))
                .map(move |t| (t as f64 / speedup).round() as u64);
            Ok((Box::new(times), max_concurrency))
        }
        LoadPolicy::Closed { .. } => Err(PlanError::ClosedLoopSchedule),
    }
}

async fn closed_worker<B: Backend, S: RequestSource>(
    sh: Shared<B, S>,
    tx: mpsc::UnboundedSender<RequestRecord>,
) {
    use headroom_core::Clock;
    while !sh.stop.is_cancelled() {
        let Some((index, phase)) = sh.admission.claim(sh.clock.now_us()) else {
            break;
        };
        let spec = sh.source.request(index);
        let rec = sh.send(spec, index, phase, None).await;
        if tx.send(rec).is_err() {
            break;
        }
    }
}

/// One user in a conversation workload: claims a conversation, sends its turns in order
/// with the think time between them, then claims the next. Request `i` is turn
/// `i % turns` of conversation `i / turns`.
async fn conversation_worker<B: Backend, S: RequestSource>(
    sh: Shared<B, S>,
    tx: mpsc::UnboundedSender<RequestRecord>,
    sessions: Arc<AtomicU64>,
    conv: headroom_core::Conversation,
) {
    use headroom_core::Clock;
    let turns = conv.turns.max(1) as u64;
    while !sh.stop.is_cancelled() {
        let session = sessions.fetch_add(1, Ordering::Relaxed);
        for turn in 0..turns {
            if turn > 0 && !conv.think_time.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(conv.think_time) => {}
                    () = sh.stop.cancelled() => return,
                }
            }
            if sh.stop.is_cancelled() {
                return;
            }
            // The admission still decides whether a request is sent and measured; its
            // own counter is not the index here.
            let Some((_, phase)) = sh.admission.claim(sh.clock.now_us()) else {
                return;
            };
            let index = session * turns + turn;
            let spec = sh.source.request(index);
            let rec = sh.send(spec, index, phase, None).await;
            if tx.send(rec).is_err() {
                return;
            }
        }
    }
}

/// An open-loop arrival, prepared before its time.
struct Arrival {
    index: u64,
    phase: Phase,
    intended_us: u64,
    spec: RequestSpec,
}

/// Waits until an intended time; `false` when the run stopped first.
trait Sleep {
    fn until(
        &mut self,
        clock: &RunClock,
        t_us: u64,
        stop: &CancellationToken,
    ) -> impl Future<Output = bool> + Send;
}

struct TokioSleep;

impl Sleep for TokioSleep {
    async fn until(&mut self, clock: &RunClock, t_us: u64, stop: &CancellationToken) -> bool {
        tokio::select! {
            () = tokio::time::sleep_until(clock.at(t_us)) => true,
            () = stop.cancelled() => false,
        }
    }
}

/// Blocks its own thread: OS sleeps in short slices (to notice a stop), then a short spin.
struct ThreadSleep;

impl Sleep for ThreadSleep {
    async fn until(&mut self, clock: &RunClock, t_us: u64, stop: &CancellationToken) -> bool {
        use headroom_core::Clock;
        loop {
            if stop.is_cancelled() {
                return false;
            }
            let now = clock.now_us();
            if now >= t_us {
                return true;
            }
            let left = t_us - now;
            if left > SPIN_US {
                std::thread::sleep(Duration::from_micros((left - SPIN_US).min(20_000)));
            } else {
                std::hint::spin_loop();
            }
        }
    }
}

/// Emits arrivals at their intended times. The request is built before its time comes.
/// When sending stops first, counts the measured arrivals never due into `sh.unsent`.
async fn pace<B: Backend, S: RequestSource, Sl: Sleep>(
    sh: Shared<B, S>,
    schedule: Arrivals,
    atx: mpsc::UnboundedSender<Arrival>,
    mut sleep: Sl,
) {
    let mut schedule = schedule.map(|offset| LEAD_US + offset);
    while let Some(intended_us) = schedule.next() {
        let Some((index, phase)) = sh.admission.claim(intended_us) else {
            // The stop rule was reached (nothing is left) or sending stopped.
            sh.count_unsent(0, std::iter::once(intended_us).chain(schedule));
            return;
        };
        let spec = sh.source.request(index);
        if !sleep.until(&sh.clock, intended_us, &sh.stop).await {
            sh.count_unsent(u64::from(phase == Phase::Measure), schedule);
            return;
        }
        let arrival = Arrival {
            index,
            phase,
            intended_us,
            spec,
        };
        if atx.send(arrival).is_err() {
            break;
        }
    }
}

/// Sends each arrival as it comes, waiting for a slot under a concurrency cap.
async fn dispatcher<B: Backend, S: RequestSource + 'static>(
    sh: Shared<B, S>,
    mut arx: mpsc::UnboundedReceiver<Arrival>,
    cap: Option<Arc<Semaphore>>,
    tx: mpsc::UnboundedSender<RequestRecord>,
) {
    while let Some(a) = arx.recv().await {
        let not_sent = |a: &Arrival| {
            let mut r =
                RequestRecord::not_sent(a.index, a.phase, Some(a.intended_us), a.spec.max_tokens);
            r.describe(&a.spec);
            r
        };
        if sh.stop.is_cancelled() {
            let _ = tx.send(not_sent(&a));
            continue;
        }
        let permit = match &cap {
            None => None,
            Some(sem) => tokio::select! {
                p = sem.clone().acquire_owned() => p.ok(),
                () = sh.stop.cancelled() => {
                    let _ = tx.send(not_sent(&a));
                    continue;
                }
            },
        };
        let sh = sh.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let rec = sh.send(a.spec, a.index, a.phase, Some(a.intended_us)).await;
            drop(permit);
            let _ = tx.send(rec);
        });
    }
}
