//! The catalog: GPUs, models and per-architecture efficiency defaults.
//!
//! The built-in catalog is `data/catalog.toml`, compiled into the binary. A user file in
//! the same format (`--catalog FILE`) adds entries or replaces entries of the same name.
//! Names are case-insensitive; `_`, spaces and `-` are interchangeable; aliases and
//! Hugging Face ids work too. An unknown name is an error that lists the close matches.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The built-in catalog's TOML text, as shipped (`headroom catalog --toml` prints it as a
/// starting point for a user's own catalog).
pub const BUILTIN_TOML: &str = include_str!("../data/catalog.toml");

/// Efficiency defaults of a GPU architecture.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Arch {
    /// `ampere`, `ada`, `hopper`, `blackwell`.
    pub name: String,
    /// Fraction of peak FLOPs that prefill matmuls reach.
    pub mfu_prefill: f64,
    /// Fraction of peak FLOPs that decode matmuls reach.
    pub mfu_decode: f64,
    /// Fraction of datasheet memory bandwidth that streaming weights and KV reaches.
    pub bw_efficiency: f64,
    /// FP8 weights run on FP8 tensor cores.
    #[serde(default)]
    pub native_fp8: bool,
    /// FP4 (MXFP4) weights run on FP4 tensor cores.
    #[serde(default)]
    pub native_fp4: bool,
}

/// A GPU.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Gpu {
    /// Canonical name.
    pub name: String,
    /// Other names it is known by.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Architecture (an `[[arch]]` name).
    pub arch: String,
    /// Memory the driver reports, GiB.
    pub memory_gib: f64,
    /// Memory bandwidth, GB/s.
    pub bandwidth_gbs: f64,
    /// Dense FP16/BF16 tensor TFLOPS.
    pub fp16_tflops: f64,
    /// Dense FP8 tensor TFLOPS.
    #[serde(default)]
    pub fp8_tflops: Option<f64>,
    /// Dense INT8 tensor TOPS.
    #[serde(default)]
    pub int8_tops: Option<f64>,
    /// On-demand price, $/hour (override with `--price`).
    #[serde(default)]
    pub price_per_hour: Option<f64>,
}

/// How a model's linear-layer weights are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightFormat {
    /// bfloat16.
    Bf16,
    /// float16.
    Fp16,
    /// FP8 (E4M3) linear layers; embeddings and LM head 16-bit.
    Fp8,
    /// AWQ 4-bit, group size 128 (fp16 scale + 4-bit zero per group); embeddings and LM
    /// head 16-bit.
    AwqInt4,
    /// GPTQ 4-bit, group size 128; embeddings and LM head 16-bit.
    GptqInt4,
    /// MXFP4 MoE experts (4-bit values, an 8-bit scale per 32); the rest 16-bit.
    Mxfp4,
}

impl WeightFormat {
    /// Bytes per quantised parameter (scales included).
    pub fn bytes_per_param(self) -> f64 {
        match self {
            WeightFormat::Bf16 | WeightFormat::Fp16 => 2.0,
            WeightFormat::Fp8 => 1.0,
            // 4 bits + a 16-bit scale and a 4-bit zero point per group of 128.
            WeightFormat::AwqInt4 | WeightFormat::GptqInt4 => 0.5 + 2.0 / 128.0 + 0.5 / 128.0,
            // 4 bits + an 8-bit shared scale per block of 32.
            WeightFormat::Mxfp4 => 0.5 + 1.0 / 32.0,
        }
    }

    /// The name used in the catalog.
    pub fn name(self) -> &'static str {
        match self {
            WeightFormat::Bf16 => "bf16",
            WeightFormat::Fp16 => "fp16",
            WeightFormat::Fp8 => "fp8",
            WeightFormat::AwqInt4 => "awq-int4",
            WeightFormat::GptqInt4 => "gptq-int4",
            WeightFormat::Mxfp4 => "mxfp4",
        }
    }
}

/// Mixture-of-experts shape.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Moe {
    /// Experts per layer.
    pub experts: u32,
    /// Experts each token is routed to.
    pub top_k: u32,
}

/// Layers that attend only to the most recent tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlidingWindow {
    /// How many of the layers use the window.
    pub layers: u32,
    /// Window length, tokens.
    pub window: u32,
}

