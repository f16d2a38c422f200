//! Accepted uploads of a dataset version, with their check reports.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{Result, Store, corrupt, parse_ts, ts};

/// An accepted upload: a checked, checksummed data file of one dataset version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Upload {
    pub id: String,
    pub dataset_id: String,
    pub dataset_version: i64,
    /// File name inside the data root's `uploads/` folder (generated, never the holder's).
    pub file_name: String,
    pub sha256: String,
    pub bytes: i64,
    pub n_rows: i64,
    /// The date the holder made the extract; decides the century of 10-digit numbers.
    pub reference_date: NaiveDate,
    /// The check report (JSON) shown to the holder.
    pub report: serde_json::Value,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

pub(crate) fn upload_of_row(r: &sqlx::any::AnyRow) -> Result<Upload> {
    let report: String = r.try_get("report")?;
    let reference: String = r.try_get("reference_date")?;
    Ok(Upload {
        id: r.try_get("id")?,
        dataset_id: r.try_get("dataset_id")?,
        dataset_version: r.try_get("dataset_version")?,
        file_name: r.try_get("file_name")?,
        sha256: r.try_get("sha256")?,
        bytes: r.try_get("bytes")?,
        n_rows: r.try_get("n_rows")?,
        reference_date: reference
            .parse()
            .map_err(|_| corrupt("an upload's reference date"))?,
        report: serde_json::from_str(&report).map_err(|_| corrupt("an upload report"))?,
        uploaded_by: r.try_get("uploaded_by")?,
        uploaded_at: parse_ts(&r.try_get::<String, _>("uploaded_at")?)?,
    })
}

pub(crate) async fn insert_upload(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    u: &Upload,
) -> Result<()> {
    sqlx::query("INSERT INTO uploads (id, dataset_id, dataset_version, file_name, sha256, bytes, n_rows, reference_date, report, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(&u.id)
        .bind(&u.dataset_id)
        .bind(u.dataset_version)
        .bind(&u.file_name)
        .bind(&u.sha256)
        .bind(u.bytes)
        .bind(u.n_rows)
        .bind(u.reference_date.to_string())
        .bind(u.report.to_string())
        .bind(&u.uploaded_by)
        .bind(ts(u.uploaded_at))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    pub async fn add_upload(&self, u: &Upload) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_upload(&mut tx, u).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest accepted upload of a dataset, of those made for the register as a whole
    /// (an upload made for a data order serves that order's permit only).
    pub async fn latest_upload(&self, dataset_id: &str) -> Result<Option<Upload>> {
        sqlx::query("SELECT * FROM uploads WHERE dataset_id = $1 AND id NOT IN (SELECT upload_id FROM data_order_events WHERE upload_id IS NOT NULL) ORDER BY uploaded_at DESC, id DESC LIMIT 1")
            .bind(dataset_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| upload_of_row(&r))
            .transpose()
    }

    /// Every upload of a dataset, newest first.
    pub async fn uploads(&self, dataset_id: &str) -> Result<Vec<Upload>> {
        sqlx::query(
            "SELECT * FROM uploads WHERE dataset_id = $1 ORDER BY uploaded_at DESC, id DESC",
        )
        .bind(dataset_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(upload_of_row)
        .collect()
    }
}
