//! An anonymised delivery (EHDS Art. 66(2)): no pseudonym and no identifier; the permitted
//! quasi-identifiers generalised along their hierarchies and records suppressed until every
//! delivered combination of them is shared by at least k records, at the least information
//! loss (`hdab_anonymise`). Two passes over the upload: the first gathers the distinct
//! combinations of exact values, the search chooses the levels, the second writes.

use crate::PipelineError;
use crate::classify::{Classified, Prepared, classify};
use crate::deliver::{ManifestFile, PartitionCounts, RowAccounting, StagedDelivery, sha256_file};
use crate::extract::{OutputVariable, open_request, output_variables, variable_columns};
use crate::input::ExtractionInput;
use crate::run::{manifest_of, writer_properties};
use crate::values::as_utf8 as as_text;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArray};
use datafusion::arrow::compute::filter;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::parquet::arrow::ArrowWriter;
use futures::StreamExt;
use hdab_anonymise::{
    ChosenLevel, DiversityCounter, LOSS_MEASURE, Level, Quasi, Report, Table, Target,
};
use hdab_catalog::Sensitivity;
use hdab_permits::Generalisation;
use std::sync::Arc;

/// The file an anonymised delivery is written to (one: its rows are in upload order).
const PART: &str = "part-00000.parquet";

/// Stages the anonymised delivery of one dataset.
pub async fn stage_anonymised(
    input: &ExtractionInput<'_>,
    target: Target,
) -> Result<StagedDelivery, PipelineError> {
    let problems = input.request.problems_against(input.description);
    if !problems.is_empty() {
        return Err(PipelineError::InvalidRequest(problems));
    }
    let (prepared, streams) = open_request(input).await?;
    let mut outputs = output_variables(input, &prepared.typed_vars);
    let quasi = quasi_identifiers(&mut outputs)?;
    let mut table = Table::new(quasi.iter().map(|(_, q)| q.clone()).collect());

    // Pass 1: the distinct combinations of exact values.
    for_each_batch(&prepared, &outputs, streams, input, |columns, _| {
        let texts = quasi_texts(&quasi, columns)?;
        for row in 0..texts.first().map_or(0, |t| t.len()) {
            table.add(&row_values(&texts, row)).map_err(too_many)?;
        }
        if quasi.is_empty() {
            for _ in 0..columns.first().map_or(0, |(c, _)| c.len()) {
                table.add(&[]).map_err(too_many)?;
            }
        }
        Ok(())
    })
    .await?;
    let outcome = table
        .search(&target)
        .map_err(|e| PipelineError::InvalidRequest(vec![e.to_string()]))?;
    let Some(chosen) = outcome.chosen.clone() else {
        return Err(PipelineError::InvalidRequest(vec![nothing_passes(
            &target,
            &outcome.blocking,
            table.records(),
        )]));
    };
    let floors: Vec<usize> = quasi.iter().map(|(_, q)| q.floor).collect();
    let before = table.risk_at(&floors, target.k);
    let after_classes = table.risk_after(&chosen.levels, target.k);
    let out_schema = anonymised_schema(&outputs, &quasi, &chosen.levels);

    // Pass 2: write what stays, generalised.
    let staging = input.spe.stage(input.permit_id, &input.description.id)?;
    let written = write_delivery(
        input,
        &prepared,
        &outputs,
        &quasi,
        &mut table,
        &chosen.levels,
        target.k,
        &out_schema,
        &staging,
    )
    .await;
    let (counts, delivered, diversity) = match written {
        Ok(x) => x,
        Err(e) => {
            staging.abort();
            return Err(e);
        }
    };
    let mut rows = RowAccounting::with_every_reason();
    rows.add(&counts);
    rows.suppressed = rows.delivered - delivered;
    rows.delivered = delivered;
    let path = staging.path().join(PART);
    let bytes = std::fs::metadata(&path)
        .map_err(|e| PipelineError::io(&path, e))?
        .len();
    let files = vec![ManifestFile {
        name: PART.into(),
        rows: delivered,
        bytes,
        sha256: sha256_file(&path)?,
    }];
    let mut manifest = manifest_of(input, rows, files, &out_schema);
    manifest.pseudonym_scheme = "none: anonymised (no pseudonym, no identifier)".into();
    manifest.partitions = 1;
    let mut after = after_classes;
    after.l_diversity = diversity;
    manifest.anonymisation = Some(Report {
        k: target.k,
        max_suppressed_share: target.max_suppressed_share,
        levels: quasi
            .iter()
            .zip(&chosen.levels)
            .map(|((_, q), level)| ChosenLevel::of(q, *level))
            .collect(),
        suppressed: manifest.rows.suppressed,
        information_loss: chosen.loss,
        loss_measure: LOSS_MEASURE.into(),
        lattice_size: outcome.lattice_size,
        evaluated: outcome.evaluated,
        before,
        after,
    });
    if !manifest.rows.balances() || after_rows(&manifest) != delivered {
        staging.abort();
        return Err(PipelineError::Unsupported(
            "row accounting does not balance; nothing was delivered".into(),
        ));
    }
    crate::crash_point("parts-synced");
    staging
        .with_delivered_persons(counts.delivered_persons)
        .with_manifest(manifest)
}

