//! One dataset of one permit: upload in, pseudonymised Parquet out (into staging).

use crate::PipelineError;
use crate::cohort::{BIRTH_DATE, CompiledCohort};
use crate::deliver::{ManifestFile, PartitionCounts, RowAccounting, StagedDelivery, sha256_file};
use crate::run::{manifest_of, writer_properties};
use crate::source::{map_columns, open_streams, session};
use crate::values::{as_text, date32, truncate_dates, type_column};
use chrono::NaiveDate;
use datafusion::arrow::array::{ArrayRef, AsArray, BooleanArray, Date32Builder, StringArray};
use datafusion::arrow::compute::filter;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;
use futures::StreamExt;
use hdab_catalog::{DatasetDescription, Variable, VariableType};
use hdab_permits::{DatasetRequest, Generalisation};
use hdab_pseudonymise::{DerivedKey, PersonId, parse_id_column, pseudonymise_ids, registry_hash};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// The delivered column that carries the person's pseudonym.
pub const PSEUDONYM_COLUMN: &str = "pseudonym";

/// Parquet compression of delivered files (some R builds lack zstd: snappy for them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Zstd,
    Snappy,
}

/// Everything one extraction needs. Keys are derived by the caller; the master key never
/// comes here.
pub struct ExtractionInput<'a> {
    pub permit_id: &'a str,
    pub spec_digest: &'a str,
    pub key_id: &'a str,
    pub key_version: u32,
    pub request: &'a DatasetRequest,
    pub description: &'a DatasetDescription,
    pub dataset_version: i64,
    pub upload_id: &'a str,
    pub upload_path: &'a Path,
    pub upload_sha256: &'a str,
    pub reference_date: NaiveDate,
    pub pseudonym_key: &'a DerivedKey,
    pub registry_key: &'a DerivedKey,
    pub optouts: &'a HashSet<[u8; 32]>,
    pub optout_registry_seq: i64,
    /// The permit's study population: only its people are delivered (and, with the
    /// request's window, only rows near their index dates).
    pub population: Option<&'a crate::population::Population>,
    pub spe: &'a crate::SpeFolder,
    /// Parallel streams and part files (see [`crate::DEFAULT_PARTITIONS`]).
    pub partitions: usize,
    pub compression: Compression,
    /// Rows read so far, for a progress display (updated after every batch).
    pub progress: Option<&'a std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for ExtractionInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtractionInput")
            .field("permit_id", &self.permit_id)
            .field("dataset", &self.description.id)
            .field("upload_id", &self.upload_id)
            .finish_non_exhaustive()
    }
}

/// One delivered variable: where it comes from and how it is shaped.
#[derive(Debug, Clone)]
struct OutputVariable {
    /// Index in the typed batch.
    typed_index: usize,
    variable: Variable,
    generalise: Option<Generalisation>,
}

/// Runs the extraction into a staging folder and returns it, ready to commit.
pub async fn stage_extraction(
    input: &ExtractionInput<'_>,
) -> Result<StagedDelivery, PipelineError> {
    let problems = input.request.problems_against(input.description);
    if !problems.is_empty() {
        return Err(PipelineError::InvalidRequest(problems));
    }
    let (mut prepared, streams) = prepare(
        input.upload_path,
        input.description,
        &input.request.cohort,
        input.request.person_role.as_deref(),
        input.reference_date,
        session(input.partitions),
    )
    .await?;
    prepared.population = match (input.population, &input.request.window) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(PipelineError::InvalidRequest(vec![
                "a window needs the permit's study population".into(),
            ]));
        }
        (Some(p), window) => Some(crate::population::PopulationFilter {
            members: p.members.clone(),
            window: match window {
                Some(w) => Some((typed_index(&prepared, &w.column)?, w.from_days, w.to_days)),
                None => None,
            },
        }),
    };
    let outputs = output_variables(input, &prepared.typed_vars);
    let out_schema = output_schema(&outputs, &prepared.other_ids);

    let staging = input.spe.stage(input.permit_id, &input.description.id)?;
    let props = writer_properties(input, &input.description.id)?;
    let shared = Arc::new(PartitionContext {
        prepared,
        outputs,
        out_schema: out_schema.clone(),
        props,
    });

    let results = run_partitions(input, streams, &shared, &staging);

    let mut rows = RowAccounting::with_every_reason();
    let mut files = Vec::new();
    let mut delivered_persons = crate::deliver::PersonFilter::default();
    for r in results {
        let (path, acc) = match r {
            Ok(x) => x,
            Err(e) => {
                staging.abort();
                return Err(e);
            }
        };
        rows.add(&acc);
        delivered_persons.union(&acc.delivered_persons);
        let bytes = std::fs::metadata(&path)
            .map_err(|e| PipelineError::io(&path, e))?
            .len();
        files.push(ManifestFile {
            name: path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string(),
            rows: acc.delivered,
            bytes,
            sha256: sha256_file(&path)?,
        });
    }
    let manifest = manifest_of(input, rows, files, &out_schema);
    if !manifest.rows.balances() {
        staging.abort();
        return Err(PipelineError::Unsupported(
            "row accounting does not balance; nothing was delivered".into(),
        ));
    }
    crate::crash_point("parts-synced");
    staging
        .with_delivered_persons(delivered_persons)
        .with_manifest(manifest)
}

