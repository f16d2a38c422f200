//! The extraction pipeline: the only crate that uses DataFusion.
//!
//! Owns the rule "an extract holds only permitted rows and variables, pseudonymised, and is
//! delivered whole or not at all". Two entry points:
//! - [`check_upload`]: reads an upload against its data dictionary and reports, or rejects
//!   it naming every column and problem;
//! - [`stage_extraction`] then [`StagedDelivery::commit`]: reads the upload as streams of
//!   record batches (one per core), types it by the dictionary, validates identifiers,
//!   applies the permit's cohort (compiled to DataFusion expressions), drops opted-out
//!   people, keeps permitted variables, pseudonymises, and writes Parquet and a manifest into
//!   a staging folder that `commit` renames into `spe/<permit>/<dataset>/`.
//!
//! It never reads the clock for data decisions, never logs a value, and never sees the
//! master key: callers hand it derived keys.

mod aggregate;
mod anonymised;
mod check;
mod classify;
mod cohort;
pub mod crash;
mod deliver;
mod extract;
mod input;
mod members;
pub mod plan;
mod population;
mod population_table;
mod preview;
mod profile;
mod reidentify;
mod risk_file;
mod run;
pub mod scan;
pub mod source;
mod spe;
mod timings;
pub mod values;

pub use aggregate::{AggregateInput, Aggregates, aggregate, aggregate_problems};
pub use anonymised::stage_anonymised;
pub use check::{UploadReport, check_upload};
pub use crash::{CRASH_POINTS, crash_point};
pub use deliver::{Manifest, ManifestFile, RowAccounting, StagedDelivery};
pub use extract::{PSEUDONYM_COLUMN, stage_extraction};
pub use input::{Compression, ExtractionInput};
pub use members::{Member, MemberRole, Population, PopulationSummary};
pub use plan::{GivenKeys, KeySource, PlanEngine, extraction_functions, stage_on};
pub use population::{PopulationInput, PopulationSource, build_population};
pub use population_table::stage_population;
pub use preview::{AnonymisedPreview, RiskPreview, preview_risk};
pub use profile::profile;
pub use reidentify::{delivered_pseudonyms, find_person, looks_like_pseudonym};
pub use risk_file::{FileRisk, measure_file};
pub use run::{population_run_id, run_id};
pub use scan::{Finding, scan_delivery};
pub use source::{DEFAULT_PARTITIONS, PARTITIONS_RANGE};
pub use spe::{ErasedFile, PermitLock, Recovered, SpeFolder};
pub use timings::StageTimes;

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the upload was rejected:\n{}", bullet(.0))]
    Rejected(Vec<String>),
    #[error("the permit's request cannot run on this dataset:\n{}", bullet(.0))]
    InvalidRequest(Vec<String>),
    #[error(
        "no space left on the disk of {path}: nothing was delivered and the previous delivery stands; free space on that volume (or move the SPE root) and run the extraction again"
    )]
    DiskFull { path: PathBuf },
    #[error("reading the data failed: {0}")]
    Engine(#[from] datafusion::error::DataFusionError),
    #[error("processing a batch failed: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error("writing Parquet failed: {0}")]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
    #[error("{0}")]
    Unsupported(String),
    #[error("delivery refused: the leak scanner found what reads as a personnummer in:\n{}", bullet(.0))]
    Leak(Vec<String>),
}

impl PipelineError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> PipelineError {
        if source.kind() == std::io::ErrorKind::StorageFull {
            return PipelineError::DiskFull {
                path: path.to_path_buf(),
            };
        }
        PipelineError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A Parquet writer's error, told apart when what failed underneath was a full disk.
    pub(crate) fn writing(path: &Path, e: datafusion::parquet::errors::ParquetError) -> Self {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(c) = cause {
            if let Some(io) = c.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::StorageFull
            {
                return PipelineError::DiskFull {
                    path: path.to_path_buf(),
                };
            }
            cause = c.source();
        }
        PipelineError::Parquet(e)
    }
}

fn bullet(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("  - {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}
