//! `headroom sweep` and `headroom capacity` (and both under `headroom predict`): the
//! plan runs level by level in the library; this prints its table and says how it ended.

use super::{interrupt_on_ctrl_c, print, progress_wanted, tool};
use crate::cli::{
    CapacityArgs, EngineArgs, Format, OutputArgs, PacingArgs, SweepArgs, TargetArgs, WorkloadArgs,
};
use crate::progress::Bar;
use crate::settings;
use headroom_capacity::LoadAxis;
use headroom_jobs::reports::write_reports_after;
use headroom_jobs::{
    CapacitySearch, LevelOptions, Place, PlanEnd, PlanJob, PlanSettings, Workload, run_plan,
};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// The flags every plan shares.
struct Shared<'a> {
    workload: &'a WorkloadArgs,
    pacing: &'a PacingArgs,
    each: LevelOptions,
    resume: bool,
    output: &'a OutputArgs,
}

/// `headroom sweep`, against `target` or, with `engine`, in virtual time.
pub fn sweep(
    target: Option<TargetArgs>,
    engine: Option<&EngineArgs>,
    a: SweepArgs,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let plan = settings::sweep(&a).plan()?;
    let (axis, first) = (plan.axis, plan.first_level());
    let shared = Shared {
        workload: &a.workload,
        pacing: &a.pacing,
        each: settings::levels(&a.each),
        resume: a.each.resume.is_some(),
        output: &a.output,
    };
    let end = execute(target, engine, &shared, axis, first, plan, quiet)?;
    let text = match a.output.format {
        Format::Table => headroom_report::levels::sweep(&end.doc),
        Format::Json => serde_json::to_string_pretty(&end.doc)? + "\n",
        Format::Csv => headroom_report::levels::envelope_csv(&end.doc.levels, axis),
    };
    Ok(conclude("sweep", &end, &text, &a.output)?.unwrap_or(ExitCode::SUCCESS))
}

/// `headroom capacity`, against `target` or, with `engine`, in virtual time.
pub fn capacity(
    target: Option<TargetArgs>,
    engine: Option<&EngineArgs>,
    a: CapacityArgs,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let options = settings::capacity(&a);
    let search = CapacitySearch {
        capacity: options.plan()?,
        early_stop: options.early_stop,
    };
    let mut each = settings::levels(&a.each);
    each.sequential = options.sequential(&each, settings::budget(&a))?;
    if let Some(warning) = options.budget_warning(&each) {
        tracing::warn!("{warning}");
    }
    let (axis, first) = (options.axis, search.capacity.search.method.start());
    let sequential = each.sequential.is_some();
    let shared = Shared {
        workload: &a.workload,
        pacing: &a.pacing,
        each,
        resume: a.each.resume.is_some(),
        output: &a.output,
    };
    let end = execute(target, engine, &shared, axis, first, search, quiet)?;
    let text = match a.output.format {
        Format::Table => headroom_report::levels::capacity(&end.doc),
        Format::Json => serde_json::to_string_pretty(&end.doc)? + "\n",
        Format::Csv => headroom_report::levels::envelope_csv(&end.doc.levels, axis),
    };
    if let Some(code) = conclude("capacity", &end, &text, &a.output)? {
        return Ok(code);
    }
    if end.doc.undecided() {
        let knob = match sequential {
            true => "--max-requests-per-level",
            false => "--requests-per-level, --repeats",
        };
        tracing::warn!(
            "{}: their intervals straddle the limit, so more requests per level would decide \
             them ({knob}); every level is in {}",
            end.doc.headline(),
            end.root.display()
        );
        return Ok(ExitCode::from(UNDECIDED));
    }
    if end.doc.found.max_pass.is_none() {
        anyhow::bail!(
            "{}: lower --start, check the server, or relax the SLO; every level is in {}",
            end.doc.headline(),
            end.root.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit status of a capacity search whose inconclusive levels leave the answer a range
/// or undecided.
const UNDECIDED: u8 = 3;

/// Runs `job` at the target (or on the engine in virtual time) with the shared flags.
fn execute<J: PlanJob>(
    target: Option<TargetArgs>,
    engine: Option<&EngineArgs>,
    s: &Shared<'_>,
    axis: LoadAxis,
    first: f64,
    job: J,
    quiet: bool,
) -> anyhow::Result<PlanEnd<J::Doc>> {
    let workload = Workload::build(&settings::workload(s.workload), s.pacing.seed)?;
    let plan = PlanSettings::new(
        workload,
        &settings::pacing(s.pacing),
        axis,
        first,
        s.each.clone(),
        settings::output(s.output),
        s.resume,
    )?;
    let target = target.map(|t| settings::target(&t, s.workload.ignore_eos));
    if let Some(t) = &target {
        t.client()?;
    }
    let progress = progress_wanted(s.output.no_progress, quiet);
    super::runtime(s.pacing.threads)?.block_on(async {
        let seed = plan.template.seed;
        let place = match (target, engine) {
            (Some(t), _) => Place::connect(&t, &plan.workload, seed).await?,
            (None, Some(e)) => Place::virtual_time(&settings::engine_said(e), seed)?,
            (None, None) => anyhow::bail!("a plan needs a target or a simulated engine"),
        };
        // A sequential level cancels what is in flight (it is measured again on resume).
        let grace = match plan.each.sequential {
            Some(_) => Duration::ZERO,
            None => plan.template.grace,
        };
        let interrupt = interrupt_on_ctrl_c(grace);
        let mut bar = Bar::new(progress && !place.is_virtual());
        Ok(run_plan(&place, &plan, job, &tool(), &mut bar, &interrupt).await?)
    })
}

/// Prints the report and says how the plan ended: 130 when interrupted, with how to
/// continue; `None` when it completed.
fn conclude<D>(
    command: &str,
    end: &PlanEnd<D>,
    text: &str,
    output: &OutputArgs,
) -> anyhow::Result<Option<ExitCode>> {
    print(text)?;
    let root: &Path = &end.root;
    if !output.no_report {
        write_reports_after(root);
    }
    if end.interrupted {
        tracing::warn!(
            "interrupted: the levels measured so far are in {}; continue with `headroom {command} --resume {}`",
            root.display(),
            root.display()
        );
        return Ok(Some(ExitCode::from(130)));
    }
    tracing::info!("results in {}", root.display());
    Ok(None)
}
