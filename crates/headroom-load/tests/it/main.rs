//! Load driver behaviour under tokio's paused clock, against a backend whose latency is
//! exactly known.
#![allow(clippy::unwrap_used)]

use headroom_core::{
    ArrivalKind, Backend, ErrorKind, LoadPolicy, Outcome, Phase, Prompt, RecordSink, RequestCtx,
    RequestRecord, RequestSource, RequestSpec, RunPlan, Runner, SinkError, StopRule, Warmup,
};
use headroom_load::{Driver, Pacing, Schedule};
use headroom_testkit::record;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Answers every request after exactly `latency`, tracking how many are in flight.
#[derive(Default)]
struct Mock {
    latency: Duration,
    in_flight: AtomicU32,
    max_in_flight: AtomicU32,
}

impl Mock {
    fn new(ms: u64) -> Arc<Self> {
        Arc::new(Mock {
            latency: Duration::from_millis(ms),
            ..Default::default()
        })
    }
}

impl Backend for Mock {
    async fn execute<'a, C>(
        &'a self,
        spec: RequestSpec,
        ctx: RequestCtx<'a>,
        cancel: C,
    ) -> RequestRecord
    where
        C: Future<Output = ()> + Send + 'a,
    {
        let send = ctx.clock.now_us();
        let n = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(n, Ordering::SeqCst);
        let outcome = tokio::select! {
            () = tokio::time::sleep(self.latency) => Outcome::Ok,
            () = cancel => Outcome::Error { kind: ErrorKind::Cancelled, message: "cancelled".into() },
        };
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        record(ctx.index)
            .phase(ctx.phase)
            .intended_us(ctx.intended_us)
            .sent_at(send)
            .ended_at(ctx.clock.now_us())
            .input_tokens(spec.input_tokens)
            .output_tokens(spec.max_tokens)
            .outcome(outcome)
            .build()
    }
}

struct Src;
impl RequestSource for Src {
    fn request(&self, index: u64) -> RequestSpec {
        RequestSpec::new(Prompt::Text(format!("request {index}")), 2, 10)
    }
}

fn plan(load: LoadPolicy, requests: Option<u64>, secs: Option<u64>, warmup: Warmup) -> RunPlan {
    RunPlan {
        load,
        stop: StopRule {
            requests,
            duration: secs.map(Duration::from_secs),
        },
        warmup,
        seed: 1,
        grace: Duration::from_millis(100),
        conversation: None,
    }
}

fn open(rate: f64, cap: Option<u32>) -> LoadPolicy {
    LoadPolicy::Open {
        rate,
        arrival: ArrivalKind::Constant,
        burstiness: 1.0,
        max_concurrency: cap,
    }
}

async fn run(mock: &Arc<Mock>, plan: &RunPlan) -> (Vec<RequestRecord>, headroom_core::RunInfo) {
    let driver = Driver::new(mock.clone(), Arc::new(Src)).with_pacing(Pacing::Tokio);
    let mut recs = Vec::new();
    let info = driver
        .run(plan, &mut recs, std::future::pending())
        .await
        .unwrap();
    recs.sort_by_key(|r| r.index);
    (recs, info)
}

#[tokio::test(start_paused = true)]
async fn closed_loop_keeps_exactly_n_in_flight() {
    let mock = Mock::new(100);
    let (recs, info) = run(
        &mock,
        &plan(
            LoadPolicy::Closed { concurrency: 4 },
            Some(40),
            None,
            Warmup::None,
        ),
    )
    .await;
    assert_eq!(recs.len(), 40);
    assert!(
        recs.iter()
            .enumerate()
            .all(|(i, r)| r.index == i as u64 && r.is_ok())
    );
    assert_eq!(
        mock.max_in_flight.load(Ordering::SeqCst),
        4,
        "never more than N"
    );
    // Keeping N busy means 40 requests of 100 ms at 4 wide take exactly 10 waves.
    assert_eq!(info.elapsed_us / 1000, 1000);
    // Wave k starts exactly when wave k−1 ends.
    let mut sends: Vec<u64> = recs.iter().map(|r| r.send_us.unwrap() / 1000).collect();
    sends.sort_unstable();
    for (i, s) in sends.iter().enumerate() {
        assert_eq!(*s, (i as u64 / 4) * 100, "request {i} sent at {s} ms");
    }
    assert!(!info.interrupted);
}

