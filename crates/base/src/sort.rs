//! One stable sort for the whole crate. `slice::sort_by` is instantiated anew for every
//! element type and comparator (each copy several KB of .wasm); here the work — a bottom-up
//! merge sort of positions, O(n log n) comparisons, O(n) extra memory — is compiled once
//! behind `dyn` callbacks, and each caller adds only two tiny closures.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp` (equal elements keep their order), like `slice::sort_by`.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let mut order = sorted_positions(v.len(), &mut |i, j| match (v.get(i), v.get(j)) {
        (Some(a), Some(b)) => cmp(a, b),
        _ => Ordering::Equal,
    });
    if let Some(order) = order.as_mut() {
        permute(order, &mut |i, j| {
            if i.max(j) < v.len() {
                v.swap(i, j);
            }
        });
    }
}

/// Sorts `v` stably by the key `key` gives each element, like `slice::sort_by_key`.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Where each element of a sorted `0..n` comes from (`cmp` compares two positions), or
/// `None` when the elements are already in order.
#[inline(never)]
fn sorted_positions(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Option<Vec<usize>> {
    if (1..n).all(|i| cmp(i - 1, i) != Ordering::Greater) {
        return None;
    }
    let mut from: Vec<usize> = (0..n).collect();
    let mut to: Vec<usize> = vec![0; n];
    let mut width = 1;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = n.min(lo + width);
            let hi = n.min(mid + width);
            merge(&from[lo..mid], &from[mid..hi], &mut to[lo..hi], cmp);
            lo = hi;
        }
        std::mem::swap(&mut from, &mut to);
        width = width.saturating_mul(2);
    }
    Some(from)
}

/// Merges the sorted runs `left` and `right` into `out` (their total length), left first
/// among equals.
fn merge(left: &[usize], right: &[usize], out: &mut [usize], cmp: &mut dyn FnMut(usize, usize) -> Ordering) {
    let (mut l, mut r) = (left.iter().peekable(), right.iter().peekable());
    for slot in out {
        let take_left = match (l.peek(), r.peek()) {
            (Some(&&a), Some(&&b)) => cmp(a, b) != Ordering::Greater,
            (Some(_), None) => true,
            _ => false,
        };
        let next = if take_left { l.next() } else { r.next() };
        *slot = next.copied().unwrap_or(0);
    }
}

/// Rearranges elements so that position `i` holds what was at `order[i]`, by following
/// the permutation's cycles with `swap`; `order` is used up (left as the identity).
#[inline(never)]
fn permute(order: &mut [usize], swap: &mut dyn FnMut(usize, usize)) {
    for start in 0..order.len() {
        let mut j = start;
        loop {
            let k = std::mem::replace(&mut order[j], j);
            if k == start || k >= order.len() {
                break;
            }
            swap(j, k);
            j = k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so the cases are reproducible.
    fn numbers(seed: u64, n: usize, modulo: u64) -> Vec<u64> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % modulo
            })
            .collect()
    }

    #[test]
    fn matches_the_standard_stable_sort() {
        for n in [0, 1, 2, 3, 5, 8, 17, 64, 100, 1000] {
            for modulo in [1, 3, 50, u64::MAX] {
                // Pairs (key, original position): stability shows in the positions.
                let v: Vec<(u64, usize)> =
                    numbers((n as u64).wrapping_mul(31).wrapping_add(modulo), n, modulo).into_iter().zip(0..).collect();
                let mut ours = v.clone();
                sort_by_key(&mut ours, |p| p.0);
                let mut std = v.clone();
                std.sort_by_key(|p| p.0);
                assert_eq!(ours, std, "n = {n}, modulo = {modulo}");
            }
        }
    }

    #[test]
    fn sorts_sorted_reversed_and_owned_elements() {
        let mut v: Vec<String> = (0..300).map(|i| format!("{:03}", 299 - i)).collect();
        sort_by(&mut v, |a, b| a.cmp(b));
        assert!(v.windows(2).all(|w| w[0] < w[1]));
        let before = v.clone();
        sort_by(&mut v, |a, b| a.cmp(b));
        assert_eq!(v, before);
        sort_by(&mut v, |a, b| b.cmp(a));
        assert_eq!(v.first().map(String::as_str), Some("299"));
        assert_eq!(v.len(), 300);
    }
}
