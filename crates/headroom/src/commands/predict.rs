//! `headroom predict`: one load level on a simulated GPU and model, in virtual time.

use super::pipeline::{Common, Job};
use crate::cli::PredictArgs;
use headroom_core::results::TargetInfo;
use headroom_core::{ApiFlavor, Scenario, Target};
use headroom_sim::runner::VirtualRunner;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

pub fn execute(a: PredictArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let common = Common::resolve(a.workload, a.load, a.output, quiet, false)?;
    let spec = super::engine::spec(&a.engine, common.plan.seed)?;
    let source = common.built.source.clone();
    let model = spec.model.hf_id.clone();
    let description = spec.describe();
    let scenario = Scenario {
        target: Target {
            url: "virtual".into(),
            endpoint: "virtual".into(),
            api: ApiFlavor::Chat,
            model: model.clone(),
            stream: true,
            header_names: Vec::new(),
            api_key: false,
            extra_body: None,
            timeout: Duration::ZERO,
            stall_timeout: Duration::ZERO,
        },
        workload: common.built.spec.clone(),
        plan: common.plan.clone(),
    };
    let target = TargetInfo {
        models: vec![model],
        max_model_len: Some(spec.settings.max_model_len),
        server_version: None,
        embedded_simulator: true,
        simulator: Some(description.clone()),
        virtual_time: true,
        simulator_spec: serde_json::to_value(&spec).ok(),
    };
    let runner = VirtualRunner::new(spec, Arc::new(source));
    let job = Job {
        common: &common,
        scenario,
        target,
        target_label: format!("the {description}, in virtual time"),
        progress: false,
        announce: true,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("could not start the async runtime: {e}"))?;
    rt.block_on(super::pipeline::execute(&runner, job))
}
