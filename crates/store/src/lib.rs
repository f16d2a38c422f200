//! Persistence of hdab's metadata: users, catalogue versions, uploads, applications and
//! their events, permits, the opt-out registry, extractions and the audit log.
//!
//! Owns the rule "what is committed stays, and nothing is edited in place": every table is
//! append-only except the current-content column of a draft application. One
//! implementation serves SQLite (the embedded default) and PostgreSQL (production) through
//! sqlx's `Any` driver with runtime queries and `$n` placeholders, which both accept;
//! each backend has its own migration folder.
//!
//! Never stores a personnummer in clear (the opt-out registry keeps keyed hashes) and never
//! stores key material.

mod audit;

pub use audit::{
    Anchor, AuditEntry, AuditError, Checkpoint, StoredEntry, checkpoint_message, verify_chain,
    verify_chain_from,
};

use chrono::{DateTime, NaiveDate, Utc};
use hdab_catalog::DatasetDescription;
use hdab_permits::optout::OptOutFold;
use hdab_permits::{ApplicationContent, CaseCommand, CaseEvent, Permit, Role, User};
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt ({what}); restore from backup and run `hdab audit verify`")]
    Corrupt { what: String },
    #[error("{what} '{id}' does not exist")]
    NotFound { what: &'static str, id: String },
    #[error("{0} already exists")]
    Exists(String),
    #[error("someone else changed this case at the same moment; reload it and try again")]
    Conflict,
}

type Result<T, E = StoreError> = std::result::Result<T, E>;

fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt { what: what.into() }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| corrupt("a timestamp"))
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

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

/// An application with its events; the state is derived from the events.
#[derive(Debug, Clone)]
pub struct StoredApplication {
    pub id: String,
    pub applicant: String,
    pub content: ApplicationContent,
    pub created_at: DateTime<Utc>,
    pub events: Vec<CaseEvent>,
}

/// What the opt-out registry looked like at one moment, as recorded in manifests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryState {
    /// Sequence number of the last registry event taken into account.
    pub seq: i64,
    /// Number of persons opted out.
    pub n_opted_out: usize,
}

/// The handle to hdab's metadata store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// PostgreSQL rather than SQLite (SQLite's single connection already serialises writers).
    postgres: bool,
}

