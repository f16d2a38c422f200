//! Applications, their case events (racing transitions collide on `(application_id, seq)`),
//! permits and permit events.

use chrono::{DateTime, Utc};
use hdab_permits::orders::DataOrder;
use hdab_permits::{ApplicationContent, CaseCommand, CaseEvent, Permit, User};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError, corrupt, is_unique_violation, parse_ts, ts};

/// An application with its events; the state is derived from the events.
#[derive(Debug, Clone)]
pub struct StoredApplication {
    pub id: String,
    pub applicant: String,
    pub content: ApplicationContent,
    pub created_at: DateTime<Utc>,
    pub events: Vec<CaseEvent>,
}

pub(crate) fn permit_from_row(row: &AnyRow) -> Result<Permit> {
    let body: String = row.try_get("body")?;
    let mut permit: Permit = serde_json::from_str(&body).map_err(|_| corrupt("a permit"))?;
    if let Some(v) = row.try_get::<Option<i64>, _>("kv")? {
        permit.key_version = u32::try_from(v).map_err(|_| corrupt("a key version"))?;
    }
    Ok(permit)
}

/// A revocation or amendment of a permit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermitEvent {
    /// `revoke` or `amend`.
    pub kind: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub reason: String,
    /// For `amend`: the SPE users after the amendment.
    pub spe_users: Vec<String>,
}

pub(crate) fn case_event_of_row(r: &sqlx::any::AnyRow) -> Result<CaseEvent> {
    let command: String = r.try_get("command")?;
    Ok(CaseEvent {
        command: CaseCommand::parse(&command)
            .ok_or_else(|| corrupt(format!("case command '{command}'")))?,
        actor: r.try_get("actor")?,
        at: parse_ts(&r.try_get::<String, _>("at")?)?,
        comment: r.try_get("comment")?,
        assignee: r.try_get("assignee")?,
    })
}

impl Store {
    /// Creates a draft application and returns its id (`A-<year>-<n>`).
    pub async fn create_application(
        &self,
        applicant: &User,
        content: &ApplicationContent,
        at: DateTime<Utc>,
    ) -> Result<String> {
        let body = serde_json::to_string(content).map_err(|e| corrupt(e.to_string()))?;
        self.insert_numbered(
            "applications",
            "A",
            ["applicant", "content"],
            [&applicant.id, &content.organisation, &body],
            at,
        )
        .await
    }

