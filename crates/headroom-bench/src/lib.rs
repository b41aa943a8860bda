//! Fixtures for headroom's benchmarks: realistic SSE streams and request records.
//!
//! `cargo bench -p headroom-bench` runs the criterion benches of the hot paths (SSE
//! decoding, chunk parsing, recording, journaling, summary statistics);
//! `crates/headroom-bench/selfbench.sh` runs the end-to-end self-benchmark against the
//! simulator (see the README's "Performance").
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use headroom_core::{RequestRecord, TokenSource};

/// A vLLM-shaped chat stream: a role chunk, `tokens` content chunks, a usage chunk and
/// `[DONE]`, as the bytes a server sends.
pub fn chat_stream(tokens: usize) -> Vec<u8> {
    let mut s = String::new();
    let head = r#"data: {"id":"chatcmpl-8f1e2b7c","object":"chat.completion.chunk","created":1763800000,"model":"Qwen/Qwen3-8B-AWQ","choices":[{"index":0,"delta":"#;
    s.push_str(head);
    s.push_str(r#"{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#);
    s.push_str("\n\n");
    let words = [
        "the",
        " river",
        " and",
        " valley",
        " caf\\u00e9",
        " of",
        " stone",
        ",",
    ];
    for i in 0..tokens {
        s.push_str(head);
        s.push_str(&format!(
            r#"{{"content":"{}"}},"logprobs":null,"finish_reason":{}}}]}}"#,
            words[i % words.len()],
            if i + 1 == tokens {
                "\"length\""
            } else {
                "null"
            }
        ));
        s.push_str("\n\n");
    }
    s.push_str(&format!(
        r#"data: {{"id":"chatcmpl-8f1e2b7c","object":"chat.completion.chunk","created":1763800000,"model":"Qwen/Qwen3-8B-AWQ","choices":[],"usage":{{"prompt_tokens":200,"completion_tokens":{tokens},"total_tokens":{}}}}}"#,
        200 + tokens
    ));
    s.push_str("\n\ndata: [DONE]\n\n");
    s.into_bytes()
}

/// A completed measured record with `chunks` content chunks 10 ms apart.
pub fn record(index: u64, chunks: usize) -> RequestRecord {
    let ttft = 40_000 + (index % 97) * 211;
    headroom_testkit::record(index)
        .intended_us(index * 2_000)
        .sent_at(index * 2_000 + 37)
        .e2e_us(ttft + chunks as u64 * 10_000)
        .content_us(
            (0..chunks as u64)
                .map(|k| ttft + k * 10_000 + (k * 7919 % 500))
                .collect(),
        )
        .input_tokens(200)
        .input_source(TokenSource::Usage)
        .output_tokens(chunks as u32)
        .finish_reason("length")
        .build()
}
