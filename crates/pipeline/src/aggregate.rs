//! Aggregates for data requests (EHDS Art. 69): counts of persons, and sums of a measure,
//! grouped by chosen variables over a cohort, with opted-out people and invalid identifiers
//! left out exactly as in an extraction. The result goes through `hdab-disclosure` before
//! anyone sees it.

use crate::classify::{classify, prepare};
use crate::deliver::PartitionCounts;
use crate::{PipelineError, RowAccounting};
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type};
use futures::StreamExt;
use hdab_catalog::{DatasetDescription, Sensitivity, VariableType};
use hdab_disclosure::CellStats;
use hdab_permits::Cohort;
use hdab_permits::optout::Excluded;
use hdab_pseudonymise::{DerivedKey, PersonId};
use std::collections::HashMap;
use std::path::Path;

pub struct AggregateInput<'a> {
    pub description: &'a DatasetDescription,
    pub upload_path: &'a Path,
    pub reference_date: NaiveDate,
    pub cohort: &'a Cohort,
    /// Variables to group by; dates are grouped by year.
    pub group_by: &'a [String],
    /// An integer or decimal variable to sum, if any.
    pub measure: Option<&'a str>,
    pub registry_key: &'a DerivedKey,
    pub optouts: &'a Excluded,
}

impl std::fmt::Debug for AggregateInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AggregateInput")
            .field("dataset", &self.description.id)
            .field("group_by", &self.group_by)
            .field("measure", &self.measure)
            .finish_non_exhaustive()
    }
}

/// Cells before disclosure control, and where every row went.
#[derive(Debug)]
pub struct Aggregates {
    pub cells: Vec<CellStats>,
    pub rows: RowAccounting,
}

/// Checks a request's variables against the data dictionary, listing every problem.
pub fn aggregate_problems(
    d: &DatasetDescription,
    group_by: &[String],
    measure: Option<&str>,
    cohort: &Cohort,
) -> Vec<String> {
    let mut p = Vec::new();
    if group_by.is_empty() {
        p.push("group_by: name at least one variable".into());
    }
    for g in group_by {
        match d.variable(g) {
            None => p.push(format!("group_by: '{g}' is not in the data dictionary")),
            Some(v) if v.sensitivity == Sensitivity::DirectIdentifier => p.push(format!(
                "group_by: '{g}' is a direct identifier and cannot be grouped by"
            )),
            Some(_) => {}
        }
    }
    if let Some(m) = measure {
        match d.variable(m) {
            Some(v)
                if matches!(
                    v.variable_type,
                    VariableType::Integer | VariableType::Decimal
                ) => {}
            Some(v) => p.push(format!(
                "measure: '{m}' is of type {}; only integer and decimal variables can be summed",
                v.variable_type.as_str()
            )),
            None => p.push(format!("measure: '{m}' is not in the data dictionary")),
        }
    }
    p.extend(hdab_permits::cohort::cohort_problems(cohort, d));
    p
}

/// The value of row `r` of a typed column as a group label.
fn label(column: &dyn Array, r: usize) -> String {
    if column.is_null(r) {
        return "(missing)".into();
    }
    match column.data_type() {
        DataType::Utf8 => column.as_string::<i32>().value(r).to_string(),
        DataType::Int64 => column.as_primitive::<Int64Type>().value(r).to_string(),
        DataType::Float64 => column.as_primitive::<Float64Type>().value(r).to_string(),
        DataType::Date32 => {
            use chrono::Datelike;
            crate::values::from_date32(column.as_primitive::<Date32Type>().value(r))
                .year()
                .to_string()
        }
        _ => "(other)".into(),
    }
}

fn number(column: &dyn Array, r: usize) -> f64 {
    if column.is_null(r) {
        return 0.0;
    }
    match column.data_type() {
        DataType::Int64 => column.as_primitive::<Int64Type>().value(r) as f64,
        DataType::Float64 => column.as_primitive::<Float64Type>().value(r),
        _ => 0.0,
    }
}

pub async fn aggregate(input: &AggregateInput<'_>) -> Result<Aggregates, PipelineError> {
    let problems = aggregate_problems(
        input.description,
        input.group_by,
        input.measure,
        input.cohort,
    );
    if !problems.is_empty() {
        return Err(PipelineError::InvalidRequest(problems));
    }
    let (prepared, streams) = prepare(
        input.upload_path,
        input.description,
        input.cohort,
        None,
        input.reference_date,
        crate::source::session(crate::DEFAULT_PARTITIONS),
    )
    .await?;
    let index = |name: &str| {
        prepared
            .typed_vars
            .iter()
            .position(|(_, v)| v.name.eq_ignore_ascii_case(name))
    };
    let group_idx: Vec<usize> = input.group_by.iter().filter_map(|g| index(g)).collect();
    let measure_idx = input.measure.and_then(index);
    let mut counts = PartitionCounts::default();
    // cell → (rows, person → contribution)
    let mut cells: HashMap<Vec<String>, (u64, HashMap<PersonId, f64>)> = HashMap::new();
    for mut stream in streams {
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            let c = classify(
                &batch,
                &prepared,
                input.registry_key,
                input.optouts,
                &mut counts,
            )?;
            let mut next_kept = 0;
            for r in 0..c.keep.len() {
                if !c.keep.value(r) {
                    continue;
                }
                let person = c.kept_ids[next_kept];
                next_kept += 1;
                let key: Vec<String> = group_idx
                    .iter()
                    .map(|i| label(c.typed.column(*i).as_ref(), r))
                    .collect();
                let value = measure_idx.map_or(0.0, |i| number(c.typed.column(i).as_ref(), r));
                let cell = cells.entry(key).or_default();
                cell.0 += 1;
                *cell.1.entry(person).or_default() += value;
            }
        }
    }
    let mut rows = RowAccounting::with_every_reason();
    rows.add(&counts);
    let cells = cells
        .into_iter()
        .map(|(key, (n_rows, persons))| {
            let mut contributions: Vec<f64> = persons.values().map(|v| v.abs()).collect();
            contributions.sort_by(|a, b| b.total_cmp(a));
            let abs_sum = contributions.iter().sum();
            CellStats {
                key,
                n_persons: persons.len() as u64,
                n_rows,
                sum: input.measure.map(|_| persons.values().sum()),
                top_contributions: contributions.into_iter().take(5).collect(),
                abs_sum,
            }
        })
        .collect();
    Ok(Aggregates { cells, rows })
}
