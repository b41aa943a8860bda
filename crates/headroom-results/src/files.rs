//! Every file name of a results directory, in one place.
//!
//! ```text
//! <run>/                      one run (a `headroom run`, or one run of a level)
//!   manifest.json             MANIFEST
//!   requests.jsonl            JOURNAL
//!   telemetry.jsonl           TELEMETRY: the server's scrapes, on the records' clock
//!   summary.json              SUMMARY
//!   watch.json                WATCH: a level's run, finished (goodput, early stop, seed)
//!   report.html report.md     REPORT_HTML, REPORT_MD
//!   plots/*.svg|png           PLOTS
//! <sweep or capacity search>/
//!   sweep.json | capacity.json  SWEEP, CAPACITY: the plan's state, rewritten per level
//!   c15/ c15-r2/ r2.5/ …        one run directory per level and repeat
//!   c20.interrupted/            a run cut short, kept aside when the plan resumed
//!   report.html report.md plots/
//! ```

/// `manifest.json`
pub const MANIFEST: &str = "manifest.json";
/// `requests.jsonl`
pub const JOURNAL: &str = "requests.jsonl";
/// `telemetry.jsonl`
pub const TELEMETRY: &str = "telemetry.jsonl";
/// `summary.json`
pub const SUMMARY: &str = "summary.json";
/// `watch.json`: beside a level's run, what resuming the plan needs to reuse it.
pub const WATCH: &str = "watch.json";
/// `capacity.json`
pub const CAPACITY: &str = "capacity.json";
/// `sweep.json`
pub const SWEEP: &str = "sweep.json";
/// `report.html`
pub const REPORT_HTML: &str = "report.html";
/// `report.md`
pub const REPORT_MD: &str = "report.md";
/// `plots/`
pub const PLOTS: &str = "plots";
