//! Significant findings (Art. 61(5)): what the researcher reported (a pseudonym of the
//! permit and why) and the officials' steps. Never a personnummer.

use chrono::{DateTime, Utc};
use hdab_permits::{Role, User};
use serde::Serialize;
use sqlx::Row;

use crate::{
    Result, Store, StoreError, corrupt, is_unique_violation, json_body, parse_ts, text_of, ts,
};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingEvent {
    /// `approve` or `refuse`.
    pub step: String,
    pub actor: String,
    pub role: Role,
    pub at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredFinding {
    pub id: String,
    pub reporter: String,
    pub permit_id: String,
    pub pseudonym: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub events: Vec<FindingEvent>,
}

impl Store {
    /// Records a reported finding (id `F-<year>-<n>`).
    pub async fn create_finding(
        &self,
        reporter: &User,
        permit_id: &str,
        pseudonym: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<String> {
        let body =
            serde_json::json!({ "permit_id": permit_id, "pseudonym": pseudonym, "reason": reason });
        self.insert_numbered(
            "findings",
            "F",
            ["reporter", "body"],
            [&reporter.id, &reporter.organisation, &body.to_string()],
            at,
        )
        .await
    }

    /// Appends an official's step after the `seen` ones (racing steps collide).
    pub async fn append_finding_event(
        &self,
        finding_id: &str,
        seen: usize,
        e: &FindingEvent,
    ) -> Result<()> {
        sqlx::query("INSERT INTO finding_events (finding_id, seq, step, actor, role, at, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(finding_id)
            .bind(seen as i64 + 1)
            .bind(&e.step)
            .bind(&e.actor)
            .bind(e.role.as_str())
            .bind(ts(e.at))
            .bind(&e.reason)
            .execute(&self.pool)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
        Ok(())
    }

    pub async fn finding(&self, id: &str) -> Result<StoredFinding> {
        let row = sqlx::query("SELECT id, reporter, body, created_at FROM findings WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "significant finding",
                id: id.to_string(),
            })?;
        let body = json_body(&row, "a significant finding")?;
        let text = |k: &str| text_of(&body, k);
        let mut events = Vec::new();
        for e in sqlx::query("SELECT step, actor, role, at, reason FROM finding_events WHERE finding_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
        {
            events.push(FindingEvent {
                step: e.try_get("step")?,
                actor: e.try_get("actor")?,
                role: Role::parse(&e.try_get::<String, _>("role")?)
                    .ok_or_else(|| corrupt("a finding's step"))?,
                at: parse_ts(&e.try_get::<String, _>("at")?)?,
                reason: e.try_get("reason")?,
            });
        }
        Ok(StoredFinding {
            id: row.try_get("id")?,
            reporter: row.try_get("reporter")?,
            permit_id: text("permit_id"),
            pseudonym: text("pseudonym"),
            reason: text("reason"),
            created_at: parse_ts(&row.try_get::<String, _>("created_at")?)?,
            events,
        })
    }

    /// Every finding's id, oldest first.
    pub async fn finding_ids(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM findings ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| Ok(r.try_get::<String, _>("id")?))
            .collect()
    }
}
