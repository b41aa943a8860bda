//! The workload settings, and the request source they build: synthetic prompts, a
//! dataset, a trace, shared prefixes or conversations, with the manifest's description.

use crate::settings::SettingsError;
use headroom_core::{Conversation, LengthSpec, RequestSource, WorkloadSpec};
use headroom_workload::{
    AnySource, Composer, ConversationSource, DatasetRef, DatasetSource, LengthFilter, Pool,
    PrefixSpec, Sampling, SyntheticSource, Tokenizer, TraceRef, TraceSource,
};
use std::sync::Arc;
use std::time::Duration;

/// What the requests look like, as the user gave it (flags, or a file later). Every
/// field means the same wherever it is given: `run`, `predict`, `sweep`, `capacity`,
/// `profile`.
#[derive(Debug, Clone)]
pub struct WorkloadOptions {
    /// `--input-tokens`: prompt length [default: 200:20].
    pub input_tokens: Option<LengthSpec>,
    /// `--output-tokens`: output length (max_tokens) [default: 100:10].
    pub output_tokens: Option<LengthSpec>,
    /// `--long-context`: prompts of exactly this length, 128 output tokens.
    pub long_context: Option<LengthSpec>,
    /// `--tokenizer`: name, path or cached Hugging Face id [default: cl100k_base].
    pub tokenizer: Option<String>,
    /// `--dataset`: prompts from a file.
    pub dataset: Option<DatasetRef>,
    /// `--dataset-sampling`.
    pub dataset_sampling: Sampling,
    /// `--filter-input-tokens MIN..MAX`.
    pub filter_input_tokens: Option<(u32, u32)>,
    /// `--filter-output-tokens MIN..MAX`.
    pub filter_output_tokens: Option<(u32, u32)>,
    /// `--num-prompts`: distinct prompts, request i using prompt i % N.
    pub num_prompts: Option<u64>,
    /// `--prefix-tokens`: a shared prefix of N tokens.
    pub prefix_tokens: Option<u32>,
    /// `--prefix-groups`: distinct shared prefixes.
    pub prefix_groups: Option<u32>,
    /// `--conversation-turns`: multi-turn conversations of T turns.
    pub conversation_turns: Option<u32>,
    /// `--think-time`: pause between a response and the next turn.
    pub think_time: Option<Duration>,
    /// `--trace`: replay timed arrivals.
    pub trace: Option<TraceRef>,
    /// `--trace-speedup`.
    pub trace_speedup: f64,
    /// `--synthetic-input-tokens-mean` and `-stddev` (genai-perf's names).
    pub synthetic_input_tokens: Option<(u32, f64)>,
    /// `--output-tokens-mean` and `-stddev` (genai-perf's names).
    pub output_tokens_mean: Option<(u32, f64)>,
    /// `--ignore-eos`: every output runs to its full length (recorded in the workload's
    /// description; the client sends it).
    pub ignore_eos: bool,
}

impl Default for WorkloadOptions {
    fn default() -> Self {
        WorkloadOptions {
            input_tokens: None,
            output_tokens: None,
            long_context: None,
            tokenizer: None,
            dataset: None,
            dataset_sampling: Sampling::Shuffle,
            filter_input_tokens: None,
            filter_output_tokens: None,
            num_prompts: None,
            prefix_tokens: None,
            prefix_groups: None,
            conversation_turns: None,
            think_time: None,
            trace: None,
            trace_speedup: 1.0,
            synthetic_input_tokens: None,
            output_tokens_mean: None,
            ignore_eos: false,
        }
    }
}

/// A built workload: the source of requests and how the results describe it.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Request `i` of the run.
    pub source: AnySource,
    /// The manifest's description.
    pub spec: WorkloadSpec,
    /// Counts and writes prompts; the embedded simulator counts with it too.
    pub tokenizer: Arc<Tokenizer>,
    /// Multi-turn conversations, when the workload has them.
    pub conversation: Option<Conversation>,
    /// Trace replay: the speed-up.
    pub trace_speedup: Option<f64>,
}

/// The default prompt length: it varies a little, like real traffic.
const DEFAULT_INPUT: LengthSpec = LengthSpec::Normal {
    mean: 200.0,
    stddev: 20.0,
};
/// The default output length.
const DEFAULT_OUTPUT: LengthSpec = LengthSpec::Normal {
    mean: 100.0,
    stddev: 10.0,
};

