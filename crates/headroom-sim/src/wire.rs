//! Request bodies as the simulator reads them (its own structs, not the client's).

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct ChatRequest {
    pub messages: Vec<ChatMessage>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
}

#[derive(Debug, Deserialize)]
pub struct ChatMessage {
    #[serde(default)]
    pub content: Value,
}

#[derive(Debug, Deserialize)]
pub struct CompletionRequest {
    pub prompt: Value,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
}

#[derive(Debug, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

/// The text pieces of a `content` or `prompt` value: a string, an array of strings, or an
/// array of `{"type": "text", "text": ...}` parts.
pub fn value_texts<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => {
            for p in a {
                match p {
                    Value::Object(o) => {
                        if let Some(t) = o.get("text") {
                            value_texts(t, out);
                        }
                    }
                    other => value_texts(other, out),
                }
            }
        }
        _ => {}
    }
}