impl Store {
    /// Opens (creating and migrating as needed) the store at `url`: `sqlite://path` or
    /// `postgres://…`. A bare path means a SQLite file.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (url, sqlite) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (url.to_string(), false)
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if let Some(dir) = Path::new(path).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Open(format!("{}: {e}", dir.display())))?;
            }
            (format!("sqlite://{path}?mode=rwc"), true)
        };
        let pool = AnyPoolOptions::new()
            // SQLite serialises writers anyway; one connection avoids lock contention.
            .max_connections(if sqlite { 1 } else { 8 })
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(true)
            .connect(&url)
            .await
            .map_err(|e| StoreError::Open(e.to_string()))?;
        if sqlite {
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        } else {
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        }
        Ok(Store {
            pool,
            postgres: !sqlite,
        })
    }

    // ---- users -------------------------------------------------------------------------

    pub async fn add_user(&self, user: &User, at: DateTime<Utc>) -> Result<()> {
        let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
        sqlx::query("INSERT INTO users (id, name, organisation, roles, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&user.id)
            .bind(&user.name)
            .bind(&user.organisation)
            .bind(roles.join(","))
            .bind(ts(at))
            .execute(&self.pool)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Exists(format!("user '{}'", user.id))
                } else {
                    e.into()
                }
            })?;
        Ok(())
    }

    pub async fn user(&self, id: &str) -> Result<User> {
        let row = sqlx::query("SELECT id, name, organisation, roles FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "user",
                id: id.to_string(),
            })?;
        let roles: String = row.try_get("roles")?;
        Ok(User {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            organisation: row.try_get("organisation")?,
            roles: roles
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|r| Role::parse(r).ok_or_else(|| corrupt(format!("role '{r}'"))))
                .collect::<Result<_>>()?,
        })
    }

    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// Every user, by id.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT id FROM users ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let mut users = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("id")?;
            users.push(self.user(&id).await?);
        }
        Ok(users)
    }

    // ---- accounts, sessions, tokens ----------------------------------------------------

    /// Sets (or replaces) a user's password hash.
    pub async fn set_password_hash(
        &self,
        user_id: &str,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM credentials WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO credentials (user_id, password_hash, updated_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(hash)
        .bind(ts(at))
        .execute(&mut *tx)
        .await?;
        // A new password ends every session opened with the old one.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn password_hash(&self, user_id: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query("SELECT password_hash FROM credentials WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| r.try_get("password_hash"))
                .transpose()?,
        )
    }

    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: &str,
        csrf: &str,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id_hash)
            .bind(user_id)
            .bind(csrf)
            .bind(ts(at))
            .bind(ts(expires))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The (user id, CSRF token) of a session still valid at `now`.
    pub async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String)>> {
        let Some(row) =
            sqlx::query("SELECT user_id, csrf, expires_at FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let expires: String = row.try_get("expires_at")?;
        if parse_ts(&expires)? <= now {
            return Ok(None);
        }
        Ok(Some((row.try_get("user_id")?, row.try_get("csrf")?)))
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn add_api_token(
        &self,
        token_hash: &str,
        user_id: &str,
        label: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO api_tokens (token_hash, user_id, label, created_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(label)
            .bind(ts(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user of a token that has not been revoked.
    pub async fn api_token_user(&self, token_hash: &str) -> Result<Option<String>> {
        Ok(sqlx::query(
            "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.try_get("user_id"))
        .transpose()?)
    }

    // ---- catalogue -----------------------------------------------------------------------

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
        let mut tx = self.pool.begin().await?;
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

    // ---- uploads -------------------------------------------------------------------------

    pub async fn add_upload(&self, u: &Upload) -> Result<()> {
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
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The newest accepted upload of a dataset.
    pub async fn latest_upload(&self, dataset_id: &str) -> Result<Option<Upload>> {
        sqlx::query("SELECT * FROM uploads WHERE dataset_id = $1 ORDER BY uploaded_at DESC, id DESC LIMIT 1")
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

    // ---- applications --------------------------------------------------------------------

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
    async fn insert_numbered(
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
        permit: Option<&Permit>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
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
        if let Some(p) = permit {
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
    async fn with_permit_events(&self, mut permit: Permit) -> Result<Permit> {
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
        let mut tx = self.pool.begin().await?;
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
    pub async fn latest_deliveries(&self, permit_id: &str) -> Result<Vec<serde_json::Value>> {
        let rows = sqlx::query("SELECT e.manifest FROM extractions e WHERE e.permit_id = $1 AND e.finished_at = (SELECT MAX(f.finished_at) FROM extractions f WHERE f.permit_id = e.permit_id AND f.dataset_id = e.dataset_id) ORDER BY e.dataset_id")
            .bind(permit_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get("manifest")?;
                serde_json::from_str(&text).map_err(|_| corrupt("a stored manifest"))
            })
            .collect()
    }

    pub async fn count_permits(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM permits")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    // ---- data requests -------------------------------------------------------------------

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

    // ---- opt-out registry ----------------------------------------------------------------

    /// Records that the person with this registry hash opted out (`true`) or back in.
    /// Returns `false` when it changes nothing (already in that state).
    pub async fn record_optout(
        &self,
        person_hash: &[u8; 32],
        opt_out: bool,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let hash = hex::encode(person_hash);
        let kind = if opt_out { "opt_out" } else { "opt_in" };
        for _ in 0..5 {
            let mut tx = self.pool.begin().await?;
            let last: Option<String> = sqlx::query(
                "SELECT kind FROM optout_events WHERE person_hash = $1 ORDER BY seq DESC LIMIT 1",
            )
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("kind"))
            .transpose()?;
            let currently_out = last.as_deref() == Some("opt_out");
            if currently_out == opt_out {
                return Ok(false);
            }
            let seq: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM optout_events")
                .fetch_one(&mut *tx)
                .await?
                .try_get("s")?;
            let r = sqlx::query(
                "INSERT INTO optout_events (seq, person_hash, kind, at) VALUES ($1, $2, $3, $4)",
            )
            .bind(seq)
            .bind(&hash)
            .bind(kind)
            .bind(ts(at))
            .execute(&mut *tx)
            .await;
            match r {
                Ok(_) => {
                    tx.commit().await?;
                    return Ok(true);
                }
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict)
    }

    /// Whether the person with this hash is opted out now.
    pub async fn is_opted_out(&self, person_hash: &[u8; 32]) -> Result<bool> {
        let last: Option<String> = sqlx::query(
            "SELECT kind FROM optout_events WHERE person_hash = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(hex::encode(person_hash))
        .fetch_optional(&self.pool)
        .await?
        .map(|r: AnyRow| r.try_get("kind"))
        .transpose()?;
        Ok(last.as_deref() == Some("opt_out"))
    }

    /// Feeds every opt-out registry event, in order, into `fold` (the rule of who is left
    /// out lives in `hdab_permits::optout`) and returns the registry state it reflects.
    pub async fn fold_optouts(&self, fold: &mut OptOutFold) -> Result<RegistryState> {
        // Streamed, one small entry per person: the registry grows with the population
        // (a national registry may hold hundreds of thousands of people), not with the data.
        use futures::TryStreamExt;
        let mut rows =
            sqlx::query("SELECT seq, person_hash, kind, at FROM optout_events ORDER BY seq")
                .fetch(&self.pool);
        let mut seq = 0i64;
        while let Some(r) = rows.try_next().await? {
            let hash_hex: String = r.try_get("person_hash")?;
            let mut hash = [0u8; 32];
            hex::decode_to_slice(&hash_hex, &mut hash).map_err(|_| corrupt("an opt-out hash"))?;
            let out = r.try_get::<String, _>("kind")? == "opt_out";
            let at = parse_ts(&r.try_get::<String, _>("at")?)?;
            seq = r.try_get("seq")?;
            fold.apply(hash, out, at);
        }
        Ok(RegistryState {
            seq,
            n_opted_out: fold.n_opted_out_now(),
        })
    }

    /// The registry's current sequence number (to detect opt-outs during a run).
    pub async fn optout_seq(&self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT COALESCE(MAX(seq), 0) AS s FROM optout_events")
                .fetch_one(&self.pool)
                .await?
                .try_get("s")?,
        )
    }

    // ---- extractions ---------------------------------------------------------------------

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

    pub(crate) fn is_postgres(&self) -> bool {
        self.postgres
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

fn permit_from_row(row: &AnyRow) -> Result<Permit> {
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

fn dataset_version_from_row(r: &AnyRow) -> Result<DatasetVersion> {
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

fn upload_of_row(r: &sqlx::any::AnyRow) -> Result<Upload> {
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

fn case_event_of_row(r: &sqlx::any::AnyRow) -> Result<CaseEvent> {
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
