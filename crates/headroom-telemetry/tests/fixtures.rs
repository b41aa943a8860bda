//! The real `/metrics` captures (see `fixtures/README.md`): vLLM 0.32's CPU build and
//! llama.cpp's server, before, during and after load.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use headroom_telemetry::prom::{Parser, parse};
use headroom_telemetry::{Engine, ServerFigures, ServerSnapshot, TelemetrySample};
use proptest::prelude::*;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn snapshot(name: &str) -> ServerSnapshot {
    let e = parse(&fixture(name));
    assert_eq!(e.skipped, 0, "{name}: every line of a real capture reads");
    ServerSnapshot::from_exposition(&e)
}

#[test]
fn vllm_during_load_shows_its_batch_and_cache() {
    let s = snapshot("vllm-0.32-cpu-during.txt");
    assert_eq!(s.engine, Engine::Vllm);
    assert_eq!(s.running, Some(32.0));
    assert_eq!(s.waiting, Some(0.0));
    let kv = s.kv_usage.unwrap();
    assert!((kv - 0.011720180686118908).abs() < 1e-15, "{kv}");
    for (name, h) in [
        ("ttft", &s.ttft),
        ("itl", &s.itl),
        ("e2e", &s.e2e),
        ("queue", &s.queue_time),
    ] {
        let h = h.as_ref().unwrap_or_else(|| panic!("{name}"));
        assert!(h.count() > 0.0, "{name}");
    }
    assert!(s.preemptions.is_some() && s.prefix_queries.is_some() && s.prefix_hits.is_some());
}

#[test]
fn vllm_before_and_after_150_requests_differ_by_exactly_them() {
    let t = |us, name| TelemetrySample::server(us, snapshot(name));
    let samples = [
        t(0, "vllm-0.32-cpu-before.txt"),
        t(10_000_000, "vllm-0.32-cpu-after.txt"),
    ];
    let f = ServerFigures::over(&samples, 1, 9_999_999).unwrap();
    assert_eq!(f.generation_tokens, Some(9_600.0));
    // 128 prompt tokens each, as the server counted them (it reports 5 more).
    let prompt = f.prompt_tokens.unwrap();
    assert!((150.0 * 128.0..150.0 * 129.0).contains(&prompt), "{prompt}");
    for (name, h) in [("ttft", &f.ttft), ("e2e", &f.e2e), ("queue", &f.queue_time)] {
        assert_eq!(h.as_ref().unwrap().count, 150.0, "{name}");
    }
    // Every request streamed 64 tokens: 63 gaps each.
    assert_eq!(f.itl.as_ref().unwrap().count, 150.0 * 63.0);
    assert_eq!(f.preemptions, Some(0.0));
    // The engine's steps processed the prompt and generated tokens (within 0.5 %: the
    // server counts 28,677 against 9,600 + 19,205), mostly a few at a time.
    let steps = f.iteration_tokens.as_ref().unwrap();
    let tokens = 9_600.0 + prompt;
    assert!((steps.sum - tokens).abs() < 0.005 * tokens, "{steps:?}");
    assert!(steps.mean().unwrap() < 32.0, "{steps:?}");
}

#[test]
fn llama_cpp_counts_its_tokens_and_slots() {
    let before = snapshot("llama-server-0c1e570-before.txt");
    let after = snapshot("llama-server-0c1e570-after.txt");
    assert_eq!(after.engine, Engine::LlamaCpp);
    assert_eq!(after.running, Some(0.0));
    assert_eq!(
        after.generation_tokens.unwrap() - before.generation_tokens.unwrap(),
        3_072.0
    );
    assert_eq!(after.prefix_queries, Some(6_144.0));
    assert_eq!(after.prefix_hits, Some(0.0));
    assert!(after.ttft.is_none(), "llama.cpp has no latency histograms");
}

fn sorted_samples(text: &str) -> (Vec<String>, usize) {
    let e = parse(text);
    let mut v: Vec<String> = e.samples.iter().map(|s| format!("{s:?}")).collect();
    v.sort();
    (v, e.skipped)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Text cut anywhere, as it arrives over the network, parses the same.
    #[test]
    fn any_split_gives_the_same_samples(cuts in prop::collection::vec(0usize..30_000, 0..12)) {
        let text = fixture("vllm-0.32-cpu-during.txt");
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % text.len()).collect();
        cuts.sort_unstable();
        let mut p = Parser::default();
        let mut at = 0;
        for c in cuts {
            let c = (c..text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
            p.feed(&text[at..c]);
            at = c;
        }
        p.feed(&text[at..]);
        prop_assert_eq!(p.finish(), parse(&text));
    }

    /// Samples do not depend on the order of lines, and garbage lines are skipped and
    /// counted without losing any sample.
    #[test]
    fn any_order_and_any_garbage_give_the_same_samples(
        seed in any::<u64>(),
        garbage in prop::collection::vec("[a-z{}=\" ]{1,20}[{=\"]", 0..8),
    ) {
        let text = fixture("llama-server-0c1e570-after.txt");
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let n = garbage.len();
        lines.extend(garbage);
        // A seeded shuffle.
        let mut state = seed | 1;
        for i in (1..lines.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            lines.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let (want, _) = sorted_samples(&text);
        let (got, skipped) = sorted_samples(&lines.join("\n"));
        prop_assert_eq!(got, want);
        prop_assert_eq!(skipped, n);
    }
}
