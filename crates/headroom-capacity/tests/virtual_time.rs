//! Capacity searches against the simulated engine in virtual time: the search finds the
//! capacity a brute-force sweep finds, respects repeats and the pass rule, stops an
//! overloaded level early, and resumes without measuring anything twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use headroom_capacity::{
    Capacity, EarlyStopping, LevelOutcome, LevelRun, LoadAxis, Measurement, Method, PassRule,
    Search, measure,
};
use headroom_core::seed::mix;
use headroom_core::{
    LoadPolicy, Prompt, RequestRecord, RequestSource, RequestSpec, RunPlan, StopRule, Warmup,
};
use headroom_metrics::slo::{Slo, SloSet};
use headroom_sim::catalog::Catalog;
use headroom_sim::perf::SimSpec;
use headroom_sim::runner::VirtualRunner;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Prompts of 200 distinct words (no accidental cache hits), 100 output tokens.
struct Fixed {
    salt: u64,
}

impl RequestSource for Fixed {
    fn request(&self, index: u64) -> RequestSpec {
        let words: Vec<String> = (0..200)
            .map(|i| format!("w{:x}", mix(self.salt ^ mix(index) ^ i)))
            .collect();
        RequestSpec::new(Prompt::Text(words.join(" ")), 200, 100)
    }
}

fn slos(s: &[&str]) -> SloSet {
    SloSet(s.iter().map(|e| e.parse::<Slo>().unwrap()).collect())
}

fn plan(load: LoadPolicy, stop: StopRule, seed: u64) -> RunPlan {
    RunPlan {
        load,
        stop,
        warmup: Warmup::None,
        seed,
        grace: Duration::from_secs(1),
        conversation: None,
    }
}

/// One level and repeat on an A10 serving Qwen3-8B-AWQ, in virtual time.
fn run(load: LoadPolicy, stop: StopRule, repeat: u32, slos: &SloSet, early: bool) -> Measurement {
    let level = match load {
        LoadPolicy::Closed { concurrency } => concurrency as f64,
        LoadPolicy::Open { rate, .. } => rate,
        LoadPolicy::Trace { .. } => 0.0,
    };
    let seed = mix(level.to_bits() ^ mix(repeat as u64));
    let mut spec = SimSpec::new(&Catalog::builtin(), "a10", "qwen3-8b-awq").unwrap();
    spec.seed = seed;
    let runner = VirtualRunner::new(spec, Arc::new(Fixed { salt: seed }));
    let p = plan(load, stop, seed);
    let mut records: Vec<RequestRecord> = Vec::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let w = rt
        .block_on(measure(
            &runner,
            &p,
            &mut records,
            slos,
            early.then_some(EarlyStopping {
                confidence: 0.95,
                sequential: false,
            }),
            std::future::pending(),
        ))
        .unwrap();
    w.measurement(&records, slos, String::new())
}

fn closed(p: LevelRun, slos: &SloSet) -> Measurement {
    let c = p.level as u32;
    let stop = StopRule {
        requests: Some((10 * c as u64).max(100)),
        duration: None,
    };
    run(
        LoadPolicy::Closed { concurrency: c },
        stop,
        p.repeat,
        slos,
        true,
    )
}

/// Drives a search to its end, measuring each point once (cached).
fn drive(cap: &mut Capacity, cache: &mut HashMap<(u64, u32), Measurement>, calls: &mut u32) {
    while let Some(p) = cap.next() {
        let key = (p.level.to_bits(), p.repeat);
        let m = match cache.get(&key) {
            Some(m) => m.clone(),
            None => {
                *calls += 1;
                let m = closed(p, &cap.slos);
                cache.insert(key, m.clone());
                m
            }
        };
        cap.record(p, m);
        assert!(cap.levels.len() < 40, "the search does not end");
    }
}

const SLO: &str = "p95(e2e)<=4s";

