//! The key file: the HDAB's master keys, newest last.
//!
//! One key per line as 64 hex digits (`#` comments allowed). Each key is known by its key id;
//! a permit records the key id current when it was granted and keeps using that key, so
//! adding a key (`hdab keys new`) changes nothing for existing permits. The file must be
//! readable by its owner only; `HDAB_MASTER_KEY` (keys separated by white space) overrides it.

use crate::AppError;
use hdab_pseudonymise::MasterKey;
use std::path::Path;

/// Environment variable that may hold the master keys instead of a file.
pub const KEY_ENV: &str = "HDAB_MASTER_KEY";

/// The master keys, oldest first. Zeroised when dropped; never printed.
#[derive(Debug)]
pub struct Keyring {
    keys: Vec<MasterKey>,
}

impl Keyring {
    /// The key new permits are granted under.
    pub fn current(&self) -> &MasterKey {
        // `parse` refuses an empty ring.
        &self.keys[self.keys.len() - 1]
    }

    /// The first key of the file (the opt-out registry's root).
    pub fn oldest(&self) -> &MasterKey {
        &self.keys[0]
    }

    /// The key with this id, as recorded in a permit.
    pub fn by_id(&self, key_id: &str) -> Result<&MasterKey, AppError> {
        self.keys
            .iter()
            .find(|k| k.key_id() == key_id)
            .ok_or_else(|| {
                AppError::Key(format!(
                    "the key file has no key with id {key_id}; restore it from the key backup"
                ))
            })
    }

    pub fn key_ids(&self) -> Vec<String> {
        self.keys.iter().map(MasterKey::key_id).collect()
    }

    fn parse(text: &str, origin: &str) -> Result<Keyring, AppError> {
        let mut keys = Vec::new();
        for (i, line) in text.lines().enumerate() {
            for word in line
                .split('#')
                .next()
                .unwrap_or_default()
                .split_whitespace()
            {
                keys.push(
                    MasterKey::from_hex(word)
                        .map_err(|e| AppError::Key(format!("{origin}, line {}: {e}", i + 1)))?,
                );
            }
        }
        if keys.is_empty() {
            return Err(AppError::Key(format!("{origin} holds no key")));
        }
        Ok(Keyring { keys })
    }
}

/// On a cluster's executor: the permit key the plan names, derived here from the master key
/// with that id (the plan carries ids and versions, never a key); the registry key from the
/// oldest key, as everywhere.
impl hdab_pipeline::KeySource for Keyring {
    fn permit_key(
        &self,
        key_id: &str,
        permit_id: &str,
        key_version: u32,
    ) -> Result<std::sync::Arc<hdab_pseudonymise::DerivedKey>, String> {
        let master = self.by_id(key_id).map_err(|e| e.to_string())?;
        Ok(std::sync::Arc::new(master.derive(
            &hdab_pseudonymise::permit_context(permit_id, key_version),
        )))
    }

    fn registry_key(&self) -> Result<std::sync::Arc<hdab_pseudonymise::DerivedKey>, String> {
        Ok(std::sync::Arc::new(
            self.oldest()
                .derive(&hdab_pseudonymise::optout_registry_context()),
        ))
    }
}

/// Master keys given as text (the binary reads `HDAB_MASTER_KEY` into it once); never
/// printed.
#[derive(Clone)]
pub struct KeyText(std::sync::Arc<zeroize::Zeroizing<String>>);

impl KeyText {
    pub fn new(text: String) -> KeyText {
        KeyText(std::sync::Arc::new(zeroize::Zeroizing::new(text)))
    }
}

impl std::fmt::Debug for KeyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyText([redacted])")
    }
}

/// The keys given as text if any (what `HDAB_MASTER_KEY` held), else from the key file,
/// which must be readable by its owner only.
pub fn load(key_file: &Path, text: Option<&KeyText>) -> Result<Keyring, AppError> {
    if let Some(text) = text {
        return Keyring::parse(&text.0, KEY_ENV);
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
                "{} can be read by others (mode {mode:o}); a master key must be readable by its owner only: run `chmod 600 {}`",
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
    Keyring::parse(&text, &key_file.display().to_string())
}

/// Writes a new key file with one fresh key (mode 600). Refuses to overwrite: losing a key
/// makes every pseudonym under it unreproducible.
pub fn create(key_file: &Path) -> Result<String, AppError> {
    if key_file.exists() {
        return Err(AppError::Key(format!(
            "{} already exists; refusing to overwrite a master key (add one with `hdab keys new`)",
            key_file.display()
        )));
    }
    if let Some(dir) = key_file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| AppError::Io(dir.display().to_string(), e))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    append_new_key(key_file, options)
}

/// Appends a fresh key to an existing key file; it becomes the current key for new permits.
pub fn add(key_file: &Path) -> Result<String, AppError> {
    load(key_file, None)?;
    let mut options = std::fs::OpenOptions::new();
    options.append(true);
    append_new_key(key_file, options)
}

fn append_new_key(key_file: &Path, mut options: std::fs::OpenOptions) -> Result<String, AppError> {
    use std::io::Write;
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let key = MasterKey::generate();
    let mut line = zeroize::Zeroizing::new(key.to_hex().to_string());
    line.push('\n');
    let mut f = options
        .open(key_file)
        .map_err(|e| AppError::Io(key_file.display().to_string(), e))?;
    f.write_all(line.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| AppError::Io(key_file.display().to_string(), e))?;
    Ok(key.key_id())
}
