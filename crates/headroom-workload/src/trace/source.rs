//! Replaying a trace: [`TraceSource`] makes request `i` from entry `i`.

use super::Trace;

/// Salts for the texts of trace blocks, prefixes and unique parts.
const BLOCK: u64 = 0x0062_6c6f_636b;
const TRACE_PREFIX: u64 = 0x7472_7072_6566;
const TRACE_UNIQUE: u64 = 0x7472_756e_6971;

/// Replays a [`Trace`]: request `i` is entry `i`, due at its offset, with a synthetic
/// prompt of the entry's exact length. Content sharing follows the trace: Mooncake hash
/// ids become blocks whose text is a pure function of the id (so equal ids give a real
/// server, and headroom's simulator, the same prefix-cache hits), and a headroom trace's
/// `prefix` becomes a shared opening of `prefix_tokens` tokens. Everything else is unique.
#[derive(Debug, Clone)]
pub struct TraceSource {
    trace: std::sync::Arc<Trace>,
    composer: std::sync::Arc<crate::Composer>,
    seed: u64,
}

impl TraceSource {
    /// A source replaying `trace` with prompts from `composer`.
    pub fn new(
        trace: std::sync::Arc<Trace>,
        composer: std::sync::Arc<crate::Composer>,
        seed: u64,
    ) -> Self {
        TraceSource {
            trace,
            composer,
            seed,
        }
    }

    /// The trace.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
}

impl headroom_core::RequestSource for TraceSource {
    fn request(&self, index: u64) -> headroom_core::RequestSpec {
        use crate::synthetic::rng_for;
        use headroom_core::seed::mix;
        use headroom_core::{Prompt, RequestSpec, Segment, Tags};
        let n = self.trace.entries.len().max(1) as u64;
        let Some(e) = self.trace.entries.get((index % n) as usize) else {
            return RequestSpec::new(Prompt::Text(String::new()), 0, 1);
        };
        let mut text = String::with_capacity(e.input_tokens as usize * 6);
        let mut segments = Vec::new();
        let mut left = e.input_tokens;
        let mut tags = Tags {
            session: e.session,
            ..Tags::default()
        };
        if !e.hash_ids.is_empty() {
            let bt = self.trace.block_tokens.unwrap_or(512).max(1);
            for &h in &e.hash_ids {
                if left == 0 {
                    break;
                }
                let want = left.min(bt);
                let mut rng = rng_for(self.seed, BLOCK, h);
                let start = text.is_empty();
                let got = self.composer.compose(&mut text, want, &mut rng, start);
                segments.push(Segment {
                    key: mix(self.seed ^ BLOCK ^ mix(h)),
                    tokens: got,
                });
                left -= want;
            }
        } else if let Some(p) = e.prefix {
            let want = e
                .prefix_tokens
                .unwrap_or(e.input_tokens)
                .min(e.input_tokens);
            let mut rng = rng_for(self.seed, TRACE_PREFIX, p);
            let got = self.composer.compose(&mut text, want, &mut rng, true);
            segments.push(Segment {
                key: mix(self.seed ^ TRACE_PREFIX ^ mix(p)),
                tokens: got,
            });
            left -= want;
            tags.prefix_group = Some((p ^ (p >> 32)) as u32);
            tags.prefix_tokens = Some(got);
        }
        if left > 0 {
            let mut rng = rng_for(self.seed, TRACE_UNIQUE, index);
            let start = text.is_empty();
            let got = self.composer.compose(&mut text, left, &mut rng, start);
            segments.push(Segment {
                key: mix(self.seed ^ TRACE_UNIQUE ^ mix(index)),
                tokens: got,
            });
        }
        let total = segments.iter().map(|s| s.tokens).sum();
        let mut spec = RequestSpec::new(Prompt::Text(text), total, e.output_tokens.max(1));
        spec.segments = segments;
        spec.tags = tags;
        spec
    }

    fn len(&self) -> Option<u64> {
        Some(self.trace.entries.len() as u64)
    }

    fn arrival_us(&self, index: u64) -> Option<u64> {
        self.trace.entries.get(index as usize).map(|e| e.offset_us)
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    #[test]
    fn replay_gives_exact_lengths_and_shares_blocks() {
        use headroom_core::{RequestSource, TokenCounter};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mooncake.jsonl");
        std::fs::write(
            &path,
            concat!(
                "{\"timestamp\": 0, \"input_length\": 1100, \"output_length\": 7, \"hash_ids\": [1, 2, 3]}\n",
                "{\"timestamp\": 250, \"input_length\": 1300, \"output_length\": 9, \"hash_ids\": [1, 2, 4]}\n",
                "{\"timestamp\": 900, \"input_length\": 300, \"output_length\": 1, \"hash_ids\": [5]}\n",
            ),
        )
        .unwrap();
        let trace = load(&TraceRef::from_str(path.to_str().unwrap()).unwrap()).unwrap();
        let tok = std::sync::Arc::new(crate::Tokenizer::default_builtin());
        let composer = std::sync::Arc::new(crate::Composer::new(tok.clone()));
        let src = TraceSource::new(std::sync::Arc::new(trace), composer, 1);
        assert_eq!(src.len(), Some(3));
        assert_eq!(
            (0..4).map(|i| src.arrival_us(i)).collect::<Vec<_>>(),
            vec![Some(0), Some(250_000), Some(900_000), None]
        );
        let text = |i| match src.request(i).prompt {
            headroom_core::Prompt::Text(t) => t,
            headroom_core::Prompt::Chat(_) => unreachable!(),
        };
        for (i, n) in [(0, 1100), (1, 1300), (2, 300)] {
            let r = src.request(i);
            assert_eq!(r.input_tokens, n);
            assert_eq!(tok.count(&text(i)), n, "request {i}");
        }
        assert_eq!(src.request(0).max_tokens, 7);
        // Hash ids 1 and 2 (1,024 tokens) are shared by the first two requests.
        let (a, b) = (tok.encode(&text(0)), tok.encode(&text(1)));
        assert_eq!(a[..1024], b[..1024]);
        assert_ne!(a[1024..1040], b[1024..1040]);
        assert_eq!(src.request(0).segments[..2], src.request(1).segments[..2]);
        assert_eq!(src.request(1), src.request(1), "reproducible");
    }
}
