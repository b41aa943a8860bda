//! JSONL traces: headroom's own format and Mooncake's (see [`super::TraceFormat`]).

use super::{MAX_US, TraceEntry, TraceError, for_each_line, parse_error, skipped};
use serde::Deserialize;
use std::path::Path;

/// Reads a JSONL trace, parsing each entry line with `parse`.
pub(super) fn read_jsonl(
    path: &Path,
    parse: fn(&str) -> Result<TraceEntry, String>,
) -> Result<Vec<TraceEntry>, TraceError> {
    let mut entries = Vec::new();
    for_each_line(path, |number, line| {
        if skipped(line) {
            return Ok(true);
        }
        let mut entry = parse(line).map_err(|m| parse_error(path, number, m))?;
        entry.line = number;
        entries.push(entry);
        Ok(true)
    })?;
    Ok(entries)
}

/// Stable id of a string: FNV-1a 64, then SplitMix64.
fn hash_id(s: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let h = s
        .bytes()
        .fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME));
    headroom_core::seed::mix(h)
}

/// A serde_json error without its (always line 1) position, but with the column.
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(m) if e.column() > 0 => format!("{m} (column {})", e.column()),
        Some(m) => m.to_string(),
        None => full,
    }
}

/// Converts a time in `unit` microseconds (1000 for ms, 1e6 for s) to whole microseconds.
fn to_us(value: f64, unit: f64, field: &str) -> Result<u64, String> {
    if !value.is_finite() || value < 0.0 {
        return Err(format!("`{field}` is {value}: expected a number ≥ 0"));
    }
    let us = (value * unit).round();
    if us > MAX_US {
        return Err(format!("`{field}` is {value}: too large"));
    }
    Ok(us as u64)
}

