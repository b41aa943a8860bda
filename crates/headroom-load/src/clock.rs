//! The run clock.

use headroom_core::Clock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Microseconds since the run's epoch, read from tokio's clock (so a paused test clock
/// moves it), with the wall-clock time of the epoch for the manifest.
#[derive(Debug, Clone, Copy)]
pub struct RunClock {
    epoch: Instant,
    epoch_unix_us: u64,
}

impl RunClock {
    /// A clock whose epoch is now.
    pub fn start() -> Self {
        RunClock {
            epoch: Instant::now(),
            epoch_unix_us: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_micros() as u64),
        }
    }

    /// The epoch.
    pub fn epoch(&self) -> Instant {
        self.epoch
    }

    /// The epoch as µs since the Unix epoch.
    pub fn epoch_unix_us(&self) -> u64 {
        self.epoch_unix_us
    }

    /// The instant `us` µs after the epoch.
    pub fn at(&self, us: u64) -> Instant {
        self.epoch + Duration::from_micros(us)
    }
}

impl Clock for RunClock {
    fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }
}
