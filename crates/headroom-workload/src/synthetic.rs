//! Reproducible synthetic prompts of an exact length.

use crate::words::VOCABULARY;
use headroom_core::{LengthSpec, Prompt, RequestSource, RequestSpec};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// Prompts of random vocabulary words: request `i` is a pure function of `(seed, i)`.
///
/// Every prompt starts at a different point of the random sequence, so two requests do
/// not share a prefix by accident (no unintended prefix-cache hits).
#[derive(Debug, Clone)]
pub struct SyntheticSource {
    input: LengthSpec,
    output: LengthSpec,
    seed: u64,
}

impl SyntheticSource {
    /// A source drawing prompt and output lengths from the given distributions.
    pub fn new(input: LengthSpec, output: LengthSpec, seed: u64) -> Self {
        SyntheticSource {
            input,
            output,
            seed,
        }
    }

    fn rng(&self, index: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(headroom_core::seed::mix(
            self.seed ^ headroom_core::seed::mix(index),
        ))
    }
}

impl RequestSource for SyntheticSource {
    fn request(&self, index: u64) -> RequestSpec {
        let mut rng = self.rng(index);
        let n = sample_length(&self.input, &mut rng);
        let max_tokens = sample_length(&self.output, &mut rng);
        let mut text = String::with_capacity(n as usize * 8);
        for k in 0..n {
            if k > 0 {
                text.push(' ');
            }
            text.push_str(VOCABULARY[rng.random_range(0..VOCABULARY.len())]);
        }
        RequestSpec::new(Prompt::Text(text), n, max_tokens)
    }
}

/// Draws one length from `spec` (always ≥ 1).
pub fn sample_length<R: rand::Rng>(spec: &LengthSpec, rng: &mut R) -> u32 {
    match *spec {
        LengthSpec::Fixed(n) => n.max(1),
        LengthSpec::Uniform { min, max } => rng.random_range(min..=max).max(1),
        LengthSpec::Normal { mean, stddev } => {
            let v = Normal::new(mean, stddev).map_or(mean, |d| d.sample(rng));
            v.round().clamp(1.0, spec.max() as f64) as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WordCounter;
    use headroom_core::TokenCounter;

    fn text(spec: &RequestSpec) -> &str {
        match &spec.prompt {
            Prompt::Text(t) => t,
            Prompt::Chat(_) => unreachable!(),
        }
    }

    #[test]
    fn exact_lengths_and_reproducible() {
        let s = SyntheticSource::new(LengthSpec::Fixed(200), LengthSpec::Fixed(100), 7);
        for i in 0..50 {
            let r = s.request(i);
            assert_eq!(WordCounter.count(text(&r)), 200);
            assert_eq!(r.input_tokens, 200);
            assert_eq!(r.max_tokens, 100);
            assert_eq!(r, s.request(i), "request {i} depends only on (seed, index)");
        }
        let other = SyntheticSource::new(LengthSpec::Fixed(200), LengthSpec::Fixed(100), 8);
        assert_ne!(s.request(0), other.request(0));
    }

    #[test]
    fn prompts_do_not_share_prefixes() {
        let s = SyntheticSource::new(LengthSpec::Fixed(50), LengthSpec::Fixed(1), 1);
        let firsts: std::collections::HashSet<String> = (0..200)
            .map(|i| {
                text(&s.request(i))
                    .split(' ')
                    .take(4)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert!(
            firsts.len() > 195,
            "only {} distinct 4-word prefixes",
            firsts.len()
        );
    }

    #[test]
    fn normal_lengths_have_the_requested_moments() {
        let spec: LengthSpec = "200:20".parse().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let v: Vec<f64> = (0..20_000)
            .map(|_| sample_length(&spec, &mut rng) as f64)
            .collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        assert!((mean - 200.0).abs() < 0.5, "mean {mean}");
        assert!((sd - 20.0).abs() < 0.5, "sd {sd}");
        let u: LengthSpec = "100..1024".parse().unwrap();
        let w: Vec<u32> = (0..5_000).map(|_| sample_length(&u, &mut rng)).collect();
        assert!(w.iter().all(|&x| (100..=1024).contains(&x)));
    }
}
