//! Turns the workload flags into a request source (and the manifest's description).

use crate::cli::WorkloadArgs;
use anyhow::{Context, bail};
use headroom_core::{Conversation, LengthSpec, RequestSource, WorkloadSpec};
use headroom_workload::{
    AnySource, Composer, ConversationSource, DatasetRef, DatasetSource, LengthFilter, Pool,
    PrefixSpec, Sampling, SyntheticSource, Tokenizer, TraceRef, TraceSource,
};
use std::sync::Arc;

/// A resolved workload.
#[derive(Debug, Clone)]
pub struct Workload {
    pub source: AnySource,
    pub spec: WorkloadSpec,
    pub tokenizer: Arc<Tokenizer>,
    pub conversation: Option<Conversation>,
    /// Trace replay: the speed-up.
    pub trace_speedup: Option<f64>,
}

fn filter(s: &Option<String>, flag: &str) -> anyhow::Result<(Option<u32>, Option<u32>)> {
    let Some(s) = s else { return Ok((None, None)) };
    match s.parse::<LengthSpec>() {
        Ok(LengthSpec::Uniform { min, max }) => Ok((Some(min), Some(max))),
        Ok(LengthSpec::Fixed(n)) => Ok((Some(n), Some(n))),
        _ => bail!("invalid {flag} {s:?}: expected MIN..MAX, e.g. 4..1024"),
    }
}

/// Builds the workload; `ignore_eos` is recorded in its description.
pub fn build(w: &WorkloadArgs, seed: u64, ignore_eos: bool) -> anyhow::Result<Workload> {
    let tokenizer = Arc::new(match &w.tokenizer {
        None => Tokenizer::default_builtin(),
        Some(t) => Tokenizer::resolve(t)?,
    });
    let input = match (
        &w.long_context,
        &w.input_tokens,
        w.synthetic_input_tokens_mean,
    ) {
        (Some(l), _, _) => l.clone(),
        (None, Some(i), _) => i.clone(),
        (None, None, Some(mean)) => normal(
            mean,
            w.synthetic_input_tokens_stddev,
            "--synthetic-input-tokens-mean",
        )?,
        (None, None, None) => LengthSpec::Normal {
            mean: 200.0,
            stddev: 20.0,
        },
    };
    let output_given = match (&w.output_tokens, w.output_tokens_mean) {
        (Some(o), _) => Some(o.clone()),
        (None, Some(mean)) => Some(normal(
            mean,
            w.output_tokens_stddev,
            "--output-tokens-mean",
        )?),
        (None, None) => w.long_context.as_ref().map(|_| LengthSpec::Fixed(128)),
    };
    let output = output_given.clone().unwrap_or(LengthSpec::Normal {
        mean: 100.0,
        stddev: 10.0,
    });
    if w.num_prompts == Some(0) {
        bail!("--num-prompts must be at least 1");
    }
    if w.prefix_tokens == Some(0) || w.prefix_groups == Some(0) {
        bail!("--prefix-tokens and --prefix-groups must be at least 1");
    }
    if w.conversation_turns == Some(0) {
        bail!("--conversation-turns must be at least 1");
    }
    let prefix = w.prefix_tokens.map(|tokens| PrefixSpec {
        tokens,
        groups: w.prefix_groups.unwrap_or(1),
    });
    let conversation = w.conversation_turns.map(|turns| Conversation {
        turns,
        think_time: w.think_time.unwrap_or_default(),
    });
    let trace_speedup = w.trace.as_ref().map(|_| w.trace_speedup);
    let lengths = Lengths {
        input: &input,
        output: &output,
        output_given: &output_given,
    };
    let (source, label, composer) = match &w.dataset {
        Some(d) => {
            let (source, label) = dataset(w, d, &tokenizer, seed, &lengths)?;
            (source, label, None)
        }
        None => {
            let composer = Arc::new(Composer::new(tokenizer.clone()));
            let (source, label) = composed(w, composer.clone(), prefix, seed, &lengths)?;
            (source, label, Some(composer))
        }
    };
    let source: Arc<dyn RequestSource> = match w.num_prompts {
        Some(n) => Arc::new(Pool::new(AnySource(source), n)),
        None => source,
    };
    let spec = WorkloadSpec {
        input_tokens: input,
        output_tokens: output,
        tokenizer: headroom_core::TokenCounter::name(&*tokenizer).to_string(),
        source: Some(label),
        exact_lengths: composer.as_ref().map(|c| c.is_exact()),
        num_prompts: w.num_prompts,
        prefix_tokens: prefix.map(|p| p.tokens),
        prefix_groups: prefix.map(|p| p.groups),
        ignore_eos,
    };
    if let Some(c) = &composer
        && !c.is_exact()
    {
        tracing::warn!(
            "tokenizer {} splits text in a way headroom cannot add up; every prompt is tokenized and corrected (slower)",
            spec.tokenizer
        );
    }
    Ok(Workload {
        source: AnySource(source),
        spec,
        tokenizer,
        conversation,
        trace_speedup,
    })
}

