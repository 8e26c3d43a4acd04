//! Bounded subset sum for rule 5 (many-to-many within a window).
//!
//! Meet in the middle over at most [`MAX_ITEMS`] amounts in sen: each half enumerates its
//! 2^(n/2) partial sums, one half is sorted and the other probes it. Work is counted in steps
//! and stops at the caller's cap, so the search never blows up. A result is only accepted when
//! every solution found uses the same multiset of amounts: two different ways to make the same
//! total are ambiguous and joined by nobody.

/// Largest number of amounts one search takes (2^12 sums per half).
pub const MAX_ITEMS: usize = 24;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubsetResult {
    /// Indices (ascending) of the one subset (up to equal amounts) that sums to the target.
    Found(Vec<usize>),
    NotFound,
    Ambiguous,
    /// The step cap was reached before the search finished.
    Exhausted,
}

/// Searches `amounts` (sen, each > 0) for a subset of `min_size..=max_size` items summing to
/// `target`. Returns the result and the steps spent.
pub fn unique_subset(
    amounts: &[i64],
    target: i64,
    min_size: usize,
    max_size: usize,
    max_steps: u64,
) -> (SubsetResult, u64) {
    let n = amounts.len().min(MAX_ITEMS);
    let amounts = &amounts[..n];
    if target <= 0
        || n == 0
        || max_size == 0
        || min_size > max_size
        || amounts.iter().any(|&a| a <= 0)
    {
        return (SubsetResult::NotFound, 0);
    }
    let half = n / 2;
    let (left, right) = amounts.split_at(half);
    let mut steps: u64 = 0;
    let left_sums = partial_sums(left, target, max_size, &mut steps);
    let mut right_sums = partial_sums(right, target, max_size, &mut steps);
    if steps > max_steps {
        return (SubsetResult::Exhausted, steps);
    }
    right_sums.sort_unstable();
    let mut found: Option<(u32, u32)> = None;
    let mut found_key: Option<Vec<i64>> = None;
    for &(sum_l, mask_l, size_l) in &left_sums {
        steps += 1;
        if steps > max_steps {
            return (SubsetResult::Exhausted, steps);
        }
        let need = target - sum_l;
        let start = right_sums.partition_point(|&(s, _, _)| s < need);
        for &(sum_r, mask_r, size_r) in &right_sums[start..] {
            if sum_r != need {
                break;
            }
            steps += 1;
            if steps > max_steps {
                return (SubsetResult::Exhausted, steps);
            }
            let size = size_l as usize + size_r as usize;
            if size < min_size || size > max_size {
                continue;
            }
            let key = multiset(amounts, half, mask_l, mask_r);
            match &found_key {
                None => {
                    found = Some((mask_l, mask_r));
                    found_key = Some(key);
                }
                Some(k) if *k == key => {}
                Some(_) => return (SubsetResult::Ambiguous, steps),
            }
        }
    }
    match found {
        Some((ml, mr)) => (SubsetResult::Found(indices(half, ml, mr)), steps),
        None => (SubsetResult::NotFound, steps),
    }
}

/// (sum, mask, size) of every subset of `items` whose sum does not exceed `target` and whose
/// size does not exceed `max_size`.
fn partial_sums(
    items: &[i64],
    target: i64,
    max_size: usize,
    steps: &mut u64,
) -> Vec<(i64, u32, u8)> {
    let mut out: Vec<(i64, u32, u8)> = vec![(0, 0, 0)];
    for (i, &a) in items.iter().enumerate() {
        let existing = out.len();
        for j in 0..existing {
            let (s, m, k) = out[j];
            *steps += 1;
            if (k as usize) < max_size {
                if let Some(ns) = s.checked_add(a) {
                    if ns <= target {
                        out.push((ns, m | (1 << i), k + 1));
                    }
                }
            }
        }
    }
    out
}

fn indices(half: usize, mask_l: u32, mask_r: u32) -> Vec<usize> {
    let mut out = Vec::new();
    for i in 0..32usize {
        if mask_l & (1 << i) != 0 {
            out.push(i);
        }
    }
    for i in 0..32usize {
        if mask_r & (1 << i) != 0 {
            out.push(half + i);
        }
    }
    out
}

fn multiset(amounts: &[i64], half: usize, mask_l: u32, mask_r: u32) -> Vec<i64> {
    let mut v: Vec<i64> = indices(half, mask_l, mask_r)
        .into_iter()
        .filter_map(|i| amounts.get(i).copied())
        .collect();
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_unique_subset() {
        let (r, _) = unique_subset(&[500, 1300, 3300, 700, 9100], 4500, 1, 8, 1_000_000);
        assert_eq!(r, SubsetResult::Found(vec![0, 2, 3]));
    }

    #[test]
    fn equal_amounts_are_not_ambiguous_but_different_ways_are() {
        let (r, _) = unique_subset(&[1000, 1000, 3000], 4000, 1, 8, 1_000_000);
        assert!(matches!(r, SubsetResult::Found(ref v) if v.len() == 2));
        let (r, _) = unique_subset(&[1000, 3000, 4000, 2000, 2000], 4000, 1, 8, 1_000_000);
        assert_eq!(r, SubsetResult::Ambiguous);
    }

    #[test]
    fn respects_sizes_and_caps() {
        let (r, _) = unique_subset(&[100, 200, 300], 600, 1, 2, 1_000_000);
        assert_eq!(r, SubsetResult::NotFound);
        let many: Vec<i64> = (1..=24).collect();
        let (r, steps) = unique_subset(&many, 150, 1, 24, 50);
        assert_eq!(r, SubsetResult::Exhausted);
        assert!(steps > 50);
        assert_eq!(
            unique_subset(&[5, -1], 4, 1, 2, 100).0,
            SubsetResult::NotFound
        );
    }
}
