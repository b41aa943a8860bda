//! The GPUs: one reading per GPU per sample, from NVML (read by the jobs crate) or a DCGM
//! exporter's `/metrics` ([`from_dcgm`]), and what a run's window says of them
//! ([`GpuFigures`]): memory, utilisation, power and the energy spent.

use crate::combine;
use crate::prom::Exposition;
use crate::sample::TelemetrySample;
use serde::{Deserialize, Serialize};

/// One GPU at one moment.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GpuReading {
    /// The GPU's index on its machine.
    pub index: u32,
    /// Its name (`NVIDIA H100 80GB HBM3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Memory in use, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_used_bytes: Option<f64>,
    /// Memory installed, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_total_bytes: Option<f64>,
    /// Share of the last sample period a kernel ran, 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilization: Option<f64>,
    /// Board power draw, W.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_w: Option<f64>,
    /// SM clock, MHz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sm_clock_mhz: Option<f64>,
    /// Die temperature, °C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_c: Option<f64>,
}

/// A DCGM exporter's readings (`DCGM_FI_DEV_*`), one per `gpu` label.
pub fn from_dcgm(e: &Exposition) -> Vec<GpuReading> {
    const MIB: f64 = 1024.0 * 1024.0;
    let mut gpus: Vec<GpuReading> = Vec::new();
    for s in &e.samples {
        let Some(index) = s.label("gpu").and_then(|g| g.parse::<u32>().ok()) else {
            continue;
        };
        let g = match gpus.iter().position(|g| g.index == index) {
            Some(i) => &mut gpus[i],
            None => {
                gpus.push(GpuReading {
                    index,
                    ..GpuReading::default()
                });
                gpus.last_mut().unwrap_or_else(|| unreachable!())
            }
        };
        if g.name.is_none() {
            g.name = s.label("modelName").map(str::to_string);
        }
        let v = s.value;
        match s.name.as_str() {
            "DCGM_FI_DEV_FB_USED" => g.memory_used_bytes = Some(v * MIB),
            "DCGM_FI_DEV_FB_TOTAL" => g.memory_total_bytes = Some(v * MIB),
            // Without a total, used + free (+ reserved) is what is installed.
            "DCGM_FI_DEV_FB_FREE" | "DCGM_FI_DEV_FB_RESERVED" => {
                g.memory_total_bytes = Some(g.memory_total_bytes.unwrap_or(0.0) + v * MIB)
            }
            "DCGM_FI_DEV_GPU_UTIL" => g.utilization = Some(v / 100.0),
            "DCGM_FI_DEV_POWER_USAGE" => g.power_w = Some(v),
            "DCGM_FI_DEV_SM_CLOCK" => g.sm_clock_mhz = Some(v),
            "DCGM_FI_DEV_GPU_TEMP" => g.temperature_c = Some(v),
            _ => {}
        }
    }
    // FB_FREE alone is not a total: add what is used.
    for g in &mut gpus {
        if let (Some(t), Some(u)) = (g.memory_total_bytes, g.memory_used_bytes)
            && !e.samples.iter().any(|s| s.name == "DCGM_FI_DEV_FB_TOTAL")
        {
            g.memory_total_bytes = Some(t + u);
        }
    }
    gpus.sort_by_key(|g| g.index);
    gpus
}

/// One GPU over a run's window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GpuWindow {
    /// The GPU's index.
    pub index: u32,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Memory in use, the most sampled, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_used_max_bytes: Option<f64>,
    /// Memory installed, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_total_bytes: Option<f64>,
    /// Utilisation, mean over the samples, 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilization_mean: Option<f64>,
    /// Power, mean over the samples, W.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_mean_w: Option<f64>,
    /// Energy over the window (power integrated over time), J.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_j: Option<f64>,
    /// Samples inside the window.
    pub samples: u64,
}

/// The GPUs over a run's window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GpuFigures {
    /// Each GPU.
    pub gpus: Vec<GpuWindow>,
}

impl GpuFigures {
    /// The GPU samples of `samples` over `[from, to]` (µs on the run's clock); `None`
    /// without any. Energy integrates power by the trapezoid rule over the samples inside
    /// the window.
    pub fn over(samples: &[TelemetrySample], from: i64, to: i64) -> Option<GpuFigures> {
        let inside: Vec<(i64, &Vec<GpuReading>)> = samples
            .iter()
            .filter(|s| s.t_us >= from && s.t_us <= to && !s.gpus.is_empty())
            .map(|s| (s.t_us, &s.gpus))
            .collect();
        let mut indices: Vec<u32> = inside
            .iter()
            .flat_map(|(_, g)| g.iter().map(|g| g.index))
            .collect();
        indices.sort_unstable();
        indices.dedup();
        let gpus: Vec<GpuWindow> = indices
            .into_iter()
            .map(|index| {
                let series: Vec<(i64, &GpuReading)> = inside
                    .iter()
                    .filter_map(|(t, g)| Some((*t, g.iter().find(|g| g.index == index)?)))
                    .collect();
                let mean = |f: fn(&GpuReading) -> Option<f64>| {
                    let v: Vec<f64> = series.iter().filter_map(|(_, g)| f(g)).collect();
                    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
                };
                let power: Vec<(i64, f64)> = series
                    .iter()
                    .filter_map(|(t, g)| Some((*t, g.power_w?)))
                    .collect();
                let energy_j = (power.len() >= 2).then(|| {
                    power
                        .windows(2)
                        .map(|w| (w[0].1 + w[1].1) / 2.0 * (w[1].0 - w[0].0) as f64 / 1e6)
                        .sum()
                });
                GpuWindow {
                    index,
                    name: series.iter().find_map(|(_, g)| g.name.clone()),
                    memory_used_max_bytes: series
                        .iter()
                        .filter_map(|(_, g)| g.memory_used_bytes)
                        .reduce(f64::max),
                    memory_total_bytes: series.iter().find_map(|(_, g)| g.memory_total_bytes),
                    utilization_mean: mean(|g| g.utilization),
                    power_mean_w: mean(|g| g.power_w),
                    energy_j,
                    samples: series.len() as u64,
                }
            })
            .collect();
        (!gpus.is_empty()).then_some(GpuFigures { gpus })
    }

