//! hdab's use cases: every command of the chain as one function that authorises the acting
//! user, does the work through the store, the pipeline and the keys, and records the outcome
//! in the audit log — refusals included.
//!
//! Owns the rule "every command is authorised and audited in one place", so the CLI today and
//! the HTTP server later mean the same thing. It prints nothing; callers render the results.

pub mod accounts;
pub mod audit;
pub mod boundary;
pub mod inflate;
pub mod keyfile;
pub mod views;

use chrono::{Months, NaiveDate, Utc};
use hdab_catalog::DatasetDescription;
use hdab_permits::{
    AppState, ApplicationContent, CaseCommand, CaseEvent, CaseView, Deadline, ExtractionSpec,
    Permit, Refusal, Role, User, assignee_of, deadline, decide, may_read, state_of,
};
use hdab_pipeline::{Compression, ExtractionInput, Manifest, PipelineError, UploadReport};
use hdab_pseudonymise::{PersonId, optout_registry_context, permit_context, registry_hash};
use hdab_store::{Store, StoreError, Upload};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where hdab keeps its things. Merged from defaults, environment and flags by the caller.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub data_dir: PathBuf,
    pub spe_root: PathBuf,
    pub key_file: PathBuf,
    /// Check uploads in a bounded child process (see [`boundary`]); `None`: in process.
    pub upload_boundary: Option<boundary::UploadBoundary>,
    /// Bounds on what a compressed upload may expand to (see [`inflate`]).
    pub inflate: inflate::InflateLimits,
}

impl Settings {
    /// Everything under one data directory (the embedded default).
    pub fn under(data_dir: &Path) -> Settings {
        Settings {
            database_url: format!("sqlite://{}", data_dir.join("hdab.db").display()),
            data_dir: data_dir.to_path_buf(),
            spe_root: data_dir.join("spe"),
            key_file: data_dir.join("master.key"),
            upload_boundary: None,
            inflate: inflate::InflateLimits::default(),
        }
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

/// A description not confirmed within 12 months.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OverdueDescription {
    pub holder: String,
    pub dataset_id: String,
    pub last_confirmed: chrono::DateTime<Utc>,
    pub days_overdue: i64,
}

/// Catalogue search filters; each given one must match.
#[derive(Debug, Clone, Default)]
pub struct CatalogQuery {
    pub text: Option<String>,
    pub category: Option<String>,
    pub holder: Option<String>,
    pub coding_system: Option<String>,
}

/// What some case commands need beyond a comment.
#[derive(Debug, Clone, Default)]
pub struct CaseOptions {
    /// `assign`: the officer to give the case to.
    pub assign_to: Option<String>,
    /// `approve`: a narrower spec than asked for (fewer variables, tighter cohort).
    pub narrowed: Option<ExtractionSpec>,
    /// `approve`: conditions attached to the permit.
    pub conditions: Vec<String>,
    /// `approve`: months of validity, if shorter than asked (at most 120).
    pub valid_months: Option<u32>,
}

/// One row of the case queue.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueueRow {
    pub id: String,
    pub state: AppState,
    pub assignee: Option<String>,
    pub organisation: String,
    pub title: String,
    pub deadline: Deadline,
}

/// One line of the public register.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RegisterEntry {
    pub id: String,
    pub received: chrono::DateTime<Utc>,
    pub organisation: String,
    pub title: String,
    pub purpose: hdab_permits::Purpose,
    pub datasets: Vec<String>,
    pub state: AppState,
    /// (decision, when, reasons)
    pub decision: Option<(String, chrono::DateTime<Utc>, String)>,
}

/// Progress of an extraction, read by a display while the run goes on.
#[derive(Debug, Default)]
pub struct Progress {
    pub rows_done: std::sync::atomic::AtomicU64,
    pub rows_total: std::sync::atomic::AtomicU64,
    pub bytes_total: std::sync::atomic::AtomicU64,
    pub dataset: std::sync::Mutex<String>,
}

impl Progress {
    fn start(&self, dataset: &str, rows: u64, bytes: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.rows_done.store(0, Relaxed);
        self.rows_total.store(rows, Relaxed);
        self.bytes_total.store(bytes, Relaxed);
        if let Ok(mut d) = self.dataset.lock() {
            *d = dataset.to_string();
        }
    }
}

/// A permit and the state of its deliveries.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PermitStatus {
    pub permit: Permit,
    pub registry_seq: i64,
    pub datasets: Vec<DatasetStatus>,
    /// The manifest of each dataset's latest delivery.
    pub manifests: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DatasetStatus {
    pub dataset_id: String,
    pub delivered_key_version: Option<u64>,
    pub delivered_registry_seq: Option<i64>,
    pub redelivery_due: bool,
}

/// Summary of one delivered dataset.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Delivery {
    pub dataset_id: String,
    pub folder: PathBuf,
    pub manifest: Manifest,
}

impl App {
    pub async fn open(settings: Settings) -> Result<App, AppError> {
        let store = Store::open(&settings.database_url).await?;
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
            .audit(Utc::now(), actor, action, object, outcome, &detail)
            .await?;
        result.map(|(t, _)| t)
    }

    fn require(user: &User, role: Role, what: &str) -> Result<(), AppError> {
        if user.has(role) || user.has(Role::Admin) && role == Role::DataHolder {
            Ok(())
        } else {
            Err(AppError::Refused(format!(
                "{what} needs the role {}; user '{}' does not have it",
                role.as_str(),
                user.id
            )))
        }
    }

    // ---- users ------------------------------------------------------------------------

    /// Adds a user. The very first user must be an administrator and needs no actor.
    pub async fn add_user(&self, actor: Option<&str>, new: &User) -> Result<(), AppError> {
        let actor_id = actor.unwrap_or("bootstrap").to_string();
        let result = async {
            if self.store.count_users().await? == 0 {
                if !new.has(Role::Admin) {
                    return Err(AppError::Refused(
                        "the first user must have the role admin".into(),
                    ));
                }
            } else {
                let Some(actor) = actor else {
                    return Err(AppError::Refused(
                        "say who you are (--as or HDAB_USER): only an admin adds users".into(),
                    ));
                };
                Self::require(&self.user(actor).await?, Role::Admin, "adding users")?;
            }
            self.store.add_user(new, Utc::now()).await?;
            let roles: Vec<_> = new.roles.iter().map(|r| r.as_str()).collect();
            Ok(((), format!("roles {}", roles.join(","))))
        }
        .await;
        self.audited(&actor_id, "user.add", &new.id, result).await
    }

    // ---- catalogue --------------------------------------------------------------------

    /// Registers a description (a new version if it changed). Holders register only their
    /// own organisation's datasets.
    pub async fn register_dataset(
        &self,
        actor: &str,
        toml_text: &str,
    ) -> Result<hdab_store::DatasetVersion, AppError> {
        self.register_dataset_checked(actor, toml_text, None).await
    }