    /// Inserts a case-like row under the next free id `<prefix>-<year>-<n>` into `table`
    /// (columns `id, <who>, organisation, <json>, created_at`), counting again when another
    /// insert took the number.
    pub(crate) async fn insert_numbered(
        &self,
        table: &str,
        prefix: &str,
        [who_column, json_column]: [&str; 2],
        [who, organisation, json]: [&str; 3],
        at: DateTime<Utc>,
    ) -> Result<String> {
        for _ in 0..5 {
            let n: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
            let id = format!("{prefix}-{}-{:04}", at.format("%Y"), n + 1);
            let r = sqlx::query(&format!(
                "INSERT INTO {table} (id, {who_column}, organisation, {json_column}, created_at) VALUES ($1, $2, $3, $4, $5)"
            ))
            .bind(&id)
            .bind(who)
            .bind(organisation)
            .bind(json)
            .bind(ts(at))
            .execute(&self.pool)
            .await;
            match r {
                Ok(_) => return Ok(id),
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict)
    }

    pub async fn application(&self, id: &str) -> Result<StoredApplication> {
        let row = sqlx::query(
            "SELECT id, applicant, content, created_at FROM applications WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "application",
            id: id.to_string(),
        })?;
        let content: String = row.try_get("content")?;
        let events = sqlx::query("SELECT command, actor, at, comment, assignee FROM application_events WHERE application_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(case_event_of_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(StoredApplication {
            id: row.try_get("id")?,
            applicant: row.try_get("applicant")?,
            content: serde_json::from_str(&content)
                .map_err(|_| corrupt("an application's content"))?,
            created_at: parse_ts(&row.try_get::<String, _>("created_at")?)?,
            events,
        })
    }

    /// Every application with its events, oldest first. Two queries, whatever the count
    /// (the case queue reads this on every view).
    pub async fn applications(&self) -> Result<Vec<StoredApplication>> {
        let rows = sqlx::query(
            "SELECT id, applicant, content, created_at FROM applications ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut events: std::collections::HashMap<String, Vec<CaseEvent>> =
            std::collections::HashMap::new();
        for r in sqlx::query("SELECT application_id, command, actor, at, comment, assignee FROM application_events ORDER BY application_id, seq")
            .fetch_all(&self.pool)
            .await?
        {
            events
                .entry(r.try_get("application_id")?)
                .or_default()
                .push(case_event_of_row(&r)?);
        }
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let content: String = row.try_get("content")?;
                Ok(StoredApplication {
                    events: events.remove(&id).unwrap_or_default(),
                    applicant: row.try_get("applicant")?,
                    content: serde_json::from_str(&content)
                        .map_err(|_| corrupt("an application's content"))?,
                    created_at: parse_ts(&row.try_get::<String, _>("created_at")?)?,
                    id,
                })
            })
            .collect()
    }

    /// Every submitted version of an application, oldest first: (number of its `submit`
    /// event, the content received).
    pub async fn application_versions(&self, id: &str) -> Result<Vec<(i64, ApplicationContent)>> {
        sqlx::query("SELECT event_seq, content FROM application_versions WHERE application_id = $1 ORDER BY event_seq")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let content: String = r.try_get("content")?;
                Ok((
                    r.try_get("event_seq")?,
                    serde_json::from_str(&content)
                        .map_err(|_| corrupt("a submitted version of an application"))?,
                ))
            })
            .collect()
    }

    /// Replaces the content of a draft or returned application (the caller checks the state).
    pub async fn update_application_content(
        &self,
        id: &str,
        content: &ApplicationContent,
    ) -> Result<()> {
        let body = serde_json::to_string(content).map_err(|e| corrupt(e.to_string()))?;
        sqlx::query("UPDATE applications SET content = $1, organisation = $2 WHERE id = $3")
            .bind(body)
            .bind(&content.organisation)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Appends an event as number `seen_events + 1`. If another transition was recorded since
    /// the caller read the case, the insert collides and [`StoreError::Conflict`] is returned:
    /// of racing transitions exactly one is recorded.
    pub async fn append_case_event(
        &self,
        application_id: &str,
        seen_events: usize,
        event: &CaseEvent,
        permit: Option<(&Permit, &[DataOrder])>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO application_events (application_id, seq, command, actor, at, comment, assignee) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(application_id)
            .bind(seen_events as i64 + 1)
            .bind(event.command.as_str())
            .bind(&event.actor)
            .bind(ts(event.at))
            .bind(&event.comment)
            .bind(event.assignee.clone())
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
        // What the HDAB received is kept as it was, whatever the applicant changes later.
        if event.command == CaseCommand::Submit {
            sqlx::query("INSERT INTO application_versions (application_id, event_seq, content) SELECT id, $2, content FROM applications WHERE id = $1")
                .bind(application_id)
                .bind(seen_events as i64 + 1)
                .execute(&mut *tx)
                .await?;
        }
        if let Some((p, orders)) = permit {
            sqlx::query(
                "INSERT INTO permits (id, application_id, body, granted_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&p.id)
            .bind(&p.application_id)
            .bind(serde_json::to_string(p).map_err(|e| corrupt(e.to_string()))?)
            .bind(ts(p.granted_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
            // The grant orders the data from the holders in the same transaction.
            crate::orders::insert_orders(&mut tx, orders).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A permit as granted, with its current key version.
    pub async fn permit(&self, id: &str) -> Result<Permit> {
        let row = sqlx::query("SELECT p.body, (SELECT MAX(k.key_version) FROM permit_key_versions k WHERE k.permit_id = p.id) AS kv FROM permits p WHERE p.id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "permit",
                id: id.to_string(),
            })?;
        let permit = permit_from_row(&row)?;
        self.with_permit_events(permit).await
    }

    /// Applies revocations and amendments to a permit as granted.
    pub(crate) async fn with_permit_events(&self, mut permit: Permit) -> Result<Permit> {
        for e in self.permit_events(&permit.id).await? {
            match e.kind.as_str() {
                "revoke" => permit.revoked_at = Some(e.at),
                _ => permit.spe_users = e.spe_users,
            }
        }
        Ok(permit)
    }

    /// Records a revocation or amendment; guarded like case events (exactly one of racing
    /// changes wins).
    pub async fn append_permit_event(&self, permit_id: &str, event: &PermitEvent) -> Result<()> {
        let seen: i64 = sqlx::query("SELECT COUNT(*) AS n FROM permit_events WHERE permit_id = $1")
            .bind(permit_id)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        sqlx::query("INSERT INTO permit_events (permit_id, seq, kind, actor, at, reason, body) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(permit_id)
            .bind(seen + 1)
            .bind(&event.kind)
            .bind(&event.actor)
            .bind(ts(event.at))
            .bind(&event.reason)
            .bind(serde_json::to_string(&event.spe_users).map_err(|e| corrupt(e.to_string()))?)
            .execute(&self.pool)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
        Ok(())
    }

    pub async fn permit_events(&self, permit_id: &str) -> Result<Vec<PermitEvent>> {
        let rows = sqlx::query("SELECT kind, actor, at, reason, body FROM permit_events WHERE permit_id = $1 ORDER BY seq")
            .bind(permit_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PermitEvent {
                    kind: r.try_get("kind")?,
                    actor: r.try_get("actor")?,
                    at: parse_ts(&r.try_get::<String, _>("at")?)?,
                    reason: r.try_get("reason")?,
                    spe_users: serde_json::from_str(&r.try_get::<String, _>("body")?)
                        .map_err(|_| corrupt("a permit amendment"))?,
                })
            })
            .collect()
    }

    /// Every permit, by id.
    pub async fn permits(&self) -> Result<Vec<Permit>> {
        let rows = sqlx::query("SELECT p.body, (SELECT MAX(k.key_version) FROM permit_key_versions k WHERE k.permit_id = p.id) AS kv FROM permits p ORDER BY p.id")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.with_permit_events(permit_from_row(r)?).await?);
        }
        Ok(out)
    }

    /// Bumps the key version of each permit by one (key rotation after a suspected leak).
    pub async fn bump_key_versions(
        &self,
        permits: &[Permit],
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for p in permits {
            sqlx::query("INSERT INTO permit_key_versions (permit_id, key_version, at, reason) VALUES ($1, $2, $3, $4)")
                .bind(&p.id)
                .bind(i64::from(p.key_version) + 1)
                .bind(ts(at))
                .bind(reason)
                .execute(&mut *tx)
                .await
                .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The manifest of the latest delivery of each dataset of a permit.
    pub async fn count_permits(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM permits")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }
}
