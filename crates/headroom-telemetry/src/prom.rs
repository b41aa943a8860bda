//! The Prometheus text exposition format (0.0.4), as servers write it on `/metrics`.
//!
//! Tolerant of what real servers and OpenMetrics add: `# EOF`, `# UNIT`, exemplars after a
//! value (`… 3 # {trace_id="a"} 0.5`), timestamps, escaped label values (`\\`, `\"`,
//! `\n`), a trailing comma in a label set, quoted metric names inside the braces
//! (`{"a.b",x="y"}`), `+Inf`, `-Inf` and `NaN`, CRLF line ends. A line that is none of
//! these is skipped and counted, never an error: a scrape is data, and one odd line must
//! not lose the rest. [`Parser`] takes the text in any pieces (as it arrives over the
//! network); the samples do not depend on where it was cut.

use std::collections::BTreeMap;

/// A metric family's type, from its `# TYPE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (resets when the server restarts).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Cumulative buckets (`_bucket{le=…}`), `_sum` and `_count`.
    Histogram,
    /// Quantiles, `_sum` and `_count`.
    Summary,
    /// No `# TYPE`, or one this parser does not know.
    Untyped,
}

/// One sample: a series (name and labels) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The metric name, e.g. `vllm:num_requests_running` or `…_bucket`.
    pub name: String,
    /// Labels in the order written.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
}

impl Sample {
    /// The value of label `name`, if the sample has it.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What one scrape said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition {
    /// Every sample, in the order written.
    pub samples: Vec<Sample>,
    /// Families' types by family name.
    pub kinds: BTreeMap<String, Kind>,
    /// Lines that were neither a comment nor a sample.
    pub skipped: usize,
}

impl Exposition {
    /// The type of the family sample `name` belongs to (`x_bucket` → `x`'s).
    pub fn kind_of(&self, name: &str) -> Kind {
        if let Some(k) = self.kinds.get(name) {
            return *k;
        }
        ["_bucket", "_count", "_sum", "_total", "_created"]
            .iter()
            .filter_map(|s| name.strip_suffix(s))
            .find_map(|family| self.kinds.get(family).copied())
            .unwrap_or(Kind::Untyped)
    }

    /// The samples named `name`.
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| s.name == name)
    }
}

/// Parses a whole exposition.
pub fn parse(text: &str) -> Exposition {
    let mut p = Parser::default();
    p.feed(text);
    p.finish()
}

/// Parses an exposition that arrives in pieces.
#[derive(Debug, Default)]
pub struct Parser {
    /// The unfinished last line.
    partial: String,
    out: Exposition,
}

impl Parser {
    /// Takes the next piece of text.
    pub fn feed(&mut self, chunk: &str) {
        let mut rest = chunk;
        while let Some(i) = rest.find('\n') {
            if self.partial.is_empty() {
                self.line(&rest[..i]);
            } else {
                let mut l = std::mem::take(&mut self.partial);
                l.push_str(&rest[..i]);
                self.line(&l);
            }
            rest = &rest[i + 1..];
        }
        self.partial.push_str(rest);
    }

    /// The exposition, the last line included even without a final newline.
    pub fn finish(mut self) -> Exposition {
        let last = std::mem::take(&mut self.partial);
        self.line(&last);
        self.out
    }

    fn line(&mut self, line: &str) {
        let l = line.trim();
        if l.is_empty() {
            return;
        }
        if let Some(comment) = l.strip_prefix('#') {
            let mut words = comment.split_whitespace();
            if words.next() == Some("TYPE")
                && let (Some(name), Some(kind)) = (words.next(), words.next())
            {
                let kind = match kind {
                    "counter" => Kind::Counter,
                    "gauge" => Kind::Gauge,
                    "histogram" | "gaugehistogram" => Kind::Histogram,
                    "summary" => Kind::Summary,
                    _ => Kind::Untyped,
                };
                self.out.kinds.insert(name.to_string(), kind);
            }
            return;
        }
        match sample(l) {
            Some(s) => self.out.samples.push(s),
            None => self.out.skipped += 1,
        }
    }
}

/// A cursor over one line.
struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.i += 1;
        }
        hit
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` (`colon`: metric names) or `[a-zA-Z_][a-zA-Z0-9_]*`.
    fn name(&mut self, colon: bool) -> Option<&'a str> {
        let start = self.i;
        while let Some(b) = self.peek() {
            let ok = b.is_ascii_alphabetic()
                || b == b'_'
                || (colon && b == b':')
                || (self.i > start && b.is_ascii_digit());
            if !ok {
                break;
            }
            self.i += 1;
        }
        (self.i > start).then(|| &self.s[start..self.i])
    }

    /// A double-quoted string with `\\`, `\"` and `\n` escapes.
    fn quoted(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            return None;
        }
        let mut out = String::new();
        let mut chars = self.s[self.i..].char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => {
                    self.i += at + 1;
                    return Some(out);
                }
                '\\' => match chars.next()?.1 {
                    'n' => out.push('\n'),
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
        None
    }

    /// The next blank-separated token.
    fn token(&mut self) -> Option<&'a str> {
        self.skip_blanks();
        let start = self.i;
        while matches!(self.peek(), Some(b) if b != b' ' && b != b'\t') {
            self.i += 1;
        }
        (self.i > start).then(|| &self.s[start..self.i])
    }
}

