//! The extraction as one DataFusion plan (`build.rs`) over the kernels as scalar functions
//! (`udfs.rs`), run on a [`PlanEngine`]: a local session, or a DataFusion Ballista
//! cluster's (the `hdab-cluster` crate makes one). The delivered rows come back to this
//! process, which writes them through the same staging, leak scan, manifest and atomic
//! commit as the single-machine pipeline (`extract.rs`); that pipeline stays the default on
//! one machine (it streams one partition per core with no exchange), and both deliver the
//! same rows, pseudonyms and accounting (`tests/plan.rs`).

mod build;
pub mod udfs;

use crate::PipelineError;
use crate::deliver::{ManifestFile, PartitionCounts, PersonFilter, RowAccounting, StagedDelivery};
use crate::input::ExtractionInput;
use crate::run::{manifest_of, writer_properties};
use build::{Broadcast, CLASS, DELIVERED, ROWS, WHY, extraction_plan, other_class};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryArray, Int32Array, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
pub use udfs::{GivenKeys, KeySource, extraction_functions};

/// Where extraction plans run.
#[allow(missing_debug_implementations)]
pub struct PlanEngine {
    /// A session whose registry has the extraction's functions: keyed on this machine,
    /// keyless stubs when it plans for a cluster (whose executors hold the keys).
    pub ctx: SessionContext,
    /// A folder every process that runs the plan can read: the broadcast tables (keyed
    /// hashes of the opted-out and of the study population) are written there for the run.
    pub scratch: PathBuf,
    /// Recorded in each manifest (`None`: this machine).
    pub ran_on: Option<String>,
}

impl PlanEngine {
    /// A local session running the plan with the keys this run derived.
    pub fn local(partitions: usize, keys: Arc<dyn KeySource>, scratch: PathBuf) -> PlanEngine {
        let ctx = crate::source::session(partitions);
        for f in extraction_functions(Some(keys)) {
            ctx.register_udf(f);
        }
        PlanEngine {
            ctx,
            scratch,
            ran_on: None,
        }
    }
}

/// Runs one dataset's extraction as a plan on `engine` into a staging folder, ready to
/// commit: the same checks, accounting and manifest as [`crate::stage_extraction`].
pub async fn stage_on(
    engine: &PlanEngine,
    input: &ExtractionInput<'_>,
) -> Result<StagedDelivery, PipelineError> {
    let problems = input.request.problems_against(input.description);
    if !problems.is_empty() {
        return Err(PipelineError::InvalidRequest(problems));
    }
    let scratch = Scratch::new(&engine.scratch)?;
    let optouts = (!input.optouts.is_empty())
        .then(|| scratch.optouts(input))
        .transpose()?;
    let population = input
        .population
        .map(|p| scratch.population(input, p))
        .transpose()?;
    let broadcast = Broadcast {
        optouts: optouts.as_deref(),
        population: population.as_deref(),
    };
    let plan = extraction_plan(&engine.ctx, input, &broadcast).await?;
    tracing::debug!(plan = %plan.delivered.logical_plan().display_indent(), "extraction plan");

    let staging = input.spe.stage(input.permit_id, &input.description.id)?;
    let written = write_parts(
        input,
        &plan.delivered,
        &plan.out_schema,
        plan.other_roles,
        &staging,
    )
    .await;
    let (files, delivered_persons, delivered_rows) = match written {
        Ok(x) => x,
        Err(e) => {
            staging.abort();
            return Err(e);
        }
    };
    let counts = match accounting(&plan.accounting, plan.other_roles).await {
        Ok(c) => c,
        Err(e) => {
            staging.abort();
            return Err(e);
        }
    };
    // The progress counted delivered rows as they came; the run has read them all now.
    if let Some(p) = input.progress {
        p.store(counts.rows_in, Ordering::Relaxed);
    }
    let mut rows = RowAccounting::with_every_reason();
    rows.add(&counts);
    let mut manifest = manifest_of(input, rows, files, &plan.out_schema);
    manifest.ran_on = engine.ran_on.clone();
    if !manifest.rows.balances() || manifest.rows.delivered != delivered_rows {
        staging.abort();
        return Err(PipelineError::Unsupported(format!(
            "row accounting does not balance ({} rows written, {} counted delivered); nothing was delivered",
            delivered_rows, manifest.rows.delivered
        )));
    }
    crate::crash_point("parts-synced");
    staging
        .with_delivered_persons(delivered_persons)
        .with_manifest(manifest)
}

