//! Reading the GPUs beside a run: NVML on this machine (loaded at run time, so headroom
//! builds and runs without one), or a DCGM exporter's `/metrics`.

use crate::settings::{GpuSource, SettingsError};
use headroom_telemetry::GpuReading;
use headroom_telemetry::gpu::from_dcgm;
use headroom_telemetry::prom::parse;
use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use std::sync::Arc;

/// Where GPU readings come from, resolved.
pub(crate) enum GpuProbe {
    /// NVML, initialised.
    Nvml(Arc<Nvml>),
    /// A DCGM exporter.
    Dcgm(String),
}

impl std::fmt::Debug for GpuProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GpuProbe::Nvml(_) => f.write_str("Nvml"),
            GpuProbe::Dcgm(u) => write!(f, "Dcgm({u})"),
        }
    }
}

impl GpuProbe {
    /// `--gpu-telemetry` for a run against a real server: `auto` falls back to none
    /// (and says so once); `nvml` without NVML is a usage error.
    pub(crate) fn resolve(source: &GpuSource) -> Result<Option<GpuProbe>, SettingsError> {
        match source {
            GpuSource::Off => Ok(None),
            GpuSource::Dcgm(url) => Ok(Some(GpuProbe::Dcgm(url.clone()))),
            GpuSource::Nvml => match Nvml::init() {
                Ok(n) => Ok(Some(GpuProbe::Nvml(Arc::new(n)))),
                Err(e) => Err(SettingsError::new(format!(
                    "--gpu-telemetry nvml: NVML is not available on this machine ({e}); run \
                     headroom where the GPU is, read a DCGM exporter with --gpu-telemetry \
                     dcgm:URL, or give --gpu-telemetry off"
                ))),
            },
            GpuSource::Auto => match Nvml::init() {
                Ok(n) => Ok(Some(GpuProbe::Nvml(Arc::new(n)))),
                Err(e) => {
                    tracing::info!(
                        "no GPU telemetry: NVML is not available here ({e}); \
                         --gpu-telemetry dcgm:URL reads a DCGM exporter"
                    );
                    Ok(None)
                }
            },
        }
    }

    /// One reading of every GPU.
    pub(crate) async fn read(&self, client: &reqwest::Client) -> Result<Vec<GpuReading>, String> {
        match self {
            GpuProbe::Nvml(nvml) => {
                let nvml = nvml.clone();
                tokio::task::spawn_blocking(move || read_nvml(&nvml))
                    .await
                    .map_err(|e| e.to_string())?
            }
            GpuProbe::Dcgm(url) => {
                let r = client.get(url).send().await.map_err(|e| e.to_string())?;
                if !r.status().is_success() {
                    return Err(format!("HTTP {}", r.status()));
                }
                let text = r.text().await.map_err(|e| e.to_string())?;
                let gpus = from_dcgm(&parse(&text));
                if gpus.is_empty() {
                    return Err("no DCGM_FI_DEV_* series with a gpu label".into());
                }
                Ok(gpus)
            }
        }
    }
}

/// Every GPU NVML sees: what it can say of each (a field it cannot read is left out).
fn read_nvml(nvml: &Nvml) -> Result<Vec<GpuReading>, String> {
    let n = nvml.device_count().map_err(|e| e.to_string())?;
    (0..n)
        .map(|index| {
            let d = nvml.device_by_index(index).map_err(|e| e.to_string())?;
            let memory = d.memory_info().ok();
            Ok(GpuReading {
                index,
                name: d.name().ok(),
                memory_used_bytes: memory.as_ref().map(|m| m.used as f64),
                memory_total_bytes: memory.as_ref().map(|m| m.total as f64),
                utilization: d.utilization_rates().ok().map(|u| u.gpu as f64 / 100.0),
                power_w: d.power_usage().ok().map(|mw| mw as f64 / 1e3),
                sm_clock_mhz: d.clock_info(Clock::SM).ok().map(f64::from),
                temperature_c: d.temperature(TemperatureSensor::Gpu).ok().map(f64::from),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_nvml_auto_is_off_and_nvml_is_a_usage_error() {
        // This machine has no NVIDIA driver (where it has one, both read it).
        if Nvml::init().is_ok() {
            return;
        }
        assert!(GpuProbe::resolve(&GpuSource::Auto).unwrap().is_none());
        let e = GpuProbe::resolve(&GpuSource::Nvml).unwrap_err();
        assert!(e.to_string().contains("NVML is not available"), "{e}");
        assert!(e.to_string().contains("dcgm:URL"), "{e}");
        assert!(GpuProbe::resolve(&GpuSource::Off).unwrap().is_none());
    }
}
