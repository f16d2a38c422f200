//! Documents an application comes with (the ethics decision, the research plan): PDF only,
//! at most a set size, kept by checksum under the data folder, and refused when they carry
//! active content (scripts, actions run on opening, embedded files: `hdab_output_check::
//! pdf_active_content`). The applicant attaches while the application may change; whoever
//! may read the case may open them.

use crate::{App, AppError};
use chrono::Utc;
use hdab_permits::{AppState, access, state_of};
use hdab_store::Attachment;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// What an attachment is.
pub const KINDS: [&str; 3] = ["ethics_decision", "research_plan", "other"];

/// The largest attachment accepted, unless the settings say otherwise.
pub const DEFAULT_MAX_BYTES: u64 = 20 << 20;

impl App {
    fn attachment_file(&self, application_id: &str, sha256: &str) -> PathBuf {
        self.settings
            .data_dir
            .join("attachments")
            .join(application_id)
            .join(format!("{sha256}.pdf"))
    }

    /// Attaches a PDF to the actor's application (while it is a draft or returned).
    pub async fn attach(
        &self,
        actor: &str,
        application_id: &str,
        kind: &str,
        name: &str,
        bytes: &[u8],
    ) -> Result<Attachment, AppError> {
        let result = async {
            let app = self.find_application(application_id).await?;
            if !access::may_change_application(actor, &app.applicant) {
                return Err(AppError::NotFound(format!("application '{application_id}'")));
            }
            let state = state_of(&app.events);
            if !matches!(state, AppState::Draft | AppState::Incomplete) {
                return Err(AppError::Refused(format!(
                    "documents are attached while the application is a draft or returned for completion; this one is {state}"
                )));
            }
            if !KINDS.contains(&kind) {
                return Err(AppError::Invalid(format!(
                    "attachment kind '{kind}': give one of {}",
                    KINDS.join(", ")
                )));
            }
            let max = self.settings.attachment_max_bytes;
            if bytes.len() as u64 > max {
                return Err(AppError::Invalid(format!(
                    "'{name}' is {} MiB; attachments may be at most {} MiB",
                    bytes.len() >> 20,
                    max >> 20
                )));
            }
            let active = hdab_output_check::pdf_active_content(bytes)
                .map_err(|e| AppError::Invalid(format!("'{name}': {e}; attach PDF files only")))?;
            if !active.is_empty() {
                return Err(AppError::Invalid(format!(
                    "'{name}' carries active content ({}); save it again as plain PDF (for example PDF/A) and attach that",
                    active.join(", ")
                )));
            }
            let sha256 = hex::encode(Sha256::digest(bytes));
            let file = self.attachment_file(application_id, &sha256);
            if let Some(folder) = file.parent() {
                std::fs::create_dir_all(folder)
                    .map_err(|e| AppError::Io(folder.display().to_string(), e))?;
            }
            let partial = file.with_extension("partial");
            std::fs::write(&partial, bytes)
                .and_then(|()| std::fs::File::open(&partial)?.sync_all())
                .and_then(|()| std::fs::rename(&partial, &file))
                .map_err(|e| AppError::Io(format!("keeping '{name}'"), e))?;
            let clean: String = name
                .chars()
                .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"'))
                .take(120)
                .collect();
            let attachment = Attachment {
                id: format!("F-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]),
                application_id: application_id.to_string(),
                kind: kind.to_string(),
                name: if clean.trim().is_empty() {
                    "document.pdf".into()
                } else {
                    clean
                },
                sha256,
                bytes: bytes.len() as i64,
                uploaded_by: actor.to_string(),
                uploaded_at: Utc::now(),
            };
            self.store.add_attachment(&attachment).await?;
            let detail = format!(
                "{} {} ({} bytes, sha256 {})",
                attachment.id, attachment.kind, attachment.bytes, attachment.sha256
            );
            Ok((attachment, detail))
        }
        .await;
        self.audited(actor, "application.attach", application_id, result)
            .await
    }

    /// An application's attachments, for whoever may read the case.
    pub async fn attachments(
        &self,
        actor: &str,
        application_id: &str,
    ) -> Result<Vec<Attachment>, AppError> {
        self.show_application(actor, application_id).await?;
        Ok(self.store.attachments(application_id).await?)
    }

    /// Opens an attachment: its record and bytes (checked against the checksum it was
    /// kept with); every opening is audited.
    pub async fn open_attachment(
        &self,
        actor: &str,
        application_id: &str,
        attachment_id: &str,
    ) -> Result<(Attachment, Vec<u8>), AppError> {
        let result = async {
            let a = self
                .attachments(actor, application_id)
                .await?
                .into_iter()
                .find(|a| a.id == attachment_id)
                .ok_or_else(|| AppError::NotFound(format!("attachment '{attachment_id}'")))?;
            let file = self.attachment_file(application_id, &a.sha256);
            let bytes = std::fs::read(&file)
                .map_err(|e| AppError::Io(format!("reading '{}'", a.name), e))?;
            if hex::encode(Sha256::digest(&bytes)) != a.sha256 {
                return Err(AppError::Invalid(format!(
                    "'{}' no longer matches the checksum it was kept with; tell the HDAB's support",
                    a.name
                )));
            }
            let detail = format!("{} {}", a.id, a.sha256);
            Ok(((a, bytes), detail))
        }
        .await;
        self.audited(actor, "application.attachment.open", application_id, result)
            .await
    }
}
