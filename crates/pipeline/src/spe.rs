//! The SPE folder: the one owner of its layout. Nothing else joins paths under it.
//!
//! ```text
//! <spe root>/<permit>/<dataset>/               a delivery: part-*.parquet, manifest.json
//! <spe root>/<permit>/.staging-<dataset>-<pid>/ a run's staging folder (never read)
//! <spe root>/<permit>/.previous-<dataset>/      the delivery a committing run moved aside
//! <spe root>/<permit>/work/                      the researchers' own files (the permit's
//!                                                group; deliveries are the gateway's only)
//! <locks>/<permit>.lock                         one extraction of a permit at a time
//! <withdrawn>/<permit>/                          a revoked permit's workspace, out of the
//!                                                SPE at once, waiting for its erasure
//! <records>/<permit>/<dataset>-<run id>.json     the HDAB's record of each delivery (the
//!                                                full row accounting the researchers'
//!                                                manifest leaves out)
//! ```
//!
//! A permit's folder is put right after a crash ([`SpeFolder::recover`]) only under the
//! permit's lock, so no live run is touched.

use crate::PipelineError;
use crate::deliver::{Manifest, StagedDelivery, fsync_dir};
use std::path::{Path, PathBuf};

mod share;

/// A permit's SPE folder tree and its extraction locks.
#[derive(Debug, Clone)]
pub struct SpeFolder {
    root: PathBuf,
    locks: PathBuf,
    withdrawn: PathBuf,
    records: PathBuf,
}

/// One file an erasure removed: where it was (as shown to people), its size and checksum.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ErasedFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Held while a permit's extraction runs (a file lock, released on drop).
#[derive(Debug)]
pub struct PermitLock {
    _file: std::fs::File,
}

/// What [`SpeFolder::recover`] found and put right.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Staging folders of runs that died before their commit, removed.
    pub staging_removed: u64,
    /// Earlier deliveries moved aside by a run that died before renaming its own into place,
    /// put back.
    pub previous_restored: u64,
    /// Earlier deliveries left aside by a run that died after its own was in place, removed.
    pub previous_removed: u64,
}

impl Recovered {
    fn add(&mut self, other: Recovered) {
        self.staging_removed += other.staging_removed;
        self.previous_restored += other.previous_restored;
        self.previous_removed += other.previous_removed;
    }
}

const STAGING: &str = ".staging-";
const PREVIOUS: &str = ".previous-";
/// A permit's folder for its researchers' own files (never a dataset's name).
pub const WORK: &str = "work";

impl SpeFolder {
    /// The tree under `root`, with the permits' locks in `locks`, and withdrawn workspaces
    /// and delivery records beside the locks (outside the SPE): `<locks>/../withdrawn`,
    /// `<locks>/../records`.
    pub fn new(root: impl Into<PathBuf>, locks: impl Into<PathBuf>) -> SpeFolder {
        let locks: PathBuf = locks.into();
        let beside = |name: &str| {
            locks
                .parent()
                .map_or_else(|| PathBuf::from(name), |p| p.join(name))
        };
        SpeFolder {
            root: root.into(),
            withdrawn: beside("withdrawn"),
            records: beside("records"),
            locks,
        }
    }

    /// The HDAB's record of the delivery with this run id (the full manifest), if kept.
    pub fn record(&self, permit_id: &str, dataset_id: &str, run_id: &str) -> Option<Manifest> {
        std::fs::read(
            self.records
                .join(permit_id)
                .join(crate::deliver::record_name(dataset_id, run_id)),
        )
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
    }

    /// Ends access to a permit's workspace at once: moves it out of the SPE (the caller
    /// holds the permit's lock). `false` when there was none.
    pub fn withdraw(&self, permit_id: &str) -> Result<bool, PipelineError> {
        let from = self.permit(permit_id);
        if !from.exists() {
            return Ok(false);
        }
        std::fs::create_dir_all(&self.withdrawn)
            .map_err(|e| PipelineError::io(&self.withdrawn, e))?;
        let to = self.withdrawn.join(permit_id);
        if to.exists() {
            std::fs::remove_dir_all(&to).map_err(|e| PipelineError::io(&to, e))?;
        }
        std::fs::rename(&from, &to).map_err(|e| PipelineError::io(&from, e))?;
        fsync_dir(&self.root)?;
        Ok(true)
    }

    /// Whether anything of a permit is on disk (its workspace or a withdrawn copy).
    pub fn holds(&self, permit_id: &str) -> bool {
        self.permit(permit_id).exists() || self.withdrawn.join(permit_id).exists()
    }

