//! A server's histogram: cumulative counts at bucket bounds, as Prometheus exposes them.
//! Subtracting the scrape before a window from the one after gives the window's own
//! histogram; its quantiles interpolate within a bucket as PromQL's `histogram_quantile`
//! does, so they are exact to a bucket's width.

use crate::prom::{Exposition, Sample};
use serde::{Deserialize, Serialize};

/// A histogram's cumulative counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Buckets {
    /// Finite upper bounds (`le`), ascending, in the series' unit (seconds, tokens).
    pub le: Vec<f64>,
    /// Observations at or below each bound, then the total (`+Inf`): one more than `le`.
    pub cumulative: Vec<f64>,
    /// Sum of the observations.
    pub sum: f64,
}

impl Buckets {
    /// The family `name`'s histogram (`name_bucket`, `name_sum`), summed over its label
    /// sets (engines, models) that share its bounds. `None` when it is absent.
    pub fn from_exposition(e: &Exposition, name: &str) -> Option<Buckets> {
        let bucket = format!("{name}_bucket");
        // Per label set (without `le`): its (bound, cumulative count) points.
        let mut groups: Vec<(Labels, Vec<(f64, f64)>)> = Vec::new();
        for s in e.named(&bucket) {
            let Some(le) = s.label("le").and_then(parse_le) else {
                continue;
            };
            let key = other_labels(s);
            match groups.iter_mut().find(|g| g.0 == key) {
                Some(g) => g.1.push((le, s.value)),
                None => groups.push((key, vec![(le, s.value)])),
            }
        }
        let mut total: Option<Buckets> = None;
        for (_, mut points) in groups {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            if points.last().is_none_or(|p| p.0 != f64::INFINITY) {
                continue;
            }
            let b = Buckets {
                le: points[..points.len() - 1].iter().map(|p| p.0).collect(),
                cumulative: points.iter().map(|p| p.1).collect(),
                sum: 0.0,
            };
            match &mut total {
                None => total = Some(b),
                Some(t) if t.le == b.le => {
                    for (a, v) in t.cumulative.iter_mut().zip(&b.cumulative) {
                        *a += v;
                    }
                }
                Some(_) => {}
            }
        }
        let mut total = total?;
        total.sum = e.named(&format!("{name}_sum")).map(|s| s.value).sum();
        Some(total)
    }

    /// Observations.
    pub fn count(&self) -> f64 {
        self.cumulative.last().copied().unwrap_or(0.0)
    }

    /// Mean observation; `None` without any.
    pub fn mean(&self) -> Option<f64> {
        let n = self.count();
        (n > 0.0).then(|| self.sum / n)
    }

    /// What was observed after `earlier` (a scrape of the same series before this one).
    /// `None` when the bounds differ or a count went down (the server restarted).
    pub fn since(&self, earlier: &Buckets) -> Option<Buckets> {
        if self.le != earlier.le {
            return None;
        }
        let cumulative: Vec<f64> = self
            .cumulative
            .iter()
            .zip(&earlier.cumulative)
            .map(|(a, b)| a - b)
            .collect();
        if cumulative.iter().any(|d| *d < 0.0) {
            return None;
        }
        Some(Buckets {
            le: self.le.clone(),
            cumulative,
            sum: self.sum - earlier.sum,
        })
    }

    /// Adds `other`'s observations (same bounds); `false` when the bounds differ.
    pub fn add(&mut self, other: &Buckets) -> bool {
        if self.le != other.le {
            return false;
        }
        for (a, b) in self.cumulative.iter_mut().zip(&other.cumulative) {
            *a += b;
        }
        self.sum += other.sum;
        true
    }

