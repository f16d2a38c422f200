//! Output requests out of the SPE (their files, checks and steps), and the publications of
//! permits' results.

use chrono::{DateTime, NaiveDate, Utc};
use hdab_permits::User;
use hdab_permits::output::OutputCommand;
use serde::Serialize;
use sqlx::Row;

use crate::{
    Result, Store, StoreError, corrupt, is_unique_violation, json_body, parse_ts, text_of, ts,
};

/// One file of one version of a request: its checksum and what the checks said (as JSON;
/// the store does not read it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredOutputFile {
    pub version: i64,
    pub name: String,
    pub description: String,
    pub sha256: String,
    pub bytes: i64,
    pub checks: serde_json::Value,
}

/// One step, with its reason and what it concerned (a justification's file and finding).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredOutputEvent {
    pub command: OutputCommand,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub reason: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredOutput {
    pub id: String,
    pub permit_id: String,
    pub requester: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub events: Vec<StoredOutputEvent>,
    /// Every version's files, oldest version first.
    pub files: Vec<StoredOutputFile>,
}

impl StoredOutput {
    /// The current version (the number of submissions).
    pub fn version(&self) -> i64 {
        self.events
            .iter()
            .filter(|e| e.command == OutputCommand::Submit)
            .count() as i64
    }

    /// The current version's files.
    pub fn current_files(&self) -> impl Iterator<Item = &StoredOutputFile> {
        let v = self.version();
        self.files.iter().filter(move |f| f.version == v)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Publication {
    pub permit_id: String,
    pub reference: String,
    pub published_on: NaiveDate,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

impl Store {
    /// A new request (id `O-<year>-<n>`), its first version's files and its `submit` step.
    pub async fn create_output_request(
        &self,
        requester: &User,
        permit_id: &str,
        description: &str,
        files: &[StoredOutputFile],
        at: DateTime<Utc>,
    ) -> Result<String> {
        let body = serde_json::json!({ "permit_id": permit_id, "description": description });
        let id = self
            .insert_numbered(
                "output_requests",
                "O",
                ["requester", "body"],
                [&requester.id, &requester.organisation, &body.to_string()],
                at,
            )
            .await?;
        let submit = StoredOutputEvent {
            command: OutputCommand::Submit,
            actor: requester.id.clone(),
            at,
            reason: String::new(),
            detail: serde_json::Value::Null,
        };
        self.append_output_event(&id, 0, &submit, files).await?;
        Ok(id)
    }

    /// Appends a step after the `seen` ones (racing steps collide), with a new version's
    /// files for a resubmission.
    pub async fn append_output_event(
        &self,
        request_id: &str,
        seen: usize,
        event: &StoredOutputEvent,
        files: &[StoredOutputFile],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO output_events (request_id, seq, command, actor, at, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(request_id)
            .bind(seen as i64 + 1)
            .bind(event.command.as_str())
            .bind(&event.actor)
            .bind(ts(event.at))
            .bind(&event.reason)
            .bind(event.detail.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
        for f in files {
            sqlx::query("INSERT INTO output_files (request_id, version, name, description, sha256, bytes, checks) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(request_id)
                .bind(f.version)
                .bind(&f.name)
                .bind(&f.description)
                .bind(&f.sha256)
                .bind(f.bytes)
                .bind(f.checks.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn output_request(&self, id: &str) -> Result<StoredOutput> {
        let row = sqlx::query(
            "SELECT id, requester, body, created_at FROM output_requests WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "output request",
            id: id.to_string(),
        })?;
        self.output_of(row).await
    }

    /// Every request (of one permit, if given), newest first; a request whose first step
    /// was never written is left out.
    pub async fn output_requests(&self, permit_id: Option<&str>) -> Result<Vec<StoredOutput>> {
        let rows = sqlx::query(
            "SELECT id, requester, body, created_at FROM output_requests ORDER BY created_at DESC, id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in rows {
            let o = self.output_of(row).await?;
            if !o.events.is_empty() && permit_id.is_none_or(|p| p == o.permit_id) {
                out.push(o);
            }
        }
        Ok(out)
    }

    async fn output_of(&self, row: sqlx::any::AnyRow) -> Result<StoredOutput> {
        let id: String = row.try_get("id")?;
        let body = json_body(&row, "an output request")?;
        let text = |k: &str| text_of(&body, k);
        let mut events = Vec::new();
        for e in sqlx::query("SELECT command, actor, at, reason, detail FROM output_events WHERE request_id = $1 ORDER BY seq")
            .bind(&id)
            .fetch_all(&self.pool)
            .await?
        {
            let command: String = e.try_get("command")?;
            events.push(StoredOutputEvent {
                command: OutputCommand::parse(&command).ok_or_else(|| corrupt("an output step"))?,
                actor: e.try_get("actor")?,
                at: parse_ts(&e.try_get::<String, _>("at")?)?,
                reason: e.try_get("reason")?,
                detail: serde_json::from_str(&e.try_get::<String, _>("detail")?)
                    .map_err(|_| corrupt("an output step"))?,
            });
        }
        let mut files = Vec::new();
        for f in sqlx::query("SELECT version, name, description, sha256, bytes, checks FROM output_files WHERE request_id = $1 ORDER BY version, name")
            .bind(&id)
            .fetch_all(&self.pool)
            .await?
        {
            files.push(StoredOutputFile {
                version: f.try_get("version")?,
                name: f.try_get("name")?,
                description: f.try_get("description")?,
                sha256: f.try_get("sha256")?,
                bytes: f.try_get("bytes")?,
                checks: serde_json::from_str(&f.try_get::<String, _>("checks")?)
                    .map_err(|_| corrupt("an output file's checks"))?,
            });
        }
        Ok(StoredOutput {
            permit_id: text("permit_id"),
            description: text("description"),
            requester: row.try_get("requester")?,
            created_at: parse_ts(&row.try_get::<String, _>("created_at")?)?,
            id,
            events,
            files,
        })
    }

    pub async fn add_publication(&self, p: &Publication) -> Result<()> {
        for _ in 0..5 {
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM publications WHERE permit_id = $1")
                .bind(&p.permit_id)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
            let r = sqlx::query("INSERT INTO publications (permit_id, seq, reference, published_on, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&p.permit_id)
                .bind(n + 1)
                .bind(&p.reference)
                .bind(p.published_on.to_string())
                .bind(&p.recorded_by)
                .bind(ts(p.recorded_at))
                .execute(&self.pool)
                .await;
            match r {
                Ok(_) => return Ok(()),
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict)
    }

    /// Every recorded publication, by permit and order of recording.
    pub async fn publications(&self) -> Result<Vec<Publication>> {
        let rows = sqlx::query("SELECT permit_id, reference, published_on, recorded_by, recorded_at FROM publications ORDER BY permit_id, seq")
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Publication {
                    permit_id: r.try_get("permit_id")?,
                    reference: r.try_get("reference")?,
                    published_on: r
                        .try_get::<String, _>("published_on")?
                        .parse()
                        .map_err(|_| corrupt("a publication's date"))?,
                    recorded_by: r.try_get("recorded_by")?,
                    recorded_at: parse_ts(&r.try_get::<String, _>("recorded_at")?)?,
                })
            })
            .collect()
    }
}
