//! `headroom compare`: several runs, sweeps or capacity searches side by side, with
//! ratios to the first, whether each difference is beyond noise, cost from hourly prices,
//! and `--fail-if` gates.
//!
//! - **Operating point**: a run is compared as a whole; a capacity search at its highest
//!   passing level ("at capacity"); a sweep at its knee. Sweeps and searches are also
//!   aligned level by level.
//! - **Significance** of percentile differences: the bootstrap of each order statistic,
//!   computed exactly from the histograms ([`headroom_metrics::significance`]); of means:
//!   Welch's interval; of throughput: Welch's t-interval across repeats (a single run has
//!   one throughput value, so its difference is shown without a test). A difference whose
//!   interval contains 0 is marked "within noise".
//! - **Cost** from `--price NAME=USD_PER_HOUR`: dollars per million output tokens and
//!   requests per dollar at the operating point's throughput, and, for capacity searches,
//!   dollars per hour per concurrent user (or per req/s) at the SLO.
//!
//! [`entries`] names the loaded results (falling back to directory names where names
//! collide) and attaches `--price` prices; [`compare`] builds the report and judges the
//! gates, one builder per section (`sections`), from each result's operating point
//! (`operating`).

mod operating;
mod sections;

use crate::document::Document;
use headroom_metrics::gate::Gate;
use headroom_results::read::Results;
use operating::operating;
use sections::Compared;
use std::fmt::Write as _;

/// Where a price came from.
#[derive(Debug, Clone, PartialEq)]
pub enum PriceSource {
    /// `--price KEY=…`, with the key.
    Flag(String),
    /// The simulator catalog's price of the predicted GPU.
    Catalog,
}

/// One compared result.
#[derive(Debug, Clone)]
pub struct CompareEntry {
    /// Its name in tables: labels, else GPU, else directory.
    pub name: String,
    /// What was loaded.
    pub results: Results,
    /// Dollars per hour, when known.
    pub price: Option<(f64, PriceSource)>,
}

impl CompareEntry {
    /// An entry without a price.
    pub fn new(results: Results) -> Self {
        CompareEntry {
            name: results.display_name(),
            results,
            price: None,
        }
    }

    /// The names `--price KEY` may use for this entry (lowercase): its name, directory
    /// name, label values, `key=value` labels and GPU.
    pub fn price_keys(&self) -> Vec<String> {
        let mut keys = vec![self.name.to_lowercase()];
        if let Some(d) = self.results.dir().file_name() {
            keys.push(d.to_string_lossy().to_lowercase());
        }
        for (k, v) in self.results.labels() {
            keys.push(v.to_lowercase());
            keys.push(format!("{k}={v}").to_lowercase());
        }
        if let Some(g) = self.results.gpu() {
            keys.push(g.to_lowercase());
        }
        keys
    }
}

/// A price from `--price NAME=USD_PER_HOUR`, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    /// The name as given: a label value, a `key=value` label, a GPU or a directory name
    /// (matched without regard to case).
    pub name: String,
    /// Dollars per hour.
    pub usd_per_hour: f64,
}

/// Why results could not be compared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompareError {
    /// Fewer than two results.
    #[error("a comparison needs at least two results, got {got}")]
    TooFew {
        /// How many were given.
        got: usize,
    },
    /// A price names no result.
    #[error(
        "--price {name}=… matches none of the results; use a label value, a GPU or a directory name ({})",
        names.join(", ")
    )]
    UnmatchedPrice {
        /// The name the price was given for.
        name: String,
        /// The results' names.
        names: Vec<String>,
    },
}

