//! Scales and ticks: the range of an axis fitted to the data, nice tick values on linear
//! and logarithmic axes, their labels (`0.25`, `1,200`, `15k`), and thinning labels that
//! would overlap.

use crate::chart;
use crate::num::fmt_thousands;

/// The range of one axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Scale {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) log: bool,
}

impl Scale {
    /// Whether `v` can be placed on this axis.
    pub(super) fn valid(&self, v: f64) -> bool {
        v.is_finite() && (!self.log || v > 0.0)
    }

    /// Position of `v` from 0 (lo) to 1 (hi); values beyond the range go beyond.
    pub(super) fn frac(&self, v: f64) -> f64 {
        if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    /// The range for `axis` fitting `values`, with `pad` of the span added at each end
    /// that is not fixed (and not the 0 of a linear axis whose data are all ≥ 0).
    pub(super) fn fit(axis: &chart::ChartAxis, values: &[f64], pad: f64) -> Scale {
        let log = axis.log;
        let ok = |v: f64| v.is_finite() && (!log || v > 0.0);
        let (dmin, dmax) = values
            .iter()
            .copied()
            .filter(|&v| ok(v))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        let fixed_lo = axis.min.filter(|&v| ok(v));
        let fixed_hi = axis.max.filter(|&v| ok(v));
        let has_data = dmin <= dmax;
        if log {
            let (mut l0, mut l1) = if has_data {
                (dmin.log10(), dmax.log10())
            } else {
                (0.0, 1.0)
            };
            let span = l1 - l0;
            if span < 1e-9 {
                l0 -= 0.5;
                l1 += 0.5;
            } else {
                l0 -= pad * span;
                l1 += pad * span;
            }
            let mut lo = fixed_lo.unwrap_or(10f64.powf(l0));
            let mut hi = fixed_hi.unwrap_or(10f64.powf(l1));
            if hi <= lo {
                match (fixed_lo.is_some(), fixed_hi.is_some()) {
                    (true, false) => hi = lo * 10.0,
                    (false, true) => lo = hi / 10.0,
                    _ => hi = lo * 10.0,
                }
            }
            Scale { lo, hi, log }
        } else {
            let (dmin, dmax) = if has_data { (dmin, dmax) } else { (0.0, 1.0) };
            let zero_based = dmin >= 0.0;
            let lo0 = fixed_lo.unwrap_or(if zero_based { 0.0 } else { dmin });
            let hi0 = fixed_hi.unwrap_or(dmax);
            let span = hi0 - lo0;
            let mut lo = match fixed_lo {
                Some(v) => v,
                None if zero_based => 0.0,
                None => lo0 - pad * span,
            };
            let mut hi = fixed_hi.unwrap_or(hi0 + pad * span);
            if hi <= lo {
                let d = if lo.abs() > 0.0 { lo.abs() * 0.1 } else { 1.0 };
                match (fixed_lo.is_some() || zero_based, fixed_hi.is_some()) {
                    (_, false) => hi = lo + d,
                    (false, true) => lo = hi - d,
                    (true, true) => hi = lo + d,
                }
            }
            Scale { lo, hi, log }
        }
    }

    /// Major ticks (about `target` of them) and minor grid values.
    pub(super) fn ticks(&self, target: usize) -> (Vec<f64>, Vec<f64>) {
        if self.log {
            log_ticks(self.lo, self.hi, target)
        } else {
            (linear_ticks(self.lo, self.hi, target), Vec::new())
        }
    }
}

/// 1, 2, 2.5 or 5 × 10ⁿ, the first ≥ `raw`.
pub(super) fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let n = raw / mag;
    let m = if n <= 1.0 + 1e-9 {
        1.0
    } else if n <= 2.0 + 1e-9 {
        2.0
    } else if n <= 2.5 + 1e-9 {
        2.5
    } else if n <= 5.0 + 1e-9 {
        5.0
    } else {
        10.0
    };
    m * mag
}

pub(super) fn linear_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let step = nice_step((hi - lo) / target.max(1) as f64);
    let first = (lo / step - 1e-9).ceil();
    let mut out = Vec::new();
    for i in 0..1000 {
        let mut v = (first + f64::from(i)) * step;
        if v > hi + step * 1e-9 {
            break;
        }
        if v.abs() < step * 1e-9 {
            v = 0.0;
        }
        out.push(v);
    }
    out
}