    /// Registers a description, optionally checking it against a sample of the data too:
    /// every problem of the description and of the data under it is listed at once (a
    /// variable typed as a date that holds text, a column the dictionary lacks, …).
    pub async fn register_dataset_checked(
        &self,
        actor: &str,
        toml_text: &str,
        data: Option<&Path>,
    ) -> Result<hdab_store::DatasetVersion, AppError> {
        let parsed = DatasetDescription::from_toml(toml_text);
        let object = parsed.as_ref().map(|d| d.id.clone()).unwrap_or_default();
        let result = async {
            let user = self.user(actor).await?;
            Self::require(&user, Role::DataHolder, "registering a dataset")?;
            if let Some(path) = data {
                let mut problems = Vec::new();
                match toml::from_str::<DatasetDescription>(toml_text) {
                    Err(e) => problems.push(format!("the description: {}", e.message())),
                    Ok(d) => {
                        if let Err(hdab_catalog::CatalogError::Invalid(p)) = d.validate() {
                            problems.extend(p);
                        }
                        match hdab_pipeline::check_upload(path, &d, Utc::now().date_naive()).await {
                            Ok(_) => {}
                            Err(PipelineError::Rejected(p)) => {
                                problems.extend(p.into_iter().map(|p| format!("the data: {p}")))
                            }
                            Err(e) => problems.push(format!("the data: {e}")),
                        }
                    }
                }
                if !problems.is_empty() {
                    return Err(AppError::Invalid(format!(
                        "the description has {} problem(s):\n{}",
                        problems.len(),
                        problems
                            .iter()
                            .map(|p| format!("  - {p}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    )));
                }
            }
            let d = parsed.map_err(|e| AppError::Invalid(e.to_string()))?;
            if d.holder != user.organisation && !user.has(Role::Admin) {
                return Err(AppError::Refused(format!(
                    "dataset '{}' belongs to holder '{}'; user '{}' is with '{}'",
                    d.id, d.holder, user.id, user.organisation
                )));
            }
            let v = self
                .store
                .register_dataset_version(&d, actor, Utc::now())
                .await?;
            let detail = format!("version {} digest {}", v.version, &v.digest[..16]);
            Ok((v, detail))
        }
        .await;
        self.audited(actor, "catalog.register", &object, result)
            .await
    }

    /// The catalogue (or one dataset) as DCAT-AP / HealthDCAT-AP RDF. Public.
    pub async fn catalog_export(
        &self,
        dataset: Option<&str>,
        jsonld: bool,
    ) -> Result<String, AppError> {
        let current = self.store.datasets().await?;
        let mut firsts = Vec::new();
        for d in current
            .iter()
            .filter(|d| dataset.is_none_or(|id| id == d.dataset_id))
        {
            let first = self.store.dataset_versions(&d.dataset_id).await?;
            firsts.push((d, first.first().map_or(d.created_at, |f| f.created_at)));
        }
        if let (Some(id), true) = (dataset, firsts.is_empty()) {
            return Err(AppError::NotFound(format!("dataset '{id}'")));
        }
        let entries: Vec<hdab_catalog::dcat::CatalogEntry<'_>> = firsts
            .iter()
            .map(|(d, issued)| hdab_catalog::dcat::CatalogEntry {
                description: &d.description,
                version: d.version,
                issued: *issued,
                modified: d.created_at,
            })
            .collect();
        let info = hdab_catalog::dcat::CatalogInfo::default();
        let out = if jsonld {
            hdab_catalog::dcat::to_jsonld(&info, &entries)
        } else {
            hdab_catalog::dcat::to_turtle(&info, &entries)
        };
        out.map_err(|e| AppError::Invalid(e.to_string()))
    }

    /// Every version of a description, oldest first. Public.
    pub async fn catalog_versions(
        &self,
        dataset_id: &str,
    ) -> Result<Vec<hdab_store::DatasetVersion>, AppError> {
        let v = self.store.dataset_versions(dataset_id).await?;
        if v.is_empty() {
            return Err(AppError::NotFound(format!("dataset '{dataset_id}'")));
        }
        Ok(v)
    }

    /// What changed between two versions. Public.
    pub async fn catalog_diff(
        &self,
        dataset_id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<hdab_catalog::Change>, AppError> {
        let versions = self.catalog_versions(dataset_id).await?;
        let find = |n: i64| {
            versions
                .iter()
                .find(|v| v.version == n)
                .ok_or_else(|| AppError::NotFound(format!("version {n} of '{dataset_id}'")))
        };
        Ok(hdab_catalog::diff(
            &find(from)?.description,
            &find(to)?.description,
        ))
    }

    /// A holder confirms that the current description is still correct (at least yearly).
    pub async fn confirm_dataset(&self, actor: &str, dataset_id: &str) -> Result<i64, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            Self::require(&user, Role::DataHolder, "confirming a description")?;
            let current = self
                .store
                .current_dataset(dataset_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("dataset '{dataset_id}'")))?;
            if current.description.holder != user.organisation && !user.has(Role::Admin) {
                return Err(AppError::Refused(format!(
                    "dataset '{dataset_id}' belongs to holder '{}'",
                    current.description.holder
                )));
            }
            self.store
                .confirm_dataset(dataset_id, current.version, actor, Utc::now())
                .await?;
            Ok((
                current.version,
                format!("version {} confirmed", current.version),
            ))
        }
        .await;
        self.audited(actor, "catalog.confirm", dataset_id, result)
            .await
    }

    /// Descriptions not confirmed for 12 months as of `now` (a new version counts as a
    /// confirmation), by holder. Public: the obligation is public.
    pub async fn catalog_overdue(
        &self,
        now: chrono::DateTime<Utc>,
    ) -> Result<Vec<OverdueDescription>, AppError> {
        let mut out = Vec::new();
        for d in self.store.datasets().await? {
            let confirmed = self.store.last_confirmation(&d.dataset_id).await?;
            let last = confirmed.map_or(d.created_at, |c| c.max(d.created_at));
            let due = last.checked_add_months(Months::new(12)).unwrap_or(last);
            if now > due {
                out.push(OverdueDescription {
                    holder: d.description.holder.clone(),
                    dataset_id: d.dataset_id.clone(),
                    last_confirmed: last,
                    days_overdue: (now - due).num_days(),
                });
            }
        }
        out.sort_by(|a, b| {
            (a.holder.as_str(), b.days_overdue).cmp(&(b.holder.as_str(), a.days_overdue))
        });
        Ok(out)
    }

    /// Overdue confirmations as a named user sees them: a holder their organisation's,
    /// case officers and admins every holder's.
    pub async fn catalog_overdue_for(
        &self,
        actor: &str,
        now: chrono::DateTime<Utc>,
    ) -> Result<Vec<OverdueDescription>, AppError> {
        let user = self.user(actor).await?;
        let all = user.has(Role::CaseOfficer) || user.has(Role::Admin);
        if !all && !user.has(Role::DataHolder) {
            return Err(AppError::Refused(format!(
                "overdue confirmations are shown to data holders and case officers; user '{}' is neither",
                user.id
            )));
        }
        let mut rows = self.catalog_overdue(now).await?;
        if !all {
            rows.retain(|o| o.holder == user.organisation);
        }
        Ok(rows)
    }

    /// Search and browse: every filter given must match. Public.
    pub async fn catalog_search(
        &self,
        q: &CatalogQuery,
    ) -> Result<Vec<hdab_store::DatasetVersion>, AppError> {
        let text = q.text.as_deref().map(str::to_lowercase);
        Ok(self
            .store
            .datasets()
            .await?
            .into_iter()
            .filter(|v| {
                let d = &v.description;
                let text_ok = text.as_ref().is_none_or(|t| {
                    [
                        &d.id,
                        &d.title.sv,
                        &d.title.en,
                        &d.description.sv,
                        &d.description.en,
                    ]
                    .iter()
                    .any(|s| s.to_lowercase().contains(t.as_str()))
                        || d.keywords
                            .iter()
                            .any(|k| k.to_lowercase().contains(t.as_str()))
                        || d.variables.iter().any(|var| {
                            var.name.to_lowercase() == *t
                                || var.description.to_lowercase().contains(t.as_str())
                        })
                });
                let cat_ok = q
                    .category
                    .as_ref()
                    .is_none_or(|c| d.health_categories.contains(c));
                let holder_ok = q.holder.as_ref().is_none_or(|h| &d.holder == h);
                let cs_ok = q.coding_system.as_ref().is_none_or(|c| {
                    d.coding_systems.iter().any(|x| x.eq_ignore_ascii_case(c))
                        || d.variables.iter().any(|v| {
                            v.code_system
                                .as_ref()
                                .is_some_and(|x| x.eq_ignore_ascii_case(c))
                        })
                });
                text_ok && cat_ok && holder_ok && cs_ok
            })
            .collect())
    }

    // ---- uploads ------------------------------------------------------------------------

    /// Copies the file into the upload store (checksumming as it goes), checks it against the
    /// dataset's data dictionary, and records it. A rejected file leaves nothing behind.
    pub async fn upload(
        &self,
        actor: &str,
        dataset_id: &str,
        file: &Path,
        reference_date: Option<NaiveDate>,
    ) -> Result<(Upload, UploadReport), AppError> {
        let result = async {
            let user = self.user(actor).await?;
            Self::require(&user, Role::DataHolder, "uploading data")?;
            let current = self
                .store
                .current_dataset(dataset_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("dataset '{dataset_id}'")))?;
            if current.description.holder != user.organisation && !user.has(Role::Admin) {
                return Err(AppError::Refused(format!(
                    "dataset '{dataset_id}' belongs to holder '{}'",
                    current.description.holder
                )));
            }
            // Compressed uploads are told by their content and inflated, within bounds,
            // as they are stored.
            let packing = inflate::Packing::sniff(file)?;
            let ext = match file
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
            {
                Some(e) if e == "csv" || e == "txt" || e == "parquet" => e,
                _ if packing != inflate::Packing::Plain => "csv".to_string(),
                _ => {
                    return Err(AppError::Invalid(
                        "send CSV (.csv, .txt) or Parquet (.parquet), plain or compressed with gzip (.gz) or zstd (.zst)".into(),
                    ));
                }
            };
            let id = format!(
                "{dataset_id}-{}",
                &uuid::Uuid::new_v4().simple().to_string()[..12]
            );
            let dir = self.settings.data_dir.join("uploads");
            std::fs::create_dir_all(&dir)
                .map_err(|e| AppError::Io(dir.display().to_string(), e))?;
            let (incoming, ext, sha256, bytes) = if packing == inflate::Packing::Plain {
                let incoming = dir.join(format!(".incoming-{id}.{ext}"));
                let (sha256, bytes) = copy_with_sha256(file, &incoming)?;
                (incoming, ext, sha256, bytes)
            } else {
                let inflated = dir.join(format!(".incoming-{id}.inflating"));
                let (sha256, bytes) =
                    inflate::inflate_with_sha256(file, &inflated, packing, self.settings.inflate)?;
                // What was inside: Parquet by its magic bytes, else text.
                let mut head = [0u8; 4];
                let ext = match std::fs::File::open(&inflated)
                    .and_then(|mut f| f.read(&mut head).map(|n| &head[..n]))
                {
                    Ok(b"PAR1") => "parquet".to_string(),
                    Ok(_) => "csv".to_string(),
                    Err(e) => {
                        let _ = std::fs::remove_file(&inflated);
                        return Err(AppError::Io(inflated.display().to_string(), e));
                    }
                };
                let incoming = dir.join(format!(".incoming-{id}.{ext}"));
                if let Err(e) = std::fs::rename(&inflated, &incoming) {
                    let _ = std::fs::remove_file(&inflated);
                    return Err(AppError::Io(incoming.display().to_string(), e));
                }
                (incoming, ext, sha256, bytes)
            };
            // Holders' exports are UTF-8 or Windows-1252; the pipeline reads UTF-8.
            let encoding = if ext == "parquet" {
                "parquet"
            } else {
                match transcode_to_utf8(&incoming) {
                    Ok(e) => e,
                    Err(e) => {
                        let _ = std::fs::remove_file(&incoming);
                        return Err(e);
                    }
                }
            };
            let reference = reference_date.unwrap_or_else(|| Utc::now().date_naive());
            let report = match self
                .check_upload_bounded(&incoming, &current.description, reference)
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    // Quarantined files were moved away; anything else is removed.
                    let _ = std::fs::remove_file(&incoming);
                    return Err(e);
                }
            };
            let file_name = format!("{id}.{ext}");
            let stored = dir.join(&file_name);
            std::fs::rename(&incoming, &stored)
                .map_err(|e| AppError::Io(stored.display().to_string(), e))?;
            let upload = Upload {
                id: id.clone(),
                dataset_id: dataset_id.to_string(),
                dataset_version: current.version,
                file_name,
                sha256,
                bytes: bytes as i64,
                n_rows: report.n_rows as i64,
                reference_date: reference,
                report: {
                    let mut r = serde_json::to_value(&report).unwrap_or_default();
                    r["encoding"] = serde_json::Value::from(encoding);
                    r
                },
                uploaded_by: actor.to_string(),
                uploaded_at: Utc::now(),
            };
            if let Err(e) = self.store.add_upload(&upload).await {
                let _ = std::fs::remove_file(&stored);
                return Err(e.into());
            }
            let detail = format!(
                "upload {id} rows {} sha256 {}",
                report.n_rows,
                &upload.sha256[..16]
            );
            Ok(((upload, report), detail))
        }
        .await;
        self.audited(actor, "upload", dataset_id, result).await
    }