/// The permitted variables in the order asked, each with where it comes from in the typed
/// batch and how it is generalised.
fn output_variables(
    input: &ExtractionInput<'_>,
    typed_vars: &[(usize, Variable)],
) -> Vec<OutputVariable> {
    input
        .request
        .variables
        .iter()
        .filter_map(|name| {
            let typed_index = typed_vars
                .iter()
                .position(|(_, v)| v.name.eq_ignore_ascii_case(name))?;
            let variable = typed_vars[typed_index].1.clone();
            let generalise = input
                .request
                .generalisations
                .iter()
                .find(|g| g.column().eq_ignore_ascii_case(&variable.name))
                .cloned();
            Some(OutputVariable {
                typed_index,
                variable,
                generalise,
            })
        })
        .collect()
}

/// The delivered schema: the pseudonym, then each variable (and its precision column where
/// dates may be partial).
fn output_schema(outputs: &[OutputVariable], other_roles: &[(usize, String)]) -> SchemaRef {
    let mut out_fields = vec![Field::new(PSEUDONYM_COLUMN, DataType::Utf8, false)];
    for (_, role) in other_roles {
        out_fields.push(Field::new(
            format!("{PSEUDONYM_COLUMN}_{role}"),
            DataType::Utf8,
            true,
        ));
    }
    for o in outputs {
        let data_type = match &o.generalise {
            Some(Generalisation::AgeBands { .. }) | Some(Generalisation::Truncate { .. }) => {
                DataType::Utf8
            }
            _ => crate::values::arrow_type(o.variable.variable_type),
        };
        out_fields.push(Field::new(&o.variable.name, data_type, true));
        if o.variable.partial_dates {
            out_fields.push(Field::new(
                format!("{}_PREC", o.variable.name),
                DataType::Utf8,
                true,
            ));
        }
    }
    Arc::new(Schema::new(out_fields))
}

/// One worker per partition, each on its own thread and runtime: both cores decode, hash
/// and encode at once. Each writes `part-<partition>.parquet` into staging.
fn run_partitions(
    input: &ExtractionInput<'_>,
    streams: Vec<SendableRecordBatchStream>,
    shared: &Arc<PartitionContext>,
    staging: &StagedDelivery,
) -> Vec<Result<(std::path::PathBuf, PartitionCounts), PipelineError>> {
    let mut results = Vec::new();
    // The workers block on their own runtimes; tell the caller's runtime to move its other
    // tasks off this thread meanwhile.
    tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let mut handles = Vec::new();
            for (i, stream) in streams.into_iter().enumerate() {
                let path = staging.path().join(format!("part-{i:05}.parquet"));
                let shared = shared.clone();
                let keys = (input.pseudonym_key, input.registry_key, input.optouts);
                let progress = input.progress;
                handles.push(scope.spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| PipelineError::io(&path, e))?;
                    runtime
                        .block_on(run_partition(stream, &shared, keys, &path, progress))
                        .map(|acc| (path, acc))
                }));
            }
            for h in handles {
                results.push(h.join().unwrap_or_else(|_| {
                    Err(PipelineError::Unsupported(
                        "a pipeline worker crashed".into(),
                    ))
                }));
            }
        })
    });
    results
}

