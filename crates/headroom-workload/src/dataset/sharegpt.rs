//! ShareGPT: a JSON array of conversations; the prompt is the first human turn a gpt turn
//! answers (see [`super::DatasetFormat::ShareGpt`]).

use super::{Candidate, DatasetError, Parsed, json_message};
use headroom_core::Prompt;
use serde::Deserialize;
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::path::Path;

#[derive(Deserialize)]
struct RawEntry<'a> {
    #[serde(borrow)]
    conversations: Vec<RawTurn<'a>>,
}

#[derive(Deserialize)]
struct RawTurn<'a> {
    #[serde(borrow, alias = "role")]
    from: Cow<'a, str>,
    #[serde(borrow, alias = "content")]
    value: Cow<'a, str>,
}

fn is_human(from: &str) -> bool {
    matches!(from, "human" | "user")
}

fn is_gpt(from: &str) -> bool {
    matches!(from, "gpt" | "assistant" | "chatgpt")
}

/// The first human turn answered by a gpt turn, as (prompt, answer).
fn first_exchange(turns: Vec<RawTurn<'_>>) -> Option<(String, Cow<'_, str>)> {
    let at = turns
        .windows(2)
        .position(|w| is_human(&w[0].from) && is_gpt(&w[1].from))?;
    let mut it = turns.into_iter().skip(at);
    let human = it.next()?;
    let gpt = it.next()?;
    Some((human.value.into_owned(), gpt.value))
}

/// Walks the top-level array, keeping one exchange per entry as it goes (the other turns
/// are dropped at once, so memory stays near the file's size). `current` holds the index
/// of the entry being parsed, to name it in an error.
struct ShareGptEntries<'s> {
    current: &'s Cell<Option<usize>>,
}

/// The exchanges found and the number of entries read.
type Exchanges<'de> = (Vec<(usize, String, Cow<'de, str>)>, usize);

impl<'de> DeserializeSeed<'de> for ShareGptEntries<'_> {
    type Value = Exchanges<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ShareGptEntries<'_> {
    type Value = Exchanges<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON array of ShareGPT entries ({SHAREGPT_SHAPE})")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let mut read = 0;
        loop {
            self.current.set(Some(read));
            let Some(entry) = seq.next_element::<RawEntry<'de>>()? else {
                break;
            };
            if let Some((prompt, answer)) = first_exchange(entry.conversations) {
                out.push((read, prompt, answer));
            }
            read += 1;
        }
        self.current.set(None);
        Ok((out, read))
    }
}

/// What a ShareGPT entry looks like, for error messages.
const SHAREGPT_SHAPE: &str = r#"each entry {"conversations": [{"from": "human", "value": "..."}, {"from": "gpt", "value": "..."}, ...]}"#;

pub(super) fn parse<'a>(bytes: &'a [u8], path: &Path) -> Result<Parsed<'a>, DatasetError> {
    let current = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = ShareGptEntries { current: &current }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    let (exchanges, read) = match result {
        Ok(v) => v,
        Err(e) => {
            let message = json_message(&e);
            return Err(match (e.classify(), current.get()) {
                (serde_json::error::Category::Data, Some(index)) => DatasetError::Entry {
                    path: path.to_path_buf(),
                    index,
                    line: e.line() as u64,
                    column: e.column().max(1) as u64,
                    message: format!("{message} ({SHAREGPT_SHAPE})"),
                },
                (serde_json::error::Category::Data, None) => DatasetError::Parse {
                    path: path.to_path_buf(),
                    line: e.line() as u64,
                    column: Some(e.column().max(1) as u64),
                    message: format!("{message} (for one JSON object per line, write jsonl:PATH)"),
                },
                _ => DatasetError::Parse {
                    path: path.to_path_buf(),
                    line: e.line() as u64,
                    column: Some(e.column().max(1) as u64),
                    message: format!("invalid JSON: {message}"),
                },
            });
        }
    };
    let mut parsed = Parsed::new();
    parsed.read = read;
    parsed.skipped = read - exchanges.len();
    for (index, prompt, answer) in exchanges {
        parsed.push(Candidate {
            prompt: Prompt::Text(prompt),
            completion: Some(answer),
            output_tokens: None,
            line: index as u64,
        });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{SHAREGPT, load_str};
    use super::super::*;

    #[test]
    fn sharegpt_takes_the_first_answered_human_turn() {
        let d = load_str("s.json", SHAREGPT).unwrap();
        assert_eq!(d.format, DatasetFormat::ShareGpt);
        assert_eq!((d.read, d.skipped, d.filtered), (6, 4, 0));
        assert_eq!(d.entries.len(), 2);
        let a = &d.entries[0];
        assert_eq!(a.prompt, Prompt::Text("what is rust".into()));
        assert_eq!((a.input_tokens, a.output_tokens, a.line), (3, Some(5), 0));
        let b = &d.entries[1];
        assert_eq!(b.prompt, Prompt::Text("one two".into()));
        assert_eq!((b.input_tokens, b.output_tokens, b.line), (2, Some(1), 3));
    }

    #[test]
    fn sharegpt_errors_give_line_column_or_entry() {
        let body = "[\n  {\"conversations\": []},\n  {\"conversations\": [}\n]";
        let e = load_str("bad.json", body).unwrap_err();
        assert!(
            matches!(
                e,
                DatasetError::Parse {
                    line: 3,
                    column: Some(_),
                    ..
                }
            ),
            "{e:?}"
        );
        let m = e.to_string();
        assert!(m.contains("bad.json line 3, column"), "{m}");

        let body = "[{\"conversations\": []},\n {\"conversations\": []},\n {\"conversations\": {\"from\": \"human\"}}]";
        let e = load_str("shape.json", body).unwrap_err();
        assert!(
            matches!(
                e,
                DatasetError::Entry {
                    index: 2,
                    line: 3,
                    ..
                }
            ),
            "{e:?}"
        );
        let m = e.to_string();
        assert!(m.contains("shape.json entry 2"), "{m}");
        assert!(m.contains("expected a sequence"), "{m}");

        let m = load_str("obj.json", "{\"prompt\": \"x\"}")
            .unwrap_err()
            .to_string();
        assert!(m.contains("obj.json line 1"), "{m}");
        assert!(m.contains("a JSON array of ShareGPT entries"), "{m}");
    }
}
