//! Who on the host may enter a permit's workspace. The design is gateway-only (issue 22):
//! delivered data stay the service account's (folders 0700, files 0600) and are read only
//! through the SPE gateway, which logs every query; a direct file read could not be logged.
//! What the permit's operating-system group gets is the permit's folder to pass through
//! (0710: no listing) and its `work/` folder (2770: the researchers' own code and results,
//! files inherit the group). Taken back, both are the service account's alone again (0700).
//! The root lets accounts pass (0711) but not list; staging and previous folders stay the
//! service account's.

use super::{PREVIOUS, STAGING, SpeFolder, WORK};
use crate::PipelineError;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

impl SpeFolder {
    /// Gives the permit's folder and its `work/` to `group`, or with `None` back to the
    /// service account alone, and keeps every delivery private. Returns how many files and
    /// folders changed.
    pub fn share(&self, permit_id: &str, group: Option<u32>) -> Result<usize, PipelineError> {
        let dir = self.permit(permit_id);
        if !dir.exists() {
            return Ok(0);
        }
        let own = std::fs::metadata(&self.root)
            .map_err(|e| PipelineError::io(&self.root, e))?
            .gid();
        let work = dir.join(WORK);
        if group.is_some() && !work.exists() {
            std::fs::create_dir(&work).map_err(|e| PipelineError::io(&work, e))?;
        }
        let (gid, top, work_mode) = match group {
            Some(g) => (g, 0o710, 0o2770),
            None => (own, 0o700, 0o700),
        };
        let mut changed = usize::from(set(&dir, gid, top)?);
        if work.exists() {
            changed += usize::from(set(&work, gid, work_mode)?);
        }
        for entry in std::fs::read_dir(&dir).map_err(|e| PipelineError::io(&dir, e))? {
            let child = entry.map_err(|e| PipelineError::io(&dir, e))?.path();
            let name = child.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name != WORK && !name.starts_with(STAGING) && !name.starts_with(PREVIOUS) {
                changed += keep_private(&child, own)?;
            }
        }
        Ok(changed)
    }

    /// Lets workspace accounts pass through the SPE root to their own workspace (0711: no
    /// listing). `true` if it changed.
    pub fn let_accounts_pass(&self) -> Result<bool, PipelineError> {
        std::fs::create_dir_all(&self.root).map_err(|e| PipelineError::io(&self.root, e))?;
        let mode = std::fs::metadata(&self.root)
            .map_err(|e| PipelineError::io(&self.root, e))?
            .mode();
        if mode & 0o777 == 0o711 {
            return Ok(false);
        }
        set_mode(&self.root, 0o711)?;
        Ok(true)
    }
}

/// A delivery's tree: the service account's group, folders 0700, files 0600.
fn keep_private(top: &Path, gid: u32) -> Result<usize, PipelineError> {
    let mut changed = 0;
    let mut stack = vec![top.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).map_err(|e| PipelineError::io(&path, e))?;
        if meta.file_type().is_symlink() {
            continue;
        }
        changed += usize::from(set(&path, gid, if meta.is_dir() { 0o700 } else { 0o600 })?);
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).map_err(|e| PipelineError::io(&path, e))? {
                stack.push(entry.map_err(|e| PipelineError::io(&path, e))?.path());
            }
        }
    }
    Ok(changed)
}

/// Gives `path` group `gid` and `mode`; `true` if either changed.
fn set(path: &Path, gid: u32, mode: u32) -> Result<bool, PipelineError> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| PipelineError::io(path, e))?;
    if meta.gid() == gid && meta.mode() & 0o7777 == mode {
        return Ok(false);
    }
    std::os::unix::fs::chown(path, None, Some(gid)).map_err(|e| PipelineError::io(path, e))?;
    set_mode(path, mode)?;
    Ok(true)
}

fn set_mode(path: &Path, mode: u32) -> Result<(), PipelineError> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| PipelineError::io(path, e))
}
