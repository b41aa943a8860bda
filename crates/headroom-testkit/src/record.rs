//! [`RequestRecord`]s for test fixtures, without writing out all eighteen fields.
//!
//! [`record`] starts from a completed, measured request sent and ended at time 0 that
//! carried nothing: the server counted its (zero) output tokens, the workload its (zero)
//! prompt tokens, it was answered with HTTP 200 and has no `finish_reason`. A fixture
//! states only what it is about:
//!
//! ```
//! use headroom_testkit::record;
//!
//! let r = record(3)
//!     .sent_at(1_000_000)
//!     .content_us(vec![50_000, 60_000])
//!     .e2e_us(70_000)
//!     .output_tokens(2)
//!     .build();
//! assert_eq!((r.ttft_us(), r.e2e_us(), r.end_us), (Some(50_000), Some(70_000), Some(1_070_000)));
//! ```

use headroom_core::{ErrorKind, Outcome, Phase, RequestRecord, Tags, TokenSource};

/// A completed, measured request number `index`; see the [module](self) for the
/// defaults.
pub fn record(index: u64) -> RecordBuilder {
    RecordBuilder {
        record: RequestRecord {
            index,
            phase: Phase::Measure,
            intended_us: None,
            send_us: Some(0),
            end_us: Some(0),
            content_us: Vec::new(),
            content_tokens: Vec::new(),
            input_tokens: 0,
            input_tokens_source: TokenSource::Workload,
            output_tokens: 0,
            output_tokens_source: TokenSource::Usage,
            output_tokens_counted: None,
            max_tokens: 0,
            requested_input_tokens: None,
            tags: Tags::default(),
            http_status: Some(200),
            finish_reason: None,
            outcome: Outcome::Ok,
        },
        e2e_us: None,
    }
}

/// Builds a [`RequestRecord`] field by field; [`RecordBuilder::build`] returns it.
#[derive(Debug, Clone)]
#[must_use]
pub struct RecordBuilder {
    record: RequestRecord,
    /// End relative to the send time, applied when built (so the order of the calls
    /// does not matter).
    e2e_us: Option<u64>,
}

impl RecordBuilder {
    /// Warmup or measured.
    pub fn phase(mut self, phase: Phase) -> Self {
        self.record.phase = phase;
        self
    }

    /// Open loop: when the schedule wanted it sent (a time, or an `Option` passed on).
    pub fn intended_us(mut self, intended_us: impl Into<Option<u64>>) -> Self {
        self.record.intended_us = intended_us.into();
        self
    }

    /// When it was sent (µs since the run epoch).
    pub fn sent_at(mut self, send_us: u64) -> Self {
        self.record.send_us = Some(send_us);
        self
    }

    /// When it ended (µs since the run epoch).
    pub fn ended_at(mut self, end_us: u64) -> Self {
        self.record.end_us = Some(end_us);
        self.e2e_us = None;
        self
    }

    /// Its end-to-end latency: it ends this long after its send time.
    pub fn e2e_us(mut self, e2e_us: u64) -> Self {
        self.e2e_us = Some(e2e_us);
        self
    }

    /// Arrival of each content chunk, µs after the send (the first is the TTFT).
    pub fn content_us(mut self, content_us: Vec<u64>) -> Self {
        self.record.content_us = content_us;
        self
    }

    /// Tokens carried by each content chunk (empty: one each).
    pub fn content_tokens(mut self, content_tokens: Vec<u32>) -> Self {
        self.record.content_tokens = content_tokens;
        self
    }

    /// Prompt tokens, as the workload counted them (see [`RecordBuilder::input_source`]).
    pub fn input_tokens(mut self, input_tokens: u32) -> Self {
        self.record.input_tokens = input_tokens;
        self
    }

    /// Where the prompt's count came from.
    pub fn input_source(mut self, source: TokenSource) -> Self {
        self.record.input_tokens_source = source;
        self
    }

    /// Prompt tokens the workload asked for.
    pub fn requested_input_tokens(mut self, tokens: u32) -> Self {
        self.record.requested_input_tokens = Some(tokens);
        self
    }

    /// Generated tokens, as the server's usage counted them; `max_tokens` too, unless
    /// [`RecordBuilder::max_tokens`] says otherwise (call it after this).
    pub fn output_tokens(mut self, output_tokens: u32) -> Self {
        self.record.output_tokens = output_tokens;
        self.record.max_tokens = output_tokens;
        self
    }

    /// `max_tokens` asked for.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.record.max_tokens = max_tokens;
        self
    }

    /// The workload's labels.
    pub fn tags(mut self, tags: Tags) -> Self {
        self.record.tags = tags;
        self
    }

    /// The HTTP status (`None`: no response head arrived).
    pub fn http_status(mut self, status: Option<u16>) -> Self {
        self.record.http_status = status;
        self
    }

    /// The server's `finish_reason`.
    pub fn finish_reason(mut self, reason: &str) -> Self {
        self.record.finish_reason = Some(reason.to_string());
        self
    }

    /// It failed with `kind` (the timings stay as given).
    pub fn failed(mut self, kind: ErrorKind, message: &str) -> Self {
        self.record.outcome = Outcome::Error {
            kind,
            message: message.to_string(),
        };
        self
    }

    /// How it ended.
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.record.outcome = outcome;
        self
    }

    /// The record.
    pub fn build(self) -> RequestRecord {
        let mut r = self.record;
        if let Some(e2e) = self.e2e_us {
            r.end_us = Some(r.send_us.unwrap_or(0) + e2e);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_a_completed_measured_request() {
        let r = record(7).build();
        assert_eq!(r.index, 7);
        assert!(r.is_ok() && r.phase == Phase::Measure);
        assert_eq!(
            (r.send_us, r.end_us, r.http_status),
            (Some(0), Some(0), Some(200))
        );
        assert_eq!(
            (r.input_tokens_source, r.output_tokens_source),
            (TokenSource::Workload, TokenSource::Usage)
        );
    }

    #[test]
    fn the_end_follows_the_send_whatever_the_order() {
        let a = record(0).e2e_us(500).sent_at(1_000).build();
        let b = record(0).sent_at(1_000).e2e_us(500).build();
        assert_eq!(a, b);
        assert_eq!(a.end_us, Some(1_500));
        assert_eq!(record(0).e2e_us(5).ended_at(9).build().end_us, Some(9));
    }

    #[test]
    fn output_sets_max_tokens_unless_told_otherwise() {
        let r = record(0).output_tokens(5).build();
        assert_eq!((r.output_tokens, r.max_tokens), (5, 5));
        let r = record(0).output_tokens(5).max_tokens(9).build();
        assert_eq!((r.output_tokens, r.max_tokens), (5, 9));
        let r = record(0).failed(ErrorKind::Timeout, "x").build();
        assert_eq!(r.outcome.error_kind(), Some(ErrorKind::Timeout));
    }
}
