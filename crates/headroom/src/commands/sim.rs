//! `headroom sim`: serve the simulated server until Ctrl-C.

use crate::cli::SimArgs;
use anyhow::Context as _;
use headroom_sim::{Faults, FixedTiming, Sim, SimConfig};
use std::process::ExitCode;

/// The simulator configuration the flags describe.
pub fn config(a: &SimArgs) -> SimConfig {
    SimConfig {
        model: a.model.clone(),
        timing: FixedTiming {
            ttft: a.ttft,
            itl: a.itl,
            tokens_per_chunk: a.tokens_per_chunk,
        },
        role_chunk: !a.no_role_chunk,
        empty_chunk: a.empty_chunk,
        usage: !a.no_usage,
        default_max_tokens: a.default_max_tokens,
        faults: Faults {
            specs: a.faults.clone(),
            seed: a.seed,
        },
        fault_delay: a.fault_delay,
        ..SimConfig::default()
    }
}

pub fn execute(a: SimArgs) -> anyhow::Result<ExitCode> {
    let sim =
        Sim::new(config(&a)).map_err(|e| anyhow::anyhow!("invalid simulator settings: {e}"))?;
    let rt = super::runtime(a.threads)?;
    rt.block_on(async move {
        let addr = format!("{}:{}", a.host, a.port);
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| format!("cannot listen on {addr}; choose another --port or --host"))?;
        let local = listener.local_addr()?;
        tracing::info!(
            "serving an OpenAI-compatible API on http://{local}/v1 ({}); Ctrl-C to stop",
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
