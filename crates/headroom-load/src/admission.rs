//! Stop rule and warmup: decides, for each request about to be sent, whether it is sent at
//! all and whether it is measured.

use headroom_core::{Phase, StopRule, Warmup};
use std::sync::Mutex;

/// Hands out request indices under a stop rule and a warmup.
///
/// `claim(t)` is asked with the request's send time (closed loop) or intended time (open
/// loop), which only grows. Warmup requests do not count towards the stop rule; the
/// measured duration starts at the end of a time warmup, or at the first measured
/// request.
#[derive(Debug)]
pub struct Admission {
    stop: StopRule,
    warmup: Warmup,
    state: Mutex<State>,
}

#[derive(Debug, Default, Clone)]
struct State {
    next: u64,
    measured: u64,
    measure_start_us: Option<u64>,
    closed: bool,
}

impl Admission {
    /// Admission under `stop` and `warmup`.
    pub fn new(stop: StopRule, warmup: Warmup) -> Self {
        Admission {
            stop,
            warmup,
            state: Mutex::new(State::default()),
        }
    }

    /// The next request index and its phase, or `None` once the stop rule is reached.
    pub fn claim(&self, t_us: u64) -> Option<(u64, Phase)> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.closed {
            return None;
        }
        let claimed = self.admit(&mut s, t_us);
        if claimed.is_none() {
            s.closed = true;
        }
        claimed
    }

    /// `claim` without the closed flag: the stop rule and warmup alone decide.
    fn admit(&self, s: &mut State, t_us: u64) -> Option<(u64, Phase)> {
        let phase = match self.warmup {
            Warmup::None => Phase::Measure,
            Warmup::Requests(w) if s.next < w => Phase::Warmup,
            Warmup::Duration(d) if t_us < d.as_micros() as u64 => Phase::Warmup,
            _ => Phase::Measure,
        };
        if phase == Phase::Measure {
            let start = *s.measure_start_us.get_or_insert(match self.warmup {
                Warmup::Duration(d) => d.as_micros() as u64,
                _ => t_us,
            });
            let over_count = self.stop.requests.is_some_and(|n| s.measured >= n);
            let over_time = self
                .stop
                .duration
                .is_some_and(|d| t_us >= start + d.as_micros() as u64);
            if over_count || over_time {
                return None;
            }
            s.measured += 1;
        }
        let i = s.next;
        s.next += 1;
        Some((i, phase))
    }

    /// How many measured requests the stop rule would still have admitted at the times
    /// in `rest` (an open-loop schedule's remaining intended times), after the claims so
    /// far and whether or not admission was closed. Ends at the stop rule or the end of
    /// `rest`; `rest` must be bounded by one of them (every checked plan's is).
    pub fn unclaimed(&self, rest: impl IntoIterator<Item = u64>) -> u64 {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut n = 0;
        for t_us in rest {
            match self.admit(&mut s, t_us) {
                Some((_, Phase::Measure)) => n += 1,
                Some((_, Phase::Warmup)) => {}
                None => break,
            }
        }
        n
    }

    /// Stops handing out indices.
    pub fn close(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).closed = true;
    }

    /// Indices handed out so far.
    pub fn issued(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn rule(requests: Option<u64>, secs: Option<u64>) -> StopRule {
        StopRule {
            requests,
            duration: secs.map(Duration::from_secs),
        }
    }

    #[test]
    fn count_warmup_then_count_stop() {
        let a = Admission::new(rule(Some(3), None), Warmup::Requests(2));
        let got: Vec<_> = std::iter::from_fn(|| a.claim(0)).collect();
        assert_eq!(
            got,
            vec![
                (0, Phase::Warmup),
                (1, Phase::Warmup),
                (2, Phase::Measure),
                (3, Phase::Measure),
                (4, Phase::Measure)
            ]
        );
        assert_eq!(a.claim(0), None, "stays closed");
    }

    #[test]
    fn time_warmup_then_time_stop() {
        let a = Admission::new(
            rule(None, Some(10)),
            Warmup::Duration(Duration::from_secs(5)),
        );
        assert_eq!(a.claim(1_000_000), Some((0, Phase::Warmup)));
        assert_eq!(a.claim(5_000_000), Some((1, Phase::Measure)));
        assert_eq!(a.claim(14_999_999), Some((2, Phase::Measure)));
        assert_eq!(a.claim(15_000_000), None);
    }

    #[test]
    fn duration_counts_from_the_first_measured_request_after_a_count_warmup() {
        let a = Admission::new(rule(None, Some(1)), Warmup::Requests(1));
        assert_eq!(a.claim(0), Some((0, Phase::Warmup)));
        assert_eq!(a.claim(7_000_000), Some((1, Phase::Measure)));
        assert_eq!(a.claim(7_999_999), Some((2, Phase::Measure)));
        assert_eq!(a.claim(8_000_000), None);
    }

    #[test]
    fn unclaimed_counts_what_the_stop_rule_would_still_admit() {
        let a = Admission::new(rule(Some(5), None), Warmup::Requests(1));
        assert_eq!(a.claim(0), Some((0, Phase::Warmup)));
        assert_eq!(a.claim(1), Some((1, Phase::Measure)));
        a.close();
        assert_eq!(a.claim(2), None, "closed");
        // Four measured requests were left of five, whatever the schedule holds beyond.
        assert_eq!(a.unclaimed(2..1_000), 4);
        assert_eq!(a.unclaimed(2..4), 2, "a schedule that ends first");
        // By time: the measured second starts at the first measured request (t = 10).
        let b = Admission::new(rule(None, Some(1)), Warmup::None);
        assert_eq!(b.claim(10), Some((0, Phase::Measure)));
        assert_eq!(b.unclaimed((1..).map(|i| i * 100_000)), 10);
        // A warmup still to come is not counted.
        let c = Admission::new(rule(Some(2), None), Warmup::Requests(3));
        assert_eq!(c.unclaimed(0..100), 2);
    }

    #[test]
    fn whichever_limit_comes_first() {
        let a = Admission::new(rule(Some(2), Some(100)), Warmup::None);
        assert!(a.claim(0).is_some());
        assert!(a.claim(1).is_some());
        assert!(a.claim(2).is_none());
        let b = Admission::new(rule(Some(100), Some(1)), Warmup::None);
        assert!(b.claim(0).is_some());
        assert!(b.claim(1_000_000).is_none());
    }
}
