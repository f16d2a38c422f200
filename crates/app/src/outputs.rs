//! Output requests: results leave the SPE only after the automated checks and two output
//! checkers (EHDS Art. 73), into the researcher's outbox, and the release is published
//! without its contents.
//!
//! Files are kept under `outputs/<request>/v<version>/` in the data folder (private to the
//! service account) with their checksums; a release writes each file's released form
//! (metadata stripped) and a `SHA256SUMS` into `outbox/<permit>/<request>/` (`release.rs`).

mod release;

pub use release::PublishedRelease;

use chrono::Utc;
use hdab_output_check::{Context, FileCheck, Rules, Table, check_file};
use hdab_permits::Permit;
use hdab_permits::output::{
    OutputCommand, OutputEvent, OutputState, OutputView, decide_output, may_read_output,
    output_state,
};
use hdab_store::{StoredOutput, StoredOutputEvent, StoredOutputFile};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

use crate::{App, AppError};

/// How much one request may carry (Findata advises at most 20 MB a file and 50 files).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct OutputSettings {
    pub max_file_bytes: u64,
    pub max_files: usize,
    pub rules: Rules,
}

impl Default for OutputSettings {
    fn default() -> Self {
        OutputSettings {
            max_file_bytes: 20 << 20,
            max_files: 50,
            rules: Rules::default(),
        }
    }
}

/// A file a researcher asks to take out: its name, what it is and how it was made, and
/// its bytes (read from the workspace or uploaded).
#[derive(Debug, Clone)]
pub struct OutputFileIn {
    pub name: String,
    pub description: String,
    pub bytes: Vec<u8>,
}

/// A request as its readers see it: the stored request, its state, who approved, and per
/// current file the checks and the justifications given.
#[derive(Debug, Clone, Serialize)]
pub struct OutputDetail {
    pub request: StoredOutput,
    pub state: OutputState,
    pub approvals: Vec<String>,
    pub files: Vec<CheckedFile>,
    /// Findings that may never leave, and disclosive ones without a justification.
    pub blocking: usize,
    pub unjustified: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckedFile {
    pub name: String,
    pub description: String,
    pub sha256: String,
    pub bytes: i64,
    pub check: FileCheck,
    /// The justification of each finding (by index), where the researcher gave one.
    pub justifications: Vec<Option<String>>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl App {
    fn output_folder(&self, request_id: &str, version: i64) -> PathBuf {
        self.settings
            .data_dir
            .join("outputs")
            .join(request_id)
            .join(format!("v{version}"))
    }

    /// Where a released request's files are: outside the SPE, for the researcher.
    pub fn outbox(&self, permit_id: &str, request_id: &str) -> PathBuf {
        self.settings
            .data_dir
            .join("outbox")
            .join(permit_id)
            .join(request_id)
    }

    /// A new output request of a permit's SPE user: the files are checked, kept with their
    /// checksums, and wait for two output checkers.
    pub async fn submit_output(
        &self,
        actor: &str,
        permit_id: &str,
        description: &str,
        files: Vec<OutputFileIn>,
    ) -> Result<OutputDetail, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            let permit = self.store.permit(permit_id).await?;
            hdab_permits::output::require_submitter(&user, &permit, Utc::now().date_naive())?;
            if description.trim().is_empty() {
                return Err(AppError::Invalid(
                    "an output request needs a description: what the files are and how they were made".into(),
                ));
            }
            let (stored, staging) = self.check_and_keep(&permit, files, 1).await?;
            let id = self
                .store
                .create_output_request(&user, permit_id, description, &stored, Utc::now())
                .await?;
            self.register_case(&id, "output_request", Utc::now()).await?;
            let folder = self.output_folder(&id, 1);
            std::fs::create_dir_all(folder.parent().unwrap_or(&folder))
                .and_then(|_| std::fs::rename(staging.keep(), &folder))
                .map_err(|e| AppError::Io(format!("keeping the files of {id}"), e))?;
            let detail = self.output_detail(&id).await?;
            let words = format!("permit {permit_id}; {}", verdict_words(&detail));
            Ok((detail, words))
        }
        .await;
        let object = match &result {
            Ok((d, _)) => d.request.id.clone(),
            Err(_) => permit_id.to_string(),
        };
        self.audited(actor, "output.submit", &object, result).await
    }

