//! Is a difference between two results real or noise? Confidence intervals for the
//! difference between a baseline A and a candidate B, computed from their histograms
//! (what `headroom compare` reports).
//!
//! Every function returns a [`Difference`]: the statistic of each side, B − A, B ÷ A, and
//! a confidence interval for B − A. The difference is **significant** when that interval
//! excludes 0: at 95 % confidence, two results drawn from the same server and workload
//! are called different about 5 % of the time. A difference whose interval holds 0 is
//! **within noise**: these samples cannot tell A and B apart (the difference may still be
//! real, but it is smaller than the noise; more requests or repeats narrow the
//! interval).
//!
//! # Percentiles: an exact bootstrap from the histogram
//!
//! [`quantile_difference`] uses the percentile bootstrap, without resampling any data.
//! For a sample of `n` values with order statistics x₍₁₎ ≤ … ≤ x₍ₙ₎, the nearest-rank
//! `q`-quantile is x₍ₖ₎ with k = ⌈q·n⌉ (clamped to `1..=n`, as [`Dist::quantile`]
//! reads it). A bootstrap resample draws `n` indices ⌈n·Uᵢ⌉ with Uᵢ uniform on (0, 1);
//! its `q`-quantile is the value at the k-th smallest index, ⌈n·U₍ₖ₎⌉, and the k-th
//! smallest of `n` uniforms has the Beta(k, n + 1 − k) distribution. So one bootstrap
//! replicate is x₍⌈n·β⌉₎ with β ~ Beta(k, n + 1 − k), and x₍ⱼ₎ is the histogram's value
//! at rank `j` ([`Dist::value_at_rank`]). This is the exact bootstrap distribution of
//! the order statistic, drawn [`REPLICATES`] times per side at the cost of one Beta
//! variate and one binary search each, whatever `n` is (10 million samples cost no more
//! than 1,000). It needs nothing but the histogram, so it works as well on the merged
//! histogram of several repeats or shards.
//!
//! The replicates of A and of B are drawn independently (A and B are independent runs),
//! subtracted pairwise, and the interval at `confidence` is the percentile interval of
//! those [`REPLICATES`] differences (the 2.5 % and 97.5 % points at 95 %). The random
//! draws come from a seeded generator: the same inputs and seed give the same interval.
//!
//! Like any bootstrap of a percentile, it is optimistic when few samples lie beyond the
//! percentile (P99 of a few hundred requests): the interval is then narrower than it
//! should be. Check [`requests_for_upper_bound`](crate::confidence::requests_for_upper_bound)
//! before trusting a tail percentile.
//!
//! # Means and per-repeat values
//!
//! [`mean_difference`] and [`repeat_difference`] use Welch's t interval: the difference
//! of the means ± t·√(s²_A/n_A + s²_B/n_B), with the Welch–Satterthwaite degrees of
//! freedom (fractional degrees of freedom interpolate the t quantile harmonically between
//! the neighbouring integers). [`repeat_difference`] takes one value per repeat (each
//! repeat's throughput, say), so it measures run-to-run variation, which sampling noise
//! within one run does not show.
//!
//! # Precision
//!
//! Histograms keep 3 significant digits: every recorded value is known to within 0.1 %.
//! A difference between percentiles below about 0.1 % of their size cannot be resolved,
//! whatever the interval says.

use crate::Dist;
use crate::confidence::{normal_quantile, student_t_quantile};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution};
use serde::{Deserialize, Serialize};

/// Bootstrap replicates drawn per side by [`quantile_difference`]. With 4,000, the ends
/// of a 95 % interval are each read from about 100 replicates beyond them, which keeps
/// their Monte Carlo error to a few percent of the interval's width.
pub const REPLICATES: usize = 4000;

