//! Confidence intervals for capacity decisions.
//!
//! Pure functions, no dependencies: the normal and Student-t quantiles, and intervals for
//! a quantile (distribution-free, from order statistics), a mean, a set of repeat values,
//! a proportion and a rate.
//!
//! Every `confidence` is a two-sided level in `(0, 1)` (`0.95` for 95 %); a function that
//! returns an [`Option`] returns `None` for a level outside that range. Two-sided means
//! the risk is split evenly: a 95 % interval leaves at most 2.5 % on each side.
//!
//! # How many requests a percentile needs
//!
//! The interval for a percentile comes from the ranks of the samples around it, so its
//! width in *percentile points* depends only on the number of samples `n`: about
//! `± z·√(q(1−q)/n)` (`z` = 1.96 at 95 %). [`requests_for_quantile`] inverts that: P95
//! known to ±1 point (between P94 and P96) at 95 % confidence needs 1,825 requests; P99 to
//! ±0.5 point needs 1,522. Below [`requests_for_upper_bound`] requests (72 for P95, 368
//! for P99, 3,688 for P99.9 at 95 %) the sample cannot put any upper bound on the
//! percentile: even its largest value may lie below the true percentile.

use crate::Dist;
use serde::{Deserialize, Serialize};
use std::f64::consts::{PI, SQRT_2};

/// A closed interval `[lo, hi]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Interval {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl Interval {
    /// `[lo, hi]`, with the ends swapped if given in the wrong order.
    pub fn new(lo: f64, hi: f64) -> Self {
        if hi < lo {
            Interval { lo: hi, hi: lo }
        } else {
            Interval { lo, hi }
        }
    }

    /// The single point `value`.
    pub fn point(value: f64) -> Self {
        Interval {
            lo: value,
            hi: value,
        }
    }

    /// `true` when `lo <= value <= hi`.
    pub fn contains(&self, value: f64) -> bool {
        self.lo <= value && value <= self.hi
    }

    /// `hi − lo`.
    pub fn width(&self) -> f64 {
        self.hi - self.lo
    }

    /// The middle, `(lo + hi) / 2`.
    pub fn mid(&self) -> f64 {
        (self.lo + self.hi) / 2.0
    }

    /// The smallest interval holding both (their union when they overlap).
    pub fn hull(&self, other: &Interval) -> Interval {
        Interval {
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
        }
    }

    /// Both ends multiplied by `factor` (for a positive `factor`; a negative one swaps them).
    pub fn scale(&self, factor: f64) -> Interval {
        Interval::new(self.lo * factor, self.hi * factor)
    }
}

/// `true` for a usable two-sided confidence level.
fn valid_level(confidence: f64) -> bool {
    confidence > 0.0 && confidence < 1.0
}

/// The `z` of a two-sided level: `normal_quantile((1 + confidence) / 2)`.
fn two_sided_z(confidence: f64) -> f64 {
    normal_quantile(0.5 + confidence / 2.0)
}

/// The standard normal CDF Φ(x), to about 1e-15 relative accuracy in both tails.
///
/// A power series of erf for |x| < 3, the continued fraction of Mills' ratio beyond.
pub fn normal_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let a = x.abs();
    if a < 3.0 {
        // erf(z) = 2/√π · e^{−z²} · Σ 2ⁿ z^{2n+1} / (1·3·…·(2n+1)): positive terms, no
        // cancellation.
        let z = a / SQRT_2;
        let z2 = z * z;
        let mut term = z;
        let mut sum = z;
        let mut n = 0.0;
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * z2 / (2.0 * n + 1.0);
            sum += term;
        }
        let erf = 2.0 / PI.sqrt() * (-z2).exp() * sum;
        if x >= 0.0 {
            0.5 + 0.5 * erf
        } else {
            0.5 - 0.5 * erf
        }
    } else {
        // Upper tail Q(a) = φ(a) / (a + 1/(a + 2/(a + 3/(a + …)))), evaluated backwards.
        let mut t = a;
        for k in (1..=300).rev() {
            t = a + k as f64 / t;
        }
        let tail = (-0.5 * a * a).exp() / (2.0 * PI).sqrt() / t;
        if x >= 0.0 { 1.0 - tail } else { tail }
    }
}

