//! Splitting a response's token total across its chunks.

/// Splits `total` tokens across chunks in proportion to `weights` (per-chunk tokenizer
/// counts), falling back to the chunks' byte lengths when the tokenizer saw nothing.
/// Largest-remainder rounding: the parts always sum to `total`.
pub fn apportion(total: u32, weights: &[u32], ends: &[usize]) -> Vec<u32> {
    let n = ends.len();
    if n == 0 {
        return Vec::new();
    }
    let mut w: Vec<f64> = if weights.len() == n && weights.iter().any(|&x| x > 0) {
        weights.iter().map(|&x| x as f64).collect()
    } else {
        let mut prev = 0;
        ends.iter()
            .map(|&e| {
                let l = e.saturating_sub(prev);
                prev = e;
                l as f64
            })
            .collect()
    };
    if w.iter().all(|&x| x == 0.0) {
        w = vec![1.0; n];
    }
    let sum: f64 = w.iter().sum();
    let exact: Vec<f64> = w.iter().map(|x| x / sum * total as f64).collect();
    let mut out: Vec<u32> = exact.iter().map(|x| x.floor() as u32).collect();
    let mut left = total - out.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let fa = exact[a] - exact[a].floor();
        let fb = exact[b] - exact[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_weights_are_kept() {
        assert_eq!(apportion(6, &[1, 2, 3], &[1, 3, 6]), vec![1, 2, 3]);
    }

    #[test]
    fn scaled_to_the_total() {
        let v = apportion(10, &[1, 1, 1], &[1, 2, 3]);
        assert_eq!(v.iter().sum::<u32>(), 10);
        assert_eq!(v, vec![4, 3, 3]);
    }

    #[test]
    fn byte_lengths_when_the_tokenizer_saw_nothing() {
        assert_eq!(apportion(4, &[0, 0], &[3, 4]), vec![3, 1]);
        assert_eq!(apportion(0, &[], &[]), Vec::<u32>::new());
    }
}