/// Each output partition of the delivered frame into its own part file, concurrently.
async fn write_parts(
    input: &ExtractionInput<'_>,
    delivered: &datafusion::dataframe::DataFrame,
    out_schema: &SchemaRef,
    other_roles: usize,
    staging: &StagedDelivery,
) -> Result<(Vec<ManifestFile>, PersonFilter, u64), PipelineError> {
    let props = writer_properties(input, &input.description.id)?;
    let streams = delivered.clone().execute_stream_partitioned().await?;
    let parts = streams.into_iter().enumerate().map(|(i, mut stream)| {
        let path = staging.path().join(format!("part-{i:05}.parquet"));
        let props = props.clone();
        async move {
            let file = std::fs::File::create(&path).map_err(|e| PipelineError::io(&path, e))?;
            let mut writer = ArrowWriter::try_new(file, out_schema.clone(), Some(props))
                .map_err(|e| PipelineError::writing(&path, e))?;
            let mut persons = PersonFilter::default();
            let mut rows = 0u64;
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                let n = batch.num_rows();
                if n == 0 {
                    continue;
                }
                let width = out_schema.fields().len();
                for k in 0..=other_roles {
                    insert_hashes(&mut persons, batch.column(width + k).as_ref());
                }
                let columns = out_schema
                    .fields()
                    .iter()
                    .enumerate()
                    .map(|(j, f)| as_delivered(batch.column(j), f))
                    .collect::<Result<Vec<_>, _>>()?;
                writer
                    .write(&RecordBatch::try_new(out_schema.clone(), columns)?)
                    .map_err(|e| PipelineError::writing(&path, e))?;
                crate::crash_point("writing-part");
                rows += n as u64;
                if let Some(p) = input.progress {
                    p.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
            let file = writer
                .into_inner()
                .map_err(|e| PipelineError::writing(&path, e))?;
            file.sync_all().map_err(|e| PipelineError::io(&path, e))?;
            let bytes = std::fs::metadata(&path)
                .map_err(|e| PipelineError::io(&path, e))?
                .len();
            let name = format!("part-{i:05}.parquet");
            let sha256 = crate::deliver::sha256_file(&path)?;
            Ok::<_, PipelineError>((
                ManifestFile {
                    name,
                    rows,
                    bytes,
                    sha256,
                },
                persons,
            ))
        }
    });
    let mut files = Vec::new();
    let mut persons = PersonFilter::default();
    let mut total = 0;
    for (file, p) in futures::future::try_join_all(parts).await? {
        total += file.rows;
        files.push(file);
        persons.union(&p);
    }
    Ok((files, persons, total))
}

/// A column as the delivered schema types it (the plan's types are the single-machine
/// run's; a cluster's reader may hand back a compatible layout, such as string views).
fn as_delivered(column: &ArrayRef, field: &Field) -> Result<ArrayRef, PipelineError> {
    if column.data_type() == field.data_type() {
        return Ok(column.clone());
    }
    Ok(cast(column, field.data_type())?)
}

fn insert_hashes(persons: &mut PersonFilter, column: &dyn Array) {
    let Some(hashes) = column.as_binary_opt::<i32>() else {
        return;
    };
    for h in hashes.iter().flatten() {
        if let Ok(h) = <[u8; 32]>::try_from(h) {
            persons.insert(&h);
        }
    }
}

/// The accounting frame folded into counts (its groups: class, reason, other roles' classes).
async fn accounting(
    frame: &datafusion::dataframe::DataFrame,
    other_roles: usize,
) -> Result<PartitionCounts, PipelineError> {
    let mut counts = PartitionCounts::default();
    for batch in frame.clone().collect().await? {
        let column = |name: &str| -> Result<ArrayRef, PipelineError> {
            let i = batch.schema().index_of(name)?;
            Ok(cast(batch.column(i), &DataType::Utf8)?)
        };
        let class = column(CLASS)?;
        let why = column(WHY)?;
        let others = (0..other_roles)
            .map(|k| column(&other_class(k)))
            .collect::<Result<Vec<_>, _>>()?;
        let n = cast(
            batch.column(batch.schema().index_of(ROWS)?),
            &DataType::UInt64,
        )?;
        let n = n.as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
        for row in 0..batch.num_rows() {
            let rows = n.value(row);
            counts.rows_in += rows;
            let class = class.as_string::<i32>().value(row);
            match class {
                DELIVERED => {
                    counts.delivered += rows;
                    for o in &others {
                        match o.as_string::<i32>().value(row) {
                            build::OPTED_OUT => counts.other_role_opted_out += rows,
                            build::OTHER_NO_VALID_ID => counts.other_role_no_valid_id += rows,
                            _ => {}
                        }
                    }
                }
                build::INVALID => {
                    let reason = why.as_string::<i32>().value(row);
                    let reason = hdab_pseudonymise::IdRejection::ALL
                        .iter()
                        .map(|r| r.as_str())
                        .find(|r| *r == reason)
                        .ok_or_else(|| {
                            PipelineError::Unsupported(format!(
                                "unknown identifier problem '{reason}'"
                            ))
                        })?;
                    *counts.invalid.entry(reason).or_default() += rows;
                }
                build::OUTSIDE_POPULATION => counts.outside_population += rows,
                build::OUTSIDE_COHORT => counts.outside_cohort += rows,
                build::OPTED_OUT => counts.opted_out += rows,
                other => {
                    return Err(PipelineError::Unsupported(format!(
                        "unknown row class '{other}'"
                    )));
                }
            }
        }
    }
    Ok(counts)
}

/// The run's broadcast tables, removed when the run ends.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(root: &Path) -> Result<Scratch, PipelineError> {
        let dir = root.join(format!("run-{}-{}", std::process::id(), unique()));
        std::fs::create_dir_all(&dir).map_err(|e| PipelineError::io(&dir, e))?;
        Ok(Scratch { dir })
    }

    fn write(&self, name: &str, batch: RecordBatch) -> Result<PathBuf, PipelineError> {
        let path = self.dir.join(name);
        let file = std::fs::File::create(&path).map_err(|e| PipelineError::io(&path, e))?;
        let mut writer = ArrowWriter::try_new(file, batch.schema(), None)
            .map_err(|e| PipelineError::writing(&path, e))?;
        writer
            .write(&batch)
            .map_err(|e| PipelineError::writing(&path, e))?;
        writer
            .close()
            .map_err(|e| PipelineError::writing(&path, e))?;
        Ok(path)
    }

    /// The opted-out persons' registry hashes (keyed: they name no one).
    fn optouts(&self, input: &ExtractionInput<'_>) -> Result<PathBuf, PipelineError> {
        let hashes: BinaryArray = input.optouts.iter().map(|h| Some(&h[..])).collect();
        let schema = Arc::new(Schema::new(vec![Field::new(
            "hash",
            DataType::Binary,
            false,
        )]));
        self.write(
            "optouts.parquet",
            RecordBatch::try_new(schema, vec![Arc::new(hashes)])?,
        )
    }

    /// The study population's members by registry hash, with their index days.
    fn population(
        &self,
        input: &ExtractionInput<'_>,
        population: &crate::members::Population,
    ) -> Result<PathBuf, PipelineError> {
        let mut hashes = Vec::with_capacity(population.members.len());
        let mut days = Vec::with_capacity(population.members.len());
        for (person, member) in population.members.iter() {
            hashes.push(hdab_pseudonymise::registry_hash(input.registry_key, person));
            days.push(member.index_day);
        }
        let hashes: BinaryArray = hashes.iter().map(|h| Some(&h[..])).collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new("hash", DataType::Binary, false),
            Field::new("index_day", DataType::Int32, false),
        ]));
        self.write(
            "population.parquet",
            RecordBatch::try_new(
                schema,
                vec![Arc::new(hashes), Arc::new(Int32Array::from(days))],
            )?,
        )
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn unique() -> u64 {
    use std::sync::atomic::AtomicU64;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    (u64::from(nanos) << 16) | NEXT.fetch_add(1, Ordering::Relaxed)
}
