//! Token-length distributions for prompts and outputs.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// How many tokens a prompt or an output should have.
///
/// Written on the command line as `200` (exactly 200; `8k` = 8192), `200:20` (normal with
/// mean 200 and standard deviation 20, rounded and clamped to `[1, mean + 6σ]`),
/// `100..1024` (uniform over the inclusive range), `lognormal:200:150` (log-normal with
/// that mean and standard deviation, clamped to `[1, mean + 10σ]`) or `file:PATH`
/// (empirical: draws from the whole numbers in the file, one or more per line, separated
/// by whitespace or commas; `#` starts a comment). Sampling lives in `headroom-workload`;
/// this type only describes.
#[derive(Debug, Clone, PartialEq)]
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
    /// Log-normal with this mean and standard deviation (of the lengths, not of their
    /// logarithm), rounded and clamped to `[1, mean + 10σ]`: long-tailed like real chat.
    LogNormal {
        /// Mean tokens.
        mean: f64,
        /// Standard deviation in tokens.
        stddev: f64,
    },
    /// Draws uniformly from observed lengths.
    Empirical(Arc<Empirical>),
}

/// Observed lengths read from a file, for [`LengthSpec::Empirical`].
#[derive(Debug, PartialEq)]
pub struct Empirical {
    /// The file, as given.
    pub path: String,
    /// The lengths, in file order (all ≥ 1).
    pub values: Vec<u32>,
}

/// Why a lengths file ([`Empirical::load`]) could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LengthsFileError {
    /// The file could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file, as given.
        path: String,
        /// The I/O error (in the message, so not also its source).
        error: std::io::Error,
    },
    /// A value is not a whole number ≥ 1.
    #[error("{path} line {line}: {value:?} is not a whole number >= 1")]
    NotALength {
        /// The file, as given.
        path: String,
        /// The line, from 1.
        line: usize,
        /// The value as written.
        value: String,
    },
    /// The file holds no value.
    #[error("{path} holds no lengths")]
    Empty {
        /// The file, as given.
        path: String,
    },
}

impl Empirical {
    /// Reads lengths from `path`: whole numbers ≥ 1 separated by whitespace or commas;
    /// `#` starts a comment.
    pub fn load(path: &str) -> Result<Self, LengthsFileError> {
        let text = std::fs::read_to_string(path).map_err(|error| LengthsFileError::Read {
            path: path.to_string(),
            error,
        })?;
        let mut values = Vec::new();
        for (no, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("");
            for tok in line.split(|c: char| c == ',' || c.is_whitespace()) {
                if tok.is_empty() {
                    continue;
                }
                match tok.parse::<u32>() {
                    Ok(v) if v >= 1 => values.push(v),
                    _ => {
                        return Err(LengthsFileError::NotALength {
                            path: path.to_string(),
                            line: no + 1,
                            value: tok.to_string(),
                        });
                    }
                }
            }
        }
        if values.is_empty() {
            return Err(LengthsFileError::Empty {
                path: path.to_string(),
            });
        }
        Ok(Empirical {
            path: path.to_string(),
            values,
        })
    }
}

impl LengthSpec {
    /// The distribution's mean, used for planning (e.g. prompts per level).
    pub fn mean(&self) -> f64 {
        match self {
            LengthSpec::Fixed(n) => *n as f64,
            LengthSpec::Normal { mean, .. } | LengthSpec::LogNormal { mean, .. } => *mean,
            LengthSpec::Uniform { min, max } => (*min as f64 + *max as f64) / 2.0,
            LengthSpec::Empirical(e) => {
                e.values.iter().map(|&v| v as f64).sum::<f64>() / e.values.len().max(1) as f64
            }
        }
    }

    /// The largest value the distribution can produce.
    pub fn max(&self) -> u32 {
        match self {
            LengthSpec::Fixed(n) => *n,
            LengthSpec::Normal { mean, stddev } => (mean + 6.0 * stddev).round().max(1.0) as u32,
            LengthSpec::LogNormal { mean, stddev } => {
                (mean + 10.0 * stddev).round().max(1.0) as u32
            }
            LengthSpec::Uniform { max, .. } => *max,
            LengthSpec::Empirical(e) => e.values.iter().copied().max().unwrap_or(1),
        }
    }
}

/// Why a length could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "invalid token length {input:?}: {reason} (expected N, MEAN:STDDEV, MIN..MAX, lognormal:MEAN:STDDEV or file:PATH, e.g. 200, 8k, 200:20, 100..1024)"
)]
pub struct LengthParseError {
    input: String,
    reason: String,
}

/// A whole number with an optional `k` (×1024) suffix.
fn count(s: &str) -> Option<u32> {
    let s = s.trim();
    if let Some(k) = s.strip_suffix(['k', 'K']) {
        return k.trim().parse::<u32>().ok()?.checked_mul(1024);
    }
    s.parse().ok()
}

