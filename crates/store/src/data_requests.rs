//! Data requests (Art. 69) and their answers.

use chrono::{DateTime, Utc};
use hdab_permits::User;
use sqlx::Row;

use crate::{Result, Store, StoreError, corrupt, ts};

impl Store {
    /// Stores a data request and returns its id (`R-<year>-<n>`).
    pub async fn create_data_request(
        &self,
        requester: &User,
        content: &hdab_permits::DataRequestContent,
        at: DateTime<Utc>,
    ) -> Result<String> {
        let body = serde_json::to_string(content).map_err(|e| corrupt(e.to_string()))?;
        self.insert_numbered(
            "data_requests",
            "R",
            ["requester", "body"],
            [&requester.id, &content.organisation, &body],
            at,
        )
        .await
    }

    /// A data request: (requester, content, answer if answered).
    pub async fn data_request(
        &self,
        id: &str,
    ) -> Result<(
        String,
        hdab_permits::DataRequestContent,
        Option<serde_json::Value>,
    )> {
        let row = sqlx::query("SELECT requester, body, result FROM data_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "data request",
                id: id.to_string(),
            })?;
        let body: String = row.try_get("body")?;
        let result: Option<String> = row.try_get("result")?;
        Ok((
            row.try_get("requester")?,
            serde_json::from_str(&body).map_err(|_| corrupt("a data request"))?,
            result
                .map(|r| serde_json::from_str(&r).map_err(|_| corrupt("a data request's answer")))
                .transpose()?,
        ))
    }

    /// Records the answer; a request is answered once (the first answer stays).
    pub async fn answer_data_request(
        &self,
        id: &str,
        by: &str,
        at: DateTime<Utc>,
        result: &serde_json::Value,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE data_requests SET answered_by = $1, answered_at = $2, result = $3 WHERE id = $4 AND result IS NULL")
            .bind(by)
            .bind(ts(at))
            .bind(result.to_string())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