/// Names `results` for the tables (labels, else GPU, else directory; directory paths
/// for all when two names would collide) and attaches `prices`: each price goes to every result it
/// names that has none yet, and when any price was given, results still without one get
/// the simulator catalog's price of their predicted GPU. The first result is the
/// baseline.
pub fn entries(results: Vec<Results>, prices: &[Price]) -> Result<Vec<CompareEntry>, CompareError> {
    if results.len() < 2 {
        return Err(CompareError::TooFew { got: results.len() });
    }
    let mut entries: Vec<CompareEntry> = results.into_iter().map(CompareEntry::new).collect();
    // Names must tell results apart: when any two collide, every result is named by its
    // directory, so that the names in one table are all of one kind.
    let collide = entries
        .iter()
        .enumerate()
        .any(|(i, e)| entries[i + 1..].iter().any(|o| o.name == e.name));
    if collide {
        for e in entries.iter_mut() {
            e.name = e.results.dir().display().to_string();
        }
    }
    for price in prices {
        let key = price.name.to_lowercase();
        let mut matched = false;
        for e in entries.iter_mut() {
            if e.price.is_none() && e.price_keys().contains(&key) {
                e.price = Some((price.usd_per_hour, PriceSource::Flag(key.clone())));
                matched = true;
            }
        }
        if !matched {
            return Err(CompareError::UnmatchedPrice {
                name: price.name.clone(),
                names: entries.iter().map(|e| e.name.clone()).collect(),
            });
        }
    }
    if !prices.is_empty() {
        for e in entries.iter_mut().filter(|e| e.price.is_none()) {
            if let Some(p) = e.results.catalog_price() {
                e.price = Some((p, PriceSource::Catalog));
            }
        }
    }
    Ok(entries)
}

/// One gate's outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GateResult {
    /// The expression.
    pub gate: String,
    /// The candidate's name.
    pub candidate: String,
    /// Baseline value, display units.
    pub baseline: Option<f64>,
    /// Candidate value.
    pub value: Option<f64>,
    /// Failed: a regression beyond the threshold, or no data to judge.
    pub failed: bool,
    /// A side lacks the quantity (not streamed, no SLO, not a capacity search).
    pub no_data: bool,
    /// Whether the difference is beyond noise (when tested).
    pub significant: Option<bool>,
    /// The baseline value as the gates table shows it, with its unit (`1.01 s`).
    #[serde(skip)]
    pub baseline_shown: String,
    /// The candidate value as the gates table shows it.
    #[serde(skip)]
    pub value_shown: String,
}

/// The comparison: the document and the gates' outcomes.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The report.
    pub document: Document,
    /// Every gate against every candidate.
    pub gates: Vec<GateResult>,
}

impl Comparison {
    /// `true` when a gate failed.
    pub fn failed(&self) -> bool {
        self.gates.iter().any(|g| g.failed)
    }
}

/// Compares `entries` (the first is the baseline) at `confidence`, judging `gates`.
pub fn compare(
    entries: &[CompareEntry],
    gates: &[Gate],
    confidence: f64,
) -> Result<Comparison, CompareError> {
    if entries.len() < 2 {
        return Err(CompareError::TooFew { got: entries.len() });
    }
    let c = Compared {
        entries,
        ops: entries.iter().map(|e| operating(&e.results)).collect(),
        confidence,
    };
    let names = c.names();
    let mut doc = Document {
        title: format!("headroom compare: {}", names.join(" vs ")),
        ..Document::default()
    };
    doc.meta.push(format!(
        "Ratios are to the first ({}); differences are tested at {:.0}% confidence.",
        names[0],
        confidence * 100.0
    ));
    doc.sections.push(c.compared_section());
    doc.cards.extend(c.capacity_cards());
    doc.sections.extend(c.capacity_section());
    doc.sections.push(c.latency_section());
    doc.sections.extend(c.server_section());
    if let Some((sec, cards)) = c.cost() {
        doc.cards.extend(cards);
        doc.sections.push(sec);
    }
    doc.sections.extend(c.levels_section());
    doc.sections.extend(c.distributions_section());
    let mut results = Vec::new();
    if !gates.is_empty() {
        let (outcomes, sec, card) = c.gates(gates);
        results = outcomes;
        doc.cards.insert(0, card);
        doc.sections.insert(1, sec);
    }
    if !c.has_capacity() {
        doc.cards.extend(c.ratio_cards());
    }
    Ok(Comparison {
        document: doc,
        gates: results,
    })
}

