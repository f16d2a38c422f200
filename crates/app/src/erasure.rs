//! Erasure on time (EHDS Art. 68(12)): a revoked permit's workspace leaves the SPE at once
//! and is erased after the grace period; an expired permit's is erased within six months
//! of its end. Each erasure is an audit entry naming every file with its checksum.

use chrono::{DateTime, Utc};
use hdab_permits::access::{self, Duty};

use crate::{App, AppError};

/// One permit's data erased by a sweep.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Erasure {
    pub permit_id: String,
    /// `revoked` or `expired`.
    pub reason: &'static str,
    pub due: DateTime<Utc>,
    pub files: Vec<hdab_pipeline::ErasedFile>,
}

impl App {
    /// Erases every permit's data that is due at `now` (the clock is the caller's, so a
    /// test or a catch-up run can give one). `actor`: an administrator, or `None` for the
    /// server's own daily sweep.
    pub async fn erase_due(
        &self,
        actor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Erasure>, AppError> {
        if let Some(a) = actor {
            let checked = async { Ok(access::require(&self.user(a).await?, Duty::EraseData)?) };
            if let Err(e) = checked.await {
                return self.audited(a, "spe.sweep", "", Err(e)).await;
            }
        }
        let who = actor.unwrap_or(SYSTEM);
        let spe = self.settings.spe();
        let mut erased = Vec::new();
        for permit in self.store.permits().await? {
            let (due, reason) = self.settings.erasure.due(&permit);
            if due > now || !spe.holds(&permit.id) {
                continue;
            }
            // Never under a running extraction of the permit.
            let _turn = self.permit_lock(&permit.id).await?;
            let folder = spe.clone();
            let id = permit.id.clone();
            let result = tokio::task::spawn_blocking(move || folder.erase(&id))
                .await
                .map_err(|e| {
                    AppError::Io(
                        "the SPE folder".into(),
                        std::io::Error::other(e.to_string()),
                    )
                })?
                .map_err(AppError::from);
            let result = result.map(|files| {
                let detail = format!(
                    "{reason} (due {}): erased {} files: {}",
                    due.format("%Y-%m-%d"),
                    files.len(),
                    files
                        .iter()
                        .map(|f| format!("{} {} bytes sha256 {}", f.path, f.bytes, f.sha256))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                (files, detail)
            });
            let files = self.audited(who, "spe.erase", &permit.id, result).await?;
            tracing::info!(permit = %permit.id, reason, files = files.len(), "erased the permit's data");
            erased.push(Erasure {
                permit_id: permit.id,
                reason,
                due,
                files,
            });
        }
        if !erased.is_empty() {
            self.cover_head().await?;
        }
        Ok(erased)
    }

    /// A revoked permit's workspace leaves the SPE at once (it waits for erasure outside it).
    pub(crate) async fn withdraw_workspace(&self, permit_id: &str) -> Result<bool, AppError> {
        let _turn = self.permit_lock(permit_id).await?;
        let spe = self.settings.spe();
        let id = permit_id.to_string();
        Ok(tokio::task::spawn_blocking(move || spe.withdraw(&id))
            .await
            .map_err(|e| {
                AppError::Io(
                    "the SPE folder".into(),
                    std::io::Error::other(e.to_string()),
                )
            })??)
    }
}

/// Who the server's own sweeps are recorded as.
const SYSTEM: &str = "hdab-serve";
