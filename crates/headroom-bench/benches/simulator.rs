//! The simulator in virtual time: 10 simulated minutes at concurrency 200 (target: < 1 s).
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use headroom_core::{LengthSpec, LoadPolicy, RequestRecord, RunPlan, StopRule, Warmup};
use headroom_sim::catalog::Catalog;
use headroom_sim::perf::SimSpec;
use headroom_sim::runner::VirtualRunner;
use headroom_workload::SyntheticSource;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

fn ten_minutes(c: &mut Criterion) {
    let spec = SimSpec::new(&Catalog::builtin(), "a10", "qwen3-8b-awq").unwrap();
    let composer = Arc::new(headroom_workload::Composer::new(Arc::new(
        headroom_workload::Tokenizer::default_builtin(),
    )));
    let source = Arc::new(SyntheticSource::new(
        composer,
        "200:20".parse::<LengthSpec>().unwrap(),
        "100:10".parse::<LengthSpec>().unwrap(),
        1,
    ));
    let plan = RunPlan {
        load: LoadPolicy::Closed { concurrency: 200 },
        stop: StopRule {
            requests: None,
            duration: Some(Duration::from_secs(600)),
        },
        warmup: Warmup::None,
        seed: 1,
        grace: Duration::from_secs(1),
        conversation: None,
    };
    let runner = VirtualRunner::new(spec, source);
    let mut g = c.benchmark_group("simulator");
    g.sample_size(10);
    g.bench_function(
        "virtual time: 10 min at concurrency 200 (A10, Qwen3-8B-AWQ, 200:20 in, 100:10 out)",
        |b| {
            b.iter(|| {
                let mut recs: Vec<RequestRecord> = Vec::new();
                let info = runner.simulate(black_box(&plan), &mut recs).unwrap();
                assert!(info.elapsed_us >= 600_000_000);
                recs.len()
            })
        },
    );
    g.finish();
}

criterion_group!(benches, ten_minutes);
criterion_main!(benches);
