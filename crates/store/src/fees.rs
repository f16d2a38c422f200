//! A case's fee events (rules in `hdab_permits::fees`).

use hdab_permits::fees::{FeeChange, FeeEvent};
use sqlx::Row;

use crate::{Result, Store, StoreError, corrupt, is_unique_violation, parse_ts, ts};

impl Store {
    /// Appends a fee event to a case that had `seen_events` of them; a racing change
    /// collides (`StoreError::Conflict`).
    pub async fn append_fee_event(
        &self,
        application_id: &str,
        seen_events: usize,
        event: &FeeEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO fee_events (application_id, seq, body, actor, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(application_id)
            .bind(seen_events as i64 + 1)
            .bind(serde_json::to_string(&event.change).map_err(|e| corrupt(e.to_string()))?)
            .bind(&event.actor)
            .bind(ts(event.at))
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
        tx.commit().await?;
        Ok(())
    }

    /// A case's fee events, oldest first.
    pub async fn fee_events(&self, application_id: &str) -> Result<Vec<FeeEvent>> {
        sqlx::query("SELECT body, actor, at FROM fee_events WHERE application_id = $1 ORDER BY seq")
            .bind(application_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                let change: FeeChange = serde_json::from_str(&r.try_get::<String, _>("body")?)
                    .map_err(|_| corrupt("a fee event"))?;
                Ok(FeeEvent {
                    change,
                    actor: r.try_get("actor")?,
                    at: parse_ts(&r.try_get::<String, _>("at")?)?,
                })
            })
            .collect()
    }
}
