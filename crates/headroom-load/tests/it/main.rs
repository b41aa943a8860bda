//! Load driver behaviour under tokio's paused clock, against a backend whose latency is
//! exactly known.
#![allow(clippy::unwrap_used)]

use headroom_core::{
    ArrivalKind, Backend, ErrorKind, LoadPolicy, Outcome, Phase, Prompt, RecordSink, RequestCtx,
    RequestRecord, RequestSource, RequestSpec, RunPlan, Runner, SinkError, StopRule, TokenSource,
    Warmup,
};
use headroom_load::{Driver, Pacing, Schedule};
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
        RequestRecord {
            index: ctx.index,
            phase: ctx.phase,
            intended_us: ctx.intended_us,
            send_us: Some(send),
            end_us: Some(ctx.clock.now_us()),
            content_us: vec![],
            content_tokens: vec![],
            input_tokens: spec.input_tokens,
            input_tokens_source: TokenSource::Workload,
            output_tokens: spec.max_tokens,
            output_tokens_source: TokenSource::Usage,
            output_tokens_counted: None,
            max_tokens: spec.max_tokens,
            requested_input_tokens: None,
            tags: Default::default(),
            http_status: Some(200),
            finish_reason: None,
            outcome,
        }
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
