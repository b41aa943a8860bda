//! Workloads for headroom: what each request says and how long it is.
//!
//! - [`Tokenizer`]: tiktoken encodings compiled in (the default, `cl100k_base`), and
//!   Hugging Face `tokenizer.json` files from a path, a model directory or the local
//!   cache; never the network.
//! - [`Composer`]: text of an exact token count for a tokenizer, from a built-in
//!   public-domain corpus, fast enough to make 100,000 prompts of 1,000 tokens in
//!   well under a second per core.
//! - Sources ([`headroom_core::RequestSource`]): [`SyntheticSource`] (optionally behind
//!   shared prefixes), [`ConversationSource`] (multi-turn with history), datasets and
//!   trace replay.
//! - [`dataset`]: ShareGPT, JSONL and CSV prompt files ([`dataset::load`],
//!   [`DatasetSource`]).
//! - [`trace`]: timed arrivals (our JSONL, Mooncake JSONL, Azure CSV; [`trace::load`]),
//!   replayed by a [`TraceSource`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod compose;
pub mod dataset;
mod synthetic;
mod tokenizer;
pub mod trace;
mod words;

pub use compose::{CORPUS, Composer};
pub use dataset::{
    Dataset, DatasetError, DatasetFormat, DatasetRef, DatasetRefError, DatasetSource, Entry,
    LengthFilter, Sampling, SamplingError,
};
pub use synthetic::{ConversationSource, PrefixSpec, SyntheticSource, rng_for, sample_length};
pub use tokenizer::{BUILTIN, DEFAULT_TOKENIZER, Tokenizer, TokenizerError};
pub use trace::{Trace, TraceEntry, TraceError, TraceFormat, TraceRef, TraceRefError, TraceSource};
pub use words::WordCounter;

use headroom_core::{RequestSource, RequestSpec};
use std::sync::Arc;

/// Any request source behind one concrete type, for code that picks the workload at run
/// time.
#[derive(Clone)]
pub struct AnySource(pub Arc<dyn RequestSource>);

impl std::fmt::Debug for AnySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnySource")
    }
}

impl RequestSource for AnySource {
    fn request(&self, index: u64) -> RequestSpec {
        self.0.request(index)
    }
    fn len(&self) -> Option<u64> {
        self.0.len()
    }
    fn arrival_us(&self, index: u64) -> Option<u64> {
        self.0.arrival_us(index)
    }
}

/// A pool of `n` distinct prompts (`--num-prompts`): request `i` is the inner source's
/// request `i % n`, so repeats carry the same content (and hit a prefix cache, as they
/// would on a real server).
#[derive(Debug, Clone)]
pub struct Pool<S> {
    inner: S,
    n: u64,
}

impl<S: RequestSource> Pool<S> {
    /// The first `size` requests of `inner`, cycled.
    pub fn new(inner: S, size: u64) -> Self {
        Pool {
            inner,
            n: size.max(1),
        }
    }
}

impl<S: RequestSource> RequestSource for Pool<S> {
    fn request(&self, index: u64) -> RequestSpec {
        self.inner.request(index % self.n)
    }
    fn len(&self) -> Option<u64> {
        Some(self.n)
    }
}
