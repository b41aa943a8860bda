//! The engine in real time: a task that runs steps back to back, sleeping until each
//! step's virtual end, and hands each request its tokens as they are produced.

use crate::engine::{Engine, Event, NewRequest, ReqId};
use crate::prom::ServerMetrics;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};

/// A message to the engine task.
pub(crate) enum Cmd {
    /// Admit a request; one `()` is sent on `tokens` per generated token.
    Submit {
        /// The request.
        req: NewRequest,
        /// Where its tokens go.
        tokens: mpsc::UnboundedSender<()>,
    },
    /// The client went away.
    Abort(ReqId),
}

/// A handle to a running engine task.
#[derive(Debug)]
pub(crate) struct EngineHandle {
    cmd: mpsc::UnboundedSender<Cmd>,
    next_id: AtomicU64,
}

impl EngineHandle {
    /// Starts the engine task on the current runtime.
    pub(crate) fn spawn(engine: Engine, metrics: Arc<ServerMetrics>) -> EngineHandle {
        let (cmd, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(engine, rx, metrics));
        EngineHandle {
            cmd,
            next_id: AtomicU64::new(0),
        }
    }

    /// Submits a request; returns its ticket (dropping it aborts the request) and the
    /// receiver of its tokens.
    pub(crate) fn submit(&self, mut req: NewRequest) -> (Ticket, mpsc::UnboundedReceiver<()>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        req.id = id;
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = self.cmd.send(Cmd::Submit { req, tokens: tx });
        (
            Ticket {
                id,
                cmd: self.cmd.clone(),
            },
            rx,
        )
    }
}

/// A request's claim on the engine; dropping it aborts the request if it is still there.
#[derive(Debug)]
pub(crate) struct Ticket {
    id: ReqId,
    cmd: mpsc::UnboundedSender<Cmd>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let _ = self.cmd.send(Cmd::Abort(self.id));
    }
}

async fn run(
    mut engine: Engine,
    mut rx: mpsc::UnboundedReceiver<Cmd>,
    metrics: Arc<ServerMetrics>,
) {
    let start = Instant::now();
    let elapsed_us = || start.elapsed().as_secs_f64() * 1e6;
    let mut streams: HashMap<ReqId, mpsc::UnboundedSender<()>> = HashMap::new();
    let mut events = Vec::new();
    let handle =
        |cmd: Cmd, engine: &mut Engine, streams: &mut HashMap<ReqId, mpsc::UnboundedSender<()>>| {
            match cmd {
                Cmd::Submit { req, tokens } => {
                    streams.insert(req.id, tokens);
                    engine.add(req);
                }
                Cmd::Abort(id) => {
                    if streams.remove(&id).is_some() {
                        engine.abort(id);
                    }
                }
            }
        };
    loop {
        while let Ok(cmd) = rx.try_recv() {
            handle(cmd, &mut engine, &mut streams);
        }
        if !engine.busy() {
            metrics.set_engine(&engine.stats());
            match rx.recv().await {
                Some(cmd) => {
                    // Time passed while idle; the request arrives now.
                    engine.advance_to(elapsed_us());
                    handle(cmd, &mut engine, &mut streams);
                    continue;
                }
                None => return,
            }
        }
        events.clear();
        if engine.step(&mut events).is_none() {
            // Nothing can be scheduled (the settings forbid it): end those streams, so
            // their clients see a truncated response instead of a hang.
            for id in streams.drain().map(|(id, _)| id).collect::<Vec<_>>() {
                engine.abort(id);
            }
            continue;
        }
        // Tokens appear when the step ends, in real time. The next step starts at this
        // step's virtual end, so lateness in waking never accumulates.
        tokio::time::sleep_until(start + Duration::from_secs_f64(engine.now_us() / 1e6)).await;
        for ev in &events {
            match *ev {
                Event::Token { id, .. } => {
                    let gone = streams.get(&id).is_none_or(|tx| tx.send(()).is_err());
                    if gone && streams.remove(&id).is_some() {
                        engine.abort(id);
                    }
                }
                Event::Finished { id, .. } => {
                    streams.remove(&id);
                }
            }
        }
        metrics.set_engine(&engine.stats());
    }
}
