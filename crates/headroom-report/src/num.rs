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

#[cfg(test)]
mod tests {
    use super::*;

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