/// A model (its config.json, reduced to what sets its cost).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Canonical name.
    pub name: String,
    /// Hugging Face id (what a vLLM server lists as the model).
    pub hf_id: String,
    /// Other names.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Transformer layers.
    pub layers: u32,
    /// Hidden size.
    pub hidden: u64,
    /// MLP intermediate size (per expert for MoE).
    pub intermediate: u64,
    /// Attention heads.
    pub heads: u64,
    /// Key/value heads (GQA).
    pub kv_heads: u64,
    /// Head dimension.
    pub head_dim: u64,
    /// Vocabulary size.
    pub vocab: u64,
    /// The LM head shares the embedding matrix.
    #[serde(default)]
    pub tied_embeddings: bool,
    /// SwiGLU-style MLP with gate, up and down matrices (else up and down only).
    #[serde(default = "yes")]
    pub gated_mlp: bool,
    /// Longest context the model supports.
    pub max_position: u64,
    /// Weight storage.
    pub weights: WeightFormat,
    /// Experts, for MoE models.
    #[serde(default)]
    pub moe: Option<Moe>,
    /// Sliding-window layers, if any.
    #[serde(default)]
    pub sliding_window: Option<SlidingWindow>,
    /// Uses attention sinks (needs FlashAttention 3 or Triton attention before Hopper).
    #[serde(default)]
    pub attention_sinks: bool,
}

fn yes() -> bool {
    true
}

impl Model {
    /// Attention projection parameters of one layer (q, k, v, o).
    pub fn attn_params_per_layer(&self) -> u64 {
        let q = self.hidden * self.heads * self.head_dim;
        let kv = 2 * self.hidden * self.kv_heads * self.head_dim;
        q + kv + self.heads * self.head_dim * self.hidden
    }

    /// MLP parameters of one expert (or of the dense MLP).
    pub fn mlp_params_per_expert(&self) -> u64 {
        let mats = if self.gated_mlp { 3 } else { 2 };
        mats * self.hidden * self.intermediate
    }

    /// All MLP parameters of one layer (every expert, plus the router).
    pub fn mlp_params_per_layer(&self) -> u64 {
        match self.moe {
            Some(m) => {
                m.experts as u64 * self.mlp_params_per_expert() + self.hidden * m.experts as u64
            }
            None => self.mlp_params_per_expert(),
        }
    }

    /// Embedding parameters (input table, plus the LM head when untied).
    pub fn embedding_params(&self) -> u64 {
        let e = self.vocab * self.hidden;
        if self.tied_embeddings { e } else { 2 * e }
    }

    /// Total parameters.
    pub fn params(&self) -> u64 {
        self.layers as u64 * (self.attn_params_per_layer() + self.mlp_params_per_layer())
            + self.embedding_params()
    }

    /// Parameters a token's matmuls run through: its layers (MoE: only its top-k experts)
    /// and the LM head. The input embedding is a table lookup, not a matmul, so it is not
    /// counted (as in OpenAI's "3.6B active" for gpt-oss-20b).
    pub fn active_params(&self) -> u64 {
        self.layers as u64 * self.active_params_per_layer() + self.vocab * self.hidden
    }

    /// Matmul parameters a token runs through in one layer.
    pub fn active_params_per_layer(&self) -> u64 {
        let mlp = match self.moe {
            Some(m) => {
                m.top_k as u64 * self.mlp_params_per_expert() + self.hidden * m.experts as u64
            }
            None => self.mlp_params_per_expert(),
        };
        self.attn_params_per_layer() + mlp
    }

    /// Bytes of the stored weights.
    pub fn weight_bytes(&self) -> f64 {
        let layers = self.layers as f64;
        let attn = layers * self.attn_params_per_layer() as f64;
        let mlp = layers * self.mlp_params_per_layer() as f64;
        let emb = self.embedding_params() as f64 * 2.0;
        match self.weights {
            WeightFormat::Mxfp4 => (attn * 2.0) + mlp * self.weights.bytes_per_param() + emb,
            w => (attn + mlp) * w.bytes_per_param() + emb,
        }
    }

    /// Layers that attend to the whole context.
    pub fn full_attention_layers(&self) -> u32 {
        self.layers - self.sliding_window.map_or(0, |s| s.layers)
    }

    /// KV-cache bytes per token of context in the full-attention layers, at `dtype_bytes`
    /// per element: 2 (K and V) × layers × kv_heads × head_dim × bytes.
    pub fn kv_bytes_per_token(&self, dtype_bytes: f64) -> f64 {
        2.0 * self.full_attention_layers() as f64
            * (self.kv_heads * self.head_dim) as f64
            * dtype_bytes
    }

    /// KV bytes a request holds in the sliding-window layers once its context exceeds the
    /// window (a fixed cost per request).
    pub fn kv_window_bytes(&self, dtype_bytes: f64) -> f64 {
        self.sliding_window.map_or(0.0, |s| {
            2.0 * s.layers as f64
                * (self.kv_heads * self.head_dim) as f64
                * dtype_bytes
                * s.window as f64
        })
    }
}

