//! `headroom run` and `headroom predict`: one load level, against a server (the embedded
//! simulator without `--url`) or on the simulated engine in virtual time.

use super::{interrupt_on_ctrl_c, print, progress_wanted, tool};
use crate::cli::{Format, OutputArgs, PredictArgs, RunArgs};
use crate::progress::Bar;
use crate::settings;
use headroom_core::RunPlan;
use headroom_jobs::job::{RunJob, record};
use headroom_jobs::reports::{log_report, write_run_report};
use headroom_jobs::{OutputOptions, Place, Recorded, Workload};
use std::process::ExitCode;

/// `headroom run`.
pub fn run(a: RunArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let workload = Workload::build(&settings::workload(&a.workload), a.load.seed)?;
    let plan = settings::load(&a.load).plan(&workload)?;
    let target = settings::target(&a.target, a.workload.ignore_eos);
    target.client()?;
    let bar = Bar::new(progress_wanted(a.output.no_progress, quiet));
    super::runtime(a.load.threads)?.block_on(async {
        let place = Place::connect(&target, &workload, plan.seed).await?;
        one(&place, &workload, plan, &a.output, bar).await
    })
}

/// `headroom predict` without a sweep or search: one level in virtual time.
pub fn predict(a: PredictArgs) -> anyhow::Result<ExitCode> {
    let workload = Workload::build(&settings::workload(&a.workload), a.load.seed)?;
    let plan = settings::load(&a.load).plan(&workload)?;
    let place = Place::virtual_time(&settings::engine_said(&a.engine), plan.seed)?;
    super::current_thread()?.block_on(one(&place, &workload, plan, &a.output, Bar::new(false)))
}

/// Records one run at `place`, prints its table, writes its report, and says how it
/// ended: 0 complete, 1 when every measured request failed, 130 when interrupted.
async fn one(
    place: &Place,
    workload: &Workload,
    plan: RunPlan,
    o: &OutputArgs,
    mut bar: Bar,
) -> anyhow::Result<ExitCode> {
    let output: OutputOptions = settings::output(o);
    let interrupt = interrupt_on_ctrl_c(plan.grace);
    let job = RunJob {
        plan,
        source: workload.source.clone(),
        workload: &workload.spec,
        out: output.out.clone(),
        labels: &output.labels,
        watch: None,
        announce: true,
        tool: &tool(),
    };
    let run = record(place, job, &mut bar, &interrupt).await?;
    print(&match o.format {
        Format::Table => headroom_report::table(&run.summary, &title(&run)),
        Format::Json => headroom_report::json(&run.summary) + "\n",
        Format::Csv => headroom_report::csv(&run.summary),
    })?;
    if output.report {
        log_report(&run.dir, write_run_report(&run));
    }
    conclude(&run)
}

/// The console table's title.
fn title(run: &Recorded) -> headroom_report::RunTitle {
    let partial = run
        .interrupted()
        .then(|| "interrupted by Ctrl-C".to_string());
    headroom_report::RunTitle::of(Some(&run.manifest), partial)
}

/// The exit status of a run, after its report: 130 when interrupted, an error when every
/// measured request failed, else 0.
pub fn conclude(run: &Recorded) -> anyhow::Result<ExitCode> {
    if run.interrupted() {
        tracing::warn!(
            "interrupted: results are partial; everything recorded is in {}",
            run.dir.display()
        );
        return Ok(ExitCode::from(130));
    }
    tracing::info!("results in {}", run.dir.display());
    run.check_some_succeeded()?;
    Ok(ExitCode::SUCCESS)
}
