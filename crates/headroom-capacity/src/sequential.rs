//! Sequential levels: a level keeps sending until its verdict is decided, or its budget
//! runs out.
//!
//! # The design
//!
//! A group-sequential test with Bonferroni alpha spending (Jennison & Turnbull, *Group
//! Sequential Methods with Applications to Clinical Trials*, 2000, ch. 2 and 7): the level
//! is looked at when its measured completions reach 100 (closed loop: twenty per user, if
//! more; [`first_look`]), then ×1.5 each time (150, 225, …; [`look_size`]), and finally
//! when its budget ends. Look k judges every SLO with the
//! same intervals as a fixed level (order statistics for percentiles, t for means, Wilson
//! for shares), at confidence 1 − α/(k(k+1)) instead of 1 − α ([`confidence_at`]). The
//! level stops at the first look where every SLO is decided — all PASS, or one FAIL —
//! and is INCONCLUSIVE if the budget ends first.
//!
//! Requests still in flight when a level is decided are cancelled rather than waited
//! for, so the level is judged on what its deciding look saw.
//!
//! Since Σ α/(k(k+1)) = α over all looks, the chance that *any* look's interval misses
//! the true value is at most α, whatever the data do and however many looks are taken:
//! peeking does not inflate the error. The price is wider intervals at later looks
//! (at 95 %: z = 2.24 at the first look, 2.64 at the second, 3.51 at the tenth, against
//! 1.96 for one fixed look), which a level far from its limit never reaches: it is
//! decided at the first look.
//!
//! The intervals assume the level's latencies are independent draws from one
//! distribution. A closed loop's are not quite (users share the batch), and a server
//! may drift for a while after the start-up that each look leaves out
//! ([`crate::settle`]: MSER-5, which on a simulated L20 at 25 users finds the batch
//! filling in the first 100 or so requests, whose P95 is 4.1 s where the level settles at
//! 3.5 s); a
//! level whose true percentile lies within about 1 % of its limit can then be decided
//! the wrong way more often than α (`crates/headroom-bench/capacity-study.sh` measures it
//! in virtual time).

use crate::verdict::LevelResult;
use headroom_core::LoadPolicy;
use headroom_metrics::confidence::normal_quantile;
use headroom_metrics::slo::{Slo, SloSet};

/// Measured completions at the first look, at least.
pub const FIRST_LOOK: u64 = 100;
/// Each look comes after this many times the completions of the one before.
pub const LOOK_RATIO: f64 = 1.5;
/// Closed loop: the first look waits until each user has completed this many requests.
/// Latencies of one level are not independent (users share the batch, so a long request
/// slows the others for a while); spanning several batch turnovers keeps the interval of
/// a look from being narrower than the data support.
pub const TURNOVERS_BEFORE_FIRST_LOOK: u64 = 20;

/// Measured completions at the first look of a level under `load`: 100, or twenty requests
/// per user when that is more (closed loop).
pub fn first_look(load: &LoadPolicy) -> u64 {
    match *load {
        LoadPolicy::Closed { concurrency } => {
            FIRST_LOOK.max(TURNOVERS_BEFORE_FIRST_LOOK * concurrency as u64)
        }
        _ => FIRST_LOOK,
    }
}

/// Completions at look `k` (from 1) when the first is at `first`: `first`, ×1.5, ×2.25, …
/// (100, 150, 225, 338, … from 100).
pub fn look_size(first: u64, k: u32) -> u64 {
    (first as f64 * LOOK_RATIO.powi(k.saturating_sub(1) as i32)).round() as u64
}

/// The confidence of look `k` (from 1) of a design at overall `confidence`: the risk
/// `α = 1 − confidence` split as α/(k(k+1)). `k = 0` (a fixed level, no looks) keeps
/// `confidence`.
pub fn confidence_at(confidence: f64, k: u32) -> f64 {
    if k == 0 {
        return confidence;
    }
    let k = k as f64;
    1.0 - (1.0 - confidence) / (k * (k + 1.0))
}

/// How a sequential level ends when its budget runs out: the limits a level is run to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Measured requests at most.
    pub max_requests: u64,
    /// Time at most.
    pub max_duration: std::time::Duration,
}

impl Default for Budget {
    /// 2,000 requests or 10 minutes, whichever comes first: enough to decide a P95 a few
    /// percent from its limit, and never more than a fixed level of seed 000's plan.
    fn default() -> Self {
        Budget {
            max_requests: 2_000,
            max_duration: std::time::Duration::from_secs(600),
        }
    }
}

/// What a sequential level is likely to cost, said before it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// The SLO that needs the most requests.
    pub slo: Slo,
    /// Its statistic at the level, interpolated from the levels judged so far (in the
    /// SLO's unit).
    pub estimate: f64,
    /// Its distance from the limit, as a fraction of the limit.
    pub margin: f64,
    /// Measured requests to the look expected to decide it; `None`: more than the budget.
    pub requests: Option<u64>,
}

