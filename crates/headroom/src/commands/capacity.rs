//! `headroom capacity`: the highest load that meets the SLOs, with repeats and confidence.

use super::levels::{self, Levels, Where, interrupt_on_ctrl_c, point_name, point_seed};
use crate::cli::{CapacityArgs, EngineArgs, Format, Over, PassRuleArg, SearchKind, TargetArgs};
use anyhow::{Context as _, bail};
use headroom_capacity::{Capacity, LoadAxis as Axis, Method, PassRule, Search};
use headroom_metrics::slo::SloSet;
use headroom_results::files::CAPACITY as CAPACITY_FILE;
use headroom_results::{
    CapacityDoc, PlanKind, PlanStatus as Status, write_json as write_json_atomic,
};
use std::process::ExitCode;

/// The axis of `--over`.
pub fn axis(o: Over) -> Axis {
    match o {
        Over::Concurrency => Axis::Concurrency,
        Over::Rate => Axis::Rate,
    }
}

/// The search the flags describe.
fn method(a: &CapacityArgs, axis: Axis) -> anyhow::Result<Method> {
    let linear = match a.search {
        Some(SearchKind::Linear) => true,
        Some(SearchKind::Adaptive) => false,
        None => a.step.is_some(),
    };
    let conc = axis == Axis::Concurrency;
    let max = a.max.unwrap_or(if conc { 1024.0 } else { 10_000.0 });
    for (flag, v) in [
        ("--start", a.start),
        ("--step", a.step),
        ("--max", Some(max)),
    ] {
        if let Some(v) = v
            && !(v.is_finite() && v > 0.0)
        {
            bail!("{flag} must be a positive number, got {v}");
        }
    }
    if a.repeats == 0 {
        bail!("--repeats must be at least 1");
    }
    if !(a.confidence > 0.5 && a.confidence < 1.0) {
        bail!(
            "--confidence must be between 0.5 and 1 (e.g. 0.95), got {}",
            a.confidence
        );
    }
    Ok(if linear {
        let step = a.step.unwrap_or(1.0);
        let start = a.start.unwrap_or(step);
        if start > max {
            bail!("--start {start} is above --max {max}");
        }
        Method::Linear { start, step, max }
    } else {
        let start = a.start.unwrap_or(if conc { 8.0 } else { 1.0 });
        if start > max {
            bail!("--start {start} is above --max {max}");
        }
        let (resolution, relative) = match a.step {
            Some(s) => (s, false),
            None if conc => (1.0, false),
            None => (0.05, true),
        };
        Method::Adaptive {
            start,
            resolution,
            relative,
            min: if conc { 1.0 } else { 0.01 },
            max,
        }
    })
}

fn first_level(m: &Method) -> f64 {
    match *m {
        Method::Linear { start, .. } | Method::Adaptive { start, .. } => start,
    }
}

