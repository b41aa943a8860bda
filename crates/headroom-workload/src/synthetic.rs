//! Reproducible synthetic requests of exact lengths: single prompts, prompts behind a
//! shared prefix, and multi-turn conversations.

use crate::Composer;
use headroom_core::seed::mix;
use headroom_core::{LengthSpec, Message, Prompt, RequestSource, RequestSpec, Segment, Tags};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal};
use std::sync::Arc;

/// Salts that keep the random streams of different parts apart.
const PREFIX: u64 = 0x7072_6566_6978;
const UNIQUE: u64 = 0x756e_6971_7565;
const USER: u64 = 0x7573_6572;
const ASSISTANT: u64 = 0x6173_7369_7374;

/// A random stream that depends only on `(seed, salt, index)`.
pub fn rng_for(seed: u64, salt: u64, index: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(seed ^ mix(salt ^ mix(index))))
}

/// Shared prefixes: `groups` groups of requests, each group's prompts opening with the
/// same `tokens`-token text (`--prefix-tokens`, `--prefix-groups`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrefixSpec {
    /// Tokens in each shared prefix.
    pub tokens: u32,
    /// Distinct prefixes; request `i` uses prefix `i % groups`.
    pub groups: u32,
}

/// The shared prefixes' texts, made once.
#[derive(Debug)]
struct Prefixes {
    spec: PrefixSpec,
    texts: Vec<String>,
    keys: Vec<u64>,
}

impl Prefixes {
    fn new(composer: &Composer, spec: PrefixSpec, seed: u64) -> Self {
        let groups = spec.groups.max(1);
        let mut texts = Vec::with_capacity(groups as usize);
        let mut keys = Vec::with_capacity(groups as usize);
        for g in 0..groups as u64 {
            let mut rng = rng_for(seed, PREFIX, g);
            texts.push(composer.text(spec.tokens, &mut rng).0);
            keys.push(mix(seed ^ PREFIX ^ mix(g)));
        }
        Prefixes { spec, texts, keys }
    }

    fn group(&self, index: u64) -> usize {
        (index % self.texts.len() as u64) as usize
    }

    fn tags(&self, g: usize) -> Tags {
        Tags {
            prefix_group: Some(g as u32),
            prefix_tokens: Some(self.spec.tokens),
            ..Tags::default()
        }
    }
}

/// Synthetic prompts: request `i` is a pure function of `(seed, i)`. Every prompt has
/// exactly the sampled number of tokens for the composer's tokenizer. Without a prefix,
/// no two prompts share an opening; with one, request `i` is prefix `i % groups`
/// followed by a unique part of the sampled length.
#[derive(Debug, Clone)]
pub struct SyntheticSource {
    composer: Arc<Composer>,
    input: LengthSpec,
    output: LengthSpec,
    seed: u64,
    prefix: Option<Arc<Prefixes>>,
}

impl SyntheticSource {
    /// A source drawing prompt and output lengths from the given distributions.
    pub fn new(composer: Arc<Composer>, input: LengthSpec, output: LengthSpec, seed: u64) -> Self {
        SyntheticSource {
            composer,
            input,
            output,
            seed,
            prefix: None,
        }
    }

    /// Opens every prompt with one of `spec.groups` shared prefixes of `spec.tokens`
    /// tokens; the sampled input length is the unique part after it.
    pub fn with_prefix(mut self, spec: PrefixSpec) -> Self {
        self.prefix = Some(Arc::new(Prefixes::new(&self.composer, spec, self.seed)));
        self
    }
}