#[tokio::test(start_paused = true)]
async fn open_loop_sends_on_the_seeded_schedule() {
    let mock = Mock::new(250);
    let load = LoadPolicy::Open {
        rate: 20.0,
        arrival: ArrivalKind::Poisson,
        burstiness: 1.0,
        max_concurrency: None,
    };
    let (recs, _) = run(&mock, &plan(load, Some(200), None, Warmup::None)).await;
    let want: Vec<u64> = Schedule::new(20.0, ArrivalKind::Poisson, 1.0, 1)
        .unwrap()
        .take(200)
        .collect();
    assert_eq!(recs.len(), 200);
    for (r, w) in recs.iter().zip(&want) {
        let intended = r.intended_us.unwrap();
        assert_eq!(intended - 1_000, *w, "intended time of request {}", r.index);
        // The paused clock lets the send happen within the timer's millisecond.
        assert!(
            r.lag_us().unwrap() < 1_000,
            "lag {} of request {}",
            r.lag_us().unwrap(),
            r.index
        );
    }
    // Open loop is not throttled by the server: many more than one in flight.
    assert!(mock.max_in_flight.load(Ordering::SeqCst) >= 5);
}

#[tokio::test(start_paused = true)]
async fn a_full_cap_delays_arrivals_and_drops_none() {
    // 100 arrivals/s, but at most 2 in flight of 50 ms each: capacity 40/s.
    let mock = Mock::new(50);
    let (recs, _) = run(
        &mock,
        &plan(open(100.0, Some(2)), Some(60), None, Warmup::None),
    )
    .await;
    assert_eq!(recs.len(), 60, "every arrival is sent, late if need be");
    assert!(recs.iter().all(|r| r.is_ok()));
    assert_eq!(mock.max_in_flight.load(Ordering::SeqCst), 2);
    let lags: Vec<u64> = recs.iter().map(|r| r.lag_us().unwrap()).collect();
    // Backlog grows by 60 % of a gap per arrival: the last waits ~ (60/40 − 60/100) s.
    assert!(lags[59] > 800_000, "last lag {} µs", lags[59]);
    assert!(
        lags.windows(2).skip(2).all(|w| w[1] >= w[0]),
        "lag only grows under overload"
    );
    // Sends are serialised by the cap: two every 50 ms.
    let mut sends: Vec<u64> = recs.iter().map(|r| r.send_us.unwrap()).collect();
    sends.sort_unstable();
    assert!(sends[59] - sends[0] >= 29 * 50_000);
}

#[tokio::test(start_paused = true)]
async fn warmup_by_count_is_marked_and_not_counted_against_the_stop_rule() {
    let mock = Mock::new(10);
    let (recs, _) = run(
        &mock,
        &plan(
            LoadPolicy::Closed { concurrency: 2 },
            Some(10),
            None,
            Warmup::Requests(4),
        ),
    )
    .await;
    assert_eq!(recs.len(), 14);
    assert_eq!(recs.iter().filter(|r| r.phase == Phase::Warmup).count(), 4);
    assert!(recs[..4].iter().all(|r| r.phase == Phase::Warmup));
}

#[tokio::test(start_paused = true)]
async fn duration_stop_and_time_warmup() {
    let mock = Mock::new(100);
    let p = plan(
        open(10.0, None),
        None,
        Some(2),
        Warmup::Duration(Duration::from_secs(1)),
    );
    let (recs, _) = run(&mock, &p).await;
    // Arrivals at 1 ms + k·100 ms: warmup below 1 s (k = 0..=9), measured in [1 s, 3 s).
    let warm = recs.iter().filter(|r| r.phase == Phase::Warmup).count();
    let measured = recs.iter().filter(|r| r.phase == Phase::Measure).count();
    assert_eq!(warm, 10);
    assert_eq!(measured, 20);
    assert!(recs.iter().all(|r| r.intended_us.unwrap() < 3_000_000));
}