/// The inverse of the standard normal CDF: the `z` with Φ(z) = `p`.
///
/// Acklam's rational approximation (relative error 1.2e-9) refined by one Halley step on
/// [`normal_cdf`], accurate to about 1e-14. `p = 0` gives −∞, `p = 1` +∞, and `p`
/// outside `[0, 1]` NaN.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.02425;
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < P_LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    };
    // Halley step. In the upper tail compare upper-tail probabilities, which keep their
    // precision where Φ(x) rounds to 1.
    let e = if x > 0.0 {
        (1.0 - p) - normal_cdf(-x)
    } else {
        normal_cdf(x) - p
    };
    let u = e * (2.0 * PI).sqrt() * (x * x / 2.0).exp();
    if !u.is_finite() {
        return x;
    }
    x - u / (1.0 + x * u / 2.0)
}

/// The inverse CDF of Student's t distribution with `df` degrees of freedom: the `t`
/// with P(T ≤ t) = `p`.
///
/// Closed forms for `df` 1 and 2; up to 1,000 degrees of freedom, Newton's method on the
/// exact CDF (the finite series of Abramowitz & Stegun 26.7.3–4), accurate to about
/// 1e-10; above, the Cornish-Fisher expansion (A&S 26.7.5) to 1/df⁴, whose error there is
/// below 1e-9 for `p` within `[1e-9, 1 − 1e-9]`. `p = 0` and `p = 1` give ∓∞; `df = 0` or
/// `p` outside `[0, 1]` give NaN.
pub fn student_t_quantile(df: u64, p: f64) -> f64 {
    if df == 0 || p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p < 0.5 {
        return -student_t_quantile(df, 1.0 - p);
    }
    if p == 0.5 {
        return 0.0;
    }
    match df {
        1 => (PI * (p - 0.5)).tan(),
        2 => (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt(),
        3..=1000 => t_newton(df, p),
        _ => cornish_fisher(df as f64, normal_quantile(p)),
    }
}

/// Cornish-Fisher expansion of the t quantile around the normal one (A&S 26.7.5).
fn cornish_fisher(v: f64, z: f64) -> f64 {
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v)
}

/// P(|T| ≤ t) for `t ≥ 0` and `df ≥ 3`, and the density of T at `t`.
fn t_central(df: u64, c: f64, t: f64) -> (f64, f64) {
    let v = df as f64;
    let cos2 = v / (v + t * t);
    let sin = t / (v + t * t).sqrt();
    let a = if df % 2 == 1 {
        // 2/π · (θ + sinθ · (cosθ + 2/3 cos³θ + … + (2·4…(v−3))/(1·3…(v−2)) cos^{v−2}θ))
        let theta = (t / v.sqrt()).atan();
        let mut term = cos2.sqrt();
        let mut sum = term;
        for k in 0..(df - 3) / 2 {
            let k = k as f64;
            term *= cos2 * (2.0 * k + 2.0) / (2.0 * k + 3.0);
            sum += term;
        }
        2.0 / PI * (theta + sin * sum)
    } else {
        // sinθ · (1 + 1/2 cos²θ + 1·3/(2·4) cos⁴θ + … + (1·3…(v−3))/(2·4…(v−2)) cos^{v−2}θ)
        let mut term = 1.0;
        let mut sum = 1.0;
        for k in 0..(df - 2) / 2 {
            let k = k as f64;
            term *= cos2 * (2.0 * k + 1.0) / (2.0 * k + 2.0);
            sum += term;
        }
        sin * sum
    };
    let density = c * (-(v + 1.0) / 2.0 * (t * t / v).ln_1p()).exp();
    (a.min(1.0), density)
}

/// The normalising constant Γ((v+1)/2) / (√(vπ) Γ(v/2)) of the t density, by the
/// recursion c(v+2) = c(v) · √(v/(v+2)) · (v+1)/v from c(1) = 1/π and c(2) = 1/(2√2).
fn t_density_constant(df: u64) -> f64 {
    let (mut v, mut c) = if df % 2 == 1 {
        (1.0, 1.0 / PI)
    } else {
        (2.0, 1.0 / (2.0 * SQRT_2))
    };
    while v < df as f64 {
        c *= (v / (v + 2.0)).sqrt() * (v + 1.0) / v;
        v += 2.0;
    }
    c
}

