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
    /// What the prompt is made of, for prefix caching: the prompt's tokens are these
    /// segments in order, and two segments with the same key hold the same text (the
    /// shorter one a prefix of the longer). Empty when the prompt shares nothing with any
    /// other request. The simulator builds its cache-block hashes from this.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
    /// Labels the record keeps for the report (prefix group, session and turn).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

impl RequestSpec {
    /// A request with no shared content and no tags.
    pub fn new(prompt: Prompt, input_tokens: u32, max_tokens: u32) -> Self {
        RequestSpec {
            prompt,
            input_tokens,
            max_tokens,
            segments: Vec::new(),
            tags: Tags::default(),
        }
    }
}

/// A run of prompt tokens whose text is a pure function of `key` (see
/// [`RequestSpec::segments`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Segment {
    /// Content identity: equal keys, equal text.
    pub key: u64,
    /// Tokens in this segment.
    pub tokens: u32,
}

/// What a request belongs to, carried from the workload into its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Tags {
    /// Shared-prefix group (`--prefix-groups`, a trace's prefix id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_group: Option<u32>,
    /// Tokens of the shared prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_tokens: Option<u32>,
    /// Conversation (session) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<u64>,
    /// Turn within the conversation, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn: Option<u32>,
}

impl Tags {
    /// `true` when no label is set.
    pub fn is_empty(&self) -> bool {
        *self == Tags::default()
    }
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
