//! Requests from a dataset: [`DatasetSource`] hands out entries in a [`Sampling`] order.

use super::Dataset;
use crate::synthetic::sample_length;
use headroom_core::seed::mix;
use headroom_core::{LengthSpec, Prompt, RequestSource, RequestSpec, Segment};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The order in which a [`DatasetSource`] hands out entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sampling {
    /// In file order, starting over after the last entry.
    Sequential,
    /// A uniformly random entry for every request (with replacement).
    Random,
    /// Every entry once in a seeded random order (without replacement), then the same
    /// order again.
    Shuffle,
}

impl fmt::Display for Sampling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sampling::Sequential => "sequential",
            Sampling::Random => "random",
            Sampling::Shuffle => "shuffle",
        })
    }
}

/// A sampling order that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sampling {0:?} (expected sequential, random or shuffle)")]
pub struct SamplingError(pub String);

impl FromStr for Sampling {
    type Err = SamplingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sequential" => Ok(Sampling::Sequential),
            "random" => Ok(Sampling::Random),
            "shuffle" => Ok(Sampling::Shuffle),
            _ => Err(SamplingError(s.to_string())),
        }
    }
}

/// Requests made from a dataset's entries. Request `i` is a pure function of the seed and
/// `i`.
///
/// Each request carries one [`Segment`] whose key identifies the entry, so the same entry
/// sent twice reads as the same content (a prefix-cache hit on a server, and in
/// headroom's simulator).
#[derive(Clone)]
pub struct DatasetSource {
    dataset: Arc<Dataset>,
    sampling: Sampling,
    seed: u64,
    output: Option<LengthSpec>,
    fallback_output: LengthSpec,
    /// The permutation for [`Sampling::Shuffle`]; empty otherwise.
    order: Vec<usize>,
}

impl fmt::Debug for DatasetSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatasetSource")
            .field("dataset", &self.dataset)
            .field("sampling", &self.sampling)
            .field("seed", &self.seed)
            .field("output", &self.output)
            .field("fallback_output", &self.fallback_output)
            .finish_non_exhaustive()
    }
}

impl DatasetSource {
    /// A source over `dataset`. The output length (`max_tokens`) is drawn from `output`
    /// when given, else it is the entry's own output length, else it is drawn from
    /// `fallback_output`.
    ///
    /// [`load`] never returns an empty dataset; over an empty one (built by hand) every
    /// request has an empty prompt.
    pub fn new(
        dataset: Arc<Dataset>,
        sampling: Sampling,
        seed: u64,
        output: Option<LengthSpec>,
        fallback_output: LengthSpec,
    ) -> Self {
        let order = if sampling == Sampling::Shuffle {
            let mut order: Vec<usize> = (0..dataset.entries.len()).collect();
            let mut rng = ChaCha8Rng::seed_from_u64(mix(seed ^ 0x0073_6875_6666_6c65));
            for k in (1..order.len()).rev() {
                let j = rng.random_range(0..=k);
                order.swap(k, j);
            }
            order
        } else {
            Vec::new()
        };
        DatasetSource {
            dataset,
            sampling,
            seed,
            output,
            fallback_output,
            order,
        }
    }

    /// The dataset the requests come from.
    pub fn dataset(&self) -> &Arc<Dataset> {
        &self.dataset
    }

    /// The sampling order.
    pub fn sampling(&self) -> Sampling {
        self.sampling
    }

    fn rng(&self, index: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(mix(self.seed ^ mix(index)))
    }
}

/// The content key of dataset entry `entry`.
fn entry_key(entry: usize) -> u64 {
    mix(0x6461_7461 ^ mix(entry as u64))
}

impl RequestSource for DatasetSource {
    fn request(&self, index: u64) -> RequestSpec {
        let mut rng = self.rng(index);
        let entries = &self.dataset.entries;
        let n = entries.len();
        if n == 0 {
            let max_tokens = sample_length(
                self.output.as_ref().unwrap_or(&self.fallback_output),
                &mut rng,
            );
            return RequestSpec::new(Prompt::Text(String::new()), 0, max_tokens);
        }
        let at = (index % n as u64) as usize;
        let k = match self.sampling {
            Sampling::Sequential => at,
            Sampling::Shuffle => self.order.get(at).copied().unwrap_or(at),
            Sampling::Random => rng.random_range(0..n),
        };
        let entry = &entries[k];
        let max_tokens = match (&self.output, entry.output_tokens) {
            (Some(spec), _) => sample_length(spec, &mut rng),
            (None, Some(n)) => n,
            (None, None) => sample_length(&self.fallback_output, &mut rng),
        }
        .max(1);
        let mut spec = RequestSpec::new(entry.prompt.clone(), entry.input_tokens, max_tokens);
        if entry.input_tokens > 0 {
            spec.segments = vec![Segment {
                key: entry_key(k),
                tokens: entry.input_tokens,
            }];
        }
        spec
    }

