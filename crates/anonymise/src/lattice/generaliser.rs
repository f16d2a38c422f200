//! Writing the records at a chosen node: each record's delivered labels, and whether it
//! stays (its class holds at least k records).

use super::{Key, Table};

impl Table {
    /// The generaliser of a chosen node, for writing the records.
    pub fn generaliser(&mut self, levels: &[usize], k: u64) -> Generaliser<'_> {
        self.seal();
        let classes = self.classes(levels);
        Generaliser {
            table: self,
            levels: levels.to_vec(),
            classes,
            k,
        }
    }
}

/// Maps a record's exact values to its delivered labels at a chosen node, and says whether
/// it is suppressed.
#[derive(Debug)]
pub struct Generaliser<'t> {
    table: &'t Table,
    levels: Vec<usize>,
    /// Classes and their sizes, sorted by key.
    classes: Vec<(Key, u64)>,
    k: u64,
}

impl Generaliser<'_> {
    /// The record's class (`None`: a value the table was not built from) and whether the
    /// record stays.
    pub fn place(&self, values: &[Option<&str>]) -> Option<(u128, bool)> {
        let codes = self
            .table
            .columns
            .iter()
            .zip(values)
            .map(|(c, v)| c.code_of(*v))
            .collect::<Option<Vec<u32>>>()?;
        let key = self.table.pack(codes.into_iter());
        let class = self.table.class_key(&self.levels, key);
        let keep = self
            .classes
            .binary_search_by_key(&class, |(c, _)| *c)
            .map_or(0, |i| self.classes[i].1)
            >= self.k;
        Some((class, keep))
    }

    /// The label of a class's value in column `i`.
    pub fn label(&self, i: usize, class: u128) -> Option<&str> {
        self.table.columns[i].labels[self.levels[i]][self.table.unpack(class, i) as usize]
            .as_deref()
    }
}
