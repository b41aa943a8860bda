//! Every metric definition pinned against the simulator's exact schedule.
//!
//! The simulator sends the first content chunk `ttft` after a request arrives and then
//! one chunk of `k` tokens every `k × itl`. Measured values include loopback transfer,
//! tokio's 1 ms timer granularity on the server side and, on a loaded 2-core CI machine,
//! the server's timers firing late; hence the stated tolerance: means within 8 ms of the
//! schedule (TPOT, a per-token average, within 1.5 ms), and nothing earlier than the
//! schedule allows. Counts (chunks, gaps, tokens) are exact. Each tolerance is far below
//! the difference a wrong definition would make (TTFT from the role chunk: ~100 ms; TPOT
//! including TTFT: +11 ms per token; ITL per chunk instead of per token: ×3).

use crate::{near, run};
use headroom_client::ClientConfig;
use headroom_core::{ApiFlavor, TokenSource};
use headroom_metrics::Metric;
use headroom_sim::{FixedTiming, SimConfig};
use headroom_testkit::spawn_sim;
use std::time::Duration;

/// Tolerance on means, ms.
const TOL: f64 = 8.0;

fn timing(ttft: u64, itl: u64, k: u32) -> FixedTiming {
    FixedTiming {
        ttft: Duration::from_millis(ttft),
        itl: Duration::from_millis(itl),
        tokens_per_chunk: k,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttft_skips_role_and_empty_chunks_and_itl_tpot_e2e_follow_the_schedule() {
    let sim = spawn_sim(SimConfig {
        timing: timing(100, 20, 1),
        role_chunk: true,
        empty_chunk: true,
        ..SimConfig::default()
    })
    .await;
    let (recs, s) = run(ClientConfig::new(&sim.url), 4, 8, 10).await;
    assert!(recs.iter().all(|r| r.is_ok()), "{recs:?}");
    for r in &recs {
        // Ten content chunks; the role-only and empty chunks are not among them.
        assert_eq!(r.content_us.len(), 10);
        assert!(r.content_tokens.is_empty(), "one token per chunk");
        assert_eq!(r.output_tokens, 10);
        assert_eq!(r.output_tokens_source, TokenSource::Usage);
        assert_eq!(r.input_tokens_source, TokenSource::Usage);
        assert_eq!(r.input_tokens, 20);
    }
    // TTFT is the first content chunk (100 ms), not the role chunk (~0 ms).
    near("TTFT mean", s.stats(Metric::Ttft).mean, 100.0, TOL);
    assert!(s.stats(Metric::Ttft).min >= 99.0);
    // The role→content gap is not an inter-token gap: 9 gaps per request, all ~20 ms.
    assert_eq!(s.dist(Metric::Itl).count(), 8 * 9);
    near("ITL mean", s.stats(Metric::Itl).mean, 20.0, TOL);
    assert_eq!(s.dist(Metric::ItlPerToken).count(), 8 * 9);
    // E2E = 100 + 9 × 20 = 280 ms; TPOT = (280 − 100) / 9 = 20 ms.
    near("E2E mean", s.stats(Metric::E2e).mean, 280.0, TOL);
    near("TPOT mean", s.stats(Metric::Tpot).mean, 20.0, 1.5);
    assert_eq!(s.stats(Metric::Osl).mean, 10.0);
    assert_eq!(s.tokens.output, 80);
    assert_eq!(s.tokens.usage_disagreements, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_token_chunks_count_as_their_tokens() {
    let sim = spawn_sim(SimConfig {
        timing: timing(60, 10, 3),
        ..SimConfig::default()
    })
    .await;
    let (recs, s) = run(ClientConfig::new(&sim.url), 2, 4, 12).await;
    for r in &recs {
        assert!(r.is_ok());
        assert_eq!(r.content_us.len(), 4);
        assert_eq!(r.content_tokens, vec![3, 3, 3, 3]);
        assert_eq!(r.output_tokens, 12);
        assert_eq!(r.output_tokens_counted, Some(12));
    }
    // A chunk every 3 × 10 ms: 30 ms per chunk, 10 ms per token.
    near("ITL per chunk", s.stats(Metric::Itl).mean, 30.0, TOL);
    assert_eq!(s.dist(Metric::ItlPerToken).count(), 4 * 9);
    near(
        "ITL per token",
        s.stats(Metric::ItlPerToken).mean,
        10.0,
        1.5,
    );
    // E2E = 60 + 3 × 30 = 150 ms; TPOT = 90 / 11.
    near("E2E", s.stats(Metric::E2e).mean, 150.0, TOL);
    near("TPOT", s.stats(Metric::Tpot).mean, 90.0 / 11.0, 1.5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_usage_tokens_come_from_the_tokenizer() {
    let sim = spawn_sim(SimConfig {
        timing: timing(20, 5, 2),
        usage: false,
        ..SimConfig::default()
    })
    .await;
    let (recs, s) = run(ClientConfig::new(&sim.url), 2, 4, 9).await;
    for r in &recs {
        assert!(r.is_ok());
        assert_eq!(r.output_tokens_source, TokenSource::Tokenizer);
        assert_eq!(r.output_tokens, 9);
        assert_eq!(r.content_tokens, vec![2, 2, 2, 2, 1]);
        assert_eq!(r.input_tokens_source, TokenSource::Workload);
        assert_eq!(r.input_tokens, 20);
    }
    assert_eq!(s.tokens.output, 36);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_api_has_the_same_definitions() {
    let sim = spawn_sim(SimConfig {
        timing: timing(40, 10, 1),
        ..SimConfig::default()
    })
    .await;
    let mut cfg = ClientConfig::new(&sim.url);
    cfg.api = ApiFlavor::Completions;
    let (recs, s) = run(cfg, 2, 4, 5).await;
    assert!(recs.iter().all(|r| r.is_ok() && r.content_us.len() == 5));
    near("TTFT", s.stats(Metric::Ttft).mean, 40.0, TOL);
    near("E2E", s.stats(Metric::E2e).mean, 80.0, TOL);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_streamed_requests_have_e2e_but_no_ttft() {
    let sim = spawn_sim(SimConfig {
        timing: timing(30, 10, 1),
        ..SimConfig::default()
    })
    .await;
    let mut cfg = ClientConfig::new(&sim.url);
    cfg.stream = false;
    let (recs, s) = run(cfg, 2, 4, 6).await;
    assert!(recs.iter().all(|r| r.is_ok() && r.content_us.is_empty()));
    assert!(
        recs.iter()
            .all(|r| r.output_tokens == 6 && r.output_tokens_source == TokenSource::Usage)
    );
    assert!(
        s.dist(Metric::Ttft).is_empty(),
        "no TTFT without streaming (never a 0)"
    );
    assert!(s.dist(Metric::Tpot).is_empty());
    near("E2E", s.stats(Metric::E2e).mean, 80.0, TOL);
}
