//! The client against a real HTTP server whose timings are known: the fixed-mode
//! simulator on 127.0.0.1:0.
#![allow(clippy::unwrap_used)]

mod definitions;
mod engine;
mod errors;
mod flavours;

use headroom_client::{ClientConfig, OpenAiBackend};
use headroom_core::{
    Backend, LoadPolicy, Phase, Prompt, RequestCtx, RequestRecord, RequestSpec, RunPlan, Runner,
    StopRule, Warmup,
};
use headroom_load::{Driver, RunClock};
use headroom_metrics::{Recorder, Summary};
use headroom_workload::{SyntheticSource, WordCounter};
use std::sync::Arc;
use std::time::Duration;

pub fn backend(config: ClientConfig) -> OpenAiBackend {
    OpenAiBackend::new(config, "headroom-sim", Arc::new(WordCounter)).unwrap()
}

pub fn spec(max_tokens: u32) -> RequestSpec {
    RequestSpec::new(
        Prompt::Text("the river and the valley".into()),
        5,
        max_tokens,
    )
}

/// One request, start to end.
pub async fn one(b: &OpenAiBackend, max_tokens: u32) -> RequestRecord {
    one_until(b, spec(max_tokens), std::future::pending()).await
}

/// One request, abandoned when `cancel` completes first.
pub async fn one_until(
    b: &OpenAiBackend,
    spec: RequestSpec,
    cancel: impl std::future::Future<Output = ()> + Send,
) -> RequestRecord {
    let clock = RunClock::start();
    let ctx = RequestCtx {
        index: 0,
        phase: Phase::Measure,
        intended_us: None,
        clock: &clock,
    };
    b.execute(spec, ctx, cancel).await
}

/// A closed-loop run of `n` requests; returns the records and their summary.
/// The composer for the built-in tokenizer (the simulator counts prompts with it too).
pub fn composer() -> Arc<headroom_workload::Composer> {
    static C: std::sync::OnceLock<Arc<headroom_workload::Composer>> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        Arc::new(headroom_workload::Composer::new(Arc::new(
            headroom_workload::Tokenizer::default_builtin(),
        )))
    })
    .clone()
}

pub async fn run(
    config: ClientConfig,
    concurrency: u32,
    n: u64,
    output: u32,
) -> (Vec<RequestRecord>, Summary) {
    let source = SyntheticSource::new(
        composer(),
        "20".parse().unwrap(),
        headroom_core::LengthSpec::Fixed(output),
        1,
    );
    let driver = Driver::new(Arc::new(backend(config)), Arc::new(source));
    let plan = RunPlan {
        load: LoadPolicy::Closed { concurrency },
        stop: StopRule {
            requests: Some(n),
            duration: None,
        },
        warmup: Warmup::None,
        seed: 1,
        grace: Duration::from_secs(1),
        conversation: None,
    };
    let mut recs = Vec::new();
    let info = driver
        .run(&plan, &mut recs, std::future::pending())
        .await
        .unwrap();
    let mut r = Recorder::new();
    for rec in &recs {
        r.add(rec);
    }
    (recs, r.finish(info.epoch_unix_us))
}

/// `|got − want| <= tol`, in ms.
#[track_caller]
pub fn near(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:.3} ms, want {want} ± {tol} ms"
    );
}