/// Runs the search against `target` (a server; the embedded simulator without --url) or,
/// with `engine`, the simulated engine in virtual time.
pub fn execute(
    target: Option<TargetArgs>,
    engine: Option<&EngineArgs>,
    a: CapacityArgs,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let axis = axis(a.over);
    let method = method(&a, axis)?;
    let slos = SloSet(a.slos.clone());
    let ignore_eos = target.as_ref().is_some_and(|t| t.ignore_eos);
    let resume = a.each.resume.is_some();
    let format = a.output.format;
    let common = levels::common(
        a.workload.clone(),
        &a.pacing,
        a.output.clone(),
        axis,
        first_level(&method),
        quiet,
        ignore_eos,
    )?;
    let rt = super::runtime(common.threads)?;
    rt.block_on(async move {
        let place = match (target, engine) {
            (Some(t), _) => Where::server(t, &common).await?,
            (None, Some(e)) => Where::virtual_time(e, common.plan.seed)?,
            (None, None) => bail!("capacity needs a target or a simulated engine"),
        };
        let root = levels::root(common.out.as_deref(), resume, CAPACITY_FILE)?;
        let state = root.join(CAPACITY_FILE);
        let rule = match a.pass_rule {
            PassRuleArg::Confident => PassRule::Confident,
            PassRuleArg::Estimate => PassRule::Estimate,
        };
        let mut doc = CapacityDoc {
            kind: PlanKind::Capacity,
            header: levels::header(&state, resume, &place, &common, axis, &slos, a.repeats)?,
            method,
            confidence: a.confidence,
            pass_rule: rule,
            levels: Vec::new(),
            found: Default::default(),
        };
        let grace = common.plan.grace;
        let template = common.plan.load;
        let base_seed = common.plan.seed;
        let lv = Levels {
            common,
            each: a.each.clone(),
            root: root.clone(),
            slos: slos.clone(),
            early_stop: !a.no_early_stop,
            interrupt: interrupt_on_ctrl_c(grace),
            place,
        };
        let mut cap = Capacity::new(
            Search::new(method, axis),
            a.repeats,
            slos,
            a.confidence,
            rule,
        );
        tracing::info!(
            "capacity search over {}: {}; results in {}",
            if axis == Axis::Concurrency {
                "concurrency"
            } else {
                "request rate"
            },
            doc.header.slos.join(", "),
            root.display()
        );
        let mut interrupted = false;
        let mut first = true;
        while let Some(p) = cap.next() {
            if lv.interrupt.is_raised() {
                interrupted = true;
                break;
            }
            if !first {
                lv.cooldown().await;
            }
            first = false;
            let name = point_name(axis, p.level, p.repeat, a.repeats);
            let seed = point_seed(base_seed, p.level, p.repeat);
            let plan = lv.plan(axis.load(p.level, &template), p.level, seed);
            let Some(m) = lv.point(&name, plan).await? else {
                interrupted = true;
                break;
            };
            log_repeat(&name, &m, &doc.header.slos, &lv.slos);
            if let Some(level) = cap.record(p, m) {
                tracing::info!(
                    "{}: {}{}",
                    axis.describe(level.level),
                    level.verdict,
                    level
                        .slos
                        .iter()
                        .map(|s| format!(
                            "; {} = {}",
                            s.slo,
                            headroom_report::levels::estimate(&s.assessment)
                        ))
                        .collect::<String>()
                );
            }
            doc.levels = cap.levels.clone();
            doc.found = cap.found();
            write_json_atomic(&state, &doc)
                .with_context(|| format!("cannot write {}", state.display()))?;
        }
        doc.levels = cap.levels.clone();
        doc.found = cap.found();
        doc.header.status = if interrupted {
            Status::Interrupted
        } else {
            Status::Complete
        };
        write_json_atomic(&state, &doc)
            .with_context(|| format!("cannot write {}", state.display()))?;
        let text = match format {
            Format::Table => headroom_report::levels::capacity(&doc),
            Format::Json => serde_json::to_string_pretty(&doc)? + "\n",
            Format::Csv => headroom_report::levels::envelope_csv(&doc.levels, axis),
        };
        if let Some(code) =
            levels::conclude("capacity", &root, &text, interrupted, lv.common.report)?
        {
            return Ok(code);
        }
        if doc.found.max_pass.is_none() {
            bail!(
                "{}: lower --start, check the server, or relax the SLO; every level is in {}",
                doc.headline(),
                root.display()
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn log_repeat(name: &str, m: &headroom_capacity::Measurement, labels: &[String], slos: &SloSet) {
    let parts: Vec<String> = slos
        .0
        .iter()
        .zip(labels)
        .map(|(s, l)| {
            let (v, verdict) = headroom_metrics::slo::point_verdict(s, &m.summary, m.goodput_met);
            let v = v.map_or_else(
                || "no data".into(),
                |v| headroom_report::levels::value(s, v),
            );
            format!("{l}: {v} {verdict}")
        })
        .collect();
    let t = m.summary.throughput();
    let stop = m
        .early_stop
        .as_ref()
        .map(|e| format!(" — stopped early: {}", e.detail))
        .unwrap_or_default();
    tracing::info!(
        "{name}: {} ({:.2} req/s){stop}",
        parts.join(", "),
        t.requests_per_s
    );
}
