//! Atomic delivery into `spe/<permit>/<dataset>/`.
//!
//! Files are written into `spe/<permit>/.staging-<dataset>-<n>/` on the same file system and
//! fsynced; the manifest is written last; then the folder is renamed into place and the
//! parent directory fsynced. A previous delivery is moved aside first and removed after, so
//! a crash leaves the previous complete delivery, or (between the two renames) a
//! `.previous-<dataset>` folder that the next run restores — never a partial extract under
//! the dataset's name. Researchers read only folders that hold a `manifest.json`.

use crate::PipelineError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Row counts of one partition.
#[derive(Debug, Default, Clone)]
pub struct PartitionCounts {
    pub rows_in: u64,
    pub delivered: u64,
    pub outside_population: u64,
    pub outside_cohort: u64,
    pub opted_out: u64,
    pub invalid: BTreeMap<&'static str, u64>,
    pub other_role_opted_out: u64,
    pub other_role_no_valid_id: u64,
    /// Every person with a delivered row, by the opt-out registry's keyed hash (so that an
    /// opt-out arriving during the run can be checked against the delivery before commit).
    pub delivered_persons: PersonFilter,
    pub times: crate::StageTimes,
}

/// A fixed-size Bloom filter of persons (their registry hashes, which are uniformly random,
/// so their bytes serve as the filter's hash functions). 8 MiB whatever the register's
/// size: memory stays bounded. It may answer "maybe" for someone not delivered (about 1 in
/// 20 at 10 million persons, far less below); that only makes a delivery be built again,
/// never lets an opted-out person through.
#[derive(Debug, Clone)]
pub struct PersonFilter {
    words: Vec<u64>,
}

const FILTER_WORDS: usize = 1 << 20;

impl Default for PersonFilter {
    fn default() -> Self {
        PersonFilter {
            words: vec![0; FILTER_WORDS],
        }
    }
}

impl PersonFilter {
    fn bits(person: &[u8; 32]) -> [usize; 4] {
        let mut out = [0usize; 4];
        for (i, chunk) in person.chunks_exact(8).enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            out[i] = (u64::from_le_bytes(b) % (FILTER_WORDS as u64 * 64)) as usize;
        }
        out
    }

    pub fn insert(&mut self, person: &[u8; 32]) {
        for bit in Self::bits(person) {
            self.words[bit / 64] |= 1 << (bit % 64);
        }
    }

    /// False: certainly not delivered. True: delivered, or (rarely) a false alarm.
    pub fn may_contain(&self, person: &[u8; 32]) -> bool {
        Self::bits(person)
            .iter()
            .all(|bit| self.words[bit / 64] & (1 << (bit % 64)) != 0)
    }

    pub fn union(&mut self, other: &PersonFilter) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }
}

