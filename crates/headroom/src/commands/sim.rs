//! `headroom sim`: serve the simulated server until Ctrl-C.

use crate::cli::SimArgs;
use anyhow::Context as _;
use headroom_jobs::SettingsError;
use headroom_sim::{Faults, FixedTiming, Sim, SimConfig};
use std::process::ExitCode;

/// The simulator configuration the flags describe: the engine model, or fixed timing when
/// `--ttft`, `--itl` or `--tokens-per-chunk` is given.
fn config(a: &SimArgs) -> anyhow::Result<SimConfig> {
    let fixed = a.ttft.is_some() || a.itl.is_some() || a.tokens_per_chunk.is_some();
    let mut c = if fixed {
        let d = FixedTiming::default();
        SimConfig {
            timing: FixedTiming {
                ttft: a.ttft.unwrap_or(d.ttft),
                itl: a.itl.unwrap_or(d.itl),
                tokens_per_chunk: a.tokens_per_chunk.unwrap_or(d.tokens_per_chunk),
            },
            ..SimConfig::default()
        }
    } else {
        SimConfig::engine(
            crate::settings::engine_said(&a.engine)
                .spec(a.seed)
                .map_err(SettingsError::from)?,
        )
    };
    if let Some(name) = &a.served_model_name {
        c.model = name.clone();
    }
    c.role_chunk = !a.no_role_chunk;
    c.empty_chunk = a.empty_chunk;
    c.usage = !a.no_usage;
    c.default_max_tokens = a.default_max_tokens;
    c.faults = Faults {
        specs: a.faults.clone(),
        seed: a.seed,
    };
    c.fault_delay = a.fault_delay;
    c.startup_delay = a.startup_delay;
    if let Some(t) = &a.tokenizer {
        let t = headroom_workload::Tokenizer::resolve(t).map_err(SettingsError::from)?;
        c.tokenizer = std::sync::Arc::new(t);
    }
    Ok(c)
}

pub fn execute(a: SimArgs) -> anyhow::Result<ExitCode> {
    let sim = Sim::new(config(&a)?)
        .map_err(|e| SettingsError::new(format!("invalid simulator settings: {e}")))?;
    let rt = super::runtime(a.threads)?;
    rt.block_on(async move {
        let addr = format!("{}:{}", a.host, a.port);
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| format!("cannot listen on {addr}; choose another --port or --host"))?;
        let local = listener.local_addr()?;
        tracing::info!(
            "serving an OpenAI-compatible API on http://{local}/v1 as {:?} ({}); Ctrl-C to stop",
            sim.config().model,
            sim.describe()
        );
        sim.serve(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the simulator stopped with an error")?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}
