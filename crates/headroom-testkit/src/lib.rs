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

use headroom_sim::{LocalSim, Sim, SimConfig};

/// A running simulator (its `url` and `sim`), stopped when dropped.
pub type SimHandle = LocalSim;

/// Starts a simulator on a free loopback port in the current runtime.
pub async fn spawn_sim(config: SimConfig) -> SimHandle {
    spawn_sim_at(config, "").await
}

/// Starts a simulator whose routes live below `prefix` (e.g. `/proxy`), like a server
/// behind a path-routing proxy. The handle's `url` includes the prefix.
pub async fn spawn_sim_at(config: SimConfig, prefix: &str) -> SimHandle {
    let sim = Sim::new(config).unwrap_or_else(|e| panic!("invalid simulator config: {e}"));
    sim.spawn_local(prefix)
        .await
        .unwrap_or_else(|e| panic!("cannot serve on 127.0.0.1: {e}"))
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
