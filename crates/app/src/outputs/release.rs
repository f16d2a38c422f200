//! Releasing an approved request into the researcher's outbox, what the public register
//! shows of releases, and downloads of released files.

use super::{sha256_hex, view};
use crate::{App, AppError};
use chrono::{DateTime, Utc};
use hdab_output_check::released_form;
use hdab_permits::output::{OutputCommand, OutputState, decide_output};
use hdab_store::StoredOutputEvent;
use serde::Serialize;
use std::path::PathBuf;

/// A release as the public register shows it: never the contents.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedRelease {
    pub permit_id: String,
    pub request_id: String,
    pub released_at: DateTime<Utc>,
    /// (description, SHA-256 of the released form) of each file.
    pub files: Vec<(String, String)>,
}

impl App {
    /// Releases an approved request: each file's released form (metadata stripped) and
    /// their checksums go to the outbox; the release is covered by a signed checkpoint.
    pub async fn release_output(&self, actor: &str, id: &str) -> Result<PathBuf, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            let detail = self.output_detail(id).await?;
            let permit = self.store.permit(&detail.request.permit_id).await?;
            decide_output(&user, view(&detail, &permit), OutputCommand::Release, Utc::now().date_naive())?;
            let source = self.output_folder(id, detail.request.version());
            let outbox = self.outbox(&permit.id, id);
            let staging = outbox.with_extension("partial");
            let _ = std::fs::remove_dir_all(&staging);
            std::fs::create_dir_all(&staging)
                .map_err(|e| AppError::Io(staging.display().to_string(), e))?;
            let mut sums = String::new();
            let mut released = Vec::new();
            for f in &detail.files {
                let bytes = std::fs::read(source.join(&f.name))
                    .map_err(|e| AppError::Io(format!("reading '{}' of {id}", f.name), e))?;
                if sha256_hex(&bytes) != f.sha256 {
                    return Err(AppError::Invalid(format!(
                        "'{}' of {id} no longer matches the checksum it was checked with; it is not released",
                        f.name
                    )));
                }
                let out = released_form(f.check.kind, &bytes).map_err(AppError::Invalid)?;
                let sum = sha256_hex(&out);
                std::fs::write(staging.join(&f.name), &out)
                    .map_err(|e| AppError::Io(format!("writing '{}'", f.name), e))?;
                sums.push_str(&format!("{sum}  {}\n", f.name));
                released.push(serde_json::json!({
                    "name": f.name, "description": f.description, "sha256": sum, "bytes": out.len()
                }));
            }
            std::fs::write(staging.join("SHA256SUMS"), sums)
                .map_err(|e| AppError::Io("writing SHA256SUMS".into(), e))?;
            let event = StoredOutputEvent {
                command: OutputCommand::Release,
                actor: actor.into(),
                at: Utc::now(),
                reason: String::new(),
                detail: serde_json::json!({ "files": released }),
            };
            self.store
                .append_output_event(id, detail.request.events.len(), &event, &[])
                .await?;
            let _ = std::fs::remove_dir_all(&outbox);
            std::fs::rename(&staging, &outbox)
                .map_err(|e| AppError::Io(outbox.display().to_string(), e))?;
            Ok((outbox, format!("{} file(s) released", detail.files.len())))
        }
        .await;
        let out = self.audited(actor, "output.release", id, result).await?;
        self.cover_head().await?;
        if let Ok(detail) = self.output_detail(id).await {
            let r = &detail.request;
            self.raise(crate::notifications::Tell {
                kind: hdab_notify::NoticeKind::OutputReleased,
                object: id,
                title: "",
                detail: &r.permit_id,
                recipients: std::slice::from_ref(&r.requester),
                dedupe: None,
                at: Utc::now(),
            })
            .await;
        }
        Ok(out)
    }

    /// Every release, for the public register: permit, date, and each file's description and
    /// checksum — never contents.
    pub async fn published_releases(&self) -> Result<Vec<PublishedRelease>, AppError> {
        let mut out = Vec::new();
        for o in self.store.output_requests(None).await? {
            let Some(release) = o
                .events
                .iter()
                .find(|e| e.command == OutputCommand::Release)
            else {
                continue;
            };
            let files = release.detail["files"]
                .as_array()
                .map(|fs| {
                    fs.iter()
                        .map(|f| {
                            let text = |k: &str| f[k].as_str().unwrap_or("").to_string();
                            (text("description"), text("sha256"))
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push(PublishedRelease {
                permit_id: o.permit_id.clone(),
                request_id: o.id.clone(),
                released_at: release.at,
                files,
            });
        }
        Ok(out)
    }

    /// A released file, for the permit's people: (its released bytes).
    pub async fn released_file(
        &self,
        actor: &str,
        id: &str,
        name: &str,
    ) -> Result<Vec<u8>, AppError> {
        let detail = self.show_output(actor, id).await?;
        let permit = self.store.permit(&detail.request.permit_id).await?;
        if !permit.spe_users.iter().any(|u| u == actor) {
            return Err(AppError::Refused(format!(
                "released files of {id} are for the people of permit {}",
                permit.id
            )));
        }
        if detail.state != OutputState::Released || !detail.files.iter().any(|f| f.name == name) {
            return Err(AppError::NotFound(format!(
                "a released file '{name}' of {id}"
            )));
        }
        let path = self.outbox(&permit.id, id).join(name);
        std::fs::read(&path).map_err(|e| AppError::Io(format!("reading '{name}' of {id}"), e))
    }
}
