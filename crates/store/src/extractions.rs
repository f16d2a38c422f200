//! Deliveries recorded per permit and dataset.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::{Result, Store, corrupt, parse_ts, ts};

impl Store {
    pub async fn record_extraction(
        &self,
        run_id: &str,
        permit_id: &str,
        dataset_id: &str,
        upload_id: &str,
        at: DateTime<Utc>,
        manifest: &serde_json::Value,
    ) -> Result<()> {
        sqlx::query("INSERT INTO extractions (run_id, permit_id, dataset_id, upload_id, finished_at, manifest) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(run_id)
            .bind(permit_id)
            .bind(dataset_id)
            .bind(upload_id)
            .bind(ts(at))
            .bind(manifest.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every delivery ever recorded, oldest first (for the audit's cross-check).
    pub async fn all_deliveries(&self) -> Result<Vec<DeliveryRecord>> {
        let rows = sqlx::query("SELECT permit_id, dataset_id, upload_id, finished_at, manifest FROM extractions ORDER BY finished_at, permit_id, dataset_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| delivery_of_row(r, r.try_get("permit_id")?))
            .collect()
    }

    /// The latest recorded delivery of each dataset of a permit, by dataset id.
    pub async fn latest_deliveries(&self, permit_id: &str) -> Result<Vec<DeliveryRecord>> {
        let rows = sqlx::query("SELECT e.dataset_id, e.upload_id, e.finished_at, e.manifest FROM extractions e WHERE e.permit_id = $1 AND e.finished_at = (SELECT MAX(f.finished_at) FROM extractions f WHERE f.permit_id = e.permit_id AND f.dataset_id = e.dataset_id) ORDER BY e.dataset_id")
            .bind(permit_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| delivery_of_row(r, permit_id.to_string()))
            .collect()
    }
}

fn delivery_of_row(r: &sqlx::any::AnyRow, permit_id: String) -> Result<DeliveryRecord> {
    let text: String = r.try_get("manifest")?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|_| corrupt("a stored manifest"))?;
    Ok(DeliveryRecord {
        permit_id,
        dataset_id: r.try_get("dataset_id")?,
        upload_id: r.try_get("upload_id")?,
        recorded_at: parse_ts(&r.try_get::<String, _>("finished_at")?)?,
        run_id: manifest["run_id"].as_str().map(str::to_string),
        key_version: manifest["key_version"]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok()),
        optout_registry_seq: manifest["optout_registry_seq"].as_i64(),
        manifest,
    })
}

/// A delivery as recorded: which permit, dataset and upload, when, the facts of its manifest
/// that decide whether it must be made again (absent in manifests written before they were
/// recorded), and the manifest itself as delivered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryRecord {
    pub permit_id: String,
    pub dataset_id: String,
    pub upload_id: String,
    pub recorded_at: DateTime<Utc>,
    pub run_id: Option<String>,
    pub key_version: Option<u32>,
    pub optout_registry_seq: Option<i64>,
    pub manifest: serde_json::Value,
}