/// The gates' outcomes as lines for the console, e.g.
/// `FAIL p95(e2e) > +10%: after (1.01 s → 1.16 s)`, values in the units of the gates table.
pub fn gate_lines(comparison: &Comparison) -> String {
    let mut out = String::new();
    for g in &comparison.gates {
        if g.no_data {
            let _ = writeln!(
                out,
                "FAIL {}: {}: no data to judge (is it in both results? TTFT and ITL need streaming, goodput SLOs, capacity a capacity search)",
                g.gate, g.candidate
            );
            continue;
        }
        let _ = writeln!(
            out,
            "{} {}: {} ({} → {})",
            if g.failed { "FAIL" } else { "pass" },
            g.gate,
            g.candidate,
            g.baseline_shown,
            g.value_shown,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_metrics::Summary;
    use headroom_results::read::RunResults;
    use std::path::PathBuf;

    fn run(dir: &str) -> Results {
        Results::Run(Box::new(RunResults {
            dir: PathBuf::from(dir),
            manifest: None,
            summary: Summary::default(),
            rebuilt: false,
            damaged_lines: 0,
            timeline: None,
            telemetry: Vec::new(),
        }))
    }

    fn gate(text: &str) -> Gate {
        text.parse().unwrap()
    }

    fn price(name: &str, usd_per_hour: f64) -> Price {
        Price {
            name: name.into(),
            usd_per_hour,
        }
    }

    #[test]
    fn results_are_named_by_directory_and_by_path_when_names_collide() {
        let e = entries(vec![run("/nowhere/a"), run("/nowhere/b")], &[]).unwrap();
        let names: Vec<&str> = e.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let e = entries(
            vec![run("/x/a"), run("/y/a"), run("/nowhere/b")],
            &[price("B", 2.0)],
        )
        .unwrap();
        let names: Vec<&str> = e.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["/x/a", "/y/a", "/nowhere/b"]);
        // A price matches a directory name whatever its case.
        assert_eq!(e[2].price, Some((2.0, PriceSource::Flag("b".into()))));
        assert_eq!(e[0].price, None);
    }

    #[test]
    fn a_price_that_names_no_result_is_an_error_listing_the_names() {
        let err = entries(vec![run("/r/a"), run("/r/b")], &[price("l40s", 1.0)]).unwrap_err();
        assert_eq!(
            err,
            CompareError::UnmatchedPrice {
                name: "l40s".into(),
                names: vec!["a".into(), "b".into()],
            }
        );
        assert!(err.to_string().contains("(a, b)"), "{err}");
    }

    #[test]
    fn one_result_is_no_comparison() {
        assert_eq!(
            entries(vec![run("/r/a")], &[]).unwrap_err(),
            CompareError::TooFew { got: 1 }
        );
        let one = entries(vec![run("/r/a"), run("/r/b")], &[]).unwrap();
        assert!(matches!(
            compare(&one[..1], &[], 0.95),
            Err(CompareError::TooFew { got: 1 })
        ));
        assert!(compare(&one, &[], 0.95).is_ok());
    }

    #[test]
    fn gate_lines_use_the_units_of_the_gates_table() {
        // Regression: a failed gate printed `(1006.0790 → 1164.7310)` where the table
        // showed 1.01 s → 1.16 s.
        let c = Comparison {
            document: Document::default(),
            gates: vec![GateResult {
                gate: "p95(e2e) > +10%".into(),
                candidate: "after".into(),
                baseline: Some(1006.079),
                value: Some(1164.731),
                failed: true,
                no_data: false,
                significant: Some(true),
                baseline_shown: "1.01 s".into(),
                value_shown: "1.16 s".into(),
            }],
        };
        assert_eq!(
            gate_lines(&c),
            "FAIL p95(e2e) > +10%: after (1.01 s → 1.16 s)\n"
        );
        let text = serde_json::to_string(&c.gates).unwrap();
        assert!(!text.contains("shown"), "{text}");
        use operating::{Kind, show};
        let p95 = gate("p95(e2e) > +10%");
        assert_eq!(show(Kind::of(p95.quantity()), 1006.079), "1.01 s");
        let osl = gate("p95(osl) > +10%");
        assert_eq!(show(Kind::of(osl.quantity()), 117.0), "117.00");
        let errors = gate("errors > 1%");
        assert_eq!(show(Kind::of(errors.quantity()), 0.012), "1.20%");
    }
}
