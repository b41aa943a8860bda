//! What a server says about itself, beside what the client measured.
//!
//! Pure: parsing, mapping and arithmetic, no I/O (the jobs crate scrapes on its own task
//! and writes `telemetry.jsonl` through the results crate).
//!
//! - [`prom`]: the Prometheus text exposition format (0.0.4, tolerant of OpenMetrics).
//! - [`engine`]: which metrics mean what for vLLM, SGLang, TGI, llama.cpp and
//!   TensorRT-LLM, detected from the names; one [`ServerSnapshot`] per scrape.
//! - [`hist`]: a server's histograms, their growth over a window and its quantiles.
//! - [`gpu`]: the GPUs (NVML readings, a DCGM exporter's series) and their window.
//! - [`host`]: the machine's memory and the server's processes (`/proc`).
//! - [`sample`]: one line of `telemetry.jsonl`.
//! - [`figures`]: a run's window as the server saw it ([`ServerFigures`]): latency
//!   percentiles from the histograms, gauges' mean and peak, counters' growth.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod engine;
pub mod figures;
pub mod gpu;
pub mod hist;
pub mod host;
pub mod prom;
pub mod sample;

pub use engine::{Engine, ServerSnapshot};
pub use figures::{GaugeFigures, LatencyFigures, ServerFigures};
pub use gpu::{GpuFigures, GpuReading, GpuWindow};
pub use hist::Buckets;
pub use host::{HostFigures, HostReading};
pub use sample::{Source, TelemetrySample};

/// Two runs' values of one figure combined by `f` (add, max, weigh); either alone when
/// the other run has none.
pub(crate) fn combine(a: Option<f64>, b: Option<f64>, f: impl Fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(f(x, y)),
        (x, y) => x.or(y),
    }
}

/// Everything a run's telemetry says over its measurement window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowFigures {
    /// The server's own view.
    pub server: Option<ServerFigures>,
    /// The GPUs.
    pub gpu: Option<GpuFigures>,
    /// The host and the server's processes.
    pub host: Option<HostFigures>,
}

impl WindowFigures {
    /// The figures of a run's `samples` over its measurement window `[start, end)`, in µs
    /// since the Unix epoch (as summaries keep windows), for a run that started at
    /// `epoch_unix_us` (the zero of the samples' clock).
    pub fn over_run(
        samples: &[TelemetrySample],
        (start, end): (u64, u64),
        epoch_unix_us: u64,
    ) -> Self {
        let on_run_clock = |t: u64| t as i64 - epoch_unix_us as i64;
        let (from, to) = (on_run_clock(start), on_run_clock(end));
        WindowFigures {
            server: ServerFigures::over(samples, from, to),
            gpu: GpuFigures::over(samples, from, to),
            host: HostFigures::over(samples, from, to),
        }
    }
}