    // ---- applications and decisions -----------------------------------------------------

    fn catalogue_lookup(
        all: &[hdab_store::DatasetVersion],
    ) -> impl Fn(&str) -> Option<DatasetDescription> + '_ {
        move |id| {
            all.iter()
                .find(|d| d.dataset_id == id)
                .map(|d| d.description.clone())
        }
    }

    /// Saves a new draft application.
    pub async fn create_application(
        &self,
        actor: &str,
        toml_text: &str,
    ) -> Result<String, AppError> {
        self.create_application_from(actor, parse_application(toml_text))
            .await
    }

    /// Saves a new draft application given as a value (the API's JSON body).
    pub async fn create_application_content(
        &self,
        actor: &str,
        content: ApplicationContent,
    ) -> Result<String, AppError> {
        self.create_application_from(actor, Ok(content)).await
    }

    async fn create_application_from(
        &self,
        actor: &str,
        content: Result<ApplicationContent, AppError>,
    ) -> Result<String, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            Self::require(&user, Role::Applicant, "applying for data")?;
            let content = content?;
            let id = self
                .store
                .create_application(&user, &content, Utc::now())
                .await?;
            Ok((id.clone(), format!("draft {id}")))
        }
        .await;
        self.audited(actor, "application.create", "-", result).await
    }

    /// Runs one case command. `options` carries what some commands need: the officer an
    /// `assign` gives the case to; for `approve`, a narrower spec and conditions.
    /// Approval creates the permit in the same transaction and returns its id.
    pub async fn case_command(
        &self,
        actor: &str,
        application_id: &str,
        command: CaseCommand,
        comment: &str,
        options: CaseOptions,
    ) -> Result<(AppState, Option<String>), AppError> {
        let result = async {
            let user = self.user(actor).await?;
            let app = self.find_application(application_id).await?;
            let case = CaseView {
                applicant: &app.applicant,
                events: &app.events,
            };
            // Someone with no part in the case learns nothing about it, not even its state.
            let acting_role = [Role::CaseOfficer, Role::DecisionMaker, Role::Admin]
                .iter()
                .any(|r| user.has(*r));
            if !acting_role && !may_read(&user, case, &app.content.spe_users) {
                return Err(AppError::NotFound(format!(
                    "application '{application_id}'"
                )));
            }
            let state = state_of(&app.events);
            let next = decide(&user, case, command, comment, options.assign_to.as_deref())?;
            let now = Utc::now();
            let mut event = CaseEvent {
                command,
                actor: actor.to_string(),
                at: now,
                comment: comment.to_string(),
                assignee: None,
            };
            let mut permit = None;
            match command {
                CaseCommand::Submit => {
                    let all = self.store.datasets().await?;
                    let problems = app
                        .content
                        .completeness_problems(&Self::catalogue_lookup(&all));
                    if !problems.is_empty() {
                        return Err(AppError::Invalid(format!(
                            "the application is not complete ({} problem(s)):\n{}",
                            problems.len(),
                            problems
                                .iter()
                                .map(|p| format!("  - {p}"))
                                .collect::<Vec<_>>()
                                .join("\n")
                        )));
                    }
                }
                CaseCommand::Take => event.assignee = Some(actor.to_string()),
                CaseCommand::Assign => {
                    let target = options.assign_to.clone().unwrap_or_default();
                    let officer = self.user(&target).await?;
                    if !officer.has(Role::CaseOfficer) {
                        return Err(AppError::Refused(format!(
                            "'{target}' is not a case officer"
                        )));
                    }
                    event.assignee = Some(target);
                }
                CaseCommand::Approve => {
                    let asked = ExtractionSpec {
                        pseudonymised: app.content.pseudonymised,
                        datasets: app.content.datasets.clone(),
                    };
                    let spec = match options.narrowed {
                        None => asked,
                        Some(narrow) => {
                            asked.is_narrowing(&narrow).map_err(|e| {
                                AppError::Invalid(format!(
                                    "the narrowed spec asks for more than the application: {e}"
                                ))
                            })?;
                            let all = self.store.datasets().await?;
                            let lookup = Self::catalogue_lookup(&all);
                            let problems: Vec<String> = narrow
                                .datasets
                                .iter()
                                .flat_map(|d| match lookup(&d.dataset_id) {
                                    Some(desc) => d.problems_against(&desc),
                                    None => vec![format!("no dataset '{}'", d.dataset_id)],
                                })
                                .collect();
                            if !problems.is_empty() {
                                return Err(AppError::Invalid(format!(
                                    "the narrowed spec does not fit the catalogue:\n{}",
                                    problems
                                        .iter()
                                        .map(|p| format!("  - {p}"))
                                        .collect::<Vec<_>>()
                                        .join("\n")
                                )));
                            }
                            narrow
                        }
                    };
                    let months = options
                        .valid_months
                        .unwrap_or(app.content.months_needed)
                        .min(120);
                    let key_id = keyfile::load(&self.settings.key_file)?.current().key_id();
                    let n = self.store.count_permits().await?;
                    permit = Some(Permit {
                        id: format!("P-{}-{:04}", now.format("%Y"), n + 1),
                        application_id: app.id.clone(),
                        spec_digest: spec.digest(),
                        spec,
                        spe_users: app.content.spe_users.clone(),
                        conditions: options.conditions.clone(),
                        granted_at: now,
                        valid_until: now
                            .date_naive()
                            .checked_add_months(Months::new(months))
                            .unwrap_or(now.date_naive()),
                        key_id,
                        key_version: 1,
                        revoked_at: None,
                    });
                }
                _ => {}
            }
            self.store
                .append_case_event(&app.id, app.events.len(), &event, permit.as_ref())
                .await?;
            let permit_id = permit.map(|p| p.id);
            let detail = match (&permit_id, &event.assignee) {
                (Some(p), _) => format!("{state} -> {next} permit {p}"),
                (None, Some(a)) => format!("{state} -> {next} assigned {a}"),
                (None, None) => format!("{state} -> {next}"),
            };
            Ok(((next, permit_id), detail))
        }
        .await;
        self.audited(
            actor,
            &format!("case.{}", command.as_str()),
            application_id,
            result,
        )
        .await
    }

    async fn find_application(&self, id: &str) -> Result<hdab_store::StoredApplication, AppError> {
        Ok(self.store.application(id).await?)
    }

    /// An application with its history and deadline, for those with a part in it.
    pub async fn show_application(
        &self,
        actor: &str,
        id: &str,
    ) -> Result<(hdab_store::StoredApplication, Deadline), AppError> {
        let result = async {
            let user = self.user(actor).await?;
            let app = self.find_application(id).await?;
            let case = CaseView {
                applicant: &app.applicant,
                events: &app.events,
            };
            if !may_read(&user, case, &app.content.spe_users) {
                // The same answer as for an id that does not exist: guessing ids reveals nothing.
                return Err(AppError::NotFound(format!("application '{id}'")));
            }
            let d = deadline(&app.events, app.content.purpose, Utc::now());
            Ok(((app, d), String::new()))
        }
        .await;
        self.audited(actor, "application.show", id, result).await
    }

    /// Replaces a draft's or returned application's content (the applicant only).
    pub async fn update_application(
        &self,
        actor: &str,
        id: &str,
        toml_text: &str,
    ) -> Result<(), AppError> {
        self.update_application_from(actor, id, parse_application(toml_text))
            .await
    }

    /// Replaces an application's content given as a value (the API's JSON body).
    pub async fn update_application_content(
        &self,
        actor: &str,
        id: &str,
        content: ApplicationContent,
    ) -> Result<(), AppError> {
        self.update_application_from(actor, id, Ok(content)).await
    }

    async fn update_application_from(
        &self,
        actor: &str,
        id: &str,
        content: Result<ApplicationContent, AppError>,
    ) -> Result<(), AppError> {
        let result = async {
            let app = self.find_application(id).await?;
            if app.applicant != actor {
                return Err(AppError::NotFound(format!("application '{id}'")));
            }
            let state = state_of(&app.events);
            if !matches!(state, AppState::Draft | AppState::Incomplete) {
                return Err(AppError::Refused(format!(
                    "a {state} application cannot be changed; changing the data asked for needs a new application"
                )));
            }
            let content = content?;
            self.store.update_application_content(id, &content).await?;
            Ok(((), format!("content replaced while {state}")))
        }
        .await;
        self.audited(actor, "application.update", id, result).await
    }

    /// The case queue: every open case with its officer, state and deadline, overdue first,
    /// then by days left.
    pub async fn queue(&self, actor: &str) -> Result<Vec<QueueRow>, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            if !user.has(Role::CaseOfficer)
                && !user.has(Role::DecisionMaker)
                && !user.has(Role::Admin)
            {
                return Err(AppError::Refused(
                    "the case queue is for case officers and decision makers".into(),
                ));
            }
            let now = Utc::now();
            let mut rows: Vec<QueueRow> = self
                .store
                .applications()
                .await?
                .into_iter()
                .filter(|a| {
                    matches!(
                        state_of(&a.events),
                        AppState::Submitted | AppState::Incomplete | AppState::UnderReview
                    )
                })
                .map(|a| QueueRow {
                    state: state_of(&a.events),
                    assignee: assignee_of(&a.events).map(str::to_string),
                    deadline: deadline(&a.events, a.content.purpose, now),
                    organisation: a.content.organisation.clone(),
                    title: a.content.title.clone(),
                    id: a.id,
                })
                .collect();
            rows.sort_by_key(|r| {
                (
                    !r.deadline.overdue,
                    r.deadline.days_left.unwrap_or(i64::MAX),
                    r.id.clone(),
                )
            });
            Ok(rows)
        }
        .await;
        // Not audited: the queue shows what the public register shows (who applied, for
        // what, in which state); opening a case is audited.
        result
    }

    /// The public register (no login): applications received and decisions with reasons.
    pub async fn public_register(&self) -> Result<Vec<RegisterEntry>, AppError> {
        Ok(self
            .store
            .applications()
            .await?
            .into_iter()
            .filter_map(|a| {
                let received = a
                    .events
                    .iter()
                    .find(|e| e.command == CaseCommand::Submit)?
                    .at;
                let decision = a
                    .events
                    .iter()
                    .rev()
                    .find(|e| matches!(e.command, CaseCommand::Approve | CaseCommand::Reject))
                    .map(|e| (e.command.as_str().to_string(), e.at, e.comment.clone()));
                Some(RegisterEntry {
                    id: a.id.clone(),
                    received,
                    organisation: a.content.organisation.clone(),
                    title: a.content.title.clone(),
                    purpose: a.content.purpose,
                    datasets: a
                        .content
                        .datasets
                        .iter()
                        .map(|d| d.dataset_id.clone())
                        .collect(),
                    state: state_of(&a.events),
                    decision,
                })
            })
            .collect())
    }

    /// Revokes a permit (decision makers), with a reason; it can no longer be extracted.
    pub async fn revoke_permit(
        &self,
        actor: &str,
        permit_id: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        self.permit_event(actor, permit_id, reason, None).await
    }

    /// Amends who has SPE access (decision makers). The data never changes by amendment.
    pub async fn amend_permit(
        &self,
        actor: &str,
        permit_id: &str,
        reason: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<Vec<String>, AppError> {
        self.permit_event(actor, permit_id, reason, Some((add, remove)))
            .await?;
        Ok(self.store.permit(permit_id).await?.spe_users)
    }

    async fn permit_event(
        &self,
        actor: &str,
        permit_id: &str,
        reason: &str,
        amend: Option<(&[String], &[String])>,
    ) -> Result<(), AppError> {
        let action = if amend.is_some() {
            "permit.amend"
        } else {
            "permit.revoke"
        };
        let result = async {
            Self::require(&self.user(actor).await?, Role::DecisionMaker, action)?;
            if reason.trim().is_empty() {
                return Err(AppError::Invalid(format!("{action} needs a reason")));
            }
            let permit = self.store.permit(permit_id).await?;
            if permit.revoked_at.is_some() {
                return Err(AppError::Refused(format!(
                    "permit {permit_id} is already revoked"
                )));
            }
            let mut users = permit.spe_users.clone();
            let kind = match amend {
                None => "revoke",
                Some((add, remove)) => {
                    for u in add {
                        self.user(u).await?;
                        if !users.contains(u) {
                            users.push(u.clone());
                        }
                    }
                    users.retain(|u| !remove.contains(u));
                    if users.is_empty() {
                        return Err(AppError::Invalid(
                            "a permit must name at least one person; revoke it instead".into(),
                        ));
                    }
                    "amend"
                }
            };
            let event = hdab_store::PermitEvent {
                kind: kind.into(),
                actor: actor.into(),
                at: Utc::now(),
                reason: reason.into(),
                spe_users: users.clone(),
            };
            self.store.append_permit_event(permit_id, &event).await?;
            Ok(((), format!("{kind}; SPE users now {}", users.len())))
        }
        .await;
        self.audited(actor, action, permit_id, result).await
    }

    // ---- opt-out registry -------------------------------------------------------------

    /// Registers opt-outs (or opt-ins back) for each line of `text`, one number a line.
    /// Returns how many changed and the rejected lines by number and reason (never the value).
    /// `written_on` is the date the numbers were written (it decides the century of 10-digit
    /// forms); `None` means today.
    pub async fn optout_lines(
        &self,
        actor: &str,
        text: &str,
        opt_out: bool,
        written_on: Option<NaiveDate>,
    ) -> Result<(usize, usize, Vec<(usize, String)>), AppError> {
        let action = if opt_out {
            "optout.register"
        } else {
            "optout.withdraw"
        };
        let result = async {
            let user = self.user(actor).await?;
            Self::require(
                &user,
                Role::OptOutRegistrar,
                "changing the opt-out registry",
            )?;
            let key = registry_key(&keyfile::load(&self.settings.key_file)?);
            let today = written_on.unwrap_or_else(|| Utc::now().date_naive());
            let (mut changed, mut unchanged, mut rejected) = (0, 0, Vec::new());
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                match PersonId::parse(line, today) {
                    Ok(id) => {
                        if self
                            .store
                            .record_optout(&registry_hash(&key, &id), opt_out, Utc::now())
                            .await?
                        {
                            changed += 1;
                        } else {
                            unchanged += 1;
                        }
                    }
                    Err(reason) => rejected.push((i + 1, reason.to_string())),
                }
            }
            let detail = format!(
                "changed {changed} unchanged {unchanged} rejected {}",
                rejected.len()
            );
            Ok(((changed, unchanged, rejected), detail))
        }
        .await;
        self.audited(actor, action, "registry", result).await
    }

    // ---- extraction -------------------------------------------------------------------

    /// Extracts every dataset of a permit into its SPE folder. Refused unless the permit is
    /// valid now. If the opt-out registry changes during the run, the run is redone so the
    /// delivery reflects the registry at commit time.
    pub async fn extract(
        &self,
        actor: &str,
        permit_id: &str,
        compression: Compression,
    ) -> Result<Vec<Delivery>, AppError> {
        self.extract_with_progress(actor, permit_id, compression, None)
            .await
    }

    /// [`App::extract`], reporting progress as it goes (for a progress bar).
    pub async fn extract_with_progress(
        &self,
        actor: &str,
        permit_id: &str,
        compression: Compression,
        progress: Option<&Progress>,
    ) -> Result<Vec<Delivery>, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            Self::require(&user, Role::CaseOfficer, "running an extraction")?;
            let permit = match self.store.permit(permit_id).await {
                Ok(p) => p,
                Err(StoreError::NotFound { .. }) => {
                    return Err(AppError::Refused(format!(
                        "there is no approved permit '{permit_id}'; only an approved application yields a permit"
                    )))
                }
                Err(e) => return Err(e.into()),
            };
            permit
                .check_usable(Utc::now().date_naive())
                .map_err(|e| AppError::Refused(e.to_string()))?;
            if !permit.spec.pseudonymised {
                return Err(AppError::Refused(
                    "anonymised extracts are not produced by this version; ask for aggregate statistics instead".into(),
                ));
            }
            let keyring = keyfile::load(&self.settings.key_file)?;
            let key_id = permit.key_id.clone();
            let pseudonym_key = keyring
                .by_id(&permit.key_id)?
                .derive(&permit_context(&permit.id, permit.key_version));
            let registry_key = registry_key(&keyring);
            drop(keyring);
            // One run per permit at a time, across processes: a second run waits, then
            // finds the first one's delivery (a no-op) or makes the next one whole.
            let _turn = self.permit_lock(&permit.id).await?;
            let mut deliveries = Vec::new();
            for request in &permit.spec.datasets {
                let mut attempts = 0;
                let delivery = loop {
                    attempts += 1;
                    let (optouts, registry) = self.store.optouts_for_extract(permit.granted_at).await?;
                    let version = self
                        .store
                        .current_dataset(&request.dataset_id)
                        .await?
                        .ok_or_else(|| AppError::NotFound(format!("dataset '{}'", request.dataset_id)))?;
                    let upload = self.store.latest_upload(&request.dataset_id).await?.ok_or_else(|| {
                        AppError::Refused(format!(
                            "dataset '{}' has no accepted upload yet; ask its holder to upload the data",
                            request.dataset_id
                        ))
                    })?;
                    let upload_path = self.settings.data_dir.join("uploads").join(&upload.file_name);
                    if let Some(p) = progress {
                        p.start(&request.dataset_id, upload.n_rows as u64, upload.bytes as u64);
                    }
                    let input = ExtractionInput {
                        permit_id: &permit.id,
                        spec_digest: &permit.spec_digest,
                        key_id: &key_id,
                        key_version: permit.key_version,
                        request,
                        description: &version.description,
                        dataset_version: upload.dataset_version,
                        upload_id: &upload.id,
                        upload_path: &upload_path,
                        upload_sha256: &upload.sha256,
                        reference_date: upload.reference_date,
                        pseudonym_key: &pseudonym_key,
                        registry_key: &registry_key,
                        optouts: &optouts,
                        optout_registry_seq: registry.seq,
                        spe_root: &self.settings.spe_root,
                        compression,
                        progress: progress.map(|p| &p.rows_done),
                    };
                    // The same inputs were delivered already: the delivery stands as it is.
                    let folder = self.settings.spe_root.join(&permit.id).join(&request.dataset_id);
                    let run_id = hdab_pipeline::run_id(&input);
                    if let Some(existing) = std::fs::read(folder.join("manifest.json"))
                        .ok()
                        .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok())
                        .filter(|m| m.run_id == run_id)
                    {
                        tracing::info!(permit = %permit.id, dataset = %request.dataset_id, "unchanged inputs: the delivery stands");
                        // A run killed between its commit and its record left the delivery
                        // unrecorded: record it now, so every delivery on disk is traceable.
                        let recorded = self.store.latest_deliveries(&permit.id).await?.iter().any(|m| {
                            m["dataset_id"] == request.dataset_id.as_str() && m["run_id"] == run_id.as_str()
                        });
                        if !recorded {
                            tracing::warn!(permit = %permit.id, dataset = %request.dataset_id, "a delivery on disk was not recorded (an earlier run died after committing it): recording it now");
                            self.record_delivery(&permit.id, &request.dataset_id, &upload.id, &existing).await?;
                        }
                        break Delivery {
                            dataset_id: request.dataset_id.clone(),
                            folder,
                            manifest: existing,
                        };
                    }
                    tracing::info!(permit = %permit.id, dataset = %request.dataset_id, upload = %upload.id, attempt = attempts, key_version = permit.key_version, registry_seq = registry.seq, "staging extraction");
                    let mut staged = hdab_pipeline::stage_extraction(&input).await?;
                    // Someone opted out while we ran: build again rather than deliver them.
                    if self.store.optout_seq().await? != registry.seq && attempts < 5 {
                        staged.abort();
                        continue;
                    }
                    // A signed checkpoint of the audit log travels with the delivery.
                    let checkpoint = self.audit_checkpoint().await?;
                    staged.set_audit_checkpoint(serde_json::to_value(&checkpoint).unwrap_or_default());
                    let manifest = staged.commit()?;
                    hdab_pipeline::crash_point("delivered-not-recorded");
                    tracing::info!(permit = %permit.id, dataset = %request.dataset_id, rows_in = manifest.rows.rows_in, delivered = manifest.rows.delivered, "delivered");
                    self.record_delivery(&permit.id, &request.dataset_id, &upload.id, &manifest).await?;
                    hdab_pipeline::crash_point("recorded-not-audited");
                    break Delivery {
                        dataset_id: request.dataset_id.clone(),
                        folder: self.settings.spe_root.join(&permit.id).join(&request.dataset_id),
                        manifest,
                    };
                };
                deliveries.push(delivery);
            }
            let detail = deliveries
                .iter()
                .map(|d| format!("{}: in {} delivered {}", d.dataset_id, d.manifest.rows.rows_in, d.manifest.rows.delivered))
                .collect::<Vec<_>>()
                .join("; ");
            Ok((deliveries, detail))
        }
        .await;
        self.audited(actor, "extract", permit_id, result).await
    }

    // ---- data requests (Art. 69) ----------------------------------------------------------

    /// Records a delivery that is on disk (its manifest) in the store.
    async fn record_delivery(
        &self,
        permit_id: &str,
        dataset_id: &str,
        upload_id: &str,
        manifest: &Manifest,
    ) -> Result<(), AppError> {
        Ok(self
            .store
            .record_extraction(
                &uuid::Uuid::new_v4().to_string(),
                permit_id,
                dataset_id,
                upload_id,
                Utc::now(),
                &serde_json::to_value(manifest).unwrap_or_default(),
            )
            .await?)
    }

    /// Start-up recovery: puts every permit's SPE folder right after runs that died (staging
    /// folders removed, moved-aside deliveries restored or removed). A permit whose lock is
    /// held by a live run is left to that run, which recovers its folder itself.
    pub async fn recover_deliveries(&self) -> Result<hdab_pipeline::Recovered, AppError> {
        let spe = self.settings.spe_root.clone();
        let locks = self.settings.data_dir.join("locks");
        let shown = spe.display().to_string();
        let total = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
            let mut total = hdab_pipeline::Recovered::default();
            let entries = match std::fs::read_dir(&spe) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(total),
                Err(e) => return Err(e),
            };
            std::fs::create_dir_all(&locks)?;
            for entry in entries.flatten() {
                let Some(permit) = entry.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                if permit.starts_with('.') || !entry.path().is_dir() {
                    continue;
                }
                let lock = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(locks.join(format!("{permit}.lock")))?;
                if lock.try_lock().is_err() {
                    continue;
                }
                let r = hdab_pipeline::recover_permit_folder(&entry.path())
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                total.staging_removed += r.staging_removed;
                total.previous_restored += r.previous_restored;
                total.previous_removed += r.previous_removed;
            }
            Ok(total)
        })
        .await
        .map_err(|e| AppError::Io(shown.clone(), std::io::Error::other(e.to_string())))?
        .map_err(|e| AppError::Io(shown, e))?;
        if total != hdab_pipeline::Recovered::default() {
            tracing::warn!(
                staging_removed = total.staging_removed,
                previous_restored = total.previous_restored,
                previous_removed = total.previous_removed,
                "recovered the SPE folders after runs that died"
            );
        }
        Ok(total)
    }

    /// An exclusive lock on the permit's extractions (a file lock under the data folder,
    /// released when the returned file is dropped).
    async fn permit_lock(&self, permit_id: &str) -> Result<std::fs::File, AppError> {
        let dir = self.settings.data_dir.join("locks");
        let path = dir.join(format!("{permit_id}.lock"));
        let shown = path.display().to_string();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            file.lock()?;
            Ok(file)
        })
        .await
        .map_err(|e| AppError::Io(shown.clone(), std::io::Error::other(e.to_string())))?
        .map_err(|e| AppError::Io(format!("locking {shown}"), e))
    }

    /// A requester asks for statistics; the request is checked against the catalogue.
    pub async fn submit_data_request(
        &self,
        actor: &str,
        toml_text: &str,
    ) -> Result<String, AppError> {
        let content = toml::from_str(toml_text).map_err(|e: toml::de::Error| {
            AppError::Invalid(format!("the data request file: {}", e.message()))
        });
        self.submit_data_request_from(actor, content).await
    }

    /// Submits a data request given as a value (the API's JSON body).
    pub async fn submit_data_request_content(
        &self,
        actor: &str,
        content: hdab_permits::DataRequestContent,
    ) -> Result<String, AppError> {
        self.submit_data_request_from(actor, Ok(content)).await
    }

    async fn submit_data_request_from(
        &self,
        actor: &str,
        content: Result<hdab_permits::DataRequestContent, AppError>,
    ) -> Result<String, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            Self::require(&user, Role::Applicant, "asking for statistics")?;
            let content = content?;
            let dataset = self
                .store
                .current_dataset(&content.dataset_id)
                .await?
                .ok_or_else(|| {
                    AppError::Invalid(format!(
                        "no dataset '{}' in the catalogue",
                        content.dataset_id
                    ))
                })?;
            let problems = hdab_pipeline::aggregate_problems(
                &dataset.description,
                &content.group_by,
                content.measure.as_deref(),
                &content.cohort,
            );
            if !problems.is_empty() {
                return Err(AppError::Invalid(format!(
                    "the data request cannot be answered as asked:\n{}",
                    problems
                        .iter()
                        .map(|p| format!("  - {p}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                )));
            }
            let id = self
                .store
                .create_data_request(&user, &content, Utc::now())
                .await?;
            Ok((
                id.clone(),
                format!("data request {id} on {}", content.dataset_id),
            ))
        }
        .await;
        self.audited(actor, "request.submit", "-", result).await
    }

    /// A case officer computes the answer: aggregates over the latest upload with opted-out
    /// people removed, then disclosure control. Only the protected table is kept.
    pub async fn answer_data_request(
        &self,
        actor: &str,
        id: &str,
    ) -> Result<hdab_disclosure::ReleasedTable, AppError> {
        let result = async {
            Self::require(
                &self.user(actor).await?,
                Role::CaseOfficer,
                "answering data requests",
            )?;
            let (_, content, answered) = self.store.data_request(id).await?;
            if answered.is_some() {
                return Err(AppError::Refused(format!(
                    "data request {id} is already answered"
                )));
            }
            let dataset = self
                .store
                .current_dataset(&content.dataset_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("dataset '{}'", content.dataset_id)))?;
            let upload = self
                .store
                .latest_upload(&content.dataset_id)
                .await?
                .ok_or_else(|| {
                    AppError::Refused(format!(
                        "dataset '{}' has no accepted upload yet",
                        content.dataset_id
                    ))
                })?;
            let keyring = keyfile::load(&self.settings.key_file)?;
            let registry_key = registry_key(&keyring);
            drop(keyring);
            let (optouts, registry) = self.store.optouts_for_extract(Utc::now()).await?;
            let path = self
                .settings
                .data_dir
                .join("uploads")
                .join(&upload.file_name);
            let aggregates = hdab_pipeline::aggregate(&hdab_pipeline::AggregateInput {
                description: &dataset.description,
                upload_path: &path,
                reference_date: upload.reference_date,
                cohort: &content.cohort,
                group_by: &content.group_by,
                measure: content.measure.as_deref(),
                registry_key: &registry_key,
                optouts: &optouts,
            })
            .await?;
            let table = hdab_disclosure::protect(
                &content.group_by,
                content.measure.as_deref(),
                aggregates.cells,
                hdab_disclosure::Rules::default(),
            );
            let stored = serde_json::json!({
                "table": table,
                "upload_id": upload.id,
                "optout_registry_seq": registry.seq,
            });
            if !self
                .store
                .answer_data_request(id, actor, Utc::now(), &stored)
                .await?
            {
                return Err(AppError::Refused(format!(
                    "data request {id} was answered meanwhile"
                )));
            }
            let detail = format!(
                "{} cells, suppressed: {} min count, {} dominance, {} secondary",
                table.cells.len(),
                table.n_suppressed(hdab_disclosure::Rule::MinimumCount),
                table.n_suppressed(hdab_disclosure::Rule::Dominance),
                table.n_suppressed(hdab_disclosure::Rule::Secondary)
            );
            Ok((table, detail))
        }
        .await;
        self.audited(actor, "request.answer", id, result).await
    }

    /// The protected table of an answered request, for its requester or case officers.
    pub async fn show_data_request(
        &self,
        actor: &str,
        id: &str,
    ) -> Result<
        (
            hdab_permits::DataRequestContent,
            Option<hdab_disclosure::ReleasedTable>,
        ),
        AppError,
    > {
        let result = async {
            let user = self.user(actor).await?;
            let (requester, content, answer) = self.store.data_request(id).await?;
            if requester != user.id && !user.has(Role::CaseOfficer) && !user.has(Role::Admin) {
                return Err(AppError::NotFound(format!("data request '{id}'")));
            }
            let table = answer
                .map(|a| serde_json::from_value(a["table"].clone()))
                .transpose()
                .map_err(|_| AppError::Invalid("the stored answer is unreadable".into()))?;
            Ok(((content, table), String::new()))
        }
        .await;
        self.audited(actor, "request.show", id, result).await
    }

    // ---- keys ---------------------------------------------------------------------------

    /// Creates the key file (`init`) or adds a new current key to it. Needs an admin, except
    /// for the very first key of an installation without users.
    pub async fn keys_add(&self, actor: Option<&str>, init: bool) -> Result<String, AppError> {
        let actor_id = actor.unwrap_or("bootstrap").to_string();
        let result = async {
            if self.store.count_users().await? > 0 || !init {
                let actor = actor.ok_or_else(|| {
                    AppError::Refused(
                        "say who you are (--as or HDAB_USER): only an admin manages keys".into(),
                    )
                })?;
                Self::require(&self.user(actor).await?, Role::Admin, "managing keys")?;
            }
            let key_id = if init {
                keyfile::create(&self.settings.key_file)?
            } else {
                keyfile::add(&self.settings.key_file)?
            };
            Ok((key_id.clone(), format!("key id {key_id}")))
        }
        .await;
        let action = if init { "keys.init" } else { "keys.new" };
        self.audited(&actor_id, action, "keyring", result).await
    }

    /// After a suspected leak: bumps the key version of every live permit, so every later
    /// extraction of it gets new pseudonyms, and marks their deliveries for re-delivery.
    /// Returns the permits changed.
    pub async fn keys_rotate(&self, actor: &str, reason: &str) -> Result<Vec<String>, AppError> {
        let result = async {
            Self::require(&self.user(actor).await?, Role::Admin, "rotating keys")?;
            if reason.trim().is_empty() {
                return Err(AppError::Invalid("a key rotation needs a reason".into()));
            }
            let today = Utc::now().date_naive();
            let live: Vec<Permit> = self
                .store
                .permits()
                .await?
                .into_iter()
                .filter(|p| p.check_usable(today).is_ok())
                .collect();
            self.store
                .bump_key_versions(&live, Utc::now(), reason)
                .await?;
            let ids: Vec<String> = live.iter().map(|p| p.id.clone()).collect();
            let detail = format!("{} permit(s) to the next key version", ids.len());
            Ok((ids, detail))
        }
        .await;
        self.audited(actor, "keys.rotate", "permits", result).await
    }

    /// A permit and, per dataset, its latest delivery and whether it must be delivered again
    /// (its key version or opt-out registry is behind).
    pub async fn permit_status(
        &self,
        actor: &str,
        permit_id: &str,
    ) -> Result<PermitStatus, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            let permit = self.store.permit(permit_id).await?;
            let named = permit.spe_users.iter().any(|u| u == &user.id);
            if !named
                && !user.has(Role::CaseOfficer)
                && !user.has(Role::DecisionMaker)
                && !user.has(Role::Admin)
            {
                return Err(AppError::Refused(format!(
                    "user '{}' is not named in permit {permit_id}",
                    user.id
                )));
            }
            let registry_seq = self.store.optout_seq().await?;
            let delivered = self.store.latest_deliveries(permit_id).await?;
            let datasets = permit
                .spec
                .datasets
                .iter()
                .map(|d| {
                    let last = delivered
                        .iter()
                        .find(|m| m["dataset_id"] == d.dataset_id.as_str());
                    let key_version = last.and_then(|m| m["key_version"].as_u64());
                    let seq = last.and_then(|m| m["optout_registry_seq"].as_i64());
                    DatasetStatus {
                        dataset_id: d.dataset_id.clone(),
                        delivered_key_version: key_version,
                        delivered_registry_seq: seq,
                        redelivery_due: key_version
                            .is_some_and(|v| v < u64::from(permit.key_version))
                            || seq.is_some_and(|s| s < registry_seq),
                    }
                })
                .collect();
            Ok((
                PermitStatus {
                    permit,
                    registry_seq,
                    datasets,
                    manifests: delivered,
                },
                String::new(),
            ))
        }
        .await;
        self.audited(actor, "permit.show", permit_id, result).await
    }

    /// For each line: opted out, not opted out, or why the line is not a number.
    pub async fn optout_status(
        &self,
        actor: &str,
        text: &str,
        written_on: Option<NaiveDate>,
    ) -> Result<Vec<(usize, Result<bool, String>)>, AppError> {
        let result = async {
            Self::require(
                &self.user(actor).await?,
                Role::OptOutRegistrar,
                "reading the opt-out registry",
            )?;
            let key = registry_key(&keyfile::load(&self.settings.key_file)?);
            let today = written_on.unwrap_or_else(|| Utc::now().date_naive());
            let mut out = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                out.push((
                    i + 1,
                    match PersonId::parse(line, today) {
                        Ok(id) => Ok(self.store.is_opted_out(&registry_hash(&key, &id)).await?),
                        Err(reason) => Err(reason.to_string()),
                    },
                ));
            }
            let detail = format!("{} lookup(s)", out.len());
            Ok((out, detail))
        }
        .await;
        self.audited(actor, "optout.status", "registry", result)
            .await
    }

    /// The audit log's entries and whether the chain is intact.
    /// The audit check: the hash chain and every signed checkpoint (see [`audit`]).
    pub async fn audit_verify(&self) -> Result<Result<usize, hdab_store::AuditError>, AppError> {
        Ok(self.audit_verify_report().await?.map(|r| r.entries))
    }

    /// The audit check as a named user (the API's): admins only.
    pub async fn audit_verify_by(
        &self,
        actor: &str,
    ) -> Result<Result<usize, hdab_store::AuditError>, AppError> {
        let user = self.user(actor).await?;
        Self::require(&user, Role::Admin, "verifying the audit log")?;
        self.audit_verify().await
    }
}

