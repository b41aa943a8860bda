//! `headroom predict`: one load level on a simulated GPU and model, in virtual time.

use super::levels::Where;
use super::pipeline::{Common, Job};
use crate::cli::PredictArgs;
use headroom_core::Scenario;
use headroom_sim::runner::VirtualRunner;
use std::process::ExitCode;
use std::sync::Arc;

pub fn execute(a: PredictArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let common = Common::resolve(a.workload, a.load, a.output, quiet, false)?;
    let Where::Virtual {
        spec,
        target,
        info,
        label,
    } = Where::virtual_time(&a.engine, common.plan.seed)?
    else {
        unreachable!("virtual_time gives a virtual target")
    };
    let runner = VirtualRunner::new(spec, Arc::new(common.built.source.clone()));
    let job = Job {
        common: &common,
        scenario: Scenario {
            target,
            workload: common.built.spec.clone(),
            plan: common.plan.clone(),
        },
        target: info,
        target_label: label,
        progress: false,
        announce: true,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("could not start the async runtime: {e}"))?;
    rt.block_on(super::pipeline::execute(&runner, job))
}