    /// Checks every file and keeps it in a staging folder under the data folder.
    async fn check_and_keep(
        &self,
        permit: &Permit,
        files: Vec<OutputFileIn>,
        version: i64,
    ) -> Result<(Vec<StoredOutputFile>, tempfile::TempDir), AppError> {
        let limits = &self.settings.outputs;
        if files.is_empty() {
            return Err(AppError::Invalid(
                "an output request needs at least one file".into(),
            ));
        }
        if files.len() > limits.max_files {
            return Err(AppError::Invalid(format!(
                "{} files is more than one request may carry ({}); split it into several requests",
                files.len(),
                limits.max_files
            )));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, f) in files.iter().enumerate() {
            // A name leaves with the file and is repeated in messages and the audit log:
            // one that reads as a personnummer is refused without being repeated.
            if hdab_pseudonymise::contains_person_id(&f.name) {
                return Err(AppError::Invalid(format!(
                    "the name of file {} reads as a personnummer; rename the file",
                    i + 1
                )));
            }
            let plain = !f.name.is_empty()
                && f.name.len() <= 200
                && !f.name.starts_with('.')
                && !f.name.contains(['/', '\\', '\0']);
            if !plain {
                return Err(AppError::Invalid(format!(
                    "'{}' is not a plain file name (no folders, not hidden, at most 200 bytes)",
                    f.name.escape_default()
                )));
            }
            if !seen.insert(f.name.as_str()) {
                return Err(AppError::Invalid(format!("'{}' is given twice", f.name)));
            }
            if f.bytes.len() as u64 > limits.max_file_bytes {
                return Err(AppError::Invalid(format!(
                    "'{}' is {} bytes, more than the {} a file may be",
                    f.name,
                    f.bytes.len(),
                    limits.max_file_bytes
                )));
            }
        }
        let spe = self.settings.spe().permit(&permit.id);
        let pseudonyms =
            tokio::task::spawn_blocking(move || hdab_pipeline::delivered_pseudonyms(&spe))
                .await
                .map_err(|e| AppError::Invalid(format!("reading the workspace failed: {e}")))??;
        let context = Context {
            rules: limits.rules.clone(),
            pseudonyms: Some(&pseudonyms),
            earlier: self.released_tables(&permit.id).await?,
        };
        let root = self.settings.data_dir.join("outputs");
        std::fs::create_dir_all(&root).map_err(|e| AppError::Io(root.display().to_string(), e))?;
        let staging = tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(&root)
            .map_err(|e| AppError::Io(root.display().to_string(), e))?;
        let mut stored = Vec::new();
        for f in files {
            let check = check_file(&f.name, &f.bytes, &context);
            std::fs::write(staging.path().join(&f.name), &f.bytes)
                .map_err(|e| AppError::Io(format!("keeping '{}'", f.name), e))?;
            stored.push(StoredOutputFile {
                version,
                name: f.name,
                description: f.description,
                sha256: sha256_hex(&f.bytes),
                bytes: f.bytes.len() as i64,
                checks: serde_json::to_value(&check).unwrap_or_default(),
            });
        }
        Ok((stored, staging))
    }

    /// The tables released earlier under the permit, to difference new ones against.
    async fn released_tables(&self, permit_id: &str) -> Result<Vec<(String, Table)>, AppError> {
        let mut out = Vec::new();
        for o in self.store.output_requests(Some(permit_id)).await? {
            if output_state(&events_of(&o)).0 != OutputState::Released {
                continue;
            }
            let folder = self.output_folder(&o.id, o.version());
            for f in o.current_files() {
                if let Ok(bytes) = std::fs::read(folder.join(&f.name))
                    && let Ok(t) = Table::parse(&f.name, &bytes)
                {
                    out.push((format!("release {} ({})", o.id, f.name), t));
                }
            }
        }
        Ok(out)
    }

