//! What sweeps and capacity searches share: running one level (and repeat) into its own
//! subdirectory of the results directory, against a server or the simulator in virtual
//! time, and picking up levels already measured when a search is resumed.

use super::pipeline::{Common, Job, default_stop, record};
use super::run::{Connected, RunSettings};
use crate::cli::OutputArgs;
use crate::cli::{EngineArgs, LevelArgs, LoadArgs, PacingArgs, PerLevel, TargetArgs, WorkloadArgs};
use anyhow::Context as _;
use headroom_capacity::{EarlyStop, LoadAxis as Axis, Measurement, StopSignal};
use headroom_core::seed::mix;
use headroom_core::{
    ApiFlavor, LoadPolicy, RequestSource, RequestSpec, RunPlan, Scenario, StopRule, Target,
};
use headroom_load::Driver;
use headroom_metrics::Summary;
use headroom_metrics::slo::SloSet;
use headroom_results::files::{MANIFEST, SUMMARY};
use headroom_results::{
    PlanHeader as Header, PlanStatus as Status, TargetInfo, rfc3339,
    write_json as write_json_atomic,
};
use headroom_sim::perf::SimSpec;
use headroom_sim::runner::VirtualRunner;
use headroom_workload::AnySource;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Per level: what [`Levels::point`] keeps beside the run's own files, so a resumed
/// search can reuse the level without running it again.
pub const WATCH: &str = "watch.json";

#[derive(Debug, Serialize, Deserialize)]
struct WatchFile {
    goodput_met: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    early_stop: Option<EarlyStop>,
    elapsed_s: f64,
    seed: u64,
}

/// Where levels run.
// One value per command: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Where {
    /// A server (or the embedded simulator), in real time.
    Server(Connected),
    /// The engine model in virtual time.
    Virtual {
        spec: SimSpec,
        target: Target,
        info: TargetInfo,
        label: String,
    },
}

impl Where {
    /// A server from the target flags; the embedded simulator without `--url`.
    pub async fn server(t: TargetArgs, common: &Common) -> anyhow::Result<Self> {
        let settings = RunSettings::with_target(t, common.clone())?;
        Ok(Where::Server(super::run::connect(&settings).await?))
    }

    /// The simulated engine of `engine`.
    pub fn virtual_time(engine: &EngineArgs, seed: u64) -> anyhow::Result<Self> {
        let spec = super::engine::spec(engine, seed)?;
        let model = spec.model.hf_id.clone();
        let description = spec.describe();
        Ok(Where::Virtual {
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
            info: TargetInfo {
                models: vec![model],
                max_model_len: Some(spec.settings.max_model_len),
                server_version: None,
                embedded_simulator: true,
                simulator: Some(description.clone()),
                virtual_time: true,
                simulator_spec: serde_json::to_value(&spec).ok(),
            },
            label: format!("the {description}, in virtual time"),
            spec,
        })
    }

    /// The model requested.
    pub fn model(&self) -> &str {
        match self {
            Where::Server(c) => &c.target.model,
            Where::Virtual { target, .. } => &target.model,
        }
    }

    /// How reports name the target.
    pub fn describe(&self) -> String {
        match self {
            Where::Server(c) if c.info.embedded_simulator => "embedded simulator".into(),
            Where::Server(c) => c.target.url.clone(),
            Where::Virtual { info, .. } => format!(
                "{}, predicted in virtual time",
                info.simulator.clone().unwrap_or_default()
            ),
        }
    }
}

/// The settings every level shares, resolved once.
#[derive(Debug)]
pub struct Levels {
    pub common: Common,
    pub each: LevelArgs,
    pub root: PathBuf,
    pub slos: SloSet,
    pub early_stop: bool,
    /// Raised at Ctrl-C.
    pub interrupt: StopSignal,
    pub place: Where,
}

/// Common settings for a sweep or search whose first level is `first` on `axis`.
pub fn common(
    w: WorkloadArgs,
    p: &PacingArgs,
    o: OutputArgs,
    axis: Axis,
    first: f64,
    quiet: bool,
    ignore_eos: bool,
) -> anyhow::Result<Common> {
    if w.trace.is_some() {
        anyhow::bail!(
            "a trace replays its own arrival times, so it has no load levels to vary; replay it with `headroom run --trace` (and --trace-speedup)"
        );
    }
    let l = LoadArgs {
        concurrency: (axis == Axis::Concurrency).then_some(first.round().max(1.0) as u32),
        rate: (axis == Axis::Rate).then_some(first),
        arrival: p.arrival,
        burstiness: p.burstiness,
        max_concurrency: p.max_concurrency,
        requests: None,
        duration: None,
        warmup: p.warmup,
        seed: p.seed,
        grace: p.grace,
        threads: p.threads,
    };
    Common::resolve(w, l, o, quiet, ignore_eos)
}

