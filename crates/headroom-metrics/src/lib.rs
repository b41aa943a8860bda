//! Metrics for headroom: exact, mergeable distributions and run summaries.
//!
//! Pure computation: no I/O, no async. A [`Recorder`] folds [`RequestRecord`]s into a
//! [`Summary`]; summaries merge with `+=` exactly (HDR histograms add bucket by bucket,
//! sums and extremes combine), so workers, repeats and shards from several load
//! generators give the same numbers as one big run.
//!
//! # Definitions
//!
//! The one meaning of each metric (see the README's "Definitions"):
//!
//! - **TTFT**: send → first chunk carrying generated content.
//! - **ITL**: gap between consecutive content chunks (`itl`), and that gap divided by the
//!   tokens the later chunk carried, once per token (`itl_per_token`).
//! - **TPOT**: (E2E − TTFT) / (output tokens − 1), per request with ≥ 2 output tokens.
//! - **E2E**: send → end of response.
//! - **Scheduling lag**: intended send time → actual send time (open loop).
//! - **From intended**: TTFT and E2E measured from the intended send time (open loop),
//!   free of coordinated omission.
//! - **Measurement window**: from the first measured send to the last measured end;
//!   throughput is completed measured work divided by its length.
//! - **Requested vs delivered lengths** ([`Lengths`]): the workload's prompt length
//!   against the server's usage count (the difference is the chat template or another
//!   tokenizer), `max_tokens` against the tokens generated (fewer: ended early).
//! - **Cold / warm prefix** ([`PrefixCache`]): within a prefix group, a request is cold if
//!   it was sent before the group's first token existed (before send + TTFT of the
//!   group's earliest-sent completed request, which is itself cold), otherwise warm.
//! - **Per turn** ([`TurnStats`]): TTFT, E2E and prompt length by conversation turn.
//!
//! # Judging runs
//!
//! [`slo`] parses service-level objectives (`p95(e2e)<=3s`, `errors<=1%`,
//! `goodput>=10/s`), decides which requests count towards goodput, and judges a load
//! level's repeats against each SLO as pass, inconclusive or fail, with the confidence
//! intervals of [`confidence`].
//!
//! # Comparing runs
//!
//! [`significance`] tells whether a difference between a baseline and a candidate
//! (percentiles, means, per-repeat throughput) is real or within noise: confidence
//! intervals of the difference, percentiles by an exact bootstrap from the histograms.
//! [`gate`] parses `--fail-if` expressions (`p95(e2e) > +10%`, `throughput < -5%`,
//! `errors > 1%`) that turn a comparison into a CI gate. A bad SLO or gate is an
//! [`ExpressionError`] that shows the expression with a caret under the problem.
//!
//! # Over time
//!
//! [`steady`] finds where a run settles: the start-up transient of a series (MSER-5),
//! which a sequential capacity level leaves out of its verdict.
//!
//! [`timeline`] bins a run by time (throughput, latency percentiles, requests in
//! flight), record by record as the run goes or from a journal read back.
//!
//! Latency distributions hold completed (`Ok`) measured requests only; failures are
//! counted by kind. Percentiles are nearest-rank over HDR histograms with 3 significant
//! digits (relative error ≤ 0.1 %).
//!
//! [`RequestRecord`]: headroom_core::RequestRecord
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod confidence;
mod dist;
mod expr;
pub mod gate;
mod lengths;
mod prefix;
pub mod significance;
pub mod slo;
pub mod steady;
mod summary;
pub mod timeline;
mod turns;
mod window;

pub use confidence::Interval;
pub use dist::{Dist, DistError, Stats, Unit};
pub use expr::ExpressionError;
pub use lengths::Lengths;
pub use prefix::PrefixCache;
pub use slo::{Slo, SloSet, Verdict};
pub use summary::{Counts, Metric, Recorder, Summary, Throughput, TokenTotals};
pub use turns::TurnStats;
pub use window::Windows;