    /// A request's detail, unchecked (the caller decided who may see it).
    async fn output_detail(&self, id: &str) -> Result<OutputDetail, AppError> {
        let request = self.store.output_request(id).await?;
        let (state, approvals) = output_state(&events_of(&request));
        let version = request.version();
        let mut files = Vec::new();
        let (mut blocking, mut unjustified) = (0, 0);
        for f in request.current_files() {
            let check: FileCheck = serde_json::from_value(f.checks.clone()).map_err(|_| {
                AppError::Invalid(format!("the checks of '{}' cannot be read", f.name))
            })?;
            let justifications: Vec<Option<String>> = (0..check.findings.len())
                .map(|i| justification(&request, version, &f.name, i))
                .collect();
            for (finding, why) in check.findings.iter().zip(&justifications) {
                if finding.rule.blocks() {
                    blocking += 1;
                } else if why.is_none() {
                    unjustified += 1;
                }
            }
            files.push(CheckedFile {
                name: f.name.clone(),
                description: f.description.clone(),
                sha256: f.sha256.clone(),
                bytes: f.bytes,
                check,
                justifications,
            });
        }
        Ok(OutputDetail {
            request,
            state,
            approvals,
            files,
            blocking,
            unjustified,
        })
    }

    /// A request, for the permit's people and output checkers.
    pub async fn show_output(&self, actor: &str, id: &str) -> Result<OutputDetail, AppError> {
        let user = self.user(actor).await?;
        let detail = self.output_detail(id).await?;
        let permit = self.store.permit(&detail.request.permit_id).await?;
        if !may_read_output(&user, &permit) {
            return Err(AppError::Refused(format!(
                "output request {id} is shown to the people of permit {} and to output checkers",
                permit.id
            )));
        }
        Ok(detail)
    }

    /// The requests a user may read: an output checker's queue (everything not yet
    /// released, rejected or returned first), or a researcher's own permits' requests.
    pub async fn output_list(&self, actor: &str) -> Result<Vec<OutputDetail>, AppError> {
        let user = self.user(actor).await?;
        let mut out = Vec::new();
        for o in self.store.output_requests(None).await? {
            let permit = self.store.permit(&o.permit_id).await?;
            if may_read_output(&user, &permit) {
                out.push(self.output_detail(&o.id).await?);
            }
        }
        out.sort_by_key(|d| {
            !matches!(
                d.state,
                OutputState::Checked | OutputState::UnderReview | OutputState::Approved
            )
        });
        Ok(out)
    }

    /// A step on a request: a checker's approve, return or reject (with a reason), or the
    /// requester's justification of one finding (`finding` = "FILE#N", N from 1).
    pub async fn output_step(
        &self,
        actor: &str,
        id: &str,
        command: OutputCommand,
        reason: &str,
        finding: Option<&str>,
    ) -> Result<OutputState, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            let detail = self.output_detail(id).await?;
            let permit = self.store.permit(&detail.request.permit_id).await?;
            if command.needs_reason() && reason.trim().is_empty() {
                return Err(AppError::Invalid(format!(
                    "{} needs a reason",
                    command.as_str()
                )));
            }
            decide_output(
                &user,
                view(&detail, &permit),
                command,
                Utc::now().date_naive(),
            )?;
            let detail_json = match (command, finding) {
                (OutputCommand::Justify, Some(f)) => justified_finding(&detail, f)?,
                (OutputCommand::Justify, None) => {
                    return Err(AppError::Invalid(
                        "say which finding the justification is for: FILE#N".into(),
                    ));
                }
                _ => serde_json::Value::Null,
            };
            let event = StoredOutputEvent {
                command,
                actor: actor.into(),
                at: Utc::now(),
                reason: reason.into(),
                detail: detail_json,
            };
            self.store
                .append_output_event(id, detail.request.events.len(), &event, &[])
                .await?;
            let after = self.output_detail(id).await?;
            let words = format!("{} → {}", command.as_str(), after.state.as_str());
            Ok((after.state, words))
        }
        .await;
        self.audited(actor, &format!("output.{}", command.as_str()), id, result)
            .await
    }

    /// A new version of a returned request, by one of the permit's people.
    pub async fn resubmit_output(
        &self,
        actor: &str,
        id: &str,
        files: Vec<OutputFileIn>,
    ) -> Result<OutputDetail, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            let detail = self.output_detail(id).await?;
            let permit = self.store.permit(&detail.request.permit_id).await?;
            decide_output(
                &user,
                view(&detail, &permit),
                OutputCommand::Submit,
                Utc::now().date_naive(),
            )?;
            let version = detail.request.version() + 1;
            let (stored, staging) = self.check_and_keep(&permit, files, version).await?;
            let event = StoredOutputEvent {
                command: OutputCommand::Submit,
                actor: actor.into(),
                at: Utc::now(),
                reason: String::new(),
                detail: serde_json::Value::Null,
            };
            self.store
                .append_output_event(id, detail.request.events.len(), &event, &stored)
                .await?;
            std::fs::rename(staging.keep(), self.output_folder(id, version))
                .map_err(|e| AppError::Io(format!("keeping the files of {id}"), e))?;
            let after = self.output_detail(id).await?;
            let words = format!("version {version}; {}", verdict_words(&after));
            Ok((after, words))
        }
        .await;
        self.audited(actor, "output.resubmit", id, result).await
    }

    /// The steps a request's page offers `actor` now (from the permission matrix alone).
    pub async fn output_offered(
        &self,
        actor: &str,
        detail: &OutputDetail,
    ) -> Result<Vec<OutputCommand>, AppError> {
        let user = self.user(actor).await?;
        let permit = self.store.permit(&detail.request.permit_id).await?;
        Ok(hdab_permits::output::offered_output_commands(
            &user,
            view(detail, &permit),
            Utc::now().date_naive(),
        ))
    }
}

