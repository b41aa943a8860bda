//! One metric's distribution: an HDR histogram plus exact count, sum and extremes.

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};
use serde::{Deserialize, Serialize};
use std::ops::AddAssign;

/// Significant decimal digits kept by every histogram (relative error ≤ 0.1 %).
pub const SIGFIG: u8 = 3;

/// The unit of a distribution's recorded values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Recorded in microseconds, shown in milliseconds.
    Micros,
    /// Token counts.
    Tokens,
}

impl Unit {
    /// The unit statistics are shown in (`ms`, `tokens`).
    pub fn display(self) -> &'static str {
        match self {
            Unit::Micros => "ms",
            Unit::Tokens => "tokens",
        }
    }

    /// Factor from recorded units to the display unit (`1e-3` for µs → ms).
    pub fn scale(self) -> f64 {
        match self {
            Unit::Micros => 1e-3,
            Unit::Tokens => 1.0,
        }
    }
}

/// A distribution of non-negative integer samples.
#[derive(Debug, Clone)]
pub struct Dist {
    unit: Unit,
    hist: Histogram<u64>,
    sum: u128,
    /// Saturates only for samples beyond 2^64 / 2^32 µs (far past any latency).
    sum_sq: u128,
    min: u64,
    max: u64,
}

impl PartialEq for Dist {
    fn eq(&self, o: &Self) -> bool {
        self.unit == o.unit
            && self.hist == o.hist
            && self.sum == o.sum
            && self.sum_sq == o.sum_sq
            && self.min == o.min
            && self.max == o.max
    }
}

/// Summary statistics of a distribution, in its display unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Stats {
    /// Samples.
    pub count: u64,
    /// Arithmetic mean (exact).
    pub mean: f64,
    /// Population standard deviation.
    pub stddev: f64,
    /// Smallest sample (exact).
    pub min: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest sample (exact).
    pub max: f64,
}

/// A serialized distribution could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    /// The histogram blob is not valid base64.
    #[error("histogram is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// The histogram blob is not a valid HdrHistogram V2 encoding.
    #[error("histogram could not be decoded: {0}")]
    Decode(String),
}

impl Dist {
    /// An empty distribution.
    pub fn new(unit: Unit) -> Self {
        // Auto-resizing from a small initial range: values are never rejected, and a
        // run with short latencies keeps a small histogram.
        let mut hist = Histogram::new_with_bounds(1, 2, SIGFIG).unwrap_or_else(|_| {
            Histogram::new(SIGFIG).unwrap_or_else(|_| unreachable!("3 significant digits is valid"))
        });
        hist.auto(true);
        Dist {
            unit,
            hist,
            sum: 0,
            sum_sq: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    /// The unit of recorded values.
    pub fn unit(&self) -> Unit {
        self.unit
    }

    /// Records one sample.
    pub fn record(&mut self, value: u64) {
        self.record_n(value, 1);
    }

    /// Records `count` samples of value `value`.
    pub fn record_n(&mut self, value: u64, count: u64) {
        if count == 0 {
            return;
        }
        // With auto-resize on, recording cannot fail for any u64.
        let _ = self.hist.record_n(value, count);
        self.sum += value as u128 * count as u128;
        let sq = (value as u128).saturating_mul(value as u128);
        self.sum_sq = self.sum_sq.saturating_add(sq.saturating_mul(count as u128));
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// `true` when no sample was recorded.
    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// Exact mean in recorded units (0 when empty).
    pub fn mean_raw(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.sum as f64 / self.count() as f64
        }
    }

    /// Nearest-rank quantile `q` in `[0, 1]`, in recorded units. Clamped to the exact
    /// extremes, so a single-sample distribution reports that sample everywhere.
    pub fn quantile_raw(&self, q: f64) -> u64 {
        if self.is_empty() {
            return 0;
        }
        self.hist.value_at_quantile(q).clamp(self.min, self.max)
    }

    /// The sample of nearest rank `rank` (1-based, in sorted order), in recorded units:
    /// the same reading as [`Dist::quantile_raw`] (the HDR bucket's highest equivalent
    /// value, clamped to the exact extremes). Ranks are clamped to `1..=count`; 0 when
    /// empty.
    pub fn value_at_rank(&self, rank: u64) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let rank = rank.clamp(1, self.count());
        let mut seen = 0u64;
        for (value, count) in self.buckets() {
            seen += count;
            if seen >= rank {
                return value;
            }
        }
        self.max
    }

    /// The recorded buckets in increasing order, as (value, count): each bucket's value
    /// read like [`Dist::value_at_rank`] does (the highest equivalent value, clamped to
    /// the exact extremes).
    pub(crate) fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.hist.iter_recorded().map(|v| {
            (
                v.value_iterated_to().clamp(self.min, self.max),
                v.count_at_value(),
            )
        })
    }