impl Workload {
    /// Builds the workload `o` describes with `seed`: reads datasets and traces, resolves
    /// the tokenizer. Every problem is a [`SettingsError`] naming the setting.
    pub fn build(o: &WorkloadOptions, seed: u64) -> Result<Workload, SettingsError> {
        check(o)?;
        let tokenizer = Arc::new(match &o.tokenizer {
            None => Tokenizer::default_builtin(),
            Some(t) => Tokenizer::resolve(t)?,
        });
        let input = match (&o.long_context, &o.input_tokens, o.synthetic_input_tokens) {
            (Some(l), _, _) => l.clone(),
            (None, Some(i), _) => i.clone(),
            (None, None, Some((mean, sd))) => normal(mean, sd, "--synthetic-input-tokens-mean")?,
            (None, None, None) => DEFAULT_INPUT,
        };
        let output_given = match (&o.output_tokens, o.output_tokens_mean) {
            (Some(out), _) => Some(out.clone()),
            (None, Some((mean, sd))) => Some(normal(mean, sd, "--output-tokens-mean")?),
            (None, None) => o.long_context.as_ref().map(|_| LengthSpec::Fixed(128)),
        };
        let output = output_given.clone().unwrap_or(DEFAULT_OUTPUT);
        let prefix = o.prefix_tokens.map(|tokens| PrefixSpec {
            tokens,
            groups: o.prefix_groups.unwrap_or(1),
        });
        let lengths = Lengths {
            input: &input,
            output: &output,
            output_given: &output_given,
        };
        let (source, label, composer) = match &o.dataset {
            Some(d) => {
                let (source, label) = dataset(o, d, &tokenizer, seed, &lengths)?;
                (source, label, None)
            }
            None => {
                let composer = Arc::new(Composer::new(tokenizer.clone()));
                let (source, label) = composed(o, composer.clone(), prefix, seed, &lengths)?;
                (source, label, Some(composer))
            }
        };
        let source: Arc<dyn RequestSource> = match o.num_prompts {
            Some(n) => Arc::new(Pool::new(AnySource(source), n)),
            None => source,
        };
        let spec = WorkloadSpec {
            input_tokens: input,
            output_tokens: output,
            tokenizer: headroom_core::TokenCounter::name(&*tokenizer).to_string(),
            source: Some(label),
            exact_lengths: composer.as_ref().map(|c| c.is_exact()),
            num_prompts: o.num_prompts,
            prefix_tokens: prefix.map(|p| p.tokens),
            prefix_groups: prefix.map(|p| p.groups),
            ignore_eos: o.ignore_eos,
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
            conversation: o.conversation_turns.map(|turns| Conversation {
                turns,
                think_time: o.think_time.unwrap_or_default(),
            }),
            trace_speedup: o.trace.as_ref().map(|_| o.trace_speedup),
        })
    }
}

/// The checks of single values that clap cannot express.
fn check(o: &WorkloadOptions) -> Result<(), SettingsError> {
    let at_least_one = [
        ("--num-prompts", o.num_prompts.map(|n| n as f64)),
        ("--prefix-tokens", o.prefix_tokens.map(f64::from)),
        ("--prefix-groups", o.prefix_groups.map(f64::from)),
        ("--conversation-turns", o.conversation_turns.map(f64::from)),
    ];
    for (flag, v) in at_least_one {
        if v == Some(0.0) {
            return Err(SettingsError::new(format!("{flag} must be at least 1")));
        }
    }
    if o.trace.is_some() && !(o.trace_speedup.is_finite() && o.trace_speedup > 0.0) {
        return Err(SettingsError::new(format!(
            "--trace-speedup must be a positive number, got {}",
            o.trace_speedup
        )));
    }
    Ok(())
}

/// genai-perf's mean and standard deviation as a length distribution.
fn normal(mean: u32, stddev: f64, flag: &str) -> Result<LengthSpec, SettingsError> {
    if mean == 0 || !(stddev.is_finite() && stddev >= 0.0) {
        return Err(SettingsError::new(format!(
            "{flag} must be at least 1 and its stddev non-negative"
        )));
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
    o: &WorkloadOptions,
    d: &DatasetRef,
    tokenizer: &Tokenizer,
    seed: u64,
    l: &Lengths<'_>,
) -> Result<Built, SettingsError> {
    let filter = LengthFilter {
        min_input: o.filter_input_tokens.map(|r| r.0),
        max_input: o.filter_input_tokens.map(|r| r.1),
        min_output: o.filter_output_tokens.map(|r| r.0),
        max_output: o.filter_output_tokens.map(|r| r.1),
    };
    let ds = headroom_workload::dataset::load(d, tokenizer, &filter)?;
    let sampling = o.dataset_sampling;
    let label = format!(
        "dataset {d} ({sampling}; {} usable of {} read, {} skipped, {} outside the length filter)",
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
    o: &WorkloadOptions,
    composer: Arc<Composer>,
    prefix: Option<PrefixSpec>,
    seed: u64,
    l: &Lengths<'_>,
) -> Result<Built, SettingsError> {
    if let Some(r) = &o.trace {
        let trace = headroom_workload::trace::load(r)?;
        let faster = if o.trace_speedup != 1.0 {
            format!(", replayed {}x faster", o.trace_speedup)
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
    if let Some(turns) = o.conversation_turns {
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
