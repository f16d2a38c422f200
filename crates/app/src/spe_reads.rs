//! Reading a permit's delivered data through the SPE gateway (issue 22): who the caller is,
//! which permit's workspace a query reads, and the log of every query.
//!
//! A query is two audit entries about its permit — `spe.query` when it starts (who, the SQL
//! text) and `spe.query.end` when its last row has left (rows, bytes, time, or the error) —
//! so the log is part of the hash chain, verifies with `hdab audit verify`, and is kept as
//! long as the audit log is (never pruned: at least the year EHDS Art. 73 asks). A query
//! whose start cannot be written is not run; a refused one is logged too.

use chrono::{DateTime, NaiveDate, Utc};
use hdab_permits::User;
use hdab_permits::workspace;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

use crate::{App, AppError};

/// The longest SQL text the gateway takes (and logs).
pub const MAX_SQL_BYTES: usize = 64 * 1024;

/// What a query may read: one permit's delivered tables.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub permit_id: String,
    /// `(table name, folder of its Parquet files)`, only the tables delivered so far.
    pub tables: Vec<(String, PathBuf)>,
}

/// How a query ended, as the gateway measured it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryEnd {
    pub rows: u64,
    /// Arrow IPC bytes sent.
    pub bytes: u64,
    pub millis: u64,
    /// Why it stopped early, if it did (a failed plan, the caller went away).
    pub error: Option<String>,
}

/// One query in a permit's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryRecord {
    pub query_id: String,
    pub at: DateTime<Utc>,
    pub user: String,
    /// The SQL text as run (a personal identity number in it is never stored: such a query
    /// is refused and its text replaced).
    pub sql: String,
    /// `running`, `done`, `failed` or `refused`.
    pub status: String,
    pub rows: Option<u64>,
    pub bytes: Option<u64>,
    pub millis: Option<u64>,
    pub reason: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
struct Detail {
    query: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sql: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

const STARTED: &str = "spe.query";
const ENDED: &str = "spe.query.end";

impl App {
    /// Checks a password for the gateway's handshake; returns the user and a session secret
    /// the client sends back as its bearer token.
    pub async fn gateway_sign_in(
        &self,
        user_id: &str,
        password: &str,
    ) -> Result<(User, String), AppError> {
        let session = self.login(user_id, password).await?;
        Ok((self.user(user_id).await?, session.secret))
    }

    /// The user behind a bearer token — a session from [`App::gateway_sign_in`] (or the
    /// web) or an API token — and how they were identified.
    pub async fn gateway_caller(
        &self,
        bearer: &str,
    ) -> Result<(User, crate::identity::Via), AppError> {
        if let Some(s) = self.session_user(bearer).await? {
            return Ok((s.user, s.via));
        }
        match self.token_user(bearer).await? {
            Some(user) => Ok((user, crate::identity::Via::ApiToken)),
            None => Err(AppError::Refused(
                "the token is unknown or has expired: sign in again with your hdab user id and password"
                    .into(),
            )),
        }
    }

    /// The workspace `actor` reads today: `permit` if named, else the one valid permit that
    /// names them. A refusal is logged against the permit.
    pub async fn gateway_workspace(
        &self,
        actor: &User,
        permit: Option<&str>,
        today: NaiveDate,
    ) -> Result<Workspace, AppError> {
        let chosen = self.choose_permit(actor, permit, today).await;
        let result = chosen.map(|p| {
            let spe = self.settings.spe();
            let tables = p
                .spec
                .delivered_tables()
                .into_iter()
                .filter(|t| spe.manifest(&p.id, t).is_some())
                .map(|t| (t.to_string(), spe.delivery(&p.id, t)))
                .collect();
            Workspace {
                permit_id: p.id.clone(),
                tables,
            }
        });
        match result {
            Ok(w) => Ok(w),
            Err(e) => {
                self.audited(&actor.id, STARTED, permit.unwrap_or(""), Err(e))
                    .await
            }
        }
    }