struct PartitionContext {
    prepared: Prepared,
    outputs: Vec<OutputVariable>,
    out_schema: SchemaRef,
    props: WriterProperties,
}

/// What every batch of one upload needs to be typed and classified.
pub(crate) struct Prepared {
    pub id_index: usize,
    /// (column index in the file, role) of every other person identifier.
    pub other_ids: Vec<(usize, String)>,
    /// (column index in the file, variable) of every non-id variable, in file order.
    pub typed_vars: Vec<(usize, Variable)>,
    pub typed_schema: SchemaRef,
    pub cohort: CompiledCohort,
    pub reference: NaiveDate,
    /// The study population's membership and this dataset's window (set by the extraction).
    pub population: Option<crate::population::PopulationFilter>,
}

/// Opens the upload and compiles what classification needs.
pub(crate) async fn prepare(
    upload_path: &Path,
    description: &DatasetDescription,
    cohort: &hdab_permits::Cohort,
    subject_role: Option<&str>,
    reference: NaiveDate,
    ctx: datafusion::prelude::SessionContext,
) -> Result<(Prepared, Vec<SendableRecordBatchStream>), PipelineError> {
    let (names, streams) = open_streams(&ctx, upload_path).await?;
    let file_vars: Vec<Variable> = map_columns(&names, description)?
        .into_iter()
        .cloned()
        .collect();
    let subject = description
        .person_id_of_role(subject_role)
        .ok_or_else(|| PipelineError::Unsupported("the dataset has no person id column".into()))?;
    let id_index = file_vars
        .iter()
        .position(|v| v.name == subject.name)
        .ok_or_else(|| PipelineError::Unsupported("the dataset has no person id column".into()))?;
    // Everyone else a row names (a child's mother): pseudonymised under the same key.
    let other_ids: Vec<(usize, String)> = file_vars
        .iter()
        .enumerate()
        .filter(|(i, v)| v.variable_type == VariableType::PersonId && *i != id_index)
        .map(|(i, v)| (i, v.role.clone().unwrap_or_else(|| v.name.to_lowercase())))
        .collect();
    // The typed batch: every non-id variable typed by the dictionary, then the birth date.
    let typed_vars: Vec<(usize, Variable)> = file_vars
        .iter()
        .enumerate()
        .filter(|(_, v)| v.variable_type != VariableType::PersonId)
        .map(|(i, v)| (i, v.clone()))
        .collect();
    let mut typed_fields: Vec<Field> = typed_vars
        .iter()
        .map(|(_, v)| Field::new(&v.name, crate::values::arrow_type(v.variable_type), true))
        .collect();
    typed_fields.push(Field::new(BIRTH_DATE, DataType::Date32, true));
    let typed_schema: SchemaRef = Arc::new(Schema::new(typed_fields));
    let cohort = CompiledCohort::new(cohort, description, typed_schema.clone())?;
    Ok((
        Prepared {
            id_index,
            other_ids,
            typed_vars,
            typed_schema,
            cohort,
            reference,
            population: None,
        },
        streams,
    ))
}

/// One batch, typed and classified.
pub(crate) struct Classified {
    pub typed: RecordBatch,
    /// Precision columns of partial dates, by index in the typed batch.
    pub precisions: HashMap<usize, ArrayRef>,
    /// Rows to keep: valid id, in the cohort, not opted out.
    pub keep: BooleanArray,
    pub kept_ids: Vec<PersonId>,
    /// Per other person identifier (in `Prepared::other_ids` order), for each kept row: the
    /// person, or `None` (no valid id, or opted out), and whether they were withheld because
    /// they opted out.
    pub others: Vec<(Vec<Option<PersonId>>, BooleanArray)>,
}

