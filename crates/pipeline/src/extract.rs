//! One dataset of one permit: upload in, pseudonymised Parquet out (into staging).

use crate::PipelineError;
use crate::classify::{
    Classified, Prepared, classify, prepare, pseudonymise_optional, typed_index,
};
use crate::deliver::{ManifestFile, PartitionCounts, RowAccounting, StagedDelivery, sha256_file};
use crate::run::{manifest_of, writer_properties};
use crate::source::session;
use crate::timings::lap;
use crate::values::truncate_dates;
use datafusion::arrow::array::{ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::compute::filter;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;
use futures::StreamExt;
use hdab_catalog::Variable;
use hdab_permits::Generalisation;
use hdab_permits::optout::Excluded;
use hdab_pseudonymise::{DerivedKey, pseudonymise_ids};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::input::ExtractionInput;

/// The delivered column that carries the person's pseudonym.
pub const PSEUDONYM_COLUMN: &str = "pseudonym";

/// One delivered variable: where it comes from and how it is shaped.
#[derive(Debug, Clone)]
pub(crate) struct OutputVariable {
    /// Index in the typed batch.
    pub typed_index: usize,
    pub variable: Variable,
    pub generalise: Option<Generalisation>,
}

/// Runs the extraction into a staging folder and returns it, ready to commit.
pub async fn stage_extraction(
    input: &ExtractionInput<'_>,
) -> Result<StagedDelivery, PipelineError> {
    let problems = input.request.problems_against(input.description);
    if !problems.is_empty() {
        return Err(PipelineError::InvalidRequest(problems));
    }
    let (prepared, streams) = open_request(input).await?;
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
    let mut times = crate::StageTimes::default();
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
        times.add(&acc.times);
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
        .with_times(times)
        .with_manifest(manifest)
}

/// Opens the upload for the request: typed, classified under its cohort, and (with the
/// permit's study population) restricted to its people and the dataset's window.
pub(crate) async fn open_request(
    input: &ExtractionInput<'_>,
) -> Result<(Prepared, Vec<SendableRecordBatchStream>), PipelineError> {
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
        (Some(p), window) => Some(crate::members::PopulationFilter {
            members: p.members.clone(),
            window: match window {
                Some(w) => Some((typed_index(&prepared, &w.column)?, w.from_days, w.to_days)),
                None => None,
            },
        }),
    };
    Ok((prepared, streams))
}

/// The permitted variables in the order asked, each with where it comes from in the typed
/// batch and how it is generalised.
pub(crate) fn output_variables(
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

/// The delivered columns of the permitted variables for the kept rows, each with its
/// precision column where dates may be partial: filtered, withheld with an opted-out person
/// they describe, and generalised as the request says.
pub(crate) fn variable_columns(
    prepared: &Prepared,
    outputs: &[OutputVariable],
    typed: &RecordBatch,
    precisions: &HashMap<usize, ArrayRef>,
    mask: &BooleanArray,
    others: &[(Vec<Option<hdab_pseudonymise::PersonId>>, BooleanArray)],
) -> Result<Vec<(ArrayRef, Option<ArrayRef>)>, PipelineError> {
    let mut out = Vec::with_capacity(outputs.len());
    for o in outputs {
        let mut values = filter(typed.column(o.typed_index), mask)?;
        // What describes a person who opted out (the mother's age) goes with them.
        if let Some(role) = &o.variable.of_role
            && let Some(k) = prepared.other_ids.iter().position(|(_, r)| r == role)
        {
            values = datafusion::arrow::compute::nullif(&values, &others[k].1)?;
        }
        let mut precision = match precisions.get(&o.typed_index) {
            Some(p) if o.variable.partial_dates => Some(filter(p, mask)?),
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
                precision = Some(Arc::new(crate::values::coarsen_precision(p, to_year)));
            }
        }
        out.push((values, precision));
    }
    Ok(out)
}

/// The delivered schema: the pseudonym, then each variable (and its precision column where
/// dates may be partial).
pub(crate) fn output_schema(
    outputs: &[OutputVariable],
    other_roles: &[(usize, String)],
) -> SchemaRef {
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

async fn run_partition(
    mut stream: SendableRecordBatchStream,
    cx: &PartitionContext,
    (pseudonym_key, registry_key, optouts): (&DerivedKey, &DerivedKey, &Excluded),
    path: &Path,
    progress: Option<&std::sync::atomic::AtomicU64>,
) -> Result<PartitionCounts, PipelineError> {
    let file = std::fs::File::create(path).map_err(|e| PipelineError::io(path, e))?;
    let mut writer = ArrowWriter::try_new(file, cx.out_schema.clone(), Some(cx.props.clone()))
        .map_err(|e| PipelineError::writing(path, e))?;
    let mut counts = PartitionCounts::default();
    let mut mark = std::time::Instant::now();
    while let Some(batch) = stream.next().await {
        counts.times.read += lap(&mut mark);
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
        counts.times.identify += lap(&mut mark);
        if kept_ids.is_empty() {
            continue;
        }
        let mut out: Vec<ArrayRef> = vec![Arc::new(pseudonymise_ids(pseudonym_key, &kept_ids))];
        for (persons, _) in &others {
            out.push(Arc::new(pseudonymise_optional(pseudonym_key, persons)));
        }
        counts.times.hash += lap(&mut mark);
        for (values, precision) in variable_columns(
            &cx.prepared,
            &cx.outputs,
            &typed,
            &precisions,
            &mask,
            &others,
        )? {
            out.push(values);
            out.extend(precision);
        }
        counts.times.filter += lap(&mut mark);
        tracing::debug!(file = %path.display(), rows_in = n, delivered = kept_ids.len(), "batch written");
        writer
            .write(&RecordBatch::try_new(cx.out_schema.clone(), out)?)
            .map_err(|e| PipelineError::writing(path, e))?;
        crate::crash_point("writing-part");
        counts.times.write += lap(&mut mark);
    }
    counts.times.read += lap(&mut mark);
    let file = writer
        .into_inner()
        .map_err(|e| PipelineError::writing(path, e))?;
    file.sync_all().map_err(|e| PipelineError::io(path, e))?;
    counts.times.write += lap(&mut mark);
    Ok(counts)
}
