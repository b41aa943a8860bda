//! Number formatting for people.

/// `1234567.891` → `1,234,567.89` (two decimals, thousands separators).
pub fn fmt_num(value: f64) -> String {
    fmt_thousands(value, 2)
}

/// Formats with `decimals` places and thousands separators.
pub fn fmt_thousands(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "N/A".into();
    }
    let s = format!("{:.*}", decimals, value.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let mut out = String::with_capacity(s.len() + int.len() / 3 + 1);
    if value < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// A number for a CSV cell: at most four decimals, trailing zeros dropped, no thousands
/// separators (`10.556000000000001` → `10.556`, `188.42371783548253` → `188.4237`,
/// `96.0` → `96`). Four decimals keep a tenth of a microsecond in milliseconds, finer than
/// any clock headroom reads.
pub fn csv_num(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    let s = format!("{value:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    match s {
        "-0" | "" => "0".into(),
        s => s.into(),
    }
}

/// `n` things, in the singular when there is one: `count(1, "level", "levels")` →
/// `1 level`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_numbers_are_short_and_exact_enough() {
        assert_eq!(csv_num(10.556000000000001), "10.556");
        assert_eq!(csv_num(188.42371783548253), "188.4237");
        assert_eq!(csv_num(133.90404999999998), "133.904");
        assert_eq!(csv_num(96.0), "96");
        assert_eq!(csv_num(0.0), "0");
        assert_eq!(csv_num(-0.00001), "0");
        assert_eq!(csv_num(-2.5), "-2.5");
        assert_eq!(csv_num(1_234_567.0), "1234567");
        assert_eq!(csv_num(f64::NAN), "");
    }

    #[test]
    fn counts_say_one_in_the_singular() {
        assert_eq!(count(1, "level", "levels"), "1 level");
        assert_eq!(count(0, "run", "runs"), "0 runs");
        assert_eq!(count(3, "run", "runs"), "3 runs");
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(fmt_num(5043.375), "5,043.38");
        assert_eq!(fmt_num(0.0), "0.00");
        assert_eq!(fmt_num(-1234.5), "-1,234.50");
        assert_eq!(fmt_thousands(1_000_000.0, 0), "1,000,000");
        assert_eq!(fmt_num(f64::NAN), "N/A");
        assert_eq!(fmt_num(-0.001), "0.00");
    }
}