/// One compared statistic: baseline A against candidate B.
///
/// Values are in the statistic's display unit (milliseconds for latencies, tokens for
/// lengths, whatever unit repeat values were given in).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Difference {
    /// The statistic of A (baseline).
    pub baseline: f64,
    /// The statistic of B (candidate).
    pub candidate: f64,
    /// `candidate − baseline`.
    pub delta: f64,
    /// `candidate ÷ baseline`. When the baseline is 0: 1 if the candidate is 0 too, +∞ if
    /// it is positive, −∞ if negative (never NaN).
    pub ratio: f64,
    /// Lower end of the confidence interval of `delta`.
    pub lo: f64,
    /// Upper end of the confidence interval of `delta`.
    pub hi: f64,
    /// The two-sided confidence level of `[lo, hi]` (`0.95` for 95 %).
    pub confidence: f64,
    /// The interval excludes 0: the difference is not explained by noise.
    pub significant: bool,
}

impl Difference {
    fn new(baseline: f64, candidate: f64, lo: f64, hi: f64, confidence: f64) -> Self {
        let (lo, hi) = if hi < lo { (hi, lo) } else { (lo, hi) };
        Difference {
            baseline,
            candidate,
            delta: candidate - baseline,
            ratio: ratio(baseline, candidate),
            lo,
            hi,
            confidence,
            significant: lo > 0.0 || hi < 0.0,
        }
    }

    /// `delta` as a fraction of the baseline (`ratio − 1`: `0.1` for 10 % more).
    pub fn relative(&self) -> f64 {
        self.ratio - 1.0
    }
}

/// `candidate ÷ baseline`, with the conventions of [`Difference::ratio`] for a zero
/// baseline.
fn ratio(baseline: f64, candidate: f64) -> f64 {
    if baseline != 0.0 {
        candidate / baseline
    } else if candidate == 0.0 {
        1.0
    } else if candidate > 0.0 {
        f64::INFINITY
    } else {
        f64::NEG_INFINITY
    }
}

/// `true` for a usable two-sided confidence level.
fn valid_level(confidence: f64) -> bool {
    confidence > 0.0 && confidence < 1.0
}

/// The nearest rank of the `q`-quantile among `n` samples, exactly as the histogram's
/// `value_at_quantile` computes it (so rank and [`Dist::quantile_raw`] agree).
fn nearest_rank(q: f64, n: u64) -> u64 {
    ((q * n as f64).ceil() as u64).clamp(1, n)
}

/// The cumulative counts of a histogram, for reading the value at any rank by binary
/// search (O(log buckets) instead of a walk over the buckets).
struct RankTable {
    /// Samples at or below each bucket.
    cumulative: Vec<u64>,
    /// Each bucket's value, as [`Dist::value_at_rank`] reads it.
    values: Vec<u64>,
}

impl RankTable {
    fn new(dist: &Dist) -> Self {
        let mut cumulative = Vec::new();
        let mut values = Vec::new();
        let mut seen = 0u64;
        for (value, count) in dist.buckets() {
            seen += count;
            cumulative.push(seen);
            values.push(value);
        }
        RankTable { cumulative, values }
    }

    /// The value at 1-based `rank` (the first bucket whose cumulative count reaches it).
    fn value(&self, rank: u64) -> u64 {
        let i = self.cumulative.partition_point(|&c| c < rank);
        self.values[i.min(self.values.len() - 1)]
    }
}

/// One bootstrap replicate of the rank of the `k`-th order statistic of `n` samples:
/// ⌈n·β⌉ with β ~ Beta(k, n + 1 − k) (`beta`), clamped to `1..=n`.
fn replicate_rank(n: u64, beta: &Beta<f64>, rng: &mut ChaCha8Rng) -> u64 {
    let b: f64 = beta.sample(rng);
    ((n as f64 * b).ceil() as u64).clamp(1, n)
}