fn normal(mean: u32, stddev: f64, flag: &str) -> anyhow::Result<LengthSpec> {
    if mean == 0 || !(stddev.is_finite() && stddev >= 0.0) {
        bail!("{flag} must be at least 1 and its stddev non-negative");
    }
    Ok(if stddev == 0.0 {
        LengthSpec::Fixed(mean)
    } else {
        LengthSpec::Normal {
            mean: mean as f64,
            stddev,
        }
    })
}

/// The length distributions a source draws from.
struct Lengths<'a> {
    input: &'a LengthSpec,
    output: &'a LengthSpec,
    /// `--output-tokens` as given (a dataset otherwise uses each entry's own length).
    output_given: &'a Option<LengthSpec>,
}

type Built = (Arc<dyn RequestSource>, String);

/// Prompts from a dataset file.
fn dataset(
    w: &WorkloadArgs,
    d: &str,
    tokenizer: &Tokenizer,
    seed: u64,
    l: &Lengths<'_>,
) -> anyhow::Result<Built> {
    let r: DatasetRef = d.parse().map_err(anyhow::Error::msg)?;
    let sampling: Sampling = w
        .dataset_sampling
        .parse()
        .map_err(anyhow::Error::msg)
        .context("--dataset-sampling")?;
    let (min_input, max_input) = filter(&w.filter_input_tokens, "--filter-input-tokens")?;
    let (min_output, max_output) = filter(&w.filter_output_tokens, "--filter-output-tokens")?;
    let f = LengthFilter {
        min_input,
        max_input,
        min_output,
        max_output,
    };
    let ds = headroom_workload::dataset::load(&r, tokenizer, &f)?;
    let label = format!(
        "dataset {r} ({sampling}; {} usable of {} read, {} skipped, {} outside the length filter)",
        ds.entries.len(),
        ds.read,
        ds.skipped,
        ds.filtered
    );
    let src = DatasetSource::new(
        Arc::new(ds),
        sampling,
        seed,
        l.output_given.clone(),
        l.output.clone(),
    );
    Ok((Arc::new(src), label))
}

/// Prompts the composer writes: a trace's, conversations, or single synthetic prompts.
fn composed(
    w: &WorkloadArgs,
    composer: Arc<Composer>,
    prefix: Option<PrefixSpec>,
    seed: u64,
    l: &Lengths<'_>,
) -> anyhow::Result<Built> {
    if let Some(t) = &w.trace {
        if !(w.trace_speedup.is_finite() && w.trace_speedup > 0.0) {
            bail!(
                "--trace-speedup must be a positive number, got {}",
                w.trace_speedup
            );
        }
        let r: TraceRef = t.parse().map_err(anyhow::Error::msg)?;
        let trace = headroom_workload::trace::load(&r)?;
        let faster = if w.trace_speedup != 1.0 {
            format!(", replayed {}x faster", w.trace_speedup)
        } else {
            String::new()
        };
        let label = format!(
            "trace {r} ({} arrivals over {:.1} s, {:.2} req/s{faster})",
            trace.entries.len(),
            trace.duration_us() as f64 / 1e6,
            trace.mean_rate(),
        );
        return Ok((
            Arc::new(TraceSource::new(Arc::new(trace), composer, seed)),
            label,
        ));
    }
    let (input, output) = (l.input.clone(), l.output.clone());
    if let Some(turns) = w.conversation_turns {
        let mut src = ConversationSource::new(composer, input, output, seed, turns);
        if let Some(p) = prefix {
            src = src.with_prefix(p);
        }
        return Ok((
            Arc::new(src),
            format!("synthetic conversations of {turns} turns"),
        ));
    }
    let mut src = SyntheticSource::new(composer, input, output, seed);
    if let Some(p) = prefix {
        src = src.with_prefix(p);
    }
    Ok((Arc::new(src), "synthetic".to_string()))
}
