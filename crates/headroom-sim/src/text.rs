//! The words the simulator generates: one token each.

/// The simulator's output vocabulary.
pub const WORDS: [&str; 64] = [
    "alpha", "bravo", "cedar", "delta", "ember", "fjord", "glade", "harbor", "inlet", "juniper",
    "kestrel", "lagoon", "meadow", "nectar", "orchid", "prairie", "quartz", "ridge", "summit",
    "tundra", "upland", "valley", "willow", "xenon", "yarrow", "zephyr", "amber", "basalt",
    "canyon", "dune", "estuary", "fern", "granite", "heath", "iris", "jasper", "knoll", "lichen",
    "marsh", "nimbus", "oasis", "pebble", "quill", "river", "sorrel", "thistle", "umber", "vesper",
    "wren", "yew", "azure", "birch", "coral", "dawn", "elm", "frost", "grove", "hazel", "ivy",
    "jade", "kelp", "lark", "moss", "north",
];

/// Token `i` of a response, with its leading space after the first.
pub fn token(i: u32, salt: u32) -> (&'static str, &'static str) {
    let w = WORDS[((i.wrapping_mul(2_654_435_761) ^ salt) as usize) % WORDS.len()];
    (if i == 0 { "" } else { " " }, w)
}
