//! The simulator's engine mode over HTTP: tokens paced by the vLLM model, vLLM's
//! `/metrics`, the startup delay, aborts on disconnect, and faults.

use crate::{backend, one, run};
use headroom_client::ClientConfig;
use headroom_core::{Backend, ErrorKind, Phase, Prompt, RequestCtx, RequestSpec};
use headroom_load::RunClock;
use headroom_sim::catalog::Catalog;
use headroom_sim::perf::SimSpec;
use headroom_sim::{FaultKind, SimConfig};
use headroom_testkit::spawn_sim;
use std::time::{Duration, Instant};

fn engine() -> SimConfig {
    let mut spec = SimSpec::new(&Catalog::builtin(), "h100", "qwen2-1.5b").unwrap();
    spec.settings.max_model_len = 4096;
    let mut c = SimConfig::engine(spec);
    c.model = "headroom-sim".into();
    c
}

/// headroom's own HTTP client (it installs the TLS provider a bare reqwest client lacks).
fn http(url: &str) -> reqwest::Client {
    headroom_client::http_client(&ClientConfig::new(url)).unwrap()
}

async fn metrics(url: &str) -> String {
    let http = http(url);
    http.get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn value(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(&format!("{name}{{")))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_mode_streams_every_token_and_counts_them_in_metrics() {
    let sim = spawn_sim(engine()).await;
    let (recs, s) = run(ClientConfig::new(&sim.url), 4, 12, 16).await;
    assert!(
        recs.iter()
            .all(|r| r.is_ok() && r.output_tokens == 16 && r.content_us.len() == 16)
    );
    // The first token waits for the prefill step; later ones come a decode step apart.
    assert!(s.stats(headroom_metrics::Metric::Ttft).mean > 0.0);
    let m = metrics(&sim.url).await;
    assert_eq!(value(&m, "vllm:generation_tokens_total"), 12.0 * 16.0);
    assert_eq!(value(&m, "vllm:prompt_tokens_total"), 12.0 * 20.0);
    assert_eq!(value(&m, "vllm:request_success_total"), 12.0);
    assert_eq!(value(&m, "vllm:num_requests_running"), 0.0);
    assert_eq!(value(&m, "vllm:e2e_request_latency_seconds_count"), 12.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_prompts_hit_the_prefix_cache() {
    let sim = spawn_sim(engine()).await;
    let b = backend(ClientConfig::new(&sim.url));
    let clock = RunClock::start();
    // 256 tokens for the simulator's tokenizer (the built-in one).
    let (text, n) = crate::composer().text(256, &mut headroom_workload::rng_for(1, 2, 3));
    assert_eq!(n, 256);
    for i in 0..3 {
        let spec = RequestSpec::new(Prompt::Text(text.clone()), 256, 2);
        let ctx = RequestCtx {
            index: i,
            phase: Phase::Measure,
            intended_us: None,
            clock: &clock,
        };
        assert!(b.execute(spec, ctx, std::future::pending()).await.is_ok());
    }
    let m = metrics(&sim.url).await;
    // The 2nd and 3rd requests reuse all full blocks but the last (255 of 256 tokens).
    assert_eq!(value(&m, "vllm:prefix_cache_queries_total"), 768.0);
    assert_eq!(value(&m, "vllm:prefix_cache_hits_total"), 2.0 * 240.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_startup_delay_answers_503_until_the_model_is_loaded() {
    let mut c = engine();
    c.startup_delay = Duration::from_millis(400);
    let started = Instant::now();
    let sim = spawn_sim(c).await;
    let http = http(&sim.url);
    let health = || async {
        http.get(format!("{}/health", sim.url))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(health().await, 503);
    let rec = one(&backend(ClientConfig::new(&sim.url)), 4).await;
    assert_eq!(
        rec.http_status,
        Some(503),
        "requests are refused while loading"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while health().await != 200 {
        assert!(Instant::now() < deadline, "never became healthy");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert!(one(&backend(ClientConfig::new(&sim.url)), 4).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_frees_its_engine_slot() {
    let sim = spawn_sim(engine()).await;
    let b = backend(ClientConfig::new(&sim.url));
    let spec = RequestSpec::new(Prompt::Text("a long answer please".into()), 4, 3000);
    let rec = crate::one_until(&b, spec, tokio::time::sleep(Duration::from_millis(200))).await;
    assert_eq!(rec.outcome.error_kind(), Some(ErrorKind::Cancelled));
    // The engine notices the closed stream and aborts the request.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let m = metrics(&sim.url).await;
        if value(&m, "vllm:num_requests_running") == 0.0 {
            assert!(value(&m, "vllm:generation_tokens_total") < 3000.0);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the aborted request kept running"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_in_engine_mode_are_counted_exactly() {
    let mut c = engine();
    c.faults.specs = vec![
        "http-429=0.1".parse().unwrap(),
        "disconnect=0.1".parse().unwrap(),
        "error-event=0.1".parse().unwrap(),
    ];
    c.faults.seed = 7;
    let sim = spawn_sim(c).await;
    let (recs, s) = run(ClientConfig::new(&sim.url), 6, 60, 8).await;
    assert_eq!(recs.len(), 60);
    let stats = sim.sim.stats();
    let counted = |k| s.counts.errors.get(&k).copied().unwrap_or(0);
    assert_eq!(
        counted(ErrorKind::HttpStatus),
        stats.faults(FaultKind::Http429)
    );
    assert_eq!(
        counted(ErrorKind::TruncatedStream),
        stats.faults(FaultKind::Disconnect)
    );
    assert_eq!(
        counted(ErrorKind::ServerError),
        stats.faults(FaultKind::ErrorEvent)
    );
    let injected: u64 = [
        FaultKind::Http429,
        FaultKind::Disconnect,
        FaultKind::ErrorEvent,
    ]
    .iter()
    .map(|k| stats.faults(*k))
    .sum();
    assert!(injected > 5);
    assert_eq!(s.counts.ok, 60 - injected);
}