fn events_of(o: &StoredOutput) -> Vec<OutputEvent> {
    o.events
        .iter()
        .map(|e| OutputEvent {
            command: e.command,
            actor: e.actor.clone(),
            at: e.at,
        })
        .collect()
}

fn view<'a>(detail: &'a OutputDetail, permit: &'a Permit) -> OutputView<'a> {
    OutputView {
        requester: &detail.request.requester,
        permit,
        state: detail.state,
        approvals: &detail.approvals,
        blocking_findings: detail.blocking,
        unjustified_findings: detail.unjustified,
    }
}

/// The latest justification of a finding in a version.
fn justification(o: &StoredOutput, version: i64, file: &str, index: usize) -> Option<String> {
    o.events
        .iter()
        .rev()
        .find(|e| {
            e.command == OutputCommand::Justify
                && e.detail["version"].as_i64() == Some(version)
                && e.detail["file"].as_str() == Some(file)
                && e.detail["finding"].as_u64() == Some(index as u64)
        })
        .map(|e| e.reason.clone())
}

/// "FILE#N" (N from 1) → the stored detail of a justification, checked against the files.
fn justified_finding(detail: &OutputDetail, which: &str) -> Result<serde_json::Value, AppError> {
    let bad = || {
        AppError::Invalid(
            "that names no finding of this request: write FILE#N, N as `hdab output show` numbers them".into(),
        )
    };
    let (file, n) = which.rsplit_once('#').ok_or_else(bad)?;
    let n: usize = n.parse().map_err(|_| bad())?;
    let f = detail
        .files
        .iter()
        .find(|f| f.name == file)
        .ok_or_else(bad)?;
    let finding = n
        .checked_sub(1)
        .and_then(|i| f.check.findings.get(i))
        .ok_or_else(bad)?;
    if finding.rule.blocks() {
        return Err(AppError::Refused(format!(
            "{which} ({}) may never leave the SPE; no justification changes that: remove it from the file",
            finding.rule.as_str()
        )));
    }
    Ok(serde_json::json!({
        "version": detail.request.version(), "file": file, "finding": n - 1
    }))
}

fn verdict_words(d: &OutputDetail) -> String {
    let count =
        |v: hdab_output_check::Verdict| d.files.iter().filter(|f| f.check.verdict == v).count();
    format!(
        "{} file(s): {} pass, {} need a justification, {} fail",
        d.files.len(),
        count(hdab_output_check::Verdict::Pass),
        count(hdab_output_check::Verdict::NeedsJustification),
        count(hdab_output_check::Verdict::Fail)
    )
}
