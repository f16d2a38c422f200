//! Re-identification risk of a table, from the sizes of its equivalence classes (records
//! that share every quasi-identifier value), as ARX defines the measures. The population
//! model is the delivered table itself (no population table covers the quasi-identifiers):
//! journalist risk then equals prosecutor risk, its upper bound, and marketer risk is the
//! share of records an attacker would re-identify on average when matching every record.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::Hash;

/// The measures of one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskReport {
    pub records: u64,
    pub classes: u64,
    /// The smallest class: the table is k-anonymous for this k (0 when empty).
    pub k: u64,
    /// The size a class must reach (the permit's k).
    pub threshold: u64,
    /// Records in classes smaller than the threshold.
    pub records_below_threshold: u64,
    pub share_below_threshold: f64,
    /// Records alone in their class (sample uniques).
    pub sample_uniques: u64,
    pub share_sample_unique: f64,
    /// Prosecutor risk: the highest (1/k) and the average over records (classes/records).
    pub prosecutor_highest: f64,
    pub prosecutor_average: f64,
    /// Journalist risk under the stated population model.
    pub journalist_highest: f64,
    pub journalist_model: String,
    /// Marketer risk: the expected share of records re-identified.
    pub marketer: f64,
    /// Records by the size of their class, for a chart (`1`, `2-4`, `5-9`, `10-19`,
    /// `20-49`, `50+`).
    pub class_sizes: Vec<(String, u64)>,
    /// For each sensitive variable: how diverse its values are within every class.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub l_diversity: Vec<LDiversity>,
}

/// l-diversity of one sensitive variable: the fewest distinct values in any class, and the
/// entropy l (2 to the power of the lowest entropy of a class, in bits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LDiversity {
    pub variable: String,
    pub distinct: u64,
    pub entropy: f64,
}

const BUCKETS: [(&str, u64, u64); 6] = [
    ("1", 1, 1),
    ("2-4", 2, 4),
    ("5-9", 5, 9),
    ("10-19", 10, 19),
    ("20-49", 20, 49),
    ("50+", 50, u64::MAX),
];

/// Six decimals: what a person reads, and the same bytes on every run.
pub(crate) fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        round(part as f64 / whole as f64)
    }
}

impl RiskReport {
    /// The measures from the class sizes (every class once).
    pub fn from_class_sizes(sizes: impl IntoIterator<Item = u64>, threshold: u64) -> RiskReport {
        let (mut records, mut classes, mut k, mut below, mut uniques) =
            (0u64, 0u64, u64::MAX, 0, 0);
        let mut buckets = [0u64; 6];
        for size in sizes.into_iter().filter(|s| *s > 0) {
            records += size;
            classes += 1;
            k = k.min(size);
            if size < threshold {
                below += size;
            }
            if size == 1 {
                uniques += 1;
            }
            if let Some(b) = BUCKETS
                .iter()
                .position(|(_, lo, hi)| (*lo..=*hi).contains(&size))
            {
                buckets[b] += size;
            }
        }
        if classes == 0 {
            k = 0;
        }
        let highest = if k == 0 { 0.0 } else { round(1.0 / k as f64) };
        RiskReport {
            records,
            classes,
            k,
            threshold,
            records_below_threshold: below,
            share_below_threshold: share(below, records),
            sample_uniques: uniques,
            share_sample_unique: share(uniques, records),
            prosecutor_highest: highest,
            prosecutor_average: share(classes, records),
            journalist_highest: highest,
            journalist_model: "the delivered table as its own population (no population table covers these quasi-identifiers): equal to prosecutor risk, its upper bound".into(),
            marketer: share(classes, records),
            class_sizes: BUCKETS
                .iter()
                .zip(buckets)
                .map(|((name, _, _), n)| (name.to_string(), n))
                .collect(),
            l_diversity: Vec::new(),
        }
    }

    /// The report in words, for the case page and the CLI.
    /// The figures in a sentence, in `lang`.
    pub fn in_words(&self, lang: hdab_i18n::Lang) -> String {
        if self.records == 0 {
            return lang.text("risk-no-records");
        }
        let percent = |share: f64| format!("{:.1}%", share * 100.0);
        lang.text_with(
            "risk-summary",
            &[
                ("records", self.records.into()),
                ("classes", self.classes.into()),
                ("k", self.k.into()),
                ("below", self.records_below_threshold.into()),
                (
                    "below_share",
                    percent(self.share_below_threshold).as_str().into(),
                ),
                ("threshold", self.threshold.into()),
                ("uniques", self.sample_uniques.into()),
                (
                    "unique_share",
                    percent(self.share_sample_unique).as_str().into(),
                ),
                ("highest", percent(self.prosecutor_highest).as_str().into()),
                ("average", percent(self.prosecutor_average).as_str().into()),
            ],
        )
    }
}

/// Counts a sensitive variable's values per class, for [`LDiversity`].
#[derive(Debug)]
pub struct DiversityCounter<K> {
    variable: String,
    classes: HashMap<K, HashMap<Option<String>, u64>>,
}

impl<K: Hash + Eq> DiversityCounter<K> {
    pub fn new(variable: &str) -> Self {
        DiversityCounter {
            variable: variable.to_string(),
            classes: HashMap::new(),
        }
    }

    pub fn add(&mut self, class: K, value: Option<&str>) {
        *self
            .classes
            .entry(class)
            .or_default()
            .entry(value.map(str::to_string))
            .or_default() += 1;
    }

    pub fn finish(self) -> LDiversity {
        let mut distinct = u64::MAX;
        let mut entropy = f64::INFINITY;
        for values in self.classes.values() {
            distinct = distinct.min(values.len() as u64);
            let n: u64 = values.values().sum();
            let h: f64 = values
                .values()
                .map(|c| {
                    let p = *c as f64 / n as f64;
                    -p * p.log2()
                })
                .sum();
            entropy = entropy.min(h.exp2());
        }
        if self.classes.is_empty() {
            (distinct, entropy) = (0, 0.0);
        }
        LDiversity {
            variable: self.variable,
            distinct,
            entropy: round(entropy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measures_follow_from_the_class_sizes() {
        // Classes of 1, 1, 3 and 15 records: 20 records.
        let r = RiskReport::from_class_sizes([1, 1, 3, 15], 10);
        assert_eq!((r.records, r.classes, r.k), (20, 4, 1));
        assert_eq!(r.records_below_threshold, 5);
        assert_eq!(r.sample_uniques, 2);
        assert_eq!(r.share_sample_unique, 0.1);
        assert_eq!(r.prosecutor_highest, 1.0);
        assert_eq!(r.prosecutor_average, 0.2);
        assert_eq!(r.class_sizes[0], ("1".into(), 2));
        assert_eq!(r.class_sizes[3], ("10-19".into(), 15));
    }

    #[test]
    fn l_diversity_is_the_least_diverse_class() {
        let mut d = DiversityCounter::new("HDIA");
        for v in ["I21", "I21", "J44", "K35"] {
            d.add(1, Some(v));
        }
        for _ in 0..3 {
            d.add(2, Some("I21"));
        }
        let l = d.finish();
        assert_eq!(l.distinct, 1);
        assert_eq!(l.entropy, 1.0);
    }
}