    /// Population variance in recorded units squared (exact sums; 0 when empty).
    pub fn variance_raw(&self) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        let n = self.count() as f64;
        // Exact integer arithmetic for the numerator: n·Σx² − (Σx)².
        let nn = self.count() as u128;
        let num = nn
            .saturating_mul(self.sum_sq)
            .saturating_sub(self.sum.saturating_mul(self.sum));
        num as f64 / (n * n)
    }

    /// Exact minimum in recorded units.
    pub fn min_raw(&self) -> u64 {
        if self.is_empty() { 0 } else { self.min }
    }

    /// Exact maximum in recorded units.
    pub fn max_raw(&self) -> u64 {
        self.max
    }

    /// Sum of samples in recorded units.
    pub fn sum_raw(&self) -> u128 {
        self.sum
    }

    /// Nearest-rank quantile `q` in `[0, 1]` in the display unit (0 when empty), for
    /// percentiles [`Stats`] does not carry (genai-perf's p1…p25).
    pub fn quantile(&self, q: f64) -> f64 {
        self.quantile_raw(q) as f64 * self.unit.scale()
    }

    /// The statistics in the display unit.
    pub fn stats(&self) -> Stats {
        if self.is_empty() {
            return Stats::default();
        }
        let s = self.unit.scale();
        let mean = self.mean_raw();
        let var = self.variance_raw();
        let q = |p| self.quantile_raw(p) as f64 * s;
        Stats {
            count: self.count(),
            mean: mean * s,
            stddev: var.sqrt() * s,
            min: self.min as f64 * s,
            p50: q(0.50),
            p75: q(0.75),
            p90: q(0.90),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            max: self.max as f64 * s,
        }
    }

    /// Every recorded bucket in ascending order as (value in the display unit, count):
    /// the bucket's highest equivalent value clamped to the exact extremes, as
    /// [`Dist::quantile`] reads it. For histograms and CDFs.
    pub fn recorded(&self) -> Vec<(f64, u64)> {
        let s = self.unit.scale();
        self.hist
            .iter_recorded()
            .map(|v| {
                (
                    v.value_iterated_to().clamp(self.min, self.max) as f64 * s,
                    v.count_at_value(),
                )
            })
            .collect()
    }

    /// The histogram as base64 of the HdrHistogram V2 deflate encoding (readable by the
    /// HdrHistogram libraries of other languages).
    pub fn encode_hdr(&self) -> String {
        let mut buf = Vec::new();
        // Serializing into a Vec cannot fail for a well-formed histogram.
        let _ = V2DeflateSerializer::new().serialize(&self.hist, &mut buf);
        base64::engine::general_purpose::STANDARD.encode(buf)
    }

    fn to_json(&self) -> DistJson {
        DistJson {
            unit: self.unit.display().to_string(),
            stats: self.stats(),
            raw: RawJson {
                unit: self.unit,
                sum: self.sum.to_string(),
                sum_sq: self.sum_sq.to_string(),
                min: self.min_raw(),
                max: self.max,
                hdr: self.encode_hdr(),
            },
        }
    }

    fn from_json(j: DistJson) -> Result<Self, DistError> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(j.raw.hdr.as_bytes())?;
        let mut hist: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| DistError::Decode(format!("{e:?}")))?;
        hist.auto(true);
        let empty = hist.is_empty();
        Ok(Dist {
            unit: j.raw.unit,
            hist,
            sum: j
                .raw
                .sum
                .parse()
                .map_err(|_| DistError::Decode(format!("sum {:?} is not an integer", j.raw.sum)))?,
            sum_sq: j.raw.sum_sq.parse().map_err(|_| {
                DistError::Decode(format!("sum_sq {:?} is not an integer", j.raw.sum_sq))
            })?,
            min: if empty { u64::MAX } else { j.raw.min },
            max: j.raw.max,
        })
    }
}

impl AddAssign<&Dist> for Dist {
    /// Merges exactly: the result equals recording both sample sets into one.
    fn add_assign(&mut self, o: &Dist) {
        // Auto-resize is on, so adding never fails.
        let _ = self.hist.add(&o.hist);
        self.sum += o.sum;
        self.sum_sq = self.sum_sq.saturating_add(o.sum_sq);
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }
}