/// Newton's method with a bisection safeguard on P(|T| ≤ t) = 2p − 1, for `p > 0.5`.
fn t_newton(df: u64, p: f64) -> f64 {
    let c = t_density_constant(df);
    let target = 2.0 * p - 1.0;
    let mut t = cornish_fisher(df as f64, normal_quantile(p)).max(1e-3);
    // Bracket the root: [lo, hi] with A(lo) < target ≤ A(hi).
    let mut lo = 0.0;
    let mut hi = t;
    while t_central(df, c, hi).0 < target {
        lo = hi;
        hi *= 2.0;
        if !hi.is_finite() {
            return hi;
        }
    }
    t = t.clamp(lo, hi);
    for _ in 0..100 {
        let (a, density) = t_central(df, c, t);
        let f = a - target;
        if f < 0.0 {
            lo = t;
        } else {
            hi = t;
        }
        let mut next = t - f / (2.0 * density);
        if !(next > lo && next < hi) {
            next = (lo + hi) / 2.0;
        }
        if (next - t).abs() <= 1e-14 * t.abs() {
            return next;
        }
        t = next;
    }
    t
}

/// Order-statistic ranks `(l, u)` (1-based) of a distribution-free confidence interval
/// for the `q`-quantile of a continuous distribution, from `n` samples:
/// P(X₍ₗ₎ ≤ ξ_q ≤ X₍ᵤ₎) ≥ `confidence`.
///
/// The number B of samples below ξ_q is Binomial(n, q), and X₍ₗ₎ ≤ ξ_q ≤ X₍ᵤ₎ exactly
/// when l ≤ B < u. `l` is the largest rank with P(B < l) ≤ α/2 and `u` the smallest with
/// P(B ≥ u) ≤ α/2 (α = 1 − confidence), from the exact binomial probabilities (summed
/// around the mode, where all but a negligible part of the mass lies, so any `n` costs
/// O(√n)).
///
/// `l = 0` means no sample is low enough for a lower bound at this confidence, and
/// `u = n + 1` that none is high enough for an upper bound (see
/// [`requests_for_upper_bound`]). `q = 0` gives `(0, 1)` and `q = 1` gives `(n, n + 1)`.
/// `None` for `n = 0`, `q` outside `[0, 1]` or an invalid level.
pub fn quantile_ranks(n: u64, q: f64, confidence: f64) -> Option<(u64, u64)> {
    if n == 0 || !(0.0..=1.0).contains(&q) || !valid_level(confidence) {
        return None;
    }
    if q == 0.0 {
        return Some((0, 1));
    }
    if q == 1.0 {
        return Some((n, n + 1));
    }
    let half_alpha = (1.0 - confidence) / 2.0;
    let nf = n as f64;
    let sigma = (nf * q * (1.0 - q)).sqrt();
    let mode = (((nf + 1.0) * q).floor() as u64).min(n);
    let w = (12.0 * sigma).ceil() as u64 + 30;
    let lo = mode.saturating_sub(w);
    let hi = mode.saturating_add(w).min(n);
    // Unnormalised pmf over [lo, hi] by the ratio recursion from the mode (value 1).
    let len = (hi - lo + 1) as usize;
    let mut pmf = vec![0.0f64; len];
    let r = q / (1.0 - q);
    let m = (mode - lo) as usize;
    pmf[m] = 1.0;
    for i in m..len - 1 {
        let k = (lo + i as u64) as f64;
        pmf[i + 1] = pmf[i] * (nf - k) / (k + 1.0) * r;
    }
    for i in (1..=m).rev() {
        let k = (lo + i as u64) as f64;
        pmf[i - 1] = pmf[i] * k / (nf - k + 1.0) / r;
    }
    let total: f64 = pmf.iter().sum();
    // l: P(B ≤ k) ≤ α/2 holds for k = lo − 1 (mass below the window is negligible), so
    // l ≥ lo; raise it while the cumulative mass allows.
    let mut l = lo;
    let mut cum = 0.0;
    for (i, p) in pmf.iter().enumerate() {
        cum += p / total;
        if cum <= half_alpha {
            l = lo + i as u64 + 1;
        } else {
            break;
        }
    }
    let mut u = hi + 1;
    let mut tail = 0.0;
    for (i, p) in pmf.iter().enumerate().rev() {
        tail += p / total;
        if tail <= half_alpha {
            u = lo + i as u64;
        } else {
            break;
        }
    }
    Some((l, u))
}

