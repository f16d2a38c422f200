//! The search for the generalisation that makes a table k-anonymous at the least loss.
//!
//! The table is held as its distinct combinations of exact quasi-identifier values with
//! their counts (ARX does the same): generalising re-groups those, never the records. A node
//! of the lattice is one level per quasi-identifier; records in classes smaller than k are
//! suppressed (removed), at most a set share of them. Passing is monotone (a coarser node
//! never has more records in small classes), so the search goes up the lattice by height,
//! evaluates a node only when none of its one-step-finer neighbours passed, and so finds
//! every **minimal** passing node (each one-step-finer choice fails); among those it takes
//! the least information loss, measured as non-uniform entropy (the bits of the exact value
//! a record loses, summed over records and quasi-identifiers; a suppressed record loses
//! all), as a share of the loss of suppressing everything.

use crate::hierarchy::Hierarchy;
use crate::risk::{RiskReport, round};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A fast hash with fixed keys (the table's keys are its own codes and the values it is
/// given; nothing an attacker chooses to collide matters here).
type Fast = foldhash::fast::FixedState;

/// Records added between compactions of a table (16 MiB of keys).
const PENDING: usize = 1 << 20;

/// Tables with more distinct combinations than this evaluate one node at a time.
const PARALLEL_BELOW: usize = 1_000_000;

/// Lattices larger than this are refused (name fewer quasi-identifiers or levels).
pub const MAX_NODES: usize = 200_000;

/// A combination of codes, packed: `128 / n` bits per quasi-identifier (at most 32), so a
/// table of 10 million distinct combinations stays a few hundred MiB.
type Key = u128;

/// One quasi-identifier of the table.
#[derive(Debug, Clone)]
pub struct Quasi {
    pub name: String,
    pub hierarchy: Hierarchy,
    /// The lowest level the search may choose (a permit's own generalisation).
    pub floor: usize,
}

/// What must be reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub k: u64,
    /// The most records that may be suppressed, as a share of all (0.02: 2%).
    pub max_suppressed_share: f64,
}

impl Default for Target {
    fn default() -> Self {
        Target {
            k: 10,
            max_suppressed_share: 0.02,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SearchError {
    #[error(
        "the lattice has {0} combinations of levels (at most {MAX_NODES}): ask for fewer quasi-identifiers or declare fewer levels"
    )]
    TooLarge(usize),
    #[error(
        "'{column}' has more than {limit} distinct values with this many quasi-identifiers: generalise it first (a coarser level), or measure fewer quasi-identifiers at once"
    )]
    TooManyValues { column: String, limit: u64 },
}

/// One value of a record: text, a whole number, or a day (days since 1970-01-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Missing,
    Text(&'a str),
    Number(i64),
    Day(i32),
}

/// The table to anonymise: distinct combinations of exact values, with their counts.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<Column>,
    /// Distinct combinations and their counts, sorted by key and unique after [`Table::compact`].
    combos: Vec<(Half, u64)>,
    /// Keys of single records added since the last compaction, and counted combinations.
    pending: Vec<Key>,
    pending_counted: Vec<(Half, u64)>,
    /// Pending records that trigger a compaction ([`PENDING`]; smaller in tests).
    pending_limit: usize,
    records: u64,
    sealed: bool,
    /// Bits per quasi-identifier in a [`Key`].
    bits: u32,
}

/// One node of the lattice, evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// One level per quasi-identifier (index into its hierarchy).
    pub levels: Vec<usize>,
    pub suppressed: u64,
    pub passes: bool,
    /// Non-uniform entropy as a share of the loss of suppressing everything (0 to 1).
    pub loss: f64,
}

/// What the search found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The least-loss minimal node, if any node passes.
    pub chosen: Option<Evaluation>,
    /// Every minimal passing node.
    pub minimal: Vec<Evaluation>,
    pub lattice_size: usize,
    /// Nodes evaluated (the others were known to pass from a finer one).
    pub evaluated: usize,
    /// When nothing passes: the quasi-identifiers that, left out entirely, would let the
    /// coarsest node pass (each one alone).
    pub blocking: Vec<String>,
}

impl Table {
    pub fn new(quasi: Vec<Quasi>) -> Table {
        Table {
            columns: quasi.into_iter().map(Column::new).collect(),
            combos: Vec::new(),
            pending: Vec::new(),
            pending_counted: Vec::new(),
            pending_limit: PENDING,
            records: 0,
            sealed: false,
            bits: 0,
        }
        .with_bits()
    }

