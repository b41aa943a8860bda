//! The parts of OpenAI-compatible responses headroom reads.
//!
//! Parsing borrows from the event buffer where it can and tolerates every valid variant
//! seen in the wild: `delta: null`, `choices: []` with a usage-only chunk, `content: null`
//! beside `reasoning_content`, tool-call deltas, and errors sent as `data: {"error": ...}`
//! or `{"object": "error", ...}` inside a 200 stream.

use serde::Deserialize;
use serde::de::{IgnoredAny, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Token usage as servers report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub struct Usage {
    /// Prompt tokens (after any chat template).
    #[serde(default)]
    pub prompt_tokens: Option<u32>,
    /// Generated tokens.
    #[serde(default)]
    pub completion_tokens: Option<u32>,
}

/// One streamed chunk (or a whole non-streamed response), reduced to what is measured.
#[derive(Debug, Default, Deserialize)]
pub struct Chunk<'a> {
    /// The first choice's payload.
    #[serde(default, borrow)]
    pub choices: FirstChoice<'a>,
    /// Usage, when the server includes it.
    #[serde(default)]
    pub usage: Option<Usage>,
    /// An error object (OpenAI style `{"error": {...}}`).
    #[serde(default, borrow)]
    pub error: Option<ErrorBody<'a>>,
    /// `"error"` in vLLM's older error shape.
    #[serde(default, borrow)]
    pub object: Option<Cow<'a, str>>,
    /// Message of vLLM's older error shape.
    #[serde(default, borrow)]
    pub message: Option<Cow<'a, str>>,
}

impl Chunk<'_> {
    /// The server's error message, if this chunk is an error.
    pub fn error_message(&self) -> Option<String> {
        if let Some(e) = &self.error {
            return Some(e.message());
        }
        if self.object.as_deref() == Some("error") {
            return Some(
                self.message
                    .as_deref()
                    .unwrap_or("error object without a message")
                    .to_string(),
            );
        }
        None
    }
}

/// An error body: an object with a message, or a bare string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ErrorBody<'a> {
    /// `{"message": "...", ...}`
    Object {
        /// The message.
        #[serde(default, borrow)]
        message: Option<Cow<'a, str>>,
    },
    /// `"..."`
    Text(#[serde(borrow)] Cow<'a, str>),
}

impl ErrorBody<'_> {
    fn message(&self) -> String {
        match self {
            ErrorBody::Object { message } => message
                .as_deref()
                .unwrap_or("error object without a message")
                .to_string(),
            ErrorBody::Text(t) => t.to_string(),
        }
    }
}

/// The first element of `choices` (n = 1 is always requested; others are ignored).
#[derive(Debug, Default)]
pub struct FirstChoice<'a>(pub Option<Choice<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for FirstChoice<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = FirstChoice<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of choices or null")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(FirstChoice(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(FirstChoice(None))
            }
            fn visit_some<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                d.deserialize_seq(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let first = seq.next_element::<Choice<'a>>()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(FirstChoice(first))
            }
        }
        d.deserialize_option(V(std::marker::PhantomData))
    }
}

/// One choice of a chat or completions chunk.
#[derive(Debug, Default, Deserialize)]
pub struct Choice<'a> {
    /// Chat streaming payload (`null` is allowed).
    #[serde(default, borrow)]
    pub delta: Option<Delta<'a>>,
    /// Chat non-streamed payload.
    #[serde(default, borrow)]
    pub message: Option<Delta<'a>>,
    /// Completions payload.
    #[serde(default, borrow)]
    pub text: Option<Cow<'a, str>>,
    /// Why generation stopped.
    #[serde(default, borrow)]
    pub finish_reason: Option<Cow<'a, str>>,
}

/// Generated content of a chat delta or message.
#[derive(Debug, Default, Deserialize)]
pub struct Delta<'a> {
    /// Text.
    #[serde(default, borrow)]
    pub content: Option<Cow<'a, str>>,
    /// Reasoning text (vLLM, DeepSeek).
    #[serde(default, borrow)]
    pub reasoning_content: Option<Cow<'a, str>>,
    /// Reasoning text (newer vLLM, OpenRouter).
    #[serde(default, borrow)]
    pub reasoning: Option<Cow<'a, str>>,
    /// A refusal is generated text too.
    #[serde(default, borrow)]
    pub refusal: Option<Cow<'a, str>>,
    /// Tool-call deltas.
    #[serde(default, borrow)]
    pub tool_calls: Option<Vec<ToolCall<'a>>>,
}

