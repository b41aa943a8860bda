//! A whitespace word counter, for tests.

use headroom_core::TokenCounter;

/// Counts one token per maximal run of non-whitespace characters.
///
/// A test tokenizer (`--tokenizer words` is not offered to users): exact for text of
/// plain words, an approximation for anything else.
#[derive(Debug, Clone, Copy, Default)]
pub struct WordCounter;

impl WordCounter {
    /// The name recorded in manifests.
    pub const NAME: &'static str = "words";
}

impl TokenCounter for WordCounter {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn count(&self, text: &str) -> u32 {
        text.split_whitespace().count() as u32
    }

    /// A word belongs to the segment holding its last byte: it is complete only once
    /// that byte has arrived.
    fn count_segments(&self, text: &str, ends: &[usize], out: &mut Vec<u32>) {
        out.clear();
        out.resize(ends.len(), 0);
        let bytes = text.as_bytes();
        let mut seg = 0;
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i].is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            // Non-ASCII whitespace is rare in generated text; `split_whitespace` in
            // `count` is the reference, so re-split this run the same way.
            let pieces = text[start..i].split_whitespace().count() as u32;
            let last = i - 1;
            while seg + 1 < ends.len() && ends[seg] <= last {
                seg += 1;
            }
            if let Some(o) = out.get_mut(seg) {
                *o += pieces;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words() {
        assert_eq!(WordCounter.count(""), 0);
        assert_eq!(WordCounter.count("  the  river\nflows\t"), 3);
    }

    #[test]
    fn a_split_word_counts_where_it_ends() {
        let text = " the riv er flows";
        //            0123456789...
        let mut out = Vec::new();
        // Chunks: " the" | " ri" | "v er" | " flows"
        WordCounter.count_segments(text, &[4, 7, 11, text.len()], &mut out);
        assert_eq!(out, vec![1, 0, 2, 1]);
        assert_eq!(out.iter().sum::<u32>(), WordCounter.count(text));
    }
}
