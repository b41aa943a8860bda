//! `headroom sweep`: several load levels, the scaling table, and the knee.

use super::capacity::axis;
use super::levels::{self, Levels, Where, interrupt_on_ctrl_c, point_name, point_seed};
use crate::cli::{EngineArgs, Format, SweepArgs, TargetArgs};
use anyhow::{Context as _, bail};
use headroom_capacity::sweep::{Auto, Row, Step, mark};
use headroom_capacity::{LoadAxis as Axis, Measurement, PassRule, judge};
use headroom_core::LoadPolicy;
use headroom_metrics::slo::SloSet;
use headroom_results::files::SWEEP as SWEEP_FILE;
use headroom_results::{PlanKind, PlanStatus as Status, SweepDoc, write_json as write_json_atomic};
use std::process::ExitCode;

/// The levels to run: a list, or chosen as the sweep goes (`--auto`).
enum Plan {
    List(Vec<f64>),
    Auto(Auto),
}

impl Plan {
    fn next(&self, done: usize) -> Option<Step> {
        match self {
            Plan::List(v) => v.get(done).map(|l| Step::Level(*l)),
            Plan::Auto(a) => a.next(),
        }
    }
}

pub fn execute(
    target: Option<TargetArgs>,
    engine: Option<&EngineArgs>,
    a: SweepArgs,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let (ax, mut plan) = match (&a.concurrency, &a.rate, a.auto) {
        (Some(c), _, _) => {
            if c.contains(&0) {
                bail!("--concurrency levels must be at least 1");
            }
            (
                Axis::Concurrency,
                Plan::List(c.iter().map(|v| *v as f64).collect()),
            )
        }
        (None, Some(r), _) => {
            if r.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
                bail!("--rate levels must be positive requests per second");
            }
            (Axis::Rate, Plan::List(r.clone()))
        }
        (None, None, true) => (axis(a.over), Plan::Auto(Auto::new(axis(a.over), a.max))),
        (None, None, false) => bail!(
            "give the levels: --concurrency 10,20,40 (closed loop), --rate 1,2,4 (open loop), or --auto"
        ),
    };
    if a.repeats == 0 {
        bail!("--repeats must be at least 1");
    }
    let first = match &plan {
        Plan::List(v) => v[0],
        Plan::Auto(_) => 1.0,
    };
    let slos = SloSet(a.slos.clone());
    let ignore_eos = target.as_ref().is_some_and(|t| t.ignore_eos);
    let resume = a.each.resume.is_some();
    let format = a.output.format;
    let common = levels::common(
        a.workload.clone(),
        &a.pacing,
        a.output.clone(),
        ax,
        first,
        quiet,
        ignore_eos,
    )?;
    let rt = super::runtime(common.threads)?;
    rt.block_on(async move {
        let place = match (target, engine) {
            (Some(t), _) => Where::server(t, &common).await?,
            (None, Some(e)) => Where::virtual_time(e, common.plan.seed)?,
            (None, None) => bail!("sweep needs a target or a simulated engine"),
        };
        let root = levels::root(common.out.as_deref(), resume, SWEEP_FILE)?;
        let state = root.join(SWEEP_FILE);
        let mut doc = SweepDoc {
            kind: PlanKind::Sweep,
            header: levels::header(&state, resume, &place, &common, ax, &slos, a.repeats)?,
            levels: Vec::new(),
            probes: Vec::new(),
            marks: Default::default(),
        };
        let grace = common.plan.grace;
        let template = common.plan.load;
        let base_seed = common.plan.seed;
        let lv = Levels {
            common,
            each: a.each.clone(),
            root: root.clone(),
            slos: slos.clone(),
            early_stop: false,
            interrupt: interrupt_on_ctrl_c(grace),
            place,
        };
        tracing::info!("sweep; results in {}", root.display());
        let mut interrupted = false;
        let mut done = 0;
        while let Some(step) = plan.next(done) {
            if lv.interrupt.is_raised() {
                interrupted = true;
                break;
            }
            if done > 0 || !doc.probes.is_empty() {
                lv.cooldown().await;
            }
            match step {
                Step::Probe(c) => {
                    let name = format!("probe-c{c}");
                    let level = c as f64;
                    let seed = point_seed(base_seed ^ 0x9e37, level, 1);
                    let p = lv.plan(LoadPolicy::Closed { concurrency: c }, level, seed);
                    let Some(m) = lv.point(&name, p).await? else {
                        interrupted = true;
                        break;
                    };
                    let row = Row::new(level, &m.summary, None);
                    tracing::info!(
                        "{name}: {:.2} req/s, {:.1} output tok/s",
                        row.requests_per_s,
                        row.output_tokens_per_s
                    );
                    if let Plan::Auto(auto) = &mut plan {
                        auto.record(level, row.requests_per_s, row.output_tokens_per_s);
                    }
                    doc.probes.push(row);
                }
                Step::Level(level) => {
                    let mut runs: Vec<Measurement> = Vec::new();
                    for r in 1..=a.repeats {
                        let name = point_name(ax, level, r, a.repeats);
                        let seed = point_seed(base_seed, level, r);
                        let p = lv.plan(ax.load(level, &template), level, seed);
                        let Some(m) = lv.point(&name, p).await? else {
                            interrupted = true;
                            break;
                        };
                        runs.push(m);
                    }
                    if interrupted {
                        break;
                    }
                    let result = judge(level, &runs, &slos, 0.95, PassRule::Confident);
                    let row = &result.merged;
                    tracing::info!(
                        "{}: {:.2} req/s, {:.1} output tok/s, mean latency {:.0} ms, p95 {:.0} ms",
                        ax.describe(level),
                        row.requests_per_s,
                        row.output_tokens_per_s,
                        row.mean_e2e_ms,
                        row.p95_e2e_ms
                    );
                    if let Plan::Auto(auto) = &mut plan {
                        auto.record(level, row.requests_per_s, row.output_tokens_per_s);
                    }
                    doc.levels.push(result);
                    done += 1;
                }
            }
            let rows: Vec<Row> = doc.levels.iter().map(|l| l.merged.clone()).collect();
            doc.marks = mark(&rows);
            write_json_atomic(&state, &doc)
                .with_context(|| format!("cannot write {}", state.display()))?;
        }
        doc.header.status = if interrupted {
            Status::Interrupted
        } else {
            Status::Complete
        };
        write_json_atomic(&state, &doc)
            .with_context(|| format!("cannot write {}", state.display()))?;
        let text = match format {
            Format::Table => headroom_report::levels::sweep(&doc),
            Format::Json => serde_json::to_string_pretty(&doc)? + "\n",
            Format::Csv => headroom_report::levels::envelope_csv(&doc.levels, ax),
        };
        if let Some(code) = levels::conclude("sweep", &root, &text, interrupted, lv.common.report)?
        {
            return Ok(code);
        }
        Ok(ExitCode::SUCCESS)
    })
}