fn after_rows(m: &crate::Manifest) -> u64 {
    m.anonymisation.as_ref().map_or(0, |a| a.after.records)
}

pub(crate) fn too_many(e: hdab_anonymise::SearchError) -> PipelineError {
    PipelineError::InvalidRequest(vec![e.to_string()])
}

pub(crate) fn nothing_passes(target: &Target, blocking: &[String], records: u64) -> String {
    let head = format!(
        "no generalisation reaches k = {} with at most {}% of the records suppressed",
        target.k,
        target.max_suppressed_share * 100.0
    );
    if records < target.k {
        format!("{head}: the dataset delivers {records} records, fewer than k")
    } else if blocking.is_empty() {
        format!(
            "{head}: no single quasi-identifier blocks it; ask for fewer quasi-identifiers or a larger population"
        )
    } else {
        format!(
            "{head}: {} blocks it even at its coarsest level (leave it out, or declare a coarser level in the catalogue)",
            blocking.join(" or ")
        )
    }
}

/// The permitted quasi-identifiers (by their place among the outputs) with their hierarchy
/// and floor: a permit's own generalisation of one becomes the lowest level the search may
/// choose (the hierarchy, not the generalisation, then shapes it).
pub(crate) fn quasi_identifiers(
    outputs: &mut [OutputVariable],
) -> Result<Vec<(usize, Quasi)>, PipelineError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, o) in outputs.iter_mut().enumerate() {
        if o.variable.sensitivity != Sensitivity::QuasiIdentifier {
            continue;
        }
        let hierarchy = o.variable.generalisation_hierarchy().map_err(|e| {
            PipelineError::InvalidRequest(vec![format!("{}: {e}", o.variable.name)])
        })?;
        let floor = match o.generalise.take() {
            None => 0,
            Some(g) => {
                let level = match &g {
                    Generalisation::DateToMonth { .. } => Some(Level::Month),
                    Generalisation::DateToYear { .. } => Some(Level::Year),
                    Generalisation::AgeBands { width, top, .. } => Some(Level::Band {
                        width: *width,
                        top: top.map(i64::from),
                    }),
                    Generalisation::Truncate { keep, .. } => Some(Level::Prefix {
                        keep: *keep as usize,
                    }),
                    Generalisation::TopCode { .. } => None,
                };
                match level.and_then(|l| hierarchy.position(&l)) {
                    Some(p) => p,
                    None => {
                        problems.push(format!(
                            "{}: its generalisation is not a level of its hierarchy ({}); in an anonymised permit the hierarchy generalises quasi-identifiers",
                            o.variable.name,
                            hierarchy
                                .levels
                                .iter()
                                .map(Level::as_text)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                        0
                    }
                }
            }
        };
        out.push((
            i,
            Quasi {
                name: o.variable.name.clone(),
                hierarchy,
                floor,
            },
        ));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(PipelineError::InvalidRequest(problems))
    }
}

/// Reads every batch in upload order, classified, and hands the kept rows' variable
/// columns to `each`.
pub(crate) async fn for_each_batch<F>(
    prepared: &Prepared,
    outputs: &[OutputVariable],
    streams: Vec<SendableRecordBatchStream>,
    input: &ExtractionInput<'_>,
    mut each: F,
) -> Result<PartitionCounts, PipelineError>
where
    F: FnMut(&[(ArrayRef, Option<ArrayRef>)], &Classified) -> Result<(), PipelineError>,
{
    let mut counts = PartitionCounts::default();
    for mut stream in streams {
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            let c = classify(
                &batch,
                prepared,
                input.registry_key,
                input.optouts,
                &mut counts,
            )?;
            let columns = variable_columns(
                prepared,
                outputs,
                &c.typed,
                &c.precisions,
                &c.keep,
                &c.others,
            )?;
            each(&columns, &c)?;
        }
    }
    Ok(counts)
}

pub(crate) fn quasi_texts(
    quasi: &[(usize, Quasi)],
    columns: &[(ArrayRef, Option<ArrayRef>)],
) -> Result<Vec<StringArray>, PipelineError> {
    quasi
        .iter()
        .map(|(i, _)| Ok(as_text(&columns[*i].0)?.as_string::<i32>().clone()))
        .collect()
}

pub(crate) fn row_values(texts: &[StringArray], row: usize) -> Vec<Option<&str>> {
    texts
        .iter()
        .map(|t| (!t.is_null(row)).then(|| t.value(row)))
        .collect()
}

