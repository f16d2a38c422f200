//! Loading and creating the master key file.

use crate::AppError;
use hdab_pseudonymise::MasterKey;
use std::path::Path;

/// Environment variable that may hold the master key (64 hex digits) instead of a file.
pub const KEY_ENV: &str = "HDAB_MASTER_KEY";

/// The master key from `HDAB_MASTER_KEY` if set, else from the key file, which must be
/// readable by its owner only.
pub fn load(key_file: &Path) -> Result<MasterKey, AppError> {
    if let Ok(text) = std::env::var(KEY_ENV) {
        return MasterKey::from_hex(&text).map_err(|e| AppError::Key(format!("{KEY_ENV}: {e}")));
    }
    let meta = std::fs::metadata(key_file).map_err(|_| {
        AppError::Key(format!(
            "no master key: {} does not exist. Create one with `hdab keys init`, or set {KEY_ENV}",
            key_file.display()
        ))
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(AppError::Key(format!(
                "{} is readable by others (mode {mode:o}); the master key must be readable by its owner only: run `chmod 600 {}`",
                key_file.display(),
                key_file.display()
            )));
        }
    }
    let _ = meta;
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(key_file)
            .map_err(|e| AppError::Key(format!("{}: {e}", key_file.display())))?,
    );
    MasterKey::from_hex(&text).map_err(|e| AppError::Key(format!("{}: {e}", key_file.display())))
}

/// Writes a new random key to `key_file` (mode 600). Refuses to overwrite: losing a key
/// makes every pseudonym under it unreproducible.
pub fn create(key_file: &Path) -> Result<MasterKey, AppError> {
    if key_file.exists() {
        return Err(AppError::Key(format!(
            "{} already exists; refusing to overwrite a master key",
            key_file.display()
        )));
    }
    if let Some(dir) = key_file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| AppError::Io(dir.display().to_string(), e))?;
    }
    let key = MasterKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    let mut f = options
        .open(key_file)
        .map_err(|e| AppError::Io(key_file.display().to_string(), e))?;
    f.write_all(key.to_hex().as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .and_then(|()| f.sync_all())
        .map_err(|e| AppError::Io(key_file.display().to_string(), e))?;
    Ok(key)
}
