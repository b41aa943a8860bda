//! A simulator serving on a free loopback port inside this process, stopped when its
//! handle drops: the embedded default target of `headroom run`, and every test's server.

use crate::server::{Sim, serve_router};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A simulator serving on `127.0.0.1` until this is dropped.
#[derive(Debug)]
pub struct LocalSim {
    /// `http://127.0.0.1:PORT`, plus the route prefix if there is one.
    pub url: String,
    /// The simulator, for its description and counters.
    pub sim: Sim,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for LocalSim {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

impl Sim {
    /// Serves this simulator on a free port of `127.0.0.1` on the current runtime, its
    /// routes below `prefix` (`""`, or e.g. `/proxy` like a server behind a path-routing
    /// proxy).
    pub async fn spawn_local(self, prefix: &str) -> std::io::Result<LocalSim> {
        let router = if prefix.is_empty() {
            self.router()
        } else {
            axum::Router::new().nest(prefix, self.router())
        };
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(serve_router(listener, router, async move {
            let _ = rx.await;
        }));
        Ok(LocalSim {
            url: format!("http://{addr}{prefix}"),
            sim: self,
            stop: Some(tx),
        })
    }
}
