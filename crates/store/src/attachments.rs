//! Documents attached to applications (the files themselves are kept by `hdab-app`).

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::{Result, Store, parse_ts, ts};

/// One attached document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attachment {
    pub id: String,
    pub application_id: String,
    /// `ethics_decision`, `research_plan` or `other`.
    pub kind: String,
    /// The file's name as the applicant gave it.
    pub name: String,
    pub sha256: String,
    pub bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

fn attachment(r: &sqlx::any::AnyRow) -> Result<Attachment> {
    Ok(Attachment {
        id: r.try_get("id")?,
        application_id: r.try_get("application_id")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        sha256: r.try_get("sha256")?,
        bytes: r.try_get("bytes")?,
        uploaded_by: r.try_get("uploaded_by")?,
        uploaded_at: parse_ts(&r.try_get::<String, _>("uploaded_at")?)?,
    })
}

impl Store {
    pub async fn add_attachment(&self, a: &Attachment) -> Result<()> {
        sqlx::query("INSERT INTO attachments (id, application_id, kind, name, sha256, bytes, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&a.id)
            .bind(&a.application_id)
            .bind(&a.kind)
            .bind(&a.name)
            .bind(&a.sha256)
            .bind(a.bytes)
            .bind(&a.uploaded_by)
            .bind(ts(a.uploaded_at))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// An application's attachments, oldest first.
    pub async fn attachments(&self, application_id: &str) -> Result<Vec<Attachment>> {
        let rows = sqlx::query("SELECT id, application_id, kind, name, sha256, bytes, uploaded_by, uploaded_at FROM attachments WHERE application_id = $1 ORDER BY uploaded_at, id")
            .bind(application_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(attachment).collect()
    }
}
