//! Test helpers for headroom (dev-only).
//!
//! - [`spawn_sim`]: the simulator on `127.0.0.1:0`, shut down when the handle drops.
//! - [`refused_url`]: a loopback URL where nothing listens.
//! - [`redactions`]: regexes that make console output and `--help` snapshot-stable.
//! - [`record`]: [`RequestRecord`](headroom_core::RequestRecord)s for fixtures, built
//!   from what the test is about ([`RecordBuilder`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod record;

pub use record::{RecordBuilder, record};

use headroom_sim::{Sim, SimConfig};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A running simulator.
#[derive(Debug)]
pub struct SimHandle {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The simulator, for its counters.
    pub sim: Sim,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Starts a simulator on a free loopback port in the current runtime.
pub async fn spawn_sim(config: SimConfig) -> SimHandle {
    spawn_sim_at(config, "").await
}

/// Starts a simulator whose routes live below `prefix` (e.g. `/proxy`), like a server
/// behind a path-routing proxy. The handle's `url` includes the prefix.
pub async fn spawn_sim_at(config: SimConfig, prefix: &str) -> SimHandle {
    let sim = Sim::new(config).unwrap_or_else(|e| panic!("invalid simulator config: {e}"));
    let router = if prefix.is_empty() {
        sim.router()
    } else {
        axum::Router::new().nest(prefix, sim.router())
    };
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("no local address: {e}"));
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = headroom_sim::serve_router(listener, router, async move {
            let _ = rx.await;
        })
        .await;
    });
    SimHandle {
        url: format!("http://{addr}{prefix}"),
        sim,
        stop: Some(tx),
    }
}

/// A loopback URL whose port was just free: connecting to it is refused.
pub fn refused_url() -> String {
    let l =
        std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("cannot bind: {e}"));
    let port = l
        .local_addr()
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// Patterns (regex, replacement) that hide what changes from run to run: durations,
/// rates, ports, paths and timestamps.
pub fn redactions() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z",
            "[TIMESTAMP]",
        ),
        (r"results/[0-9A-Za-z_\-]+", "results/[RUN]"),
    ]
}
