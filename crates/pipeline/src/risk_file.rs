//! The re-identification risk of any CSV or Parquet file over named columns (`hdab risk`):
//! support for a holder (or the HDAB) to measure a table before it leaves, and to see what
//! k-anonymisation would do to it. Reads the file on every core, each partition into a
//! table of its own, merged at the end; nothing is written.

use crate::PipelineError;
use crate::source::{open_streams, session};
use crate::values::{as_text, as_utf8, type_column};
use datafusion::arrow::array::{
    Array, AsArray, Date32Array, Int64Array, StringArray, StringViewArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type, Int64Type};
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use hdab_anonymise::{Outcome, Quasi, RiskReport, Table, Target, Value};
use hdab_catalog::VariableType;
use serde::Serialize;
use std::path::Path;

/// What `hdab risk` measured.
#[derive(Debug, Clone, Serialize)]
pub struct FileRisk {
    pub records: u64,
    pub quasi_identifiers: Vec<String>,
    /// Per quasi-identifier: values that did not read as its type (counted as missing).
    pub unreadable: Vec<(String, u64)>,
    /// The file as it is.
    pub risk: RiskReport,
    /// With `--search`: the lattice search's outcome and the risk at its choice.
    pub search: Option<(Outcome, Option<RiskReport>)>,
    /// The chosen level of each quasi-identifier, by name (`month`, `band:10`).
    pub chosen_levels: Vec<String>,
}

/// Measures `path` over `quasi` (each with its hierarchy, for the search, and the type its
/// values are read as: dates in any register form, whole numbers, or text).
pub async fn measure_file(
    path: &Path,
    quasi: Vec<(Quasi, VariableType)>,
    target: Target,
    search: bool,
    partitions: usize,
) -> Result<FileRisk, PipelineError> {
    let (quasi, kinds): (Vec<Quasi>, Vec<VariableType>) = quasi.into_iter().unzip();
    let ctx = session(partitions);
    let (names, streams) = open_streams(&ctx, path).await?;
    let mut columns = Vec::new();
    let mut missing = Vec::new();
    for q in &quasi {
        match names
            .iter()
            .position(|n| n.trim().eq_ignore_ascii_case(&q.name))
        {
            Some(i) => columns.push(i),
            None => missing.push(format!(
                "'{}' is not a column of the file (its columns: {})",
                q.name,
                names.join(", ")
            )),
        }
    }
    if !missing.is_empty() {
        return Err(PipelineError::InvalidRequest(missing));
    }
    let readers: Vec<hdab_catalog::Variable> = quasi
        .iter()
        .zip(&kinds)
        .map(|(q, t)| hdab_catalog::Variable {
            name: q.name.clone(),
            column: None,
            variable_type: *t,
            description: String::new(),
            code_system: None,
            sensitivity: hdab_catalog::Sensitivity::QuasiIdentifier,
            partial_dates: true,
            role: None,
            of_role: None,
            hierarchy: None,
        })
        .collect();
    let parts: Vec<Result<(Table, Vec<u64>), PipelineError>> = tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let handles: Vec<_> = streams
                .into_iter()
                .map(|stream| {
                    let (quasi, columns, readers) = (quasi.clone(), &columns, &readers);
                    scope.spawn(move || {
                        let runtime = tokio::runtime::Builder::new_current_thread()
                            .build()
                            .map_err(|e| PipelineError::io(path, e))?;
                        runtime.block_on(fold(stream, quasi, columns, readers))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(PipelineError::Unsupported("a reader crashed".into()))
                    })
                })
                .collect()
        })
    });
    let mut table = Table::new(quasi.clone());
    let mut unreadable = vec![0u64; quasi.len()];
    for part in parts {
        let (part, bad) = part?;
        table.merge(part).map_err(crate::anonymised::too_many)?;
        for (u, b) in unreadable.iter_mut().zip(bad) {
            *u += b;
        }
    }
    let exact = vec![0; quasi.len()];
    let risk = table.risk_at(&exact, target.k);
    let search = if search {
        let outcome = table
            .search(&target)
            .map_err(|e| PipelineError::InvalidRequest(vec![e.to_string()]))?;
        let after = outcome
            .chosen
            .as_ref()
            .map(|c| table.risk_after(&c.levels, target.k));
        Some((outcome, after))
    } else {
        None
    };
    let chosen_levels = search
        .as_ref()
        .and_then(|(o, _)| o.chosen.as_ref())
        .map(|c| {
            quasi
                .iter()
                .zip(&c.levels)
                .map(|(q, l)| q.hierarchy.levels[*l].as_text())
                .collect()
        })
        .unwrap_or_default();
    Ok(FileRisk {
        chosen_levels,
        records: table.records(),
        unreadable: quasi
            .iter()
            .map(|q| q.name.clone())
            .zip(unreadable)
            .collect(),
        quasi_identifiers: quasi.into_iter().map(|q| q.name).collect(),
        risk,
        search,
    })
}

