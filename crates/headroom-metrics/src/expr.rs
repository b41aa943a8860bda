//! The expression cursor shared by SLOs ([`crate::slo`]) and `--fail-if` gates
//! ([`crate::gate`]): white space, words, numbers and operators, exact decimal scaling,
//! the latency metric names both accept, the caret in their error messages, and their
//! serialization as the expression string.

use crate::Metric;
use std::fmt;

/// The latency metrics an SLO can name, with their aliases (canonical name first).
pub(crate) const LATENCY_NAMES: [(Metric, &[&str]); 8] = [
    (Metric::Ttft, &["ttft"]),
    (Metric::Itl, &["itl"]),
    (Metric::ItlPerToken, &["itl_per_token"]),
    (Metric::Tpot, &["tpot"]),
    (Metric::E2e, &["e2e", "latency", "request_latency", "e2el"]),
    (
        Metric::TtftFromIntended,
        &["ttft_from_intended", "ttft_intended"],
    ),
    (
        Metric::E2eFromIntended,
        &["e2e_from_intended", "e2e_intended", "latency_from_intended"],
    ),
    (Metric::SchedulingLag, &["scheduling_lag"]),
];

pub(crate) fn latency_metric(name: &str) -> Option<Metric> {
    let name = name.to_lowercase();
    LATENCY_NAMES
        .iter()
        .find(|(_, names)| names.contains(&name.as_str()))
        .map(|(m, _)| *m)
}

pub(crate) fn metric_list() -> String {
    LATENCY_NAMES
        .iter()
        .map(|(_, names)| names[0])
        .collect::<Vec<_>>()
        .join(", ")
}

/// A bad SLO or `--fail-if` expression ([`crate::slo::SloError`],
/// [`crate::gate::GateError`]). Its `Display` shows the expression with a caret under the
/// place parsing stopped and what was wrong or expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressionError {
    /// What the expression should have been (`SLO`, `gate`), for the message.
    what: &'static str,
    expression: String,
    column: usize,
    reason: String,
}

impl ExpressionError {
    /// An error at byte offset `at` of the cursor's expression.
    pub(crate) fn new(
        what: &'static str,
        p: &Parser<'_>,
        at: usize,
        reason: impl Into<String>,
    ) -> Self {
        ExpressionError {
            what,
            expression: p.src.to_string(),
            column: p.src[..at].chars().count(),
            reason: reason.into(),
        }
    }

    /// The expression as given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Where parsing stopped, in characters from the start of the expression.
    pub fn column(&self) -> usize {
        self.column
    }

    /// What was wrong or expected there.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ExpressionError {
    /// `invalid {what} '{expression}':`, the expression, and the reason after a caret
    /// under the column.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line breaks and tabs would move the caret: show them as spaces.
        let echo: String = self
            .expression
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect();
        write!(
            f,
            "invalid {} '{}':\n  {echo}\n  {}^ {}",
            self.what,
            self.expression,
            " ".repeat(self.column),
            self.reason
        )
    }
}

impl std::error::Error for ExpressionError {}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op {
    Le,
    Lt,
    Ge,
    Gt,
    Eq,
}

