//! Checking an upload against its data dictionary before it can be used.

use crate::PipelineError;
use crate::source::{map_columns, open_streams};
use crate::values::type_column;
use chrono::NaiveDate;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
use hdab_catalog::{DatasetDescription, VariableType};
use hdab_pseudonymise::{IdRejection, parse_id_column};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What the holder is told about an accepted upload.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct UploadReport {
    pub n_rows: u64,
    pub n_valid_identifiers: u64,
    /// Invalid identifiers by reason; such rows are set aside at extraction, never delivered.
    pub invalid_identifiers: BTreeMap<String, u64>,
    /// Empty values per variable.
    pub n_empty: BTreeMap<String, u64>,
    /// Values that read as a personnummer or samordningsnummer in a variable not described
    /// as an identifier, per variable (the holder should describe it as one).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub identifiers_elsewhere: BTreeMap<String, u64>,
    /// Distinct people with a valid identifier in the row's person column (the first
    /// person identifier): HealthDCAT-AP's number of unique individuals. Absent in reports
    /// from before it was counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_unique_individuals: Option<u64>,
}

impl UploadReport {
    /// What the holder should fix in the description, in words.
    pub fn warnings(&self) -> Vec<String> {
        self.identifiers_elsewhere
            .iter()
            .map(|(column, n)| {
                format!(
                    "column '{column}': {n} values read as a personnummer or samordningsnummer; if it identifies people, describe it as type person_id (with a role) or sensitivity direct_identifier"
                )
            })
            .collect()
    }
}

/// A problem column: how many values fail and the first data row (1-based, header excluded).
struct ColumnProblems {
    count: u64,
    first_row: u64,
    what: &'static str,
}

/// Reads the whole upload once, typing every value by the dictionary. Rejected when a column
/// is missing or unknown, or any value of a typed column does not parse: the error names each
/// column, the problem, how many values and the first row. Invalid identifiers do not reject
/// the upload (they are counted and set aside at extraction).
pub async fn check_upload(
    path: &Path,
    description: &DatasetDescription,
    reference: NaiveDate,
) -> Result<UploadReport, PipelineError> {
    // One partition, so row numbers in messages are exact.
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    let (names, streams) = open_streams(&ctx, path).await?;
    let variables = map_columns(&names, description)?;
    let mut report = UploadReport {
        n_rows: 0,
        n_valid_identifiers: 0,
        invalid_identifiers: IdRejection::ALL
            .iter()
            .map(|r| (r.as_str().to_string(), 0))
            .collect(),
        n_empty: variables.iter().map(|v| (v.name.clone(), 0)).collect(),
        identifiers_elsewhere: BTreeMap::new(),
        n_unique_individuals: None,
    };
    // The row's person is the first person identifier; its distinct valid values are
    // counted (12 bytes each: a register of ten million people takes about 200 MB here).
    let person_column = variables
        .iter()
        .position(|v| v.variable_type == VariableType::PersonId);
    let mut individuals: std::collections::HashSet<[u8; 12]> = std::collections::HashSet::new();
    let mut problems: BTreeMap<String, ColumnProblems> = BTreeMap::new();
    for mut stream in streams {
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| {
                let place = if report.n_rows == 0 {
                    String::new()
                } else {
                    format!(" (somewhere after data row {})", report.n_rows)
                };
                PipelineError::Rejected(vec![format!(
                    "the file could not be read as a table{place}: {}",
                    short_engine_error(&e)
                )])
            })?;
            for (i, v) in variables.iter().enumerate() {
                let column = &crate::values::as_text(batch.column(i))?;
                *report.n_empty.entry(v.name.clone()).or_default() += column.null_count() as u64;
                if v.variable_type == VariableType::PersonId {
                    let parsed = parse_id_column(column.as_ref(), reference).map_err(|e| {
                        PipelineError::Rejected(vec![format!("column '{}': {e}", v.name)])
                    })?;
                    let is_person = person_column == Some(i);
                    for p in parsed {
                        match p {
                            Ok(id) => {
                                report.n_valid_identifiers += 1;
                                if is_person {
                                    individuals.insert(*id.canonical());
                                }
                            }
                            Err(r) => {
                                *report
                                    .invalid_identifiers
                                    .entry(r.as_str().to_string())
                                    .or_default() += 1
                            }
                        }
                    }
                    continue;
                }
                if v.sensitivity != hdab_catalog::Sensitivity::DirectIdentifier
                    && matches!(
                        v.variable_type,
                        VariableType::Code | VariableType::Text | VariableType::Integer
                    )
                    && let Ok(parsed) = parse_id_column(column.as_ref(), reference)
                {
                    let n = parsed.iter().filter(|p| p.is_ok()).count() as u64;
                    if n > 0 {
                        *report
                            .identifiers_elsewhere
                            .entry(v.name.clone())
                            .or_default() += n;
                    }
                }
                let typed = type_column(column.as_ref(), v);
                for (row, problem) in typed.problems {
                    let e = problems.entry(v.name.clone()).or_insert(ColumnProblems {
                        count: 0,
                        first_row: report.n_rows + row as u64 + 1,
                        what: problem.describe(),
                    });
                    e.count += 1;
                }
            }
            report.n_rows += batch.num_rows() as u64;
        }
    }
    if person_column.is_some() {
        report.n_unique_individuals = Some(individuals.len() as u64);
    }
    if !problems.is_empty() {
        return Err(PipelineError::Rejected(
            problems
                .into_iter()
                .map(|(col, p)| {
                    let t = description
                        .variable(&col)
                        .map_or("", |v| v.variable_type.as_str());
                    let values = if p.count == 1 {
                        "1 value".to_string()
                    } else {
                        format!("{} values", p.count)
                    };
                    format!(
                        "column '{col}' (type {t}): {values} {}; the first at data row {}",
                        p.what, p.first_row
                    )
                })
                .collect(),
        ));
    }
    Ok(report)
}

/// DataFusion's CSV errors quote the offending line; keep only the part before any data.
fn short_engine_error(e: &datafusion::error::DataFusionError) -> String {
    let text = e.to_string();
    if text.contains("incorrect number of fields") || text.contains("Encountered unequal lengths") {
        "a row has a different number of fields than the header (check the separator and quoting)"
            .to_string()
    } else if text.contains("invalid utf-8") || text.contains("Invalid UTF8") {
        "the text is not UTF-8 (save the file as UTF-8)".to_string()
    } else {
        // Drop anything after a colon that could quote file content.
        text.split(':').next().unwrap_or("unreadable").to_string()
    }
}
