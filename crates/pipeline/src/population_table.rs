//! The delivered population table of a permit: one row per person of the study population
//! (pseudonym, role, index date at the permit's precision, matched set), staged and
//! committed like a dataset's delivery.

use crate::PipelineError;
use crate::deliver::{PersonFilter, RowAccounting, StagedDelivery};
use crate::members::{Member, Population};
use datafusion::arrow::array::{Date32Array, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use hdab_permits::DatePrecision;
use hdab_permits::optout::Excluded;
use hdab_pseudonymise::{DerivedKey, PersonId, registry_hash};
use rayon::prelude::*;
use std::path::Path;
use std::sync::Arc;

/// The index date at the permit's precision (the first day of its month or year).
fn at_precision(day: i32, precision: DatePrecision) -> i32 {
    match precision {
        DatePrecision::Day => day,
        DatePrecision::Month | DatePrecision::Year => crate::values::truncate_dates(
            &Date32Array::from(vec![day]),
            precision == DatePrecision::Year,
        )
        .value(0),
    }
}

/// Writes the population table (pseudonym, role, index date, matched set), without anyone
/// opted out now, into `staging` as `part-00000.parquet`; returns its row accounting and
/// the persons written.
pub(crate) fn write_population_table(
    population: &Population,
    precision: DatePrecision,
    keys: (&DerivedKey, &DerivedKey, &Excluded),
    path: &Path,
    props: datafusion::parquet::file::properties::WriterProperties,
) -> Result<
    (
        RowAccounting,
        PersonFilter,
        crate::deliver::ManifestFile,
        Arc<Schema>,
    ),
    PipelineError,
> {
    let (pseudonym_key, registry_key, optouts) = keys;
    let mut rows: Vec<(&PersonId, &Member)> = population.members.iter().collect();
    rows.sort_unstable_by_key(|(p, m)| (m.set, m.role, *p.canonical()));
    let mut accounting = RowAccounting::with_every_reason();
    accounting.rows_in = rows.len() as u64;
    let mut persons = PersonFilter::default();
    let mut kept: Vec<(&PersonId, &Member)> = Vec::with_capacity(rows.len());
    let hashes: Vec<[u8; 32]> = rows
        .par_iter()
        .map(|(p, _)| registry_hash(registry_key, p))
        .collect();
    for ((p, m), hash) in rows.into_iter().zip(hashes) {
        if optouts.contains(&hash) {
            accounting.opted_out += 1;
        } else {
            persons.insert(&hash);
            kept.push((p, m));
        }
    }
    accounting.delivered = kept.len() as u64;
    let schema = Arc::new(Schema::new(vec![
        Field::new(crate::PSEUDONYM_COLUMN, DataType::Utf8, false),
        Field::new("role", DataType::Utf8, false),
        Field::new("index_date", DataType::Date32, false),
        Field::new("matched_set", DataType::Int64, false),
    ]));
    // One keyed hash per person, on every core.
    let pseudonyms: Vec<String> = kept
        .par_iter()
        .map(|(p, _)| hdab_pseudonymise::pseudonym(pseudonym_key, p))
        .collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(pseudonyms)),
            Arc::new(StringArray::from_iter_values(
                kept.iter().map(|(_, m)| m.role.as_str()),
            )),
            Arc::new(Date32Array::from_iter_values(
                kept.iter()
                    .map(|(_, m)| at_precision(m.index_day, precision)),
            )),
            Arc::new(Int64Array::from_iter_values(
                kept.iter().map(|(_, m)| i64::from(m.set)),
            )),
        ],
    )?;
    let file = std::fs::File::create(path).map_err(|e| PipelineError::io(path, e))?;
    let mut writer =
        datafusion::parquet::arrow::ArrowWriter::try_new(file, schema.clone(), Some(props))
            .map_err(|e| PipelineError::writing(path, e))?;
    writer
        .write(&batch)
        .map_err(|e| PipelineError::writing(path, e))?;
    let file = writer
        .into_inner()
        .map_err(|e| PipelineError::writing(path, e))?;
    file.sync_all().map_err(|e| PipelineError::io(path, e))?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| PipelineError::io(path, e))?
        .len();
    let manifest_file = crate::deliver::ManifestFile {
        name: "part-00000.parquet".into(),
        rows: accounting.delivered,
        bytes,
        sha256: crate::deliver::sha256_file(path)?,
    };
    Ok((accounting, persons, manifest_file, schema))
}

/// Stages the population table of a permit into its workspace (`population/`), ready to
/// commit like any dataset's delivery.
pub async fn stage_population(
    population: &Population,
    input: &crate::ExtractionInput<'_>,
    precision: DatePrecision,
) -> Result<StagedDelivery, PipelineError> {
    let staging = input
        .spe
        .stage(input.permit_id, hdab_permits::POPULATION_TABLE)?;
    let path = staging.path().join("part-00000.parquet");
    let props = crate::run::writer_properties(input, hdab_permits::POPULATION_TABLE)?;
    let written = write_population_table(
        population,
        precision,
        (input.pseudonym_key, input.registry_key, input.optouts),
        &path,
        props,
    );
    let (rows, persons, file, schema) = match written {
        Ok(x) => x,
        Err(e) => {
            staging.abort();
            return Err(e);
        }
    };
    let mut manifest = crate::run::manifest_of(input, rows, vec![file], &schema);
    manifest.dataset_id = hdab_permits::POPULATION_TABLE.into();
    manifest.run_id = crate::run::population_run_id(input);
    staging
        .with_delivered_persons(persons)
        .with_manifest(manifest)
}
