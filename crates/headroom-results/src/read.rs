//! Reading a results directory back: a run (`manifest.json`, `requests.jsonl`,
//! `summary.json`), a sweep (`sweep.json`) or a capacity search (`capacity.json`) with
//! their per-level run directories.
//!
//! A run killed before it wrote `summary.json` is rebuilt from its journal: every record
//! that reached the disk counts, a torn last line is reported and skipped.

use crate::files::{CAPACITY, JOURNAL, MANIFEST, SUMMARY, SWEEP, TELEMETRY};
use crate::{CapacityDoc, Manifest, SweepDoc, read_journal, read_json, read_telemetry};
use headroom_capacity::LevelResult;
use headroom_metrics::timeline::Timeline;
use headroom_metrics::{Recorder, Summary};
use headroom_telemetry::{TelemetrySample, WindowFigures};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Why a results directory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Nothing is there.
    #[error("{}: no such directory", .0.display())]
    NoDirectory(PathBuf),
    /// A directory with neither a summary nor a journal.
    #[error(
        "{}: no {SUMMARY} and no {JOURNAL}: not a headroom results directory (a run, or a sweep or capacity search with {SWEEP} or {CAPACITY})",
        .0.display()
    )]
    NotResults(PathBuf),
    /// A file that is not what headroom writes.
    #[error("{}: not a headroom file: {source}", .path.display())]
    NotHeadroom {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A file that could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

fn json<T: for<'de> serde::Deserialize<'de>>(path: &Path) -> Result<T, ReadError> {
    read_json(path).map_err(|source| match source.kind() {
        io::ErrorKind::InvalidData => ReadError::NotHeadroom {
            path: path.to_path_buf(),
            source,
        },
        _ => ReadError::Io {
            path: path.to_path_buf(),
            source,
        },
    })
}

/// One run directory.
#[derive(Debug, Clone)]
pub struct RunResults {
    /// The directory.
    pub dir: PathBuf,
    /// `manifest.json`, when present and readable.
    pub manifest: Option<Manifest>,
    /// The summary: `summary.json`, or rebuilt from the journal.
    pub summary: Summary,
    /// `true` when `summary.json` was missing and the summary was rebuilt from the journal
    /// (a killed run).
    pub rebuilt: bool,
    /// Journal lines that could not be read (a torn last line of a killed run).
    pub damaged_lines: usize,
    /// Latency and throughput over time, when the journal was read.
    pub timeline: Option<Timeline>,
    /// The server's scrapes (`telemetry.jsonl`), read with the timeline; empty without.
    pub telemetry: Vec<TelemetrySample>,
}

/// How much of a run to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// The summary only (the journal only when `summary.json` is missing).
    Summary,
    /// The summary and the timeline from the journal.
    Timeline,
}

impl RunResults {
    /// Reads the run in `dir`.
    pub fn load(dir: &Path, depth: Depth) -> Result<RunResults, ReadError> {
        let manifest_path = dir.join(MANIFEST);
        let manifest: Option<Manifest> = if manifest_path.exists() {
            Some(json(&manifest_path)?)
        } else {
            None
        };
        let summary_path = dir.join(SUMMARY);
        let journal_path = dir.join(JOURNAL);
        let has_summary = summary_path.exists();
        let mut run = RunResults {
            dir: dir.to_path_buf(),
            manifest,
            summary: Summary::default(),
            rebuilt: !has_summary,
            damaged_lines: 0,
            timeline: None,
            telemetry: Vec::new(),
        };
        if has_summary {
            run.summary = json(&summary_path)?;
        }
        let telemetry_path = dir.join(TELEMETRY);
        // A killed run's summary is rebuilt, its telemetry figures with it.
        if (depth == Depth::Timeline || !has_summary) && telemetry_path.exists() {
            run.telemetry = read_telemetry(&telemetry_path)
                .map_err(|source| ReadError::Io {
                    path: telemetry_path.clone(),
                    source,
                })?
                .records;
        }
        let need_journal = !has_summary || depth == Depth::Timeline;
        if need_journal {
            if !journal_path.exists() {
                if has_summary {
                    return Ok(run);
                }
                return Err(ReadError::NotResults(dir.to_path_buf()));
            }
            let journal = read_journal(&journal_path).map_err(|source| ReadError::Io {
                path: journal_path.clone(),
                source,
            })?;
            run.damaged_lines = journal.damaged.len();
            if !has_summary {
                let mut rec = Recorder::new();
                for r in &journal.records {
                    rec.add(r);
                }
                let epoch = run.manifest.as_ref().map_or(0, |m| m.epoch_unix_us);
                run.summary = rec.finish(epoch);
                let w = &run.summary.windows;
                if let Some(window) = w.start().zip(w.end()) {
                    let f = WindowFigures::over_run(&run.telemetry, window, epoch);
                    let s = &mut run.summary;
                    (s.server, s.gpu, s.host) = (f.server, f.gpu, f.host);
                }
            }
            if depth == Depth::Timeline {
                run.timeline = Some(Timeline::new(&journal.records));
            }
        }
        Ok(run)
    }

    /// The directory name.
    pub fn name(&self) -> String {
        dir_name(&self.dir)
    }
}

fn dir_name(dir: &Path) -> String {
    dir.canonicalize()
        .ok()
        .as_deref()
        .unwrap_or(dir)
        .file_name()
        .map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
}

