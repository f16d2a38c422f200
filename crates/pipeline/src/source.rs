//! Reading an upload with DataFusion as streams of record batches, one per partition.
//!
//! CSV is read with every column as text (typing is ours, by the data dictionary, so that
//! every problem can be named); the separator is sniffed from the header row. Parquet is read
//! as it is. Column names are matched to the dictionary without case.

use crate::PipelineError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionConfig, SessionContext};
use hdab_catalog::{DatasetDescription, Variable};
use std::io::{BufRead, BufReader};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv { separator: u8 },
    Parquet,
}

/// The format of a stored upload, from its extension and (for CSV) its header row.
pub fn detect_format(path: &Path) -> Result<(Format, Vec<String>), PipelineError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("parquet") => {
            check_parquet_frame(path)?;
            Ok((Format::Parquet, Vec::new()))
        }
        Some("csv") | Some("txt") => {
            let file = std::fs::File::open(path).map_err(|e| PipelineError::io(path, e))?;
            let mut first = Vec::new();
            BufReader::new(file)
                .read_until(b'\n', &mut first)
                .map_err(|e| PipelineError::io(path, e))?;
            let line = String::from_utf8_lossy(&first);
            let line = line
                .trim_start_matches('\u{feff}')
                .trim_end_matches(['\r', '\n']);
            if line.trim().is_empty() {
                return Err(PipelineError::Rejected(vec![
                    "the file is empty: expected a header row with the column names".into(),
                ]));
            }
            let separator = if line.matches(';').count() >= line.matches(',').count() {
                b';'
            } else {
                b','
            };
            let names = line
                .split(separator as char)
                .map(|n| n.trim().trim_matches('"').to_string())
                .collect();
            Ok((Format::Csv { separator }, names))
        }
        _ => Err(PipelineError::Rejected(vec![
            "unknown file type: send CSV (.csv) or Parquet (.parquet)".into(),
        ])),
    }
}

/// The frame of a Parquet file — magic at both ends, and a footer length that fits in the
/// file — checked before any reader sees it: the parquet crate's metadata decoder panics
/// ("attempt to subtract with overflow") on a footer that claims more than the file holds.
fn check_parquet_frame(path: &Path) -> Result<(), PipelineError> {
    use std::io::{Read, Seek, SeekFrom};
    let damaged = |what: String| {
        PipelineError::Rejected(vec![format!(
            "the Parquet file is damaged or cut off ({what}); export it again and upload the whole file"
        )])
    };
    let mut file = std::fs::File::open(path).map_err(|e| PipelineError::io(path, e))?;
    let len = file
        .metadata()
        .map_err(|e| PipelineError::io(path, e))?
        .len();
    if len < 12 {
        return Err(damaged(format!(
            "{len} bytes; a Parquet file has at least 12"
        )));
    }
    let mut head = [0u8; 4];
    file.read_exact(&mut head)
        .map_err(|e| PipelineError::io(path, e))?;
    let mut tail = [0u8; 8];
    file.seek(SeekFrom::End(-8))
        .and_then(|_| file.read_exact(&mut tail))
        .map_err(|e| PipelineError::io(path, e))?;
    if &head != b"PAR1" || &tail[4..] != b"PAR1" {
        return Err(damaged("it does not begin and end with PAR1".into()));
    }
    let footer = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if footer + 12 > len {
        return Err(damaged(format!(
            "its footer claims {footer} bytes of metadata in a file of {len} bytes"
        )));
    }
    Ok(())
}

/// How many partitions (parallel streams, and part files) an extraction uses unless the
/// settings say otherwise. Fixed, not the core count, so the same inputs give the same files
/// on any machine; the manifest records it.
pub const DEFAULT_PARTITIONS: usize = 2;

/// The partitions a setting may ask for.
pub const PARTITIONS_RANGE: std::ops::RangeInclusive<usize> = 1..=64;