/// [`REPLICATES`] bootstrap replicates of the `q`-quantile of `dist`, in recorded units.
fn replicates(dist: &Dist, q: f64, rng: &mut ChaCha8Rng) -> Option<Vec<f64>> {
    let n = dist.count();
    let k = nearest_rank(q, n);
    let beta = Beta::new(k as f64, (n + 1 - k) as f64).ok()?;
    let table = RankTable::new(dist);
    Some(
        (0..REPLICATES)
            .map(|_| table.value(replicate_rank(n, &beta, rng)) as f64)
            .collect(),
    )
}

/// The percentile interval at `confidence` of `values` (reordered in place): the
/// nearest-rank α/2 and 1 − α/2 points.
fn percentile_interval(values: &mut [f64], confidence: f64) -> (f64, f64) {
    let r = values.len() as f64;
    let half_alpha = (1.0 - confidence) / 2.0;
    // The tolerance keeps 4000 × 0.025 at rank 100 despite 1 − 0.95 rounding up.
    let index = |p: f64| ((r * p - 1e-9).ceil() as usize).clamp(1, values.len()) - 1;
    let (lo, hi) = (index(half_alpha), index(1.0 - half_alpha));
    // Two selections instead of a sort.
    let (_, &mut top, _) = values.select_nth_unstable_by(hi, f64::total_cmp);
    let (_, &mut bottom, _) = values[..=hi].select_nth_unstable_by(lo, f64::total_cmp);
    (bottom, top)
}

/// The difference between the `q`-quantiles (`q` in `[0, 1]`: `0.95` for P95) of A and
/// B, with its percentile bootstrap interval (see the module documentation), in the
/// display unit. `seed` fixes the bootstrap's random draws.
///
/// `None` when either distribution is empty, their units differ, or `q` or `confidence`
/// is out of range.
pub fn quantile_difference(
    a: &Dist,
    b: &Dist,
    q: f64,
    confidence: f64,
    seed: u64,
) -> Option<Difference> {
    if a.is_empty()
        || b.is_empty()
        || a.unit() != b.unit()
        || !(0.0..=1.0).contains(&q)
        || !valid_level(confidence)
    {
        return None;
    }
    let scale = a.unit().scale();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ra = replicates(a, q, &mut rng)?;
    let rb = replicates(b, q, &mut rng)?;
    let mut deltas: Vec<f64> = rb.iter().zip(&ra).map(|(y, x)| (y - x) * scale).collect();
    let (lo, hi) = percentile_interval(&mut deltas, confidence);
    Some(Difference::new(
        a.quantile(q),
        b.quantile(q),
        lo,
        hi,
        confidence,
    ))
}

/// The t quantile at probability `p` for fractional degrees of freedom `df ≥ 1`:
/// exact at integers, interpolated linearly in 1/df between them.
fn t_quantile(df: f64, p: f64) -> f64 {
    if !df.is_finite() {
        return normal_quantile(p);
    }
    let lo = df.floor().max(1.0);
    let t_lo = student_t_quantile(lo as u64, p);
    if df <= lo {
        return t_lo;
    }
    let hi = lo + 1.0;
    let t_hi = student_t_quantile(hi as u64, p);
    t_lo + (t_hi - t_lo) * (1.0 / lo - 1.0 / df) / (1.0 / lo - 1.0 / hi)
}

/// Welch's interval for `mean_b − mean_a` from the means, sample variances and sizes.
fn welch(
    (mean_a, var_a, n_a): (f64, f64, f64),
    (mean_b, var_b, n_b): (f64, f64, f64),
    confidence: f64,
) -> Difference {
    let (ea, eb) = (var_a / n_a, var_b / n_b);
    let se2 = ea + eb;
    let delta = mean_b - mean_a;
    if se2 <= 0.0 {
        // No variation on either side: the difference is exact.
        return Difference::new(mean_a, mean_b, delta, delta, confidence);
    }
    let df = se2 * se2 / (ea * ea / (n_a - 1.0) + eb * eb / (n_b - 1.0));
    let half = t_quantile(df.max(1.0), 0.5 + confidence / 2.0) * se2.sqrt();
    Difference::new(mean_a, mean_b, delta - half, delta + half, confidence)
}

