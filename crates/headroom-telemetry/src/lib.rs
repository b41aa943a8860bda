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
//! - [`sample`]: one line of `telemetry.jsonl`.
//! - [`figures`]: a run's window as the server saw it ([`ServerFigures`]): latency
//!   percentiles from the histograms, gauges' mean and peak, counters' growth.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod engine;
pub mod figures;
pub mod gpu;
pub mod hist;
pub mod prom;
pub mod sample;

pub use engine::{Engine, ServerSnapshot};
pub use figures::{GaugeFigures, LatencyFigures, ServerFigures};
pub use gpu::{GpuFigures, GpuReading, GpuWindow};
pub use hist::Buckets;
pub use sample::{Source, TelemetrySample};
