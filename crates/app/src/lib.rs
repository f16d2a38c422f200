//! hdab's use cases: every command of the chain as one function that authorises the acting
//! user, does the work through the store, the pipeline and the keys, and records the outcome
//! in the audit log — refusals included.
//!
//! Owns the rule "every command is authorised and audited in one place", so the CLI today and
//! the HTTP server later mean the same thing. It prints nothing; callers render the results.

pub mod accounts;
mod activity;
pub mod attachments;
pub mod audit;
pub mod boundary;
mod cases;
mod catalog;
pub mod consultations;
mod data_requests;
mod entitlements;
mod erasure;
mod extraction;
pub mod fees;
mod findings;
pub mod identity;
pub mod inflate;
pub mod keyfile;
mod keys;
pub mod notifications;
mod optouts;
pub mod orders;
mod outputs;
mod permits;
pub mod registrations;
mod risk;
mod spe_accounts;
mod spe_reads;
mod uploads;
mod users;
pub mod views;
pub mod witness;

pub use cases::{CaseOptions, QueueRow, RegisterEntry, SubmittedVersion};
pub use catalog::{CatalogIdentity, CatalogQuery, OverdueDescription};
pub use entitlements::{Entitlement, EntitlementFeed, SignedFeed};
pub use erasure::Erasure;
pub use extraction::{Delivery, Progress};
pub use findings::{Disclosure, FindingView, OverduePublication};
pub use outputs::{CheckedFile, OutputDetail, OutputFileIn, OutputSettings, PublishedRelease};
pub use permits::{DatasetStatus, PermitStatus};
pub use risk::RiskQuery;
pub use spe_accounts::SpeAccounts;
pub use spe_reads::{MAX_SQL_BYTES, QueryEnd, QueryRecord, Workspace};
pub use uploads::readable_copy;
pub use users::ProfileChange;

use chrono::Utc;
use hdab_permits::{Refusal, User};
use hdab_pipeline::PipelineError;
use hdab_store::{Store, StoreError};
use std::path::{Path, PathBuf};

/// Where hdab keeps its things. Merged from defaults, environment and flags by the caller.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub data_dir: PathBuf,
    pub spe_root: PathBuf,
    pub key_file: PathBuf,
    /// Master keys given as text instead of the key file (`HDAB_MASTER_KEY`, read by the
    /// binary).
    pub key_text: Option<keyfile::KeyText>,
    /// Partitions of an extraction: parallel streams and part files. A setting, not the core
    /// count, so the same inputs give the same files on any machine.
    pub partitions: usize,
    /// Where signed audit checkpoints are witnessed outside the database.
    pub witness: witness::Witness,
    /// Check uploads in a bounded child process (see [`boundary`]); `None`: in process.
    pub upload_boundary: Option<boundary::UploadBoundary>,
    /// Bounds on what a compressed upload may expand to (see [`inflate`]).
    pub inflate: inflate::InflateLimits,
    /// When a permit's data must be erased.
    pub erasure: hdab_permits::ErasureRules,
    /// Output requests' limits and the disclosure rules their checks use.
    pub outputs: outputs::OutputSettings,
    /// A command (run by `sh -c`) that receives the signed entitlements feed after every
    /// change of who may use a workspace (an external SPE's webhook).
    pub entitlements_command: Option<String>,
    /// hdab's own SPE on this host: the prefix of the accounts and groups it keeps.
    pub spe_accounts: Option<spe_accounts::SpeAccounts>,
    /// What a sign-in through the identity provider must show.
    pub sign_in: SignInPolicy,
    /// How registration numbers (diarienummer) are written.
    pub diarium: registrations::DiariumFormat,
    /// How people are told what happened.
    pub notify: notifications::NotifySettings,
    /// The largest document an application may attach.
    pub attachment_max_bytes: u64,
    /// The fee schedule (EHDS Art. 62); none: no fees are charged.
    pub fees: Option<hdab_permits::fees::FeeSchedule>,
    /// The catalogue's identity in HealthData@EU: its base IRI and the HDAB.
    pub catalog: catalog::CatalogIdentity,
    /// The provisions of law under which a permit may be exempted from opt-outs (EHDS Art.
    /// 71(4)); empty: the law provides no exception.
    pub optout_exception_bases: Vec<String>,
}

/// What a sign-in through the identity provider must show for the roles that need a strong
/// one (`permits::access::required_assurance`).
#[derive(Debug, Clone, Default)]
pub struct SignInPolicy {
    /// The `acr` values that count as multi-factor (SITHS, Freja eID+, BankID: the broker's
    /// names for them, e.g. `http://id.elegnamnden.se/loa/1.0/loa3`).
    pub strong_acr: Vec<String>,
}

