//! Writing `report.html`, `report.md` and `plots/` into a results directory: after every
//! run, sweep and search, and for `headroom report DIR` (which reads the directory back;
//! a killed run's journal is enough).

use crate::job::Recorded;
use headroom_report::document::Document;
use headroom_report::render::{Options, Rendered, render};
use headroom_results::files::{PLOTS, REPORT_HTML, REPORT_MD};
use headroom_results::read::{Depth, Results, RunResults};
use headroom_results::write_atomic;
use std::path::{Path, PathBuf};

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The results directory could not be read.
    #[error("cannot read the results in {}: {source}", .dir.display())]
    Read {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: headroom_results::read::ReadError,
    },
    /// A chart could not be drawn.
    #[error("cannot draw the report's charts: {0}")]
    Draw(#[from] headroom_report::draw::DrawError),
    /// A file could not be written.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// What [`write_document`] wrote.
#[derive(Debug)]
pub struct Written {
    /// `report.html`.
    pub html: PathBuf,
    /// `report.md`.
    pub markdown: PathBuf,
    /// `plots/`.
    pub plots: PathBuf,
    /// Charts drawn (each as SVG and PNG).
    pub charts: usize,
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    write_atomic(path, bytes).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Renders `doc` and writes it into `dir`: the charts first, the pages last, each file
/// replaced whole.
pub fn write_document(dir: &Path, doc: &Document) -> Result<Written, ReportError> {
    let Rendered {
        html,
        markdown,
        plots,
    } = render(doc, Options::default())?;
    let plot_dir = dir.join(PLOTS);
    std::fs::create_dir_all(&plot_dir).map_err(|source| ReportError::Write {
        path: plot_dir.clone(),
        source,
    })?;
    for (name, bytes) in &plots {
        write(&plot_dir.join(name), bytes)?;
    }
    let written = Written {
        html: dir.join(REPORT_HTML),
        markdown: dir.join(REPORT_MD),
        plots: plot_dir,
        charts: doc.charts().count(),
    };
    write(&written.markdown, markdown.as_bytes())?;
    write(&written.html, html.as_bytes())?;
    Ok(written)
}

/// Reads the results in `dir` (a run, a sweep or a search) and writes their reports.
pub fn write_reports(dir: &Path) -> Result<(Results, Written), ReportError> {
    let results = Results::load(dir, Depth::Timeline).map_err(|source| ReportError::Read {
        dir: dir.to_path_buf(),
        source,
    })?;
    let doc = headroom_report::reports::document(&results);
    let written = write_document(dir, &doc)?;
    Ok((results, written))
}

/// The report of a run just recorded, from what the run holds: its summary, manifest
/// and timeline (no reading back).
pub fn write_run_report(run: &Recorded) -> Result<Written, ReportError> {
    let results = Results::Run(Box::new(RunResults {
        dir: run.dir.clone(),
        manifest: Some(run.manifest.clone()),
        summary: run.summary.clone(),
        rebuilt: false,
        damaged_lines: 0,
        timeline: Some(run.timeline.clone()),
        telemetry: run.telemetry.clone(),
    }));
    write_document(&run.dir, &headroom_report::reports::document(&results))
}

/// After a run, sweep or search: the result of writing its reports, logged. Failing only
/// warns: the measurements are already safe on disk and `headroom report DIR` can try
/// again.
pub fn log_report(dir: &Path, written: Result<Written, ReportError>) {
    match written {
        Ok(w) => tracing::info!("report: {}", w.html.display()),
        Err(e) => tracing::warn!(
            "the results are saved, but the report could not be written: {e}; try `headroom report {}`",
            dir.display()
        ),
    }
}

/// After a sweep or search (or a run no longer in memory): reads `dir` and writes its
/// reports, logging how that went.
pub fn write_reports_after(dir: &Path) {
    log_report(dir, write_reports(dir).map(|(_, w)| w));
}
