//! `headroom profile`: genai-perf's `profile` command line. The job (settings, the run,
//! genai-perf's files) is `headroom_jobs::genai_perf`; this converts the flags and prints
//! genai-perf's table.

use super::{interrupt_on_ctrl_c, print, progress_wanted, tool};
use crate::cli::ProfileArgs;
use crate::progress::Bar;
use headroom_jobs::genai_perf::{Profile, ProfileOptions, profile};
use std::process::ExitCode;

/// The console table's title (genai-perf's reads `NVIDIA GenAI-Perf | LLM Metrics`).
const TITLE: &str = "headroom profile | LLM Metrics";

pub fn execute(a: ProfileArgs, quiet: bool, verbose: bool) -> anyhow::Result<ExitCode> {
    let p = Profile::new(&options(a, verbose))?;
    let mut bar = Bar::new(progress_wanted(false, quiet));
    let done = super::runtime(None)?.block_on(async {
        let interrupt = interrupt_on_ctrl_c(p.plan.grace);
        profile(&p, &tool(), &mut bar, &interrupt).await
    })?;
    let mut report = String::new();
    if done.run.interrupted() {
        report.push_str("PARTIAL RESULTS: interrupted by Ctrl-C\n");
    }
    report.push_str(&headroom_report::genai_perf::table(
        &done.run.summary,
        TITLE,
    ));
    print(&report)?;
    tracing::info!(
        "genai-perf's files: {} and {}",
        done.json.display(),
        done.csv.display()
    );
    if p.generate_plots {
        // genai-perf's plots, as headroom draws them: plots/*.svg|png beside report.html.
        let written = headroom_jobs::reports::write_run_report(&done.run);
        headroom_jobs::reports::log_report(&done.run.dir, written);
    }
    super::run::conclude(&done.run)
}

fn options(a: ProfileArgs, verbose: bool) -> ProfileOptions {
    ProfileOptions {
        model: a.model,
        url: a.url,
        endpoint_type: a.endpoint_type,
        endpoint: a.endpoint,
        streaming: a.streaming,
        headers: a.headers,
        num_prompts: a.num_prompts,
        synthetic_input_tokens_mean: a.synthetic_input_tokens_mean,
        synthetic_input_tokens_stddev: a.synthetic_input_tokens_stddev,
        output_tokens_mean: a.output_tokens_mean,
        output_tokens_stddev: a.output_tokens_stddev,
        output_tokens_mean_deterministic: a.output_tokens_mean_deterministic,
        random_seed: a.random_seed,
        request_count: a.request_count,
        warmup_request_count: a.warmup_request_count,
        extra_inputs: a.extra_inputs,
        concurrency: a.concurrency,
        request_rate: a.request_rate,
        measurement_interval: a.measurement_interval,
        artifact_dir: a.artifact_dir,
        profile_export_file: a.profile_export_file,
        generate_plots: a.generate_plots,
        out: a.out,
        tokenizer: a.tokenizer,
        passthrough: a.passthrough,
        verbose,
    }
}
