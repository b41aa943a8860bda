//! The simulated engine as a user describes it — a GPU, a model, and vLLM's own setting
//! names — turned into a checked [`SimSpec`]. `headroom predict`, `headroom sim`,
//! `headroom catalog` and the embedded simulator all go through here, so a setting means
//! the same everywhere, including vLLM's rules between settings.

use crate::catalog::{Catalog, CatalogError};
use crate::perf::{CostModel, KvCacheDtype, SimSpec, SpecError};
use std::path::PathBuf;

/// The default GPU of the simulator (the capacity plan's baseline, an A10).
pub const DEFAULT_GPU: &str = "a10";
/// The default model of the simulator (the capacity plan's baseline).
pub const DEFAULT_MODEL: &str = "qwen3-8b-awq";

/// A simulated engine: hardware, model, and vLLM's settings under vLLM's names. `None`
/// keeps vLLM's default for the GPU and model.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// GPU (catalog name or alias) [default: a10].
    pub gpu: Option<String>,
    /// Model (catalog name or Hugging Face id) [default: qwen3-8b-awq].
    pub model: Option<String>,
    /// A TOML file adding or replacing catalog entries.
    pub catalog: Option<PathBuf>,
    /// vLLM `--max-num-seqs`.
    pub max_num_seqs: Option<u32>,
    /// vLLM `--max-num-batched-tokens`.
    pub max_num_batched_tokens: Option<u32>,
    /// vLLM `--gpu-memory-utilization`.
    pub gpu_memory_utilization: Option<f64>,
    /// vLLM `--block-size`.
    pub block_size: Option<u32>,
    /// vLLM `--kv-cache-dtype`.
    pub kv_cache_dtype: Option<KvCacheDtype>,
    /// vLLM `--max-model-len`.
    pub max_model_len: Option<u64>,
    /// vLLM `--tensor-parallel-size`.
    pub tensor_parallel_size: Option<u32>,
    /// vLLM `--no-enable-chunked-prefill`.
    pub no_enable_chunked_prefill: bool,
    /// vLLM `--no-enable-prefix-caching`.
    pub no_enable_prefix_caching: bool,
    /// vLLM `--async-scheduling`.
    pub async_scheduling: bool,
    /// Cost-model constants to set, `NAME=VALUE`.
    pub perf: Vec<String>,
    /// vLLM `--num-scheduler-steps` (multi-step scheduling): accepted, not modelled.
    pub num_scheduler_steps: Option<u32>,
    /// vLLM `--kv-offloading-size` (GB of host memory for KV blocks): accepted, not
    /// modelled.
    pub kv_offloading_size: Option<f64>,
    /// vLLM `--kv-offloading-backend`: accepted, not modelled.
    pub kv_offloading_backend: Option<String>,
    /// vLLM's attention backend (`VLLM_ATTENTION_BACKEND`, e.g. `FLASHINFER`): accepted,
    /// not modelled.
    pub attention_backend: Option<String>,
}