impl RequestSource for SyntheticSource {
    fn request(&self, index: u64) -> RequestSpec {
        let mut rng = rng_for(self.seed, UNIQUE, index);
        let n = sample_length(&self.input, &mut rng);
        let max_tokens = sample_length(&self.output, &mut rng);
        let unique_key = mix(self.seed ^ UNIQUE ^ mix(index));
        match &self.prefix {
            None => {
                let (text, n) = self.composer.text(n, &mut rng);
                let mut spec = RequestSpec::new(Prompt::Text(text), n, max_tokens);
                spec.segments = vec![Segment {
                    key: unique_key,
                    tokens: n,
                }];
                spec
            }
            Some(p) => {
                let g = p.group(index);
                let mut text = String::with_capacity(p.texts[g].len() + n as usize * 6);
                text.push_str(&p.texts[g]);
                let n = self.composer.compose(&mut text, n, &mut rng, false);
                let mut spec = RequestSpec::new(Prompt::Text(text), p.spec.tokens + n, max_tokens);
                spec.segments = vec![
                    Segment {
                        key: p.keys[g],
                        tokens: p.spec.tokens,
                    },
                    Segment {
                        key: unique_key,
                        tokens: n,
                    },
                ];
                spec.tags = p.tags(g);
                spec
            }
        }
    }
}

/// Multi-turn conversations (`--conversation-turns`): request `i` is turn `i % turns + 1`
/// of conversation `i / turns`. A turn sends the whole history: every earlier user
/// message and an assistant reply of that turn's requested output length, then the new
/// user message. The replies are synthetic text, not the server's answers, so a run is
/// reproducible and a request depends only on `(seed, i)`; a server's prefix cache still
/// holds the earlier prompt, which is the shared part. With a prefix, it is the system
/// message, shared across conversations of a group.
#[derive(Debug, Clone)]
pub struct ConversationSource {
    composer: Arc<Composer>,
    input: LengthSpec,
    output: LengthSpec,
    seed: u64,
    turns: u32,
    prefix: Option<Arc<Prefixes>>,
}

impl ConversationSource {
    /// Conversations of `turns` turns; each user message has a length from `input` and
    /// each reply asks for a length from `output`.
    pub fn new(
        composer: Arc<Composer>,
        input: LengthSpec,
        output: LengthSpec,
        seed: u64,
        turns: u32,
    ) -> Self {
        ConversationSource {
            composer,
            input,
            output,
            seed,
            turns: turns.max(1),
            prefix: None,
        }
    }

    /// Adds a shared system message (prefix group `session % groups`).
    pub fn with_prefix(mut self, spec: PrefixSpec) -> Self {
        self.prefix = Some(Arc::new(Prefixes::new(&self.composer, spec, self.seed)));
        self
    }

    /// Turns per conversation.
    pub fn turns(&self) -> u32 {
        self.turns
    }
}

impl RequestSource for ConversationSource {
    fn request(&self, index: u64) -> RequestSpec {
        let turns = self.turns as u64;
        let session = index / turns;
        let turn = index % turns;
        let mut messages = Vec::with_capacity(2 * turn as usize + 2);
        let mut segments = Vec::with_capacity(2 * turn as usize + 2);
        let mut total = 0;
        let mut tags = Tags {
            session: Some(session),
            turn: Some(turn as u32 + 1),
            ..Tags::default()
        };
        if let Some(p) = &self.prefix {
            let g = p.group(session);
            messages.push(Message {
                role: "system".into(),
                content: p.texts[g].clone(),
            });
            segments.push(Segment {
                key: p.keys[g],
                tokens: p.spec.tokens,
            });
            total += p.spec.tokens;
            let t = p.tags(g);
            tags.prefix_group = t.prefix_group;
            tags.prefix_tokens = t.prefix_tokens;
        }
        let mut max_tokens = 1;
        for k in 0..=turn {
            // Turn k's lengths come from request (session, k)'s own stream, so every later
            // turn repeats them exactly.
            let i = session * turns + k;
            let mut rng = rng_for(self.seed, USER, i);
            let n = sample_length(&self.input, &mut rng);
            let out = sample_length(&self.output, &mut rng);
            let mut add = |role: &str, salt: u64, tokens: u32, rng: &mut ChaCha8Rng| {
                let (content, n) = self.composer.text(tokens, rng);
                messages.push(Message {
                    role: role.into(),
                    content,
                });
                segments.push(Segment {
                    key: mix(self.seed ^ salt ^ mix(i)),
                    tokens: n,
                });
                total += n;
            };
            add("user", USER, n, &mut rng);
            if k == turn {
                max_tokens = out;
            } else {
                add(
                    "assistant",
                    ASSISTANT,
                    out,
                    &mut rng_for(self.seed, ASSISTANT, i),
                );
            }
        }
        let mut spec = RequestSpec::new(Prompt::Chat(messages), total, max_tokens);
        spec.segments = segments;
        spec.tags = tags;
        spec
    }
}