/// The requests a sequential level at `level` (running `load`) is likely to need, from
/// the latency SLOs' estimates at the levels judged so far: each estimate is
/// interpolated (or extrapolated) linearly from the two nearest levels, the spread of
/// the estimator from the nearest level's interval (its half-width × √n / z), and the
/// level needs the first look whose interval is narrower than its distance from the
/// limit. `None` without two judged levels to go by.
pub fn expectation(
    levels: &[LevelResult],
    slos: &SloSet,
    level: f64,
    load: &LoadPolicy,
    budget: &Budget,
    confidence: f64,
) -> Option<Expectation> {
    let z = |c: f64| normal_quantile(0.5 + c / 2.0);
    let first = first_look(load);
    let mut worst: Option<Expectation> = None;
    for (i, slo) in slos.0.iter().enumerate() {
        if !matches!(slo, Slo::Latency { .. }) {
            continue;
        }
        // (level, estimate, spread × √n) of every level with a two-sided interval.
        let mut points: Vec<(f64, f64, f64)> = levels
            .iter()
            .filter_map(|l| {
                let a = &l.slos.get(i)?.assessment;
                let within = a.within?;
                if a.open_above || a.open_below || a.samples == 0 {
                    return None;
                }
                let spread = within.width() / 2.0 * (a.samples as f64).sqrt() / z(a.confidence);
                Some((l.level, a.estimate?, spread))
            })
            .collect();
        points.sort_by(|a, b| (a.0 - level).abs().total_cmp(&(b.0 - level).abs()));
        let [(l1, e1, spread), (l2, e2, _), ..] = points[..] else {
            continue;
        };
        let estimate = if l1 == l2 {
            e1
        } else {
            e1 + (e2 - e1) * (level - l1) / (l2 - l1)
        };
        let limit = slo.threshold();
        let distance = (limit - estimate).abs();
        let requests = (1..)
            .map(|k| (look_size(first, k), k))
            .take_while(|(n, _)| *n <= budget.max_requests)
            .find(|(n, k)| {
                z(confidence_at(confidence, *k)) * spread / (*n as f64).sqrt() < distance
            })
            .map(|(n, _)| n);
        let e = Expectation {
            slo: *slo,
            estimate,
            margin: distance / limit,
            requests,
        };
        let more = |e: &Expectation| e.requests.unwrap_or(u64::MAX);
        if worst.as_ref().is_none_or(|w| more(&e) > more(w)) {
            worst = Some(e);
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_metrics::confidence::normal_quantile;

    /// A level judged on 1,000 latencies spread evenly over [0, `top_ms`).
    fn judged(level: f64, top_ms: u64, slos: &SloSet) -> LevelResult {
        let mut r = headroom_metrics::Recorder::new();
        for i in 0..1000u64 {
            let e2e = (i * top_ms * 1000 / 1000).max(1);
            r.add(&headroom_testkit::record(i).e2e_us(e2e).build());
        }
        let m = crate::Measurement {
            summary: r.finish(0),
            goodput_met: 0,
            early_stop: None,
            judged_at_look: 0,
            start_up: None,
            elapsed_s: 60.0,
            dir: String::new(),
        };
        crate::judge(level, &[m], slos, 0.95, crate::PassRule::Confident)
    }

    #[test]
    fn the_cost_of_a_level_is_said_from_the_levels_around_it() {
        let slos = SloSet(vec!["p95(e2e)<=2.5s".parse().unwrap()]);
        // P95 1.9 s at 10 users and 2.85 s at 20: 2.5 s is crossed near 16.3 users.
        let levels = [judged(10.0, 2000, &slos), judged(20.0, 3000, &slos)];
        let load = |c| LoadPolicy::Closed { concurrency: c };
        let budget = Budget::default();
        let at = |c: u32| expectation(&levels, &slos, c as f64, &load(c), &budget, 0.95);
        let far = at(12).unwrap();
        assert!((far.estimate - 2090.0).abs() < 20.0, "{far:?}");
        let near = at(16).unwrap();
        let nearer = at(17).unwrap();
        let (n_far, n_near) = (far.requests.unwrap(), near.requests.unwrap_or(u64::MAX));
        assert!(n_far < n_near, "{far:?} {near:?}");
        assert!(far.margin > near.margin);
        assert!(nearer.margin < 0.05);
        // Right at the crossing nothing within the budget decides it.
        let edge = expectation(&levels, &slos, 16.3, &load(16), &budget, 0.95).unwrap();
        assert_eq!(edge.requests, None, "{edge:?}");
        // One level is not enough to go by.
        assert_eq!(
            expectation(&levels[..1], &slos, 12.0, &load(12), &budget, 0.95),
            None
        );
    }

    #[test]
    fn looks_grow_geometrically_and_the_risk_adds_up_to_alpha() {
        let sizes: Vec<u64> = (1..=6).map(|k| look_size(100, k)).collect();
        assert_eq!(sizes, [100, 150, 225, 338, 506, 759]);
        assert_eq!(first_look(&LoadPolicy::Closed { concurrency: 4 }), 100);
        assert_eq!(first_look(&LoadPolicy::Closed { concurrency: 27 }), 540);
        assert_eq!(confidence_at(0.95, 0), 0.95);
        assert!((confidence_at(0.95, 1) - 0.975).abs() < 1e-12);
        // Σ over every look of the risk spent is the design's α.
        let spent: f64 = (1..=100_000).map(|k| 1.0 - confidence_at(0.95, k)).sum();
        assert!((spent - 0.05).abs() < 1e-6, "{spent}");
        // The z of a two-sided interval at the first, second and tenth looks.
        let z = |k| normal_quantile(0.5 + confidence_at(0.95, k) / 2.0);
        assert!((z(1) - 2.24).abs() < 0.01, "{}", z(1));
        assert!((z(2) - 2.64).abs() < 0.01, "{}", z(2));
        assert!((z(10) - 3.51).abs() < 0.01, "{}", z(10));
    }
}
