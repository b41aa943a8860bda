//! The settings of one run: when requests are sent, the server and how to talk to it,
//! and where results go.

use super::SettingsError;
use crate::workload::Workload;
use headroom_client::ClientConfig;
use headroom_core::RequestSource as _;
use headroom_core::{ApiFlavor, ArrivalKind, Conversation, LoadPolicy, RunPlan, StopRule, Warmup};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// When requests are sent in one run, as the user gave it.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// `--concurrency`: closed loop [default: 10].
    pub concurrency: Option<u32>,
    /// `--rate`: open loop, requests per second.
    pub rate: Option<f64>,
    /// `--arrival`.
    pub arrival: ArrivalKind,
    /// `--burstiness`.
    pub burstiness: f64,
    /// `--max-concurrency`.
    pub max_concurrency: Option<u32>,
    /// `--requests`: measured requests.
    pub requests: Option<u64>,
    /// `--duration`: sending time after the warmup.
    pub duration: Option<Duration>,
    /// `--warmup`.
    pub warmup: Warmup,
    /// `--seed`.
    pub seed: u64,
    /// `--grace`: after an interrupt, how long in-flight requests may finish.
    pub grace: Duration,
    /// `--burst N`: N requests released together, one each, nothing else (seeds 002 and
    /// 003's offline test).
    pub burst: Option<u32>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            concurrency: None,
            rate: None,
            arrival: ArrivalKind::Poisson,
            burstiness: 1.0,
            max_concurrency: None,
            requests: None,
            duration: None,
            warmup: Warmup::None,
            seed: 0,
            grace: Duration::from_secs(5),
            burst: None,
        }
    }
}

/// Concurrency when neither `--concurrency` nor `--rate` is given.
pub const DEFAULT_CONCURRENCY: u32 = 10;

impl LoadOptions {
    /// The checked plan of a run of `workload`.
    pub fn plan(&self, workload: &Workload) -> Result<RunPlan, SettingsError> {
        let trace = workload.trace_speedup;
        if let Some(n) = self.burst {
            let other = self.concurrency.is_some()
                || self.rate.is_some()
                || self.requests.is_some()
                || self.duration.is_some()
                || self.warmup != Warmup::None
                || trace.is_some()
                || workload.conversation.is_some();
            if other {
                return Err(SettingsError::new(
                    "--burst N sends N requests at once and stops: drop --concurrency, --rate, \
                     --requests, --duration, --warmup, --trace and --conversation-turns",
                ));
            }
            let plan = RunPlan {
                load: LoadPolicy::Closed { concurrency: n },
                stop: StopRule {
                    requests: Some(u64::from(n)),
                    duration: None,
                },
                warmup: Warmup::None,
                seed: self.seed,
                grace: self.grace,
                conversation: None,
            };
            check_plan(&plan)?;
            return Ok(plan);
        }
        if trace.is_some() && (self.rate.is_some() || self.concurrency.is_some()) {
            return Err(SettingsError::new(
                "a trace replays its own arrival times: drop --rate and --concurrency (use --trace-speedup and --max-concurrency)",
            ));
        }
        if self.max_concurrency.is_some() && self.rate.is_none() && trace.is_none() {
            return Err(SettingsError::new(
                "--max-concurrency applies to open loop: give --rate or --trace",
            ));
        }
        let load = match (trace, self.concurrency, self.rate) {
            (Some(speedup), _, _) => LoadPolicy::Trace {
                speedup,
                max_concurrency: self.max_concurrency,
            },
            (None, _, Some(rate)) => LoadPolicy::Open {
                rate,
                arrival: self.arrival,
                burstiness: self.burstiness,
                max_concurrency: self.max_concurrency,
            },
            (None, c, None) => LoadPolicy::Closed {
                concurrency: c.unwrap_or(DEFAULT_CONCURRENCY),
            },
        };
        let stop = match (self.requests, self.duration) {
            (None, None) => default_stop(&load, workload.source.len(), workload.conversation),
            (requests, duration) => StopRule { requests, duration },
        };
        let plan = RunPlan {
            load,
            stop,
            warmup: self.warmup,
            seed: self.seed,
            grace: self.grace,
            conversation: workload.conversation,
        };
        check_plan(&plan)?;
        Ok(plan)
    }
}

/// The checks of a run plan ([`RunPlan::check`], the one place that says a concurrency, a
/// rate or a request count cannot work), as a usage error.
pub fn check_plan(plan: &RunPlan) -> Result<(), SettingsError> {
    Ok(plan.check()?)
}