    fn with_bits(mut self) -> Table {
        self.bits = match self.columns.len() {
            0 => 0,
            n => (128 / n as u32).min(32),
        };
        self
    }

    fn limit(&self) -> u64 {
        1u64 << self.bits.min(63)
    }

    fn pack(&self, codes: impl Iterator<Item = u32>) -> Key {
        codes.enumerate().fold(0, |key, (i, c)| {
            key | (Key::from(c) << (self.bits * i as u32))
        })
    }

    fn unpack(&self, key: Key, i: usize) -> u32 {
        let mask: Key = (1 << self.bits) - 1;
        ((key >> (self.bits * i as u32)) & mask) as u32
    }

    pub fn quasi(&self) -> impl Iterator<Item = &Quasi> {
        self.columns.iter().map(|c| &c.quasi)
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    /// Adds one record by its exact values (one per quasi-identifier, in order).
    pub fn add(&mut self, values: &[Option<&str>]) -> Result<(), SearchError> {
        self.add_fn(|i| values[i], 1)
    }

    /// Adds `n` records whose value in quasi-identifier `i` is `value(i)` (no allocation
    /// for values and combinations seen before).
    pub fn add_fn<'v>(
        &mut self,
        value: impl Fn(usize) -> Option<&'v str>,
        n: u64,
    ) -> Result<(), SearchError> {
        self.add_values(|i| value(i).map_or(Value::Missing, Value::Text), n)
    }