/// The difference between the means of A and B, with Welch's t interval, in the display
/// unit. The mean and variance are exact (not read from the buckets).
///
/// `None` when either distribution has fewer than 2 samples (no variance estimate), their
/// units differ, or `confidence` is out of range.
pub fn mean_difference(a: &Dist, b: &Dist, confidence: f64) -> Option<Difference> {
    if a.count() < 2 || b.count() < 2 || a.unit() != b.unit() || !valid_level(confidence) {
        return None;
    }
    let s = a.unit().scale();
    let side = |d: &Dist| {
        let n = d.count() as f64;
        (
            d.mean_raw() * s,
            d.variance_raw() * n / (n - 1.0) * s * s,
            n,
        )
    };
    Some(welch(side(a), side(b), confidence))
}

/// The difference between the means of per-repeat values (each repeat's throughput, say)
/// of A and B, with Welch's t interval, in the values' unit.
///
/// All values equal on both sides give a zero-width interval at the difference. `None`
/// when either side has fewer than 2 values or a non-finite one, or `confidence` is out
/// of range.
pub fn repeat_difference(a: &[f64], b: &[f64], confidence: f64) -> Option<Difference> {
    if a.len() < 2
        || b.len() < 2
        || !valid_level(confidence)
        || a.iter().chain(b).any(|v| !v.is_finite())
    {
        return None;
    }
    let side = |v: &[f64]| {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let ss: f64 = v.iter().map(|x| (x - mean) * (x - mean)).sum();
        (mean, ss / (n - 1.0), n)
    };
    Some(welch(side(a), side(b), confidence))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::Unit;
    use rand::RngExt;
    use rand_distr::{Exp, LogNormal};

    /// `n` samples of `d` (in µs) into a histogram.
    fn sample(d: &impl Distribution<f64>, n: usize, rng: &mut ChaCha8Rng) -> Dist {
        let mut h = Dist::new(Unit::Micros);
        for _ in 0..n {
            h.record(d.sample(rng) as u64);
        }
        h
    }

    /// Lognormal latencies with median `median_ms` and shape 0.5, in µs.
    fn lognormal(median_ms: f64) -> LogNormal<f64> {
        LogNormal::new((median_ms * 1e3).ln(), 0.5).unwrap()
    }

    /// The true `q`-quantile of [`lognormal`], ms.
    fn lognormal_quantile(median_ms: f64, q: f64) -> f64 {
        median_ms * (0.5 * normal_quantile(q)).exp()
    }

    #[test]
    fn point_estimates_are_the_histogram_readings() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let a = sample(&lognormal(100.0), 3000, &mut rng);
        let b = sample(&lognormal(120.0), 2000, &mut rng);
        for q in [0.0, 0.5, 0.95, 0.99, 1.0] {
            let d = quantile_difference(&a, &b, q, 0.95, 7).unwrap();
            assert_eq!(d.baseline, a.quantile(q));
            assert_eq!(d.candidate, b.quantile(q));
            assert_eq!(d.delta, b.quantile(q) - a.quantile(q));
            assert_eq!(d.ratio, b.quantile(q) / a.quantile(q));
            assert!(d.lo <= d.hi);
            // The same seed gives the same interval.
            assert_eq!(quantile_difference(&a, &b, q, 0.95, 7), Some(d));
        }
        // The table reads every rank like value_at_rank.
        let t = RankTable::new(&a);
        for rank in [1, 2, 17, 1500, 2999, 3000] {
            assert_eq!(t.value(rank), a.value_at_rank(rank), "rank {rank}");
        }
        let m = mean_difference(&a, &b, 0.95).unwrap();
        assert_eq!(m.baseline, a.mean_raw() * 1e-3);
    }

    #[test]
    fn empty_or_mismatched_inputs_give_none() {
        let mut a = Dist::new(Unit::Micros);
        a.record(1000);
        let empty = Dist::new(Unit::Micros);
        assert!(quantile_difference(&a, &empty, 0.5, 0.95, 0).is_none());
        assert!(quantile_difference(&empty, &a, 0.5, 0.95, 0).is_none());
        assert!(quantile_difference(&a, &a, 1.5, 0.95, 0).is_none());
        assert!(quantile_difference(&a, &a, 0.5, 1.0, 0).is_none());
        let mut tokens = Dist::new(Unit::Tokens);
        tokens.record(1000);
        assert!(quantile_difference(&a, &tokens, 0.5, 0.95, 0).is_none());
        // One sample each: the replicate is that sample, the interval a point.
        let mut b = Dist::new(Unit::Micros);
        b.record(3000);
        let d = quantile_difference(&a, &b, 0.5, 0.95, 0).unwrap();
        assert_eq!((d.lo, d.hi, d.delta, d.ratio), (2.0, 2.0, 2.0, 3.0));
        // The mean needs two samples a side.
        assert!(mean_difference(&a, &b, 0.95).is_none());
        b.record(5000);
        assert!(mean_difference(&a, &b, 0.95).is_none());
        a.record(1000);
        let m = mean_difference(&a, &b, 0.95).unwrap();
        assert_eq!(m.delta, 3.0);
    }

    #[test]
    fn ratio_conventions_for_a_zero_baseline() {
        assert_eq!(ratio(0.0, 0.0), 1.0);
        assert_eq!(ratio(0.0, 2.0), f64::INFINITY);
        assert_eq!(ratio(0.0, -2.0), f64::NEG_INFINITY);
        assert_eq!(ratio(4.0, 2.0), 0.5);
    }

    /// The Beta rank replicate has the distribution of the k-th smallest of n resampled
    /// indices: compare both with the exact law P(rank ≤ j) = P(Bin(n, j/n) ≥ k).
    #[test]
    fn beta_replicates_match_naive_resampling() {
        let n = 20u64;
        let draws = 20_000;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for q in [0.5, 0.9, 0.95] {
            let k = nearest_rank(q, n);
            let beta = Beta::new(k as f64, (n + 1 - k) as f64).unwrap();
            let (mut fast, mut naive) = (vec![0u32; n as usize + 1], vec![0u32; n as usize + 1]);
            for _ in 0..draws {
                fast[replicate_rank(n, &beta, &mut rng) as usize] += 1;
                let mut idx: Vec<u64> = (0..n).map(|_| rng.random_range(1..=n)).collect();
                idx.sort_unstable();
                naive[idx[k as usize - 1] as usize] += 1;
            }
            // Exact cdf of the replicate rank.
            let binom_tail = |p: f64| -> f64 {
                (k..=n)
                    .map(|i| {
                        let mut c = 1.0;
                        for j in 0..i {
                            c *= (n - j) as f64 / (j + 1) as f64;
                        }
                        c * p.powi(i as i32) * (1.0 - p).powi((n - i) as i32)
                    })
                    .sum()
            };
            let (mut cf, mut cn) = (0.0, 0.0);
            let (mut mean_f, mut mean_n) = (0.0, 0.0);
            for j in 1..=n {
                cf += fast[j as usize] as f64 / draws as f64;
                cn += naive[j as usize] as f64 / draws as f64;
                mean_f += j as f64 * fast[j as usize] as f64 / draws as f64;
                mean_n += j as f64 * naive[j as usize] as f64 / draws as f64;
                let exact = binom_tail(j as f64 / n as f64);
                assert!(
                    (cf - exact).abs() < 0.015,
                    "q {q} rank {j}: {cf} vs {exact}"
                );
                assert!(
                    (cn - exact).abs() < 0.015,
                    "q {q} rank {j}: {cn} vs {exact}"
                );
            }
            assert!((mean_f - mean_n).abs() < 0.1, "q {q}: {mean_f} vs {mean_n}");
        }
    }

    /// A and B from the same distribution: each statistic is called different about
    /// 5 % of the time at 95 %.
    #[test]
    fn same_distribution_is_within_noise() {
        let pairs = 200;
        let dist = lognormal(200.0);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut false_positives = [0u32; 4];
        for i in 0..pairs {
            let a = sample(&dist, 5000, &mut rng);
            let b = sample(&dist, 5000, &mut rng);
            for (j, q) in [0.5, 0.95, 0.99].into_iter().enumerate() {
                let d = quantile_difference(&a, &b, q, 0.95, i).unwrap();
                false_positives[j] += d.significant as u32;
            }
            false_positives[3] += mean_difference(&a, &b, 0.95).unwrap().significant as u32;
        }
        for (name, fp) in ["p50", "p95", "p99", "mean"].iter().zip(false_positives) {
            let rate = fp as f64 / pairs as f64;
            assert!(rate <= 0.10, "{name}: false positive rate {rate}");
        }
    }

    /// B 10 % slower than A: every statistic differs at 95 %, and the 99.9 % interval
    /// holds the true difference (each 95 % interval misses it 1 time in 20, which the
    /// coverage test measures; one fixed sample can be that one).
    #[test]
    fn a_known_shift_is_significant_and_covered() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let a = sample(&lognormal(200.0), 5000, &mut rng);
        let b = sample(&lognormal(220.0), 5000, &mut rng);
        for q in [0.5, 0.95, 0.99] {
            let truth = lognormal_quantile(220.0, q) - lognormal_quantile(200.0, q);
            let d = quantile_difference(&a, &b, q, 0.95, 1).unwrap();
            assert!(d.significant && d.lo > 0.0, "q {q}: {d:?}");
            let d = quantile_difference(&a, &b, q, 0.999, 1).unwrap();
            assert!(
                d.lo <= truth && truth <= d.hi,
                "q {q}: {truth} not in {d:?}"
            );
        }
        let mean_truth = 20.0 * (0.125f64).exp();
        let m = mean_difference(&a, &b, 0.95).unwrap();
        assert!(m.significant, "{m:?}");
        let m = mean_difference(&a, &b, 0.999).unwrap();
        assert!(m.lo <= mean_truth && mean_truth <= m.hi, "{m:?}");
        // The other way round, the difference is negative.
        let d = quantile_difference(&b, &a, 0.5, 0.95, 1).unwrap();
        assert!(d.significant && d.hi < 0.0, "{d:?}");
    }

    /// A small shift with few samples is not resolvable; with many it is.
    #[test]
    fn power_grows_with_the_sample() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let (slow, fast) = (lognormal(204.0), lognormal(200.0));
        let mut significant = |n: usize| {
            (0..20)
                .filter(|&i| {
                    let a = sample(&fast, n, &mut rng);
                    let b = sample(&slow, n, &mut rng);
                    quantile_difference(&a, &b, 0.5, 0.95, i)
                        .unwrap()
                        .significant
                })
                .count()
        };
        // 2 % at n = 50: the median's noise is about 9 %.
        assert!(significant(50) <= 3);
        // 2 % at n = 40,000: the noise is about 0.6 %.
        assert!(significant(40_000) >= 18);
    }

    /// Over many trials with a known difference, the 95 % interval covers it about 95 %
    /// of the time.
    #[test]
    fn intervals_cover_at_about_the_nominal_rate() {
        let trials = 300;
        let (ea, eb) = (
            Exp::new(1.0 / 100e3).unwrap(),
            Exp::new(1.0 / 110e3).unwrap(),
        );
        // Exponential quantiles, ms (values are floored to µs on recording).
        let truth = |q: f64| 10.0 * -(1.0 - q).ln();
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        let mut hits = [0u32; 3];
        for i in 0..trials {
            let a = sample(&ea, 2000, &mut rng);
            let b = sample(&eb, 2000, &mut rng);
            for (j, q) in [0.5, 0.95].into_iter().enumerate() {
                let d = quantile_difference(&a, &b, q, 0.95, i).unwrap();
                hits[j] += (d.lo <= truth(q) && truth(q) <= d.hi) as u32;
            }
            let m = mean_difference(&a, &b, 0.95).unwrap();
            hits[2] += (m.lo <= 10.0 && 10.0 <= m.hi) as u32;
        }
        for (name, h) in ["p50", "p95", "mean"].iter().zip(hits) {
            let c = h as f64 / trials as f64;
            assert!((0.90..=0.99).contains(&c), "{name}: coverage {c}");
        }
    }

    #[test]
    fn repeat_difference_known_values() {
        // A: mean 12, s² = 4; B: mean 18, s² = 20/3. se² = 4/3 + 5/3 = 3,
        // df = 9 / ((4/3)²/2 + (5/3)²/3) = 243/49 ≈ 4.959 (t₀.₉₇₅ = 2.57696 by mpmath; the interpolation gives 2.5774).
        let d = repeat_difference(&[10.0, 12.0, 14.0], &[15.0, 17.0, 19.0, 21.0], 0.95).unwrap();
        assert_eq!((d.baseline, d.candidate, d.delta), (12.0, 18.0, 6.0));
        assert_eq!(d.ratio, 1.5);
        let half = 2.576_958 * 3f64.sqrt();
        assert!((d.lo - (6.0 - half)).abs() < 2e-3, "{d:?}");
        assert!((d.hi - (6.0 + half)).abs() < 2e-3, "{d:?}");
        assert!(d.significant);
        // Integer degrees of freedom are exact: equal sizes and variances give 2n − 2.
        let d = repeat_difference(&[1.0, 3.0], &[2.0, 4.0], 0.95).unwrap();
        let half = student_t_quantile(2, 0.975) * 2f64.sqrt();
        assert!((d.hi - (1.0 + half)).abs() < 1e-12, "{d:?}");
        assert!(!d.significant);
        // No variation: the difference is exact.
        let d = repeat_difference(&[5.0, 5.0], &[6.0, 6.0, 6.0], 0.95).unwrap();
        assert_eq!((d.lo, d.hi, d.significant), (1.0, 1.0, true));
        let d = repeat_difference(&[5.0, 5.0], &[5.0, 5.0], 0.95).unwrap();
        assert!(!d.significant);
        assert_eq!(repeat_difference(&[1.0], &[1.0, 2.0], 0.95), None);
        assert_eq!(repeat_difference(&[1.0, 2.0], &[], 0.95), None);
        assert_eq!(repeat_difference(&[1.0, f64::NAN], &[1.0, 2.0], 0.95), None);
        assert_eq!(repeat_difference(&[1.0, 2.0], &[1.0, 2.0], 0.0), None);
    }

    /// The cost of one quantile difference on two 10-million-sample histograms. Run with
    /// `cargo test --release -p headroom-metrics cost_on -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing; run in release"]
    #[allow(clippy::print_stderr)]
    fn cost_on_a_big_histogram() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let big = |rng: &mut ChaCha8Rng, median: f64| {
            let mut h = Dist::new(Unit::Micros);
            let d = lognormal(median);
            for _ in 0..1_000_000 {
                h.record_n(d.sample(rng) as u64, 10);
            }
            h
        };
        let (a, b) = (big(&mut rng, 200.0), big(&mut rng, 201.0));
        assert_eq!(a.count(), 10_000_000);
        let runs = 20;
        let start = std::time::Instant::now();
        for i in 0..runs {
            std::hint::black_box(quantile_difference(&a, &b, 0.95, 0.95, i));
        }
        let each = start.elapsed() / runs as u32;
        eprintln!(
            "quantile_difference on 10M samples: {each:?} ({} buckets)",
            RankTable::new(&a).values.len()
        );
        if !cfg!(debug_assertions) {
            assert!(each.as_millis() < 10, "{each:?}");
        }
    }
}