fn sample(line: &str) -> Option<Sample> {
    let mut c = Cursor { s: line, i: 0 };
    let mut name = c.name(true).map(str::to_string);
    let mut labels = Vec::new();
    if c.eat(b'{') {
        loop {
            c.skip_blanks();
            if c.eat(b'}') {
                break;
            }
            let key = match c.peek() {
                Some(b'"') => {
                    let q = c.quoted()?;
                    c.skip_blanks();
                    // OpenMetrics 2: a bare quoted string in the braces is the name.
                    if name.is_none() && matches!(c.peek(), Some(b',' | b'}')) {
                        name = Some(q);
                        c.eat(b',');
                        continue;
                    }
                    q
                }
                _ => c.name(false)?.to_string(),
            };
            c.skip_blanks();
            if !c.eat(b'=') {
                return None;
            }
            c.skip_blanks();
            let value = c.quoted()?;
            labels.push((key, value));
            c.skip_blanks();
            if !c.eat(b',') {
                c.skip_blanks();
                if !c.eat(b'}') {
                    return None;
                }
                break;
            }
        }
    }
    let value = number(c.token()?)?;
    // Then an optional timestamp and an optional exemplar (`# {…} v [ts]`).
    match c.token() {
        None | Some("#") => {}
        Some(ts) if ts.parse::<f64>().is_ok() => {
            if !matches!(c.token(), None | Some("#")) {
                return None;
            }
        }
        Some(_) => return None,
    }
    Some(Sample {
        name: name?,
        labels,
        value,
    })
}

/// A sample value: a float, `+Inf`, `-Inf` or `NaN` (any case).
fn number(tok: &str) -> Option<f64> {
    match tok.to_ascii_lowercase().as_str() {
        "+inf" | "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        t => t.parse().ok().filter(|v: &f64| v.is_finite()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Sample {
        let e = parse(line);
        assert_eq!(e.skipped, 0, "{line}");
        assert_eq!(e.samples.len(), 1, "{line}");
        e.samples.into_iter().next().unwrap()
    }

    #[test]
    fn reads_samples_with_labels_timestamps_and_special_values() {
        let s = one(r#"vllm:num_requests_running{engine="0",model_name="tiny-model"} 32.0"#);
        assert_eq!(s.name, "vllm:num_requests_running");
        assert_eq!(s.label("model_name"), Some("tiny-model"));
        assert_eq!(s.value, 32.0);
        assert_eq!(one("x 1.5e3 1700000000000").value, 1500.0);
        assert_eq!(one(r#"h_bucket{le="+Inf"} 7"#).label("le"), Some("+Inf"));
        assert_eq!(one("x +Inf").value, f64::INFINITY);
        assert_eq!(one("x -Inf").value, f64::NEG_INFINITY);
        assert!(one("x NaN").value.is_nan());
        assert_eq!(one("x{} 2").labels, vec![]);
        assert_eq!(one("  x{a=\"1\",} 2\r").label("a"), Some("1"));
    }

    #[test]
    fn unescapes_label_values_and_takes_openmetrics_additions() {
        let s = one(r#"x{path="C:\\dir",msg="say \"hi\"\nbye"} 1"#);
        assert_eq!(s.label("path"), Some(r"C:\dir"));
        assert_eq!(s.label("msg"), Some("say \"hi\"\nbye"));
        // An exemplar after the value, with and without a timestamp before it.
        assert_eq!(
            one(r#"a_bucket{le="1"} 3 # {trace_id="ab"} 0.5 123"#).value,
            3.0
        );
        assert_eq!(
            one(r#"a_bucket{le="1"} 3 1700 # {trace_id="ab"} 0.5"#).value,
            3.0
        );
        // A quoted name inside the braces.
        let s = one(r#"{"http.server.duration",code="200"} 4"#);
        assert_eq!(
            (s.name.as_str(), s.label("code")),
            ("http.server.duration", Some("200"))
        );
        let e = parse("# TYPE a counter\n# UNIT a seconds\na_total 1\n# EOF\n");
        assert_eq!(e.samples.len(), 1);
        assert_eq!(e.kind_of("a_total"), Kind::Counter);
    }

    #[test]
    fn garbage_lines_are_skipped_and_counted() {
        let e = parse("ok 1\nnot a sample\nx{a=1} 2\nx{a=\"1\" 2\nx 1 2 3\nx abc\n9x 1\nok2 2");
        assert_eq!(e.samples.len(), 2, "{:?}", e.samples);
        assert_eq!(e.skipped, 6);
    }

    #[test]
    fn types_follow_families() {
        let e = parse("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 2\nh_count 1\ng 3\n");
        assert_eq!(e.kind_of("h_bucket"), Kind::Histogram);
        assert_eq!(e.kind_of("h_sum"), Kind::Histogram);
        assert_eq!(e.kind_of("g"), Kind::Untyped);
    }
}
