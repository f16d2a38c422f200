//! Dataset descriptions: every version kept, yearly confirmations.

use chrono::{DateTime, Utc};
use hdab_catalog::DatasetDescription;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError, corrupt, is_unique_violation, parse_ts, ts};

/// A dataset description as stored: one version of it.
#[derive(Debug, Clone)]
pub struct DatasetVersion {
    pub dataset_id: String,
    pub version: i64,
    pub description: DatasetDescription,
    pub digest: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

pub(crate) fn dataset_version_from_row(r: &AnyRow) -> Result<DatasetVersion> {
    let description: String = r.try_get("description")?;
    Ok(DatasetVersion {
        dataset_id: r.try_get("dataset_id")?,
        version: r.try_get("version")?,
        description: DatasetDescription::from_json(&description)
            .map_err(|_| corrupt("a stored dataset description"))?,
        digest: r.try_get("digest")?,
        created_by: r.try_get("created_by")?,
        created_at: parse_ts(&r.try_get::<String, _>("created_at")?)?,
    })
}

impl Store {
    /// Records a new version of a description (version 1 for a new dataset). An unchanged
    /// description is not a new version: the current one is returned.
    pub async fn register_dataset_version(
        &self,
        description: &DatasetDescription,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<DatasetVersion> {
        if let Some(current) = self.current_dataset(&description.id).await?
            && current.digest == description.digest()
        {
            return Ok(current);
        }
        let mut tx = self.begin_write().await?;
        let next: i64 = sqlx::query(
            "SELECT COALESCE(MAX(version), 0) + 1 AS v FROM dataset_versions WHERE dataset_id = $1",
        )
        .bind(&description.id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("v")?;
        sqlx::query("INSERT INTO dataset_versions (dataset_id, version, holder, description, digest, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&description.id)
            .bind(next)
            .bind(&description.holder)
            .bind(description.to_json())
            .bind(description.digest())
            .bind(actor)
            .bind(ts(at))
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
        tx.commit().await?;
        Ok(DatasetVersion {
            dataset_id: description.id.clone(),
            version: next,
            description: description.clone(),
            digest: description.digest(),
            created_by: actor.to_string(),
            created_at: at,
        })
    }

    pub async fn current_dataset(&self, dataset_id: &str) -> Result<Option<DatasetVersion>> {
        let row = sqlx::query("SELECT dataset_id, version, description, digest, created_by, created_at FROM dataset_versions WHERE dataset_id = $1 ORDER BY version DESC LIMIT 1")
            .bind(dataset_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| dataset_version_from_row(&r)).transpose()
    }

    /// Every version of a dataset, oldest first.
    pub async fn dataset_versions(&self, dataset_id: &str) -> Result<Vec<DatasetVersion>> {
        let rows = sqlx::query("SELECT dataset_id, version, description, digest, created_by, created_at FROM dataset_versions WHERE dataset_id = $1 ORDER BY version")
            .bind(dataset_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(dataset_version_from_row).collect()
    }

    /// Records that a holder confirmed the current version is still correct.
    pub async fn confirm_dataset(
        &self,
        dataset_id: &str,
        version: i64,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO dataset_confirmations (dataset_id, version, confirmed_by, at) VALUES ($1, $2, $3, $4)")
            .bind(dataset_id)
            .bind(version)
            .bind(by)
            .bind(ts(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// When a description was last confirmed (explicitly); `None` if never.
    pub async fn last_confirmation(&self, dataset_id: &str) -> Result<Option<DateTime<Utc>>> {
        let at: Option<String> =
            sqlx::query("SELECT MAX(at) AS at FROM dataset_confirmations WHERE dataset_id = $1")
                .bind(dataset_id)
                .fetch_one(&self.pool)
                .await?
                .try_get("at")?;
        at.map(|t| parse_ts(&t)).transpose()
    }

    /// The newest version of every dataset, by id.
    pub async fn datasets(&self) -> Result<Vec<DatasetVersion>> {
        let rows = sqlx::query("SELECT d.dataset_id, d.version, d.description, d.digest, d.created_by, d.created_at FROM dataset_versions d WHERE d.version = (SELECT MAX(version) FROM dataset_versions e WHERE e.dataset_id = d.dataset_id) ORDER BY d.dataset_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(dataset_version_from_row).collect()
    }
}