async fn fold(
    mut stream: SendableRecordBatchStream,
    quasi: Vec<Quasi>,
    columns: &[usize],
    readers: &[hdab_catalog::Variable],
) -> Result<(Table, Vec<u64>), PipelineError> {
    let mut table = Table::new(quasi);
    let mut unreadable = vec![0u64; columns.len()];
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let mut typed = Vec::with_capacity(columns.len());
        for (i, (c, reader)) in columns.iter().zip(readers).enumerate() {
            let column = batch.column(*c);
            let wanted = match reader.variable_type {
                VariableType::Date => DataType::Date32,
                VariableType::Integer => DataType::Int64,
                _ => DataType::Utf8,
            };
            typed.push(match column.data_type() {
                t if *t == wanted => column.clone(),
                DataType::Int8 | DataType::Int16 | DataType::Int32 if wanted == DataType::Int64 => {
                    cast(column, &wanted)?
                }
                DataType::Utf8View if wanted == DataType::Utf8 => column.clone(),
                _ if wanted == DataType::Utf8 => as_utf8(column)?,
                // Text (or another type) goes through the same parsers as uploads.
                _ => {
                    let t = type_column(as_text(column)?.as_ref(), reader);
                    unreadable[i] += t.problems.len() as u64;
                    t.values
                }
            });
        }
        let values: Vec<Column<'_>> = typed
            .iter()
            .map(|a| match a.data_type() {
                DataType::Date32 => Column::Days(a.as_primitive::<Date32Type>()),
                DataType::Int64 => Column::Numbers(a.as_primitive::<Int64Type>()),
                DataType::Utf8View => Column::Views(a.as_string_view()),
                _ => Column::Texts(a.as_string::<i32>()),
            })
            .collect();
        for row in 0..batch.num_rows() {
            table
                .add_values(|i| values[i].value(row), 1)
                .map_err(crate::anonymised::too_many)?;
        }
    }
    Ok((table, unreadable))
}

/// One quasi-identifier's column of a batch, typed.
enum Column<'a> {
    Texts(&'a StringArray),
    Views(&'a StringViewArray),
    Numbers(&'a Int64Array),
    Days(&'a Date32Array),
}

impl Column<'_> {
    fn value(&self, row: usize) -> Value<'_> {
        match self {
            _ if self.is_null(row) => Value::Missing,
            Column::Texts(a) => Value::Text(a.value(row)),
            Column::Views(a) => Value::Text(a.value(row)),
            Column::Numbers(a) => Value::Number(a.value(row)),
            Column::Days(a) => Value::Day(a.value(row)),
        }
    }

    fn is_null(&self, row: usize) -> bool {
        match self {
            Column::Texts(a) => a.is_null(row),
            Column::Views(a) => a.is_null(row),
            Column::Numbers(a) => a.is_null(row),
            Column::Days(a) => a.is_null(row),
        }
    }
}