/// Where every input row went: `rows_in = delivered + outside_population + outside_cohort +
/// opted_out + invalid_identifier (+ suppressed)`. Rows are classified in that order of precedence: an
/// invalid identifier first, then the study population (a person not in it), then the
/// dataset's own filter (its cohort and window), then the opt-out registry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RowAccounting {
    pub rows_in: u64,
    pub delivered: u64,
    /// Rows of people outside the permit's study population.
    #[serde(default)]
    pub outside_population: u64,
    /// Rows outside the dataset's own filter: its cohort conditions and window.
    pub outside_cohort: u64,
    pub opted_out: u64,
    pub invalid_identifier: u64,
    pub invalid_identifier_by_reason: BTreeMap<String, u64>,
    /// In delivered rows, other persons (a child's mother) withheld because they opted
    /// out: their pseudonym and the variables describing them are null.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub other_role_opted_out: u64,
    /// In delivered rows, other persons' identifiers that are missing or invalid (null).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub other_role_no_valid_id: u64,
    /// Anonymised deliveries: rows removed because their group of quasi-identifier values
    /// stayed smaller than k.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub suppressed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl RowAccounting {
    /// Nothing counted yet, with every reason an identifier is set aside listed at zero (the
    /// manifest names them all).
    pub(crate) fn with_every_reason() -> RowAccounting {
        RowAccounting {
            invalid_identifier_by_reason: hdab_pseudonymise::IdRejection::ALL
                .iter()
                .map(|r| (r.as_str().to_string(), 0))
                .collect(),
            ..RowAccounting::default()
        }
    }

    pub(crate) fn add(&mut self, p: &PartitionCounts) {
        self.rows_in += p.rows_in;
        self.delivered += p.delivered;
        self.outside_population += p.outside_population;
        self.outside_cohort += p.outside_cohort;
        self.opted_out += p.opted_out;
        self.other_role_opted_out += p.other_role_opted_out;
        self.other_role_no_valid_id += p.other_role_no_valid_id;
        for (reason, n) in &p.invalid {
            self.invalid_identifier += n;
            *self
                .invalid_identifier_by_reason
                .entry((*reason).to_string())
                .or_default() += n;
        }
    }

    pub fn balances(&self) -> bool {
        self.rows_in
            == self.delivered
                + self.outside_population
                + self.outside_cohort
                + self.opted_out
                + self.invalid_identifier
                + self.suppressed
            && self.invalid_identifier == self.invalid_identifier_by_reason.values().sum::<u64>()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub name: String,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// `manifest.json`: what was delivered, from what, under which key and registry state.
/// Deterministic: no wall-clock time (the audit log has it), so a re-run is byte-identical.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub permit_id: String,
    pub dataset_id: String,
    pub dataset_version: i64,
    pub upload_id: String,
    pub upload_sha256: String,
    pub spec_digest: String,
    pub key_id: String,
    pub key_version: u32,
    pub pseudonym_scheme: String,
    pub optout_registry_seq: i64,
    pub reference_date: NaiveDate,
    pub rows: RowAccounting,
    /// (name, Arrow type) of each delivered column, in order.
    pub columns: Vec<(String, String)>,
    pub files: Vec<ManifestFile>,
    /// Parallel partitions of the run (part files); same inputs and partitions, same bytes.
    pub partitions: usize,
    pub software: String,
    /// Digest of everything that decides the delivered bytes (see [`run_id`]): a run whose
    /// id equals the delivered one is a no-op.
    #[serde(default)]
    pub run_id: String,
    /// A signed checkpoint of the audit log as of this delivery (a copy outside the
    /// database, so a cut-off log is detected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_checkpoint: Option<serde_json::Value>,
    /// Anonymised deliveries: the k reached, the chosen levels, the records suppressed, the
    /// information lost, and the re-identification risk before and after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymisation: Option<hdab_anonymise::Report>,
    /// Where the plan ran when not on this machine: the cluster's scheduler and executors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ran_on: Option<String>,
}

pub(crate) fn sha256_file(path: &Path) -> Result<String, PipelineError> {
    let mut f = std::fs::File::open(path).map_err(|e| PipelineError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| PipelineError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Writes a file and syncs it to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), PipelineError> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).map_err(|e| PipelineError::io(path, e))?;
    f.write_all(bytes).map_err(|e| PipelineError::io(path, e))?;
    f.sync_all().map_err(|e| PipelineError::io(path, e))
}

/// The file name of a delivery's record among its permit's records.
pub(crate) fn record_name(dataset_id: &str, run_id: &str) -> String {
    format!("{dataset_id}-{run_id}.json")
}

impl Manifest {
    /// The manifest as researchers see it in their workspace: the row accounting reduced to
    /// the rows delivered (the HDAB's record keeps where every other row went).
    pub fn for_researchers(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        v["rows"] = serde_json::json!({ "delivered": self.rows.delivered });
        v
    }
}

pub(crate) fn fsync_dir(path: &Path) -> Result<(), PipelineError> {
    std::fs::File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(|e| PipelineError::io(path, e))
}

