//! A permit's pseudonyms, in both directions: every pseudonym delivered into its workspace
//! (what output checking looks for in results), and the one person behind a pseudonym,
//! found by recomputing the permit's pseudonyms over an upload (there is no lookup table
//! to consult: a significant finding's re-identification, Art. 61(5)).

use crate::PipelineError;
use crate::source::{map_columns, open_streams, session};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use futures::StreamExt;
use hdab_catalog::{DatasetDescription, VariableType};
use hdab_pseudonymise::{DerivedKey, PersonId, parse_id_column, pseudonym};
use std::collections::HashSet;
use std::path::Path;

/// Is `s` written as a pseudonym is (32 characters of lower-case base32)?
pub fn looks_like_pseudonym(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
}

/// Every pseudonym in the Parquet files under `folder` (a permit's workspace): each text
/// value of each column that reads as one.
pub fn delivered_pseudonyms(folder: &Path) -> Result<HashSet<String>, PipelineError> {
    let mut out = HashSet::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                collect_pseudonyms(&path, &mut out)?;
            }
        }
    }
    Ok(out)
}

fn collect_pseudonyms(path: &Path, out: &mut HashSet<String>) -> Result<(), PipelineError> {
    let file = std::fs::File::open(path).map_err(|e| PipelineError::io(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| PipelineError::Unsupported(format!("{}: {e}", path.display())))?;
    for batch in reader {
        let batch = batch.map_err(|e| PipelineError::Unsupported(e.to_string()))?;
        for column in batch.columns() {
            let mut add = |v: Option<&str>| {
                if let Some(v) = v.filter(|v| looks_like_pseudonym(v)) {
                    out.insert(v.to_string());
                }
            };
            match column.data_type() {
                DataType::Utf8 => column.as_string::<i32>().iter().for_each(&mut add),
                DataType::LargeUtf8 => column.as_string::<i64>().iter().for_each(&mut add),
                DataType::Utf8View => column.as_string_view().iter().for_each(&mut add),
                _ => {}
            }
        }
    }
    Ok(())
}

/// The person whose pseudonym under `key` is `target`, among every person id (every role)
/// of the upload; `None` if no one in it has that pseudonym.
pub async fn find_person(
    upload_path: &Path,
    description: &DatasetDescription,
    reference: chrono::NaiveDate,
    key: &DerivedKey,
    target: &str,
) -> Result<Option<PersonId>, PipelineError> {
    let ctx = session(1);
    let (names, streams) = open_streams(&ctx, upload_path).await?;
    let ids: Vec<usize> = map_columns(&names, description)?
        .iter()
        .enumerate()
        .filter(|(_, v)| v.variable_type == VariableType::PersonId)
        .map(|(i, _)| i)
        .collect();
    for mut stream in streams {
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(PipelineError::from)?;
            for &i in &ids {
                let parsed = parse_id_column(batch.column(i).as_ref(), reference)
                    .map_err(|e| PipelineError::Unsupported(e.to_string()))?;
                if let Some(found) = parsed
                    .into_iter()
                    .flatten()
                    .find(|id| pseudonym(key, id) == target)
                {
                    return Ok(Some(found));
                }
            }
        }
    }
    Ok(None)
}
