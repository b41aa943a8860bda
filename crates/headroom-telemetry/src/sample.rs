//! One line of `telemetry.jsonl`: what one source said at one moment, on the run's clock.

use crate::engine::ServerSnapshot;
use serde::{Deserialize, Serialize};

/// Where a sample came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The server's Prometheus `/metrics`.
    Server,
}

/// One sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TelemetrySample {
    /// When it was taken: µs on the run's clock, the one of the request records'
    /// `send_us` (negative: before the run's start).
    pub t_us: i64,
    /// The source.
    pub source: Source,
    /// A server's scrape, mapped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerSnapshot>,
    /// Why the sample could not be taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TelemetrySample {
    /// A server scrape at `t_us`.
    pub fn server(t_us: i64, snapshot: ServerSnapshot) -> Self {
        TelemetrySample {
            t_us,
            source: Source::Server,
            server: Some(snapshot),
            error: None,
        }
    }

    /// A server scrape at `t_us` that failed with `error`.
    pub fn failed(t_us: i64, error: String) -> Self {
        TelemetrySample {
            t_us,
            source: Source::Server,
            server: None,
            error: Some(error),
        }
    }

    /// A server sample, taken or failed.
    pub fn is_server(&self) -> bool {
        self.source == Source::Server
    }
}
