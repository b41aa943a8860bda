//! The timeline built record by record against the whole-journal computation it
//! replaces, and the choice of bin widths.

#![allow(clippy::unwrap_used)]

use super::*;
use headroom_core::{ErrorKind, Outcome};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A completed measured request as the journal stores it: sent at `send_s`, `e2e_s`
/// long, `tokens` one-token chunks evenly spread from a tenth of its latency on.
fn rec(send_s: f64, e2e_s: f64, tokens: u32) -> RequestRecord {
    let send = (send_s * 1e6) as u64;
    let e2e = (e2e_s * 1e6) as u64;
    let content: Vec<u64> = (0..tokens)
        .map(|i| e2e / 10 + (e2e - e2e / 10) * u64::from(i) / u64::from(tokens.max(1)))
        .collect();
    serde_json::from_value(serde_json::json!({
        "index": 0, "phase": "measure", "send_us": send, "end_us": send + e2e,
        "content_us": content, "input_tokens": 10, "input_tokens_source": "workload",
        "output_tokens": tokens, "output_tokens_source": "usage", "max_tokens": tokens,
        "http_status": 200, "outcome": {"status": "ok"}
    }))
    .unwrap()
}

#[test]
fn a_steady_closed_loop_has_flat_rates_and_known_concurrency() {
    // Two users back to back, each request 1 s long with 10 tokens, for 100 s.
    let mut records = Vec::new();
    for _user in 0..2 {
        for k in 0..100 {
            records.push(rec(k as f64, 1.0, 10));
        }
    }
    let t = Timeline::new(&records);
    assert_eq!(t.bin_s, 1.0);
    assert_eq!(t.bins.len(), 101);
    // Every whole second has 2 requests in flight and 20 tokens arriving.
    for b in &t.bins[1..99] {
        assert!((b.in_flight - 2.0).abs() < 1e-9, "{b:?}");
        assert_eq!(b.output_tokens, 20, "{b:?}");
        assert_eq!(b.completed, 2);
        assert_eq!(b.e2e_p95_ms, Some(1000.0));
        assert_eq!(b.ttft_p50_ms, Some(100.0));
    }
    let tokens: u64 = t.bins.iter().map(|b| b.output_tokens).sum();
    assert_eq!(tokens, 2000);
    assert_eq!(t.measure_start_s, None);
}

#[test]
fn bins_widen_for_long_runs_and_mark_the_end_of_warmup() {
    let mut records = vec![rec(0.0, 2.0, 5)];
    records[0].phase = Phase::Warmup;
    records.push(rec(30.0, 2.0, 5));
    records.push(rec(3598.0, 2.0, 5));
    let t = Timeline::new(&records);
    assert_eq!(t.bin_s, 30.0);
    assert!(t.bins.len() <= 121);
    assert_eq!(t.measure_start_s, Some(30.0));
    assert_eq!(t.bins.iter().map(|b| b.completed).sum::<u64>(), 3);
}

#[test]
fn an_empty_journal_gives_one_empty_bin() {
    let t = Timeline::new(&[]);
    assert_eq!(t.bins.len(), 1);
    assert_eq!(t.bins[0].e2e_p50_ms, None);
}

