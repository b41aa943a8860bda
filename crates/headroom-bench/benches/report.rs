//! Report generation for a run of 100,000 requests (target: < 2 s): reading the journal
//! and summary back, the timeline, the report document, and drawing every chart as SVG
//! and PNG into the HTML and Markdown reports. The journal is synthetic: 100 content
//! chunks per request, as a 100-token streamed response sends them.
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use headroom_core::{Outcome, TokenSource};
use headroom_metrics::Recorder;
use headroom_report::render::{Options, render};
use headroom_results::files::{JOURNAL, SUMMARY};
use headroom_results::read::{Depth, Results};
use headroom_results::{JournalWriter, write_json as write_json_atomic};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

const REQUESTS: u64 = 100_000;

/// 64 users back to back for about half an hour: TTFT 80–400 ms, 100 tokens 15–40 ms
/// apart, a few failures.
fn write_run(dir: &Path) {
    let mut journal = JournalWriter::create(&dir.join(JOURNAL)).unwrap();
    let mut rec = Recorder::new();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut user_free = [0u64; 64];
    for i in 0..REQUESTS {
        let u = (i % 64) as usize;
        let send = user_free[u];
        let ttft = 80_000 + next() % 320_000;
        let gap = 15_000 + next() % 25_000;
        let content: Vec<u64> = (0..100).map(|k| ttft + k * gap).collect();
        let end = send + content[99] + 1_000;
        user_free[u] = end + 500;
        let failed = next() % 1000 == 0;
        let r = headroom_testkit::record(i)
            .sent_at(send)
            .ended_at(end)
            .content_us(if failed { vec![] } else { content })
            .input_tokens(200)
            .input_source(TokenSource::Usage)
            .requested_input_tokens(200)
            .output_tokens(if failed { 0 } else { 100 })
            .max_tokens(100)
            .http_status(Some(if failed { 500 } else { 200 }))
            .outcome(if failed {
                Outcome::Error {
                    kind: headroom_core::ErrorKind::HttpStatus,
                    message: "HTTP 500".into(),
                }
            } else {
                Outcome::Ok
            })
            .build();
        journal.append(&r).unwrap();
        rec.add(&r);
    }
    journal.sync().unwrap();
    write_json_atomic(&dir.join(SUMMARY), &rec.finish(1_700_000_000_000_000)).unwrap();
}

fn report(dir: &Path) -> usize {
    let results = Results::load(dir, Depth::Timeline).unwrap();
    let doc = headroom_report::reports::document(&results);
    let r = render(&doc, Options::default()).unwrap();
    r.html.len() + r.markdown.len() + r.plots.len()
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("headroom-report-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write_run(&dir);
    let size = std::fs::metadata(dir.join(JOURNAL)).unwrap().len();
    let t = Instant::now();
    black_box(report(&dir));
    println!(
        "report of {REQUESTS} requests ({:.0} MB journal): {:.3} s once",
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let mut g = c.benchmark_group("report");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("run_of_100k_requests", |b| {
        b.iter(|| black_box(report(&dir)))
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