/// The stop rule of a run given neither a request count nor a duration: every entry of a
/// finite source once; closed loop 10 requests per user (at least 100, whole
/// conversations); open loop 30 s of arrivals (at least 100).
pub fn default_stop(
    load: &LoadPolicy,
    source_len: Option<u64>,
    conversation: Option<Conversation>,
) -> StopRule {
    StopRule {
        requests: Some(match (source_len, *load) {
            // A trace, a dataset read once, or --num-prompts: each once.
            (Some(n), _) => n,
            (None, LoadPolicy::Closed { concurrency }) => {
                let n = (10 * concurrency as u64).max(100);
                // Whole conversations.
                let t = conversation.map_or(1, |c| c.turns.max(1) as u64);
                n.div_ceil(t) * t
            }
            (None, LoadPolicy::Open { rate, .. }) => ((rate * 30.0).ceil() as u64).max(100),
            (None, LoadPolicy::Trace { .. }) => 100,
        }),
        duration: None,
    }
}

/// The server and how to talk to it, as the user gave it.
#[derive(Debug, Clone)]
pub struct TargetOptions {
    /// `--url`: `None` starts the embedded simulator.
    pub url: Option<String>,
    /// `--api`.
    pub api: ApiFlavor,
    /// `--model` to request [default: the first the server lists].
    pub model: Option<String>,
    /// `--api-key` (else `OPENAI_API_KEY` from the environment).
    pub api_key: Option<String>,
    /// `--header`s.
    pub headers: Vec<(String, String)>,
    /// `--extra-body`.
    pub extra_body: Option<Map<String, Value>>,
    /// Streamed responses (not `--no-stream`).
    pub stream: bool,
    /// `--ignore-eos`: ask for every output's full length.
    pub ignore_eos: bool,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--stall-timeout`.
    pub stall_timeout: Duration,
    /// `--metrics-url`: where the server's Prometheus metrics are scraped.
    pub metrics: MetricsSource,
    /// `--scrape-interval`.
    pub scrape_interval: Duration,
    /// `--gpu-telemetry`.
    pub gpu: GpuSource,
    /// `--server-pid`: the server's main process on this machine, to sample its tree.
    pub server_pid: Option<u32>,
}

/// Where GPU readings come from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum GpuSource {
    /// NVML when this machine has it (the server runs here), else none, said once.
    #[default]
    Auto,
    /// NVML, or an error when this machine has none.
    Nvml,
    /// A DCGM exporter's `/metrics` at this URL.
    Dcgm(String),
    /// None (`off`).
    Off,
}

impl std::str::FromStr for GpuSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(GpuSource::Auto),
            "nvml" => Ok(GpuSource::Nvml),
            "off" | "none" => Ok(GpuSource::Off),
            _ => match s.strip_prefix("dcgm:") {
                Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
                    Ok(GpuSource::Dcgm(u.to_string()))
                }
                _ => Err(format!(
                    "{s:?} is not a GPU telemetry source: give auto, nvml, \
                     dcgm:http://host:9400/metrics or off"
                )),
            },
        }
    }
}

/// Where a server's `/metrics` is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MetricsSource {
    /// `/metrics` at the server's address (the embedded simulator's too).
    #[default]
    Auto,
    /// This URL.
    Url(String),
    /// Not scraped (`--metrics-url off`).
    Off,
}

impl std::str::FromStr for MetricsSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(MetricsSource::Auto),
            "off" | "none" => Ok(MetricsSource::Off),
            u if u.starts_with("http://") || u.starts_with("https://") => {
                Ok(MetricsSource::Url(u.to_string()))
            }
            other => Err(format!(
                "{other:?} is not a metrics URL: give http://host:port/metrics, auto or off"
            )),
        }
    }
}

impl MetricsSource {
    /// The URL to scrape for a server at `base` (its API address).
    pub fn resolve(&self, base: &str) -> Option<String> {
        match self {
            MetricsSource::Off => None,
            MetricsSource::Url(u) => Some(u.clone()),
            MetricsSource::Auto => {
                let (scheme, rest) = base.split_once("://")?;
                let host = rest.split('/').next().filter(|h| !h.is_empty())?;
                Some(format!("{scheme}://{host}/metrics"))
            }
        }
    }
}

/// The scrape interval when none is given.
pub const DEFAULT_SCRAPE_INTERVAL: Duration = Duration::from_secs(1);

impl Default for TargetOptions {
    fn default() -> Self {
        let c = ClientConfig::new("");
        TargetOptions {
            url: None,
            api: c.api,
            model: None,
            api_key: None,
            headers: Vec::new(),
            extra_body: None,
            stream: c.stream,
            ignore_eos: false,
            timeout: c.timeout,
            stall_timeout: c.stall_timeout,
            metrics: MetricsSource::Auto,
            scrape_interval: DEFAULT_SCRAPE_INTERVAL,
            gpu: GpuSource::Auto,
            server_pid: None,
        }
    }
}

impl TargetOptions {
    /// The client's configuration, checked (the URL resolves to the API's endpoints).
    /// Without a URL it points nowhere yet: the embedded simulator's address fills it in.
    pub fn client(&self) -> Result<ClientConfig, SettingsError> {
        if let Some(u) = &self.url {
            headroom_client::Endpoints::resolve(u, self.api)?;
        }
        let mut c = ClientConfig::new(self.url.clone().unwrap_or_default());
        c.api = self.api;
        c.stream = self.stream;
        c.api_key = self
            .api_key
            .clone()
            .or_else(|| std::env::var("OPENAI_API_KEY").ok())
            .filter(|k| !k.is_empty());
        c.headers = self.headers.clone();
        c.extra_body = self.extra_body.clone();
        c.timeout = self.timeout;
        c.ignore_eos = self.ignore_eos;
        // A whole response arrives at once: silence until then is no stall.
        c.stall_timeout = if self.stream {
            self.stall_timeout
        } else {
            self.timeout
        };
        Ok(c)
    }
}

/// Where results go.
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// `--out`: the results directory [default: `results/<UTC timestamp>`].
    pub out: Option<PathBuf>,
    /// `--label`s, recorded in the manifest.
    pub labels: BTreeMap<String, String>,
    /// Write `report.html`, `report.md` and `plots/` at the end (not `--no-report`).
    pub report: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_sources_are_named_or_refused() {
        assert_eq!("auto".parse::<GpuSource>(), Ok(GpuSource::Auto));
        assert_eq!("nvml".parse::<GpuSource>(), Ok(GpuSource::Nvml));
        assert_eq!(
            "dcgm:http://g:9400/metrics".parse::<GpuSource>(),
            Ok(GpuSource::Dcgm("http://g:9400/metrics".into()))
        );
        assert!(
            "dcgm:g:9400"
                .parse::<GpuSource>()
                .unwrap_err()
                .contains("dcgm:http://")
        );
    }

    #[test]
    fn metrics_are_at_the_servers_address_unless_given() {
        let auto = MetricsSource::Auto;
        assert_eq!(
            auto.resolve("http://gpu-box:8000/v1").as_deref(),
            Some("http://gpu-box:8000/metrics")
        );
        assert_eq!(
            auto.resolve("https://h/").as_deref(),
            Some("https://h/metrics")
        );
        assert_eq!(auto.resolve("nowhere"), None);
        let given: MetricsSource = "http://x:9/m".parse().unwrap();
        assert_eq!(given.resolve("http://y").as_deref(), Some("http://x:9/m"));
        assert_eq!(
            "off".parse::<MetricsSource>().unwrap().resolve("http://y"),
            None
        );
        assert!(
            "x:9"
                .parse::<MetricsSource>()
                .unwrap_err()
                .contains("auto or off")
        );
    }

    #[test]
    fn a_plan_that_cannot_run_says_which_setting() {
        let mut plan = RunPlan {
            load: LoadPolicy::Closed { concurrency: 0 },
            stop: StopRule {
                requests: Some(10),
                duration: None,
            },
            warmup: Warmup::None,
            seed: 0,
            grace: Duration::from_secs(1),
            conversation: None,
        };
        assert!(
            check_plan(&plan)
                .unwrap_err()
                .message()
                .contains("--concurrency")
        );
        plan.load = LoadPolicy::Open {
            rate: 0.0,
            arrival: ArrivalKind::Poisson,
            burstiness: 1.0,
            max_concurrency: None,
        };
        assert!(
            check_plan(&plan)
                .unwrap_err()
                .message()
                .contains("--rate must be a positive")
        );
        plan.load = LoadPolicy::Closed { concurrency: 1 };
        plan.stop.requests = Some(0);
        assert!(
            check_plan(&plan)
                .unwrap_err()
                .message()
                .contains("--requests")
        );
    }
}
