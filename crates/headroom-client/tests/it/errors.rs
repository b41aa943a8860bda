//! Every failure ends as its error kind, the run goes on, and the counts are exact.

use crate::{backend, one, run};
use headroom_client::ClientConfig;
use headroom_core::{ErrorKind, Phase, RequestCtx};
use headroom_load::RunClock;
use headroom_sim::{FaultKind, FaultSpec, Faults, FixedTiming, SimConfig};
use headroom_testkit::{refused_url, spawn_sim};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_are_counted_exactly_by_kind() {
    let f = |kind, rate| FaultSpec { kind, rate };
    let sim = spawn_sim(SimConfig {
        timing: FixedTiming {
            ttft: Duration::from_millis(2),
            itl: Duration::from_millis(1),
            tokens_per_chunk: 1,
        },
        faults: Faults {
            specs: vec![
                f(FaultKind::Http429, 0.08),
                f(FaultKind::Http500, 0.08),
                f(FaultKind::Http503, 0.04),
                f(FaultKind::ErrorEvent, 0.08),
                f(FaultKind::Disconnect, 0.08),
                f(FaultKind::Malformed, 0.08),
                f(FaultKind::Stall, 0.04),
            ],
            seed: 11,
        },
        ..SimConfig::default()
    })
    .await;
    let mut cfg = ClientConfig::new(&sim.url);
    cfg.stall_timeout = Duration::from_millis(300);
    let (recs, s) = run(cfg, 8, 150, 8).await;
    assert_eq!(recs.len(), 150, "the run goes on through every failure");
    let stats = sim.sim.stats();
    let injected = |k| stats.faults(k);
    let counted = |k| s.counts.errors.get(&k).copied().unwrap_or(0);
    assert_eq!(
        counted(ErrorKind::HttpStatus),
        injected(FaultKind::Http429) + injected(FaultKind::Http500) + injected(FaultKind::Http503)
    );
    assert_eq!(
        counted(ErrorKind::ServerError),
        injected(FaultKind::ErrorEvent)
    );
    assert_eq!(
        counted(ErrorKind::TruncatedStream),
        injected(FaultKind::Disconnect)
    );
    assert_eq!(
        counted(ErrorKind::MalformedStream),
        injected(FaultKind::Malformed)
    );
    assert_eq!(counted(ErrorKind::Timeout), injected(FaultKind::Stall));
    let faults: u64 = FaultKind::ALL.iter().map(|k| injected(*k)).sum();
    assert!(
        faults >= 40,
        "the seed should inject a good number of faults, got {faults}"
    );
    assert_eq!(s.counts.ok, 150 - faults);
    assert_eq!(s.counts.failed(), faults);
    // Statuses and messages are kept for people.
    let r429 = recs.iter().find(|r| r.http_status == Some(429)).unwrap();
    match &r429.outcome {
        headroom_core::Outcome::Error { message, .. } => {
            assert!(
                message.contains("Retry-After: 1") && message.contains("simulated rate limit"),
                "{message}"
            )
        }
        o => panic!("{o:?}"),
    }
    // Partial streams keep the chunks that arrived before the failure.
    let trunc = recs
        .iter()
        .find(|r| r.outcome.error_kind() == Some(ErrorKind::TruncatedStream))
        .unwrap();
    assert_eq!(
        trunc.content_us.len(),
        4,
        "half of 8 tokens arrived before the disconnect"
    );
}

#[tokio::test]
async fn connection_refused_is_a_connect_error_for_every_request() {
    let (recs, s) = run(ClientConfig::new(refused_url()), 2, 5, 4).await;
    assert_eq!(recs.len(), 5);
    assert_eq!(s.counts.errors.get(&ErrorKind::Connect), Some(&5));
    assert!(
        recs.iter().all(|r| r.send_us.is_some()),
        "they were sent: the connect failed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_timeout_bounds_a_slow_stream() {
    let sim = spawn_sim(SimConfig {
        timing: FixedTiming {
            ttft: Duration::from_millis(10),
            itl: Duration::from_millis(20),
            tokens_per_chunk: 1,
        },
        ..SimConfig::default()
    })
    .await;
    let mut cfg = ClientConfig::new(&sim.url);
    cfg.timeout = Duration::from_millis(150);
    let rec = one(&backend(cfg), 100).await;
    assert_eq!(rec.outcome.error_kind(), Some(ErrorKind::Timeout));
    assert!(!rec.content_us.is_empty(), "partial chunks are kept");
    let e2e = rec.e2e_us().unwrap();
    assert!(
        (150_000..400_000).contains(&e2e),
        "ended at the timeout, not later: {e2e} µs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_keeps_the_partial_record() {
    use headroom_core::Backend;
    let sim = spawn_sim(SimConfig::default()).await;
    let b = backend(ClientConfig::new(&sim.url));
    let clock = RunClock::start();
    let ctx = RequestCtx {
        index: 7,
        phase: Phase::Measure,
        intended_us: Some(0),
        clock: &clock,
    };
    let rec = b
        .execute(
            crate::spec(1000),
            ctx,
            tokio::time::sleep(Duration::from_millis(150)),
        )
        .await;
    assert_eq!(rec.outcome.error_kind(), Some(ErrorKind::Cancelled));
    assert_eq!(rec.index, 7);
    assert!(!rec.content_us.is_empty());
}

#[tokio::test]
async fn a_garbage_body_is_malformed_and_a_400_is_an_http_status() {
    let sim = spawn_sim(SimConfig::default()).await;
    let mut cfg = ClientConfig::new(&sim.url);
    cfg.extra_body = Some(serde_json::from_str(r#"{"messages": "not a list"}"#).unwrap());
    let rec = one(&backend(cfg), 3).await;
    assert_eq!(rec.outcome.error_kind(), Some(ErrorKind::HttpStatus));
    assert_eq!(rec.http_status, Some(400));
}
