//! Resolving the simulated engine's flags into a checked [`SimSpec`].

use crate::cli::EngineArgs;
use anyhow::{Context as _, bail};
use headroom_sim::catalog::Catalog;
use headroom_sim::perf::{CostModel, SimSpec};

/// The default GPU of the simulator (seed 000's baseline).
pub const DEFAULT_GPU: &str = "a10";
/// The default model of the simulator (seed 000's baseline).
pub const DEFAULT_MODEL: &str = "qwen3-8b-awq";

/// The built-in catalog plus `--catalog`.
pub fn catalog(a: &EngineArgs) -> anyhow::Result<Catalog> {
    let mut c = Catalog::builtin();
    if let Some(p) = &a.catalog {
        c.merge_file(p)?;
    }
    Ok(c)
}

/// The spec the flags describe, checked (the model fits, the settings are valid).
pub fn spec(a: &EngineArgs, seed: u64) -> anyhow::Result<SimSpec> {
    let c = catalog(a)?;
    let mut s = SimSpec::new(
        &c,
        a.gpu.as_deref().unwrap_or(DEFAULT_GPU),
        a.model.as_deref().unwrap_or(DEFAULT_MODEL),
    )?;
    let st = &mut s.settings;
    if let Some(v) = a.max_model_len {
        st.max_model_len = v;
    }
    if a.no_enable_chunked_prefill {
        st.chunked_prefill = false;
        // vLLM then budgets a whole prompt per step.
        st.max_num_batched_tokens = st
            .max_num_batched_tokens
            .max(st.max_model_len.min(u32::MAX as u64) as u32);
    }
    if let Some(v) = a.max_num_seqs {
        st.max_num_seqs = v;
    }
    if let Some(v) = a.max_num_batched_tokens {
        st.max_num_batched_tokens = v;
    }
    if let Some(v) = a.gpu_memory_utilization {
        st.gpu_memory_utilization = v;
    }
    if let Some(v) = a.block_size {
        st.block_size = v;
    }
    if let Some(v) = a.kv_cache_dtype {
        st.kv_cache_dtype = v;
    }
    if let Some(v) = a.tensor_parallel_size {
        st.tensor_parallel_size = v;
    }
    if a.no_enable_prefix_caching {
        st.prefix_caching = false;
    }
    st.async_scheduling = a.async_scheduling;
    for kv in &a.perf {
        let Some((k, v)) = kv.split_once('=') else {
            bail!("invalid --perf {kv:?}: expected NAME=VALUE, e.g. step_overhead_us=500");
        };
        let v: f64 = v
            .trim()
            .parse()
            .with_context(|| format!("invalid --perf {kv:?}: the value is not a number"))?;
        s.constants
            .set(k.trim(), v)
            .map_err(|e| anyhow::anyhow!("invalid --perf {kv:?}: {e}"))?;
    }
    s.seed = seed;
    CostModel::new(&s).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(s)
}
