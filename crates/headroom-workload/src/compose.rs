//! Text of an exact token count, fast.
//!
//! The built-in corpus (public-domain prose, `data/corpus.txt`) is cut into *units*: each
//! word with its punctuation and a leading space. Once per tokenizer, every distinct unit
//! is tokenized (with and without its space), so a prompt is assembled by copying units
//! and adding up their known costs; no prompt is tokenized on the hot path. That is exact
//! when tokenizers split text at spaces before merging (tiktoken, GPT-2/Llama-3/Qwen
//! byte-level BPE, SentencePiece with a metaspace, WordPiece), which a self-check
//! confirms when the composer is built. A tokenizer that fails the check gets the slow
//! path: each text is tokenized and corrected until it counts right.
//!
//! Every text starts with a few units drawn at random and continues from a random point
//! of the corpus, so two requests do not share a prefix by accident.

use crate::Tokenizer;
use headroom_core::TokenCounter;
use rand::{Rng, RngExt};
use std::collections::HashMap;
use std::sync::Arc;

/// The built-in corpus.
pub const CORPUS: &str = include_str!("../data/corpus.txt");

/// Random units that open every text (unless it is shorter).
const HEADER_UNITS: u32 = 4;

#[derive(Debug, Clone, Copy)]
struct Unit {
    /// Byte range in the arena, leading space included.
    start: u32,
    end: u32,
    /// Tokens with the leading space (mid-text).
    cost: u32,
    /// Tokens without it (the first unit of a text).
    first_cost: u32,
}

/// Builds texts of an exact token count for one tokenizer.
pub struct Composer {
    tokenizer: Arc<Tokenizer>,
    arena: String,
    /// The corpus, in order.
    units: Vec<Unit>,
    /// Distinct one-token units (mid-text), for headers and filling.
    singles: Vec<Unit>,
    /// Distinct units that are one token at the start of a text too.
    first_singles: Vec<Unit>,
    /// The self-check passed: costs add up.
    exact: bool,
}

impl std::fmt::Debug for Composer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Composer")
            .field("tokenizer", &self.tokenizer.name())
            .field("units", &self.units.len())
            .field("singles", &self.singles.len())
            .field("exact", &self.exact)
            .finish_non_exhaustive()
    }
}

impl Composer {
    /// Prepares the corpus for `tokenizer` (tens of milliseconds).
    pub fn new(tokenizer: Arc<Tokenizer>) -> Self {
        Self::with_corpus(tokenizer, CORPUS)
    }

    /// Prepares `corpus` for `tokenizer`.
    pub fn with_corpus(tokenizer: Arc<Tokenizer>, corpus: &str) -> Self {
        let mut arena = String::with_capacity(corpus.len() + corpus.len() / 4);
        let mut distinct: HashMap<&str, Unit> = HashMap::new();
        let mut units = Vec::new();
        for word in corpus.split_whitespace() {
            let u = *distinct.entry(word).or_insert_with(|| {
                let start = arena.len() as u32;
                arena.push(' ');
                arena.push_str(word);
                Unit {
                    start,
                    end: arena.len() as u32,
                    cost: tokenizer.count(&arena[start as usize..]),
                    first_cost: tokenizer.count(word),
                }
            });
            // Units that vanish or explode under this tokenizer are left out.
            if (1..=16).contains(&u.cost) && (1..=16).contains(&u.first_cost) {
                units.push(u);
            }
        }
        let mut distinct: Vec<Unit> = distinct.into_values().collect();
        distinct.sort_by_key(|u| u.start);
        let singles: Vec<Unit> = distinct.iter().copied().filter(|u| u.cost == 1).collect();
        let first_singles: Vec<Unit> = singles
            .iter()
            .copied()
            .filter(|u| u.first_cost == 1)
            .collect();
        let mut c = Composer {
            tokenizer,
            arena,
            units,
            singles,
            first_singles,
            exact: false,
        };
        c.exact = c.self_check();
        c
    }

    /// `true` when texts are exact by construction (the self-check passed); otherwise
    /// each text is tokenized and corrected.
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Arc<Tokenizer> {
        &self.tokenizer
    }

    /// Appends text of `tokens` tokens to `out`, drawn with `rng`. `start` says whether
    /// the text begins a prompt (no leading space) or continues one. Returns the tokens
    /// appended, which is `tokens` except for a tokenizer that defeats the slow path too.
    pub fn compose<R: Rng>(&self, out: &mut String, tokens: u32, rng: &mut R, start: bool) -> u32 {
        if self.exact {
            self.assemble(out, tokens, rng, start);
            return tokens;
        }
        self.compose_checked(out, tokens, rng, start)
    }

