//! The resolved scenario: everything that decides what a run measures, serialized into
//! every result so that a run can be understood and repeated from its manifest alone.

use crate::{ApiFlavor, LengthSpec, RunPlan};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A fully resolved, validated run description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Scenario {
    /// The server and how to talk to it.
    pub target: Target,
    /// What requests look like.
    pub workload: WorkloadSpec,
    /// When requests are sent and when the run stops.
    pub plan: RunPlan,
}

/// The server under test and the request options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Target {
    /// Base URL as given (`http://host:8000`, `http://host/proxy/v1`).
    pub url: String,
    /// The full endpoint URL requests are posted to.
    pub endpoint: String,
    /// Chat or completions.
    pub api: ApiFlavor,
    /// Model name sent in each request.
    pub model: String,
    /// Streaming (SSE) or a single JSON response.
    pub stream: bool,
    /// Names of the extra headers sent (values are not recorded: they may be secrets).
    pub header_names: Vec<String>,
    /// Whether an API key was sent (the key itself is never recorded).
    pub api_key: bool,
    /// JSON object merged into every request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_body: Option<serde_json::Map<String, serde_json::Value>>,
    /// Whole-request timeout.
    #[serde(with = "crate::duration::serde_str")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub timeout: Duration,
    /// Longest silence allowed between bytes of a response before it counts as stalled.
    #[serde(with = "crate::duration::serde_str")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub stall_timeout: Duration,
}

/// The requests' shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WorkloadSpec {
    /// Prompt length distribution, in tokens of `tokenizer`.
    pub input_tokens: LengthSpec,
    /// Output length distribution (`max_tokens`).
    pub output_tokens: LengthSpec,
    /// The tokenizer used to build prompts and to count tokens the server did not report.
    pub tokenizer: String,
    /// Where prompts come from: `synthetic`, `dataset FORMAT:PATH (...)` or
    /// `trace FORMAT:PATH (...)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `true` when prompt lengths are exact by construction for this tokenizer (the
    /// composer's self-check passed); `false` when each prompt was tokenized and corrected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_lengths: Option<bool>,
    /// Distinct prompts; request `i` uses prompt `i % num_prompts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_prompts: Option<u64>,
    /// Tokens of each shared prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_tokens: Option<u32>,
    /// Distinct shared prefixes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_groups: Option<u32>,
    /// `ignore_eos` and `min_tokens` were sent to force the full output length.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignore_eos: bool,
}
