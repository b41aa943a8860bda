//! Reading the host beside a run: its memory, and with `--server-pid` the server's
//! process tree (that process and every descendant), from Linux's `/proc`.

use crate::settings::SettingsError;
use headroom_telemetry::HostReading;
use headroom_telemetry::host::{parse_meminfo, parse_pss, parse_rss, parse_stat};
use std::collections::HashMap;

/// Clock ticks per second of `/proc/PID/stat`'s CPU times (`USER_HZ`, 100 on Linux's
/// ABIs).
const TICKS_PER_S: f64 = 100.0;

/// What to read of the host.
#[derive(Debug, Clone)]
pub(crate) struct HostProbe {
    server_pid: Option<u32>,
}

impl HostProbe {
    /// The host, where `/proc` can be read; `server_pid` must be a running process.
    pub(crate) fn resolve(server_pid: Option<u32>) -> Result<Option<HostProbe>, SettingsError> {
        if let Some(pid) = server_pid
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        {
            return Err(SettingsError::new(format!(
                "--server-pid {pid}: no such process on this machine; give the pid of the \
                 server's main process (pgrep -f 'vllm serve')"
            )));
        }
        let readable = std::fs::read_to_string("/proc/meminfo").is_ok();
        Ok(readable.then_some(HostProbe { server_pid }))
    }

    /// `true` when the server's processes are read too.
    pub(crate) fn has_server(&self) -> bool {
        self.server_pid.is_some()
    }

    /// One reading.
    pub(crate) fn read(&self) -> Result<HostReading, String> {
        let meminfo = std::fs::read_to_string("/proc/meminfo").map_err(|e| e.to_string())?;
        let (total, available) =
            parse_meminfo(&meminfo).ok_or("no MemTotal/MemAvailable in /proc/meminfo")?;
        let mut reading = HostReading {
            memory_total_bytes: total,
            memory_available_bytes: available,
            ..HostReading::default()
        };
        if let Some(pid) = self.server_pid {
            let (rss, ticks) = tree(pid).ok_or(format!("process {pid} is gone"))?;
            reading.server_rss_bytes = Some(rss);
            reading.server_cpu_s = Some(ticks as f64 / TICKS_PER_S);
        }
        Ok(reading)
    }
}

/// Resident memory (bytes) and CPU ticks of `root` and its descendants; `None` when
/// `root` is not running.
fn tree(root: u32) -> Option<(f64, u64)> {
    let mut parent: HashMap<u32, u32> = HashMap::new();
    let mut ticks: HashMap<u32, u64> = HashMap::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some((ppid, t)) = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .as_deref()
            .and_then(parse_stat)
        {
            parent.insert(pid, ppid);
            ticks.insert(pid, t);
        }
    }
    if !ticks.contains_key(&root) {
        return None;
    }
    let in_tree = |mut pid: u32| {
        for _ in 0..64 {
            if pid == root {
                return true;
            }
            match parent.get(&pid) {
                Some(&p) if p != 0 && p != pid => pid = p,
                _ => return false,
            }
        }
        false
    };
    let (mut rss, mut cpu) = (0.0, 0);
    for (&pid, &t) in &ticks {
        if in_tree(pid) {
            cpu += t;
            let read = |file: &str, parse: fn(&str) -> Option<f64>| {
                std::fs::read_to_string(format!("/proc/{pid}/{file}"))
                    .ok()
                    .as_deref()
                    .and_then(parse)
            };
            // Shared pages once (Pss), else the process's whole resident set.
            rss += read("smaps_rollup", parse_pss)
                .or_else(|| read("status", parse_rss))
                .unwrap_or(0.0);
        }
    }
    Some((rss, cpu))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_machine_and_a_process_tree() {
        let Some(probe) = HostProbe::resolve(Some(std::process::id())).unwrap() else {
            return; // No /proc here.
        };
        let r = probe.read().unwrap();
        assert!(r.memory_total_bytes > r.memory_available_bytes && r.memory_available_bytes > 0.0);
        assert!(
            r.server_rss_bytes.unwrap() > 0.0,
            "this test process is resident"
        );
        assert!(r.server_cpu_s.is_some());
        let gone = HostProbe::resolve(Some(u32::MAX - 1)).unwrap_err();
        assert!(gone.to_string().contains("no such process"), "{gone}");
    }
}
