//! The words the simulator generates: one token each, with or without a leading space,
//! for the built-in encodings (a test checks), so a client counting without usage agrees.

/// The simulator's output vocabulary.
pub const WORDS: [&str; 64] = [
    "river", "water", "light", "stone", "house", "world", "place", "night", "forest", "field",
    "city", "road", "window", "door", "table", "paper", "music", "story", "people", "little",
    "great", "small", "long", "green", "blue", "white", "black", "red", "gold", "silver", "north",
    "south", "east", "west", "summer", "winter", "spring", "fire", "wind", "rain", "snow", "cloud",
    "star", "sun", "moon", "tree", "flower", "bird", "horse", "ship", "sea", "bridge", "tower",
    "castle", "king", "queen", "friend", "voice", "heart", "time", "day", "year", "lake", "hill",
];

/// Token `i` of a response, with its leading space after the first.
pub fn token(i: u32, salt: u32) -> (&'static str, &'static str) {
    let w = WORDS[((i.wrapping_mul(2_654_435_761) ^ salt) as usize) % WORDS.len()];
    (if i == 0 { "" } else { " " }, w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_core::TokenCounter;

    #[test]
    fn every_word_is_one_token_for_the_builtin_encodings() {
        for name in headroom_workload::BUILTIN {
            let t = headroom_workload::Tokenizer::builtin(name).unwrap();
            let bad: Vec<&str> = WORDS
                .iter()
                .copied()
                .filter(|w| t.count(w) != 1 || t.count(&format!(" {w}")) != 1)
                .collect();
            assert!(bad.is_empty(), "{name}: {bad:?}");
        }
    }
}