/// A DataFusion session with `partitions` partitions.
///
/// Each partition reads exactly the file group the plan gave it: DataFusion's work stealing
/// between sibling partitions (on by default) would let whichever thread is idle first take
/// the next byte range, so `part-00000` would hold different rows from run to run and the
/// same inputs would not give the same bytes. (A Ballista executor, which runs partitions as
/// isolated tasks, needs it off too.)
pub fn session(partitions: usize) -> SessionContext {
    let mut config = SessionConfig::new()
        .with_target_partitions(partitions.clamp(1, 64))
        .with_batch_size(8192)
        .with_information_schema(false);
    config
        .options_mut()
        .execution
        .enable_file_stream_work_stealing = false;
    // Strings as plain `Utf8`, the type hdab types and delivers them in: read as views they
    // would be copied once more into `Utf8` (see `values::type_column`).
    config
        .options_mut()
        .execution
        .parquet
        .schema_force_view_types = false;
    SessionContext::new_with_config(config)
}

/// The upload's columns mapped to the dictionary, in file order: `Some(variable)` for a
/// described column. Every problem (missing, unknown or duplicate column) is listed.
pub fn map_columns<'d>(
    names: &[String],
    description: &'d DatasetDescription,
) -> Result<Vec<&'d Variable>, PipelineError> {
    let mut problems = Vec::new();
    let mut mapped = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match description.variable_for_column(name) {
            Some(v) if mapped.iter().any(|m: &&Variable| m.name == v.name) => problems.push(
                format!("column {} '{name}' appears twice", i + 1),
            ),
            Some(v) => mapped.push(v),
            None => problems.push(format!(
                "column {} '{name}' is not in the data dictionary of '{}' (describe it first, or remove it from the file)",
                i + 1,
                description.id
            )),
        }
    }
    for v in &description.variables {
        if !names.iter().any(|n| v.reads_column(n)) {
            problems.push(match &v.column {
                Some(column) => format!(
                    "column '{column}' (variable '{}') is in the data dictionary but missing from the file",
                    v.name
                ),
                None => format!(
                    "column '{}' is in the data dictionary but missing from the file",
                    v.name
                ),
            });
        }
    }
    if problems.is_empty() {
        Ok(mapped)
    } else {
        Err(PipelineError::Rejected(problems))
    }
}

/// Opens the upload and returns one stream per partition, with the file's column names.
pub async fn open_streams(
    ctx: &SessionContext,
    path: &Path,
) -> Result<(Vec<String>, Vec<SendableRecordBatchStream>), PipelineError> {
    let df = read_upload(ctx, path).await?;
    let names = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let task = df.task_ctx();
    let plan = df.create_physical_plan().await?;
    tracing::debug!(
        plan = %datafusion::physical_plan::displayable(plan.as_ref()).one_line(),
        partitions = datafusion::physical_plan::ExecutionPlanProperties::output_partitioning(&plan).partition_count(),
        "reading the upload"
    );
    let streams =
        datafusion::physical_plan::execute_stream_partitioned(plan, std::sync::Arc::new(task))?;
    Ok((names, streams))
}

/// The upload as a DataFrame: CSV with every column as text (names as written), Parquet as
/// it is. The extraction plan (`plan/`) starts from it too.
pub async fn read_upload(
    ctx: &SessionContext,
    path: &Path,
) -> Result<datafusion::dataframe::DataFrame, PipelineError> {
    let (format, header) = detect_format(path)?;
    let location = path.to_str().ok_or_else(|| {
        PipelineError::Rejected(vec!["the upload's path is not valid UTF-8".into()])
    })?;
    let df = match format {
        Format::Csv { separator } => {
            use datafusion::arrow::datatypes::{DataType, Field, Schema};
            let schema = Schema::new(
                header
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        // Names as written; empty or duplicate header cells get a position name
                        // so DataFusion accepts the schema and map_columns can name the problem.
                        let name = if n.is_empty() || header[..i].contains(n) {
                            format!("column_{}", i + 1)
                        } else {
                            n.clone()
                        };
                        Field::new(name, DataType::Utf8, true)
                    })
                    .collect::<Vec<_>>(),
            );
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(|e| format!(".{e}"))
                .unwrap_or_default();
            let options = CsvReadOptions::new()
                .has_header(true)
                .delimiter(separator)
                .schema(&schema)
                .file_extension(&ext);
            ctx.read_csv(location, options).await?
        }
        Format::Parquet => {
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(|e| format!(".{e}"))
                .unwrap_or_default();
            ctx.read_parquet(location, ParquetReadOptions::default().file_extension(&ext))
                .await?
        }
    };
    Ok(df)
}