/// Creates the results directory of a sweep or search (or opens it to resume).
pub fn root(out: Option<&Path>, resume: bool, state_file: &str) -> anyhow::Result<PathBuf> {
    if resume {
        let d = out.context("--resume needs the results directory")?;
        return Ok(d.to_path_buf());
    }
    if let Some(d) = out
        && (d.join(state_file).exists() || d.join(MANIFEST).exists())
    {
        anyhow::bail!(
            "{} already holds results; choose another --out, or continue it with --resume {}",
            d.display(),
            d.display()
        );
    }
    Ok(headroom_results::dir::create_run_dir(
        out,
        std::time::SystemTime::now(),
    )?)
}

/// The header of a sweep's or search's file: new, or (resuming) with the command line and
/// start time of the run that began it, read from `state`.
pub fn header(
    state: &Path,
    resume: bool,
    place: &Where,
    common: &Common,
    axis: Axis,
    slos: &SloSet,
    repeats: u32,
) -> anyhow::Result<Header> {
    let earlier: Option<Header> = if resume && state.exists() {
        let bytes =
            std::fs::read(state).with_context(|| format!("cannot read {}", state.display()))?;
        Some(
            serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a headroom results file", state.display()))?,
        )
    } else {
        None
    };
    Ok(Header {
        command: earlier
            .as_ref()
            .map_or_else(headroom_results::command::redacted_argv, |h| {
                h.command.clone()
            }),
        started_at: earlier.as_ref().map_or_else(
            || rfc3339(std::time::SystemTime::now()),
            |h| h.started_at.clone(),
        ),
        target: place.describe(),
        model: place.model().to_string(),
        labels: common.labels.clone(),
        axis,
        slos: slos.0.iter().map(ToString::to_string).collect(),
        repeats,
        status: Status::Running,
    })
}

/// Prints the report and says how the sweep or search (`kind`) ended: 130 when
/// interrupted, with how to continue.
pub fn conclude(
    kind: &str,
    root: &Path,
    text: &str,
    interrupted: bool,
    report: bool,
) -> anyhow::Result<Option<ExitCode>> {
    super::pipeline::print_report(text)?;
    if report {
        super::report::after(root);
    }
    if interrupted {
        tracing::warn!(
            "interrupted: the levels measured so far are in {}; continue with `headroom {kind} --resume {}`",
            root.display(),
            root.display()
        );
        return Ok(Some(ExitCode::from(130)));
    }
    tracing::info!("results in {}", root.display());
    Ok(None)
}

/// Request `i` of a level is request `i + offset` of the workload, so levels and repeats
/// send different prompts (no prefix-cache hits from an earlier level) from one source.
#[derive(Debug)]
struct Offset {
    inner: AnySource,
    offset: u64,
}

impl RequestSource for Offset {
    fn request(&self, index: u64) -> RequestSpec {
        self.inner.request(index + self.offset)
    }
    fn len(&self) -> Option<u64> {
        self.inner.len()
    }
    fn arrival_us(&self, index: u64) -> Option<u64> {
        self.inner.arrival_us(index)
    }
}

/// The seed of a level and repeat: derived from the base seed, so repeats differ and a
/// resumed search sends what the interrupted one would have.
pub fn point_seed(base: u64, level: f64, repeat: u32) -> u64 {
    mix(base ^ mix(level.to_bits() ^ mix(repeat as u64)))
}

impl Levels {
    /// The plan of a level with load `load`.
    pub fn plan(&self, load: LoadPolicy, level: f64, seed: u64) -> RunPlan {
        let c = &self.common;
        let stop = match (self.each.requests_per_level, self.each.duration) {
            (None, None) => default_stop(&load, c.built.source.len(), c.built.conversation),
            (n, duration) => StopRule {
                requests: n.map(|n| match n {
                    PerLevel::Count(n) => n,
                    PerLevel::PerUnit(x) => (x * level).ceil().max(1.0) as u64,
                }),
                duration,
            },
        };
        RunPlan {
            load,
            stop,
            seed,
            ..c.plan.clone()
        }
    }

