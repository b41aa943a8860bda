//! The progress bar on stderr, shown only on a terminal.

use headroom_jobs::Progress;
use headroom_metrics::Summary;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::{Duration, Instant};

/// A bar towards a run's requests (a spinner when the total is unknown), redrawn for
/// each run of a sweep or search.
#[derive(Debug)]
pub struct Bar {
    bar: Option<ProgressBar>,
    start: Instant,
}

impl Bar {
    /// A bar, or nothing when `enabled` is false.
    pub fn new(enabled: bool) -> Bar {
        Bar {
            bar: enabled.then(ProgressBar::hidden),
            start: Instant::now(),
        }
    }
}

impl Progress for Bar {
    fn start(&mut self, expected: Option<u64>, duration: Option<Duration>) {
        let Some(bar) = &mut self.bar else {
            return;
        };
        let (b, template) = match expected {
            Some(n) => (
                ProgressBar::new(n),
                "{elapsed_precise} [{bar:30}] {pos}/{len} requests | {msg}",
            ),
            None => (
                ProgressBar::no_length(),
                "{spinner} {elapsed_precise} {pos} requests | {msg}",
            ),
        };
        b.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        if let Ok(style) = ProgressStyle::with_template(template) {
            b.set_style(style.progress_chars("=> "));
        }
        if let Some(d) = duration {
            b.set_message(format!(
                "sending for {}",
                headroom_core::duration::format(d)
            ));
        }
        *bar = b;
        self.start = Instant::now();
    }

    fn update(&mut self, s: &Summary, seen: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(seen);
            let secs = self.start.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "ok {} | failed {} | {:.1} req/s",
                s.counts.ok,
                s.counts.failed(),
                s.counts.ok as f64 / secs
            ));
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
