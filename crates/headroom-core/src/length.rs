//! Token-length distributions for prompts and outputs.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// How many tokens a prompt or an output should have.
///
/// Written on the command line as `200` (exactly 200), `200:20` (normal with mean 200 and
/// standard deviation 20, rounded and clamped to at least 1) or `100..1024` (uniform over
/// the inclusive range). Sampling lives in `headroom-workload`; this type only describes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LengthSpec {
    /// Always this many tokens.
    Fixed(u32),
    /// Normal distribution, rounded to the nearest integer and clamped to `[1, mean + 6σ]`.
    Normal {
        /// Mean tokens.
        mean: f64,
        /// Standard deviation in tokens.
        stddev: f64,
    },
    /// Uniform over `min..=max`.
    Uniform {
        /// Smallest length.
        min: u32,
        /// Largest length (inclusive).
        max: u32,
    },
}

impl LengthSpec {
    /// The distribution's mean, used for planning (e.g. prompts per level).
    pub fn mean(&self) -> f64 {
        match *self {
            LengthSpec::Fixed(n) => n as f64,
            LengthSpec::Normal { mean, .. } => mean,
            LengthSpec::Uniform { min, max } => (min as f64 + max as f64) / 2.0,
        }
    }

    /// The largest value the distribution can produce.
    pub fn max(&self) -> u32 {
        match *self {
            LengthSpec::Fixed(n) => n,
            LengthSpec::Normal { mean, stddev } => (mean + 6.0 * stddev).round().max(1.0) as u32,
            LengthSpec::Uniform { max, .. } => max,
        }
    }
}

/// Why a length could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "invalid token length {input:?}: {reason} (expected N, MEAN:STDDEV or MIN..MAX, e.g. 200, 200:20, 100..1024)"
)]
pub struct LengthParseError {
    input: String,
    reason: &'static str,
}

impl FromStr for LengthSpec {
    type Err = LengthParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| LengthParseError {
            input: s.to_string(),
            reason,
        };
        let t = s.trim();
        if let Some((a, b)) = t.split_once("..") {
            let min: u32 = a
                .trim()
                .parse()
                .map_err(|_| err("MIN is not a whole number"))?;
            let max: u32 = b
                .trim()
                .trim_start_matches('=')
                .parse()
                .map_err(|_| err("MAX is not a whole number"))?;
            if min == 0 || max < min {
                return Err(err("need 1 <= MIN <= MAX"));
            }
            return Ok(LengthSpec::Uniform { min, max });
        }
        if let Some((a, b)) = t.split_once(':') {
            let mean: f64 = a.trim().parse().map_err(|_| err("MEAN is not a number"))?;
            let stddev: f64 = b
                .trim()
                .parse()
                .map_err(|_| err("STDDEV is not a number"))?;
            if !(mean >= 1.0 && mean.is_finite() && stddev >= 0.0 && stddev.is_finite()) {
                return Err(err("need MEAN >= 1 and STDDEV >= 0"));
            }
            if stddev == 0.0 {
                return Ok(LengthSpec::Fixed(mean.round() as u32));
            }
            return Ok(LengthSpec::Normal { mean, stddev });
        }
        let n: u32 = t.parse().map_err(|_| err("not a whole number"))?;
        if n == 0 {
            return Err(err("must be at least 1"));
        }
        Ok(LengthSpec::Fixed(n))
    }
}

impl fmt::Display for LengthSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LengthSpec::Fixed(n) => write!(f, "{n}"),
            LengthSpec::Normal { mean, stddev } => write!(f, "{mean}:{stddev}"),
            LengthSpec::Uniform { min, max } => write!(f, "{min}..{max}"),
        }
    }
}

impl Serialize for LengthSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LengthSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for LengthSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LengthSpec".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "Token length: N, MEAN:STDDEV (normal) or MIN..MAX (uniform).",
            "pattern": r"^\s*(\d+|\d+(\.\d+)?:\d+(\.\d+)?|\d+\.\.=?\d+)\s*$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_form() {
        assert_eq!("200".parse::<LengthSpec>().unwrap(), LengthSpec::Fixed(200));
        assert_eq!(
            "200:20".parse::<LengthSpec>().unwrap(),
            LengthSpec::Normal {
                mean: 200.0,
                stddev: 20.0
            }
        );
        assert_eq!(
            "100..1024".parse::<LengthSpec>().unwrap(),
            LengthSpec::Uniform {
                min: 100,
                max: 1024
            }
        );
        assert_eq!("50:0".parse::<LengthSpec>().unwrap(), LengthSpec::Fixed(50));
    }

    #[test]
    fn rejects_nonsense_with_the_expected_forms() {
        for bad in ["0", "-5", "abc", "10..5", "0..4", "x:1", "10:-1", ""] {
            let e = bad.parse::<LengthSpec>().unwrap_err().to_string();
            assert!(
                e.contains("expected N, MEAN:STDDEV or MIN..MAX"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        for s in ["7", "200:20", "100..1024", "12.5:3.25"] {
            let l: LengthSpec = s.parse().unwrap();
            assert_eq!(l.to_string().parse::<LengthSpec>().unwrap(), l);
        }
    }
}