/// A sweep or capacity search with the merged summary of each level's repeats.
#[derive(Debug, Clone)]
pub struct PlanResults<D> {
    /// The directory.
    pub dir: PathBuf,
    /// `sweep.json` or `capacity.json`.
    pub doc: D,
    /// The manifest of the first run found (the target, the scenario, the labels).
    pub manifest: Option<Manifest>,
    /// Each level's repeats merged, by level (in the doc's order); a level whose run
    /// directories are gone is absent.
    pub summaries: Vec<(f64, Summary)>,
}

impl<D> PlanResults<D> {
    /// The directory name.
    pub fn name(&self) -> String {
        dir_name(&self.dir)
    }

    /// The merged summary of `level`.
    pub fn summary(&self, level: f64) -> Option<&Summary> {
        self.summaries
            .iter()
            .find(|(l, _)| *l == level)
            .map(|(_, s)| s)
    }
}

/// The first run's manifest and each level's merged summary.
type LevelSummaries = (Option<Manifest>, Vec<(f64, Summary)>);

fn load_levels(dir: &Path, levels: &[LevelResult]) -> Result<LevelSummaries, ReadError> {
    let mut manifest = None;
    let mut out = Vec::new();
    for l in levels {
        let mut merged: Option<Summary> = None;
        for r in &l.repeats {
            let sub = dir.join(&r.dir);
            if !sub.is_dir() {
                continue;
            }
            let run = RunResults::load(&sub, Depth::Summary)?;
            if manifest.is_none() {
                manifest = run.manifest.clone();
            }
            match &mut merged {
                Some(m) => *m += &run.summary,
                None => merged = Some(run.summary),
            }
        }
        if let Some(m) = merged {
            out.push((l.level, m));
        }
    }
    Ok((manifest, out))
}

/// Whatever a results directory holds.
#[derive(Debug, Clone)]
pub enum Results {
    /// One run.
    Run(Box<RunResults>),
    /// A sweep.
    Sweep(Box<PlanResults<SweepDoc>>),
    /// A capacity search.
    Capacity(Box<PlanResults<CapacityDoc>>),
}

impl Results {
    /// Reads `dir`: a capacity search if it has `capacity.json`, a sweep if it has
    /// `sweep.json`, else a run.
    pub fn load(dir: &Path, depth: Depth) -> Result<Results, ReadError> {
        if !dir.is_dir() {
            return Err(ReadError::NoDirectory(dir.to_path_buf()));
        }
        let cap = dir.join(CAPACITY);
        if cap.exists() {
            let doc: CapacityDoc = json(&cap)?;
            let (manifest, summaries) = load_levels(dir, &doc.levels)?;
            return Ok(Results::Capacity(Box::new(PlanResults {
                dir: dir.to_path_buf(),
                doc,
                manifest,
                summaries,
            })));
        }
        let sweep = dir.join(SWEEP);
        if sweep.exists() {
            let doc: SweepDoc = json(&sweep)?;
            let (manifest, summaries) = load_levels(dir, &doc.levels)?;
            return Ok(Results::Sweep(Box::new(PlanResults {
                dir: dir.to_path_buf(),
                doc,
                manifest,
                summaries,
            })));
        }
        Ok(Results::Run(Box::new(RunResults::load(dir, depth)?)))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        match self {
            Results::Run(r) => &r.dir,
            Results::Sweep(s) => &s.dir,
            Results::Capacity(c) => &c.dir,
        }
    }

    /// The manifest (of the run, or of a sweep's first run).
    pub fn manifest(&self) -> Option<&Manifest> {
        match self {
            Results::Run(r) => r.manifest.as_ref(),
            Results::Sweep(s) => s.manifest.as_ref(),
            Results::Capacity(c) => c.manifest.as_ref(),
        }
    }

    /// User labels: the manifest's, or the sweep's header's.
    pub fn labels(&self) -> BTreeMap<String, String> {
        match self {
            Results::Run(r) => r
                .manifest
                .as_ref()
                .map(|m| m.labels.clone())
                .unwrap_or_default(),
            Results::Sweep(s) => s.doc.header.labels.clone(),
            Results::Capacity(c) => c.doc.header.labels.clone(),
        }
    }

    /// What kind of result, in words.
    pub fn kind(&self) -> &'static str {
        match self {
            Results::Run(_) => "run",
            Results::Sweep(_) => "sweep",
            Results::Capacity(_) => "capacity",
        }
    }

    /// The GPU: a `gpu` label, else the simulated GPU of a prediction.
    pub fn gpu(&self) -> Option<String> {
        let labels = self.labels();
        if let Some(g) = labels.get("gpu") {
            return Some(g.clone());
        }
        let spec = self.manifest()?.target.simulator_spec.as_ref()?;
        let name = spec.get("gpu")?.get("name")?.as_str()?;
        let count = spec
            .get("settings")
            .and_then(|s| s.get("tensor_parallel_size"))
            .and_then(|t| t.as_u64())
            .unwrap_or(1);
        Some(if count > 1 {
            format!("{count}× {name}")
        } else {
            name.to_string()
        })
    }

    /// The catalog's hourly price of a simulated GPU, when it has one.
    pub fn catalog_price(&self) -> Option<f64> {
        let spec = self.manifest()?.target.simulator_spec.as_ref()?;
        spec.get("gpu")?.get("price_per_hour")?.as_f64()
    }

    /// A short name for tables: the labels (`gpu=L20`), else the GPU, else the directory.
    pub fn display_name(&self) -> String {
        let labels = self.labels();
        if !labels.is_empty() {
            return labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",");
        }
        dir_name(self.dir())
    }
}