/// Types a batch by the dictionary, validates its ids, applies the cohort and the opt-out
/// registry, and counts every row in exactly one class.
pub(crate) fn classify(
    batch: &RecordBatch,
    cx: &Prepared,
    registry_key: &DerivedKey,
    optouts: &HashSet<[u8; 32]>,
    counts: &mut PartitionCounts,
) -> Result<Classified, PipelineError> {
    let n = batch.num_rows();
    counts.rows_in += n as u64;
    let ids = parse_id_column(as_text(batch.column(cx.id_index))?.as_ref(), cx.reference)
        .map_err(|e| PipelineError::Unsupported(e.to_string()))?;
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(cx.typed_vars.len() + 1);
    let mut precisions: HashMap<usize, ArrayRef> = HashMap::new();
    for (k, (i, v)) in cx.typed_vars.iter().enumerate() {
        let typed = type_column(as_text(batch.column(*i))?.as_ref(), v);
        if let Some(p) = typed.precision {
            precisions.insert(k, p);
        }
        columns.push(typed.values);
    }
    let mut births = Date32Builder::with_capacity(n);
    for id in &ids {
        births.append_option(id.as_ref().ok().map(|p| date32(p.birth_date())));
    }
    columns.push(Arc::new(births.finish()));
    let typed = RecordBatch::try_new(cx.typed_schema.clone(), columns)?;
    let in_cohort = cx.cohort.evaluate(&typed)?;
    // Each distinct person is looked up in the registry once per batch.
    let mut opted: HashMap<PersonId, ([u8; 32], bool)> = HashMap::new();
    let mut keep = Vec::with_capacity(n);
    let mut kept_ids = Vec::with_capacity(n);
    for (row, id) in ids.iter().enumerate() {
        let decision = match id {
            Err(reason) => {
                *counts.invalid.entry(reason.as_str()).or_default() += 1;
                false
            }
            Ok(p) if cx.population.is_some() && !in_population(cx, p, &typed, row, counts) => false,
            Ok(_) if !in_cohort[row] => {
                counts.outside_cohort += 1;
                false
            }
            Ok(p) => {
                let (hash, out) = registry_state(&mut opted, registry_key, optouts, p);
                if out {
                    counts.opted_out += 1;
                    false
                } else {
                    counts.delivered_persons.insert(&hash);
                    kept_ids.push(*p);
                    true
                }
            }
        };
        keep.push(decision);
    }
    counts.delivered += kept_ids.len() as u64;
    let keep = BooleanArray::from(keep);
    let mut others = Vec::with_capacity(cx.other_ids.len());
    for (col, _) in &cx.other_ids {
        let ids = parse_id_column(as_text(batch.column(*col))?.as_ref(), cx.reference)
            .map_err(|e| PipelineError::Unsupported(e.to_string()))?;
        let mut persons = Vec::with_capacity(kept_ids.len());
        let mut withheld = Vec::with_capacity(kept_ids.len());
        for (row, id) in ids.iter().enumerate() {
            if !keep.value(row) {
                continue;
            }
            match id {
                Ok(p) => {
                    let (hash, out) = registry_state(&mut opted, registry_key, optouts, p);
                    if out {
                        counts.other_role_opted_out += 1;
                        persons.push(None);
                        withheld.push(true);
                    } else {
                        counts.delivered_persons.insert(&hash);
                        persons.push(Some(*p));
                        withheld.push(false);
                    }
                }
                Err(_) => {
                    counts.other_role_no_valid_id += 1;
                    persons.push(None);
                    withheld.push(false);
                }
            }
        }
        others.push((persons, BooleanArray::from(withheld)));
    }
    Ok(Classified {
        typed,
        precisions,
        keep,
        kept_ids,
        others,
    })
}

/// A person's registry hash and whether they opted out, computed once per batch.
fn registry_state(
    seen: &mut HashMap<PersonId, ([u8; 32], bool)>,
    registry_key: &DerivedKey,
    optouts: &HashSet<[u8; 32]>,
    person: &PersonId,
) -> ([u8; 32], bool) {
    *seen.entry(*person).or_insert_with(|| {
        let hash = registry_hash(registry_key, person);
        (hash, optouts.contains(&hash))
    })
}

/// Pseudonyms of persons who may be absent (null where they are).
fn pseudonymise_optional(key: &DerivedKey, persons: &[Option<PersonId>]) -> StringArray {
    let mut seen: HashMap<PersonId, String> = HashMap::new();
    persons
        .iter()
        .map(|p| {
            p.map(|p| {
                seen.entry(p)
                    .or_insert_with(|| hdab_pseudonymise::pseudonym(key, &p))
                    .clone()
            })
        })
        .collect()
}