impl FromStr for LengthSpec {
    type Err = LengthParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| LengthParseError {
            input: s.to_string(),
            reason: reason.to_string(),
        };
        let t = s.trim();
        if let Some(path) = t.strip_prefix("file:") {
            return Empirical::load(path.trim())
                .map(|e| LengthSpec::Empirical(Arc::new(e)))
                .map_err(|e| err(&e.to_string()));
        }
        let (lognormal, t) = match t
            .strip_prefix("lognormal:")
            .or_else(|| t.strip_prefix("ln:"))
        {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        if !lognormal && let Some((a, b)) = t.split_once("..") {
            let min = count(a).ok_or_else(|| err("MIN is not a whole number"))?;
            let max = count(b.trim().trim_start_matches('='))
                .ok_or_else(|| err("MAX is not a whole number"))?;
            if min == 0 || max < min {
                return Err(err("need 1 <= MIN <= MAX"));
            }
            return Ok(LengthSpec::Uniform { min, max });
        }
        if let Some((a, b)) = t.split_once(':') {
            let mean: f64 = match count(a) {
                Some(n) => n as f64,
                None => a.trim().parse().map_err(|_| err("MEAN is not a number"))?,
            };
            let stddev: f64 = match count(b) {
                Some(n) => n as f64,
                None => b
                    .trim()
                    .parse()
                    .map_err(|_| err("STDDEV is not a number"))?,
            };
            if !(mean >= 1.0 && mean.is_finite() && stddev >= 0.0 && stddev.is_finite()) {
                return Err(err("need MEAN >= 1 and STDDEV >= 0"));
            }
            if stddev == 0.0 {
                return Ok(LengthSpec::Fixed(mean.round() as u32));
            }
            return Ok(if lognormal {
                LengthSpec::LogNormal { mean, stddev }
            } else {
                LengthSpec::Normal { mean, stddev }
            });
        }
        if lognormal {
            return Err(err("lognormal needs MEAN:STDDEV"));
        }
        let n = count(t).ok_or_else(|| err("not a whole number"))?;
        if n == 0 {
            return Err(err("must be at least 1"));
        }
        Ok(LengthSpec::Fixed(n))
    }
}

impl fmt::Display for LengthSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LengthSpec::Fixed(n) => write!(f, "{n}"),
            LengthSpec::Normal { mean, stddev } => write!(f, "{mean}:{stddev}"),
            LengthSpec::LogNormal { mean, stddev } => write!(f, "lognormal:{mean}:{stddev}"),
            LengthSpec::Uniform { min, max } => write!(f, "{min}..{max}"),
            LengthSpec::Empirical(e) => write!(f, "file:{}", e.path),
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
        // A manifest read later must not depend on the lengths file still being there:
        // the empirical spec keeps its path, without values, when the file is gone.
        if let Some(path) = s.trim().strip_prefix("file:") {
            let e = Empirical::load(path.trim()).unwrap_or_else(|_| Empirical {
                path: path.trim().to_string(),
                values: Vec::new(),
            });
            return Ok(LengthSpec::Empirical(Arc::new(e)));
        }
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
            "description": "Token length: N, MEAN:STDDEV (normal), MIN..MAX (uniform), lognormal:MEAN:STDDEV or file:PATH (empirical)."
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
        assert_eq!("8k".parse::<LengthSpec>().unwrap(), LengthSpec::Fixed(8192));
        assert_eq!(
            "32K".parse::<LengthSpec>().unwrap(),
            LengthSpec::Fixed(32768)
        );
        assert_eq!(
            "lognormal:200:150".parse::<LengthSpec>().unwrap(),
            LengthSpec::LogNormal {
                mean: 200.0,
                stddev: 150.0
            }
        );
    }

    #[test]
    fn empirical_lengths_come_from_a_file() {
        let dir = std::env::temp_dir().join(format!("headroom-len-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("lengths.txt");
        std::fs::write(&f, "# observed\n12, 40\n7\n\n").unwrap();
        let spec: LengthSpec = format!("file:{}", f.display()).parse().unwrap();
        let LengthSpec::Empirical(e) = &spec else {
            panic!("{spec:?}")
        };
        assert_eq!(e.values, vec![12, 40, 7]);
        assert_eq!(spec.max(), 40);
        assert_eq!(spec.to_string(), format!("file:{}", f.display()));
        std::fs::write(&f, "12\nabc\n").unwrap();
        let e = format!("file:{}", f.display())
            .parse::<LengthSpec>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("\"abc\""), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn lengths_file_errors_say_what_is_wrong_where() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.txt");
        let missing = missing.to_str().unwrap();
        let e = Empirical::load(missing).unwrap_err();
        assert!(matches!(e, LengthsFileError::Read { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with(&format!("cannot read {missing}: ")),
            "{e}"
        );
        let f = dir.path().join("lengths.txt");
        let path = f.to_str().unwrap();
        std::fs::write(&f, "3\n4, 0\n").unwrap();
        assert_eq!(
            Empirical::load(path).unwrap_err().to_string(),
            format!("{path} line 2: \"0\" is not a whole number >= 1")
        );
        std::fs::write(&f, "# nothing\n\n").unwrap();
        assert_eq!(
            Empirical::load(path).unwrap_err().to_string(),
            format!("{path} holds no lengths")
        );
    }

    #[test]
    fn rejects_nonsense_with_the_expected_forms() {
        for bad in [
            "0",
            "-5",
            "abc",
            "10..5",
            "0..4",
            "x:1",
            "10:-1",
            "",
            "lognormal:5",
            "file:/nonexistent/lengths.txt",
        ] {
            let e = bad.parse::<LengthSpec>().unwrap_err().to_string();
            assert!(
                e.contains("expected N, MEAN:STDDEV, MIN..MAX"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        for s in ["7", "200:20", "100..1024", "12.5:3.25", "lognormal:200:150"] {
            let l: LengthSpec = s.parse().unwrap();
            assert_eq!(l.to_string().parse::<LengthSpec>().unwrap(), l);
        }
    }
}
