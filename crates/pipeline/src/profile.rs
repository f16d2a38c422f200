//! Profiling a data file: the measurable facts behind a draft description and its quality
//! annotations. One pass, streaming; distinct values are tracked exactly up to a cap.

use crate::PipelineError;
use crate::source::open_streams;
use crate::values::{parse_decimal, parse_integer, parse_register_date, text_values};
use chrono::{Datelike, NaiveDate};
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
use hdab_catalog::VariableType;
use hdab_catalog::profile::{ColumnProfile, Profile, code_system_of};
use hdab_pseudonymise::PersonId;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// Distinct values tracked per column before counting stops being exact.
const DISTINCT_CAP: usize = 100_000;

#[derive(Default)]
struct Acc {
    nonempty: u64,
    ids: u64,
    dates: u64,
    integers: u64,
    decimals: u64,
    codes: HashMap<&'static str, u64>,
    leading_zero: bool,
    distinct: HashMap<String, u64>,
    capped: bool,
    min_date: Option<NaiveDate>,
    max_date: Option<NaiveDate>,
    per_year: BTreeMap<i32, u64>,
    partial_dates: u64,
}

/// The share of a column's values that, read as personnummer, makes it an identifier.
pub const ID_SHARE: f64 = 0.05;

impl Acc {
    /// One non-empty value of the column.
    fn observe(&mut self, v: &str, reference: NaiveDate, persons: &mut HashSet<PersonId>) {
        let v = v.trim();
        if v.is_empty() {
            return;
        }
        self.nonempty += 1;
        if let Ok(id) = PersonId::parse(v, reference) {
            self.ids += 1;
            persons.insert(id);
            return; // never keep identifiers as distinct values
        }
        if (v.len() == 8 || v.len() == 10)
            && let Ok(Some((d, precision))) = parse_register_date(v)
        {
            self.dates += 1;
            if precision != crate::values::Precision::Day {
                self.partial_dates += 1;
            }
            self.min_date = Some(self.min_date.map_or(d, |m| m.min(d)));
            self.max_date = Some(self.max_date.map_or(d, |m| m.max(d)));
            *self.per_year.entry(d.year()).or_default() += 1;
        }
        if matches!(parse_integer(v), Ok(Some(_))) {
            self.integers += 1;
            if v.len() > 1 && v.starts_with('0') {
                self.leading_zero = true;
            }
        }
        if matches!(parse_decimal(v), Ok(Some(_))) {
            self.decimals += 1;
        }
        if let Some(cs) = code_system_of(v) {
            *self.codes.entry(cs).or_default() += 1;
        }
        let room = self.distinct.len() < DISTINCT_CAP;
        if let Some(n) = self.distinct.get_mut(v) {
            *n += 1;
        } else if room {
            self.distinct.insert(v.to_string(), 1);
        } else {
            self.capped = true;
        }
    }

    /// What was measured, as the column's profile.
    fn column_profile(
        &self,
        name: &str,
        persons: &HashSet<PersonId>,
        n_rows: u64,
    ) -> ColumnProfile {
        let share = |n: u64| {
            if self.nonempty == 0 {
                0.0
            } else {
                n as f64 / self.nonempty as f64
            }
        };
        let best_code = self.codes.iter().max_by_key(|(_, n)| **n);
        // A column where even one value in twenty reads as a personnummer identifies people
        // (registers mix written forms, typos and reservnummer): never drafted as a code.
        let (inferred_type, code_system, valid) = if share(self.ids) >= ID_SHARE {
            (VariableType::PersonId, None, self.ids)
        } else if share(self.dates) >= 0.95 {
            (VariableType::Date, None, self.dates)
        } else if share(self.integers) >= 0.95 && !self.leading_zero {
            (VariableType::Integer, None, self.integers)
        } else if share(self.decimals) >= 0.95 && !self.leading_zero {
            (VariableType::Decimal, None, self.decimals)
        } else if let Some((cs, n)) = best_code.filter(|(_, n)| share(**n) >= 0.9) {
            (VariableType::Code, Some(cs.to_string()), *n)
        } else if self.distinct.len() <= 50 && !self.capped {
            (VariableType::Code, None, self.nonempty)
        } else {
            (VariableType::Text, None, self.nonempty)
        };
        let mut top: Vec<(String, u64)> = if inferred_type == VariableType::Code {
            self.distinct.iter().map(|(k, v)| (k.clone(), *v)).collect()
        } else {
            Vec::new()
        };
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(10);
        ColumnProfile {
            name: name.to_string(),
            n_nonempty: self.nonempty,
            completeness: if n_rows == 0 {
                0.0
            } else {
                self.nonempty as f64 / n_rows as f64
            },
            inferred_type,
            code_system,
            validity: share(valid),
            n_distinct: if inferred_type == VariableType::PersonId {
                persons.len() as u64
            } else {
                self.distinct.len() as u64
            },
            distinct_capped: self.capped,
            top_values: top,
            min_date: self.min_date,
            max_date: self.max_date,
            n_partial_dates: self.partial_dates,
        }
    }
}