#[test]
fn the_search_finds_the_capacity_a_brute_force_sweep_finds() {
    let s = slos(&[SLO]);
    let repeats = 3;
    // Brute force: every level from 1 up, judged by the same rule, until two fail.
    // Levels near the limit may be inconclusive (their intervals straddle it).
    let mut brute: Vec<(u32, LevelOutcome)> = Vec::new();
    for c in 1..=64u32 {
        let runs: Vec<Measurement> = (1..=repeats)
            .map(|r| {
                closed(
                    LevelRun {
                        level: c as f64,
                        repeat: r,
                    },
                    &s,
                )
            })
            .collect();
        let l = headroom_capacity::judge(c as f64, &runs, &s, 0.95, PassRule::Confident);
        brute.push((c, l.outcome(PassRule::Confident)));
        if brute.iter().filter(|b| b.1 == LevelOutcome::Fail).count() == 2 {
            break;
        }
    }
    let first_fail = brute
        .iter()
        .find(|b| b.1 == LevelOutcome::Fail)
        .expect("some level fails")
        .0;
    let passes = |below: u32| {
        brute
            .iter()
            .filter(move |b| b.1 == LevelOutcome::Pass && b.0 < below)
            .map(|b| b.0)
    };
    let capacity = passes(first_fail).max().expect("some level passes");
    assert!(
        capacity >= 4,
        "the simulated A10 should carry a few users: {brute:?}"
    );
    // Beyond the first failure, levels keep failing (latency grows with load).
    assert!(
        brute
            .iter()
            .filter(|b| b.0 > first_fail)
            .all(|b| b.1 == LevelOutcome::Fail),
        "{brute:?}"
    );

    for method in [
        Method::Adaptive {
            start: 8.0,
            resolution: 1.0,
            relative: false,
            min: 1.0,
            max: 256.0,
        },
        Method::Linear {
            start: 1.0,
            step: 1.0,
            max: 256.0,
        },
    ] {
        let mut cap = Capacity::new(
            Search::new(method, LoadAxis::Concurrency),
            repeats,
            s.clone(),
            0.95,
            PassRule::Confident,
        );
        let (mut cache, mut calls) = (HashMap::new(), 0);
        drive(&mut cap, &mut cache, &mut calls);
        let found = cap.found();
        // The search finds where failing starts, and a capacity or a range that holds
        // the brute force's: a level that passed, with every level between it and the
        // first fail inconclusive or untried.
        assert_eq!(found.first_fail, Some(first_fail as f64), "{method:?}");
        let low = found.max_pass.expect("a level passed") as u32;
        assert!(
            passes(first_fail).any(|p| p == low),
            "{method:?}: {found:?}"
        );
        let high = found.range().map_or(low as f64, |r| r.1) as u32;
        assert!(
            low <= capacity && capacity <= high.max(low),
            "{method:?}: {found:?} vs {brute:?}"
        );
        if found.inconclusive.is_empty() {
            assert_eq!(low, capacity, "{method:?}: {:?}", cap.search.tried);
        }
        // Repeats: every level that was not stopped early ran three times.
        for l in &cap.levels {
            let stopped = l.repeats.iter().any(|r| r.early_stop.is_some());
            if stopped {
                assert!(!l.passed && l.repeats.len() <= 3);
            } else {
                assert_eq!(l.repeats.len(), 3, "level {}", l.level);
            }
            assert_eq!(
                l.passed,
                l.slos[0].assessment.verdict == headroom_metrics::slo::Verdict::Pass
            );
        }
        if matches!(method, Method::Adaptive { .. }) {
            // Bracketing and bisection need far fewer levels than the capacity.
            assert!(
                cap.levels.len() < capacity as usize,
                "{} levels",
                cap.levels.len()
            );
        }
    }
}

