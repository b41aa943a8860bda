//! The virtual-time runner: the same run plan and workload as a real run, executed against
//! the engine model in virtual time, producing the same records.
//!
//! Arrivals follow `headroom-load`'s [`Schedule`](headroom_load::Schedule) and
//! [`Admission`], so a prediction and a real run of the same scenario send the same
//! requests at the same (intended) times, from the same lead ([`LEAD_US`]). The
//! client sends a request the instant the schedule (or, in closed loop, the end of its
//! previous request) says so; the network takes half of `network_rtt_us` each way, so a
//! request reaches the engine, and a token the client, that much later. Requests that
//! reach the engine during a step join at the next step, as in vLLM — which is why a
//! closed-loop replacement, arriving just after a step began, waits out that step.

use crate::engine::{Engine, Event, NewRequest, ReqId, block_hashes, word_hash};
use crate::perf::{CostModel, SimSpec};
use headroom_core::seed::mix;
use headroom_core::{
    ErrorKind, LoadPolicy, Outcome, Phase, PlanError, RecordSink, RequestRecord, RequestSource,
    RunError, RunInfo, RunPlan, Runner, SinkError, TokenSource,
};
use headroom_load::{Admission, Arrivals, LEAD_US};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Runs plans against the engine model in virtual time.
#[derive(Debug)]
pub struct VirtualRunner<S> {
    spec: SimSpec,
    source: Arc<S>,
}

impl<S: RequestSource + 'static> VirtualRunner<S> {
    /// A runner for `spec` sending requests from `source`.
    pub fn new(spec: SimSpec, source: Arc<S>) -> Self {
        VirtualRunner { spec, source }
    }

    /// Runs `plan` to the end, synchronously.
    pub fn simulate(
        &self,
        plan: &RunPlan,
        sink: &mut (dyn RecordSink + '_),
    ) -> Result<RunInfo, RunError> {
        self.simulate_until(plan, sink, &mut || false)
    }

    /// Runs `plan`, asking `stop` before each step whether to stop: then, as the real
    /// driver does on shutdown, nothing more is sent, requests in flight get the plan's
    /// grace period (virtual time) and the rest are recorded as cancelled.
    pub fn simulate_until(
        &self,
        plan: &RunPlan,
        sink: &mut (dyn RecordSink + '_),
        stop: &mut dyn FnMut() -> bool,
    ) -> Result<RunInfo, RunError> {
        plan.check()?;
        let cost = CostModel::new(&self.spec).map_err(|e| PlanError::Runner(Box::new(e)))?;
        let mut sim = VirtualRun::new(&self.spec, cost, plan, &*self.source);
        let half_rtt = sim.half_rtt;
        let mut deadline: Option<f64> = None;
        let epoch_unix_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        sink.started(epoch_unix_us)?;
        let mut schedule: Option<Arrivals> = match plan.load {
            LoadPolicy::Closed { concurrency } => {
                for _ in 0..concurrency {
                    sim.start_user(0.0);
                }
                None
            }
            LoadPolicy::Open { .. } | LoadPolicy::Trace { .. } => {
                let (arrivals, cap) = headroom_load::arrivals(plan, &self.source)?;
                sim.cap = cap.map(|c| c.max(1) as usize);
                Some(arrivals)
            }
        };
        let mut next_arrival = schedule.as_mut().and_then(|s| sim.claim_arrival(s));
        let mut unsent_arrivals = 0;
        let mut events = Vec::new();
        loop {
            let now = sim.engine.now_us();
            if deadline.is_none() && stop() {
                deadline = Some(now + plan.grace.as_micros() as f64);
                sim.stop_sending();
                // What the schedule still held, never due: counted, as the driver does.
                if let Some(rest) = schedule.take() {
                    let claimed = next_arrival.take().map(|(_, phase, _)| phase);
                    unsent_arrivals = u64::from(claimed == Some(Phase::Measure))
                        + sim.admission.unclaimed(rest.map(|o| LEAD_US + o));
                }
            }
            if let Some(d) = deadline.filter(|d| now >= *d) {
                sim.cancel_all(d);
                sim.hand_over(sink)?;
                break;
            }
            // The client sends what the schedule says up to now...
            while let Some((index, phase, t)) = next_arrival {
                if t as f64 > now {
                    break;
                }
                sim.arrive(index, phase, t);
                next_arrival = schedule.as_mut().and_then(|s| sim.claim_arrival(s));
            }
            // ...and what has reached the server by now joins the next step.
            sim.deliver(now);
            sim.hand_over(sink)?;
            // Users whose think time is over send their next turn.
            sim.wake(now);
            if !sim.engine.busy() {
                // Idle: jump to the next thing that happens, or end.
                match sim.next_event(next_arrival.map(|(_, _, t)| t as f64)) {
                    None => break,
                    Some(t) => {
                        sim.engine.advance_to(deadline.map_or(t, |d| t.min(d)));
                        continue;
                    }
                }
            }
            events.clear();
            if sim.engine.step(&mut events).is_none() {
                return Err(PlanError::Runner(Box::new(Stalled)).into());
            }
            for ev in &events {
                sim.on_event(*ev);
            }
            sim.hand_over(sink)?;
        }
        Ok(RunInfo {
            epoch_unix_us,
            elapsed_us: (sim.engine.now_us() + half_rtt).round() as u64,
            interrupted: deadline.is_some(),
            unsent_arrivals,
        })
    }
}

impl<S: RequestSource + 'static> Runner for VirtualRunner<S> {
    /// Simulation is fast (seconds at most) and runs synchronously; `shutdown` is polled
    /// (without waiting) before every engine step.
    fn run<'a, Sh>(
        &'a self,
        plan: &'a RunPlan,
        sink: &'a mut (dyn RecordSink + 'a),
        shutdown: Sh,
    ) -> impl Future<Output = Result<RunInfo, RunError>> + Send + 'a
    where
        Sh: Future<Output = ()> + Send + 'a,
    {
        let mut shutdown = Box::pin(shutdown);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut stop = move || shutdown.as_mut().poll(&mut cx).is_ready();
        std::future::ready(self.simulate_until(plan, sink, &mut stop))
    }
}