/// Distribution-free confidence interval for the `q`-quantile (`q` in `[0, 1]`) of the
/// population `dist` was sampled from, in recorded units (µs for latencies).
///
/// The ends are the samples at the ranks of [`quantile_ranks`], read from the histogram
/// like [`Dist::quantile_raw`]. Where the sample is too small for a bound on one side
/// (rank 0 or n + 1), that end is the sample's exact minimum or maximum: the interval is
/// then one-sided, and that end is only the most extreme value seen, not a confidence
/// bound (the true quantile may lie beyond it). `None` when `dist` is empty or an argument
/// is out of range.
pub fn quantile_interval(dist: &Dist, q: f64, confidence: f64) -> Option<Interval> {
    let n = dist.count();
    let (l, u) = quantile_ranks(n, q, confidence)?;
    let lo = if l == 0 {
        dist.min_raw()
    } else {
        dist.value_at_rank(l)
    };
    let hi = if u > n {
        dist.max_raw()
    } else {
        dist.value_at_rank(u)
    };
    Some(Interval::new(lo as f64, hi as f64))
}

/// Confidence interval for the population mean: mean ± t(n−1)·s/√n, with s the sample
/// standard deviation, in recorded units. `None` with fewer than 2 samples.
///
/// The t interval relies on the central limit theorem: good for a few hundred latency
/// samples, optimistic for a handful from a heavy-tailed distribution.
pub fn mean_interval(dist: &Dist, confidence: f64) -> Option<Interval> {
    let n = dist.count();
    if n < 2 || !valid_level(confidence) {
        return None;
    }
    let nf = n as f64;
    let s2 = dist.variance_raw() * nf / (nf - 1.0);
    let half = student_t_quantile(n - 1, 0.5 + confidence / 2.0) * (s2 / nf).sqrt();
    let m = dist.mean_raw();
    Some(Interval::new(m - half, m + half))
}

/// Confidence interval for the mean of the process that produced `values` (one value per
/// repeat): mean ± t(n−1)·s/√n. `None` with fewer than 2 values or a non-finite value;
/// zero width when all values are equal.
pub fn t_interval(values: &[f64], confidence: f64) -> Option<Interval> {
    if values.len() < 2 || !valid_level(confidence) || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let first = values[0];
    if values.iter().all(|&v| v == first) {
        return Some(Interval::point(first));
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    let s = (ss / (n - 1.0)).sqrt();
    let half = student_t_quantile(values.len() as u64 - 1, 0.5 + confidence / 2.0) * s / n.sqrt();
    Some(Interval::new(mean - half, mean + half))
}

/// Wilson score interval for a proportion: `k` successes in `n` trials, within `[0, 1]`.
/// Unlike p̂ ± z·√(p̂(1−p̂)/n) it stays informative at `k = 0` (an upper bound of about
/// 3.8/n at 95 %) and `k = n`. `None` for `n = 0` or `k > n`.
pub fn wilson_interval(k: u64, n: u64, confidence: f64) -> Option<Interval> {
    if n == 0 || k > n || !valid_level(confidence) {
        return None;
    }
    let z = two_sided_z(confidence);
    let nf = n as f64;
    let p = k as f64 / nf;
    let z2n = z * z / nf;
    let centre = (p + z2n / 2.0) / (1.0 + z2n);
    let half = z / (1.0 + z2n) * (p * (1.0 - p) / nf + z2n / (4.0 * nf)).sqrt();
    let lo = if k == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if k == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    Some(Interval::new(lo, hi))
}

/// Confidence interval for a Poisson rate: `count` events in `seconds`, in events per
/// second.
///
/// The exact (Garwood) interval: the lower end is the rate λ at which P(X ≥ count) = α/2,
/// the upper end the one at which P(X ≤ count) = α/2 (chi-square quantiles
/// χ²(α/2; 2k)/2 and χ²(1−α/2; 2k+2)/2). Solved on the Poisson CDF up to 1,000 events;
/// above, the chi-square quantiles by Wilson–Hilferty (relative error below 1e-5 there).
/// `count = 0` gives a lower end of 0. `None` unless `seconds` is positive and finite.
pub fn poisson_rate_interval(count: u64, seconds: f64, confidence: f64) -> Option<Interval> {
    if !(seconds > 0.0 && seconds.is_finite() && valid_level(confidence)) {
        return None;
    }
    let half_alpha = (1.0 - confidence) / 2.0;
    let (lo, hi) = if count <= 1000 {
        let lo = if count == 0 {
            0.0
        } else {
            // P(X ≤ count − 1; λ) falls from 1 as λ grows: find where it reaches 1 − α/2.
            solve_decreasing(
                |l| poisson_cdf(count - 1, l),
                1.0 - half_alpha,
                count as f64,
            )
        };
        let hi = solve_decreasing(|l| poisson_cdf(count, l), half_alpha, count as f64 + 1.0);
        (lo, hi)
    } else {
        let z = two_sided_z(confidence);
        let k = count as f64;
        let k1 = k + 1.0;
        let lo = k * (1.0 - 1.0 / (9.0 * k) - z / (3.0 * k.sqrt())).powi(3);
        let hi = k1 * (1.0 - 1.0 / (9.0 * k1) + z / (3.0 * k1.sqrt())).powi(3);
        (lo, hi)
    };
    Some(Interval::new(lo / seconds, hi / seconds))
}

/// P(X ≤ k) for X ~ Poisson(λ), summing the terms in log space.
fn poisson_cdf(k: u64, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 1.0;
    }
    let ln_l = lambda.ln();
    let mut ln_term = -lambda;
    let mut sum = ln_term.exp();
    for j in 1..=k {
        ln_term += ln_l - (j as f64).ln();
        sum += ln_term.exp();
    }
    sum.min(1.0)
}

