//! Azure LLM inference traces (CSV; see [`super::TraceFormat`]).

use super::{TraceEntry, TraceError, io_error, parse_error};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// The Azure columns we read (matched case-insensitively).
const AZURE_COLUMNS: [&str; 3] = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"];

pub(super) fn read_azure(path: &Path) -> Result<Vec<TraceEntry>, TraceError> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(BufReader::new(file));
    let csv_error = |e: csv::Error| match e.position() {
        Some(p) => parse_error(path, p.line(), format!("invalid CSV: {e}")),
        None => match e.into_kind() {
            csv::ErrorKind::Io(io) => io_error(path, io),
            kind => parse_error(path, 1, format!("invalid CSV: {kind:?}")),
        },
    };
    let header = reader.headers().map_err(csv_error)?.clone();
    let mut columns = [0usize; 3];
    for (slot, want) in columns.iter_mut().zip(AZURE_COLUMNS) {
        *slot = header
            .iter()
            .position(|h| {
                h.trim_start_matches('\u{feff}')
                    .trim()
                    .eq_ignore_ascii_case(want)
            })
            .ok_or_else(|| {
                parse_error(
                    path,
                    1,
                    format!(
                        "no `{want}` column in the header: expected an Azure LLM inference \
                         trace header TIMESTAMP,ContextTokens,GeneratedTokens"
                    ),
                )
            })?;
    }
    let mut rows: Vec<(i64, TraceEntry)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        rows.push(azure_row(path, &record, columns)?);
    }
    let Some(earliest) = rows.iter().map(|(at, _)| *at).min() else {
        return Ok(Vec::new());
    };
    Ok(rows
        .into_iter()
        .map(|(at, mut e)| {
            e.offset_us = at.abs_diff(earliest);
            e
        })
        .collect())
}

/// One row of an Azure trace, read from the `[TIMESTAMP, ContextTokens, GeneratedTokens]`
/// `columns`: its time (µs since the Unix epoch) and its entry (offset still 0).
fn azure_row(
    path: &Path,
    record: &csv::StringRecord,
    columns: [usize; 3],
) -> Result<(i64, TraceEntry), TraceError> {
    let [ts_col, ctx_col, gen_col] = columns;
    let number = record.position().map_or(0, |p| p.line());
    let field = |i: usize, name: &str| {
        record.get(i).ok_or_else(|| {
            parse_error(
                path,
                number,
                format!("missing `{name}` field: expected TIMESTAMP,ContextTokens,GeneratedTokens"),
            )
        })
    };
    let ts = field(ts_col, "TIMESTAMP")?;
    let at = parse_timestamp(ts).map_err(|m| {
        parse_error(
            path,
            number,
            format!(
                "bad TIMESTAMP {ts:?}: {m}; expected YYYY-MM-DD HH:MM:SS[.fraction] \
                 (e.g. 2023-11-16 18:15:46.6805900)"
            ),
        )
    })?;
    let count = |i: usize, name: &str| -> Result<u32, TraceError> {
        let v = field(i, name)?;
        v.parse::<u32>().map_err(|_| {
            parse_error(
                path,
                number,
                format!("bad {name} {v:?}: expected a non-negative integer"),
            )
        })
    };
    let input_tokens = count(ctx_col, "ContextTokens")?;
    if input_tokens == 0 {
        return Err(parse_error(
            path,
            number,
            "ContextTokens is 0: expected an integer ≥ 1",
        ));
    }
    // A request generates at least one token.
    let output_tokens = count(gen_col, "GeneratedTokens")?.max(1);
    Ok((
        at,
        TraceEntry {
            offset_us: 0,
            input_tokens,
            output_tokens,
            session: None,
            prefix: None,
            prefix_tokens: None,
            hash_ids: Vec::new(),
            line: number,
        },
    ))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400; // [0, 399]
    let mp = i64::from((month + 9) % 12); // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses exactly `n` ASCII digits.
fn digits(s: &str, n: usize, what: &str) -> Result<u32, String> {
    if s.len() != n || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("expected {n} digits for the {what}, found {s:?}"));
    }
    s.parse::<u32>().map_err(|e| e.to_string())
}