/// No pseudonym; each variable as in a pseudonymised delivery, except the quasi-identifiers
/// above their exact level: text labels (`2019-Q1`, `40-49`), without a precision column.
fn anonymised_schema(
    outputs: &[OutputVariable],
    quasi: &[(usize, Quasi)],
    levels: &[usize],
) -> SchemaRef {
    let mut fields = Vec::new();
    for (i, o) in outputs.iter().enumerate() {
        let level = quasi.iter().position(|(q, _)| *q == i).map(|k| levels[k]);
        let data_type = match (&o.generalise, level) {
            (_, Some(l)) if l > 0 => DataType::Utf8,
            (Some(Generalisation::AgeBands { .. }) | Some(Generalisation::Truncate { .. }), _) => {
                DataType::Utf8
            }
            _ => crate::values::arrow_type(o.variable.variable_type),
        };
        fields.push(Field::new(&o.variable.name, data_type, true));
        if o.variable.partial_dates && level.is_none_or(|l| l == 0) {
            fields.push(Field::new(
                format!("{}_PREC", o.variable.name),
                DataType::Utf8,
                true,
            ));
        }
    }
    Arc::new(Schema::new(fields))
}

/// Pass 2: every kept row placed in its class at the chosen levels; rows of classes smaller
/// than k left out; quasi-identifiers above exact written as their labels. Returns the
/// classification counts, the rows written and the l-diversity of each sensitive variable.
#[allow(clippy::too_many_arguments)]
async fn write_delivery(
    input: &ExtractionInput<'_>,
    prepared: &Prepared,
    outputs: &[OutputVariable],
    quasi: &[(usize, Quasi)],
    table: &mut Table,
    levels: &[usize],
    k: u64,
    schema: &SchemaRef,
    staging: &StagedDelivery,
) -> Result<(PartitionCounts, u64, Vec<hdab_anonymise::LDiversity>), PipelineError> {
    let (_, streams) = open_request(input).await?;
    let path = staging.path().join(PART);
    let props = writer_properties(input, &input.description.id)?;
    let file = std::fs::File::create(&path).map_err(|e| PipelineError::io(&path, e))?;
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
        .map_err(|e| PipelineError::writing(&path, e))?;
    let generaliser = table.generaliser(levels, k);
    let sensitive: Vec<usize> = outputs
        .iter()
        .enumerate()
        .filter(|(_, o)| o.variable.sensitivity == Sensitivity::Sensitive)
        .map(|(i, _)| i)
        .collect();
    let mut diversity: Vec<DiversityCounter<u128>> = sensitive
        .iter()
        .map(|i| DiversityCounter::new(&outputs[*i].variable.name))
        .collect();
    let mut delivered = 0u64;
    let counts = for_each_batch(prepared, outputs, streams, input, |columns, _| {
        let texts = quasi_texts(quasi, columns)?;
        let n = columns.first().map_or(0, |(c, _)| c.len());
        let mut keep = Vec::with_capacity(n);
        let mut classes = Vec::with_capacity(n);
        for row in 0..n {
            let (class, stays) = generaliser.place(&row_values(&texts, row)).ok_or_else(|| {
                PipelineError::Unsupported(
                    "the upload changed between the two passes of the anonymisation; nothing was delivered: run the extraction again".into(),
                )
            })?;
            keep.push(stays);
            if stays {
                classes.push(class);
            }
        }
        let keep = BooleanArray::from(keep);
        let mut out: Vec<ArrayRef> = Vec::new();
        for (i, (values, precision)) in columns.iter().enumerate() {
            let q = quasi.iter().position(|(o, _)| *o == i);
            match q {
                Some(q) if levels[q] > 0 => {
                    let labels: StringArray = classes
                        .iter()
                        .map(|class| generaliser.label(q, *class))
                        .collect();
                    out.push(Arc::new(labels));
                }
                _ => {
                    out.push(filter(values, &keep)?);
                    if let Some(p) = precision {
                        out.push(filter(p, &keep)?);
                    }
                }
            }
        }
        for (counter, i) in diversity.iter_mut().zip(&sensitive) {
            let kept = as_text(&filter(&columns[*i].0, &keep)?)?;
            let kept = kept.as_string::<i32>();
            for (row, class) in classes.iter().enumerate() {
                counter.add(*class, (!kept.is_null(row)).then(|| kept.value(row)));
            }
        }
        delivered += classes.len() as u64;
        if !classes.is_empty() {
            writer
                .write(&RecordBatch::try_new(schema.clone(), out)?)
                .map_err(|e| PipelineError::writing(&path, e))?;
        }
        crate::crash_point("writing-part");
        Ok(())
    })
    .await?;
    let file = writer
        .into_inner()
        .map_err(|e| PipelineError::writing(&path, e))?;
    file.sync_all().map_err(|e| PipelineError::io(&path, e))?;
    Ok((
        counts,
        delivered,
        diversity
            .into_iter()
            .map(DiversityCounter::finish)
            .collect(),
    ))
}
