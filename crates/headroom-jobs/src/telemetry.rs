//! Scraping a server's `/metrics` and reading the GPUs beside a run, on a task of its
//! own, so a slow or dead endpoint never delays a request.
//!
//! The sampler samples once before the run starts (the baseline), then every
//! `--scrape-interval`, and once more after the run ends. Each sample goes to
//! `telemetry.jsonl` as it is taken, on the records' clock (µs since the run's start, so
//! the baseline is negative); samples taken before the run has started wait until its
//! start is known. A failed scrape is a sample with its error, and a warning the first
//! time: the run's own results never depend on it.

use crate::gpu::GpuProbe;
use crate::host::HostProbe;
use crate::job::{StartClock, unix_now_us};
use headroom_capacity::StopSignal;
use headroom_results::JournalWriter;
use headroom_telemetry::prom::parse;
use headroom_telemetry::{ServerSnapshot, Source, TelemetrySample};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running sampler.
pub(crate) struct Sampler {
    stop: StopSignal,
    task: tokio::task::JoinHandle<()>,
    state: Arc<Mutex<State>>,
}

struct State {
    url: Option<String>,
    writer: Option<JournalWriter>,
    clock: StartClock,
    /// Taken before the run's start was known: (unix µs, sample at t 0).
    pending: Vec<(u64, TelemetrySample)>,
    samples: Vec<TelemetrySample>,
    /// Sources already warned about: each is said once.
    warned: Vec<Source>,
}

impl State {
    fn push(&mut self, at_unix_us: u64, sample: TelemetrySample) {
        if let Some(e) = &sample.error
            && !self.warned.contains(&sample.source)
        {
            self.warned.push(sample.source);
            let (what, stop) = match sample.source {
                Source::Server => (
                    format!(
                        "scrape the server's metrics at {}",
                        self.url.as_deref().unwrap_or("")
                    ),
                    "; --metrics-url off stops trying",
                ),
                Source::Gpu => ("read the GPUs".into(), "; --gpu-telemetry off stops trying"),
                Source::Host => ("read the host".into(), ""),
            };
            tracing::warn!(
                "could not {what}: {e}; the run goes on without it (each failure is in \
                 telemetry.jsonl{stop})"
            );
        }
        self.pending.push((at_unix_us, sample));
        if let Some(epoch) = self.clock.get() {
            self.flush(epoch);
        }
    }

    /// Puts pending samples on the run's clock and writes them.
    fn flush(&mut self, epoch_unix_us: u64) {
        for (at, mut s) in std::mem::take(&mut self.pending) {
            s.t_us = at as i64 - epoch_unix_us as i64;
            if let Some(w) = &mut self.writer
                && let Err(e) = w.append(&s)
            {
                tracing::warn!(
                    "cannot write {}: {e}; telemetry is kept in memory only",
                    w.path().display()
                );
                self.writer = None;
            }
            self.samples.push(s);
        }
    }
}

impl Sampler {
    /// Takes the baseline sample of the server at `url`, the GPUs of `gpu` and the
    /// `host`, then samples them every `interval` into `path`, timestamps on `clock`.
    pub(crate) async fn start(
        url: Option<String>,
        gpu: Option<Arc<GpuProbe>>,
        host: Option<HostProbe>,
        interval: Duration,
        path: &Path,
        clock: StartClock,
    ) -> Self {
        let writer = match JournalWriter::create(path) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(
                    "cannot create {}: {e}; telemetry is kept in memory only",
                    path.display()
                );
                None
            }
        };
        let state = Arc::new(Mutex::new(State {
            url: url.clone(),
            writer,
            clock,
            pending: Vec::new(),
            samples: Vec::new(),
            warned: Vec::new(),
        }));
        let stop = StopSignal::default();
        let client = reqwest::Client::builder()
            .timeout(interval.clamp(Duration::from_millis(500), Duration::from_secs(5)))
            .build()
            .unwrap_or_default();
        // The baseline, before the run starts: the window's histograms grow from it.
        let sources = Sources {
            client,
            url,
            gpu,
            host,
        };
        sources.sample(&state).await;
        let (s, halt) = (state.clone(), stop.clone());
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    () = halt.stopped() => break,
                }
                sources.sample(&s).await;
            }
            // The last sample, after the run: it closes the window.
            sources.sample(&s).await;
        });
        Sampler { stop, task, state }
    }

    /// Takes the last scrape, stops, and returns every sample on the run's clock.
    pub(crate) async fn finish(self) -> Vec<TelemetrySample> {
        self.stop.raise();
        let _ = self.task.await;
        let mut s = lock(&self.state);
        let epoch = s
            .clock
            .get()
            .or_else(|| s.pending.first().map(|p| p.0))
            .unwrap_or(0);
        s.flush(epoch);
        if let Some(w) = &mut s.writer {
            let _ = w.sync();
        }
        std::mem::take(&mut s.samples)
    }
}

fn lock(s: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the sampler reads.
struct Sources {
    client: reqwest::Client,
    url: Option<String>,
    gpu: Option<Arc<GpuProbe>>,
    host: Option<HostProbe>,
}

impl Sources {
    /// One sample of each source, each timed when it was asked for.
    async fn sample(&self, state: &Mutex<State>) {
        if let Some(url) = &self.url {
            let at = unix_now_us();
            let sample = scrape(&self.client, url).await;
            lock(state).push(at, sample);
        }
        if let Some(gpu) = &self.gpu {
            let at = unix_now_us();
            let sample = match gpu.read(&self.client).await {
                Ok(gpus) => TelemetrySample::gpu(0, gpus),
                Err(e) => TelemetrySample::failed(0, Source::Gpu, e),
            };
            lock(state).push(at, sample);
        }
        if let Some(host) = &self.host {
            let at = unix_now_us();
            let sample = match host.read() {
                Ok(h) => TelemetrySample::host(0, h),
                Err(e) => TelemetrySample::failed(0, Source::Host, e),
            };
            lock(state).push(at, sample);
        }
    }
}

/// One scrape of `url`, mapped; a failure is a sample with its error.
async fn scrape(client: &reqwest::Client, url: &str) -> TelemetrySample {
    let body = async {
        let r = client.get(url).send().await.map_err(|e| e.to_string())?;
        let status = r.status();
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        r.text().await.map_err(|e| e.to_string())
    };
    match body.await {
        Ok(text) => {
            let e = parse(&text);
            if e.samples.is_empty() {
                let why = format!("no metrics in the response ({} lines unread)", e.skipped);
                TelemetrySample::failed(0, Source::Server, why)
            } else {
                TelemetrySample::server(0, ServerSnapshot::from_exposition(&e))
            }
        }
        Err(e) => TelemetrySample::failed(0, Source::Server, e),
    }
}
