//! One line of `telemetry.jsonl`: what one source said at one moment, on the run's clock.

use crate::engine::ServerSnapshot;
use crate::gpu::GpuReading;
use crate::host::HostReading;
use serde::{Deserialize, Serialize};

/// Where a sample came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The server's Prometheus `/metrics`.
    Server,
    /// The GPUs (NVML, or a DCGM exporter).
    Gpu,
    /// The machine headroom runs on (and the server's processes, with `--server-pid`).
    Host,
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
    /// The GPUs, one reading each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpus: Vec<GpuReading>,
    /// The host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostReading>,
    /// Why the sample could not be taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TelemetrySample {
    /// A server scrape at `t_us`.
    pub fn server(t_us: i64, snapshot: ServerSnapshot) -> Self {
        TelemetrySample {
            server: Some(snapshot),
            ..TelemetrySample::empty(t_us, Source::Server)
        }
    }

    /// The GPUs at `t_us`.
    pub fn gpu(t_us: i64, gpus: Vec<GpuReading>) -> Self {
        TelemetrySample {
            gpus,
            ..TelemetrySample::empty(t_us, Source::Gpu)
        }
    }

    /// The host at `t_us`.
    pub fn host(t_us: i64, host: HostReading) -> Self {
        TelemetrySample {
            host: Some(host),
            ..TelemetrySample::empty(t_us, Source::Host)
        }
    }

    /// A sample of `source` at `t_us` that could not be taken, and why.
    pub fn failed(t_us: i64, source: Source, error: String) -> Self {
        TelemetrySample {
            error: Some(error),
            ..TelemetrySample::empty(t_us, source)
        }
    }

    fn empty(t_us: i64, source: Source) -> Self {
        TelemetrySample {
            t_us,
            source,
            server: None,
            gpus: Vec::new(),
            host: None,
            error: None,
        }
    }

    /// A server sample, taken or failed.
    pub fn is_server(&self) -> bool {
        self.source == Source::Server
    }
}
