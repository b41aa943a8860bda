//! Tokenizers, all offline: tiktoken encodings compiled into the binary, Hugging Face
//! `tokenizer.json` files from a path, a model directory, or the local Hugging Face cache.

use headroom_core::TokenCounter;
use std::fmt;
use std::path::{Path, PathBuf};

/// The tokenizer used when none is given.
pub const DEFAULT_TOKENIZER: &str = "cl100k_base";

/// The built-in encodings, by name.
pub const BUILTIN: [&str; 2] = ["cl100k_base", "o200k_base"];

/// A tokenizer headroom can count, encode and decode with.
pub struct Tokenizer {
    name: String,
    kind: Kind,
}

enum Kind {
    Tiktoken(&'static tiktoken_rs::CoreBPE),
    #[cfg(feature = "hf")]
    Hf(Box<tokenizers::Tokenizer>),
    Words,
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokenizer")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Why a tokenizer could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    /// Nothing matched the name; `looked` lists every place tried.
    #[error(
        "tokenizer {spec:?} not found. Looked for:\n{looked}\nheadroom never downloads. Give a built-in encoding ({builtin}), a tokenizer.json file, a model directory holding one, or a Hugging Face id already in the local cache (e.g. fetched with `huggingface-cli download ORG/NAME tokenizer.json`)",
        looked = .looked.iter().map(|l| format!("  - {l}")).collect::<Vec<_>>().join("\n"),
        builtin = BUILTIN.join(", ")
    )]
    NotFound {
        /// What the user asked for.
        spec: String,
        /// Each place looked, with why it did not match.
        looked: Vec<String>,
    },
    /// A file was found but could not be read as a tokenizer.
    #[error("cannot load tokenizer {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

impl Tokenizer {
    /// Finds a tokenizer by `spec`: a built-in encoding name (`cl100k_base`,
    /// `o200k_base`), a `tokenizer.json` path, a directory holding one, or a Hugging Face
    /// model id (`Qwen/Qwen3-8B`) present in the local cache (`$HF_HUB_CACHE`,
    /// `$HF_HOME/hub` or `~/.cache/huggingface/hub`). Never touches the network.
    pub fn resolve(spec: &str) -> Result<Self, TokenizerError> {
        Self::resolve_in(spec, &hub_dirs())
    }

    /// [`Tokenizer::resolve`] with the Hugging Face cache directories given.
    pub fn resolve_in(spec: &str, hubs: &[PathBuf]) -> Result<Self, TokenizerError> {
        let s = spec.trim();
        let mut looked = Vec::new();
        if let Some(t) = Self::builtin(s) {
            return Ok(t);
        }
        looked.push(format!(
            "a built-in encoding named {s:?} (there are: {})",
            BUILTIN.join(", ")
        ));
        let path = Path::new(s);
        if path.is_file() {
            return Self::from_file(path);
        }
        if path.is_dir() {
            let f = path.join("tokenizer.json");
            if f.is_file() {
                return Self::from_file(&f);
            }
            looked.push(format!("{} (no such file)", f.display()));
        } else {
            looked.push(format!("a file or directory {s:?} (none)"));
        }
        if let Some((org, name)) = s.split_once('/')
            && !org.is_empty()
            && !name.is_empty()
            && !name.contains('/')
            && !s.starts_with('.')
        {
            for hub in hubs {
                let repo = hub.join(format!("models--{org}--{name}"));
                match cached_tokenizer(&repo) {
                    Some(f) => {
                        let mut t = Self::from_file(&f)?;
                        t.name = format!("{s} ({})", f.display());
                        return Ok(t);
                    }
                    None => looked.push(format!(
                        "{}/snapshots/*/tokenizer.json (not in the cache)",
                        repo.display()
                    )),
                }
            }
        }
        Err(TokenizerError::NotFound {
            spec: spec.to_string(),
            looked,
        })
    }

    /// A built-in encoding by name (`cl100k_base`/`cl100k`, `o200k_base`/`o200k`), or
    /// `words` (one token per whitespace-separated word, for tests).
    pub fn builtin(name: &str) -> Option<Self> {
        let (name, bpe) = match name.to_ascii_lowercase().as_str() {
            "cl100k_base" | "cl100k" => ("cl100k_base", tiktoken_rs::cl100k_base_singleton()),
            "o200k_base" | "o200k" => ("o200k_base", tiktoken_rs::o200k_base_singleton()),
            "words" => {
                return Some(Tokenizer {
                    name: "words".into(),
                    kind: Kind::Words,
                });
            }
            _ => return None,
        };
        Some(Tokenizer {
            name: name.into(),
            kind: Kind::Tiktoken(bpe),
        })
    }

    /// The default tokenizer ([`DEFAULT_TOKENIZER`]).
    pub fn default_builtin() -> Self {
        Tokenizer {
            name: DEFAULT_TOKENIZER.into(),
            kind: Kind::Tiktoken(tiktoken_rs::cl100k_base_singleton()),
        }
    }

