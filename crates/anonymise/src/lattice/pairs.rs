//! A table's combinations as (key, count) pairs: 24 bytes each, sorted by key, merged and
//! summed in place.

use super::Key;
use rayon::prelude::*;

/// A key as two halves, high first: `(Half, u64)` is 24 bytes where `(u128, u64)` pads to
/// 32, and the halves sort as the key does.
pub(super) type Half = [u64; 2];

pub(super) fn narrow(key: Key) -> Half {
    [(key >> 64) as u64, key as u64]
}

pub(super) fn wide(half: Half) -> Key {
    (Key::from(half[0]) << 64) | Key::from(half[1])
}

/// Merges the sorted, unique `add` into the sorted, unique `into` in place, summing the
/// counts of keys in both (linear: from the back, into the space `add` needs).
pub(super) fn merge_sorted(into: &mut Vec<(Half, u64)>, add: &[(Half, u64)]) {
    let (mut i, mut j) = (into.len(), add.len());
    // Exactly the room needed: a doubling here would hold a second table's worth.
    into.reserve_exact(j);
    into.resize(i + j, ([0, 0], 0));
    let mut w = into.len();
    while j > 0 {
        w -= 1;
        if i > 0 && into[i - 1].0 > add[j - 1].0 {
            into[w] = into[i - 1];
            i -= 1;
        } else if i > 0 && into[i - 1].0 == add[j - 1].0 {
            into[w] = (add[j - 1].0, into[i - 1].1 + add[j - 1].1);
            i -= 1;
            j -= 1;
        } else {
            into[w] = add[j - 1];
            j -= 1;
        }
    }
    // [0, i) is in place; [i, w) is left over from keys found in both.
    into.drain(i..w);
}

/// Sorts `pairs` by key and sums the counts of equal keys, in place.
pub(super) fn sum_runs(pairs: &mut Vec<(Half, u64)>) {
    pairs.par_sort_unstable_by_key(|(k, _)| *k);
    let mut w = 0;
    for r in 0..pairs.len() {
        if w > 0 && pairs[w - 1].0 == pairs[r].0 {
            pairs[w - 1].1 += pairs[r].1;
        } else {
            pairs[w] = pairs[r];
            w += 1;
        }
    }
    pairs.truncate(w);
}
