//! Flags → the library's settings. Conversion only: every check of a value lives in
//! `headroom_jobs::settings` (and the value parsers clap calls there), so a bad value
//! gives the same message and exit status whichever command received it.

use crate::cli::{
    CapacityArgs, EngineArgs, LevelArgs, LoadArgs, OutputArgs, PacingArgs, SweepArgs, TargetArgs,
    WorkloadArgs,
};
use headroom_jobs::settings::SweepLevelsOption;
use headroom_jobs::{
    BudgetOptions, CapacityOptions, LevelOptions, LoadOptions, OutputOptions, SweepOptions,
    TargetOptions, WorkloadOptions,
};
use headroom_metrics::slo::SloSet;
use headroom_sim::EngineOptions;

/// `--input-tokens`, `--dataset`, … as workload settings.
pub fn workload(a: &WorkloadArgs) -> WorkloadOptions {
    WorkloadOptions {
        input_tokens: a.input_tokens.clone(),
        output_tokens: a.output_tokens.clone(),
        long_context: a.long_context.clone(),
        tokenizer: a.tokenizer.clone(),
        dataset: a.dataset.clone(),
        dataset_sampling: a.dataset_sampling,
        filter_input_tokens: a.filter_input_tokens,
        filter_output_tokens: a.filter_output_tokens,
        num_prompts: a.num_prompts,
        prefix_tokens: a.prefix_tokens,
        prefix_groups: a.prefix_groups,
        conversation_turns: a.conversation_turns,
        think_time: a.think_time,
        trace: a.trace.clone(),
        trace_speedup: a.trace_speedup,
        synthetic_input_tokens: a
            .synthetic_input_tokens_mean
            .map(|m| (m, a.synthetic_input_tokens_stddev)),
        output_tokens_mean: a.output_tokens_mean.map(|m| (m, a.output_tokens_stddev)),
        ignore_eos: a.ignore_eos,
    }
}

/// `--concurrency`, `--rate`, … as load settings.
pub fn load(a: &LoadArgs) -> LoadOptions {
    LoadOptions {
        concurrency: a.concurrency,
        rate: a.rate,
        arrival: a.arrival,
        burstiness: a.burstiness,
        max_concurrency: a.max_concurrency,
        requests: a.requests,
        duration: a.duration,
        warmup: a.warmup,
        seed: a.seed,
        grace: a.grace,
        burst: a.burst,
    }
}

/// The load settings every level of a sweep or search shares.
pub fn pacing(a: &PacingArgs) -> LoadOptions {
    LoadOptions {
        arrival: a.arrival,
        burstiness: a.burstiness,
        max_concurrency: a.max_concurrency,
        warmup: a.warmup,
        seed: a.seed,
        grace: a.grace,
        ..LoadOptions::default()
    }
}

/// `--url`, `--api`, … as target settings; `ignore_eos` comes with the workload.
pub fn target(a: &TargetArgs, ignore_eos: bool) -> TargetOptions {
    TargetOptions {
        url: a.url.clone(),
        api: a.api,
        model: a.model.clone(),
        api_key: a.api_key.clone(),
        headers: a.headers.clone(),
        extra_body: a.extra_body.clone(),
        stream: !a.no_stream,
        ignore_eos,
        timeout: a.timeout,
        stall_timeout: a.stall_timeout,
        metrics: a.metrics_url.clone(),
        scrape_interval: a.scrape_interval,
        gpu: a.gpu_telemetry.clone(),
        server_pid: a.server_pid,
    }
}

/// `--out`, `--label`, `--no-report`.
pub fn output(a: &OutputArgs) -> OutputOptions {
    OutputOptions {
        out: a.out.clone(),
        labels: a.labels.iter().cloned().collect(),
        report: !a.no_report,
    }
}

/// What each level of a sweep or search runs (fixed levels; a search makes them
/// sequential with [`CapacityOptions::sequential`]).
pub fn levels(a: &LevelArgs) -> LevelOptions {
    LevelOptions {
        requests: a.requests_per_level,
        duration: a.duration,
        cooldown: a.cooldown,
        sequential: None,
    }
}

/// A search's bounds on a sequential level.
pub fn budget(a: &CapacityArgs) -> BudgetOptions {
    BudgetOptions {
        max_requests: a.max_requests_per_level,
        max_duration: a.max_duration_per_level,
    }
}

/// The levels of a sweep.
pub fn sweep(a: &SweepArgs) -> SweepOptions {
    let levels = match (&a.concurrency, &a.rate, a.auto) {
        (Some(c), _, _) => Some(SweepLevelsOption::Concurrency(c.clone())),
        (None, Some(r), _) => Some(SweepLevelsOption::Rate(r.clone())),
        (None, None, true) => Some(SweepLevelsOption::Auto {
            axis: a.over,
            max: a.max,
        }),
        (None, None, false) => None,
    };
    SweepOptions {
        levels,
        repeats: a.repeats,
        slos: SloSet(a.slos.clone()),
    }
}

/// A capacity search.
pub fn capacity(a: &CapacityArgs) -> CapacityOptions {
    CapacityOptions {
        slos: SloSet(a.slos.clone()),
        axis: a.over,
        search: a.search,
        start: a.start,
        step: a.step,
        max: a.max,
        repeats: a.repeats,
        confidence: a.confidence,
        pass_rule: a.pass_rule,
        early_stop: !a.no_early_stop,
    }
}

/// The simulated engine.
pub fn engine(a: &EngineArgs) -> EngineOptions {
    EngineOptions {
        gpu: a.gpu.clone(),
        model: a.model.clone(),
        catalog: a.catalog.clone(),
        max_num_seqs: a.max_num_seqs,
        max_num_batched_tokens: a.max_num_batched_tokens,
        gpu_memory_utilization: a.gpu_memory_utilization,
        block_size: a.block_size,
        kv_cache_dtype: a.kv_cache_dtype,
        max_model_len: a.max_model_len,
        tensor_parallel_size: a.tensor_parallel_size,
        no_enable_chunked_prefill: a.no_enable_chunked_prefill,
        no_enable_prefix_caching: a.no_enable_prefix_caching,
        async_scheduling: a.async_scheduling,
        perf: a.perf.clone(),
        num_scheduler_steps: a.num_scheduler_steps,
        kv_offloading_size: a.kv_offloading_size,
        kv_offloading_backend: a.kv_offloading_backend.clone(),
        attention_backend: a.attention_backend.clone(),
    }
}

/// [`engine`], saying once which of its vLLM settings the simulator does not model.
pub fn engine_said(a: &EngineArgs) -> EngineOptions {
    let e = engine(a);
    for line in e.not_modelled() {
        tracing::warn!("{line}: the prediction is the one without it");
    }
    e
}
