//! `manifest.json`: what was run, against what, by which tool, and how it ended. Written
//! when a run starts (status `running`), again when its clock starts, and at its end.

use headroom_core::Scenario;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the results-directory format; bumped on incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// `manifest.json`: what was run, against what, by which tool, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Manifest {
    /// Results-directory format version.
    pub format_version: u32,
    /// The tool that wrote this directory.
    pub tool: ToolInfo,
    /// Directory name of this run.
    pub run_id: String,
    /// The command line, with secrets redacted.
    pub command: Vec<String>,
    /// The resolved scenario (includes the seed).
    pub scenario: Scenario,
    /// User labels (`--label gpu=L20`).
    pub labels: BTreeMap<String, String>,
    /// What the server said about itself.
    pub target: TargetInfo,
    /// The machine that generated the load.
    pub host: HostInfo,
    /// Wall-clock time of the run's epoch, µs since the Unix epoch; every `*_us` time in
    /// `requests.jsonl` is relative to it.
    pub epoch_unix_us: u64,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time (absent while running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// How the run ended.
    pub status: RunStatus,
    /// Why it ended that way, when not complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// What the load generator itself used (includes the embedded simulator when it ran
    /// in the same process). Absent where the OS does not report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<ProcessStats>,
}

/// CPU and memory used by the headroom process, to tell whether the load generator
/// itself was a bottleneck.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProcessStats {
    /// CPU seconds in user mode.
    pub cpu_user_s: f64,
    /// CPU seconds in the kernel.
    pub cpu_system_s: f64,
    /// Peak resident memory, bytes.
    pub peak_rss_bytes: u64,
}

impl ProcessStats {
    /// Reads this process's totals so far (Linux `/proc/self`; `None` elsewhere).
    pub fn current() -> Option<Self> {
        // USER_HZ, the unit of /proc times, is 100 on every Linux ABI.
        const TICKS: f64 = 100.0;
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let rest = &stat[stat.rfind(')')? + 1..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = f.get(11)?.parse().ok()?;
        let stime: f64 = f.get(12)?.parse().ok()?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let hwm_kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(ProcessStats {
            cpu_user_s: utime / TICKS,
            cpu_system_s: stime / TICKS,
            peak_rss_bytes: hwm_kb * 1024,
        })
    }

    /// User plus system CPU seconds.
    pub fn cpu_s(&self) -> f64 {
        self.cpu_user_s + self.cpu_system_s
    }
}

/// Tool identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ToolInfo {
    /// `headroom`.
    pub name: String,
    /// Crate version.
    pub version: String,
    /// Git commit the binary was built from (`unknown` outside a checkout).
    pub git_sha: String,
}

/// What is known about the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TargetInfo {
    /// Model ids from `/v1/models`.
    pub models: Vec<String>,
    /// `max_model_len` of the model, when the server reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_model_len: Option<u64>,
    /// Server version (`/version`), when available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// `true` when the target was headroom's embedded simulator.
    pub embedded_simulator: bool,
    /// Simulator settings, when the target was the embedded simulator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulator: Option<String>,
    /// `true` for a prediction (`headroom predict`): the simulator ran in virtual time and
    /// every time in the results is simulated.
    #[serde(default)]
    pub virtual_time: bool,
    /// The simulator's full specification (GPU and model entries, engine settings, cost-model
    /// constants), when the target was the simulator's engine model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulator_spec: Option<serde_json::Value>,
}

/// The load generator's machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HostInfo {
    /// Host name.
    pub hostname: String,
    /// `linux`, `macos`, ...
    pub os: String,
    /// `x86_64`, `aarch64`, ...
    pub arch: String,
    /// Logical CPUs.
    pub cpus: usize,
}

impl HostInfo {
    /// Reads the current machine's facts.
    pub fn current() -> Self {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        HostInfo {
            hostname,
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still running (or killed without a chance to say otherwise).
    Running,
    /// The stop rule was reached.
    Complete,
    /// Interrupted (Ctrl-C): results are partial.
    Interrupted,
    /// A fatal error ended the run: results are partial.
    Failed,
}

/// Formats a wall-clock time as RFC 3339 with microseconds.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_micros(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn process_stats_are_read_on_linux() {
        let s = ProcessStats::current().unwrap();
        assert!(s.peak_rss_bytes > 100_000);
        assert!(s.cpu_s() >= 0.0);
    }
}
