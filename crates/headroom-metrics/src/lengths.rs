//! Requested versus delivered lengths: what the workload asked for against what the server
//! counted and generated.

use headroom_core::{RequestRecord, TokenSource};
use serde::{Deserialize, Serialize};
use std::ops::AddAssign;

/// Requested versus delivered token counts of completed measured requests.
///
/// The prompt side compares the workload's own count of the prompt it generated
/// (`requested_input_tokens`) with the server's usage count of the same requests: the
/// difference is the chat template or a different tokenizer. The output side compares
/// `max_tokens` with the tokens generated: requests that delivered fewer ended early (EOS
/// without `ignore_eos`, a stop sequence, ...). Sums are exact and merge with `+=`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Lengths {
    /// Completed measured requests.
    pub requests: u64,
    /// Of those, requests whose record carries the workload's prompt length.
    pub with_requested_input: u64,
    /// Prompt tokens the workload asked for, summed over `with_requested_input` requests.
    pub requested_input: u64,
    /// Of the `with_requested_input` requests, those whose prompt count is the server's
    /// usage.
    pub with_usage: u64,
    /// Prompt tokens the workload asked for, summed over the `with_usage` requests.
    pub requested_input_with_usage: u64,
    /// Prompt tokens the server counted, summed over the `with_usage` requests.
    pub served_input: u64,
    /// `max_tokens` asked for, summed over all `requests`.
    pub requested_output: u64,
    /// Tokens generated, summed over all `requests`.
    pub delivered_output: u64,
    /// Requests that generated fewer tokens than `max_tokens`.
    pub ended_early: u64,
}

impl Lengths {
    /// Adds one completed measured request.
    pub fn record(&mut self, record: &RequestRecord) {
        self.requests += 1;
        if let Some(req) = record.requested_input_tokens {
            self.with_requested_input += 1;
            self.requested_input += req as u64;
            if record.input_tokens_source == TokenSource::Usage {
                self.with_usage += 1;
                self.requested_input_with_usage += req as u64;
                self.served_input += record.input_tokens as u64;
            }
        }
        self.requested_output += record.max_tokens as u64;
        self.delivered_output += record.output_tokens as u64;
        if record.output_tokens < record.max_tokens {
            self.ended_early += 1;
        }
    }

    /// Mean prompt tokens the workload asked for; `None` when no record carried it
    /// (journals of older versions).
    pub fn requested_input_mean(&self) -> Option<f64> {
        ratio(self.requested_input, self.with_requested_input)
    }

    /// Mean prompt tokens the server counted, over the requests with usage; `None` when
    /// the server sent no usage.
    pub fn served_input_mean(&self) -> Option<f64> {
        ratio(self.served_input, self.with_usage)
    }

    /// Mean of (server count − requested count) per request with usage: the chat template
    /// or a tokenizer difference. `None` when the server sent no usage.
    pub fn input_overhead_mean(&self) -> Option<f64> {
        let diff = self.served_input as f64 - self.requested_input_with_usage as f64;
        (self.with_usage > 0).then(|| diff / self.with_usage as f64)
    }

    /// Mean `max_tokens` asked for (0 without requests).
    pub fn requested_output_mean(&self) -> f64 {
        ratio(self.requested_output, self.requests).unwrap_or(0.0)
    }

    /// Mean tokens generated (0 without requests).
    pub fn delivered_output_mean(&self) -> f64 {
        ratio(self.delivered_output, self.requests).unwrap_or(0.0)
    }

    /// Share of requests, 0 to 1, that generated fewer tokens than `max_tokens` (0
    /// without requests).
    pub fn short_output_share(&self) -> f64 {
        ratio(self.ended_early, self.requests).unwrap_or(0.0)
    }
}

/// `num / den`, `None` when `den` is 0.
fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

impl AddAssign<&Lengths> for Lengths {
    /// Exact merge: every sum and count adds.
    fn add_assign(&mut self, o: &Lengths) {
        self.requests += o.requests;
        self.with_requested_input += o.with_requested_input;
        self.requested_input += o.requested_input;
        self.with_usage += o.with_usage;
        self.requested_input_with_usage += o.requested_input_with_usage;
        self.served_input += o.served_input;
        self.requested_output += o.requested_output;
        self.delivered_output += o.delivered_output;
        self.ended_early += o.ended_early;
    }
}
