//! `headroom compare DIR DIR…`: ratios to the first, significance, cost and gates.

use crate::cli::{CompareArgs, CompareFormat};
use anyhow::{Context as _, bail};
use headroom_metrics::gate::Gate;
use headroom_report::compare::{Price, compare, entries, gate_lines};
use headroom_report::load::{Depth, Results};
use std::process::ExitCode;

/// `headroom compare`.
pub fn execute(a: CompareArgs) -> anyhow::Result<ExitCode> {
    if !(a.confidence > 0.5 && a.confidence < 1.0) {
        bail!(
            "--confidence must be between 0.5 and 1 (e.g. 0.95), got {}",
            a.confidence
        );
    }
    let gates = a
        .fail_if
        .iter()
        .map(|g| {
            g.parse::<Gate>()
                .map_err(|e| anyhow::anyhow!("invalid --fail-if:\n{e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut prices = Vec::new();
    for p in &a.prices {
        let (name, v) =
            super::pipeline::pair(p, '=', "--price", "NAME=USD_PER_HOUR, e.g. l20=1.10")?;
        let usd_per_hour: f64 = v
            .trim_start_matches('$')
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v > 0.0)
            .with_context(|| {
                format!(
                    "invalid --price {p:?}: the price must be a positive number of dollars per hour"
                )
            })?;
        prices.push(Price { name, usd_per_hour });
    }
    let mut results = Vec::new();
    for d in &a.dirs {
        results.push(
            Results::load(d, Depth::Summary)
                .with_context(|| format!("cannot compare {}", d.display()))?,
        );
    }
    let entries = entries(results, &prices)?;
    let c = compare(&entries, &gates, a.confidence)?;
    let plots = a.out.as_ref().map(|o| o.join(super::report::PLOTS));
    let text = match a.format {
        CompareFormat::Table => headroom_report::text::render(&c.document, plots.as_deref()),
        CompareFormat::Markdown => headroom_report::markdown::render(&c.document),
        CompareFormat::Json => serde_json::to_string_pretty(&c.gates)? + "\n",
    };
    super::pipeline::print_report(&text)?;
    if let Some(out) = &a.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let w = super::report::write_document(out, &c.document)?;
        tracing::info!("report: {}", w.html.display());
    } else if c.document.charts().next().is_some() {
        tracing::info!(
            "{} charts not drawn: pass --out DIR for them and report.html",
            c.document.charts().count()
        );
    }
    if c.failed() {
        for line in gate_lines(&c).lines().filter(|l| l.starts_with("FAIL")) {
            tracing::error!("{line}");
        }
        bail!("a --fail-if gate failed: the candidate regressed against the first result");
    }
    Ok(ExitCode::SUCCESS)
}
