//! Persistence of hdab's metadata: users, catalogue versions, uploads, applications and
//! their events, permits, the opt-out registry, extractions, output requests, significant
//! findings, publications and the audit log.
//!
//! Owns the rule "what is committed stays, and nothing is edited in place": every table is
//! append-only except the current-content column of a draft application. One
//! implementation serves SQLite (the embedded default) and PostgreSQL (production) through
//! sqlx's `Any` driver with runtime queries and `$n` placeholders, which both accept;
//! each backend has its own migration folder.
//!
//! Never stores a personnummer in clear (the opt-out registry keeps keyed hashes) and never
//! stores key material.

mod accounts;
mod applications;
mod attachments;
mod audit;
mod catalog;
mod consultations;
mod data_requests;
mod extractions;
mod fees;
mod findings;
mod notifications;
mod optouts;
mod orders;
mod outputs;
mod registrations;
mod uploads;
mod users;

pub use audit::{
    Anchor, AuditEntry, AuditError, Checkpoint, StoredEntry, checkpoint_message, verify_chain,
    verify_chain_from,
};

pub use accounts::StoredSession;
pub use applications::{PermitEvent, StoredApplication};
pub use attachments::Attachment;
pub use catalog::DatasetVersion;
pub use data_requests::DataRequestEntry;
pub use extractions::DeliveryRecord;
pub use findings::{FindingEvent, StoredFinding};
pub use notifications::{Attempt, NewEvent, StoredNotification, Webhook};
pub use optouts::RegistryState;
pub use orders::StoredOrder;
pub use outputs::{Publication, StoredOutput, StoredOutputEvent, StoredOutputFile};
pub use uploads::Upload;
pub use users::UserProfile;

use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
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

pub(crate) type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt { what: what.into() }
}

/// A row's JSON `body` column, parsed; `what` names it if it is corrupt.
pub(crate) fn json_body(row: &sqlx::any::AnyRow, what: &str) -> Result<serde_json::Value> {
    use sqlx::Row;
    serde_json::from_str(&row.try_get::<String, _>("body")?).map_err(|_| corrupt(what))
}

/// A text field of a JSON body ("" when absent).
pub(crate) fn text_of(body: &serde_json::Value, key: &str) -> String {
    body.get(key)
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string()
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| corrupt("a timestamp"))
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
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

    /// A transaction that writes. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred one that reads first and writes later is refused outright
    /// ("database is locked") when another process writes meanwhile, where an immediate one
    /// waits its turn.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let begin = if self.postgres {
            "BEGIN"
        } else {
            "BEGIN IMMEDIATE"
        };
        Ok(self.pool.begin_with(begin).await?)
    }

    pub(crate) fn is_postgres(&self) -> bool {
        self.postgres
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}
