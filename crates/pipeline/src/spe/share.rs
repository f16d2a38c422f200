//! Who on the host may read a permit's workspace: its tree given to the permit's operating
//! system group (folders 0750, files 0640), or taken back from it (0700, 0600, the service
//! account's group). Nothing else in the SPE changes: the root lets accounts pass (0711)
//! but not list, and staging and previous folders stay the service account's.

use super::{PREVIOUS, STAGING, SpeFolder};
use crate::PipelineError;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

impl SpeFolder {
    /// Gives the permit's workspace to `group` (read only), or with `None` back to the
    /// service account alone. Returns how many files and folders changed.
    pub fn share(&self, permit_id: &str, group: Option<u32>) -> Result<usize, PipelineError> {
        let dir = self.permit(permit_id);
        if !dir.exists() {
            return Ok(0);
        }
        let own_gid = std::fs::metadata(&self.root)
            .map_err(|e| PipelineError::io(&self.root, e))?
            .gid();
        let (gid, dirs, files) = match group {
            Some(g) => (g, 0o750, 0o640),
            None => (own_gid, 0o700, 0o600),
        };
        let mut changed = 0;
        let mut stack = vec![dir];
        while let Some(path) = stack.pop() {
            let meta = std::fs::symlink_metadata(&path).map_err(|e| PipelineError::io(&path, e))?;
            if meta.file_type().is_symlink() {
                continue;
            }
            let mode = if meta.is_dir() { dirs } else { files };
            if meta.gid() != gid || meta.mode() & 0o777 != mode {
                std::os::unix::fs::chown(&path, None, Some(gid))
                    .map_err(|e| PipelineError::io(&path, e))?;
                set_mode(&path, mode)?;
                changed += 1;
            }
            if meta.is_dir() {
                for entry in std::fs::read_dir(&path).map_err(|e| PipelineError::io(&path, e))? {
                    let child = entry.map_err(|e| PipelineError::io(&path, e))?.path();
                    let name = child.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    if !name.starts_with(STAGING) && !name.starts_with(PREVIOUS) {
                        stack.push(child);
                    }
                }
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

fn set_mode(path: &Path, mode: u32) -> Result<(), PipelineError> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| PipelineError::io(path, e))
}