#[tokio::test(start_paused = true)]
async fn interrupt_stops_sending_cancels_after_grace_and_records_everything() {
    let mock = Mock::new(10_000);
    // Open loop, 10/s with at most 3 in flight of 10 s each: arrivals queue behind the cap.
    let p = plan(open(10.0, Some(3)), Some(1000), None, Warmup::None);
    let driver = Driver::new(mock.clone(), Arc::new(Src)).with_pacing(Pacing::Tokio);
    let mut recs = Vec::new();
    let info = driver
        .run(
            &p,
            &mut recs,
            tokio::time::sleep(Duration::from_millis(505)),
        )
        .await
        .unwrap();
    assert!(info.interrupted);
    // Arrivals at 1, 101, ..., 501 ms: 6 arrived, 3 were sent, 3 waited for the cap.
    assert_eq!(recs.len(), 6);
    let kinds = |k: ErrorKind| {
        recs.iter()
            .filter(|r| r.outcome.error_kind() == Some(k))
            .count()
    };
    assert_eq!(kinds(ErrorKind::Cancelled), 3);
    assert_eq!(kinds(ErrorKind::NotSent), 3);
    // In-flight requests got the 100 ms grace, then were cancelled.
    assert_eq!(info.elapsed_us / 1000, 605);
}

#[tokio::test(start_paused = true)]
async fn an_interrupted_open_loop_counts_the_arrivals_never_due() {
    // As above, with and without a cap: of 1,000 arrivals at 10/s, 6 came due by the
    // interrupt at 505 ms. With the cap, 3 of those wait and are recorded as not sent;
    // either way the other 994 were never due, and are counted, not recorded.
    for (cap, not_sent) in [(Some(3), 3), (None, 0)] {
        let mock = Mock::new(10_000);
        let p = plan(open(10.0, cap), Some(1000), None, Warmup::None);
        let driver = Driver::new(mock.clone(), Arc::new(Src)).with_pacing(Pacing::Tokio);
        let mut recs = Vec::new();
        let stop = tokio::time::sleep(Duration::from_millis(505));
        let info = driver.run(&p, &mut recs, stop).await.unwrap();
        assert!(info.interrupted);
        assert_eq!(recs.len(), 6, "cap {cap:?}");
        let count = |k: ErrorKind| {
            recs.iter()
                .filter(|r| r.outcome.error_kind() == Some(k))
                .count()
        };
        assert_eq!(count(ErrorKind::NotSent), not_sent, "cap {cap:?}");
        assert_eq!(count(ErrorKind::Cancelled), 6 - not_sent, "cap {cap:?}");
        assert_eq!(info.unsent_arrivals, 994, "cap {cap:?}");
        assert_eq!(recs.len() as u64 + info.unsent_arrivals, 1000);
    }
}

#[tokio::test(start_paused = true)]
async fn a_run_that_reaches_its_stop_rule_leaves_nothing_unsent() {
    let mock = Mock::new(1);
    let (recs, info) = run(
        &mock,
        &plan(open(100.0, None), Some(20), None, Warmup::None),
    )
    .await;
    assert_eq!(recs.len(), 20);
    assert_eq!(info.unsent_arrivals, 0);
}