/// A cursor over the expression; positions are byte offsets. Shared with
/// [`crate::gate`].
pub(crate) struct Parser<'a> {
    pub(crate) src: &'a str,
    pub(crate) pos: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    pub(crate) fn ws(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start().len();
    }

    /// The next character after white space.
    pub(crate) fn peek(&mut self) -> Option<char> {
        self.ws();
        self.rest().chars().next()
    }

    /// Consumes `c` if it comes next (after white space).
    pub(crate) fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// A word of letters, digits and `_` (possibly empty) after white space, and where
    /// it starts.
    pub(crate) fn word(&mut self) -> (usize, &'a str) {
        self.ws();
        let start = self.pos;
        let r = self.rest();
        let len = r
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(r.len());
        self.pos += len;
        (start, &self.src[start..self.pos])
    }

    /// A non-negative decimal number (`3`, `3.81`, `.5`) after white space, and where it
    /// starts.
    pub(crate) fn number(&mut self) -> Option<(usize, &'a str)> {
        self.ws();
        let start = self.pos;
        let r = self.rest();
        let int = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        let mut len = int;
        if r[int..].starts_with('.') {
            let frac = r[int + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(r.len() - int - 1);
            if frac > 0 {
                len = int + 1 + frac;
            }
        }
        if len == 0 {
            return None;
        }
        self.pos += len;
        Some((start, &self.src[start..self.pos]))
    }

    /// The percentile of a word `p…` that starts at `start` (`p95`, `p99.9`): its text
    /// and where it stands, read again from after the `p` with decimals; or where and why
    /// it is not one.
    pub(crate) fn percentile(
        &mut self,
        start: usize,
    ) -> Result<(usize, &'a str), (usize, &'static str)> {
        self.pos = start + 1;
        let Some((at, text)) = self.number() else {
            return Err((
                self.pos,
                "expected a percentile after 'p', like p95 or p99.9",
            ));
        };
        let pct = scaled(text, 0);
        if !(pct > 0.0 && pct < 100.0) {
            return Err((
                at,
                "the percentile must be above 0 and below 100, like p95 or p99.9",
            ));
        }
        Ok((at, text))
    }

    /// What stands where a word was expected: the word read, or else the next character.
    pub(crate) fn found(&self, word: &str) -> String {
        if word.is_empty() {
            self.rest()
                .chars()
                .next()
                .map(String::from)
                .unwrap_or_default()
        } else {
            word.to_string()
        }
    }

    pub(crate) fn op(&mut self) -> Option<Op> {
        self.ws();
        let r = self.rest();
        for (text, op) in [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("≤", Op::Le),
            ("≥", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("=", Op::Eq),
        ] {
            if r.starts_with(text) {
                self.pos += text.len();
                return Some(op);
            }
        }
        None
    }
}

/// The decimal `text` times 10^`exp`, rounded once (so `3.81` s is exactly 3,810,000 µs).
pub(crate) fn scaled(text: &str, exp: i32) -> f64 {
    let text = if text.starts_with('.') {
        format!("0{text}")
    } else {
        text.to_string()
    };
    format!("{text}e{exp}").parse().unwrap_or(f64::NAN)
}

/// Moves the decimal point of a plain decimal (`12.5`, as Rust prints an `f64`) by `k`
/// places, exactly: `shift_decimal("3810000", -6)` is `3.81`. Other text (`NaN`, `inf`)
/// comes back unchanged.
pub(crate) fn shift_decimal(s: &str, k: i32) -> String {
    let (sign, body) = match s.strip_prefix('-') {
        Some(b) => ("-", b),
        None => ("", s),
    };
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return s.to_string();
    }
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let mut digits = format!("{int}{frac}");
    let mut point = int.len() as i64 + k as i64;
    if point < 0 {
        digits.insert_str(0, &"0".repeat((-point) as usize));
        point = 0;
    }
    let point = point as usize;
    if point > digits.len() {
        digits.push_str(&"0".repeat(point - digits.len()));
    }
    let (i, f) = digits.split_at(point);
    let i = i.trim_start_matches('0');
    let i = if i.is_empty() { "0" } else { i };
    let f = f.trim_end_matches('0');
    if f.is_empty() {
        format!("{sign}{i}")
    } else {
        format!("{sign}{i}.{f}")
    }
}

/// Serializes `$ty` as its expression (its `Display`) and deserializes it by parsing
/// (its `FromStr`), with a JSON Schema of a string (feature `schema`): SLOs and gates are
/// written in results and read back exactly as a user would type them.
macro_rules! expression_serde {
    ($ty:ident, $description:literal, [$($example:literal),* $(,)?]) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "description": $description,
                    "examples": [$($example),*]
                })
            }
        }
    };
}

pub(crate) use expression_serde;

/// The caret column and reason of an expression that must not parse as `T`, checking
/// that the error repeats the expression.
#[cfg(test)]
pub(crate) fn caret_of<T>(s: &str) -> (usize, String)
where
    T: std::str::FromStr<Err = ExpressionError> + fmt::Debug,
{
    match s.parse::<T>() {
        Ok(v) => panic!("{s:?} parsed as {v:?}"),
        Err(e) => {
            assert_eq!(e.expression(), s);
            (e.column(), e.reason().to_string())
        }
    }
}