/// Microseconds since the Unix epoch (UTC) of `YYYY-MM-DD[ T]HH:MM:SS[.f{1,9}][Z|±HH:MM]`.
fn parse_timestamp(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (date, rest) = s
        .split_once([' ', 'T'])
        .ok_or("expected a date and a time separated by a space")?;
    let mut d = date.split('-');
    let (Some(y), Some(mo), Some(da), None) = (d.next(), d.next(), d.next(), d.next()) else {
        return Err(format!("expected a date YYYY-MM-DD, found {date:?}"));
    };
    let year = i64::from(digits(y, 4, "year")?);
    let month = digits(mo, 2, "month")?;
    let day = digits(da, 2, "day")?;
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} is not in 1..=12"));
    }
    if !(1..=days_in_month(year, month)).contains(&day) {
        return Err(format!("day {day} does not exist in {year}-{month:02}"));
    }
    // UTC offset: `Z`, or a sign followed by HH:MM at the end.
    let rest = rest.trim();
    let (time, offset_s) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        (t, 0i64)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (t, off) = rest.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..]
            .split_once(':')
            .ok_or_else(|| format!("expected a UTC offset ±HH:MM, found {off:?}"))?;
        let oh = digits(oh, 2, "offset hours")?;
        let om = digits(om, 2, "offset minutes")?;
        if oh > 23 || om > 59 {
            return Err(format!("UTC offset {off:?} is out of range"));
        }
        (t, sign * i64::from(oh * 3600 + om * 60))
    } else {
        (rest, 0)
    };
    let (hms, frac) = match time.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (time, None),
    };
    let mut t = hms.split(':');
    let (Some(h), Some(mi), Some(se), None) = (t.next(), t.next(), t.next(), t.next()) else {
        return Err(format!("expected a time HH:MM:SS, found {time:?}"));
    };
    let hour = digits(h, 2, "hour")?;
    let minute = digits(mi, 2, "minute")?;
    let second = digits(se, 2, "second")?;
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!("time {hms} is out of range"));
    }
    let micros = match frac {
        None => 0i64,
        Some(f) => {
            if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "expected 1 to 9 digits of fraction of a second, found {f:?}"
                ));
            }
            // Nanoseconds, rounded to the nearest microsecond (may carry into the second).
            let ns: i64 = format!("{f:0<9}").parse().map_err(|_| "bad fraction")?;
            (ns + 500) / 1000
        }
    };
    let seconds = days_from_civil(year, month, day) * 86_400
        + i64::from(hour * 3600 + minute * 60 + second)
        - offset_s;
    Ok(seconds * 1_000_000 + micros)
}

/// Whether a line is an Azure CSV header.
pub(super) fn azure_header(line: &str) -> bool {
    let cols: Vec<&str> = line
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    AZURE_COLUMNS
        .iter()
        .all(|want| cols.iter().any(|c| c.eq_ignore_ascii_case(want)))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{entry, load_path, parse_err, write};
    use super::super::*;
    use super::*;

    #[test]
    fn azure_csv() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "AzureLLMInferenceTrace_conv.csv",
            "timestamp,CONTEXTTOKENS,GeneratedTokens\n\
             2023-11-16 18:15:46.6805900,374,44\n\
             2023-11-16 18:15:50.9951690,396,109\n\
             2023-11-16 18:15:46,10,0\n\
             2023-11-16T18:15:47.5Z,11,2\n\
             2023-11-16 18:15:48.25+00:00,12,3\n\
             2023-11-16 19:15:49-01:00,13,4\n",
        );
        let t = load_path(&p).unwrap();
        assert_eq!(t.format, TraceFormat::Azure);
        assert_eq!(t.block_tokens, None);
        assert_eq!(
            t.entries,
            vec![
                entry(0, 10, 1, 4),
                entry(680_590, 374, 44, 2),
                entry(1_500_000, 11, 2, 5),
                entry(2_250_000, 12, 3, 6),
                entry(4_995_169, 396, 109, 3),
                entry(7_203_000_000, 13, 4, 7),
            ]
        );
    }

    #[test]
    fn azure_offsets_across_midnight_and_month() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "a.csv",
            "TIMESTAMP,ContextTokens,GeneratedTokens\n\
             2023-11-30 23:59:59.5,1,1\n\
             2023-12-01 00:00:00.25,1,1\n\
             2024-01-01 00:00:00.5,1,1\n\
             2024-03-01 00:00:00.5,1,1\n",
        );
        let t = load_path(&p).unwrap();
        let offsets: Vec<u64> = t.entries.iter().map(|e| e.offset_us).collect();
        let day = 86_400_000_000u64;
        // 1 Dec 2023 → 1 Jan 2024 is 31 days; 1 Jan → 1 Mar 2024 (leap year) 31 + 29 days.
        assert_eq!(
            offsets,
            vec![
                0,
                750_000,
                31 * day + 1_000_000,
                (31 + 31 + 29) * day + 1_000_000
            ]
        );
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(
            parse_timestamp("2023-11-16 18:15:46.6805900").unwrap(),
            1_700_158_546_680_590
        );
        assert!(parse_timestamp("2023-02-29 00:00:00").is_err());
        assert!(parse_timestamp("2024-02-29 00:00:00").is_ok());
    }

    #[test]
    fn azure_errors() {
        let dir = tempfile::tempdir().unwrap();
        let header = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
        let p = write(
            &dir,
            "a.csv",
            &format!("{header}2023-11-16 18:15:46,5,1\n2023-11-16 25:15:46,5,1\n"),
        );
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 3);
        assert!(
            msg.contains("a.csv:3:") && msg.contains("TIMESTAMP"),
            "{msg}"
        );

        for bad in [
            "2023-11-16",
            "2023-13-01 00:00:00",
            "2023-11-16 18:15",
            "2023-11-16 18:15:46.",
            "2023-11-16 18:15:46.12345678901",
            "16/11/2023 18:15:46",
            "2023-11-16 18:15:46+0000",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }

        let p = write(
            &dir,
            "b.csv",
            &format!("{header}2023-11-16 18:15:46,5,1\n2023-11-16 18:15:47,0,1\n"),
        );
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 3);
        assert!(msg.contains("ContextTokens"), "{msg}");

        let p = write(&dir, "c.csv", "TIMESTAMP,Tokens\n2023-11-16 18:15:46,5\n");
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 1);
        assert!(msg.contains("`ContextTokens`"), "{msg}");

        let p = write(&dir, "d.csv", &format!("{header}2023-11-16 18:15:46,x,1\n"));
        let (line, msg) = parse_err(load_path(&p).unwrap_err());
        assert_eq!(line, 2);
        assert!(msg.contains("ContextTokens"), "{msg}");
    }
}