    /// A Hugging Face `tokenizer.json`.
    pub fn from_file(path: &Path) -> Result<Self, TokenizerError> {
        #[cfg(feature = "hf")]
        {
            let t =
                tokenizers::Tokenizer::from_file(path).map_err(|e| TokenizerError::Unreadable {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })?;
            Ok(Tokenizer {
                name: path.display().to_string(),
                kind: Kind::Hf(Box::new(t)),
            })
        }
        #[cfg(not(feature = "hf"))]
        {
            Err(TokenizerError::Unreadable {
                path: path.to_path_buf(),
                reason: "this build has no Hugging Face tokenizer support (feature `hf`)".into(),
            })
        }
    }

    /// Token ids of `text` (no special tokens added).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        match &self.kind {
            Kind::Tiktoken(b) => b.encode_ordinary(text),
            #[cfg(feature = "hf")]
            Kind::Hf(t) => t
                .encode_fast(text, false)
                .map(|e| e.get_ids().to_vec())
                .unwrap_or_default(),
            Kind::Words => text.split_whitespace().map(|_| 0).collect(),
        }
    }

    /// Text of `ids`; `None` when the ids do not decode (or for `words`).
    pub fn decode(&self, ids: &[u32]) -> Option<String> {
        match &self.kind {
            Kind::Tiktoken(b) => b.decode(ids).ok(),
            #[cfg(feature = "hf")]
            Kind::Hf(t) => t.decode(ids, false).ok(),
            Kind::Words => None,
        }
    }
}

impl TokenCounter for Tokenizer {
    fn name(&self) -> &str {
        &self.name
    }

    fn count(&self, text: &str) -> u32 {
        match &self.kind {
            Kind::Tiktoken(b) => b.count_ordinary(text) as u32,
            #[cfg(feature = "hf")]
            Kind::Hf(t) => t
                .encode_fast(text, false)
                .map(|e| e.len() as u32)
                .unwrap_or(0),
            Kind::Words => text.split_whitespace().count() as u32,
        }
    }

    fn count_segments(&self, text: &str, ends: &[usize], out: &mut Vec<u32>) {
        if let Kind::Words = self.kind {
            return crate::WordCounter.count_segments(text, ends, out);
        }
        // Encode once and give each token to the segment holding its last byte: a token
        // exists only once all its bytes have arrived.
        out.clear();
        out.resize(ends.len(), 0);
        let offsets = self.token_ends(text);
        let mut seg = 0;
        for end in offsets {
            while seg + 1 < ends.len() && ends[seg] < end {
                seg += 1;
            }
            if let Some(o) = out.get_mut(seg) {
                *o += 1;
            }
        }
    }
}

impl Tokenizer {
    /// Byte offset just past each token of `text`.
    fn token_ends(&self, text: &str) -> Vec<usize> {
        match &self.kind {
            Kind::Tiktoken(b) => {
                let ids = b.encode_ordinary(text);
                let mut end = 0;
                let mut v = Vec::with_capacity(ids.len());
                for id in ids {
                    end += b.decode_bytes(&[id]).map(|b| b.len()).unwrap_or(0);
                    v.push(end.min(text.len()));
                }
                v
            }
            #[cfg(feature = "hf")]
            Kind::Hf(t) => t
                .encode(text, false)
                .map(|e| e.get_offsets().iter().map(|o| o.1).collect())
                .unwrap_or_default(),
            Kind::Words => Vec::new(),
        }
    }
}

/// Where the Hugging Face cache may be, in the order the `huggingface_hub` library uses.
fn hub_dirs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(p) = std::env::var_os("HF_HUB_CACHE") {
        v.push(PathBuf::from(p));
    }
    if let Some(p) = std::env::var_os("HF_HOME") {
        v.push(PathBuf::from(p).join("hub"));
    }
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME") {
        v.push(PathBuf::from(p).join("huggingface").join("hub"));
    }
    if let Some(h) = std::env::var_os("HOME") {
        v.push(
            PathBuf::from(h)
                .join(".cache")
                .join("huggingface")
                .join("hub"),
        );
    }
    v.dedup();
    v
}

