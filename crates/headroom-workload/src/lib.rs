//! Workloads for headroom: what each request says and how long it is.
//!
//! This first version ships a word tokenizer ([`WordCounter`]: one token per
//! whitespace-separated word) and a synthetic prompt generator ([`SyntheticSource`]) that
//! builds prompts of exactly the requested number of words from a built-in vocabulary,
//! different for every request and reproducible from the seed. Model tokenizers
//! (tiktoken, Hugging Face `tokenizer.json`) and datasets plug in behind the same
//! [`headroom_core::TokenCounter`] and [`headroom_core::RequestSource`] traits.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod synthetic;
mod words;

pub use synthetic::{SyntheticSource, sample_length};
pub use words::{VOCABULARY, WordCounter};