/// A session or prefix id: string (hashed) or non-negative integer (kept).
fn id(value: Option<serde_json::Value>, field: &str) -> Result<Option<u64>, String> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(hash_id(&s))),
        Some(serde_json::Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
        Some(other) => Err(format!(
            "`{field}` is {other}: expected a string or a non-negative integer"
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeadroomLine {
    t_ms: Option<f64>,
    t_us: Option<u64>,
    t: Option<f64>,
    input_tokens: u32,
    output_tokens: u32,
    session: Option<serde_json::Value>,
    prefix: Option<serde_json::Value>,
    prefix_tokens: Option<u32>,
}

const HEADROOM_EXPECTED: &str = "expected a JSON object with `t_ms` (or `t_us` or `t`), \
     `input_tokens`, `output_tokens` and optionally `session`, `prefix`, `prefix_tokens`";

pub(super) fn parse_headroom(line: &str) -> Result<TraceEntry, String> {
    let l: HeadroomLine = serde_json::from_str(line)
        .map_err(|e| format!("{}; {HEADROOM_EXPECTED}", json_message(&e)))?;
    let offset_us = match (l.t_ms, l.t_us, l.t) {
        (Some(ms), None, None) => to_us(ms, 1e3, "t_ms")?,
        (None, Some(us), None) => us,
        (None, None, Some(s)) => to_us(s, 1e6, "t")?,
        (None, None, None) => {
            return Err(
                "no arrival time: expected one of `t_ms` (milliseconds), `t_us` \
                 (microseconds) or `t` (seconds)"
                    .to_string(),
            );
        }
        _ => {
            return Err(
                "more than one arrival time: expected exactly one of `t_ms`, `t_us`, `t`"
                    .to_string(),
            );
        }
    };
    if l.input_tokens == 0 {
        return Err("`input_tokens` is 0: expected an integer ≥ 1".to_string());
    }
    if l.output_tokens == 0 {
        return Err("`output_tokens` is 0: expected an integer ≥ 1".to_string());
    }
    let session = id(l.session, "session")?;
    let prefix = id(l.prefix, "prefix")?;
    if let Some(p) = l.prefix_tokens {
        if prefix.is_none() {
            return Err("`prefix_tokens` without `prefix`: name the shared prefix".to_string());
        }
        if p == 0 {
            return Err("`prefix_tokens` is 0: expected an integer ≥ 1".to_string());
        }
        if p > l.input_tokens {
            return Err(format!(
                "`prefix_tokens` ({p}) exceeds `input_tokens` ({}): expected a prefix no \
                 longer than the prompt",
                l.input_tokens
            ));
        }
    }
    Ok(TraceEntry {
        offset_us,
        input_tokens: l.input_tokens,
        output_tokens: l.output_tokens,
        session,
        prefix,
        prefix_tokens: l.prefix_tokens,
        hash_ids: Vec::new(),
        line: 0,
    })
}

#[derive(Deserialize)]
struct MooncakeLine {
    timestamp: f64,
    input_length: u32,
    output_length: u32,
    #[serde(default)]
    hash_ids: Vec<u64>,
}

const MOONCAKE_EXPECTED: &str = "expected a Mooncake JSON object with `timestamp` \
     (milliseconds), `input_length`, `output_length` and `hash_ids`";

pub(super) fn parse_mooncake(line: &str) -> Result<TraceEntry, String> {
    let l: MooncakeLine = serde_json::from_str(line)
        .map_err(|e| format!("{}; {MOONCAKE_EXPECTED}", json_message(&e)))?;
    let offset_us = to_us(l.timestamp, 1e3, "timestamp")?;
    if l.input_length == 0 {
        return Err("`input_length` is 0: expected an integer ≥ 1".to_string());
    }
    Ok(TraceEntry {
        offset_us,
        input_tokens: l.input_length,
        // A request generates at least one token.
        output_tokens: l.output_length.max(1),
        session: None,
        prefix: None,
        prefix_tokens: None,
        hash_ids: l.hash_ids,
        line: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{entry, load_path, parse_err, write};
    use super::super::*;
    use super::*;

    #[test]
    fn string_ids_hash_stably() {
        // Pinned: ids must be the same on every run and platform.
        assert_eq!(hash_id(""), headroom_core::seed::mix(0xcbf2_9ce4_8422_2325));
        assert_eq!(
            hash_id("a"),
            headroom_core::seed::mix(0xaf63_dc4c_8601_ec8c)
        );
        assert_ne!(hash_id("alice"), hash_id("bob"));
    }

    #[test]
    fn headroom_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "t.jsonl",
            "# a comment\n\
             {\"t_ms\": 1000, \"input_tokens\": 1200, \"output_tokens\": 200, \"session\": \"alice\", \"prefix\": \"sys\", \"prefix_tokens\": 800}\n\
             \n\
             {\"t_ms\": 1012.5, \"input_tokens\": 300, \"output_tokens\": 50}\r\n\
             {\"t_us\": 3000000, \"input_tokens\": 90, \"output_tokens\": 30, \"session\": 17, \"prefix\": 4}\n\
             {\"t\": 2.5, \"input_tokens\": 5, \"output_tokens\": 1, \"session\": null}\n",
        );
        let t = load_path(&p).unwrap();
        assert_eq!(t.format, TraceFormat::Headroom);
        assert_eq!(t.block_tokens, None);
        assert_eq!(t.path, p);
        let mut e1 = entry(0, 1200, 200, 2);
        e1.session = Some(hash_id("alice"));
        e1.prefix = Some(hash_id("sys"));
        e1.prefix_tokens = Some(800);
        let e2 = entry(12_500, 300, 50, 4);
        let e4 = entry(1_500_000, 5, 1, 6);
        let mut e3 = entry(2_000_000, 90, 30, 5);
        e3.session = Some(17);
        e3.prefix = Some(4);
        assert_eq!(t.entries, vec![e1, e2, e4, e3]);
        assert_eq!(t.duration_us(), 2_000_000);
        assert!((t.mean_rate() - 1.5).abs() < 1e-12);
    }

    #[test]
    fn mooncake_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "conversation_trace.jsonl",
            "{\"timestamp\": 27482, \"input_length\": 6955, \"output_length\": 52, \"hash_ids\": [46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2353, 2354]}\n\
             {\"timestamp\": 27500, \"input_length\": 100, \"output_length\": 0, \"hash_ids\": [46], \"extra\": \"ignored\"}\n\
             {\"timestamp\": 27482.25, \"input_length\": 7, \"output_length\": 3}\n",
        );
        let t = load_path(&p).unwrap();
        assert_eq!(t.format, TraceFormat::Mooncake);
        assert_eq!(t.block_tokens, Some(512));
        let mut a = entry(0, 6955, 52, 1);
        a.hash_ids = vec![46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2353, 2354];
        let c = entry(250, 7, 3, 3);
        let mut b = entry(18_000, 100, 1, 2);
        b.hash_ids = vec![46];
        assert_eq!(t.entries, vec![a, c, b]);

        let bad = write(
            &dir,
            "zero.jsonl",
            "{\"timestamp\": 1, \"input_length\": 0, \"output_length\": 3, \"hash_ids\": []}\n",
        );
        let (line, msg) = parse_err(load_path(&bad).unwrap_err());
        assert_eq!(line, 1);
        assert!(msg.contains("input_length"), "{msg}");
    }

    #[test]
    fn malformed_json_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let ok = "{\"t_ms\": 0, \"input_tokens\": 5, \"output_tokens\": 1}\n";
        let p = write(
            &dir,
            "t.jsonl",
            &format!("{ok}{ok}{{\"t_ms\": 1, \"input_tokens\": 5,\n"),
        );
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 3);
        assert!(msg.contains("t.jsonl:3:"), "{msg}");
        assert!(msg.contains("expected a JSON object"), "{msg}");

        let p = write(
            &dir,
            "m.jsonl",
            "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1}\n\n{\"timestamp\": \"x\"}\n",
        );
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 3);
        assert!(
            msg.contains("m.jsonl:3:") && msg.contains("timestamp"),
            "{msg}"
        );
    }

    #[test]
    fn headroom_field_errors() {
        let dir = tempfile::tempdir().unwrap();
        let check = |name: &str, text: &str, wants: &[&str]| {
            let p = write(&dir, name, text);
            let r = TraceRef {
                format: Some(TraceFormat::Headroom),
                path: p,
            };
            let (line, msg) = parse_err(load(&r).unwrap_err());
            assert_eq!(line, 1, "{msg}");
            for want in wants {
                assert!(msg.contains(want), "{want:?} not in {msg}");
            }
        };
        check(
            "typo.jsonl",
            "{\"t_ms\": 0, \"input_tokns\": 5, \"output_tokens\": 1}\n",
            &[
                "typo.jsonl:1:",
                "input_tokns",
                "`t_ms`",
                "`input_tokens`",
                "`prefix_tokens`",
            ],
        );
        check(
            "prefix.jsonl",
            "{\"t_ms\": 0, \"input_tokens\": 5, \"output_tokens\": 1, \"prefix\": \"p\", \"prefix_tokens\": 6}\n",
            &["prefix_tokens", "input_tokens", "(6)", "(5)"],
        );
        check(
            "noprefix.jsonl",
            "{\"t_ms\": 0, \"input_tokens\": 5, \"output_tokens\": 1, \"prefix_tokens\": 2}\n",
            &["without `prefix`"],
        );
        // A typo in the first line of a bare path is still reported as a typo.
        let p = write(
            &dir,
            "typo2.jsonl",
            "{\"t_ms\": 0, \"input_tokns\": 5, \"output_tokens\": 1}\n",
        );
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 1);
        assert!(msg.contains("unknown field `input_tokns`"), "{msg}");
        check(
            "notime.jsonl",
            "{\"input_tokens\": 5, \"output_tokens\": 1}\n",
            &["t_ms", "t_us"],
        );
        check(
            "twotimes.jsonl",
            "{\"t_ms\": 0, \"t\": 0, \"input_tokens\": 5, \"output_tokens\": 1}\n",
            &["exactly one"],
        );
        check(
            "negative.jsonl",
            "{\"t_ms\": -1, \"input_tokens\": 5, \"output_tokens\": 1}\n",
            &["t_ms", "≥ 0"],
        );
        check(
            "zero.jsonl",
            "{\"t_ms\": 0, \"input_tokens\": 5, \"output_tokens\": 0}\n",
            &["output_tokens", "≥ 1"],
        );
        check(
            "badid.jsonl",
            "{\"t_ms\": 0, \"input_tokens\": 5, \"output_tokens\": 1, \"session\": [1]}\n",
            &["session", "string or a non-negative integer"],
        );
    }
}
