//! The EHDS Art. 71 rule for a permit's delivery: a person is left out when they had opted
//! out at the moment the permit was granted, or have opted out now. (Opting back in after a
//! grant does not bring a person back into that permit; a new opt-out always takes them out.)
//!
//! The registry's events are folded here in order, one person at a time; the store only
//! reads them. Persons are keyed hashes: this module never sees an identifier.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The persons a delivery leaves out, by registry hash: a sorted list, 32 bytes a person
/// (a hash set of the same takes about twice that: 600,000 opted-out people, the register
/// of a 20-million-person extraction at 3%, is 19 MB here), with an index of where each
/// leading-bits prefix starts (4 bytes per person, rounded up to a power of two): a lookup
/// is two memory reads, not a binary search's twenty (the hashes are keyed HMACs, so their
/// leading bits spread evenly).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Excluded {
    persons: Vec<[u8; 32]>,
    /// `starts[p]..starts[p + 1]` is where the persons whose first `bits` bits are `p` lie.
    starts: Vec<u32>,
    bits: u32,
}

impl Excluded {
    fn prefix(&self, person: &[u8; 32]) -> usize {
        let lead = u32::from_be_bytes([person[0], person[1], person[2], person[3]]);
        if self.bits == 0 {
            0
        } else {
            (lead >> (32 - self.bits)) as usize
        }
    }

    pub fn contains(&self, person: &[u8; 32]) -> bool {
        let p = self.prefix(person);
        let (Some(&from), Some(&to)) = (self.starts.get(p), self.starts.get(p + 1)) else {
            return false;
        };
        self.persons
            .get(from as usize..to as usize)
            .is_some_and(|bucket| bucket.contains(person))
    }

    pub fn len(&self) -> usize {
        self.persons.len()
    }

    pub fn is_empty(&self) -> bool {
        self.persons.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8; 32]> {
        self.persons.iter()
    }
}

impl FromIterator<[u8; 32]> for Excluded {
    fn from_iter<I: IntoIterator<Item = [u8; 32]>>(persons: I) -> Excluded {
        let mut persons: Vec<[u8; 32]> = persons.into_iter().collect();
        persons.sort_unstable();
        persons.dedup();
        persons.shrink_to_fit();
        // About one person per prefix; at most 2^24 prefixes (64 MiB of index).
        let bits = (persons.len().max(1).next_power_of_two().trailing_zeros()).min(24);
        let mut excluded = Excluded {
            persons: Vec::new(),
            starts: vec![0; (1usize << bits) + 1],
            bits,
        };
        for person in &persons {
            let p = excluded.prefix(person);
            excluded.starts[p + 1] += 1;
        }
        for p in 1..excluded.starts.len() {
            excluded.starts[p] += excluded.starts[p - 1];
        }
        excluded.persons = persons;
        excluded
    }
}

/// The registry's events folded for one permit (or one data request, granted now).
#[derive(Debug, Clone)]
pub struct OptOutFold {
    granted_at: DateTime<Utc>,
    /// person → (opted out now, opted out when the permit was granted)
    persons: HashMap<[u8; 32], (bool, bool)>,
}

impl OptOutFold {
    pub fn new(granted_at: DateTime<Utc>) -> OptOutFold {
        OptOutFold {
            granted_at,
            persons: HashMap::new(),
        }
    }

    /// One registry event, in sequence order: `opted_out` true for an opt-out, false for an
    /// opt-in back.
    pub fn apply(&mut self, person: [u8; 32], opted_out: bool, at: DateTime<Utc>) {
        let entry = self.persons.entry(person).or_insert((false, false));
        entry.0 = opted_out;
        if at <= self.granted_at {
            entry.1 = opted_out;
        }
    }

    /// Everyone the delivery must leave out.
    pub fn excluded(&self) -> Excluded {
        self.persons
            .iter()
            .filter(|(_, (now, at_grant))| *now || *at_grant)
            .map(|(h, _)| *h)
            .collect()
    }

    /// How many persons are opted out now (what the registry's state reports).
    pub fn n_opted_out_now(&self) -> usize {
        self.persons.values().filter(|(now, _)| *now).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn the_excluded_list_finds_exactly_its_persons() {
        let excluded: Excluded = [[9; 32], [1; 32], [5; 32], [1; 32]].into_iter().collect();
        assert_eq!(excluded.len(), 3, "each person once");
        for p in [[1; 32], [5; 32], [9; 32]] {
            assert!(excluded.contains(&p));
        }
        for p in [[0; 32], [2; 32], [6; 32], [10; 32]] {
            assert!(!excluded.contains(&p));
        }
        assert!(!Excluded::default().contains(&[1; 32]));
        let none: Excluded = std::iter::empty().collect();
        assert!(!none.contains(&[0; 32]));
        // Many persons with spread leading bytes, as registry hashes have: each is found,
        // and neighbours that differ in the last byte are not.
        let persons: Vec<[u8; 32]> = (0u32..5000)
            .map(|i| {
                let mut p = [0u8; 32];
                p[..4].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_be_bytes());
                p[31] = 2;
                p
            })
            .collect();
        let excluded: Excluded = persons.iter().copied().collect();
        for p in &persons {
            assert!(excluded.contains(p));
            let mut near = *p;
            near[31] = 3;
            assert!(!excluded.contains(&near));
        }
    }

    #[test]
    fn a_person_opted_out_at_grant_or_now_is_left_out() {
        let grant = at(10);
        let mut fold = OptOutFold::new(grant);
        // out before the grant, back in after: still out of this permit
        fold.apply([1; 32], true, at(1));
        fold.apply([1; 32], false, at(12));
        // out after the grant: out now
        fold.apply([2; 32], true, at(15));
        // out and back in before the grant: delivered
        fold.apply([3; 32], true, at(2));
        fold.apply([3; 32], false, at(3));
        let excluded = fold.excluded();
        assert!(excluded.contains(&[1; 32]));
        assert!(excluded.contains(&[2; 32]));
        assert!(!excluded.contains(&[3; 32]));
        assert_eq!(fold.n_opted_out_now(), 1);
    }
}
