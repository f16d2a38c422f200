//! One quasi-identifier's column of a table: its distinct exact values, coded in order of
//! first appearance, and their generalised codes and labels at each level.

use super::{Fast, Quasi, Value};
use std::collections::HashMap;

/// One quasi-identifier's column of distinct exact values, and their generalisations.
#[derive(Debug, Clone)]
pub(super) struct Column {
    pub(super) quasi: Quasi,
    pub(super) codes: HashMap<String, u32, Fast>,
    /// Whole numbers and days, coded without rendering them to text each time.
    pub(super) numbers: HashMap<i64, u32, Fast>,
    pub(super) days: HashMap<i32, u32, Fast>,
    pub(super) null: Option<u32>,
    pub(super) values: Vec<Option<String>>,
    /// Per level: the generalised code of every exact code, and the labels.
    pub(super) up: Vec<Vec<u32>>,
    pub(super) labels: Vec<Vec<Option<String>>>,
}

impl Column {
    pub(super) fn new(quasi: Quasi) -> Column {
        Column {
            quasi,
            codes: HashMap::default(),
            numbers: HashMap::default(),
            days: HashMap::default(),
            null: None,
            values: Vec::new(),
            up: Vec::new(),
            labels: Vec::new(),
        }
    }

    pub(super) fn code(&mut self, value: Option<&str>) -> u32 {
        let next = self.values.len() as u32;
        match value {
            None => match self.null {
                Some(c) => c,
                None => {
                    self.values.push(None);
                    self.null = Some(next);
                    next
                }
            },
            Some(v) => match self.codes.get(v) {
                Some(c) => *c,
                None => {
                    self.values.push(Some(v.to_string()));
                    self.codes.insert(v.to_string(), next);
                    next
                }
            },
        }
    }

    /// The code of a typed value (its text as a delivered label shows it: `47`,
    /// `2019-03-14`), the same code the text would get.
    pub(super) fn code_value(&mut self, value: Value<'_>) -> u32 {
        match value {
            Value::Missing => self.code(None),
            Value::Text(t) => self.code(Some(t)),
            Value::Number(n) => match self.numbers.get(&n) {
                Some(c) => *c,
                None => {
                    let c = self.code(Some(&n.to_string()));
                    self.numbers.insert(n, c);
                    c
                }
            },
            Value::Day(d) => match self.days.get(&d) {
                Some(c) => *c,
                None => {
                    let text = chrono::NaiveDate::from_num_days_from_ce_opt(d + 719_163)
                        .map(|day| day.format("%Y-%m-%d").to_string());
                    let c = self.code(text.as_deref());
                    self.days.insert(d, c);
                    c
                }
            },
        }
    }

    pub(super) fn code_of(&self, value: Option<&str>) -> Option<u32> {
        match value {
            None => self.null,
            Some(v) => self.codes.get(v).copied(),
        }
    }

    /// Builds the level maps once every value is known.
    pub(super) fn seal(&mut self) {
        self.up.clear();
        self.labels.clear();
        for level in &self.quasi.hierarchy.levels {
            let mut ids: HashMap<Option<String>, u32> = HashMap::new();
            let mut labels = Vec::new();
            let up = self
                .values
                .iter()
                .map(|v| {
                    let label = v.as_deref().map(|v| level.apply(v));
                    *ids.entry(label.clone()).or_insert_with(|| {
                        labels.push(label);
                        (labels.len() - 1) as u32
                    })
                })
                .collect();
            self.up.push(up);
            self.labels.push(labels);
        }
    }
}