/// Whether a valid person's row is in the study population (and the dataset's window),
/// counting it where it goes when not.
fn in_population(
    cx: &Prepared,
    person: &PersonId,
    typed: &RecordBatch,
    row: usize,
    counts: &mut PartitionCounts,
) -> bool {
    let Some(filter) = &cx.population else {
        return true;
    };
    match filter.place(person, typed, row) {
        Ok(()) => true,
        Err(true) => {
            counts.outside_population += 1;
            false
        }
        Err(false) => {
            counts.outside_cohort += 1;
            false
        }
    }
}

/// The typed batch's column of a variable, by name.
pub(crate) fn typed_index(prepared: &Prepared, name: &str) -> Result<usize, PipelineError> {
    prepared
        .typed_vars
        .iter()
        .position(|(_, v)| v.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            PipelineError::InvalidRequest(vec![format!("'{name}' is not a column of the dataset")])
        })
}

async fn run_partition(
    mut stream: SendableRecordBatchStream,
    cx: &PartitionContext,
    (pseudonym_key, registry_key, optouts): (&DerivedKey, &DerivedKey, &HashSet<[u8; 32]>),
    path: &Path,
    progress: Option<&std::sync::atomic::AtomicU64>,
) -> Result<PartitionCounts, PipelineError> {
    let file = std::fs::File::create(path).map_err(|e| PipelineError::io(path, e))?;
    let mut writer = ArrowWriter::try_new(file, cx.out_schema.clone(), Some(cx.props.clone()))
        .map_err(|e| PipelineError::writing(path, e))?;
    let mut counts = PartitionCounts::default();
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let n = batch.num_rows();
        if let Some(p) = progress {
            p.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        }
        let Classified {
            typed,
            precisions,
            keep: mask,
            kept_ids,
            others,
        } = classify(&batch, &cx.prepared, registry_key, optouts, &mut counts)?;
        if kept_ids.is_empty() {
            continue;
        }
        let mut out: Vec<ArrayRef> = vec![Arc::new(pseudonymise_ids(pseudonym_key, &kept_ids))];
        for (persons, _) in &others {
            out.push(Arc::new(pseudonymise_optional(pseudonym_key, persons)));
        }
        for o in &cx.outputs {
            let mut values = filter(typed.column(o.typed_index), &mask)?;
            // What describes a person who opted out (the mother's age) goes with them.
            if let Some(role) = &o.variable.of_role
                && let Some(k) = cx.prepared.other_ids.iter().position(|(_, r)| r == role)
            {
                values = datafusion::arrow::compute::nullif(&values, &others[k].1)?;
            }
            let mut precision = match precisions.get(&o.typed_index) {
                Some(p) if o.variable.partial_dates => Some(filter(p, &mask)?),
                _ => None,
            };
            if let Some(g) = &o.generalise
                && !matches!(
                    g,
                    Generalisation::DateToYear { .. } | Generalisation::DateToMonth { .. }
                )
            {
                values = crate::values::generalise(&values, g);
            } else if let Some(g) = &o.generalise {
                let to_year = matches!(g, Generalisation::DateToYear { .. });
                values = Arc::new(truncate_dates(values.as_primitive(), to_year));
                if let Some(p) = &precision {
                    let coarse: StringArray = p
                        .as_string::<i32>()
                        .iter()
                        .map(|v| {
                            v.map(|v| {
                                if to_year || v == "year" {
                                    "year"
                                } else {
                                    "month"
                                }
                            })
                        })
                        .collect();
                    precision = Some(Arc::new(coarse));
                }
            }
            out.push(values);
            if let Some(p) = precision {
                out.push(p);
            }
        }
        tracing::debug!(file = %path.display(), rows_in = n, delivered = kept_ids.len(), "batch written");
        writer
            .write(&RecordBatch::try_new(cx.out_schema.clone(), out)?)
            .map_err(|e| PipelineError::writing(path, e))?;
        crate::crash_point("writing-part");
    }
    let file = writer
        .into_inner()
        .map_err(|e| PipelineError::writing(path, e))?;
    file.sync_all().map_err(|e| PipelineError::io(path, e))?;
    Ok(counts)
}