/// Why the options describe no engine that can run.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// An unknown GPU or model, or an unreadable catalog file.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A `--perf NAME=VALUE` that is malformed or names no constant.
    #[error("invalid --perf {given:?}: {reason}")]
    Perf {
        /// As given.
        given: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The model does not fit, or a setting is out of range.
    #[error(transparent)]
    Spec(#[from] SpecError),
}

impl EngineOptions {
    /// The settings given that the simulator accepts but does not model, each with what it
    /// does instead: a prediction with them is the prediction without them.
    pub fn not_modelled(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(n) = self.num_scheduler_steps {
            out.push(format!(
                "--num-scheduler-steps {n}: multi-step scheduling is not modelled (one \
                 scheduling step per iteration)"
            ));
        }
        if self.kv_offloading_size.is_some() || self.kv_offloading_backend.is_some() {
            let size = self
                .kv_offloading_size
                .map_or_else(String::new, |g| format!(" {g} GB"));
            out.push(format!(
                "--kv-offloading-size{size}: KV offloading to host memory is not modelled (the \
                 KV cache is the GPU's alone)"
            ));
        }
        if let Some(b) = &self.attention_backend {
            out.push(format!(
                "--attention-backend {b}: attention backends are not modelled (step times come \
                 from the cost model)"
            ));
        }
        out
    }

    /// The built-in catalog plus `--catalog`.
    pub fn catalog(&self) -> Result<Catalog, EngineError> {
        let mut c = Catalog::builtin();
        if let Some(p) = &self.catalog {
            c.merge_file(p)?;
        }
        Ok(c)
    }

    /// The spec these options describe, with step-time jitter seeded by `seed`, checked:
    /// the model fits and every setting is valid.
    pub fn spec(&self, seed: u64) -> Result<SimSpec, EngineError> {
        let c = self.catalog()?;
        let mut s = SimSpec::new(
            &c,
            self.gpu.as_deref().unwrap_or(DEFAULT_GPU),
            self.model.as_deref().unwrap_or(DEFAULT_MODEL),
        )?;
        let st = &mut s.settings;
        if let Some(v) = self.max_model_len {
            st.max_model_len = v;
        }
        if self.no_enable_chunked_prefill {
            st.chunked_prefill = false;
            // vLLM then budgets a whole prompt per step.
            st.max_num_batched_tokens = st
                .max_num_batched_tokens
                .max(st.max_model_len.min(u32::MAX as u64) as u32);
        }
        if let Some(v) = self.max_num_seqs {
            st.max_num_seqs = v;
        }
        if let Some(v) = self.max_num_batched_tokens {
            st.max_num_batched_tokens = v;
        }
        if let Some(v) = self.gpu_memory_utilization {
            st.gpu_memory_utilization = v;
        }
        if let Some(v) = self.block_size {
            st.block_size = v;
        }
        if let Some(v) = self.kv_cache_dtype {
            st.kv_cache_dtype = v;
        }
        if let Some(v) = self.tensor_parallel_size {
            st.tensor_parallel_size = v;
        }
        if self.no_enable_prefix_caching {
            st.prefix_caching = false;
        }
        st.async_scheduling = self.async_scheduling;
        for given in &self.perf {
            let perf = |reason: String| EngineError::Perf {
                given: given.clone(),
                reason,
            };
            let (k, v) = given
                .split_once('=')
                .ok_or_else(|| perf("expected NAME=VALUE, e.g. step_overhead_us=500".into()))?;
            let v: f64 = v
                .trim()
                .parse()
                .map_err(|_| perf("the value is not a number".into()))?;
            s.constants
                .set(k.trim(), v)
                .map_err(|e| perf(e.to_string()))?;
        }
        s.seed = seed;
        CostModel::new(&s)?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_the_model_does_not_cover_are_said_and_change_nothing() {
        let plain = EngineOptions::default();
        assert!(plain.not_modelled().is_empty());
        let seed_001 = EngineOptions {
            num_scheduler_steps: Some(10),
            kv_offloading_backend: Some("native".into()),
            kv_offloading_size: Some(64.0),
            attention_backend: Some("FLASHINFER".into()),
            ..EngineOptions::default()
        };
        let said = seed_001.not_modelled();
        assert_eq!(said.len(), 3, "{said:?}");
        assert!(said[0].starts_with("--num-scheduler-steps 10"));
        assert!(said[1].contains("64 GB") && said[1].contains("not modelled"));
        assert!(said[2].contains("FLASHINFER"));
        // The prediction is the one without them.
        let (a, b) = (plain.spec(3).unwrap(), seed_001.spec(3).unwrap());
        assert_eq!(a.settings, b.settings);
    }

    #[test]
    fn defaults_are_the_baseline_and_vllm_rules_apply() {
        let s = EngineOptions::default().spec(7).unwrap();
        assert_eq!(s.gpu.name.to_lowercase(), "a10");
        assert_eq!(s.seed, 7);
        let o = EngineOptions {
            max_model_len: Some(8192),
            no_enable_chunked_prefill: true,
            ..EngineOptions::default()
        };
        let s = o.spec(0).unwrap();
        assert!(!s.settings.chunked_prefill);
        assert!(s.settings.max_num_batched_tokens >= 8192);
    }

    #[test]
    fn bad_options_say_which() {
        let perf = |p: &str| EngineOptions {
            perf: vec![p.into()],
            ..EngineOptions::default()
        };
        let e = perf("step_overhead_us").spec(0).unwrap_err().to_string();
        assert!(e.contains("expected NAME=VALUE"), "{e}");
        let e = perf("step_overhead_us=x").spec(0).unwrap_err().to_string();
        assert!(e.contains("not a number"), "{e}");
        let e = EngineOptions {
            gpu: Some("nosuchgpu".into()),
            ..EngineOptions::default()
        };
        assert!(matches!(e.spec(0), Err(EngineError::Catalog(_))));
    }

    #[test]
    fn a_model_that_cannot_fit_says_what_would() {
        let on = |gpu: &str, model: &str, util: Option<f64>| {
            EngineOptions {
                gpu: Some(gpu.into()),
                model: Some(model.into()),
                gpu_memory_utilization: util,
                ..EngineOptions::default()
            }
            .spec(0)
            .unwrap_err()
            .to_string()
        };
        // 16-bit Llama 3.1 8B needs more than a 12 GiB card has at any utilisation.
        let e = on("rtx5070", "llama-3.1-8b", None);
        assert!(e.contains("does not fit on"), "{e}");
        assert!(
            e.contains("quantised") && e.contains("--tensor-parallel-size"),
            "{e}"
        );
        assert!(!e.contains("raise --gpu-memory-utilization"), "{e}");
        // A 4-bit 8B model fits an A10 once vLLM may use more of its memory.
        let e = on("a10", "qwen3-8b-awq", Some(0.2));
        assert!(e.contains("raise --gpu-memory-utilization"), "{e}");
    }
}
