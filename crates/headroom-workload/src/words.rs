//! The built-in word tokenizer and vocabulary.

use headroom_core::TokenCounter;

/// Counts one token per maximal run of non-whitespace characters.
///
/// It is exact for text made of [`VOCABULARY`] words (the synthetic prompts and the
/// simulator's output), and an approximation for anything else.
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

/// 256 common English words, each one token for [`WordCounter`] (and, with a leading
/// space, a single token for most model tokenizers too).
pub const VOCABULARY: [&str; 256] = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "was",
    "that",
    "for",
    "on",
    "with",
    "as",
    "by",
    "at",
    "from",
    "his",
    "her",
    "they",
    "this",
    "which",
    "or",
    "had",
    "not",
    "but",
    "are",
    "were",
    "have",
    "one",
    "all",
    "their",
    "there",
    "been",
    "when",
    "who",
    "will",
    "more",
    "would",
    "into",
    "time",
    "year",
    "some",
    "other",
    "what",
    "can",
    "out",
    "about",
    "only",
    "new",
    "first",
    "then",
    "over",
    "after",
    "such",
    "also",
    "them",
    "two",
    "many",
    "people",
    "state",
    "made",
    "world",
    "these",
    "three",
    "most",
    "city",
    "may",
    "work",
    "life",
    "day",
    "part",
    "under",
    "where",
    "well",
    "between",
    "while",
    "long",
    "back",
    "through",
    "even",
    "water",
    "house",
    "small",
    "great",
    "river",
    "power",
    "light",
    "north",
    "south",
    "early",
    "music",
    "field",
    "group",
    "order",
    "place",
    "number",
    "school",
    "system",
    "family",
    "during",
    "against",
    "before",
    "around",
    "public",
    "second",
    "history",
    "found",
    "called",
    "church",
    "region",
    "became",
    "without",
    "several",
    "country",
    "company",
    "general",
    "member",
    "island",
    "season",
    "market",
    "course",
    "common",
    "series",
    "moved",
    "energy",
    "nature",
    "garden",
    "valley",
    "winter",
    "summer",
    "spring",
    "autumn",
    "forest",
    "stone",
    "bridge",
    "harbor",
    "village",
    "castle",
    "letter",
    "paper",
    "story",
    "writer",
    "theory",
    "method",
    "result",
    "signal",
    "engine",
    "memory",
    "center",
    "simple",
    "figure",
    "answer",
    "reason",
    "change",
    "height",
    "weight",
    "circle",
    "square",
    "planet",
    "animal",
    "flower",
    "silver",
    "golden",
    "purple",
    "yellow",
    "orange",
    "window",
    "mirror",
    "candle",
    "pencil",
    "button",
    "ticket",
    "travel",
    "voyage",
    "border",
    "coast",
    "desert",
    "ocean",
    "cloud",
    "storm",
    "thunder",
    "quiet",
    "gentle",
    "bright",
    "narrow",
    "ancient",
    "modern",
    "future",
    "morning",
    "evening",
    "night",
    "journey",
    "lesson",
    "teacher",
    "student",
    "doctor",
    "farmer",
    "sailor",
    "driver",
    "singer",
    "painter",
    "builder",
    "reader",
    "player",
    "keeper",
    "hunter",
    "baker",
    "miller",
    "weaver",
    "carpenter",
    "tailor",
    "merchant",
    "soldier",
    "captain",
    "council",
    "palace",
    "temple",
    "tower",
    "station",
    "railway",
    "highway",
    "factory",
    "machine",
    "network",
    "channel",
    "process",
    "control",
    "measure",
    "balance",
    "pattern",
    "surface",
    "volume",
    "pressure",
    "current",
    "voltage",
    "crystal",
    "mineral",
    "protein",
    "element",
    "compound",
    "solution",
    "question",
    "problem",
    "example",
    "evidence",
    "argument",
    "language",
    "grammar",
    "meaning",
    "sentence",
    "chapter",
    "library",
    "museum",
    "gallery",
    "harvest",
    "meadow",
    "canyon",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words() {
        assert_eq!(WordCounter.count(""), 0);
        assert_eq!(WordCounter.count("  the  river\nflows\t"), 3);
        assert!(VOCABULARY.iter().all(|w| WordCounter.count(w) == 1));
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