    /// Energy over the window on every GPU that reported power, J.
    pub fn energy_j(&self) -> Option<f64> {
        self.gpus
            .iter()
            .filter_map(|g| g.energy_j)
            .reduce(|a, b| a + b)
    }

    /// Adds another run's (a repeat's): energies add, peaks take the larger, means weigh
    /// by samples.
    pub fn merge(&mut self, o: &GpuFigures) {
        for g in &o.gpus {
            let Some(a) = self.gpus.iter_mut().find(|a| a.index == g.index) else {
                self.gpus.push(g.clone());
                continue;
            };
            let (m, n) = (a.samples as f64, g.samples as f64);
            let weigh = |x: f64, y: f64| (x * m + y * n) / (m + n).max(1.0);
            a.utilization_mean = combine(a.utilization_mean, g.utilization_mean, weigh);
            a.power_mean_w = combine(a.power_mean_w, g.power_mean_w, weigh);
            a.memory_used_max_bytes =
                combine(a.memory_used_max_bytes, g.memory_used_max_bytes, f64::max);
            a.energy_j = combine(a.energy_j, g.energy_j, |x, y| x + y);
            a.samples += g.samples;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prom::parse;

    const DCGM: &str = r#"
# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-b",device="nvidia1",modelName="NVIDIA H100 80GB HBM3",Hostname="h"} 40
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="h"} 97
DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA H100 80GB HBM3"} 73000
DCGM_FI_DEV_FB_FREE{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA H100 80GB HBM3"} 8000
DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA H100 80GB HBM3"} 612.5
DCGM_FI_DEV_SM_CLOCK{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA H100 80GB HBM3"} 1980
DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-a",device="nvidia0",modelName="NVIDIA H100 80GB HBM3"} 61
"#;

    #[test]
    fn reads_a_dcgm_exporter_per_gpu() {
        let gpus = from_dcgm(&parse(DCGM));
        assert_eq!(gpus.len(), 2);
        let g = &gpus[0];
        assert_eq!(g.index, 0);
        assert_eq!(g.name.as_deref(), Some("NVIDIA H100 80GB HBM3"));
        assert_eq!(g.utilization, Some(0.97));
        assert_eq!(g.memory_used_bytes, Some(73_000.0 * 1024.0 * 1024.0));
        assert_eq!(g.memory_total_bytes, Some(81_000.0 * 1024.0 * 1024.0));
        assert_eq!(
            (g.power_w, g.sm_clock_mhz, g.temperature_c),
            (Some(612.5), Some(1980.0), Some(61.0))
        );
        assert_eq!(gpus[1].utilization, Some(0.4));
    }

    #[test]
    fn energy_is_power_integrated_over_the_window() {
        let at = |t: i64, w: f64, used: f64| {
            TelemetrySample::gpu(
                t,
                vec![GpuReading {
                    index: 0,
                    power_w: Some(w),
                    memory_used_bytes: Some(used),
                    utilization: Some(0.5),
                    ..GpuReading::default()
                }],
            )
        };
        // 100 W, then 300 W one second later, then 300 W: 200 J + 300 J.
        let samples = [
            at(-1_000_000, 999.0, 9.0),
            at(0, 100.0, 1.0),
            at(1_000_000, 300.0, 5.0),
            at(2_000_000, 300.0, 2.0),
        ];
        let f = GpuFigures::over(&samples, 0, 2_000_000).unwrap();
        let g = &f.gpus[0];
        assert_eq!(g.energy_j, Some(500.0));
        assert_eq!(
            g.memory_used_max_bytes,
            Some(5.0),
            "the sample before the window is out"
        );
        assert_eq!(g.power_mean_w, Some(700.0 / 3.0));
        assert_eq!(f.energy_j(), Some(500.0));
        let mut twice = f.clone();
        twice.merge(&f);
        assert_eq!(twice.energy_j(), Some(1000.0));
        assert_eq!(twice.gpus[0].samples, 6);
        assert!(GpuFigures::over(&samples, 5_000_000, 6_000_000).is_none());
    }
}