/// A column's values as text (formatted where the file typed them), `None` for nulls.
fn column_texts(
    column: &dyn datafusion::arrow::array::Array,
) -> Result<Vec<Option<String>>, PipelineError> {
    let texts = match column.data_type() {
        datafusion::arrow::datatypes::DataType::Utf8
        | datafusion::arrow::datatypes::DataType::LargeUtf8
        | datafusion::arrow::datatypes::DataType::Utf8View => text_values(column)
            .into_iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        _ => {
            let f = datafusion::arrow::util::display::ArrayFormatter::try_new(
                column,
                &Default::default(),
            )?;
            (0..column.len())
                .map(|r| column.is_valid(r).then(|| f.value(r).to_string()))
                .collect()
        }
    };
    Ok(texts)
}

/// Reads the file once and measures every column. `reference` is the extract date (it
/// decides the century of 10-digit personnummer and the timeliness figure).
pub async fn profile(path: &Path, reference: NaiveDate) -> Result<Profile, PipelineError> {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    let (names, streams) = open_streams(&ctx, path).await?;
    let mut accs: Vec<Acc> = names.iter().map(|_| Acc::default()).collect();
    let mut persons: Vec<HashSet<PersonId>> = names.iter().map(|_| HashSet::new()).collect();
    let mut n_rows = 0u64;
    for mut stream in streams {
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| {
                PipelineError::Rejected(vec![format!("the file could not be read as a table: {e}")])
            })?;
            n_rows += batch.num_rows() as u64;
            for (i, acc) in accs.iter_mut().enumerate() {
                let column = batch.column(i);
                let texts = column_texts(column.as_ref())?;
                for v in texts.iter().flatten() {
                    acc.observe(v, reference, &mut persons[i]);
                }
            }
        }
    }
    let mut columns = Vec::with_capacity(names.len());
    let mut id_column = None;
    for (i, (name, acc)) in names.iter().zip(&accs).enumerate() {
        let column = acc.column_profile(name, &persons[i], n_rows);
        if column.inferred_type == VariableType::PersonId && id_column.is_none() {
            id_column = Some(i);
        }
        columns.push(column);
    }
    let date_columns: Vec<&Acc> = columns
        .iter()
        .zip(&accs)
        .filter(|(c, _)| c.inferred_type == VariableType::Date)
        .map(|(_, a)| a)
        .collect();
    let temporal = date_columns
        .iter()
        .filter_map(|a| Some((a.min_date?, a.max_date?)))
        .reduce(|x, y| (x.0.min(y.0), x.1.max(y.1)));
    Ok(Profile {
        file_name: path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string(),
        reference_date: reference,
        n_rows,
        n_unique_individuals: id_column.map(|i| persons[i].len() as u64),
        n_invalid_identifiers: id_column.map_or(0, |i| n_rows - accs[i].ids),
        temporal,
        records_per_year: date_columns
            .first()
            .map(|a| a.per_year.clone())
            .unwrap_or_default(),
        columns,
    })
}