    /// Runs (or, when resuming, reads back) the run named `name` of `plan`. `None`: it was
    /// interrupted.
    pub async fn point(&self, name: &str, plan: RunPlan) -> anyhow::Result<Option<Measurement>> {
        let dir = self.root.join(name);
        if let Some(m) = finished(&dir, plan.seed)? {
            tracing::info!("{name}: measured before, reusing {}", dir.display());
            return Ok(Some(m));
        }
        if dir.exists() {
            set_aside(&dir)?;
        }
        let mut c = self.common.clone();
        // Finite sources (datasets, traces, --num-prompts) are sent as they are.
        let offset = match c.built.source.len() {
            Some(_) => 0,
            None => {
                let turns = c.built.conversation.map_or(1, |t| t.turns.max(1) as u64);
                ((plan.seed >> 44) + 1) * (1 << 32) * turns
            }
        };
        let source = Offset {
            inner: c.built.source.clone(),
            offset,
        };
        c.plan = plan;
        c.out = Some(dir.clone());
        let seed = c.plan.seed;
        tracing::info!("{name}: {} …", c.plan.load.label());
        let shutdown = self.interrupt.stopped();
        let finished = match &self.place {
            Where::Server(conn) => {
                let job = Job {
                    common: &c,
                    scenario: Scenario {
                        target: conn.target.clone(),
                        workload: c.built.spec.clone(),
                        plan: c.plan.clone(),
                    },
                    target: conn.info.clone(),
                    target_label: conn.label.clone(),
                    progress: true,
                    announce: false,
                };
                let driver = Driver::new(conn.backend.clone(), Arc::new(source));
                record(&driver, job, &self.slos, self.early_stop, shutdown).await?
            }
            Where::Virtual {
                spec,
                target,
                info,
                label,
            } => {
                let mut spec = spec.clone();
                spec.seed = seed;
                let job = Job {
                    common: &c,
                    scenario: Scenario {
                        target: target.clone(),
                        workload: c.built.spec.clone(),
                        plan: c.plan.clone(),
                    },
                    target: info.clone(),
                    target_label: label.clone(),
                    progress: false,
                    announce: false,
                };
                let runner = VirtualRunner::new(spec, Arc::new(source));
                record(&runner, job, &self.slos, self.early_stop, shutdown).await?
            }
        };
        if finished.watched.interrupted() {
            return Ok(None);
        }
        let elapsed_s = finished.watched.info.elapsed_us as f64 / 1e6;
        let w = WatchFile {
            goodput_met: finished.watched.goodput_met,
            early_stop: finished.watched.early_stop.clone(),
            elapsed_s,
            seed,
        };
        write_json_atomic(&dir.join(WATCH), &w)
            .with_context(|| format!("cannot write {}", dir.join(WATCH).display()))?;
        Ok(Some(Measurement {
            summary: finished.summary,
            goodput_met: w.goodput_met,
            early_stop: w.early_stop,
            elapsed_s,
            dir: name.to_string(),
        }))
    }

    /// Waits out `--cooldown` between levels (or until Ctrl-C).
    pub async fn cooldown(&self) {
        if self.each.cooldown > Duration::ZERO && !self.place_is_virtual() {
            tokio::select! {
                () = tokio::time::sleep(self.each.cooldown) => {}
                () = self.interrupt.stopped() => {}
            }
        }
    }

    fn place_is_virtual(&self) -> bool {
        matches!(self.place, Where::Virtual { .. })
    }
}

/// A run finished earlier (its summary and watch file are written and its seed matches).
fn finished(dir: &Path, seed: u64) -> anyhow::Result<Option<Measurement>> {
    let (sp, wp) = (dir.join(SUMMARY), dir.join(WATCH));
    if !(sp.exists() && wp.exists()) {
        return Ok(None);
    }
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("cannot read {}", p.display()));
    let w: WatchFile = serde_json::from_slice(&read(&wp)?)
        .with_context(|| format!("{} is not a headroom watch file", wp.display()))?;
    if w.seed != seed {
        anyhow::bail!(
            "{} was measured with other settings (seed {} instead of {seed}); resume with the same command, or start a new results directory",
            dir.display(),
            w.seed
        );
    }
    let summary: Summary = serde_json::from_slice(&read(&sp)?)
        .with_context(|| format!("{} is not a headroom summary", sp.display()))?;
    Ok(Some(Measurement {
        summary,
        goodput_met: w.goodput_met,
        early_stop: w.early_stop,
        elapsed_s: w.elapsed_s,
        dir: dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
    }))
}

/// Moves an interrupted run out of the way (never deletes results).
fn set_aside(dir: &Path) -> anyhow::Result<()> {
    let mut n = 1;
    let target = loop {
        let name = format!(
            "{}.interrupted{}",
            dir.file_name()
                .map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
            if n == 1 {
                String::new()
            } else {
                format!("-{n}")
            }
        );
        let t = dir.with_file_name(name);
        if !t.exists() {
            break t;
        }
        n += 1;
    };
    tracing::info!(
        "{} was interrupted; keeping it as {} and measuring the level again",
        dir.display(),
        target.display()
    );
    std::fs::rename(dir, &target).with_context(|| format!("cannot move {} aside", dir.display()))
}

/// Spawns the Ctrl-C listener of a sweep or search; the signal it raises ends the level
/// running and the search.
pub fn interrupt_on_ctrl_c(grace: Duration) -> StopSignal {
    let s = StopSignal::default();
    let raise = s.clone();
    tokio::spawn(async move {
        super::pipeline::ctrl_c(grace).await;
        raise.raise();
    });
    s
}

/// The run name of a level and repeat: `c15`, or `c15-r2` when there are repeats.
pub fn point_name(axis: Axis, level: f64, repeat: u32, repeats: u32) -> String {
    if repeats > 1 {
        format!("{}-r{repeat}", axis.label(level))
    } else {
        axis.label(level)
    }
}