pub(super) fn log_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, Vec<f64>) {
    let d0 = lo.log10().floor() as i32;
    let d1 = hi.log10().ceil() as i32;
    let inside = |v: f64| v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9);
    let with = |ms: &[f64]| -> Vec<f64> {
        (d0..=d1)
            .flat_map(|d| ms.iter().map(move |m| m * 10f64.powi(d)))
            .filter(|&v| inside(v))
            .collect()
    };
    let all: Vec<f64> = with(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    let decades = with(&[1.0]);
    let one_two_five = with(&[1.0, 2.0, 5.0]);
    if decades.len() >= 2 {
        if one_two_five.len() <= target {
            let minor = all
                .into_iter()
                .filter(|v| !one_two_five.contains(v))
                .collect();
            return (one_two_five, minor);
        }
        let k = decades.len().div_ceil(target.max(1));
        let major: Vec<f64> = decades.iter().copied().step_by(k.max(1)).collect();
        let minor = if k == 1 {
            all.into_iter().filter(|v| !major.contains(v)).collect()
        } else {
            decades.into_iter().filter(|v| !major.contains(v)).collect()
        };
        return (major, minor);
    }
    if one_two_five.len() >= 3 {
        let minor = all
            .into_iter()
            .filter(|v| !one_two_five.contains(v))
            .collect();
        return (one_two_five, minor);
    }
    // Less than a factor of ~5: plain ticks, placed logarithmically.
    (linear_ticks(lo, hi, target.min(6)), Vec::new())
}

/// The fewest decimals (≤ 9) that show `v` exactly enough.
pub(super) fn decimals_for(v: f64) -> usize {
    let v = v.abs();
    for d in 0..=9 {
        let s = v * 10f64.powi(d);
        if (s - s.round()).abs() < 1e-6 * s.max(1.0) {
            return d as usize;
        }
    }
    9
}

/// The suffix for numbers as large as `v`: `G`, `M`, `k` (from `k_from`) or none.
pub(super) fn unit_of(v: f64, k_from: f64) -> (f64, &'static str) {
    let v = v.abs();
    if v >= 1e9 {
        (1e9, "G")
    } else if v >= 1e6 {
        (1e6, "M")
    } else if v >= k_from {
        (1e3, "k")
    } else {
        (1.0, "")
    }
}

/// Tick labels: on a linear axis with one number format for all (decimals from the step,
/// a `k`/`M`/`G` suffix from the largest, `k` from 10,000 on so that `1,200` stays
/// exact); on a log axis each tick on its own (`500`, `1k`, `2k`).
pub(super) fn tick_labels(ticks: &[f64], log: bool) -> Vec<String> {
    if log {
        return ticks
            .iter()
            .map(|&v| {
                let (div, suffix) = unit_of(v, 1e3);
                let d = decimals_for(v / div).min(6);
                format!("{}{suffix}", fmt_thousands(v / div, d))
            })
            .collect();
    }
    let biggest = ticks.iter().fold(0f64, |m, v| m.max(v.abs()));
    let (div, suffix) = unit_of(biggest, 1e4);
    let step = ticks
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(f64::INFINITY, f64::min);
    let step = if step.is_finite() {
        step
    } else {
        ticks.first().copied().unwrap_or(1.0)
    };
    let d = decimals_for(step / div)
        .max(decimals_for(ticks.first().copied().unwrap_or(0.0) / div))
        .min(9);
    ticks
        .iter()
        .map(|&v| {
            if v == 0.0 {
                "0".to_string()
            } else {
                format!("{}{suffix}", fmt_thousands(v / div, d))
            }
        })
        .collect()
}

/// A labelled tick.
#[derive(Debug, Clone)]
pub(super) struct Tick {
    /// Pixel position along its axis.
    pub(super) pos: f64,
    pub(super) label: String,
    /// The label's size along the axis, in pixels.
    pub(super) extent: f64,
}

/// Keeps every k-th tick, with the smallest k for which neighbouring labels leave `gap`
/// pixels between them.
pub(super) fn thin(ticks: Vec<Tick>, gap: f64) -> Vec<Tick> {
    for k in 1..=ticks.len().max(1) {
        let kept: Vec<&Tick> = ticks.iter().step_by(k).collect();
        let fits = kept
            .windows(2)
            .all(|w| (w[1].pos - w[0].pos).abs() >= (w[0].extent + w[1].extent) / 2.0 + gap);
        if fits {
            return ticks.into_iter().step_by(k).collect();
        }
    }
    ticks.into_iter().take(1).collect()
}