impl Settings {
    /// Everything under one data directory (the embedded default).
    pub fn under(data_dir: &Path) -> Settings {
        Settings {
            database_url: format!("sqlite://{}", data_dir.join("hdab.db").display()),
            data_dir: data_dir.to_path_buf(),
            spe_root: data_dir.join("spe"),
            key_file: data_dir.join("master.key"),
            key_text: None,
            witness: witness::Witness::under(data_dir),
            partitions: hdab_pipeline::DEFAULT_PARTITIONS,
            upload_boundary: None,
            inflate: inflate::InflateLimits::default(),
            erasure: hdab_permits::ErasureRules::default(),
            outputs: outputs::OutputSettings::default(),
            entitlements_command: None,
            spe_accounts: None,
            sign_in: SignInPolicy::default(),
            diarium: registrations::DiariumFormat::default(),
            notify: notifications::NotifySettings::default(),
            attachment_max_bytes: attachments::DEFAULT_MAX_BYTES,
            fees: None,
            catalog: catalog::CatalogIdentity::default(),
            optout_exception_bases: Vec::new(),
        }
    }

    /// The master keys, from the key text if given, else the key file.
    pub fn keyring(&self) -> Result<keyfile::Keyring, AppError> {
        keyfile::load(&self.key_file, self.key_text.as_ref())
    }

    /// The SPE folder tree, with the permits' extraction locks under the data folder.
    pub fn spe(&self) -> hdab_pipeline::SpeFolder {
        hdab_pipeline::SpeFolder::new(&self.spe_root, self.data_dir.join("locks"))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("refused: {0}")]
    Refused(String),
    #[error("refused: {0}")]
    Case(#[from] Refusal),
    #[error("{0} does not exist")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("key problem: {0}")]
    Key(String),
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
}

impl From<hdab_permits::access::Denied> for AppError {
    fn from(d: hdab_permits::access::Denied) -> Self {
        AppError::Refused(d.0)
    }
}

/// A missing object is the caller's problem (404 later), not a storage failure.
impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => AppError::NotFound(format!("{what} '{id}'")),
            e => AppError::Store(e),
        }
    }
}

impl AppError {
    fn outcome(&self) -> &'static str {
        match self {
            AppError::Refused(_) | AppError::Case(_) => "refused",
            AppError::Invalid(_) | AppError::NotFound(_) => "rejected",
            _ => "failed",
        }
    }
}

/// The application: settings and an open store.
#[derive(Debug, Clone)]
pub struct App {
    pub settings: Settings,
    pub store: Store,
}

impl App {
    pub async fn open(settings: Settings) -> Result<App, AppError> {
        let store = Store::open(&settings.database_url).await?;
        // With workspace accounts on this host, they pass through (0711) to their own
        // workspace; the folders inside stay 0700.
        private_folder(&settings.data_dir, settings.spe_accounts.is_some())?;
        Ok(App { settings, store })
    }

    /// The user a command acts as.
    pub async fn user(&self, id: &str) -> Result<User, AppError> {
        match self.store.user(id).await {
            Ok(u) => Ok(u),
            Err(StoreError::NotFound { .. }) => Err(AppError::Refused(format!(
                "unknown user '{id}': an administrator adds users with `hdab users add`"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Records the outcome of a command and passes it through.
    async fn audited<T>(
        &self,
        actor: &str,
        action: &str,
        object: &str,
        result: Result<(T, String), AppError>,
    ) -> Result<T, AppError> {
        let (outcome, detail) = match &result {
            Ok((_, detail)) => ("ok", detail.clone()),
            Err(e) => (e.outcome(), audit_reason(e)),
        };
        self.store
            .audit(
                Utc::now(),
                actor,
                &identity::current(),
                action,
                object,
                outcome,
                &detail,
            )
            .await?;
        result.map(|(t, _)| t)
    }
}

/// What goes into the audit log for a failure: the error's first line, which names ids,
/// columns and reasons, never values.
fn audit_reason(e: &AppError) -> String {
    e.to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect()
}

/// The installation's folder is the service account's alone (0700, set here whatever it
/// was): nothing below it is reachable by another local account.
fn private_folder(dir: &std::path::Path, passable: bool) -> Result<(), AppError> {
    use std::os::unix::fs::PermissionsExt;
    if dir.is_dir() {
        let mode = if passable { 0o711 } else { 0o700 };
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))
            .map_err(|e| AppError::Io(dir.display().to_string(), e))?;
    }
    Ok(())
}