    /// The `q` quantile (0–1), interpolated linearly within its bucket (the lowest
    /// bucket starts at 0); in the `+Inf` bucket, the highest finite bound. `None` without
    /// observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let n = self.count();
        if n <= 0.0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = q * n;
        let i = self.cumulative.iter().position(|c| *c >= rank)?;
        if i == self.le.len() {
            return self.le.last().copied();
        }
        let (lo, below) = match i {
            0 => (0.0, 0.0),
            _ => (self.le[i - 1], self.cumulative[i - 1]),
        };
        let inside = self.cumulative[i] - below;
        let hi = self.le[i];
        if inside <= 0.0 {
            return Some(hi);
        }
        Some(lo + (hi - lo) * (rank - below) / inside)
    }

    /// The bucket that holds `v`: its (lower, upper) bounds.
    pub fn bucket_of(&self, v: f64) -> (f64, f64) {
        match self.le.iter().position(|b| v <= *b) {
            Some(0) => (0.0, self.le[0]),
            Some(i) => (self.le[i - 1], self.le[i]),
            None => (self.le.last().copied().unwrap_or(0.0), f64::INFINITY),
        }
    }
}

type Labels = Vec<(String, String)>;

fn parse_le(le: &str) -> Option<f64> {
    match le {
        "+Inf" | "Inf" | "inf" | "+inf" => Some(f64::INFINITY),
        _ => le.parse().ok(),
    }
}

fn other_labels(s: &Sample) -> Labels {
    let mut l: Vec<(String, String)> = s
        .labels
        .iter()
        .filter(|(k, _)| k != "le")
        .cloned()
        .collect();
    l.sort();
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prom::parse;

    fn hist(text: &str) -> Buckets {
        Buckets::from_exposition(&parse(text), "h").unwrap()
    }

    const TWO_ENGINES: &str = r#"
h_bucket{engine="0",le="0.1"} 1
h_bucket{engine="0",le="0.5"} 3
h_bucket{engine="0",le="+Inf"} 4
h_sum{engine="0"} 2.0
h_count{engine="0"} 4
h_bucket{engine="1",le="0.1"} 0
h_bucket{engine="1",le="0.5"} 1
h_bucket{engine="1",le="+Inf"} 2
h_sum{engine="1"} 1.5
"#;

    #[test]
    fn sums_label_sets_and_interpolates_quantiles_like_promql() {
        let h = hist(TWO_ENGINES);
        assert_eq!(h.le, vec![0.1, 0.5]);
        assert_eq!(h.cumulative, vec![1.0, 4.0, 6.0]);
        assert_eq!(h.count(), 6.0);
        assert_eq!(h.mean(), Some(3.5 / 6.0));
        // Rank 3 of 6 lies in (0.1, 0.5], 2 of its 3 observations in.
        let p50 = h.quantile(0.5).unwrap();
        assert!((p50 - (0.1 + 0.4 * 2.0 / 3.0)).abs() < 1e-12, "{p50}");
        // In the +Inf bucket: the highest finite bound.
        assert_eq!(h.quantile(0.99), Some(0.5));
        // Rank 0.6 of the first bucket's 1, which starts at 0.
        assert!((h.quantile(0.1).unwrap() - 0.06).abs() < 1e-12);
        assert_eq!(h.bucket_of(0.3), (0.1, 0.5));
    }

    #[test]
    fn a_window_is_the_difference_of_two_scrapes() {
        let before = hist("h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 3\nh_sum 4\n");
        let after = hist("h_bucket{le=\"1\"} 5\nh_bucket{le=\"+Inf\"} 9\nh_sum 10\n");
        let w = after.since(&before).unwrap();
        assert_eq!(w.cumulative, vec![3.0, 6.0]);
        assert_eq!(w.sum, 6.0);
        // A restart (counts went down) or other bounds give no window.
        assert_eq!(before.since(&after), None);
        let other = hist("h_bucket{le=\"2\"} 5\nh_bucket{le=\"+Inf\"} 9\n");
        assert_eq!(other.since(&before), None);
        assert!(Buckets::from_exposition(&parse("x 1"), "h").is_none());
        let empty = before.since(&before).unwrap();
        assert_eq!(empty.quantile(0.5), None);
    }
}
