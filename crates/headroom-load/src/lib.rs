//! The load driver: decides *when* requests are sent, and nothing else.
//!
//! Three independent pieces compose here:
//!
//! - **Arrivals** ([`Schedule`]): closed loop (a fixed number of requests always in
//!   flight) or an open-loop schedule of intended send times computed in advance from
//!   the seed (constant, Poisson or gamma gaps) that never drifts: each arrival sleeps
//!   until `start + t_i`, not for a gap after the previous one.
//! - **Stop rule and warmup** ([`Admission`]): a request count and/or a duration, and a
//!   warmup by count or by time whose requests are journaled but not measured.
//! - **Protocol**: any [`headroom_core::Backend`]; the driver never sees HTTP.
//!
//! [`Driver`] implements [`headroom_core::Runner`]. Under an open-loop `max_concurrency`
//! cap an arrival that finds the cap full waits and is sent late; the lateness is its
//! scheduling lag. Arrivals are never skipped; an interrupted run records the arrivals it
//! could not send as `not_sent`.
//!
//! [`arrivals`] says why a plan's arrivals cannot be drawn; every other check of a plan is
//! [`headroom_core::RunPlan::check`].
//! The simulator's virtual-time runner uses them, the schedule and [`LEAD_US`], so a
//! prediction sends exactly what a real run would, when it would.
//!
//! Open-loop pacing runs on its own thread with precise sleeps (tokio's timer has 1 ms
//! granularity, which alone would put the p99 scheduling lag near 1 ms);
//! [`Pacing::Tokio`] paces with tokio's timer instead, so tests run under the paused
//! clock.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod admission;
mod clock;
mod driver;
mod schedule;

pub use admission::Admission;
pub use clock::RunClock;
pub use driver::{Arrivals, Driver, LEAD_US, Pacing, arrivals};
pub use schedule::Schedule;
