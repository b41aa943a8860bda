//! The machine headroom runs on: its memory (what `free -h` shows) and, with
//! `--server-pid`, the server's process tree (resident memory and CPU time), read from
//! Linux's `/proc` by the jobs crate; the parsing and the window's figures are here.

use crate::combine;
use crate::sample::TelemetrySample;
use serde::{Deserialize, Serialize};

/// The host at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HostReading {
    /// Memory installed, bytes (`MemTotal`).
    pub memory_total_bytes: f64,
    /// Memory available to start new programs without swapping, bytes (`MemAvailable`,
    /// the `available` column of `free`).
    pub memory_available_bytes: f64,
    /// The server's process tree: resident memory, bytes, with pages its processes share
    /// counted once (the sum of their proportional set sizes, `Pss`; `VmRSS` where that
    /// cannot be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_rss_bytes: Option<f64>,
    /// The server's process tree: CPU time used so far (user + system), s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_cpu_s: Option<f64>,
}

/// `MemTotal` and `MemAvailable` of `/proc/meminfo`, bytes.
pub fn parse_meminfo(text: &str) -> Option<(f64, f64)> {
    let field = |name: &str| {
        text.lines().find_map(|l| {
            let rest = l.strip_prefix(name)?.strip_prefix(':')?;
            let kib: f64 = rest.split_whitespace().next()?.parse().ok()?;
            Some(kib * 1024.0)
        })
    };
    Some((field("MemTotal")?, field("MemAvailable")?))
}

/// From `/proc/PID/stat`: the parent's pid and the CPU time in clock ticks: its own (user +
/// system) and that of its children it has waited for, so a tree's total does not drop
/// when a child exits and is reaped.
pub fn parse_stat(text: &str) -> Option<(u32, u64)> {
    // The command name is in parentheses and may hold spaces: fields count from its end.
    let after = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // After the name: state (0), ppid (1), …, utime (11), stime (12), cutime (13),
    // cstime (14).
    let ppid = f.get(1)?.parse().ok()?;
    let ticks: Option<Vec<u64>> = (11..15).map(|i| f.get(i)?.parse().ok()).collect();
    Some((ppid, ticks?.iter().sum()))
}

/// `VmRSS` of `/proc/PID/status`, bytes.
pub fn parse_rss(status: &str) -> Option<f64> {
    kib_field(status, "VmRSS:")
}

/// `Pss` of `/proc/PID/smaps_rollup` (resident memory with shared pages divided among the
/// processes sharing them), bytes.
pub fn parse_pss(smaps_rollup: &str) -> Option<f64> {
    kib_field(smaps_rollup, "Pss:")
}

fn kib_field(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let kib: f64 = l
            .strip_prefix(name)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        Some(kib * 1024.0)
    })
}

/// The host over a run's window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HostFigures {
    /// Memory installed, bytes.
    pub memory_total_bytes: f64,
    /// Memory in use (installed − available), the most sampled, bytes.
    pub memory_used_max_bytes: f64,
    /// The server's process tree: resident memory, the most sampled, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_rss_max_bytes: Option<f64>,
    /// The server's process tree: CPU cores used on average over the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_cpu_cores: Option<f64>,
    /// Samples inside the window.
    pub samples: u64,
}

impl HostFigures {
    /// The host samples of `samples` over `[from, to]` (µs on the run's clock).
    pub fn over(samples: &[TelemetrySample], from: i64, to: i64) -> Option<HostFigures> {
        let inside: Vec<(i64, &HostReading)> = samples
            .iter()
            .filter(|s| s.t_us >= from && s.t_us <= to)
            .filter_map(|s| Some((s.t_us, s.host.as_ref()?)))
            .collect();
        let first = inside.first()?;
        let cpu: Vec<(i64, f64)> = inside
            .iter()
            .filter_map(|(t, h)| Some((*t, h.server_cpu_s?)))
            .collect();
        // CPU time's growth between consecutive samples; a drop (a child gone before its
        // parent reaped it) counts as none.
        let used: f64 = cpu.windows(2).map(|w| (w[1].1 - w[0].1).max(0.0)).sum();
        let server_cpu_cores = match (cpu.first(), cpu.last()) {
            (Some(a), Some(b)) if b.0 > a.0 => Some(used / ((b.0 - a.0) as f64 / 1e6)),
            _ => None,
        };
        Some(HostFigures {
            memory_total_bytes: first.1.memory_total_bytes,
            memory_used_max_bytes: inside
                .iter()
                .map(|(_, h)| h.memory_total_bytes - h.memory_available_bytes)
                .fold(0.0, f64::max),
            server_rss_max_bytes: inside
                .iter()
                .filter_map(|(_, h)| h.server_rss_bytes)
                .reduce(f64::max),
            server_cpu_cores,
            samples: inside.len() as u64,
        })
    }

    /// Adds another run's: peaks take the larger, CPU weighs by samples.
    pub fn merge(&mut self, o: &HostFigures) {
        self.memory_used_max_bytes = self.memory_used_max_bytes.max(o.memory_used_max_bytes);
        self.server_rss_max_bytes =
            combine(self.server_rss_max_bytes, o.server_rss_max_bytes, f64::max);
        let (m, n) = (self.samples as f64, o.samples as f64);
        self.server_cpu_cores = combine(self.server_cpu_cores, o.server_cpu_cores, |a, b| {
            (a * m + b * n) / (m + n).max(1.0)
        });
        self.samples += o.samples;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_free_and_ps_read() {
        let meminfo = "MemTotal:       24608284 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(
            parse_meminfo(meminfo),
            Some((24_608_284.0 * 1024.0, 20_000_000.0 * 1024.0))
        );
        let stat =
            "4242 (vllm serve (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 8 0 1 2 3";
        // Its own 250 + 50 ticks and its reaped children's 7 + 3.
        assert_eq!(parse_stat(stat), Some((1, 310)));
        assert_eq!(
            parse_rss("Name:\tpython\nVmRSS:\t  204800 kB\n"),
            Some(204_800.0 * 1024.0)
        );
        assert_eq!(parse_meminfo("nothing"), None);
        let rollup = "55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:  5000 kB\nPss:  3000 kB\nPss_Anon: 100 kB\n";
        assert_eq!(parse_pss(rollup), Some(3000.0 * 1024.0));
    }

    #[test]
    fn the_window_has_the_peaks_and_the_cpu_the_server_used() {
        let at = |t: i64, avail: f64, rss: f64, cpu: f64| {
            TelemetrySample::host(
                t,
                HostReading {
                    memory_total_bytes: 100.0,
                    memory_available_bytes: avail,
                    server_rss_bytes: Some(rss),
                    server_cpu_s: Some(cpu),
                },
            )
        };
        let samples = [
            at(0, 60.0, 10.0, 5.0),
            at(1_000_000, 40.0, 30.0, 6.5),
            at(2_000_000, 50.0, 20.0, 8.0),
        ];
        let f = HostFigures::over(&samples, 0, 2_000_000).unwrap();
        assert_eq!(f.memory_used_max_bytes, 60.0);
        assert_eq!(f.server_rss_max_bytes, Some(30.0));
        assert_eq!(f.server_cpu_cores, Some(1.5));
        // A child that exited unreaped takes its CPU time with it: that step counts as 0.
        let dropped = [
            at(0, 60.0, 10.0, 5.0),
            at(1_000_000, 40.0, 30.0, 4.0),
            at(2_000_000, 50.0, 20.0, 6.0),
        ];
        let f = HostFigures::over(&dropped, 0, 2_000_000).unwrap();
        assert_eq!(f.server_cpu_cores, Some(1.0));
    }
}
