//! Workload generation: prompts of an exact token count (target: 100,000 prompts of
//! 1,000 tokens in under 5 s).
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use headroom_core::{LengthSpec, RequestSource};
use headroom_workload::{Composer, PrefixSpec, SyntheticSource, Tokenizer};
use std::hint::black_box;
use std::sync::Arc;

fn prompts(c: &mut Criterion) {
    let mut g = c.benchmark_group("workload");
    for name in ["cl100k_base", "o200k_base"] {
        let t = Arc::new(Tokenizer::builtin(name).unwrap());
        g.bench_function(format!("composer setup ({name})"), |b| {
            b.iter(|| black_box(Composer::new(t.clone())))
        });
        let composer = Arc::new(Composer::new(t));
        assert!(composer.is_exact());
        let source = SyntheticSource::new(
            composer.clone(),
            LengthSpec::Fixed(1000),
            LengthSpec::Fixed(100),
            1,
        );
        g.throughput(Throughput::Elements(1000));
        g.bench_function(format!("1,000 prompts of 1,000 tokens ({name})"), |b| {
            let mut i = 0u64;
            b.iter(|| {
                for _ in 0..1000 {
                    black_box(source.request(i));
                    i += 1;
                }
            })
        });
        let prefixed = source.clone().with_prefix(PrefixSpec {
            tokens: 2048,
            groups: 4,
        });
        g.bench_function(
            format!("1,000 prompts of 2,048 shared + 1,000 tokens ({name})"),
            |b| {
                let mut i = 0u64;
                b.iter(|| {
                    for _ in 0..1000 {
                        black_box(prefixed.request(i));
                        i += 1;
                    }
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, prompts);
criterion_main!(benches);
