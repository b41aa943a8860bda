//! `headroom catalog`: the simulator's GPUs and models, or what one pairing gives.

use crate::cli::CatalogArgs;
use headroom_jobs::catalog::{lists, pairing};
use std::process::ExitCode;

pub fn execute(a: CatalogArgs) -> anyhow::Result<ExitCode> {
    let engine = crate::settings::engine(&a.engine);
    let out = if a.toml {
        headroom_sim::catalog::BUILTIN_TOML.to_string()
    } else if a.engine.gpu.is_some() || a.engine.model.is_some() {
        pairing(&engine)?
    } else {
        lists(&engine)?
    };
    super::print(&out)?;
    Ok(ExitCode::SUCCESS)
}
