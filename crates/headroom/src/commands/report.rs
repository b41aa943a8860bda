//! `headroom report DIR`: (re)builds `report.html`, `report.md` and `plots/` of a results
//! directory and prints its table.

use crate::cli::ReportArgs;
use headroom_jobs::reports::write_reports;
use headroom_results::read::Results;
use std::process::ExitCode;

/// `headroom report DIR`.
pub fn execute(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let (results, w) = write_reports(&args.dir)?;
    let text = match &results {
        Results::Run(run) => {
            let partial = run
                .rebuilt
                .then(|| "rebuilt from the journal of an unfinished run".to_string());
            let title = headroom_report::RunTitle::of(run.manifest.as_ref(), partial);
            headroom_report::table(&run.summary, &title)
        }
        Results::Sweep(s) => headroom_report::levels::sweep(&s.doc),
        Results::Capacity(c) => headroom_report::levels::capacity(&c.doc),
    };
    super::print(&text)?;
    tracing::info!(
        "wrote {}, {} and {} charts in {} (SVG and PNG)",
        w.html.display(),
        w.markdown.display(),
        w.charts,
        w.plots.display()
    );
    Ok(ExitCode::SUCCESS)
}