/// A tool-call delta.
#[derive(Debug, Default, Deserialize)]
pub struct ToolCall<'a> {
    /// The function being called.
    #[serde(default, borrow)]
    pub function: Option<Function<'a>>,
}

/// A function call's generated parts.
#[derive(Debug, Default, Deserialize)]
pub struct Function<'a> {
    /// Function name.
    #[serde(default, borrow)]
    pub name: Option<Cow<'a, str>>,
    /// JSON arguments (streamed in pieces).
    #[serde(default, borrow)]
    pub arguments: Option<Cow<'a, str>>,
}

impl Choice<'_> {
    /// Appends this choice's generated text to `out` and says whether it carried any
    /// generated content at all (a tool call with empty arguments still counts).
    pub fn append_content(&self, out: &mut String) -> bool {
        let mut any = false;
        let mut add = |s: &Option<Cow<'_, str>>| {
            if let Some(s) = s.as_deref().filter(|s| !s.is_empty()) {
                out.push_str(s);
                true
            } else {
                false
            }
        };
        any |= add(&self.text);
        for d in [&self.delta, &self.message].into_iter().flatten() {
            any |= add(&d.reasoning_content);
            any |= add(&d.reasoning);
            any |= add(&d.content);
            any |= add(&d.refusal);
            if let Some(calls) = &d.tool_calls {
                for c in calls {
                    if let Some(f) = &c.function {
                        any |= add(&f.name);
                        any |= add(&f.arguments);
                    }
                }
                any |= !calls.is_empty();
            }
        }
        any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(json: &str) -> (bool, String) {
        let c: Chunk<'_> = serde_json::from_str(json).unwrap();
        let mut s = String::new();
        let any = c
            .choices
            .0
            .map(|ch| ch.append_content(&mut s))
            .unwrap_or(false);
        (any, s)
    }

    #[test]
    fn role_only_and_empty_chunks_carry_no_content() {
        assert_eq!(
            content(r#"{"choices":[{"delta":{"role":"assistant"}}]}"#),
            (false, "".into())
        );
        assert_eq!(
            content(r#"{"choices":[{"delta":{"role":"assistant","content":""}}]}"#),
            (false, "".into())
        );
        assert_eq!(
            content(r#"{"choices":[{"delta":null,"finish_reason":"stop"}]}"#),
            (false, "".into())
        );
        assert_eq!(
            content(r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#),
            (false, "".into())
        );
        assert_eq!(content(r#"{"choices":null}"#), (false, "".into()));
    }

    #[test]
    fn reasoning_tool_calls_and_completions_text_are_content() {
        assert_eq!(
            content(r#"{"choices":[{"delta":{"content":null,"reasoning_content":"hmm"}}]}"#),
            (true, "hmm".into())
        );
        assert_eq!(
            content(r#"{"choices":[{"delta":{"reasoning":"so"}}]}"#),
            (true, "so".into())
        );
        assert_eq!(
            content(
                r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\""}}]}}]}"#
            ),
            (true, "{\"a\"".into())
        );
        assert_eq!(
            content(r#"{"choices":[{"text":" hi","index":0}]}"#),
            (true, " hi".into())
        );
        assert_eq!(
            content(
                r#"{"choices":[{"delta":{"content":"caf\u00e9"}},{"delta":{"content":"ignored"}}]}"#
            ),
            (true, "café".into())
        );
    }

    #[test]
    fn errors_in_both_shapes() {
        let c: Chunk<'_> =
            serde_json::from_str(r#"{"error":{"message":"overloaded","code":503}}"#).unwrap();
        assert_eq!(c.error_message().as_deref(), Some("overloaded"));
        let c: Chunk<'_> =
            serde_json::from_str(r#"{"object":"error","message":"bad","code":400}"#).unwrap();
        assert_eq!(c.error_message().as_deref(), Some("bad"));
        let c: Chunk<'_> = serde_json::from_str(r#"{"error":"plain"}"#).unwrap();
        assert_eq!(c.error_message().as_deref(), Some("plain"));
        let c: Chunk<'_> =
            serde_json::from_str(r#"{"object":"chat.completion.chunk","choices":[]}"#).unwrap();
        assert_eq!(c.error_message(), None);
    }

    #[test]
    fn usage_is_read() {
        let c: Chunk<'_> = serde_json::from_str(
            r#"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46,"completion_tokens_details":null}}"#,
        )
        .unwrap();
        assert_eq!(
            c.usage,
            Some(Usage {
                prompt_tokens: Some(12),
                completion_tokens: Some(34)
            })
        );
    }
}
