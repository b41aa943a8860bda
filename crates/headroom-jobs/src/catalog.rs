//! `headroom catalog`: what the simulator knows, as text: the GPUs and models, or what one
//! GPU, model and engine settings give.

use crate::settings::SettingsError;
use headroom_report::console_table::{self, align_right};
use headroom_sim::perf::{CostModel, SimSpec};
use headroom_sim::{EngineError, EngineOptions};

fn opt(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{x}"))
}

/// The GPUs and models `engine` knows (the built-in catalog and `--catalog`), as tables.
pub fn lists(engine: &EngineOptions) -> Result<String, SettingsError> {
    let c = engine.catalog()?;
    let mut g = console_table::new([
        "GPU",
        "arch",
        "memory GiB",
        "bandwidth GB/s",
        "FP16 TFLOPS",
        "FP8 TFLOPS",
        "$/h",
        "aliases",
    ]);
    for x in &c.gpus {
        g.add_row(vec![
            x.name.clone(),
            x.arch.clone(),
            format!("{:.2}", x.memory_gib),
            format!("{}", x.bandwidth_gbs),
            format!("{}", x.fp16_tflops),
            opt(x.fp8_tflops),
            opt(x.price_per_hour),
            x.aliases.join(", "),
        ]);
    }
    align_right(&mut g, 2..7);
    let mut m = console_table::new([
        "model",
        "Hugging Face id",
        "params",
        "active",
        "weights",
        "weights GiB",
        "KV KiB/token",
        "context",
    ]);
    for x in &c.models {
        m.add_row(vec![
            x.name.clone(),
            x.hf_id.clone(),
            format!("{:.2}B", x.params() as f64 / 1e9),
            format!("{:.2}B", x.active_params() as f64 / 1e9),
            x.weights.name().to_string(),
            format!("{:.2}", x.weight_bytes() / (1u64 << 30) as f64),
            format!("{:.1}", x.kv_bytes_per_token(2.0) / 1024.0),
            x.max_position.to_string(),
        ]);
    }
    align_right(&mut m, 2..8);
    Ok(format!(
        "GPUs\n{g}\n\nModels\n{m}\n\nEngine defaults (vLLM V1): max_num_seqs 256 and max_num_batched_tokens 2048, or 1024 and \
         8192 on GPUs with ≥ 70 GiB other than A100; gpu_memory_utilization 0.9; block_size 16; chunked prefill and \
         prefix caching on; max_model_len = the model's context.\nShow a pairing: headroom catalog --gpu l20 --model qwen3-8b-awq; \
         extend the catalog: headroom catalog --toml > my.toml, edit, then --catalog my.toml.\n"
    ))
}

/// What `engine`'s GPU, model and settings give: the memory split, the KV cache, how
/// many requests of each length it holds, and the cost-model constants.
pub fn pairing(engine: &EngineOptions) -> Result<String, SettingsError> {
    let s: SimSpec = engine.spec(0)?;
    let m = CostModel::new(&s).map_err(EngineError::from)?;
    let st = &s.settings;
    let tokens = m.total_blocks as u64 * st.block_size as u64;
    let mut out = format!(
        "{} ({}, {:.2} GiB, {} GB/s, {} FP16 TFLOPS) + {} ({}, {:.2}B parameters, {:.2}B active)\n\n",
        s.gpu.name,
        s.gpu.arch,
        s.gpu.memory_gib,
        s.gpu.bandwidth_gbs,
        s.gpu.fp16_tflops,
        s.model.hf_id,
        s.model.weights.name(),
        s.model.params() as f64 / 1e9,
        s.model.active_params() as f64 / 1e9,
    );
    out.push_str(&format!(
        "Engine: max_num_seqs {}, max_num_batched_tokens {}, gpu_memory_utilization {}, block_size {}, kv_cache_dtype {}, \
         chunked prefill {}, prefix caching {}, max_model_len {}, tensor_parallel_size {}, async scheduling {}\n",
        st.max_num_seqs,
        st.max_num_batched_tokens,
        st.gpu_memory_utilization,
        st.block_size,
        match st.kv_cache_dtype {
            headroom_sim::perf::KvCacheDtype::Auto => "auto",
            headroom_sim::perf::KvCacheDtype::Fp8 => "fp8",
        },
        on(st.chunked_prefill),
        on(st.prefix_caching),
        st.max_model_len,
        st.tensor_parallel_size,
        on(st.async_scheduling)
    ));
    out.push_str(&format!(
        "Memory per GPU: weights {:.2} GiB, activations and runtime {:.2} GiB, KV cache {:.2} GiB = {} blocks = {} tokens\n",
        m.weights_gib, m.reserve_gib, m.kv_gib, m.total_blocks, tokens
    ));
    let mut t = console_table::new([
        "tokens per request",
        "requests the KV cache holds",
        "limited by",
    ]);
    let mut lens: Vec<u64> = [512u64, 1024, 2048, 4096, 8192, 32768, st.max_model_len]
        .into_iter()
        .filter(|l| *l <= st.max_model_len)
        .collect();
    lens.dedup();
    for len in lens {
        let blocks_per = len.div_ceil(st.block_size as u64);
        let fit = m.total_blocks as u64 / blocks_per.max(1);
        let (n, why) = if fit >= st.max_num_seqs as u64 {
            (st.max_num_seqs as u64, "max_num_seqs")
        } else {
            (fit, "KV cache")
        };
        t.add_row(vec![len.to_string(), n.to_string(), why.to_string()]);
    }
    align_right(&mut t, 0..2);
    out.push_str(&format!(
        "{t}\n\nCost-model constants (set with --perf NAME=VALUE):\n"
    ));
    let mut c = console_table::new(["constant", "value", "meaning"]);
    for (name, v, doc) in s.constants.describe() {
        c.add_row(vec![name.to_string(), format!("{v}"), doc.to_string()]);
    }
    align_right(&mut c, 1..2);
    out.push_str(&format!("{c}\n"));
    Ok(out)
}

fn on(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}