/// The engine cannot go on with the settings of the run: requests wait, but none can be
/// scheduled in a step (e.g. a prompt needs more KV blocks than the cache has).
#[derive(Debug, thiserror::Error)]
#[error("the simulated engine stalled: a request cannot be scheduled with these settings")]
pub struct Stalled;

/// A request in flight, as the client sees it.
struct Pending {
    index: u64,
    phase: Phase,
    intended_us: Option<u64>,
    send_us: u64,
    content_us: Vec<u64>,
    max_tokens: u32,
    requested: u32,
    tags: headroom_core::Tags,
}

/// One run in virtual time: the engine, and the client around it (the schedule's
/// admission, requests in flight and on the wire, arrivals queued behind the cap, users
/// thinking between turns).
struct VirtualRun<'a, S> {
    engine: Engine,
    admission: Admission,
    source: &'a S,
    block_size: u32,
    max_model_len: u64,
    /// Half the client-server round trip, µs.
    half_rtt: f64,
    inflight: HashMap<ReqId, Pending>,
    /// Requests on their way to the server, keyed by (arrival in ns, index).
    in_transit: BTreeMap<(u64, u64), NewRequest>,
    backlog: VecDeque<(u64, Phase, u64)>,
    cap: Option<usize>,
    open: bool,
    done: Vec<RequestRecord>,
    /// Conversations: turns per conversation and the think time.
    conversation: Option<headroom_core::Conversation>,
    /// Conversations started.
    sessions: u64,
    /// Users thinking: (when the next turn is sent, in ns; index) → that turn's index.
    thinking: BTreeMap<(u64, u64), u64>,
    /// Shut down: nothing more is sent.
    stopped: bool,
}