/// The opt-out registry's key. It derives from the oldest master key, so adding a master key
/// does not orphan the registry's hashes (re-keying the registry would need every number in
/// clear, which the registry by design does not have).
fn registry_key(keyring: &keyfile::Keyring) -> hdab_pseudonymise::DerivedKey {
    keyring.oldest().derive(&optout_registry_context())
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

/// Leaves a UTF-8 file as it is; rewrites anything else as UTF-8 from Windows-1252 (which
/// maps every byte, so nothing is lost). Returns the encoding found.
fn transcode_to_utf8(path: &Path) -> Result<&'static str, AppError> {
    use std::io::Write;
    let io = |e: std::io::Error| AppError::Io(path.display().to_string(), e);
    let mut src = std::fs::File::open(path).map_err(io)?;
    let mut decoder = encoding_rs::UTF_8.new_decoder_without_bom_handling();
    let mut buf = vec![0u8; 1 << 20];
    let mut scratch = vec![0u8; (1 << 20) + 16];
    let mut valid = true;
    loop {
        let n = src.read(&mut buf).map_err(io)?;
        let (result, _, _) =
            decoder.decode_to_utf8_without_replacement(&buf[..n], &mut scratch, n == 0);
        if matches!(result, encoding_rs::DecoderResult::Malformed(..)) {
            valid = false;
            break;
        }
        if n == 0 {
            break;
        }
    }
    if valid {
        return Ok("utf-8");
    }
    let tmp = path.with_extension("utf8.tmp");
    let mut src = std::fs::File::open(path).map_err(io)?;
    let mut dst = std::fs::File::create(&tmp).map_err(io)?;
    let mut decoder = encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(3 << 20);
    loop {
        let n = src.read(&mut buf).map_err(io)?;
        out.clear();
        let _ = decoder.decode_to_string(&buf[..n], &mut out, n == 0);
        dst.write_all(out.as_bytes()).map_err(io)?;
        if n == 0 {
            break;
        }
    }
    dst.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok("windows-1252")
}

fn copy_with_sha256(from: &Path, to: &Path) -> Result<(String, u64), AppError> {
    use std::io::Write;
    let mut src =
        std::fs::File::open(from).map_err(|e| AppError::Io(from.display().to_string(), e))?;
    let mut dst =
        std::fs::File::create(to).map_err(|e| AppError::Io(to.display().to_string(), e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    let result = (|| -> std::io::Result<()> {
        loop {
            let n = src.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            dst.write_all(&buf[..n])?;
            total += n as u64;
        }
        dst.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(to);
        return Err(AppError::Io(to.display().to_string(), e));
    }
    Ok((hex::encode(h.finalize()), total))
}

fn parse_application(toml_text: &str) -> Result<ApplicationContent, AppError> {
    toml::from_str(toml_text)
        .map_err(|e| AppError::Invalid(format!("the application file: {}", e.message())))
}