/// The whole-journal computation the builder replaces (the timeline as it was computed
/// before it was built incrementally), for a given bin width.
fn reference(records: &[RequestRecord], bin_s: f64) -> Timeline {
    let span_us = records
        .iter()
        .filter_map(|r| r.end_us.or(r.send_us))
        .max()
        .unwrap_or(0);
    let bin_us = (bin_s * 1e6) as u64;
    let n = (span_us / bin_us + 1) as usize;
    let mut bins: Vec<Bin> = (0..n)
        .map(|i| Bin {
            t_s: i as f64 * bin_s,
            ..Bin::default()
        })
        .collect();
    let mut e2e: Vec<Vec<u64>> = vec![Vec::new(); n];
    let mut ttft: Vec<Vec<u64>> = vec![Vec::new(); n];
    let mut busy_us = vec![0u64; n];
    let idx = |t: u64| ((t / bin_us) as usize).min(n - 1);
    let mut first_measured: Option<u64> = None;
    let mut warmup = false;
    for r in records {
        match r.phase {
            Phase::Warmup => warmup = true,
            _ => {
                if let Some(s) = r.send_us {
                    first_measured = Some(first_measured.map_or(s, |f| f.min(s)));
                }
            }
        }
        let (Some(send), Some(end)) = (r.send_us, r.end_us) else {
            continue;
        };
        let b = idx(end);
        if r.is_ok() {
            bins[b].completed += 1;
            if let Some(v) = r.e2e_us() {
                e2e[b].push(v);
            }
            if let Some(v) = r.ttft_us() {
                ttft[b].push(v);
            }
        } else {
            bins[b].errors += 1;
        }
        if r.content_us.is_empty() {
            bins[b].output_tokens += u64::from(r.output_tokens);
        } else {
            for (i, off) in r.content_us.iter().enumerate() {
                bins[idx(send + off)].output_tokens += u64::from(r.chunk_tokens(i));
            }
        }
        let mut t = send;
        while t < end {
            let i = idx(t);
            let bin_end = ((i as u64 + 1) * bin_us).max(t + 1);
            let until = end.min(bin_end);
            busy_us[i] += until - t;
            t = until;
        }
    }
    let q = |v: &mut Vec<u64>, q: f64| nearest_rank(v, q).map(|x| x as f64 / 1e3);
    for (i, bin) in bins.iter_mut().enumerate() {
        bin.e2e_p50_ms = q(&mut e2e[i], 0.5);
        bin.e2e_p95_ms = q(&mut e2e[i], 0.95);
        bin.ttft_p50_ms = q(&mut ttft[i], 0.5);
        bin.ttft_p95_ms = q(&mut ttft[i], 0.95);
        bin.in_flight = busy_us[i] as f64 / bin_us as f64;
    }
    Timeline {
        bin_s,
        bins,
        measure_start_s: first_measured.filter(|_| warmup).map(|s| s as f64 / 1e6),
    }
}

/// A closed loop as a real run journals it: `users` users for `seconds`, each sending
/// its next request when the last ends; prefill of 50–500 ms, 60–140 tokens 10–25 ms
/// apart, every tenth request's chunks carrying 1–3 tokens, a warmup of the first two
/// requests per user, 3 % timeouts part-way through, the requests in flight at the end
/// cancelled without an end, and records in the order they finished.
fn closed_loop(users: u32, seconds: f64, seed: u64) -> Vec<RequestRecord> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut records = Vec::new();
    let until = (seconds * 1e6) as u64;
    for user in 0..users {
        let mut t = u64::from(user) * 7_000;
        let mut k = 0;
        while t < until {
            let ttft = rng.random_range(50_000..500_000u64);
            let n: u32 = rng.random_range(60..140);
            let multi = rng.random_range(0..10) == 0;
            let mut content = Vec::with_capacity(n as usize);
            let mut counts = Vec::new();
            let mut at = ttft;
            let mut tokens = 0;
            while tokens < n {
                let c = if multi {
                    rng.random_range(1..=3).min(n - tokens)
                } else {
                    1
                };
                content.push(at);
                counts.push(c);
                tokens += c;
                at += rng.random_range(10_000..25_000u64);
            }
            let mut r = rec(0.0, 0.0, n);
            r.index = records.len() as u64;
            r.send_us = Some(t);
            r.content_us = content;
            r.content_tokens = if multi { counts } else { Vec::new() };
            r.phase = if k < 2 { Phase::Warmup } else { Phase::Measure };
            let end = t + at;
            if end > until {
                r.end_us = None;
                r.outcome = Outcome::Error {
                    kind: ErrorKind::Cancelled,
                    message: "interrupted".into(),
                };
            } else if rng.random_range(0..100) < 3 {
                let kept = r.content_us.len() / 2;
                r.content_us.truncate(kept);
                r.content_tokens.truncate(kept.min(r.content_tokens.len()));
                r.end_us = Some(t + r.content_us.last().copied().unwrap_or(ttft) + 1_000);
                r.outcome = Outcome::Error {
                    kind: ErrorKind::Timeout,
                    message: "stalled".into(),
                };
            } else {
                r.end_us = Some(end);
            }
            records.push(r);
            t = end + rng.random_range(0..2_000u64);
            k += 1;
        }
    }
    records.sort_by_key(|r| r.end_us.unwrap_or(u64::MAX));
    records
}

