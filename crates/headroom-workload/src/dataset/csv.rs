//! CSV: a header row with a prompt column (see [`super::DatasetFormat::Csv`]).

use super::{Candidate, DatasetError, Parsed};
use headroom_core::Prompt;
use std::path::Path;

pub(super) fn parse(
    reader: impl std::io::Read,
    path: &Path,
) -> Result<Parsed<'static>, DatasetError> {
    let csv_error = |e: csv::Error| csv_error(path, e);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let headers = rdr.headers().map_err(csv_error)?.clone();
    let column = |names: &[&str]| {
        names.iter().find_map(|n| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(n))
        })
    };
    let Some(prompt_col) = column(&["prompt", "text"]) else {
        return Err(no_prompt_column(path, &headers));
    };
    let prompt_name = headers
        .get(prompt_col)
        .unwrap_or("prompt")
        .trim()
        .to_string();
    let output_col = column(&["output_tokens", "max_tokens"]);
    let mut parsed = Parsed::new();
    let mut record = csv::StringRecord::new();
    while rdr.read_record(&mut record).map_err(csv_error)? {
        parsed.read += 1;
        let line = record.position().map_or(0, csv::Position::line);
        let at = |message: String| DatasetError::Parse {
            path: path.to_path_buf(),
            line,
            column: None,
            message,
        };
        let Some(prompt) = record.get(prompt_col) else {
            return Err(at(format!(
                "the row ends before its \"{prompt_name}\" cell (column {}); expected a prompt",
                prompt_col + 1
            )));
        };
        let output_tokens =
            match output_col.and_then(|c| record.get(c)).map(str::trim) {
                None | Some("") => None,
                Some(cell) => Some(cell.parse::<u32>().ok().filter(|&n| n >= 1).ok_or_else(
                    || {
                        at(format!(
                            "\"{}\" must be a positive whole number or empty, found {cell:?}",
                            output_col
                                .and_then(|c| headers.get(c))
                                .unwrap_or("output_tokens")
                                .trim()
                        ))
                    },
                )?),
            };
        parsed.push(Candidate {
            prompt: Prompt::Text(prompt.to_string()),
            completion: None,
            output_tokens,
            line,
        });
    }
    Ok(parsed)
}

/// A CSV reader's error: the file's I/O error, a bad row (with its line), or a bad file.
fn csv_error(path: &Path, e: csv::Error) -> DatasetError {
    let line = e.position().map(csv::Position::line);
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!("not valid UTF-8 text ({err})"),
        _ => e.to_string(),
    };
    match (e.into_kind(), line) {
        (csv::ErrorKind::Io(source), _) => DatasetError::Io {
            path: path.to_path_buf(),
            source,
        },
        (_, Some(line)) => DatasetError::Parse {
            path: path.to_path_buf(),
            line,
            column: None,
            message,
        },
        (_, None) => DatasetError::Format {
            path: path.to_path_buf(),
            message,
        },
    }
}

/// A header without a prompt column, naming the columns it has.
fn no_prompt_column(path: &Path, headers: &csv::StringRecord) -> DatasetError {
    let columns = if headers.iter().all(|h| h.trim().is_empty()) {
        "the header row is empty".to_string()
    } else {
        format!(
            "the header's columns are {}",
            headers
                .iter()
                .map(|h| format!("{h:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    DatasetError::Format {
        path: path.to_path_buf(),
        message: format!(
            "expected a header row with a \"prompt\" (or \"text\") column, and optionally \"output_tokens\"; {columns}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{load_str, text};
    use super::super::*;

    #[test]
    fn csv_reads_quoted_cells() {
        let body = "id,Prompt,output_tokens\n\
                    1,\"hello, world\",10\n\
                    2,\"line one\nline two\",\n\
                    3,\"say \"\"hi\"\"\", 4 \n\
                    4,,9\n";
        let d = load_str("p.csv", body).unwrap();
        assert_eq!((d.read, d.skipped, d.filtered), (4, 1, 0));
        let e = &d.entries;
        assert_eq!(e.len(), 3);
        assert_eq!(text(&e[0].prompt), "hello, world");
        assert_eq!(
            (e[0].input_tokens, e[0].output_tokens, e[0].line),
            (2, Some(10), 2)
        );
        assert_eq!(text(&e[1].prompt), "line one\nline two");
        assert_eq!(
            (e[1].input_tokens, e[1].output_tokens, e[1].line),
            (4, None, 3)
        );
        assert_eq!(text(&e[2].prompt), "say \"hi\"");
        assert_eq!((e[2].output_tokens, e[2].line), (Some(4), 5));

        let d = load_str("t.csv", "text\nfour words are here\n").unwrap();
        assert_eq!(
            (d.entries[0].input_tokens, d.entries[0].output_tokens),
            (4, None)
        );
    }

    #[test]
    fn csv_errors_name_the_line_or_the_columns() {
        let body = "prompt,output_tokens\n\"a\nb\",3\nc,lots\n";
        let e = load_str("bad.csv", body).unwrap_err();
        assert!(matches!(e, DatasetError::Parse { line: 4, .. }), "{e:?}");
        let m = e.to_string();
        assert!(m.contains("bad.csv line 4:"), "{m}");
        assert!(m.contains("\"lots\""), "{m}");

        let m = load_str("bad.csv", "id,prompt\n1,a\n2\n")
            .unwrap_err()
            .to_string();
        assert!(m.contains("bad.csv line 3:"), "{m}");

        let m = load_str("nohead.csv", "question,answer\nx,y\n")
            .unwrap_err()
            .to_string();
        assert!(m.contains("nohead.csv"), "{m}");
        assert!(m.contains(r#""question", "answer""#), "{m}");
        assert!(m.contains("\"prompt\""), "{m}");
    }
}
