//! `headroom compare DIR DIR…`: ratios to the first, significance, cost and gates.

use crate::cli::{CompareArgs, CompareFormat};
use anyhow::{Context as _, bail};
use headroom_metrics::gate::Gate;
use headroom_report::compare::{CompareEntry, PriceSource, compare, gate_lines};
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
        let (k, v) = super::pipeline::pair(p, '=', "--price", "NAME=USD_PER_HOUR, e.g. l20=1.10")?;
        let usd: f64 = v
            .trim_start_matches('$')
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v > 0.0)
            .with_context(|| {
                format!(
                    "invalid --price {p:?}: the price must be a positive number of dollars per hour"
                )
            })?;
        prices.push((k.to_lowercase(), usd, p.clone()));
    }
    let mut entries = Vec::new();
    for d in &a.dirs {
        let r = Results::load(d, Depth::Summary)
            .with_context(|| format!("cannot compare {}", d.display()))?;
        entries.push(CompareEntry::new(r));
    }
    // Names must tell results apart: fall back to directory names when they collide.
    let mut names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    for i in 0..names.len() {
        if names.iter().filter(|n| **n == names[i]).count() > 1 {
            for (e, n) in entries.iter().zip(names.iter_mut()) {
                if *n == e.name {
                    *n = e.results.dir().display().to_string();
                }
            }
        }
    }
    for (e, n) in entries.iter_mut().zip(names) {
        e.name = n;
    }
    for (key, usd, flag) in &prices {
        let mut matched = false;
        for e in entries.iter_mut() {
            if e.price.is_none() && e.price_keys().contains(key) {
                e.price = Some((*usd, PriceSource::Flag(key.clone())));
                matched = true;
            }
        }
        if !matched {
            let known: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
            bail!(
                "--price {flag} matches none of the results; use a label value, a GPU or a directory name ({})",
                known.join(", ")
            );
        }
    }
    for e in entries.iter_mut() {
        if e.price.is_none()
            && !prices.is_empty()
            && let Some(p) = e.results.catalog_price()
        {
            e.price = Some((p, PriceSource::Catalog));
        }
    }
    let c = compare(&entries, &gates, a.confidence);
    let text = match a.format {
        CompareFormat::Table => headroom_report::text::render(&c.document),
        CompareFormat::Markdown => headroom_report::markdown::render(&c.document),
        CompareFormat::Json => serde_json::to_string_pretty(&c.gates)? + "\n",
    };
    super::pipeline::print_report(&text)?;
    if let Some(out) = &a.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let w = super::report::write_document(out, &c.document)?;
        tracing::info!("report: {}", w.html.display());
    }
    if c.failed() {
        for line in gate_lines(&c).lines().filter(|l| l.starts_with("FAIL")) {
            tracing::error!("{line}");
        }
        bail!("a --fail-if gate failed: the candidate regressed against the first result");
    }
    Ok(ExitCode::SUCCESS)
}
