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

/// Words in a `content` or `prompt` value: a string, an array of strings, or an array of
/// `{"type": "text", "text": ...}` parts.
pub fn value_words(v: &Value) -> u32 {
    match v {
        Value::String(s) => crate::text::count_words(s),
        Value::Array(a) => a
            .iter()
            .map(|p| match p {
                Value::Object(o) => o.get("text").map_or(0, value_words),
                other => value_words(other),
            })
            .sum(),
        _ => 0,
    }
}