/// `tokenizer.json` of a cached repo: the snapshot `refs/main` names, else any snapshot.
fn cached_tokenizer(repo: &Path) -> Option<PathBuf> {
    let snaps = repo.join("snapshots");
    if let Ok(rev) = std::fs::read_to_string(repo.join("refs").join("main")) {
        let f = snaps.join(rev.trim()).join("tokenizer.json");
        if f.is_file() {
            return Some(f);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(&snaps)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("tokenizer.json"))
        .filter(|f| f.is_file())
        .collect();
    found.sort();
    found.pop()
}

#[cfg(all(test, feature = "hf"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Composer;
    use std::sync::Arc;

    /// A byte-level BPE (the GPT-2/Llama-3/Qwen family) trained on the corpus, saved as a
    /// real `tokenizer.json`.
    pub(crate) fn train_bpe(dir: &Path) -> PathBuf {
        use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
        use tokenizers::pre_tokenizers::byte_level::ByteLevel;
        let mut t = tokenizers::Tokenizer::new(BPE::default());
        // No prefix space, as in Llama 3 and Qwen.
        t.with_pre_tokenizer(Some(ByteLevel::new(false, true, true)));
        t.with_decoder(Some(ByteLevel::new(false, true, true)));
        let mut trainer: tokenizers::models::TrainerWrapper = BpeTrainerBuilder::new()
            .vocab_size(1500)
            .show_progress(false)
            .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
            .build()
            .into();
        t.train(&mut trainer, crate::CORPUS.lines()).unwrap();
        let path = dir.join("tokenizer.json");
        t.save(&path, false).unwrap();
        path
    }

    /// A word-level tokenizer with a whitespace-and-punctuation pre-tokenizer (the BERT
    /// family's splitting), written by hand.
    fn word_level(dir: &Path) -> PathBuf {
        let mut vocab = serde_json::Map::new();
        vocab.insert("[UNK]".into(), 0.into());
        let mut next = 1u64;
        let mut add = |w: &str| {
            if !vocab.contains_key(w) {
                vocab.insert(w.into(), next.into());
                next += 1;
            }
        };
        for w in crate::CORPUS
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .filter(|w| !w.is_empty())
        {
            add(w);
        }
        for p in [".", ",", ";", ":", "!", "?", "'", "\"", "-", "--", "(", ")"] {
            add(p);
        }
        let json = serde_json::json!({
            "version": "1.0",
            "truncation": null,
            "padding": null,
            "added_tokens": [],
            "normalizer": null,
            "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": null,
            "decoder": null,
            "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}
        });
        let path = dir.join("word-level.json");
        std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        path
    }

    #[test]
    fn hf_tokenizers_from_a_file_a_directory_and_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let file = train_bpe(dir.path());
        let by_file = Tokenizer::resolve_in(file.to_str().unwrap(), &[]).unwrap();
        let by_dir = Tokenizer::resolve_in(dir.path().to_str().unwrap(), &[]).unwrap();
        let text = "It is a truth universally acknowledged";
        assert_eq!(by_file.encode(text), by_dir.encode(text));
        assert!(by_file.count(text) > 0);
        assert_eq!(by_file.decode(&by_file.encode(text)).unwrap(), text);
        assert_eq!(by_file.name(), file.display().to_string());

        // The Hugging Face cache layout: models--ORG--NAME/snapshots/REV/ + refs/main.
        let hub = tempfile::tempdir().unwrap();
        let repo = hub.path().join("models--acme--tiny-lm");
        let snap = repo.join("snapshots").join("abc123");
        std::fs::create_dir_all(&snap).unwrap();
        std::fs::create_dir_all(repo.join("refs")).unwrap();
        std::fs::write(repo.join("refs").join("main"), "abc123\n").unwrap();
        std::fs::copy(&file, snap.join("tokenizer.json")).unwrap();
        let cached = Tokenizer::resolve_in("acme/tiny-lm", &[hub.path().to_path_buf()]).unwrap();
        assert_eq!(cached.encode(text), by_file.encode(text));
        assert!(
            cached.name().starts_with("acme/tiny-lm ("),
            "{}",
            cached.name()
        );
    }

    #[test]
    fn missing_and_unreadable_tokenizers_say_what_was_looked_for() {
        let hub = tempfile::tempdir().unwrap();
        let e = Tokenizer::resolve_in("acme/missing", &[hub.path().to_path_buf()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("tokenizer \"acme/missing\" not found"), "{e}");
        assert!(
            e.contains("models--acme--missing/snapshots/*/tokenizer.json"),
            "{e}"
        );
        assert!(e.contains("cl100k_base, o200k_base"), "{e}");
        assert!(e.contains("never downloads"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        let e = Tokenizer::resolve_in(dir.path().to_str().unwrap(), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("tokenizer.json (no such file)"), "{e}");

        let bad = dir.path().join("tokenizer.json");
        std::fs::write(&bad, "{not json").unwrap();
        let e = Tokenizer::resolve_in(bad.to_str().unwrap(), &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("cannot load tokenizer {}", bad.display())),
            "{e}"
        );
    }

    #[test]
    fn exact_prompts_for_hf_tokenizers() {
        let dir = tempfile::tempdir().unwrap();
        for path in [train_bpe(dir.path()), word_level(dir.path())] {
            let t = Arc::new(Tokenizer::from_file(&path).unwrap());
            let c = Composer::new(t.clone());
            assert!(c.is_exact(), "{}: {c:?}", path.display());
            let mut rng = crate::rng_for(1, 2, 3);
            for n in [1u32, 5, 200, 1000] {
                let (s, got) = c.text(n, &mut rng);
                assert_eq!((got, t.count(&s)), (n, n), "{}: {s:?}", path.display());
            }
        }
    }

    #[test]
    fn chunk_attribution_sums_to_the_count() {
        for t in [
            Tokenizer::builtin("cl100k_base").unwrap(),
            Tokenizer::builtin("o200k_base").unwrap(),
        ] {
            let text = "The quick brown fox jumps over the lazy dog, again and again.";
            let ends = [3, 10, 11, 40, text.len()];
            let mut out = Vec::new();
            t.count_segments(text, &ends, &mut out);
            assert_eq!(out.iter().sum::<u32>(), t.count(text), "{}", t.name());
            assert_eq!(out.len(), ends.len());
        }
    }
}