/// Why a catalog lookup or load failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// No such entry.
    #[error("unknown {kind} {name:?}{}", suggest(.close, .all))]
    Unknown {
        /// `GPU` or `model`.
        kind: &'static str,
        /// What was asked for.
        name: String,
        /// Close matches.
        close: Vec<String>,
        /// Every name of that kind.
        all: Vec<String>,
    },
    /// The file could not be read.
    #[error("cannot read catalog {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a valid catalog.
    #[error("invalid catalog {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

fn suggest(close: &[String], all: &[String]) -> String {
    if close.is_empty() {
        format!("; known: {}", all.join(", "))
    } else {
        format!(
            "; did you mean {}? (all: headroom catalog)",
            close.join(", ")
        )
    }
}

/// GPUs, models and architectures.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Architectures.
    #[serde(default, rename = "arch")]
    pub archs: Vec<Arch>,
    /// GPUs.
    #[serde(default, rename = "gpu")]
    pub gpus: Vec<Gpu>,
    /// Models.
    #[serde(default, rename = "model")]
    pub models: Vec<Model>,
}

/// Lower case, with `_`, spaces and `.` kept apart from `-` only by being the same thing.
fn norm(s: &str) -> String {
    s.trim().to_lowercase().replace(['_', ' '], "-")
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn find<'a, T>(
    items: &'a [T],
    kind: &'static str,
    name: &str,
    names: impl Fn(&T) -> Vec<String>,
) -> Result<&'a T, CatalogError> {
    let want = norm(name);
    if let Some(x) = items
        .iter()
        .find(|x| names(x).iter().any(|n| norm(n) == want))
    {
        return Ok(x);
    }
    let mut scored: Vec<(usize, String)> = items
        .iter()
        .map(|x| {
            let canon = names(x)[0].clone();
            let d = names(x)
                .iter()
                .map(|n| {
                    let n = norm(n);
                    if n.contains(&want) || want.contains(&n) {
                        0
                    } else {
                        distance(&n, &want)
                    }
                })
                .min()
                .unwrap_or(usize::MAX);
            (d, canon)
        })
        .filter(|(d, _)| *d <= 3.max(want.len() / 4))
        .collect();
    scored.sort();
    Err(CatalogError::Unknown {
        kind,
        name: name.to_string(),
        close: scored.into_iter().take(5).map(|(_, n)| n).collect(),
        all: items.iter().map(|x| names(x)[0].clone()).collect(),
    })
}

impl Catalog {
    /// The built-in catalog.
    pub fn builtin() -> Catalog {
        // The built-in file is checked by a unit test; parsing it cannot fail at run time.
        toml::from_str(BUILTIN_TOML).unwrap_or_default()
    }

    /// Parses a catalog from TOML text.
    pub fn parse(text: &str, path: &str) -> Result<Catalog, CatalogError> {
        let c: Catalog = toml::from_str(text).map_err(|e| CatalogError::Invalid {
            path: path.into(),
            message: e.to_string(),
        })?;
        for g in &c.gpus {
            if !(g.memory_gib > 0.0 && g.bandwidth_gbs > 0.0 && g.fp16_tflops > 0.0) {
                return Err(CatalogError::Invalid {
                    path: path.into(),
                    message: format!(
                        "GPU {}: memory, bandwidth and fp16_tflops must be positive",
                        g.name
                    ),
                });
            }
        }
        Ok(c)
    }

