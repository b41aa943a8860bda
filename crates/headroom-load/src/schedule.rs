//! Open-loop arrival schedules.

use headroom_core::{ArrivalError, ArrivalKind};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma};

/// Intended send times, µs from the start of the schedule: arrival 0 at 0, then gaps
/// drawn from the arrival process with mean `1 / rate`. The same seed gives the same
/// schedule on every platform (ChaCha8).
#[derive(Debug, Clone)]
pub struct Schedule {
    rate: f64,
    gaps: Gaps,
    rng: ChaCha8Rng,
    k: u64,
    t: f64,
}

#[derive(Debug, Clone)]
enum Gaps {
    Constant,
    Exp(Exp<f64>),
    Gamma(Gamma<f64>),
}

impl Schedule {
    /// A schedule of `rate` arrivals per second. `burstiness` is the gamma shape (1 =
    /// Poisson; smaller is burstier); it is ignored by the other processes.
    pub fn new(
        rate: f64,
        kind: ArrivalKind,
        burstiness: f64,
        seed: u64,
    ) -> Result<Self, ArrivalError> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(ArrivalError::Rate(rate));
        }
        let gaps = match kind {
            ArrivalKind::Constant => Gaps::Constant,
            // Cannot fail for a positive finite rate.
            ArrivalKind::Poisson => {
                Gaps::Exp(Exp::new(rate).map_err(|_| ArrivalError::Rate(rate))?)
            }
            ArrivalKind::Gamma => {
                if !(burstiness.is_finite() && burstiness > 0.0) {
                    return Err(ArrivalError::Burstiness(burstiness));
                }
                // Fails only when rate × burstiness overflows or underflows the scale.
                Gaps::Gamma(
                    Gamma::new(burstiness, 1.0 / (rate * burstiness))
                        .map_err(|_| ArrivalError::Gamma { rate, burstiness })?,
                )
            }
        };
        Ok(Schedule {
            rate,
            gaps,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_A441_7A15_0000),
            k: 0,
            t: 0.0,
        })
    }
}

impl Iterator for Schedule {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        let k = self.k;
        self.k += 1;
        if k > 0 {
            self.t = match &self.gaps {
                // Computed from k, not accumulated: no drift however long the run.
                Gaps::Constant => k as f64 / self.rate,
                Gaps::Exp(d) => self.t + d.sample(&mut self.rng),
                Gaps::Gamma(d) => self.t + d.sample(&mut self.rng),
            };
        }
        Some((self.t * 1e6).round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaps(kind: ArrivalKind, b: f64, n: usize) -> Vec<f64> {
        let t: Vec<u64> = Schedule::new(10.0, kind, b, 42)
            .unwrap()
            .take(n + 1)
            .collect();
        t.windows(2).map(|w| (w[1] - w[0]) as f64 / 1e6).collect()
    }

    fn mean_cv(v: &[f64]) -> (f64, f64) {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        (m, sd / m)
    }

    #[test]
    fn constant_is_exact_and_does_not_drift() {
        let t: Vec<u64> = Schedule::new(3.0, ArrivalKind::Constant, 1.0, 0)
            .unwrap()
            .take(3_000_001)
            .collect();
        assert_eq!(&t[..4], &[0, 333_333, 666_667, 1_000_000]);
        assert_eq!(t[3_000_000], 1_000_000_000_000 / 1_000_000 * 1_000_000);
    }

    #[test]
    fn poisson_has_mean_gap_one_over_rate_and_cv_one() {
        let (m, cv) = mean_cv(&gaps(ArrivalKind::Poisson, 1.0, 50_000));
        assert!((m - 0.1).abs() < 0.002, "mean gap {m}");
        assert!((cv - 1.0).abs() < 0.02, "cv {cv}");
    }

    #[test]
    fn gamma_burstiness_sets_the_cv() {
        for b in [0.25, 4.0] {
            let (m, cv) = mean_cv(&gaps(ArrivalKind::Gamma, b, 50_000));
            assert!((m - 0.1).abs() < 0.003, "b={b} mean {m}");
            let want = 1.0 / b.sqrt();
            assert!((cv - want).abs() < 0.04 * want, "b={b} cv {cv} want {want}");
        }
    }

    #[test]
    fn same_seed_same_schedule() {
        let a: Vec<u64> = Schedule::new(5.0, ArrivalKind::Poisson, 1.0, 9)
            .unwrap()
            .take(100)
            .collect();
        let b: Vec<u64> = Schedule::new(5.0, ArrivalKind::Poisson, 1.0, 9)
            .unwrap()
            .take(100)
            .collect();
        let c: Vec<u64> = Schedule::new(5.0, ArrivalKind::Poisson, 1.0, 10)
            .unwrap()
            .take(100)
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn bad_parameters_are_errors() {
        assert!(Schedule::new(0.0, ArrivalKind::Poisson, 1.0, 0).is_err());
        assert!(Schedule::new(f64::NAN, ArrivalKind::Constant, 1.0, 0).is_err());
        assert!(Schedule::new(1.0, ArrivalKind::Gamma, 0.0, 0).is_err());
        assert_eq!(
            Schedule::new(0.0, ArrivalKind::Poisson, 1.0, 0).unwrap_err(),
            ArrivalError::Rate(0.0)
        );
        assert_eq!(
            Schedule::new(1.0, ArrivalKind::Gamma, -2.0, 0).unwrap_err(),
            ArrivalError::Burstiness(-2.0)
        );
        assert!(matches!(
            Schedule::new(1e300, ArrivalKind::Gamma, 1e300, 0),
            Err(ArrivalError::Gamma { .. })
        ));
    }
}