#[test]
fn built_record_by_record_equals_the_whole_journal_computation() {
    for (users, seconds, seed) in [(10, 20.0, 1), (64, 180.0, 2), (3, 900.0, 3)] {
        let records = closed_loop(users, seconds, seed);
        let mut builder = TimelineBuilder::new();
        for r in &records {
            builder.add(r);
        }
        let built = builder.finish();
        assert_eq!(built, reference(&records, built.bin_s), "{users} users");
        assert_eq!(built, Timeline::new(&records));
        let tokens: u64 = records
            .iter()
            .filter(|r| r.end_us.is_some())
            .map(|r| {
                (0..r.content_us.len())
                    .map(|i| u64::from(r.chunk_tokens(i)))
                    .sum::<u64>()
            })
            .sum();
        assert_eq!(
            built.bins.iter().map(|b| b.output_tokens).sum::<u64>(),
            tokens
        );
        assert!(built.measure_start_s.is_some());
        assert!(built.bins.iter().any(|b| b.errors > 0));
    }
}

#[test]
fn a_run_of_hours_coarsens_its_counters_and_still_equals_the_whole_journal() {
    // Two users for 5 hours: beyond 65,536 counters of 0.1 s.
    let records = closed_loop(2, 5.0 * 3600.0, 4);
    let mut builder = TimelineBuilder::new();
    for r in &records {
        builder.add(r);
    }
    assert_eq!(builder.counter_us(), 1_000_000);
    assert!(builder.tokens.len() <= 18_001);
    let built = builder.finish();
    assert_eq!(built.bin_s, 300.0);
    assert_eq!(built, reference(&records, built.bin_s));
}

#[test]
fn a_request_costs_four_words() {
    assert!(std::mem::size_of::<Ended>() <= 4 * std::mem::size_of::<u64>());
}

#[test]
fn bins_are_at_least_a_median_request_long_so_a_steady_closed_loop_looks_steady() {
    // 10 users for 20 s with requests of about 2 s: 0.2 s bins would do for the length
    // alone, but show the waves of a closed loop (regression: the first report of a
    // 20 s run swung between 0 and 700 tok/s in 0.2 s bins).
    let records: Vec<RequestRecord> = (0..10)
        .flat_map(|_| (0..10).map(|k| rec(f64::from(k) * 2.0, 2.0, 100)))
        .collect();
    let t = Timeline::new(&records);
    assert_eq!(t.bin_s, 2.0);
    let rates: Vec<f64> = t.bins[..10]
        .iter()
        .map(|b| b.output_tokens as f64 / t.bin_s)
        .collect();
    for r in &rates {
        assert!((r - 500.0).abs() < 1e-9, "{rates:?}");
    }
    // About a request long: 2.1 s requests get 2 s bins, not 5 s ones.
    let slower: Vec<RequestRecord> = (0..10).map(|k| rec(f64::from(k) * 2.1, 2.1, 100)).collect();
    assert_eq!(Timeline::new(&slower).bin_s, 2.0);
    // Short requests keep fine bins.
    let quick: Vec<RequestRecord> = (0..100).map(|k| rec(f64::from(k) * 0.1, 0.05, 5)).collect();
    assert_eq!(Timeline::new(&quick).bin_s, 0.1);
}
