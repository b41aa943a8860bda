//! JSONL: one object per line with a prompt or messages (see
//! [`super::DatasetFormat::Jsonl`]).

use super::{Candidate, DatasetError, Parsed, json_message};
use headroom_core::{Message, Prompt};
use serde_json::Value;
use std::io::BufRead;
use std::path::Path;

const JSONL_EXPECTED: &str =
    r#"expected a "prompt" string or a "messages" array (or genai-perf's "text" string)"#;

pub(super) fn parse(reader: impl BufRead, path: &Path) -> Result<Parsed<'static>, DatasetError> {
    let mut parsed = Parsed::new();
    for (i, line) in reader.lines().enumerate() {
        let line_no = i as u64 + 1;
        let at = |column: Option<u64>, message: String| DatasetError::Parse {
            path: path.to_path_buf(),
            line: line_no,
            column,
            message,
        };
        let text = line.map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidData {
                at(None, "not valid UTF-8 text".to_string())
            } else {
                DatasetError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
        if text.trim().is_empty() {
            continue;
        }
        parsed.read += 1;
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            at(
                Some(e.column().max(1) as u64),
                format!("invalid JSON: {}", json_message(&e)),
            )
        })?;
        let (prompt, output_tokens) = jsonl_entry(&value).map_err(|m| at(None, m))?;
        parsed.push(Candidate {
            prompt,
            completion: None,
            output_tokens,
            line: line_no,
        });
    }
    Ok(parsed)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The prompt and output length of one JSONL object.
fn jsonl_entry(v: &Value) -> Result<(Prompt, Option<u32>), String> {
    let Some(obj) = v.as_object() else {
        return Err(format!(
            "{JSONL_EXPECTED} in a JSON object, found {}",
            json_kind(v)
        ));
    };
    let prompt = if let Some(Value::String(s)) = obj.get("prompt") {
        Prompt::Text(s.clone())
    } else if let Some(Value::String(s)) = obj.get("text") {
        Prompt::Text(s.clone())
    } else if let Some(Value::Array(ms)) = obj.get("messages") {
        let messages = ms
            .iter()
            .enumerate()
            .map(|(k, m)| chat_message(m).ok_or_else(|| {
                format!(
                    r#"message {k} of "messages": expected an object with "role" and "content" strings"#
                )
            }))
            .collect::<Result<Vec<_>, _>>()?;
        Prompt::Chat(messages)
    } else {
        let found = ["prompt", "text", "messages"]
            .iter()
            .find_map(|k| {
                obj.get(*k)
                    .map(|v| format!(" (\"{k}\" is {})", json_kind(v)))
            })
            .unwrap_or_default();
        return Err(format!("{JSONL_EXPECTED}{found}"));
    };
    let output = match (obj.get("output_tokens"), obj.get("max_tokens")) {
        (Some(v), _) if !v.is_null() => Some(("output_tokens", v)),
        (_, Some(v)) if !v.is_null() => Some(("max_tokens", v)),
        _ => None,
    };
    let output_tokens = match output {
        None => None,
        Some((name, v)) => Some(
            v.as_u64()
                .filter(|&n| n >= 1)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("\"{name}\" must be a positive whole number, found {v}"))?,
        ),
    };
    Ok((prompt, output_tokens))
}

/// `{"role": ..., "content": ...}`; content may also be OpenAI-style parts, whose text
/// parts are joined.
fn chat_message(m: &Value) -> Option<Message> {
    let role = m.get("role")?.as_str()?.to_string();
    let content = match m.get("content")? {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => return None,
    };
    Some(Message { role, content })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{load_str, text};
    use super::super::*;
    use headroom_core::Message;

    #[test]
    fn jsonl_reads_prompt_text_and_messages() {
        let body = concat!(
            r#"{"prompt": "a b c", "output_tokens": 12}"#,
            "\n\n",
            r#"{"text": "genai perf input", "max_tokens": 5, "other": 1}"#,
            "\r\n",
            r#"{"messages": [{"role": "system", "content": "be kind"}, {"role": "user", "content": "hi there you"}]}"#,
            "\n",
            r#"{"prompt": "", "output_tokens": 3}"#,
            "\n",
            r#"{"prompt": "x", "output_tokens": null}"#,
            "\n   \n",
        );
        let d = load_str("p.jsonl", body).unwrap();
        assert_eq!((d.read, d.skipped, d.filtered), (5, 1, 0));
        let e = &d.entries;
        assert_eq!(e.len(), 4);
        assert_eq!((text(&e[0].prompt), e[0].input_tokens), ("a b c", 3));
        assert_eq!((e[0].output_tokens, e[0].line), (Some(12), 1));
        assert_eq!(
            (text(&e[1].prompt), e[1].input_tokens),
            ("genai perf input", 3)
        );
        assert_eq!((e[1].output_tokens, e[1].line), (Some(5), 3));
        assert_eq!(
            e[2].prompt,
            Prompt::Chat(vec![
                Message {
                    role: "system".into(),
                    content: "be kind".into()
                },
                Message {
                    role: "user".into(),
                    content: "hi there you".into()
                },
            ])
        );
        assert_eq!(
            (e[2].input_tokens, e[2].output_tokens, e[2].line),
            (5, None, 4)
        );
        assert_eq!((e[3].output_tokens, e[3].line), (None, 6));
    }

    #[test]
    fn jsonl_errors_name_the_line() {
        let body = "{\"prompt\": \"a\"}\n\n{\"prompt\": \"b\",,}\n";
        let e = load_str("bad.jsonl", body).unwrap_err();
        let m = e.to_string();
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
        assert!(m.contains("bad.jsonl line 3, column"), "{m}");
        assert!(m.contains("invalid JSON"), "{m}");

        let body = "{\"prompt\": \"a\"}\n{\"question\": \"b\"}\n";
        let m = load_str("prompts.jsonl", body).unwrap_err().to_string();
        assert!(
            m.contains(r#"prompts.jsonl line 2: expected a "prompt" string or a "messages" array"#),
            "{m}"
        );

        let m = load_str("p.jsonl", "{\"prompt\": 5}\n")
            .unwrap_err()
            .to_string();
        assert!(m.contains(r#"("prompt" is a number)"#), "{m}");
        let m = load_str("p.jsonl", "[1]\n").unwrap_err().to_string();
        assert!(m.contains("found an array"), "{m}");
        let m = load_str("p.jsonl", "{\"prompt\": \"a\", \"output_tokens\": -2}\n")
            .unwrap_err()
            .to_string();
        assert!(m.contains("p.jsonl line 1:"), "{m}");
        assert!(
            m.contains("\"output_tokens\" must be a positive whole number"),
            "{m}"
        );
        let m = load_str("p.jsonl", "{\"messages\": [{\"role\": \"user\"}]}\n")
            .unwrap_err()
            .to_string();
        assert!(m.contains("message 0"), "{m}");
    }
}