    fn len(&self) -> Option<u64> {
        match self.sampling {
            Sampling::Sequential | Sampling::Shuffle => Some(self.dataset.entries.len() as u64),
            Sampling::Random => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{picked, source};
    use super::super::*;
    use super::*;

    #[test]
    fn sequential_goes_in_file_order() {
        let s = source(5, Sampling::Sequential, 1);
        assert_eq!(s.len(), Some(5));
        for i in 0..12 {
            assert_eq!(picked(&s, i), format!("prompt number {}", i % 5));
        }
    }

    #[test]
    fn shuffle_visits_every_entry_once_per_pass() {
        let n = 50;
        let s = source(n, Sampling::Shuffle, 9);
        assert_eq!(s.len(), Some(n as u64));
        let first: Vec<String> = (0..n as u64).map(|i| picked(&s, i)).collect();
        let distinct: std::collections::HashSet<&String> = first.iter().collect();
        assert_eq!(distinct.len(), n);
        let sequential: Vec<String> = (0..n).map(|i| format!("prompt number {i}")).collect();
        assert_ne!(first, sequential);
        let second: Vec<String> = (n as u64..2 * n as u64).map(|i| picked(&s, i)).collect();
        assert_eq!(first, second);
        let again = source(n, Sampling::Shuffle, 9);
        assert_eq!(
            first,
            (0..n as u64).map(|i| picked(&again, i)).collect::<Vec<_>>()
        );
        let other = source(n, Sampling::Shuffle, 10);
        assert_ne!(
            first,
            (0..n as u64).map(|i| picked(&other, i)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn random_is_reproducible() {
        let s = source(20, Sampling::Random, 3);
        assert_eq!(s.len(), None);
        let a: Vec<RequestSpec> = (0..100).map(|i| s.request(i)).collect();
        let b: Vec<RequestSpec> = (0..100).rev().map(|i| s.request(i)).collect();
        assert!(a.iter().eq(b.iter().rev()));
        let distinct: std::collections::HashSet<String> = (0..100).map(|i| picked(&s, i)).collect();
        assert!(distinct.len() > 10, "{}", distinct.len());
        let other = source(20, Sampling::Random, 4);
        assert!((0..100).any(|i| picked(&s, i) != picked(&other, i)));
    }

    #[test]
    fn output_length_override_entry_and_fallback() {
        let mut entries = vec![
            Entry {
                prompt: Prompt::Text("a".into()),
                input_tokens: 1,
                output_tokens: Some(42),
                line: 1,
            },
            Entry {
                prompt: Prompt::Text("b".into()),
                input_tokens: 1,
                output_tokens: None,
                line: 2,
            },
        ];
        entries.push(Entry {
            output_tokens: Some(0),
            ..entries[0].clone()
        });
        let ds = Arc::new(Dataset {
            entries,
            path: PathBuf::from("x.jsonl"),
            format: DatasetFormat::Jsonl,
            read: 3,
            skipped: 0,
            filtered: 0,
        });
        let fallback = LengthSpec::Fixed(9);
        let s = DatasetSource::new(ds.clone(), Sampling::Sequential, 0, None, fallback.clone());
        let got: Vec<u32> = (0..3).map(|i| s.request(i).max_tokens).collect();
        assert_eq!(got, [42, 9, 1]);
        let over = LengthSpec::Uniform { min: 100, max: 200 };
        let s = DatasetSource::new(ds, Sampling::Sequential, 0, Some(over), fallback);
        for i in 0..30 {
            let m = s.request(i).max_tokens;
            assert!((100..=200).contains(&m), "{m}");
            assert_eq!(s.request(i), s.request(i));
        }
    }

    #[test]
    fn segments_identify_the_entry() {
        let s = source(3, Sampling::Sequential, 5);
        let (a, b, a2) = (s.request(0), s.request(1), s.request(3));
        assert_eq!(a.input_tokens, 3);
        assert_eq!(a.segments.len(), 1);
        assert_eq!(a.segments[0].tokens, a.input_tokens);
        assert_eq!(a.segments, a2.segments);
        assert_eq!(a.prompt, a2.prompt);
        assert_ne!(a.segments[0].key, b.segments[0].key);
        let shuffled = source(3, Sampling::Shuffle, 5);
        let k = (0..3)
            .find(|&i| picked(&shuffled, i) == picked(&s, 0))
            .unwrap();
        assert_eq!(shuffled.request(k).segments, a.segments);
    }
}
