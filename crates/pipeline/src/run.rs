//! What names and describes one delivery: its run id (everything that decides the bytes),
//! its manifest, and the Parquet writer settings every part file shares.

use crate::PipelineError;
use crate::deliver::{Manifest, ManifestFile, RowAccounting};
use crate::input::{Compression, ExtractionInput};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::parquet::basic::{Compression as ParquetCompression, ZstdLevel};
use datafusion::parquet::file::metadata::KeyValue;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::schema::types::ColumnPath;
use sha2::{Digest, Sha256};

/// The manifest of a staged delivery: what was delivered, from what, under which key and
/// registry state (no wall-clock time: the same inputs give the same bytes).
pub(crate) fn manifest_of(
    input: &ExtractionInput<'_>,
    rows: RowAccounting,
    files: Vec<ManifestFile>,
    out_schema: &SchemaRef,
) -> Manifest {
    Manifest {
        format: "hdab-manifest/1".into(),
        permit_id: input.permit_id.into(),
        dataset_id: input.description.id.clone(),
        dataset_version: input.dataset_version,
        upload_id: input.upload_id.into(),
        upload_sha256: input.upload_sha256.into(),
        spec_digest: input.spec_digest.into(),
        key_id: input.key_id.into(),
        key_version: input.key_version,
        pseudonym_scheme:
            "HMAC-SHA-256 under HKDF-SHA-256(permit, key version); 160 bits, base32 lower case"
                .into(),
        optout_registry_seq: input.optout_registry_seq,
        reference_date: input.reference_date,
        rows,
        columns: out_schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().to_string()))
            .collect(),
        files,
        partitions: input.partitions,
        software: format!("hdab {}", env!("CARGO_PKG_VERSION")),
        run_id: run_id(input),
        audit_checkpoint: None,
        anonymisation: None,
        ran_on: None,
    }
}

pub(crate) fn writer_properties(
    input: &ExtractionInput<'_>,
    dataset: &str,
) -> Result<WriterProperties, PipelineError> {
    let compression = match input.compression {
        // Level 1: measured faster than 3 on the whole register (4.05 s against 4.15 s,
        // peak 134 MiB against 156) with files no larger (benches/RESULTS.md).
        Compression::Zstd => ParquetCompression::ZSTD(ZstdLevel::try_new(1)?),
        Compression::Snappy => ParquetCompression::SNAPPY,
    };
    // Identical on every file of a dataset (conflicting metadata breaks multi-file reads);
    // ids and digests only, never data.
    let metadata = vec![
        KeyValue::new("hdab.permit".into(), input.permit_id.to_string()),
        KeyValue::new("hdab.dataset".into(), dataset.to_string()),
        KeyValue::new("hdab.spec_digest".into(), input.spec_digest.to_string()),
        KeyValue::new("hdab.key_id".into(), input.key_id.to_string()),
        KeyValue::new("hdab.key_version".into(), input.key_version.to_string()),
    ];
    Ok(WriterProperties::builder()
        .set_compression(compression)
        .set_dictionary_enabled(true)
        // One distinct value per person: the dictionary interner tried to encode millions of
        // pseudonyms (2% of a whole-register run) only to fall back to plain encoding.
        .set_column_dictionary_enabled(ColumnPath::from("pseudonym"), false)
        .set_max_row_group_row_count(Some(512 * 1024))
        .set_created_by(format!("hdab {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(metadata))
        .build())
}

/// The run id of an extraction: SHA-256 over the permit, spec digest, dataset, upload
/// checksum, opt-out registry state, key id and version, compression, partitions and
/// software version — everything that decides the bytes delivered.
pub fn run_id(input: &ExtractionInput<'_>) -> String {
    let mut h = Sha256::new();
    let fields = [
        input.permit_id.to_string(),
        input.spec_digest.to_string(),
        input.description.id.clone(),
        input.upload_sha256.to_string(),
        input.optout_registry_seq.to_string(),
        input.key_id.to_string(),
        input.key_version.to_string(),
        format!("{:?}", input.compression),
        input.partitions.to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
    ];
    for f in fields {
        h.update((f.len() as u32).to_be_bytes());
        h.update(f.as_bytes());
    }
    // Who is in the study decides the rows (absent: the run id is as before populations).
    if let Some(p) = input.population {
        h.update(b"population");
        h.update(p.digest.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The run id of a permit's population table (its inputs are the same as a dataset's run,
/// plus the table's name).
pub fn population_run_id(input: &ExtractionInput<'_>) -> String {
    let mut h = Sha256::new();
    h.update(run_id(input).as_bytes());
    h.update(hdab_permits::POPULATION_TABLE.as_bytes());
    hex::encode(h.finalize())
}