    /// [`Table::add_fn`] for typed values.
    pub fn add_values<'v>(
        &mut self,
        value: impl Fn(usize) -> Value<'v>,
        n: u64,
    ) -> Result<(), SearchError> {
        let mut key: Key = 0;
        let limit = self.limit();
        for (i, c) in self.columns.iter_mut().enumerate() {
            let code = c.code_value(value(i));
            if u64::from(code) >= limit {
                return Err(SearchError::TooManyValues {
                    column: c.quasi.name.clone(),
                    limit,
                });
            }
            key |= Key::from(code) << (self.bits * i as u32);
        }
        if n == 1 {
            self.pending.push(key);
        } else {
            self.pending_counted.push((narrow(key), n));
        }
        if self.pending.len() + self.pending_counted.len() >= self.pending_limit {
            self.compact();
        }
        self.records += n;
        self.sealed = false;
        Ok(())
    }

    /// Folds the pending records into the sorted combinations (memory: the combinations
    /// and at most [`PENDING`] keys more).
    fn compact(&mut self) {
        if self.pending.is_empty() && self.pending_counted.is_empty() {
            return;
        }
        self.pending.par_sort_unstable();
        let mut runs: Vec<(Half, u64)> = Vec::new();
        for key in self.pending.drain(..) {
            let key = narrow(key);
            match runs.last_mut() {
                Some((last, n)) if *last == key => *n += 1,
                _ => runs.push((key, 1)),
            }
        }
        runs.append(&mut self.pending_counted);
        sum_runs(&mut runs);
        merge_sorted(&mut self.combos, &runs);
    }

    /// Adds every record of another table over the same quasi-identifiers.
    pub fn merge(&mut self, mut other: Table) -> Result<(), SearchError> {
        other.compact();
        self.compact();
        // Each of the other table's codes to this table's, once per distinct value.
        let limit = self.limit();
        let mut maps = Vec::with_capacity(self.columns.len());
        for (mine, theirs) in self.columns.iter_mut().zip(&other.columns) {
            let map: Vec<u32> = theirs
                .values
                .iter()
                .map(|v| mine.code(v.as_deref()))
                .collect();
            if map.iter().any(|c| u64::from(*c) >= limit) {
                return Err(SearchError::TooManyValues {
                    column: mine.quasi.name.clone(),
                    limit,
                });
            }
            maps.push(map);
        }
        let mut theirs = std::mem::take(&mut other.combos);
        for (key, _) in theirs.iter_mut() {
            let mine =
                self.pack((0..maps.len()).map(|i| maps[i][other.unpack(wide(*key), i) as usize]));
            *key = narrow(mine);
        }
        sum_runs(&mut theirs);
        merge_sorted(&mut self.combos, &theirs);
        self.records += other.records;
        self.sealed = false;
        Ok(())
    }

    fn seal(&mut self) {
        self.compact();
        if !self.sealed {
            for c in &mut self.columns {
                c.seal();
            }
            self.sealed = true;
        }
    }

    /// Each class of a node (`collapsed`: a column left out entirely) with its size, in key
    /// order, through `each`. The classes are sorted in a buffer of the combinations' class
    /// keys (with their counts), or of every record's class key when that is smaller.
    fn for_each_class(
        &self,
        levels: &[usize],
        collapsed: Option<usize>,
        mut each: impl FnMut(Key, u64),
    ) {
        let class_of = |key: Key| {
            self.pack((0..self.columns.len()).map(|i| {
                if collapsed == Some(i) {
                    0
                } else {
                    self.columns[i].up[levels[i]][self.unpack(key, i) as usize]
                }
            }))
        };
        let mut run = |class: Key, n: u64, current: &mut Option<(Key, u64)>| match current {
            Some((c, size)) if *c == class => *size += n,
            _ => {
                if let Some((c, size)) = current.take() {
                    each(c, size);
                }
                *current = Some((class, n));
            }
        };
        let mut current = None;
        if 16 * self.records < 24 * self.combos.len() as u64 {
            let mut keys: Vec<Key> = Vec::with_capacity(self.records as usize);
            for (key, n) in &self.combos {
                let class = class_of(wide(*key));
                keys.extend(std::iter::repeat_n(class, *n as usize));
            }
            keys.par_sort_unstable();
            for class in keys {
                run(class, 1, &mut current);
            }
        } else {
            let mut pairs: Vec<(Half, u64)> = self
                .combos
                .iter()
                .map(|(key, n)| (narrow(class_of(wide(*key))), *n))
                .collect();
            pairs.par_sort_unstable_by_key(|(k, _)| *k);
            for (class, n) in pairs {
                run(wide(class), n, &mut current);
            }
        }
        if let Some((c, size)) = current {
            each(c, size);
        }
    }

    /// The classes of a node and their sizes, sorted by key.
    pub(crate) fn classes(&self, levels: &[usize]) -> Vec<(Key, u64)> {
        let mut out = Vec::new();
        self.for_each_class(levels, None, |c, n| out.push((c, n)));
        out
    }

    fn class_key(&self, levels: &[usize], key: Key) -> Key {
        self.pack(
            (0..self.columns.len())
                .map(|i| self.columns[i].up[levels[i]][self.unpack(key, i) as usize]),
        )
    }

    /// Counts of each exact value per column, and of each generalised value per level.
    fn value_counts(&self) -> Vec<(Vec<u64>, Vec<Vec<u64>>)> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, col)| {
                let mut exact = vec![0u64; col.values.len()];
                for (key, n) in &self.combos {
                    exact[self.unpack(wide(*key), i) as usize] += n;
                }
                let per_level = col
                    .up
                    .iter()
                    .zip(&col.labels)
                    .map(|(up, labels)| {
                        let mut g = vec![0u64; labels.len()];
                        for (code, n) in exact.iter().enumerate() {
                            g[up[code] as usize] += n;
                        }
                        g
                    })
                    .collect();
                (exact, per_level)
            })
            .collect()
    }

    fn evaluate(
        &self,
        levels: &[usize],
        target: &Target,
        counts: &[(Vec<u64>, Vec<Vec<u64>>)],
        max_loss: f64,
    ) -> Evaluation {
        let n = self.records as f64;
        let mut bits = 0.0;
        for (i, (exact, per_level)) in counts.iter().enumerate() {
            let up = &self.columns[i].up[levels[i]];
            for (code, c) in exact.iter().enumerate() {
                if *c > 0 {
                    let g = per_level[levels[i]][up[code] as usize] as f64;
                    bits += *c as f64 * (g / *c as f64).log2();
                }
            }
        }
        // A suppressed record loses what its generalised values still told; those are its
        // class's, so one pass over the classes does.
        let mut suppressed = 0;
        self.for_each_class(levels, None, |class, size| {
            if size < target.k {
                suppressed += size;
                for (i, (_, per_level)) in counts.iter().enumerate() {
                    let g = per_level[levels[i]][self.unpack(class, i) as usize];
                    bits += size as f64 * (n / g as f64).log2();
                }
            }
        });
        let passes = suppressed as f64 <= target.max_suppressed_share * n;
        Evaluation {
            levels: levels.to_vec(),
            suppressed,
            passes,
            loss: if max_loss > 0.0 {
                round(bits / max_loss)
            } else {
                0.0
            },
        }
    }

    /// Searches the lattice (see the module's documentation).
    pub fn search(&mut self, target: &Target) -> Result<Outcome, SearchError> {
        self.seal();
        let floors: Vec<usize> = self
            .columns
            .iter()
            .map(|c| c.quasi.floor.min(c.quasi.hierarchy.top()))
            .collect();
        let tops: Vec<usize> = self
            .columns
            .iter()
            .map(|c| c.quasi.hierarchy.top())
            .collect();
        let size = floors
            .iter()
            .zip(&tops)
            .try_fold(1usize, |acc, (f, t)| acc.checked_mul(t - f + 1))
            .unwrap_or(usize::MAX);
        if size > MAX_NODES {
            return Err(SearchError::TooLarge(size));
        }
        let counts = self.value_counts();
        let n = self.records as f64;
        let max_loss: f64 = counts
            .iter()
            .map(|(exact, _)| {
                exact
                    .iter()
                    .filter(|c| **c > 0)
                    .map(|c| *c as f64 * (n / *c as f64).log2())
                    .sum::<f64>()
            })
            .sum();
        // Nodes by height above the floors.
        let mut by_height: Vec<Vec<Vec<usize>>> = Vec::new();
        let mut node = floors.clone();
        loop {
            let h: usize = node.iter().zip(&floors).map(|(l, f)| l - f).sum();
            if by_height.len() <= h {
                by_height.resize(h + 1, Vec::new());
            }
            by_height[h].push(node.clone());
            // Next node in mixed radix.
            let mut i = 0;
            loop {
                if i == node.len() {
                    break;
                }
                if node[i] < tops[i] {
                    node[i] += 1;
                    break;
                }
                node[i] = floors[i];
                i += 1;
            }
            if i == node.len() {
                break;
            }
        }
        let mut passing: HashSet<Vec<usize>> = HashSet::new();
        let mut minimal = Vec::new();
        let mut evaluated = 0;
        for nodes in by_height {
            let (known, open): (Vec<_>, Vec<_>) = nodes.into_iter().partition(|node| {
                (0..node.len()).any(|i| {
                    node[i] > floors[i] && {
                        let mut finer = node.clone();
                        finer[i] -= 1;
                        passing.contains(&finer)
                    }
                })
            });
            evaluated += open.len();
            // Each evaluation holds a class table as large as the table at the finest nodes:
            // large tables are evaluated one node at a time, so memory stays bounded.
            let evaluate = |node: &Vec<usize>| self.evaluate(node, target, &counts, max_loss);
            let results: Vec<Evaluation> = if self.combos.len() > PARALLEL_BELOW {
                open.iter().map(evaluate).collect()
            } else {
                open.par_iter().map(evaluate).collect()
            };
            passing.extend(known);
            for r in results {
                if r.passes {
                    passing.insert(r.levels.clone());
                    minimal.push(r);
                }
            }
        }
        minimal.sort_by(|a, b| {
            a.loss
                .total_cmp(&b.loss)
                .then_with(|| a.levels.iter().sum::<usize>().cmp(&b.levels.iter().sum()))
                .then_with(|| a.levels.cmp(&b.levels))
        });
        let chosen = minimal.first().cloned();
        let blocking = if chosen.is_none() {
            (0..self.columns.len())
                .filter(|i| {
                    let mut suppressed = 0;
                    self.for_each_class(&tops, Some(*i), |_, size| {
                        if size < target.k {
                            suppressed += size;
                        }
                    });
                    suppressed as f64 <= target.max_suppressed_share * n && self.records >= target.k
                })
                .map(|i| self.columns[i].quasi.name.clone())
                .collect()
        } else {
            Vec::new()
        };
        Ok(Outcome {
            chosen,
            minimal,
            lattice_size: size,
            evaluated,
            blocking,
        })
    }

    /// The risk of the table at a node, before suppression.
    pub fn risk_at(&mut self, levels: &[usize], threshold: u64) -> RiskReport {
        // Exact values everywhere: the classes are the combinations themselves.
        self.seal();
        if levels.iter().all(|l| *l == 0) {
            return RiskReport::from_class_sizes(self.combos.iter().map(|(_, n)| *n), threshold);
        }
        let mut sizes = Vec::new();
        self.for_each_class(levels, None, |_, n| sizes.push(n));
        RiskReport::from_class_sizes(sizes, threshold)
    }

    /// The risk at a node after suppressing the records of classes smaller than `k`.
    pub fn risk_after(&mut self, levels: &[usize], k: u64) -> RiskReport {
        self.seal();
        let mut sizes = Vec::new();
        self.for_each_class(levels, None, |_, n| {
            if n >= k {
                sizes.push(n);
            }
        });
        RiskReport::from_class_sizes(sizes, k)
    }
}

mod column;
mod generaliser;
mod pairs;
use column::Column;
pub use generaliser::Generaliser;
use pairs::{Half, merge_sorted, narrow, sum_runs, wide};

#[cfg(test)]
mod tests;
