//! Deriving seeds.

/// SplitMix64: a bijective mix of a 64-bit value. Used to derive independent,
/// platform-stable seeds from `(seed, index)` pairs, e.g. `mix(seed ^ mix(index))`, so that
/// item `i` of a run depends only on the run's seed and `i`.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_values() {
        // Reference values of SplitMix64 (Vigna), first outputs for state 0.
        assert_eq!(super::mix(0), 0xE220_A839_7B1D_CDAF);
        assert_ne!(super::mix(1), super::mix(2));
    }
}
