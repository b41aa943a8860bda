//! What to send.

use serde::{Deserialize, Serialize};

/// One request as the workload made it, before any API flavour is applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestSpec {
    /// The prompt.
    pub prompt: Prompt,
    /// Prompt length in tokens by the workload's tokenizer (the server may count more
    /// when it applies a chat template; the record keeps the server's count when given).
    pub input_tokens: u32,
    /// Output tokens asked for (`max_tokens`).
    pub max_tokens: u32,
}

/// A prompt: plain text or chat messages. The client converts between the two to fit the
/// chosen API flavour (text becomes one user message; messages are joined for
/// `/v1/completions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// Raw text.
    Text(String),
    /// A conversation.
    Chat(Vec<Message>),
}

impl Prompt {
    /// The prompt as one string (messages joined by newlines).
    pub fn to_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Prompt::Text(t) => t.as_str().into(),
            Prompt::Chat(m) => m
                .iter()
                .map(|m| m.content.as_str())
                .collect::<Vec<_>>()
                .join("\n")
                .into(),
        }
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}
