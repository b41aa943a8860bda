//! A full adaptive capacity search in virtual time: seed 000's question on a simulated L20
//! (P95 E2E ≤ 3.81 s), 10-minute levels, 3 repeats each (target: < 10 s).
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use headroom_capacity::{Capacity, EarlyStopping, LoadAxis, Method, PassRule, Search, measure};
use headroom_core::seed::mix;
use headroom_core::{LengthSpec, LoadPolicy, RequestRecord, RunPlan, StopRule, Warmup};
use headroom_metrics::slo::{Slo, SloSet};
use headroom_sim::catalog::Catalog;
use headroom_sim::perf::SimSpec;
use headroom_sim::runner::VirtualRunner;
use headroom_workload::SyntheticSource;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

fn search() -> Capacity {
    let mut spec = SimSpec::new(&Catalog::builtin(), "l20", "qwen3-8b-awq").unwrap();
    spec.settings.max_num_seqs = 50;
    let composer = Arc::new(headroom_workload::Composer::new(Arc::new(
        headroom_workload::Tokenizer::default_builtin(),
    )));
    let slos = SloSet(vec!["p95(e2e)<=3.81s".parse::<Slo>().unwrap()]);
    let method = Method::Adaptive {
        start: 15.0,
        resolution: 1.0,
        relative: false,
        min: 1.0,
        max: 1024.0,
    };
    let mut cap = Capacity::new(
        Search::new(method, LoadAxis::Concurrency),
        3,
        slos.clone(),
        0.95,
        PassRule::Confident,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    while let Some(p) = cap.next() {
        let seed = mix(p.level.to_bits() ^ mix(p.repeat as u64));
        let source = Arc::new(SyntheticSource::new(
            composer.clone(),
            "200:20".parse::<LengthSpec>().unwrap(),
            "100:10".parse::<LengthSpec>().unwrap(),
            seed,
        ));
        let mut s = spec.clone();
        s.seed = seed;
        let runner = VirtualRunner::new(s, source);
        let plan = RunPlan {
            load: LoadPolicy::Closed {
                concurrency: p.level as u32,
            },
            stop: StopRule {
                requests: None,
                duration: Some(Duration::from_secs(600)),
            },
            warmup: Warmup::None,
            seed,
            grace: Duration::from_secs(5),
            conversation: None,
        };
        let mut records: Vec<RequestRecord> = Vec::new();
        let w = rt
            .block_on(measure(
                &runner,
                &plan,
                &mut records,
                &slos,
                Some(EarlyStopping {
                    confidence: 0.95,
                    sequential: false,
                }),
                std::future::pending(),
            ))
            .unwrap();
        cap.record(p, w.measurement(&records, &slos, String::new()));
    }
    cap
}

fn adaptive_search(c: &mut Criterion) {
    let mut g = c.benchmark_group("capacity");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function(
        "adaptive search, 3 repeats of 10 min per level (L20, Qwen3-8B-AWQ, p95(e2e)<=3.81s)",
        |b| b.iter(|| black_box(search().found())),
    );
    g.finish();
    let cap = search();
    println!(
        "capacity {:?}, first failing {:?}, {} levels, {} runs",
        cap.found().max_pass,
        cap.found().first_fail,
        cap.levels.len(),
        cap.levels.iter().map(|l| l.repeats.len()).sum::<usize>()
    );
}

criterion_group!(benches, adaptive_search);
criterion_main!(benches);