struct FullDisk(usize);
impl RecordSink for FullDisk {
    fn record(&mut self, _: RequestRecord) -> Result<(), SinkError> {
        if self.0 == 0 {
            return Err(SinkError {
                what: "writing requests.jsonl".into(),
                source: std::io::Error::other("No space left on device"),
            });
        }
        self.0 -= 1;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_failing_sink_stops_the_run_with_its_error() {
    let mock = Mock::new(10);
    let driver = Driver::new(mock.clone(), Arc::new(Src)).with_pacing(Pacing::Tokio);
    let mut sink = FullDisk(5);
    let p = plan(
        LoadPolicy::Closed { concurrency: 2 },
        Some(1_000_000),
        None,
        Warmup::None,
    );
    let err = driver
        .run(&p, &mut sink, std::future::pending())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("No space left on device"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_plan_without_a_stop_rule_is_refused() {
    let mock = Mock::new(10);
    let driver = Driver::new(mock, Arc::new(Src));
    let err = driver
        .run(
            &plan(
                LoadPolicy::Closed { concurrency: 1 },
                None,
                None,
                Warmup::None,
            ),
            &mut Vec::new(),
            std::future::pending(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("stop rule"), "{err}");
}

/// A source with its own arrival times (trace replay), tagged so records can be checked.
struct Timed(Vec<u64>);
impl RequestSource for Timed {
    fn request(&self, index: u64) -> RequestSpec {
        let mut s = RequestSpec::new(Prompt::Text(format!("request {index}")), 7, 10);
        s.tags.session = Some(index * 10);
        s
    }
    fn len(&self) -> Option<u64> {
        Some(self.0.len() as u64)
    }
    fn arrival_us(&self, index: u64) -> Option<u64> {
        self.0.get(index as usize).copied()
    }
}

#[tokio::test(start_paused = true)]
async fn trace_replay_sends_at_the_trace_times() {
    let mock = Mock::new(50);
    let times = vec![0, 10_000, 10_000, 400_000, 1_000_000];
    let driver =
        Driver::new(mock.clone(), Arc::new(Timed(times.clone()))).with_pacing(Pacing::Tokio);
    for speedup in [1.0, 2.0] {
        let p = plan(
            LoadPolicy::Trace {
                speedup,
                max_concurrency: None,
            },
            Some(100),
            None,
            Warmup::None,
        );
        let mut recs = Vec::new();
        driver
            .run(&p, &mut recs, std::future::pending())
            .await
            .unwrap();
        recs.sort_by_key(|r| r.index);
        // The trace ends the run: five requests, though the stop rule allowed 100.
        assert_eq!(recs.len(), 5);
        for (r, t) in recs.iter().zip(&times) {
            let want = 1_000 + (*t as f64 / speedup) as u64;
            assert_eq!(r.intended_us, Some(want), "speed-up {speedup}");
            assert_eq!(r.send_us, Some(want), "sent on time under the paused clock");
            // The driver copies what the workload asked for into the record.
            assert_eq!(r.requested_input_tokens, Some(7));
            assert_eq!(r.tags.session, Some(r.index * 10));
        }
    }
    let bad = plan(
        LoadPolicy::Trace {
            speedup: 1.0,
            max_concurrency: None,
        },
        Some(3),
        None,
        Warmup::None,
    );
    let d = Driver::new(mock, Arc::new(Src)).with_pacing(Pacing::Tokio);
    let e = d
        .run(&bad, &mut Vec::new(), std::future::pending())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("arrival times"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn conversations_send_turns_in_order_with_think_time() {
    let mock = Mock::new(100);
    let mut p = plan(
        LoadPolicy::Closed { concurrency: 2 },
        Some(12),
        None,
        Warmup::None,
    );
    p.conversation = Some(headroom_core::Conversation {
        turns: 3,
        think_time: Duration::from_millis(500),
    });
    let (recs, info) = run(&mock, &p).await;
    assert_eq!(recs.len(), 12);
    // Two users, each running conversations of three turns: 4 conversations, indices 0..12.
    assert_eq!(
        recs.iter().map(|r| r.index).collect::<Vec<_>>(),
        (0..12).collect::<Vec<_>>()
    );
    for conv in recs.chunks(3) {
        for w in conv.windows(2) {
            let gap = w[1].send_us.unwrap() - w[0].end_us.unwrap();
            assert_eq!(
                gap, 500_000,
                "turn {} follows after the think time",
                w[1].index
            );
        }
    }
    // Each user: 2 conversations × (3 × 100 ms + 2 × 500 ms) = 2.6 s.
    assert_eq!(info.elapsed_us / 1000, 2600);
    assert_eq!(mock.max_in_flight.load(Ordering::SeqCst), 2);

    let mut open_conv = p.clone();
    open_conv.load = open(5.0, None);
    let d = Driver::new(mock, Arc::new(Src)).with_pacing(Pacing::Tokio);
    let e = d
        .run(&open_conv, &mut Vec::new(), std::future::pending())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("closed loop"), "{e}");
}