/// Draws one length from `spec` (always ≥ 1).
pub fn sample_length<R: rand::Rng>(spec: &LengthSpec, rng: &mut R) -> u32 {
    match spec {
        LengthSpec::Fixed(n) => (*n).max(1),
        LengthSpec::Uniform { min, max } => rng.random_range(*min..=*max).max(1),
        LengthSpec::Normal { mean, stddev } => {
            let v = Normal::new(*mean, *stddev).map_or(*mean, |d| d.sample(rng));
            v.round().clamp(1.0, spec.max() as f64) as u32
        }
        LengthSpec::LogNormal { mean, stddev } => {
            // Parameters of the underlying normal that give this mean and deviation.
            let s2 = (1.0 + (stddev / mean).powi(2)).ln();
            let mu = mean.ln() - s2 / 2.0;
            let v = LogNormal::new(mu, s2.sqrt()).map_or(*mean, |d| d.sample(rng));
            v.round().clamp(1.0, spec.max() as f64) as u32
        }
        LengthSpec::Empirical(e) => {
            if e.values.is_empty() {
                1
            } else {
                e.values[rng.random_range(0..e.values.len())]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tokenizer;
    use headroom_core::TokenCounter;
    use std::sync::OnceLock;

    fn composer() -> Arc<Composer> {
        static C: OnceLock<Arc<Composer>> = OnceLock::new();
        C.get_or_init(|| Arc::new(Composer::new(Arc::new(Tokenizer::default_builtin()))))
            .clone()
    }

    fn text(spec: &RequestSpec) -> &str {
        match &spec.prompt {
            Prompt::Text(t) => t,
            Prompt::Chat(_) => unreachable!(),
        }
    }

    fn moments(v: &[f64]) -> (f64, f64) {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        (mean, sd)
    }

    #[test]
    fn exact_lengths_and_reproducible() {
        let c = composer();
        let s = SyntheticSource::new(
            c.clone(),
            "200:20".parse().unwrap(),
            LengthSpec::Fixed(100),
            7,
        );
        for i in 0..50 {
            let r = s.request(i);
            assert_eq!(c.tokenizer().count(text(&r)), r.input_tokens, "request {i}");
            assert_eq!(r.max_tokens, 100);
            assert_eq!(r, s.request(i), "request {i} depends only on (seed, index)");
        }
        let other = SyntheticSource::new(c, "200:20".parse().unwrap(), LengthSpec::Fixed(100), 8);
        assert_ne!(s.request(0), other.request(0));
    }

    #[test]
    fn prompts_do_not_share_prefixes() {
        let c = composer();
        let s = SyntheticSource::new(c.clone(), LengthSpec::Fixed(50), LengthSpec::Fixed(1), 1);
        // A server caches 16-token blocks: no two prompts may share the first one.
        let firsts: std::collections::HashSet<Vec<u32>> = (0..500)
            .map(|i| c.tokenizer().encode(text(&s.request(i)))[..16].to_vec())
            .collect();
        assert_eq!(firsts.len(), 500);
    }

    #[test]
    fn shared_prefixes_are_shared_exactly() {
        let c = composer();
        let s = SyntheticSource::new(c.clone(), LengthSpec::Fixed(64), LengthSpec::Fixed(8), 3)
            .with_prefix(PrefixSpec {
                tokens: 300,
                groups: 4,
            });
        let tok = c.tokenizer();
        let reqs: Vec<RequestSpec> = (0..12).map(|i| s.request(i)).collect();
        for (i, r) in reqs.iter().enumerate() {
            assert_eq!(r.input_tokens, 364);
            assert_eq!(tok.count(text(r)), 364, "request {i}");
            assert_eq!(r.tags.prefix_group, Some(i as u32 % 4));
            assert_eq!(r.segments[0].tokens, 300);
        }
        let ids: Vec<Vec<u32>> = reqs.iter().map(|r| tok.encode(text(r))).collect();
        // Same group: the first 300 tokens agree; the rest differs.
        assert_eq!(ids[0][..300], ids[4][..300]);
        assert_ne!(ids[0][300..316], ids[4][300..316]);
        assert_eq!(reqs[0].segments[0], reqs[8].segments[0]);
        // Different groups differ from the start.
        assert_ne!(ids[0][..16], ids[1][..16]);
    }

    #[test]
    fn conversations_carry_their_history() {
        let c = composer();
        let s = ConversationSource::new(
            c.clone(),
            LengthSpec::Fixed(40),
            "20..30".parse().unwrap(),
            5,
            3,
        );
        let turns: Vec<RequestSpec> = (0..3).map(|i| s.request(i)).collect();
        for (t, r) in turns.iter().enumerate() {
            let Prompt::Chat(m) = &r.prompt else { panic!() };
            assert_eq!(m.len(), 2 * t + 1);
            assert_eq!(r.tags.session, Some(0));
            assert_eq!(r.tags.turn, Some(t as u32 + 1));
            let counted: u32 = m.iter().map(|m| c.tokenizer().count(&m.content)).sum();
            assert_eq!(counted, r.input_tokens);
            // The reply in the history has the length the earlier turn asked for.
            if t > 0 {
                assert_eq!(
                    c.tokenizer().count(&m[2 * t - 1].content),
                    turns[t - 1].max_tokens
                );
                let Prompt::Chat(prev) = &turns[t - 1].prompt else {
                    panic!()
                };
                assert_eq!(&m[..prev.len()], &prev[..], "history is repeated exactly");
                assert_eq!(r.segments[..prev.len()], turns[t - 1].segments[..]);
            }
        }
        assert_eq!(s.request(3).tags.session, Some(1));
        assert_eq!(s.request(3).tags.turn, Some(1));
    }

    #[test]
    fn lengths_have_the_requested_moments() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut draw = |s: &str, n: usize| -> Vec<f64> {
            let spec: LengthSpec = s.parse().unwrap();
            (0..n)
                .map(|_| sample_length(&spec, &mut rng) as f64)
                .collect()
        };
        let (mean, sd) = moments(&draw("200:20", 20_000));
        assert!((mean - 200.0).abs() < 0.5, "normal mean {mean}");
        assert!((sd - 20.0).abs() < 0.5, "normal sd {sd}");
        let (mean, sd) = moments(&draw("lognormal:300:150", 100_000));
        assert!((mean - 300.0).abs() < 3.0, "lognormal mean {mean}");
        assert!((sd - 150.0).abs() < 4.0, "lognormal sd {sd}");
        let u = draw("100..1024", 20_000);
        assert!(u.iter().all(|&x| (100.0..=1024.0).contains(&x)));
        let (mean, _) = moments(&u);
        assert!((mean - 562.0).abs() < 6.0, "uniform mean {mean}");
    }

    #[test]
    fn empirical_lengths_follow_the_file() {
        let spec = LengthSpec::Empirical(Arc::new(headroom_core::length::Empirical {
            path: "x".into(),
            values: vec![10, 10, 10, 90],
        }));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let v: Vec<f64> = (0..40_000)
            .map(|_| sample_length(&spec, &mut rng) as f64)
            .collect();
        let share_90 = v.iter().filter(|&&x| x == 90.0).count() as f64 / v.len() as f64;
        assert!((share_90 - 0.25).abs() < 0.01, "{share_90}");
        assert!(v.iter().all(|&x| x == 10.0 || x == 90.0));
    }
}
