//! `headroom compare DIR DIR…`: ratios to the first, significance, cost and gates. The
//! comparison (names, prices, sections, gates) is `headroom_report::compare`.

use crate::cli::{CompareArgs, CompareFormat};
use headroom_jobs::SettingsError;
use headroom_report::compare::{CompareError, Price, compare, entries, gate_lines};
use headroom_results::files::PLOTS;
use headroom_results::read::{Depth, Results};
use std::process::ExitCode;

/// `headroom compare`.
pub fn execute(a: CompareArgs) -> anyhow::Result<ExitCode> {
    let prices: Vec<Price> = a
        .prices
        .iter()
        .map(|(name, usd)| Price {
            name: name.clone(),
            usd_per_hour: *usd,
        })
        .collect();
    let results = a
        .dirs
        .iter()
        .map(|d| Results::load(d, Depth::Summary))
        .collect::<Result<Vec<_>, _>>()?;
    // A price that names none of the results is a usage error.
    let entries = entries(results, &prices).map_err(|e| match e {
        CompareError::UnmatchedPrice { .. } => {
            anyhow::Error::new(SettingsError::new(e.to_string()))
        }
        e => e.into(),
    })?;
    let c = compare(&entries, &a.fail_if, a.confidence)?;
    let plots = a.out.as_ref().map(|o| o.join(PLOTS));
    let text = match a.format {
        CompareFormat::Table => headroom_report::text::render(&c.document, plots.as_deref()),
        CompareFormat::Markdown => headroom_report::markdown::render(&c.document),
        CompareFormat::Json => serde_json::to_string_pretty(&c.gates)? + "\n",
    };
    super::print(&text)?;
    if let Some(out) = &a.out {
        std::fs::create_dir_all(out)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
        let w = headroom_jobs::reports::write_document(out, &c.document)?;
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
        anyhow::bail!("a --fail-if gate failed: the candidate regressed against the first result");
    }
    Ok(ExitCode::SUCCESS)
}