impl<'a, S: RequestSource> VirtualRun<'a, S> {
    /// A run of `plan` on the engine of `spec` (priced by `cost`), sending nothing yet.
    fn new(spec: &SimSpec, cost: CostModel, plan: &RunPlan, source: &'a S) -> Self {
        VirtualRun {
            engine: Engine::new(cost, spec.settings.clone(), spec.seed),
            admission: Admission::new(plan.stop, plan.warmup),
            source,
            block_size: spec.settings.block_size,
            max_model_len: spec.settings.max_model_len,
            half_rtt: spec.constants.network_rtt_us / 2.0,
            inflight: HashMap::new(),
            in_transit: BTreeMap::new(),
            backlog: VecDeque::new(),
            cap: None,
            open: plan.load.is_open(),
            done: Vec::new(),
            conversation: plan.conversation,
            sessions: 0,
            thinking: BTreeMap::new(),
            stopped: false,
        }
    }

    /// Hands the finished records to the sink, in the order they finished.
    fn hand_over(&mut self, sink: &mut (dyn RecordSink + '_)) -> Result<(), SinkError> {
        for rec in self.done.drain(..) {
            sink.record(rec)?;
        }
        Ok(())
    }

    /// While the engine is idle: when the next thing happens — the next arrival (at
    /// `next_arrival`), a user's next turn, or a request reaching the server — or `None`
    /// when nothing will.
    fn next_event(&self, next_arrival: Option<f64>) -> Option<f64> {
        let next_client = next_arrival
            .into_iter()
            .chain(self.thinking.keys().next().map(|k| k.0 as f64 / 1e3))
            .reduce(f64::min);
        let next_server = self.in_transit.keys().next().map(|k| k.0 as f64 / 1e3);
        match (next_client, next_server) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(f64::INFINITY).min(b.unwrap_or(f64::INFINITY))),
        }
    }

    fn claim_arrival(&mut self, schedule: &mut Arrivals) -> Option<(u64, Phase, u64)> {
        let t = LEAD_US + schedule.next()?;
        let (index, phase) = self.admission.claim(t)?;
        Some((index, phase, t))
    }

    /// An open-loop arrival at `t`: sent now, or queued client-side behind the cap.
    fn arrive(&mut self, index: u64, phase: Phase, t: u64) {
        if self.cap.is_some_and(|c| self.inflight.len() >= c) {
            self.backlog.push_back((index, phase, t));
        } else {
            self.send(index, phase, Some(t), t as f64);
        }
    }

    /// Closed loop: the next request, sent at `t`.
    fn send_next(&mut self, t: f64) {
        if let Some((index, phase)) = self.admission.claim(t.round() as u64) {
            self.send(index, phase, None, t);
        }
    }

    /// Closed loop: a user starts its next request (or, in a conversation workload, its
    /// next conversation) at `t`.
    fn start_user(&mut self, t: f64) {
        match self.conversation {
            None => self.send_next(t),
            Some(c) => {
                let index = self.sessions * c.turns.max(1) as u64;
                self.sessions += 1;
                self.send_turn(index, t);
            }
        }
    }

    /// Conversation turn `index`, sent at `t` if the stop rule allows.
    fn send_turn(&mut self, index: u64, t: f64) {
        if let Some((_, phase)) = self.admission.claim(t.round() as u64) {
            self.send(index, phase, None, t);
        }
    }

    /// Sends the turns whose think time ended by `now`.
    fn wake(&mut self, now: f64) {
        let due = (now * 1e3).round() as u64;
        while let Some(entry) = self.thinking.first_entry() {
            if entry.key().0 > due {
                break;
            }
            let t = entry.key().0 as f64 / 1e3;
            let index = entry.remove();
            self.send_turn(index, t);
        }
    }

    /// Requests that have reached the server by `now` join the engine.
    fn deliver(&mut self, now: f64) {
        let due = (now * 1e3).round() as u64;
        while let Some(entry) = self.in_transit.first_entry() {
            if entry.key().0 > due {
                break;
            }
            self.engine.add(entry.remove());
        }
    }

    /// Shutdown: no more requests, turns or queued arrivals are sent; the arrivals that
    /// were waiting behind the cap are recorded as not sent.
    fn stop_sending(&mut self) {
        self.stopped = true;
        self.thinking.clear();
        for (index, phase, intended) in std::mem::take(&mut self.backlog) {
            let spec = self.source.request(index);
            let mut rec = RequestRecord::not_sent(index, phase, Some(intended), spec.max_tokens);
            rec.describe(&spec);
            self.done.push(rec);
        }
    }

    /// The grace period ended at `t`: every request still in flight is cancelled.
    fn cancel_all(&mut self, t: f64) {
        let mut left: Vec<Pending> = self.inflight.drain().map(|(_, p)| p).collect();
        left.sort_by_key(|p| p.index);
        for p in left {
            let mut rec = RequestRecord::not_sent(p.index, p.phase, p.intended_us, p.max_tokens);
            rec.describe_as(p.requested, p.tags);
            rec.send_us = Some(p.send_us);
            rec.end_us = Some(t.round() as u64);
            rec.output_tokens = p.content_us.len() as u32;
            rec.content_us = p.content_us;
            rec.outcome = Outcome::Error {
                kind: ErrorKind::Cancelled,
                message: "cancelled at shutdown after the grace period".into(),
            };
            self.done.push(rec);
        }
        self.in_transit.clear();
    }

    fn send(&mut self, index: u64, phase: Phase, intended_us: Option<u64>, send: f64) {
        if self.stopped {
            return;
        }
        let send_us = send.round() as u64;
        let spec = self.source.request(index);
        // Cache identity comes from the workload's segments: token j of a segment is the
        // same wherever the segment's key appears. Without segments, from the words.
        let tokens: Vec<u64> = if spec.segments.is_empty() {
            spec.prompt
                .to_text()
                .split_whitespace()
                .map(word_hash)
                .collect()
        } else {
            spec.segments
                .iter()
                .flat_map(|s| (0..s.tokens as u64).map(move |j| mix(s.key ^ mix(j))))
                .collect()
        };
        let prompt = tokens.len().max(1) as u64;
        let max_tokens = spec.max_tokens.max(1);
        if prompt + max_tokens as u64 > self.max_model_len {
            // What the HTTP front answers too: a 400 from the server, a round trip later.
            let mut rec = RequestRecord::not_sent(index, phase, intended_us, max_tokens);
            rec.describe(&spec);
            let end = send + 2.0 * self.half_rtt;
            rec.send_us = Some(send_us);
            rec.end_us = Some(end.round() as u64);
            rec.input_tokens = prompt as u32;
            rec.http_status = Some(400);
            rec.outcome = Outcome::Error {
                kind: ErrorKind::HttpStatus,
                message: format!(
                    "HTTP 400 Bad Request: this model's maximum context length is {} tokens, but {} were requested ({prompt} in the prompt, {max_tokens} to generate)",
                    self.max_model_len,
                    prompt + max_tokens as u64
                ),
            };
            self.done.push(rec);
            self.after_finish(end, index);
            return;
        }
        let arrives = ((send + self.half_rtt) * 1e3).round() as u64;
        self.in_transit.insert(
            (arrives, index),
            NewRequest {
                id: index,
                prompt_tokens: prompt as u32,
                block_hashes: block_hashes(tokens, self.block_size),
                max_tokens,
            },
        );
        self.inflight.insert(
            index,
            Pending {
                index,
                phase,
                intended_us,
                send_us,
                content_us: Vec::with_capacity(max_tokens as usize),
                max_tokens,
                requested: spec.input_tokens,
                tags: spec.tags,
            },
        );
    }

    fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Token { id, at_us } => {
                if let Some(p) = self.inflight.get_mut(&id) {
                    let seen = (at_us + self.half_rtt).round() as u64;
                    p.content_us.push(seen.saturating_sub(p.send_us));
                }
            }
            Event::Finished {
                id,
                at_us,
                prompt_tokens,
                output_tokens,
                ..
            } => {
                let seen = at_us + self.half_rtt;
                if let Some(p) = self.inflight.remove(&id) {
                    let mut rec = RequestRecord {
                        index: p.index,
                        phase: p.phase,
                        intended_us: p.intended_us,
                        send_us: Some(p.send_us),
                        end_us: Some(seen.round() as u64),
                        content_us: p.content_us,
                        content_tokens: Vec::new(),
                        input_tokens: prompt_tokens,
                        input_tokens_source: TokenSource::Usage,
                        output_tokens,
                        output_tokens_source: TokenSource::Usage,
                        output_tokens_counted: None,
                        max_tokens: p.max_tokens,
                        requested_input_tokens: None,
                        tags: Default::default(),
                        http_status: Some(200),
                        finish_reason: Some("length".into()),
                        outcome: Outcome::Ok,
                    };
                    rec.describe_as(p.requested, p.tags);
                    self.done.push(rec);
                }
                self.after_finish(seen, id);
            }
        }
    }

    /// The client saw a request end at `t`: closed loop sends the next request; open loop
    /// sends the oldest arrival waiting behind the cap (late: its lag is recorded).
    fn after_finish(&mut self, t: f64, index: u64) {
        if !self.open {
            match self.conversation {
                Some(c) if !(index + 1).is_multiple_of(c.turns.max(1) as u64) => {
                    let at = t + c.think_time.as_micros() as f64;
                    self.thinking
                        .insert(((at * 1e3).round() as u64, index + 1), index + 1);
                }
                _ => self.start_user(t),
            }
        } else if let Some((index, phase, intended)) = self.backlog.pop_front() {
            self.send(index, phase, Some(intended), t.max(intended as f64));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use headroom_core::{ArrivalKind, Prompt, RequestSpec, StopRule, Warmup};
    use headroom_load::Schedule;
    use std::time::Duration;

    struct Words(u32, u32);
    impl RequestSource for Words {
        fn request(&self, index: u64) -> RequestSpec {
            let text: Vec<String> = (0..self.0).map(|i| format!("w{index}x{i}")).collect();
            RequestSpec::new(Prompt::Text(text.join(" ")), self.0, self.1)
        }
    }

    fn spec() -> SimSpec {
        SimSpec::new(&Catalog::builtin(), "a10", "qwen3-8b-awq").unwrap()
    }

    fn plan(load: LoadPolicy, requests: u64) -> RunPlan {
        RunPlan {
            load,
            stop: StopRule {
                requests: Some(requests),
                duration: None,
            },
            warmup: Warmup::None,
            seed: 3,
            grace: Duration::from_secs(1),
            conversation: None,
        }
    }

    fn run(load: LoadPolicy, n: u64, src: Words) -> Vec<RequestRecord> {
        let r = VirtualRunner::new(spec(), Arc::new(src));
        let mut recs = Vec::new();
        r.simulate(&plan(load, n), &mut recs).unwrap();
        recs
    }

    #[test]
    fn shutdown_stops_sending_and_cancels_after_the_grace_period() {
        let r = VirtualRunner::new(spec(), Arc::new(Words(200, 2000)));
        let mut recs = Vec::new();
        let mut polls = 0;
        // Stop after 50 engine steps: long outputs are mid-stream then.
        let mut stop = || {
            polls += 1;
            polls > 50
        };
        let p = plan(LoadPolicy::Closed { concurrency: 8 }, 1000);
        let info = r.simulate_until(&p, &mut recs, &mut stop).unwrap();
        assert!(info.interrupted);
        // Only the first wave was sent; 2,000-token outputs cannot finish in 1 s of grace.
        assert_eq!(recs.len(), 8);
        for rec in &recs {
            assert_eq!(rec.outcome.error_kind(), Some(ErrorKind::Cancelled));
            assert!(rec.output_tokens > 0 && (rec.output_tokens as usize) == rec.content_us.len());
            let end = rec.end_us.unwrap();
            assert!(end > rec.send_us.unwrap());
        }
        // The grace period is honoured: every cancellation happens at the same virtual
        // instant, one second after the stop.
        let ends: std::collections::BTreeSet<u64> =
            recs.iter().map(|r| r.end_us.unwrap()).collect();
        assert_eq!(ends.len(), 1);
    }

    #[test]
    fn an_interrupted_open_loop_records_the_queued_and_counts_the_rest() {
        // 50/s with 2 in flight at most and long outputs: arrivals queue behind the cap.
        let r = VirtualRunner::new(spec(), Arc::new(Words(200, 2000)));
        let load = LoadPolicy::Open {
            rate: 50.0,
            arrival: ArrivalKind::Constant,
            burstiness: 1.0,
            max_concurrency: Some(2),
        };
        let mut recs = Vec::new();
        let mut polls = 0;
        let mut stop = || {
            polls += 1;
            polls > 50
        };
        let info = r
            .simulate_until(&plan(load, 1000), &mut recs, &mut stop)
            .unwrap();
        assert!(info.interrupted);
        let count = |k: ErrorKind| {
            recs.iter()
                .filter(|r| r.outcome.error_kind() == Some(k))
                .count() as u64
        };
        // The two in flight were cancelled; what waited behind the cap was not sent, as
        // the driver records it; what was not due yet is counted. Nothing is lost.
        assert_eq!(count(ErrorKind::Cancelled), 2);
        assert!(count(ErrorKind::NotSent) > 0, "{} records", recs.len());
        assert!(info.unsent_arrivals > 0);
        assert_eq!(recs.len() as u64 + info.unsent_arrivals, 1000);
        for rec in recs
            .iter()
            .filter(|r| r.outcome.error_kind() == Some(ErrorKind::NotSent))
        {
            assert!(rec.send_us.is_none() && rec.intended_us.is_some());
        }
    }

    #[test]
    fn an_unstopped_run_is_not_interrupted() {
        let r = VirtualRunner::new(spec(), Arc::new(Words(50, 5)));
        let mut recs = Vec::new();
        let info = r
            .simulate_until(
                &plan(LoadPolicy::Closed { concurrency: 2 }, 6),
                &mut recs,
                &mut || false,
            )
            .unwrap();
        assert!(!info.interrupted);
        assert_eq!(recs.len(), 6);
    }

    #[test]
    fn closed_loop_keeps_n_in_flight_and_every_request_completes() {
        let recs = run(LoadPolicy::Closed { concurrency: 8 }, 40, Words(200, 50));
        assert_eq!(recs.len(), 40);
        assert!(
            recs.iter()
                .all(|r| r.is_ok() && r.output_tokens == 50 && r.content_us.len() == 50)
        );
        assert!(recs.iter().all(|r| r.input_tokens == 200));
        // At every request's send time exactly 8 are in flight (including it), until the
        // last wave drains.
        let mut sends: Vec<u64> = recs.iter().map(|r| r.send_us.unwrap()).collect();
        sends.sort_unstable();
        for &t in &sends {
            let in_flight = recs
                .iter()
                .filter(|r| r.send_us.unwrap() <= t && r.end_us.unwrap() > t)
                .count();
            assert!(in_flight <= 8, "{in_flight} in flight at {t}");
        }
        // TTFT > ITL: the first token waits for the prefill.
        let r = &recs[0];
        assert!(r.ttft_us().unwrap() > r.content_us[2] - r.content_us[1]);
    }

    #[test]
    fn open_loop_follows_the_schedule_and_the_cap_delays_not_drops() {
        let load = LoadPolicy::Open {
            rate: 50.0,
            arrival: ArrivalKind::Poisson,
            burstiness: 1.0,
            max_concurrency: Some(4),
        };
        let recs = run(load, 60, Words(100, 100));
        assert_eq!(recs.len(), 60);
        let want: Vec<u64> = Schedule::new(50.0, ArrivalKind::Poisson, 1.0, 3)
            .unwrap()
            .take(60)
            .collect();
        let mut by_index = recs.clone();
        by_index.sort_by_key(|r| r.index);
        for (r, w) in by_index.iter().zip(&want) {
            assert_eq!(r.intended_us, Some(LEAD_US + w));
        }
        // 4 in flight at ~2 s each cannot keep up with 50/s: later arrivals wait.
        assert!(by_index[59].lag_us().unwrap() > 1_000_000);
    }

    #[test]
    fn same_seed_same_prediction() {
        let a = run(LoadPolicy::Closed { concurrency: 16 }, 64, Words(300, 40));
        let b = run(LoadPolicy::Closed { concurrency: 16 }, 64, Words(300, 40));
        assert_eq!(a, b);
    }

    #[test]
    fn too_long_requests_are_a_400_like_the_server() {
        let mut s = spec();
        s.settings.max_model_len = 300;
        let r = VirtualRunner::new(s, Arc::new(Words(290, 20)));
        let mut recs = Vec::new();
        r.simulate(&plan(LoadPolicy::Closed { concurrency: 2 }, 4), &mut recs)
            .unwrap();
        assert_eq!(recs.len(), 4);
        assert!(recs.iter().all(|r| r.http_status == Some(400)));
    }

    /// Requests described by segments: a shared prefix (key `group`) of `prefix` tokens,
    /// then a unique part; sent at `gap_ms` intervals when replayed as a trace.
    struct Segmented {
        prefix: u32,
        unique: u32,
        groups: u64,
        gap_ms: u64,
    }
    impl RequestSource for Segmented {
        fn request(&self, index: u64) -> RequestSpec {
            let mut s = RequestSpec::new(Prompt::Text(String::new()), self.prefix + self.unique, 4);
            s.segments = vec![
                headroom_core::Segment {
                    key: 1 + index % self.groups,
                    tokens: self.prefix,
                },
                headroom_core::Segment {
                    key: 1_000_000 + index,
                    tokens: self.unique,
                },
            ];
            s.tags.prefix_group = Some((index % self.groups) as u32);
            s
        }
        fn arrival_us(&self, index: u64) -> Option<u64> {
            (index < 6).then_some(index * self.gap_ms * 1000)
        }
    }

    #[test]
    fn shared_segments_hit_the_prefix_cache() {
        let trace = LoadPolicy::Trace {
            speedup: 1.0,
            max_concurrency: None,
        };
        let run_src = |src: Segmented| {
            let r = VirtualRunner::new(spec(), Arc::new(src));
            let mut recs = Vec::new();
            r.simulate(&plan(trace, 100), &mut recs).unwrap();
            recs.sort_by_key(|r| r.index);
            recs
        };
        // One group, requests 2 s apart: the first computes the 4,096-token prefix,
        // the rest find it cached and prefill only their 64 unique tokens.
        let recs = run_src(Segmented {
            prefix: 4096,
            unique: 64,
            groups: 1,
            gap_ms: 2000,
        });
        assert_eq!(recs.len(), 6, "the trace ends the run");
        assert_eq!(recs[3].intended_us, Some(1_000 + 6_000_000));
        assert!(recs.iter().all(|r| r.tags.prefix_group == Some(0)));
        assert_eq!(recs[0].requested_input_tokens, Some(4160));
        let cold = recs[0].ttft_us().unwrap();
        for r in &recs[1..] {
            let warm = r.ttft_us().unwrap();
            assert!(warm * 3 < cold, "warm {warm} µs vs cold {cold} µs");
        }
        // Six groups: nothing is shared, every request is cold.
        let recs = run_src(Segmented {
            prefix: 4096,
            unique: 64,
            groups: 6,
            gap_ms: 2000,
        });
        let first = recs[0].ttft_us().unwrap() as f64;
        for r in &recs[1..] {
            let t = r.ttft_us().unwrap() as f64;
            assert!((t / first - 1.0).abs() < 0.2, "{t} vs {first}");
        }
    }

    #[test]
    fn conversations_wait_out_the_think_time() {
        let mut p = plan(LoadPolicy::Closed { concurrency: 2 }, 12);
        p.conversation = Some(headroom_core::Conversation {
            turns: 3,
            think_time: Duration::from_millis(700),
        });
        let r = VirtualRunner::new(spec(), Arc::new(Words(100, 20)));
        let mut recs = Vec::new();
        r.simulate(&p, &mut recs).unwrap();
        recs.sort_by_key(|r| r.index);
        assert_eq!(
            recs.iter().map(|r| r.index).collect::<Vec<_>>(),
            (0..12).collect::<Vec<_>>()
        );
        for conv in recs.chunks(3) {
            for w in conv.windows(2) {
                let gap = w[1].send_us.unwrap() - w[0].end_us.unwrap();
                assert!(gap.abs_diff(700_000) <= 1, "think time {gap} µs");
            }
        }
    }
}
