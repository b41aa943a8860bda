//! Hot paths: SSE decoding, chunk parsing, recording, journaling, summary statistics,
//! and a scrape of a server's `/metrics`.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use headroom_bench::{chat_stream, record};
use headroom_client::sse::SseDecoder;
use headroom_client::wire::Chunk;
use headroom_metrics::{Metric, Recorder};
use std::hint::black_box;

const TOKENS: usize = 1000;

/// Feeds `stream` in `piece`-byte reads, as the network delivers it.
fn decode(stream: &[u8], piece: usize, parse: bool) -> usize {
    let mut d = SseDecoder::new();
    let mut n = 0;
    let mut text = String::new();
    for p in stream.chunks(piece) {
        d.push(p);
        while let Some(ev) = d.next_event().unwrap() {
            if parse && ev.data != b"[DONE]" {
                let c: Chunk<'_> = serde_json::from_slice(ev.data).unwrap();
                if let Some(ch) = &c.choices.0 {
                    ch.append_content(&mut text);
                }
            }
            n += 1;
        }
    }
    n
}

fn sse(c: &mut Criterion) {
    let stream = chat_stream(TOKENS);
    let events = decode(&stream, 4096, false) as u64;
    let mut g = c.benchmark_group("sse");
    g.throughput(Throughput::Elements(events));
    g.bench_function("decode/4KiB reads", |b| {
        b.iter(|| decode(black_box(&stream), 4096, false))
    });
    g.bench_function("decode/one event per read", |b| {
        b.iter(|| decode(black_box(&stream), 190, false))
    });
    g.bench_function("decode+parse/4KiB reads", |b| {
        b.iter(|| decode(black_box(&stream), 4096, true))
    });
    g.finish();
}

fn recording(c: &mut Criterion) {
    let recs: Vec<_> = (0..1000).map(|i| record(i, 100)).collect();
    let mut g = c.benchmark_group("record");
    g.throughput(Throughput::Elements(recs.len() as u64));
    g.bench_function("recorder.add (100-chunk records)", |b| {
        b.iter_batched(
            Recorder::new,
            |mut r| {
                for rec in &recs {
                    r.add(black_box(rec));
                }
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("journal line (serialize)", |b| {
        let mut buf = Vec::with_capacity(4096);
        b.iter(|| {
            for rec in &recs {
                buf.clear();
                serde_json::to_writer(&mut buf, black_box(rec)).unwrap();
                buf.push(b'\n');
            }
            buf.len()
        })
    });
    g.finish();
}

fn summary(c: &mut Criterion) {
    let mut r = Recorder::new();
    for i in 0..100_000 {
        r.add(&record(i, 100));
    }
    let s = r.finish(0);
    let mut g = c.benchmark_group("summary");
    g.bench_function("stats of every metric (100k requests)", |b| {
        b.iter(|| Metric::ALL.map(|m| black_box(&s).stats(m)))
    });
    g.bench_function("summary.json round trip", |b| {
        b.iter(|| {
            let j = serde_json::to_string(black_box(&s)).unwrap();
            serde_json::from_str::<headroom_metrics::Summary>(&j).unwrap()
        })
    });
    g.finish();
}

/// A real vLLM `/metrics` (92 `vllm:` families, 644 lines) parsed and mapped, as every
/// scrape is: the README's target is under 1 ms.
fn scrape(c: &mut Criterion) {
    let text = include_str!("../../headroom-telemetry/tests/fixtures/vllm-0.32-cpu-during.txt");
    let mut g = c.benchmark_group("telemetry");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("parse and map a vLLM scrape", |b| {
        b.iter(|| {
            let e = headroom_telemetry::prom::parse(black_box(text));
            headroom_telemetry::ServerSnapshot::from_exposition(&e)
        })
    });
    g.finish();
}

criterion_group!(benches, sse, recording, summary, scrape);
criterion_main!(benches);