/// A delivery written into staging, not yet visible to researchers.
#[derive(Debug)]
pub struct StagedDelivery {
    staging: PathBuf,
    target: PathBuf,
    previous: PathBuf,
    /// The HDAB's own record of the delivery (the full row accounting), outside the SPE.
    records: PathBuf,
    manifest: Option<Manifest>,
    /// The persons delivered, by registry hash (never written anywhere).
    delivered_persons: PersonFilter,
    times: crate::StageTimes,
}

impl StagedDelivery {
    /// A staging folder that commits to `target`, moving an earlier delivery aside to
    /// `previous` first (the layout is [`crate::SpeFolder`]'s).
    pub(crate) fn new(
        staging: PathBuf,
        target: PathBuf,
        previous: PathBuf,
        records: PathBuf,
    ) -> StagedDelivery {
        StagedDelivery {
            staging,
            target,
            previous,
            records,
            manifest: None,
            delivered_persons: Default::default(),
            times: Default::default(),
        }
    }

    /// May the delivery hold a row of any of these persons (registry hashes)? (A rare false
    /// alarm is possible, see [`PersonFilter`]; a miss is not.)
    pub fn delivers_any_of(&self, persons: &std::collections::HashSet<[u8; 32]>) -> bool {
        persons
            .iter()
            .any(|p| self.delivered_persons.may_contain(p))
    }

    /// Records the opt-out registry state the delivery honours (when opt-outs that arrived
    /// during the run were checked and none of them is in it).
    pub fn set_optout_registry_seq(&mut self, seq: i64) {
        if let Some(m) = self.manifest.as_mut() {
            m.optout_registry_seq = seq;
        }
    }

    pub(crate) fn with_delivered_persons(mut self, persons: PersonFilter) -> Self {
        self.delivered_persons = persons;
        self
    }

    pub(crate) fn with_times(mut self, times: crate::StageTimes) -> Self {
        self.times = times;
        self
    }

    /// Where the run's time went (the scan's included once the manifest is in).
    pub fn times(&self) -> crate::StageTimes {
        self.times
    }

    pub fn path(&self) -> &Path {
        &self.staging
    }

    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// The staged data is complete: the leak scanner reads every staged file now, so that
    /// the final opt-out check and the commit follow each other closely (the commit then
    /// scans only the manifest it writes). A finding removes the staging folder.
    pub(crate) fn with_manifest(mut self, manifest: Manifest) -> Result<Self, PipelineError> {
        let started = std::time::Instant::now();
        let findings = crate::scan::scan_delivery(&self.staging);
        self.times.scan += started.elapsed().as_secs_f64();
        match findings {
            Ok(f) if f.is_empty() => {}
            Ok(f) => {
                self.abort();
                return Err(PipelineError::Leak(
                    f.into_iter().map(|f| f.place).collect(),
                ));
            }
            Err(e) => {
                self.abort();
                return Err(e);
            }
        }
        self.manifest = Some(manifest);
        Ok(self)
    }

    /// Removes the staging folder; nothing becomes visible.
    pub fn abort(&self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }

    /// Puts a copy of the audit log's signed checkpoint into the manifest.
    pub fn set_audit_checkpoint(&mut self, checkpoint: serde_json::Value) {
        if let Some(m) = self.manifest.as_mut() {
            m.audit_checkpoint = Some(checkpoint);
        }
    }

