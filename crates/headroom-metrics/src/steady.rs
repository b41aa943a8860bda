//! Where a run settles: the start-up transient of a series of observations, found by the
//! MSER-5 truncation rule (White, *An effective truncation heuristic for bias reduction in
//! simulation output*, Simulation 69(6), 1997; White, Cobb & Spratt, WSC 2000; Hoad,
//! Robinson & Davies, JORS 61, 2010, found it the most robust of 42 warm-up methods).
//!
//! The series is cut into batches of five and averaged. For each candidate cut of `d`
//! batches (at most half of them) the rule computes the squared standard error of the mean
//! of the batches that remain, `Σ (Yᵢ − Ȳ_d)² / (b − d)²`, and cuts where it is smallest:
//! cutting a transient removes values far from the steady mean (the sum falls faster than
//! the count), cutting steady values only shrinks the count. A minimum at the last allowed
//! cut means the series had not settled within its first half.

/// Observations per batch: MSER-5.
pub const BATCH: usize = 5;

/// Fewest batches the rule judges (20 observations).
pub const MIN_BATCHES: usize = 4;

/// Where a series settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncation {
    /// Observations before the steady state (a multiple of [`BATCH`]).
    pub cut: usize,
    /// `false` when the rule cut as much as it may (half the series): the series had not
    /// settled, and more of it is needed to say where it does.
    pub settled: bool,
}

/// MSER-5 over `series` in the order it was observed; a trailing partial batch is left out
/// of the computation (never cut). `None` with fewer than [`MIN_BATCHES`] batches.
pub fn mser5(series: &[f64]) -> Option<Truncation> {
    let means: Vec<f64> = series
        .chunks_exact(BATCH)
        .map(|c| c.iter().sum::<f64>() / BATCH as f64)
        .collect();
    let b = means.len();
    if b < MIN_BATCHES {
        return None;
    }
    // Suffix sums of the batch means and their squares: the statistic for every cut in one
    // pass.
    let (mut sum, mut sq) = (vec![0.0; b + 1], vec![0.0; b + 1]);
    for i in (0..b).rev() {
        sum[i] = sum[i + 1] + means[i];
        sq[i] = sq[i + 1] + means[i] * means[i];
    }
    let last = b / 2;
    let mut best = (0, f64::INFINITY);
    for d in 0..=last {
        let k = (b - d) as f64;
        let ss = (sq[d] - sum[d] * sum[d] / k).max(0.0);
        let stat = ss / (k * k);
        if stat < best.1 {
            best = (d, stat);
        }
    }
    Some(Truncation {
        cut: best.0 * BATCH,
        settled: best.0 < last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A steady series with a little deterministic noise around `level`.
    fn steady(n: usize, level: f64) -> Vec<f64> {
        (0..n)
            .map(|i| level + [0.3, -0.2, 0.1, -0.4, 0.2, 0.0, -0.1][i % 7])
            .collect()
    }

    #[test]
    fn cuts_a_start_up_that_decays_and_nothing_of_a_steady_series() {
        // 30 observations far above the steady level, then 170 at it.
        let mut s: Vec<f64> = (0..30).map(|i| 10.0 - i as f64 * 0.1).collect();
        s.extend(steady(170, 2.0));
        let t = mser5(&s).unwrap();
        assert_eq!(t.cut, 30);
        assert!(t.settled);
        assert_eq!(
            mser5(&steady(200, 2.0)),
            Some(Truncation {
                cut: 0,
                settled: true
            })
        );
    }

    #[test]
    fn a_series_still_climbing_has_not_settled() {
        let s: Vec<f64> = (0..100).map(|i| i as f64).collect();
        let t = mser5(&s).unwrap();
        assert_eq!(t.cut, 50);
        assert!(!t.settled);
    }

    #[test]
    fn too_short_a_series_is_not_judged_and_a_partial_batch_is_never_cut() {
        assert_eq!(mser5(&[1.0; 19]), None);
        // 22 values: four batches judged, the last two values left alone.
        let mut s = vec![9.0; 5];
        s.extend(steady(17, 1.0));
        assert_eq!(mser5(&s).unwrap().cut, 5);
    }
}