    async fn choose_permit(
        &self,
        actor: &User,
        permit: Option<&str>,
        today: NaiveDate,
    ) -> Result<hdab_permits::Permit, AppError> {
        if let Some(id) = permit {
            let p = match self.store.permit(id).await {
                Ok(p) => p,
                // Which permits exist is not told to someone outside them.
                Err(hdab_store::StoreError::NotFound { .. }) => {
                    return Err(AppError::Refused(format!(
                        "user '{}' is not named in permit {id}",
                        actor.id
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            workspace::require_data_reader(actor, &p, today)?;
            return Ok(p);
        }
        let all = self.store.permits().await?;
        let mut readable: Vec<_> = workspace::readable(actor, &all, today)
            .into_iter()
            .cloned()
            .collect();
        match readable.len() {
            1 => Ok(readable.remove(0)),
            0 => Err(AppError::Refused(format!(
                "user '{}' is named in no valid permit: there is no data to read",
                actor.id
            ))),
            _ => Err(AppError::Invalid(format!(
                "user '{}' is named in several valid permits ({}): say which with the header x-hdab-permit",
                actor.id,
                readable
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Logs the start of a query and returns its id; an error means the query must not run.
    /// A query longer than [`MAX_SQL_BYTES`] or holding a personal identity number is
    /// refused (the SPE's data holds none; the number is not written to the log).
    pub async fn gateway_query_started(
        &self,
        actor: &User,
        permit_id: &str,
        sql: &str,
    ) -> Result<String, AppError> {
        let query = uuid::Uuid::new_v4().to_string();
        let refusal = if sql.len() > MAX_SQL_BYTES {
            Some(format!(
                "the SQL text is {} bytes; the gateway takes at most {MAX_SQL_BYTES}",
                sql.len()
            ))
        } else if hdab_pseudonymise::contains_person_id(sql) {
            Some(
                "the SQL text holds a personal identity number; the SPE's data holds none and \
                 the number is not logged: query by pseudonym"
                    .to_string(),
            )
        } else {
            None
        };
        let detail = Detail {
            query: query.clone(),
            sql: Some(if refusal.is_some() {
                "[withheld]".into()
            } else {
                sql.to_string()
            }),
            ..Detail::default()
        };
        let text = serde_json::to_string(&detail).map_err(|e| AppError::Invalid(e.to_string()))?;
        let outcome = if refusal.is_some() { "refused" } else { "ok" };
        self.store
            .audit(
                Utc::now(),
                &actor.id,
                &crate::identity::current(),
                STARTED,
                permit_id,
                outcome,
                &text,
            )
            .await?;
        match refusal {
            Some(r) => Err(AppError::Refused(r)),
            None => Ok(query),
        }
    }

    /// Logs how a query ended.
    pub async fn gateway_query_ended(
        &self,
        actor: &str,
        permit_id: &str,
        query_id: &str,
        end: &QueryEnd,
    ) -> Result<(), AppError> {
        let detail = Detail {
            query: query_id.to_string(),
            rows: Some(end.rows),
            bytes: Some(end.bytes),
            ms: Some(end.millis),
            error: end.error.as_ref().map(|e| shorten(e)),
            ..Detail::default()
        };
        let text = serde_json::to_string(&detail).map_err(|e| AppError::Invalid(e.to_string()))?;
        let outcome = if end.error.is_some() { "failed" } else { "ok" };
        self.store
            .audit(
                Utc::now(),
                actor,
                &crate::identity::current(),
                ENDED,
                permit_id,
                outcome,
                &text,
            )
            .await?;
        Ok(())
    }

    /// Every query of a permit's data, oldest first, for its people and case staff. Reading
    /// the log is itself logged.
    pub async fn gateway_log(
        &self,
        actor: &str,
        permit_id: &str,
    ) -> Result<Vec<QueryRecord>, AppError> {
        let result = async {
            let permit = self.store.permit(permit_id).await?;
            workspace::require_log_reader(&self.user(actor).await?, &permit)?;
            let entries = self.store.audit_entries_about(permit_id, STARTED).await?;
            let records = records_of(&entries);
            let detail = format!("{} queries", records.len());
            Ok((records, detail))
        }
        .await;
        self.audited(actor, "spe.log", permit_id, result).await
    }
}

/// Folds the start and end entries into one record per query (refusals before a query had
/// an id are records of their own).
fn records_of(entries: &[hdab_store::AuditEntry]) -> Vec<QueryRecord> {
    let mut records: Vec<QueryRecord> = Vec::new();
    for e in entries {
        let detail: Option<Detail> = serde_json::from_str(&e.detail).ok();
        match (e.action.as_str(), detail) {
            (STARTED, Some(d)) => records.push(QueryRecord {
                query_id: d.query,
                at: e.at,
                user: e.actor.clone(),
                sql: d.sql.unwrap_or_default(),
                status: if e.outcome == "ok" {
                    "running"
                } else {
                    "refused"
                }
                .into(),
                rows: None,
                bytes: None,
                millis: None,
                reason: None,
            }),
            (STARTED, None) => records.push(QueryRecord {
                query_id: String::new(),
                at: e.at,
                user: e.actor.clone(),
                sql: String::new(),
                status: "refused".into(),
                rows: None,
                bytes: None,
                millis: None,
                reason: Some(e.detail.clone()),
            }),
            (ENDED, Some(d)) => {
                if let Some(r) = records.iter_mut().rev().find(|r| r.query_id == d.query) {
                    r.status = if e.outcome == "ok" { "done" } else { "failed" }.into();
                    r.rows = d.rows;
                    r.bytes = d.bytes;
                    r.millis = d.ms;
                    r.reason = d.error;
                }
            }
            _ => {}
        }
    }
    records
}

/// An engine's error for the log: its first line, at most 300 characters, and nothing that
/// reads as a personal identity number.
fn shorten(e: &str) -> String {
    let line: String = e
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    if hdab_pseudonymise::contains_person_id(&line) {
        "the error text held what reads as a personal identity number: withheld".into()
    } else {
        line
    }
}
