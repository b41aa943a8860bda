//! The named constants of the cost model: defaults per architecture, overridable one by
//! one with `--perf NAME=VALUE`, each documented in `docs/simulator.md`.

use crate::catalog::Arch;
use serde::Serialize;

/// The named constants of the cost model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerfConstants {
    /// Fraction of peak FLOPs reached by prefill (from the architecture).
    pub mfu_prefill: f64,
    /// Fraction of peak FLOPs reached by decode (from the architecture).
    pub mfu_decode: f64,
    /// Fraction of datasheet bandwidth reached (from the architecture).
    pub bw_efficiency: f64,
    /// CPU time per step: scheduling, input preparation, sampling, output processing, µs.
    pub step_overhead_us: f64,
    /// CPU time per scheduled request per step, µs.
    pub request_overhead_us: f64,
    /// GPU time per layer per step that does not shrink with the batch (kernel launches
    /// and small kernels), µs.
    pub layer_overhead_us: f64,
    /// Memory outside weights, activations and KV: CUDA context, CUDA graphs, NCCL,
    /// allocator slack, GiB.
    pub non_torch_gib: f64,
    /// Multiplier on the estimated activation peak of the profiling pass.
    pub activation_factor: f64,
    /// Share of 16-bit peak reached by INT4 weights (AWQ/GPTQ, dequantised in Marlin
    /// kernels).
    pub int4_compute_efficiency: f64,
    /// Bandwidth factor of INT4 weight reads (scales, zero points, unpacking).
    pub int4_bw_factor: f64,
    /// Share of 16-bit peak reached by MXFP4 weights on GPUs without FP4 tensor cores
    /// (Triton kernels).
    pub fp4_compute_efficiency: f64,
    /// Bandwidth factor of MXFP4 weight reads on GPUs without FP4 tensor cores.
    pub fp4_bw_factor: f64,
    /// Tensor-parallel link bandwidth per direction, GB/s.
    pub tp_link_gbs: f64,
    /// Fixed latency of one all-reduce, µs.
    pub allreduce_latency_us: f64,
    /// Relative standard deviation of seeded multiplicative noise on step times (0: none).
    pub jitter: f64,
    /// Round trip between client and server in `predict` (virtual time), µs: a request
    /// reaches the engine half of it after it is sent, a token reaches the client half of
    /// it after it is emitted. Not used by the HTTP front, which has a real network.
    pub network_rtt_us: f64,
}

impl PerfConstants {
    /// Defaults for an architecture.
    pub fn defaults(arch: &Arch) -> Self {
        PerfConstants {
            mfu_prefill: arch.mfu_prefill,
            mfu_decode: arch.mfu_decode,
            bw_efficiency: arch.bw_efficiency,
            step_overhead_us: 1_500.0,
            request_overhead_us: 10.0,
            layer_overhead_us: 12.0,
            non_torch_gib: 0.6,
            activation_factor: 1.22,
            int4_compute_efficiency: 0.9,
            int4_bw_factor: 0.95,
            fp4_compute_efficiency: 0.4,
            fp4_bw_factor: 0.7,
            tp_link_gbs: 25.0,
            allreduce_latency_us: 8.0,
            jitter: 0.0,
            network_rtt_us: 300.0,
        }
    }

    /// Every constant's name, value and meaning.
    pub fn describe(&self) -> Vec<(&'static str, f64, &'static str)> {
        vec![
            (
                "mfu_prefill",
                self.mfu_prefill,
                "fraction of peak FLOPs reached by prefill",
            ),
            (
                "mfu_decode",
                self.mfu_decode,
                "fraction of peak FLOPs reached by decode",
            ),
            (
                "bw_efficiency",
                self.bw_efficiency,
                "fraction of datasheet memory bandwidth reached",
            ),
            (
                "step_overhead_us",
                self.step_overhead_us,
                "CPU time per engine step, µs",
            ),
            (
                "request_overhead_us",
                self.request_overhead_us,
                "CPU time per scheduled request per step, µs",
            ),
            (
                "layer_overhead_us",
                self.layer_overhead_us,
                "fixed GPU time per layer per step, µs",
            ),
            (
                "non_torch_gib",
                self.non_torch_gib,
                "memory outside weights/activations/KV, GiB",
            ),
            (
                "activation_factor",
                self.activation_factor,
                "multiplier on the profiling activation peak",
            ),
            (
                "int4_compute_efficiency",
                self.int4_compute_efficiency,
                "share of 16-bit peak reached by AWQ/GPTQ weights",
            ),
            (
                "int4_bw_factor",
                self.int4_bw_factor,
                "bandwidth factor of AWQ/GPTQ weight reads",
            ),
            (
                "fp4_compute_efficiency",
                self.fp4_compute_efficiency,
                "share of 16-bit peak reached by MXFP4 without FP4 tensor cores",
            ),
            (
                "fp4_bw_factor",
                self.fp4_bw_factor,
                "bandwidth factor of MXFP4 reads without FP4 tensor cores",
            ),
            (
                "tp_link_gbs",
                self.tp_link_gbs,
                "tensor-parallel link bandwidth, GB/s",
            ),
            (
                "allreduce_latency_us",
                self.allreduce_latency_us,
                "fixed latency of one all-reduce, µs",
            ),
            (
                "jitter",
                self.jitter,
                "relative std-dev of seeded step-time noise",
            ),
            (
                "network_rtt_us",
                self.network_rtt_us,
                "client-server round trip in predict, µs",
            ),
        ]
    }

    /// Sets a constant by name.
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), ConstantError> {
        let slot = match name {
            "mfu_prefill" => &mut self.mfu_prefill,
            "mfu_decode" => &mut self.mfu_decode,
            "bw_efficiency" => &mut self.bw_efficiency,
            "step_overhead_us" => &mut self.step_overhead_us,
            "request_overhead_us" => &mut self.request_overhead_us,
            "layer_overhead_us" => &mut self.layer_overhead_us,
            "non_torch_gib" => &mut self.non_torch_gib,
            "activation_factor" => &mut self.activation_factor,
            "int4_compute_efficiency" => &mut self.int4_compute_efficiency,
            "int4_bw_factor" => &mut self.int4_bw_factor,
            "fp4_compute_efficiency" => &mut self.fp4_compute_efficiency,
            "fp4_bw_factor" => &mut self.fp4_bw_factor,
            "tp_link_gbs" => &mut self.tp_link_gbs,
            "allreduce_latency_us" => &mut self.allreduce_latency_us,
            "jitter" => &mut self.jitter,
            "network_rtt_us" => &mut self.network_rtt_us,
            _ => {
                return Err(ConstantError::Unknown {
                    name: name.to_string(),
                    known: self.describe().iter().map(|d| d.0).collect(),
                });
            }
        };
        if !(value.is_finite() && value >= 0.0) {
            return Err(ConstantError::Negative {
                name: name.to_string(),
                value,
            });
        }
        *slot = value;
        Ok(())
    }
}

/// A `--perf NAME=VALUE` that cannot be set ([`PerfConstants::set`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConstantError {
    /// No constant has that name.
    #[error("unknown constant {name:?}; known: {}", known.join(", "))]
    Unknown {
        /// The name given.
        name: String,
        /// The constants' names.
        known: Vec<&'static str>,
    },
    /// The value is negative or not finite.
    #[error("{name} must be a non-negative number, got {value}")]
    Negative {
        /// The constant.
        name: String,
        /// The value given.
        value: f64,
    },
}