/// The `x ≥ 0` where the decreasing `f` crosses `target`, by bisection from a bracket
/// grown out of `start`.
fn solve_decreasing(f: impl Fn(f64) -> f64, target: f64, start: f64) -> f64 {
    let mut lo = 0.0;
    let mut hi = start.max(1.0);
    while f(hi) > target {
        lo = hi;
        hi *= 2.0;
        if !hi.is_finite() {
            return hi;
        }
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if f(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-13 * hi {
            break;
        }
    }
    (lo + hi) / 2.0
}

/// Samples needed for the interval of the `q`-quantile to span at most ±`half_width`
/// of the quantile scale (`0.01` = ±1 percentile point) at `confidence`:
/// n ≥ z²·q(1−q)/h², from the normal approximation of the binomial rank.
///
/// P95 to ±1 point at 95 %: 1,825; P99 to ±0.5 point: 1,522; P50 to ±2 points: 2,401. At
/// least 1; `u64::MAX` when `half_width` is not positive.
pub fn requests_for_quantile(q: f64, half_width: f64, confidence: f64) -> u64 {
    if half_width.is_nan() || half_width <= 0.0 {
        return u64::MAX;
    }
    let z = two_sided_z(confidence);
    let n = (z * z * q * (1.0 - q) / (half_width * half_width)).ceil();
    // Float-to-int `as` saturates; NaN (an invalid level) becomes 0.
    (n as u64).max(1)
}

/// The fewest samples whose maximum is an upper confidence bound for the `q`-quantile at
/// `confidence` (two-sided, as in [`quantile_ranks`]): the smallest n with qⁿ ≤ α/2.
/// With fewer, no sample can show that the quantile is below a limit.
///
/// At 95 %: P90 36, P95 72, P99 368, P99.9 3,688. 1 for `q = 0`, `u64::MAX` for `q ≥ 1`.
pub fn requests_for_upper_bound(q: f64, confidence: f64) -> u64 {
    if q >= 1.0 || q.is_nan() {
        return u64::MAX;
    }
    if q <= 0.0 {
        return 1;
    }
    let half_alpha = (1.0 - confidence) / 2.0;
    let n = (half_alpha.ln() / q.ln()).ceil();
    (n as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Unit;

    /// SplitMix64: a tiny seeded generator for reproducible samples.
    struct Rng(u64);

    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in (0, 1).
        fn uniform(&mut self) -> f64 {
            ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }

        fn exponential(&mut self, mean: f64) -> f64 {
            -mean * self.uniform().ln()
        }

        fn normal(&mut self) -> f64 {
            (-2.0 * self.uniform().ln()).sqrt() * (2.0 * PI * self.uniform()).cos()
        }
    }

    fn close(got: f64, want: f64, tol: f64) {
        assert!(
            (got - want).abs() <= tol * want.abs().max(1.0),
            "{got} vs {want} (tolerance {tol})"
        );
    }

    #[test]
    fn normal_quantile_matches_reference_values() {
        for (p, z) in [
            (0.975, 1.959_963_984_540_054),
            (0.025, -1.959_963_984_540_054),
            (0.999, 3.090_232_306_167_813_5),
            (0.9, 1.281_551_565_544_600_5),
            (0.5, 0.0),
            (1e-10, -6.361_340_902_404_056),
            (1e-20, -9.262_340_089_798_408),
            (1e-100, -21.273_453_560_965_324),
            (1e-300, -37.047_096_299_361_2),
            (1.0 - 1e-12, 7.034_486_910_047_835),
        ] {
            close(normal_quantile(p), z, 1e-11);
        }
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(normal_quantile(1.5).is_nan() && normal_quantile(-0.1).is_nan());
        // Φ(Φ⁻¹(p)) = p across the range, and symmetry.
        for i in 1..1000 {
            let p = i as f64 / 1000.0;
            let z = normal_quantile(p);
            assert!((normal_cdf(z) - p).abs() < 1e-14, "p {p}");
            assert!((z + normal_quantile(1.0 - p)).abs() < 1e-9, "p {p}");
        }
    }

    #[test]
    fn normal_cdf_matches_reference_values() {
        for (x, p) in [
            (1.0, 0.841_344_746_068_542_9),
            (-3.0, 1.349_898_031_630_094_5e-3),
            (-3.0 * SQRT_2, 1.104_524_849_929_272e-5),
            (-5.0, 2.866_515_718_791_939e-7),
            (-10.0, 7.619_853_024_160_526e-24),
            (-30.0, 4.906_713_927_148_187e-198),
        ] {
            close(normal_cdf(x) / p, 1.0, 1e-13);
        }
    }

    #[test]
    fn student_t_matches_tables() {
        // The usual table values (3 decimals) ...
        for (df, t) in [(1, 12.706), (2, 4.303), (4, 2.776), (9, 2.262), (30, 2.042)] {
            assert!((student_t_quantile(df, 0.975) - t).abs() < 5e-4, "df {df}");
        }
        // ... and more digits (mpmath).
        for (df, p, t) in [
            (1, 0.975, 12.706_204_736_174_7),
            (1, 0.995, 63.656_741_162_871_6),
            (2, 0.975, 4.302_652_729_749_46),
            (2, 0.6, 0.288_675_134_594_813),
            (3, 0.975, 3.182_446_305_283_71),
            (3, 0.9999, 22.203_742_273_204_2),
            (4, 0.8, 0.940_964_577_235_181),
            (5, 0.995, 4.032_142_983_555_23),
            (5, 0.999_999_9, 39.341_819_616_899_6),
            (7, 0.51, 0.025_977_941_569_516_9),
            (9, 0.975, 2.262_157_162_798_21),
            (30, 0.995, 2.749_995_653_567_23),
            (100, 0.975, 1.983_971_518_523_55),
            (1000, 0.975, 1.962_339_080_826_41),
            (1000, 0.999_999_9, 5.235_998_469_292_35),
            (1001, 0.975, 1.962_336_705_280_88),
            (1001, 0.995, 2.580_749_768_750_52),
        ] {
            close(student_t_quantile(df, p), t, 1e-9);
            close(student_t_quantile(df, 1.0 - p), -t, 1e-9);
        }
        assert_eq!(student_t_quantile(5, 0.5), 0.0);
        close(
            student_t_quantile(10_000_000, 0.975),
            normal_quantile(0.975),
            1e-6,
        );
        assert!(student_t_quantile(0, 0.9).is_nan());
        assert_eq!(student_t_quantile(3, 1.0), f64::INFINITY);
    }

    #[test]
    fn interval_helpers() {
        let a = Interval::new(3.0, 1.0);
        assert_eq!(a, Interval { lo: 1.0, hi: 3.0 });
        assert!(a.contains(1.0) && a.contains(3.0) && !a.contains(3.1));
        assert_eq!(a.width(), 2.0);
        assert_eq!(a.mid(), 2.0);
        assert_eq!(
            a.hull(&Interval::new(5.0, 6.0)),
            Interval { lo: 1.0, hi: 6.0 }
        );
        assert_eq!(a.scale(0.5), Interval { lo: 0.5, hi: 1.5 });
        assert_eq!(
            serde_json::to_value(a).unwrap(),
            serde_json::json!({"lo": 1.0, "hi": 3.0})
        );
    }

    /// The exact coverage P(l ≤ B < u) of ranks, by summing the binomial pmf.
    fn exact_coverage(n: u64, q: f64, l: u64, u: u64) -> f64 {
        let mut ln_fact = vec![0.0f64; n as usize + 1];
        for i in 1..=n as usize {
            ln_fact[i] = ln_fact[i - 1] + (i as f64).ln();
        }
        (l..u)
            .map(|k| {
                let k = k as usize;
                (ln_fact[n as usize] - ln_fact[k] - ln_fact[n as usize - k]
                    + k as f64 * q.ln()
                    + (n as usize - k) as f64 * (1.0 - q).ln())
                .exp()
            })
            .sum()
    }

    #[test]
    fn quantile_ranks_are_the_tightest_with_enough_coverage() {
        for (n, q) in [
            (20, 0.5),
            (100, 0.95),
            (500, 0.95),
            (1000, 0.99),
            (400, 0.99),
            (50, 0.1),
        ] {
            let (l, u) = quantile_ranks(n, q, 0.95).unwrap();
            assert!(1 <= l && l < u && u <= n, "n {n} q {q}: {l} {u}");
            assert!(exact_coverage(n, q, l, u) >= 0.95, "n {n} q {q}");
            // One rank tighter on either side loses the α/2 guarantee on that side.
            let below: f64 = exact_coverage(n, q, 0, l + 1);
            let above: f64 = exact_coverage(n, q, u - 1, n + 1);
            assert!(below > 0.025 && above > 0.025, "n {n} q {q}");
        }
        // Known textbook case: the median of 20 at 95 % lies between X(6) and X(15).
        assert_eq!(quantile_ranks(20, 0.5, 0.95), Some((6, 15)));
        // Too few for an upper bound on P99: 0.99^300 = 0.049 > 0.025.
        let (_, u) = quantile_ranks(300, 0.99, 0.95).unwrap();
        assert_eq!(u, 301);
        assert_eq!(quantile_ranks(5, 0.0, 0.95), Some((0, 1)));
        assert_eq!(quantile_ranks(5, 1.0, 0.95), Some((5, 6)));
        assert_eq!(quantile_ranks(0, 0.5, 0.95), None);
        assert_eq!(quantile_ranks(5, 0.5, 1.0), None);
        // Large n: centred on nq, half-width about z·σ.
        let n = 100_000_000;
        let (l, u) = quantile_ranks(n, 0.95, 0.95).unwrap();
        let sigma = (n as f64 * 0.95 * 0.05).sqrt();
        close((u - l) as f64 / 2.0, 1.96 * sigma, 1e-3);
        close((u + l) as f64 / 2.0, 0.95 * n as f64, 1e-6);
    }

    #[test]
    fn upper_bound_needs_enough_requests() {
        for (q, n) in [(0.9, 36), (0.95, 72), (0.99, 368), (0.999, 3688)] {
            assert_eq!(requests_for_upper_bound(q, 0.95), n, "q {q}");
            assert_eq!(quantile_ranks(n, q, 0.95).unwrap().1, n, "q {q}");
            assert_eq!(quantile_ranks(n - 1, q, 0.95).unwrap().1, n, "q {q}");
        }
    }

    #[test]
    fn requests_for_quantile_known_values() {
        assert_eq!(requests_for_quantile(0.95, 0.01, 0.95), 1825);
        assert_eq!(requests_for_quantile(0.99, 0.005, 0.95), 1522);
        assert_eq!(requests_for_quantile(0.5, 0.02, 0.95), 2401);
        assert_eq!(requests_for_quantile(0.95, 0.0, 0.95), u64::MAX);
        // The rank interval at that n does span about ±1 point.
        let n = 1825;
        let (l, u) = quantile_ranks(n, 0.95, 0.95).unwrap();
        close((u - l) as f64 / n as f64 / 2.0, 0.01, 0.05);
    }

    #[test]
    fn quantile_interval_holds_the_true_quantile_of_a_big_sample() {
        let mut rng = Rng(7);
        let mean = 100_000.0; // µs
        let mut d = Dist::new(Unit::Micros);
        for _ in 0..100_000 {
            d.record(rng.exponential(mean) as u64);
        }
        for q in [0.5f64, 0.9, 0.95, 0.99, 0.999] {
            let truth = -mean * (1.0 - q).ln();
            let i = quantile_interval(&d, q, 0.95).unwrap();
            assert!(i.contains(truth), "q {q}: {i:?} vs {truth}");
            assert!(i.contains(d.quantile_raw(q) as f64), "q {q}");
            assert!(i.width() < 0.1 * truth, "q {q}: {i:?}");
        }
        assert!(quantile_interval(&Dist::new(Unit::Micros), 0.5, 0.95).is_none());
        let m = mean_interval(&d, 0.95).unwrap();
        assert!(m.contains(mean), "{m:?}");
    }

    #[test]
    fn too_few_samples_give_a_one_sided_quantile_interval() {
        let mut d = Dist::new(Unit::Micros);
        for v in 1..=50u64 {
            d.record(v * 1000);
        }
        let i = quantile_interval(&d, 0.99, 0.95).unwrap();
        assert_eq!(i.hi, 50_000.0, "the maximum, not a bound");
        let mut one = Dist::new(Unit::Micros);
        one.record(7);
        assert_eq!(
            quantile_interval(&one, 0.5, 0.95),
            Some(Interval::point(7.0))
        );
    }

    #[test]
    fn quantile_and_mean_intervals_cover_at_the_nominal_rate() {
        let mut rng = Rng(42);
        let mean = 50_000.0;
        // 4,000 trials: the standard error of a 95 % coverage is then 0.35 points (with
        // 400, runs of bad luck of 3 points happen: this seed's first 400 cover the
        // median 91.75 % of the time).
        let trials = 4000;
        let (mut p95, mut p50, mut m) = (0, 0, 0);
        for _ in 0..trials {
            let mut d = Dist::new(Unit::Micros);
            for _ in 0..500 {
                d.record(rng.exponential(mean) as u64);
            }
            // The true quantiles of the recorded (floored) values.
            let t95 = (-mean * 0.05f64.ln()).floor();
            let t50 = (-mean * 0.5f64.ln()).floor();
            p95 += quantile_interval(&d, 0.95, 0.95).unwrap().contains(t95) as u32;
            p50 += quantile_interval(&d, 0.5, 0.95).unwrap().contains(t50) as u32;
            m += mean_interval(&d, 0.95).unwrap().contains(mean - 0.5) as u32;
        }
        for (name, hits) in [("p95", p95), ("p50", p50), ("mean", m)] {
            let c = hits as f64 / trials as f64;
            assert!((0.92..=0.98).contains(&c), "{name} coverage {c}");
        }
    }

    #[test]
    fn t_interval_covers_at_the_nominal_rate() {
        let mut rng = Rng(1);
        let trials = 2000;
        let mut hits = 0;
        for _ in 0..trials {
            let v: Vec<f64> = (0..5).map(|_| 10.0 + 2.0 * rng.normal()).collect();
            hits += t_interval(&v, 0.95).unwrap().contains(10.0) as u32;
        }
        let c = hits as f64 / trials as f64;
        assert!((0.93..=0.97).contains(&c), "coverage {c}");
        // Two values 1 and 3: mean 2, s = √2, t(1) = 12.706: 2 ± 12.706.
        let i = t_interval(&[1.0, 3.0], 0.95).unwrap();
        close(i.hi, 2.0 + 12.706_204_736_174_7, 1e-12);
        assert_eq!(
            t_interval(&[0.1, 0.1, 0.1], 0.95),
            Some(Interval::point(0.1))
        );
        assert_eq!(t_interval(&[1.0], 0.95), None);
        assert_eq!(t_interval(&[1.0, f64::NAN], 0.95), None);
    }

    #[test]
    fn wilson_known_values() {
        // 0 of 100: [0, 0.037] at 95 %.
        let i = wilson_interval(0, 100, 0.95).unwrap();
        assert_eq!(i.lo, 0.0);
        close(i.hi, 0.036_993_498_206_985_7, 1e-12);
        // 10 of 100: [0.0552, 0.1744].
        let i = wilson_interval(10, 100, 0.95).unwrap();
        close(i.lo, 0.055_229_137_060_675_1, 1e-12);
        close(i.hi, 0.174_365_661_504_913, 1e-12);
        assert_eq!(wilson_interval(5, 5, 0.95).unwrap().hi, 1.0);
        assert_eq!(wilson_interval(1, 0, 0.95), None);
        assert_eq!(wilson_interval(2, 1, 0.95), None);
    }

    #[test]
    fn poisson_known_values() {
        // Exact Garwood limits (mpmath).
        for (k, lo, hi) in [
            (0, 0.0, 3.688_879_454_11),
            (1, 0.025_317_807_984_3, 5.571_643_390_94),
            (10, 4.795_388_696_13, 18.390_356_042),
            (1000, 938.973_018_408, 1_063.952_136_02),
        ] {
            let i = poisson_rate_interval(k, 2.0, 0.95).unwrap();
            close(i.lo, lo / 2.0, 1e-9);
            close(i.hi, hi / 2.0, 1e-9);
        }
        // Wilson–Hilferty just above the switch agrees with the exact limits.
        let wh = poisson_rate_interval(1001, 1.0, 0.95).unwrap();
        close(wh.lo, 939.942_033_752_441, 1e-5);
        close(wh.hi, 1_064.983_105_331_85, 1e-5);
        assert_eq!(poisson_rate_interval(5, 0.0, 0.95), None);
    }
}