    /// Adds the entries of a user file; an entry with an existing name replaces it.
    pub fn merge_file(&mut self, path: &Path) -> Result<(), CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let other = Catalog::parse(&text, &path.display().to_string())?;
        self.merge(other);
        Ok(())
    }

    /// Adds `other`'s entries, replacing same-named ones.
    pub fn merge(&mut self, other: Catalog) {
        fn upsert<T>(v: &mut Vec<T>, x: T, name: impl Fn(&T) -> String) {
            match v.iter().position(|y| norm(&name(y)) == norm(&name(&x))) {
                Some(i) => v[i] = x,
                None => v.push(x),
            }
        }
        for a in other.archs {
            upsert(&mut self.archs, a, |a| a.name.clone());
        }
        for g in other.gpus {
            upsert(&mut self.gpus, g, |g| g.name.clone());
        }
        for m in other.models {
            upsert(&mut self.models, m, |m| m.name.clone());
        }
    }

    /// A GPU by name or alias.
    pub fn gpu(&self, name: &str) -> Result<&Gpu, CatalogError> {
        find(&self.gpus, "GPU", name, |g| {
            std::iter::once(g.name.clone())
                .chain(g.aliases.iter().cloned())
                .collect()
        })
    }

    /// A model by name, alias or Hugging Face id.
    pub fn model(&self, name: &str) -> Result<&Model, CatalogError> {
        find(&self.models, "model", name, |m| {
            [m.name.clone(), m.hf_id.clone()]
                .into_iter()
                .chain(m.aliases.iter().cloned())
                .collect()
        })
    }

    /// An architecture by name.
    pub fn arch(&self, name: &str) -> Result<&Arch, CatalogError> {
        find(&self.archs, "architecture", name, |a| vec![a.name.clone()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalog_parses_and_is_consistent() {
        let c = Catalog::parse(BUILTIN_TOML, "builtin").unwrap();
        assert!(c.gpus.len() >= 14 && c.models.len() >= 8);
        for g in &c.gpus {
            c.arch(&g.arch)
                .unwrap_or_else(|e| panic!("{}: {e}", g.name));
        }
        assert_eq!(Catalog::builtin().gpus.len(), c.gpus.len());
    }

    #[test]
    fn parameter_counts_match_the_model_cards() {
        let c = Catalog::builtin();
        let b = |name: &str| c.model(name).unwrap().params() as f64 / 1e9;
        for (name, want) in [
            ("qwen3-8b", 8.19),
            ("qwen2.5-7b-instruct", 7.62),
            ("llama-3.1-8b", 8.03),
            ("qwen2-1.5b", 1.54),
            ("gpt-oss-20b", 20.9),
        ] {
            let got = b(name);
            assert!(
                (got - want).abs() / want < 0.02,
                "{name}: {got:.3}B vs {want}B"
            );
        }
        let oss = c.model("gpt-oss-20b").unwrap();
        let active = oss.active_params() as f64 / 1e9;
        assert!((active - 3.6).abs() < 0.15, "gpt-oss active {active}");
    }

    #[test]
    fn weight_bytes_and_kv_bytes() {
        let c = Catalog::builtin();
        // Qwen3-8B-AWQ: ~6.1 GB; Qwen2.5-7B-AWQ: 5.57 GB of files.
        let gb = |n: &str| c.model(n).unwrap().weight_bytes() / 1e9;
        assert!(
            (gb("qwen3-8b-awq") - 6.1).abs() < 0.2,
            "{}",
            gb("qwen3-8b-awq")
        );
        assert!(
            (gb("qwen2.5-7b-awq") - 5.57).abs() < 0.2,
            "{}",
            gb("qwen2.5-7b-awq")
        );
        assert!((gb("qwen3-8b") - 16.4).abs() < 0.2);
        // KV bytes per token (bf16) from simulator-facts.md.
        for (n, want) in [
            ("opt-125m", 36_864.0),
            ("qwen2-1.5b", 28_672.0),
            ("qwen2.5-7b", 57_344.0),
            ("qwen3-8b", 147_456.0),
            ("llama-3.1-8b", 131_072.0),
            ("gpt-oss-20b", 24_576.0),
        ] {
            assert_eq!(c.model(n).unwrap().kv_bytes_per_token(2.0), want, "{n}");
        }
    }

    #[test]
    fn names_are_forgiving_and_unknown_names_suggest() {
        let c = Catalog::builtin();
        assert_eq!(c.gpu("a10g").unwrap().name, "A10G");
        assert_eq!(c.gpu("RTX 4090").unwrap().name, "RTX4090");
        assert_eq!(c.gpu("h100").unwrap().name, "H100-SXM");
        assert_eq!(c.model("Qwen/Qwen3-8B-AWQ").unwrap().name, "qwen3-8b-awq");
        assert_eq!(c.model("QWEN3_8B_AWQ").unwrap().name, "qwen3-8b-awq");
        let e = c.gpu("a11").unwrap_err().to_string();
        assert!(e.contains("did you mean") && e.contains("A10"), "{e}");
        let e = c.model("llama-70b").unwrap_err().to_string();
        assert!(e.contains("unknown model \"llama-70b\""), "{e}");
    }

    #[test]
    fn a_user_catalog_adds_and_replaces() {
        let mut c = Catalog::builtin();
        let user = r#"
[[gpu]]
name = "A10"
arch = "ampere"
memory_gib = 22.49
bandwidth_gbs = 600
fp16_tflops = 125
price_per_hour = 0.75

[[gpu]]
name = "MI-X"
arch = "ampere"
memory_gib = 64
bandwidth_gbs = 1600
fp16_tflops = 300
"#;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, user).unwrap();
        let n = c.gpus.len();
        c.merge_file(&p).unwrap();
        assert_eq!(c.gpus.len(), n + 1);
        assert_eq!(c.gpu("a10").unwrap().price_per_hour, Some(0.75));
        assert_eq!(c.gpu("mi-x").unwrap().bandwidth_gbs, 1600.0);
        std::fs::write(&p, "[[gpu]]\nname = \"x\"\nbogus = 1\n").unwrap();
        let e = c.merge_file(&p).unwrap_err().to_string();
        assert!(e.contains("invalid catalog") && e.contains("bogus"), "{e}");
    }
}