    /// Erases everything of a permit on disk, its workspace and any withdrawn copy (the
    /// caller holds the permit's lock), and says what was erased with each file's checksum.
    pub fn erase(&self, permit_id: &str) -> Result<Vec<ErasedFile>, PipelineError> {
        let mut erased = Vec::new();
        for dir in [self.permit(permit_id), self.withdrawn.join(permit_id)] {
            if !dir.exists() {
                continue;
            }
            let mut stack = vec![dir.clone()];
            while let Some(d) = stack.pop() {
                let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
                    .map_err(|e| PipelineError::io(&d, e))?
                    .flatten()
                    .map(|e| e.path())
                    .collect();
                entries.sort();
                for path in entries {
                    if path.is_dir() {
                        stack.push(path);
                    } else {
                        let bytes = std::fs::metadata(&path)
                            .map_err(|e| PipelineError::io(&path, e))?
                            .len();
                        erased.push(ErasedFile {
                            path: format!(
                                "{permit_id}/{}",
                                path.strip_prefix(&dir).unwrap_or(&path).display()
                            ),
                            bytes,
                            sha256: crate::deliver::sha256_file(&path)?,
                        });
                    }
                }
            }
            std::fs::remove_dir_all(&dir).map_err(|e| PipelineError::io(&dir, e))?;
        }
        erased.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(erased)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a permit's deliveries are.
    pub fn permit(&self, permit_id: &str) -> PathBuf {
        self.root.join(permit_id)
    }

    /// Where a dataset's delivery under a permit is.
    pub fn delivery(&self, permit_id: &str, dataset_id: &str) -> PathBuf {
        self.permit(permit_id).join(dataset_id)
    }

    /// A path under the root as shown to people (`P-…/dataset`), never the host's layout.
    pub fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// The manifest of a delivery in place; `None` when there is none (or it is unreadable,
    /// which a re-run then replaces).
    pub fn manifest(&self, permit_id: &str, dataset_id: &str) -> Option<Manifest> {
        std::fs::read(self.delivery(permit_id, dataset_id).join("manifest.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
    }

    /// Every delivery's manifest on disk as JSON, with its place (`P-…/dataset/manifest.json`),
    /// for checks that must read manifests of any format version (the audit verification).
    pub fn manifests(&self) -> Vec<(String, serde_json::Value)> {
        let mut out = Vec::new();
        let Ok(permits) = std::fs::read_dir(&self.root) else {
            return out;
        };
        let mut permits: Vec<_> = permits.flatten().map(|e| e.path()).collect();
        permits.sort();
        for permit in permits {
            let Ok(datasets) = std::fs::read_dir(&permit) else {
                continue;
            };
            let mut datasets: Vec<_> = datasets.flatten().map(|e| e.path()).collect();
            datasets.sort();
            for dataset in datasets {
                let path = dataset.join("manifest.json");
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
                    out.push((self.shown(&path), value));
                }
            }
        }
        out
    }

    fn lock_file(&self, permit_id: &str) -> Result<std::fs::File, PipelineError> {
        std::fs::create_dir_all(&self.locks).map_err(|e| PipelineError::io(&self.locks, e))?;
        let path = self.locks.join(format!("{permit_id}.lock"));
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| PipelineError::io(&path, e))
    }

    /// Waits for, then holds, the permit's extraction lock (blocking: call it off the async
    /// runtime's threads).
    pub fn lock(&self, permit_id: &str) -> Result<PermitLock, PipelineError> {
        let file = self.lock_file(permit_id)?;
        let path = self.locks.join(format!("{permit_id}.lock"));
        file.lock().map_err(|e| PipelineError::io(&path, e))?;
        Ok(PermitLock { _file: file })
    }

    /// Start-up recovery: puts every permit's folder right after runs that died. A permit
    /// whose lock a live run holds is left to that run, which recovers its folder itself.
    pub fn recover(&self) -> Result<Recovered, PipelineError> {
        let mut total = Recovered::default();
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(total),
            Err(e) => return Err(PipelineError::io(&self.root, e)),
        };
        for entry in entries.flatten() {
            let Some(permit) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if permit.starts_with('.') || !entry.path().is_dir() {
                continue;
            }
            let lock = self.lock_file(&permit)?;
            if lock.try_lock().is_err() {
                continue;
            }
            total.add(recover_permit_folder(&entry.path())?);
        }
        Ok(total)
    }

    /// A new staging folder for a delivery, after putting the permit's folder right (the
    /// caller holds the permit's lock).
    pub(crate) fn stage(
        &self,
        permit_id: &str,
        dataset_id: &str,
    ) -> Result<StagedDelivery, PipelineError> {
        let permit_dir = self.permit(permit_id);
        if dataset_id == WORK {
            return Err(PipelineError::io(
                &permit_dir,
                std::io::Error::other(format!(
                    "'{WORK}' is the researchers' own folder in every workspace: a dataset cannot be delivered under that name"
                )),
            ));
        }
        std::fs::create_dir_all(&permit_dir).map_err(|e| PipelineError::io(&permit_dir, e))?;
        recover_permit_folder(&permit_dir)?;
        let staging = permit_dir.join(format!("{STAGING}{dataset_id}-{}", std::process::id()));
        std::fs::create_dir_all(&staging).map_err(|e| PipelineError::io(&staging, e))?;
        Ok(StagedDelivery::new(
            staging,
            permit_dir.join(dataset_id),
            permit_dir.join(format!("{PREVIOUS}{dataset_id}")),
            self.records.join(permit_id),
        ))
    }
}

/// Puts a permit's folder right after crashed runs: removes leftover staging folders,
/// restores a moved-aside delivery whose successor never arrived and removes one whose
/// successor did.
fn recover_permit_folder(permit_dir: &Path) -> Result<Recovered, PipelineError> {
    let mut r = Recovered::default();
    let entries = match std::fs::read_dir(permit_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(r),
        Err(e) => return Err(PipelineError::io(permit_dir, e)),
    };
    let names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    for name in &names {
        let path = permit_dir.join(name);
        if name.starts_with(STAGING) {
            std::fs::remove_dir_all(&path).map_err(|e| PipelineError::io(&path, e))?;
            r.staging_removed += 1;
        } else if let Some(dataset) = name.strip_prefix(PREVIOUS) {
            let target = permit_dir.join(dataset);
            if target.exists() {
                std::fs::remove_dir_all(&path).map_err(|e| PipelineError::io(&path, e))?;
                r.previous_removed += 1;
            } else {
                std::fs::rename(&path, &target).map_err(|e| PipelineError::io(&target, e))?;
                r.previous_restored += 1;
            }
        }
    }
    if r != Recovered::default() {
        fsync_dir(permit_dir)?;
    }
    Ok(r)
}