    /// Writes the manifest last, fsyncs, runs the leak scanner over the manifest (the staged
    /// data was scanned when it was staged) and renames the delivery into place. Any failure
    /// removes the staging folder.
    pub fn commit(self) -> Result<Manifest, PipelineError> {
        let Some(manifest) = self.manifest.clone() else {
            self.abort();
            return Err(PipelineError::Unsupported("no manifest to commit".into()));
        };
        let result = (|| {
            // The HDAB's record first (the full accounting), then the researchers' manifest
            // without it: how many rows were set aside for opt-out, or why, is not theirs
            // to see (after a re-delivery it would tell who left).
            let record = serde_json::to_vec_pretty(&manifest)
                .map_err(|e| PipelineError::Unsupported(e.to_string()))?;
            std::fs::create_dir_all(&self.records)
                .map_err(|e| PipelineError::io(&self.records, e))?;
            let record_path = self
                .records
                .join(record_name(&manifest.dataset_id, &manifest.run_id));
            write_synced(&record_path, &record)?;
            fsync_dir(&self.records)?;
            let path = self.staging.join("manifest.json");
            let mut json = serde_json::to_vec_pretty(&manifest.for_researchers())
                .map_err(|e| PipelineError::Unsupported(e.to_string()))?;
            json.push(b'\n');
            write_synced(&path, &json)?;
            fsync_dir(&self.staging)?;
            crate::crash_point("manifest-synced");
            // Last line of defence: nothing that reads as an identifier may leave.
            if crate::scan::text_reads_as_person_id(&json) {
                return Err(PipelineError::Leak(vec!["manifest.json".into()]));
            }
            if self.target.exists() {
                if self.previous.exists() {
                    std::fs::remove_dir_all(&self.previous)
                        .map_err(|e| PipelineError::io(&self.previous, e))?;
                }
                std::fs::rename(&self.target, &self.previous)
                    .map_err(|e| PipelineError::io(&self.target, e))?;
                crate::crash_point("previous-moved-aside");
            }
            std::fs::rename(&self.staging, &self.target)
                .map_err(|e| PipelineError::io(&self.target, e))?;
            crate::crash_point("renamed-into-place");
            if let Some(parent) = self.target.parent() {
                fsync_dir(parent)?;
            }
            if self.previous.exists() {
                std::fs::remove_dir_all(&self.previous)
                    .map_err(|e| PipelineError::io(&self.previous, e))?;
            }
            Ok(())
        })();
        if result.is_err() {
            self.abort();
        }
        result.map(|()| manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: "hdab-manifest/1".into(),
            permit_id: "P-1".into(),
            dataset_id: "d".into(),
            dataset_version: 1,
            upload_id: "u".into(),
            upload_sha256: "ab".repeat(32),
            spec_digest: "cd".repeat(32),
            key_id: "ef".repeat(8),
            key_version: 1,
            pseudonym_scheme: "test".into(),
            optout_registry_seq: 0,
            reference_date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
            rows: RowAccounting::default(),
            columns: vec![],
            files: vec![],
            partitions: 1,
            software: "test".into(),
            run_id: "ab".repeat(32),
            audit_checkpoint: None,
            anonymisation: None,
            ran_on: None,
        }
    }

    #[test]
    fn a_delivery_holding_an_identifier_is_refused_and_leaves_the_previous_one() {
        let spe = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let folder = crate::SpeFolder::new(spe.path(), spe.path().join(".locks"));
        let good = folder.stage("P-1", "d").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(good.path().join("notes.txt"), "nothing personal")
            .unwrap_or_else(|e| panic!("{e}"));
        good.with_manifest(manifest())
            .and_then(StagedDelivery::commit)
            .unwrap_or_else(|e| panic!("{e}"));
        let bad = folder.stage("P-1", "d").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(bad.path().join("notes.txt"), "patient 19121212-1212")
            .unwrap_or_else(|e| panic!("{e}"));
        let result = bad
            .with_manifest(manifest())
            .and_then(StagedDelivery::commit);
        assert!(matches!(result, Err(PipelineError::Leak(_))), "{result:?}");
        let target = spe.path().join("P-1/d");
        assert_eq!(
            std::fs::read_to_string(target.join("notes.txt")).unwrap_or_default(),
            "nothing personal"
        );
        let leftovers: Vec<_> = std::fs::read_dir(spe.path().join("P-1"))
            .unwrap_or_else(|e| panic!("{e}"))
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("d")]);
    }
}