    /// A new string of `tokens` tokens that begins a prompt.
    pub fn text<R: Rng>(&self, tokens: u32, rng: &mut R) -> (String, u32) {
        let mut s = String::with_capacity(tokens as usize * 6);
        let n = self.compose(&mut s, tokens, rng, true);
        (s, n)
    }

    fn push(&self, out: &mut String, u: Unit, first: bool) {
        let start = if first { u.start + 1 } else { u.start };
        out.push_str(&self.arena[start as usize..u.end as usize]);
    }

    fn single<R: Rng>(&self, rng: &mut R, first: bool) -> Option<Unit> {
        let pool = if first {
            &self.first_singles
        } else {
            &self.singles
        };
        if pool.is_empty() {
            return None;
        }
        Some(pool[rng.random_range(0..pool.len())])
    }

    /// Units until the costs add up to `tokens`.
    fn assemble<R: Rng>(&self, out: &mut String, tokens: u32, rng: &mut R, start: bool) {
        let mut left = tokens;
        let mut first = start;
        for _ in 0..HEADER_UNITS.min(tokens) {
            let Some(u) = self.single(rng, first) else {
                break;
            };
            self.push(out, u, first);
            left -= 1;
            first = false;
        }
        if self.units.is_empty() {
            return;
        }
        let mut pos = rng.random_range(0..self.units.len());
        while left > 0 {
            let u = self.units[pos];
            let c = if first { u.first_cost } else { u.cost };
            if c <= left {
                self.push(out, u, first);
                left -= c;
                first = false;
                pos += 1;
                if pos == self.units.len() {
                    pos = 0;
                }
            } else {
                // The next corpus word does not fit: finish with one-token words.
                while left > 0 {
                    let Some(u) = self.single(rng, first) else {
                        return;
                    };
                    self.push(out, u, first);
                    left -= 1;
                    first = false;
                }
            }
        }
    }

    /// The slow path: assemble, tokenize, correct.
    fn compose_checked<R: Rng>(
        &self,
        out: &mut String,
        tokens: u32,
        rng: &mut R,
        start: bool,
    ) -> u32 {
        let base = out.len();
        // What the text adds is measured in context, as the difference of the whole.
        let before = if base == 0 {
            0
        } else {
            self.tokenizer.count(out)
        };
        self.assemble(out, tokens, rng, start);
        for _ in 0..8 {
            let now = self.tokenizer.count(out).saturating_sub(before);
            if now == tokens {
                return tokens;
            }
            if now < tokens {
                let mut first = out.len() == base && start;
                for _ in 0..tokens - now {
                    let Some(u) = self.single(rng, first) else {
                        break;
                    };
                    self.push(out, u, first);
                    first = false;
                }
            } else {
                // Cut the added text at the token boundary that leaves `tokens` tokens.
                let ids = self.tokenizer.encode(&out[base..]);
                let keep = ids.len().saturating_sub((now - tokens) as usize);
                match self.tokenizer.decode(&ids[..keep]) {
                    Some(t) => {
                        out.truncate(base);
                        out.push_str(&t);
                    }
                    None => break,
                }
            }
        }
        self.tokenizer.count(out).saturating_sub(before)
    }

    /// Texts of many lengths, alone and appended to others, must count exactly.
    fn self_check(&self) -> bool {
        use rand::SeedableRng;
        if self.first_singles.is_empty() || self.singles.is_empty() || self.units.is_empty() {
            return false;
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5e1f);
        for (i, &n) in [1u32, 2, 3, 4, 5, 7, 16, 33, 100, 257, 1000, 2049]
            .iter()
            .enumerate()
        {
            let mut s = String::new();
            self.assemble(&mut s, n, &mut rng, true);
            if self.tokenizer.count(&s) != n {
                return false;
            }
            let m = 1 + (i as u32 * 37) % 300;
            self.assemble(&mut s, m, &mut rng, false);
            if self.tokenizer.count(&s) != n + m {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn check(t: Tokenizer) {
        let c = Composer::new(Arc::new(t));
        assert!(c.is_exact(), "{c:?}");
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for n in [1u32, 2, 9, 64, 200, 511, 4096] {
            let (s, got) = c.text(n, &mut rng);
            assert_eq!(got, n);
            assert_eq!(c.tokenizer().count(&s), n, "{n}: {s:?}");
        }
    }

    #[test]
    fn exact_for_the_builtin_encodings() {
        check(Tokenizer::builtin("cl100k_base").unwrap());
        check(Tokenizer::builtin("o200k_base").unwrap());
    }
}