/// JSON form: statistics for people, raw state for exact merging.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "Dist"))]
struct DistJson {
    /// Unit of `stats` (`ms` or `tokens`).
    unit: String,
    /// Statistics in `unit`.
    #[serde(flatten)]
    stats: Stats,
    /// Exact state for merging (values in `raw.unit`).
    raw: RawJson,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "DistRaw"))]
struct RawJson {
    /// Unit of recorded values (`micros` or `tokens`).
    unit: Unit,
    /// Exact sum of samples (decimal string: it can exceed 2^64).
    sum: String,
    /// Exact sum of squared samples (decimal string).
    sum_sq: String,
    /// Exact minimum.
    min: u64,
    /// Exact maximum.
    max: u64,
    /// HdrHistogram V2 deflate encoding, base64.
    hdr: String,
}

impl Serialize for Dist {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Dist::from_json(DistJson::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Dist {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Dist".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        DistJson::json_schema(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stats_of_a_known_sample() {
        let mut d = Dist::new(Unit::Micros);
        for v in 1..=1000u64 {
            d.record(v * 1000); // 1..=1000 ms
        }
        let s = d.stats();
        assert_eq!(s.count, 1000);
        assert!((s.mean - 500.5).abs() < 1e-9);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 1000.0);
        // Nearest rank within HDR's 0.1 % bucket width.
        for (got, want) in [
            (s.p50, 500.0),
            (s.p90, 900.0),
            (s.p99, 990.0),
            (s.p999, 999.0),
        ] {
            assert!((got - want).abs() <= want * 0.001 + 1e-9, "{got} vs {want}");
        }
        let sd = (((1000f64 * 1000.0) - 1.0) / 12.0).sqrt();
        assert!((s.stddev - sd).abs() < 1e-6, "{} vs {sd}", s.stddev);
    }

    #[test]
    fn empty_is_all_zero_and_single_sample_is_everywhere() {
        assert_eq!(Dist::new(Unit::Tokens).stats(), Stats::default());
        let mut d = Dist::new(Unit::Tokens);
        d.record(123_457);
        let s = d.stats();
        assert_eq!(
            (s.min, s.p50, s.p999, s.max),
            (123_457.0, 123_457.0, 123_457.0, 123_457.0)
        );
    }

    #[test]
    fn json_round_trip_is_exact() {
        let mut d = Dist::new(Unit::Micros);
        for v in [0, 1, 17, 50_000, 3_600_000_000] {
            d.record(v);
        }
        let j = serde_json::to_string(&d).unwrap();
        let back: Dist = serde_json::from_str(&j).unwrap();
        assert_eq!(back, d);
        let empty: Dist =
            serde_json::from_str(&serde_json::to_string(&Dist::new(Unit::Tokens)).unwrap())
                .unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty, Dist::new(Unit::Tokens));
    }

    proptest! {
        /// Reading by rank agrees with reading by quantile.
        #[test]
        fn rank_reads_like_quantile(v in proptest::collection::vec(0u64..10_000_000, 1..300),
                                    q in 0.0f64..=1.0) {
            let mut d = Dist::new(Unit::Micros);
            for &x in &v { d.record(x); }
            let n = d.count();
            let rank = ((q * n as f64).ceil() as u64).max(1);
            prop_assert_eq!(d.value_at_rank(rank), d.quantile_raw(q));
            prop_assert_eq!(d.value_at_rank(0), d.value_at_rank(1));
            prop_assert_eq!(d.value_at_rank(n + 5), d.max_raw());
        }

        /// Merging two halves equals recording everything into one.
        #[test]
        fn merge_is_exact(a in proptest::collection::vec(0u64..10_000_000, 0..200),
                          b in proptest::collection::vec(0u64..10_000_000, 0..200)) {
            let mut all = Dist::new(Unit::Micros);
            let mut da = Dist::new(Unit::Micros);
            let mut db = Dist::new(Unit::Micros);
            for &v in &a { da.record(v); all.record(v); }
            for &v in &b { db.record(v); all.record(v); }
            da += &db;
            prop_assert_eq!(da.stats(), all.stats());
            prop_assert_eq!(da.count(), all.count());
            prop_assert_eq!(da.sum_raw(), all.sum_raw());
        }
    }
}
