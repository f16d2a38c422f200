//! Consultations on cases and their answers (rules in `hdab_permits::consultations`).

use hdab_permits::consultations::{Consultation, ConsultationChange, ConsultationEvent};
use sqlx::Row;

use crate::{Result, Store, StoreError, corrupt, is_unique_violation, parse_ts, ts};

impl Store {
    pub async fn count_consultations(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM consultations")
            .fetch_one(self.pool())
            .await?
            .try_get("n")?)
    }

    pub async fn add_consultation(&self, c: &Consultation) -> Result<()> {
        sqlx::query("INSERT INTO consultations (id, application_id, body, asked_at) VALUES ($1, $2, $3, $4)")
            .bind(&c.id)
            .bind(&c.application_id)
            .bind(serde_json::to_string(c).map_err(|e| corrupt(e.to_string()))?)
            .bind(ts(c.asked_at))
            .execute(self.pool())
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
        Ok(())
    }

    /// Appends an event to a consultation that had `seen_events`; a racing change collides.
    pub async fn append_consultation_event(
        &self,
        id: &str,
        seen_events: usize,
        event: &ConsultationEvent,
    ) -> Result<()> {
        sqlx::query("INSERT INTO consultation_events (consultation_id, seq, body, actor, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(seen_events as i64 + 1)
            .bind(serde_json::to_string(&event.change).map_err(|e| corrupt(e.to_string()))?)
            .bind(&event.actor)
            .bind(ts(event.at))
            .execute(self.pool())
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
        Ok(())
    }

    /// A case's consultations (or one, by id), each with its events, in the order asked.
    pub async fn consultations(
        &self,
        application_id: Option<&str>,
        id: Option<&str>,
    ) -> Result<Vec<(Consultation, Vec<ConsultationEvent>)>> {
        let rows = sqlx::query("SELECT id, body FROM consultations WHERE ($1 IS NULL OR application_id = $1) AND ($2 IS NULL OR id = $2) ORDER BY asked_at, id")
            .bind(application_id)
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let c: Consultation = serde_json::from_str(&r.try_get::<String, _>("body")?)
                .map_err(|_| corrupt("a consultation"))?;
            let events = sqlx::query("SELECT body, actor, at FROM consultation_events WHERE consultation_id = $1 ORDER BY seq")
                .bind(&c.id)
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|e| {
                    let change: ConsultationChange =
                        serde_json::from_str(&e.try_get::<String, _>("body")?)
                            .map_err(|_| corrupt("a consultation's event"))?;
                    Ok(ConsultationEvent {
                        change,
                        actor: e.try_get("actor")?,
                        at: parse_ts(&e.try_get::<String, _>("at")?)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            out.push((c, events));
        }
        Ok(out)
    }
}
