//! `headroom report DIR`: (re)builds `report.html`, `report.md` and `plots/` of a results
//! directory, and writes the same files at the end of every run, sweep and capacity search.

use crate::cli::ReportArgs;
use anyhow::Context as _;
use headroom_report::document::Document;
use headroom_report::load::{Depth, Results};
use headroom_report::render::{Options, Rendered, render};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `report.html`
pub const HTML: &str = "report.html";
/// `report.md`
pub const MARKDOWN: &str = "report.md";
/// `plots/`
pub const PLOTS: &str = "plots";

/// Writes `bytes` to `path` through a temporary file and a rename, so a reader never sees
/// half a report and a full disk leaves the previous one.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
        .with_context(|| format!("cannot write {}", path.display()))
}

/// What [`write`] wrote.
#[derive(Debug)]
pub struct Written {
    /// `report.html`.
    pub html: PathBuf,
    /// `report.md`.
    pub markdown: PathBuf,
    /// Charts drawn (each as SVG and PNG).
    pub charts: usize,
}

/// Renders `doc` and writes it into `dir`.
pub fn write_document(dir: &Path, doc: &Document) -> anyhow::Result<Written> {
    let Rendered {
        html,
        markdown,
        plots,
    } = render(doc, Options::default()).context("cannot draw the report's charts")?;
    let plot_dir = dir.join(PLOTS);
    std::fs::create_dir_all(&plot_dir)
        .with_context(|| format!("cannot create {}", plot_dir.display()))?;
    for (name, bytes) in &plots {
        write_atomic(&plot_dir.join(name), bytes)?;
    }
    let written = Written {
        html: dir.join(HTML),
        markdown: dir.join(MARKDOWN),
        charts: doc.charts().count(),
    };
    write_atomic(&written.markdown, markdown.as_bytes())?;
    write_atomic(&written.html, html.as_bytes())?;
    Ok(written)
}

/// Reads `dir` and writes its reports.
pub fn write(dir: &Path) -> anyhow::Result<(Results, Written)> {
    let results = Results::load(dir, Depth::Timeline)
        .with_context(|| format!("cannot read the results in {}", dir.display()))?;
    let doc = headroom_report::reports::document(&results);
    let written = write_document(dir, &doc)?;
    Ok((results, written))
}

/// After a run, sweep or search: writes the reports, and only warns when that fails (the
/// measurements are already safe on disk; `headroom report DIR` can try again).
pub fn after(dir: &Path) {
    match write(dir) {
        Ok((_, w)) => tracing::info!("report: {}", w.html.display()),
        Err(e) => tracing::warn!(
            "the results are saved, but the report could not be written: {e:#}; try `headroom report {}`",
            dir.display()
        ),
    }
}

/// `headroom report DIR`.
pub fn execute(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let (results, w) = write(&args.dir)?;
    let text = match &results {
        headroom_report::load::Results::Run(run) => {
            let m = run.manifest.as_ref();
            let header = headroom_report::RunTitle {
                load: m.map_or_else(String::new, |m| m.scenario.plan.load.label()),
                model: m.map_or_else(
                    || "unknown model".into(),
                    |m| m.scenario.target.model.clone(),
                ),
                target: m.map_or_else(String::new, |m| m.scenario.target.url.clone()),
                partial: run
                    .rebuilt
                    .then(|| "rebuilt from the journal of an unfinished run".to_string()),
            };
            headroom_report::table(&run.summary, &header)
        }
        headroom_report::load::Results::Sweep(s) => headroom_report::levels::sweep(&s.doc),
        headroom_report::load::Results::Capacity(c) => headroom_report::levels::capacity(&c.doc),
    };
    super::pipeline::print_report(&text)?;
    tracing::info!(
        "wrote {}, {} and {} charts in {} (SVG and PNG)",
        w.html.display(),
        w.markdown.display(),
        w.charts,
        args.dir.join(PLOTS).display()
    );
    Ok(ExitCode::SUCCESS)
}
