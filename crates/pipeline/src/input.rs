//! What one extraction is given: the permit's identity and keys, the dataset's request,
//! description and checked upload, the opt-out registry's state, the study population and
//! where to deliver. Read by `extract.rs`, `population_table.rs`, `aggregate.rs` and `run.rs`.

use chrono::NaiveDate;
use hdab_catalog::DatasetDescription;
use hdab_permits::DatasetRequest;
use hdab_permits::optout::Excluded;
use hdab_pseudonymise::DerivedKey;
use std::path::Path;

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
    pub optouts: &'a Excluded,
    pub optout_registry_seq: i64,
    /// The permit's study population: only its people are delivered (and, with the
    /// request's window, only rows near their index dates).
    pub population: Option<&'a crate::members::Population>,
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