#[test]
fn an_interrupted_search_resumes_without_measuring_a_level_twice() {
    let s = slos(&[SLO]);
    let method = Method::Adaptive {
        start: 8.0,
        resolution: 1.0,
        relative: false,
        min: 1.0,
        max: 256.0,
    };
    let new = || {
        Capacity::new(
            Search::new(method, LoadAxis::Concurrency),
            2,
            s.clone(),
            0.95,
            PassRule::Confident,
        )
    };
    let mut full = new();
    let (mut all, mut calls_full) = (HashMap::new(), 0);
    drive(&mut full, &mut all, &mut calls_full);

    // Interrupted after 5 runs: only those are on disk.
    let mut first = new();
    let mut disk = HashMap::new();
    for _ in 0..5 {
        let p = first.next().unwrap();
        let m = closed(p, &s);
        disk.insert((p.level.to_bits(), p.repeat), m.clone());
        first.record(p, m);
    }
    // Resumed: a fresh search fed from disk continues where the first stopped.
    let mut resumed = new();
    let mut calls = 0;
    drive(&mut resumed, &mut disk, &mut calls);
    assert_eq!(calls + 5, calls_full, "every run is measured exactly once");
    assert_eq!(resumed.found(), full.found());
    assert_eq!(resumed.search.tried, full.search.tried);
}

#[test]
fn an_overloaded_open_loop_level_stops_early() {
    let s = slos(&["p95(e2e)<=5s"]);
    // Far beyond what an A10 serves (about 2 req/s here): latency grows without bound.
    let load = LoadPolicy::Open {
        rate: 20.0,
        arrival: headroom_core::ArrivalKind::Poisson,
        burstiness: 1.0,
        max_concurrency: None,
    };
    let stop = StopRule {
        requests: None,
        duration: Some(Duration::from_secs(600)),
    };
    let m = run(load, stop, 1, &s, true);
    let e = m.early_stop.expect("stopped early");
    assert_eq!(e.rule, "over_saturated", "{e:?}");
    assert!(m.elapsed_s < 400.0, "stopped at {} s of 600", m.elapsed_s);
    // Without the early stop it runs its full ten minutes.
    let m = run(load, stop, 1, &s, false);
    assert!(m.early_stop.is_none());
    assert!(m.elapsed_s >= 600.0);
}

#[test]
fn a_level_certain_to_fail_stops_once_its_interval_must_lie_above_the_limit() {
    let s = slos(&["p99(e2e)<=100ms"]);
    let stop = StopRule {
        requests: Some(1000),
        duration: None,
    };
    let m = run(LoadPolicy::Closed { concurrency: 4 }, stop, 1, &s, true);
    let e = m.early_stop.expect("stopped early");
    assert_eq!(e.rule, "certain", "{e:?}");
    // The level's 95 % interval for P99 starts at the l-th smallest of its 1,000 values:
    // once 1,000 − l + 1 requests are over the limit, it lies above it whatever the rest
    // do (the four in flight then finish within the grace period).
    let (l, _) = headroom_metrics::confidence::quantile_ranks(1000, 0.99, 0.95).unwrap();
    let settles = 1000 - l + 1;
    assert!(
        m.summary.counts.ok >= settles && m.summary.counts.ok <= settles + 4,
        "{} (settled by {settles})",
        m.summary.counts.ok
    );
}

#[test]
fn goodput_counts_requests_within_every_limit() {
    let s = slos(&["p95(e2e)<=100s", "p95(ttft)<=100s"]);
    let stop = StopRule {
        requests: Some(50),
        duration: None,
    };
    let m = run(LoadPolicy::Closed { concurrency: 2 }, stop, 1, &s, true);
    assert_eq!(m.goodput_met, m.summary.counts.ok);
    let tight = slos(&["p95(e2e)<=1ms"]);
    let m = run(
        LoadPolicy::Closed { concurrency: 2 },
        stop,
        1,
        &tight,
        false,
    );
    assert_eq!(m.goodput_met, 0);
}
