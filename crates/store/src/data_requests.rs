//! Data requests (Art. 69) and their answers.

use chrono::{DateTime, Utc};
use hdab_permits::User;
use sqlx::Row;

use crate::{Result, Store, StoreError, corrupt, parse_ts, ts};

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

    /// Records the decision on a data request; decided once (`false`: it was already).
    pub async fn decide_data_request(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE data_requests SET decision = $1, decided_by = $2, decided_at = $3, decision_reason = $4 WHERE id = $5 AND decision IS NULL")
            .bind(if approve { "approve" } else { "refuse" })
            .bind(by)
            .bind(ts(at))
            .bind(reason)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every data request as the public register lists it, oldest first.
    pub async fn data_request_register(&self) -> Result<Vec<DataRequestEntry>> {
        sqlx::query("SELECT id, organisation, body, created_at, decision, decided_at, decision_reason, answered_at FROM data_requests ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let body: String = r.try_get("body")?;
                let content: hdab_permits::DataRequestContent =
                    serde_json::from_str(&body).map_err(|_| corrupt("a data request"))?;
                let decided_at: Option<String> = r.try_get("decided_at")?;
                let answered_at: Option<String> = r.try_get("answered_at")?;
                Ok(DataRequestEntry {
                    id: r.try_get("id")?,
                    organisation: r.try_get("organisation")?,
                    dataset_id: content.dataset_id,
                    received: parse_ts(&r.try_get::<String, _>("created_at")?)?,
                    decision: r.try_get("decision")?,
                    decided_at: decided_at.as_deref().map(parse_ts).transpose()?,
                    reason: r.try_get("decision_reason")?,
                    answered_at: answered_at.as_deref().map(parse_ts).transpose()?,
                })
            })
            .collect()
    }

    /// A data request's decision: (approve or refuse, when, reason).
    pub async fn data_request_decision(
        &self,
        id: &str,
    ) -> Result<Option<(String, DateTime<Utc>, String)>> {
        let row = sqlx::query(
            "SELECT decision, decided_at, decision_reason FROM data_requests WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "data request",
            id: id.to_string(),
        })?;
        let decision: Option<String> = row.try_get("decision")?;
        let at: Option<String> = row.try_get("decided_at")?;
        let reason: Option<String> = row.try_get("decision_reason")?;
        Ok(match (decision, at) {
            (Some(d), Some(at)) => Some((d, parse_ts(&at)?, reason.unwrap_or_default())),
            _ => None,
        })
    }
}

/// A data request in the public register.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DataRequestEntry {
    pub id: String,
    pub organisation: String,
    pub dataset_id: String,
    pub received: DateTime<Utc>,
    /// `approve` or `refuse`.
    pub decision: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}
