//! The append-only, hash-chained audit log.
//!
//! Entry `n` stores `hash_n = SHA-256(lp(seq) ‖ lp(at) ‖ lp(actor) ‖ lp(action) ‖ lp(object)
//! ‖ lp(outcome) ‖ lp(detail) ‖ lp(hash_{n-1}))`, with `lp` a 4-byte length prefix and
//! `hash_0` 64 zeros. Editing any field breaks that entry's hash; deleting an entry breaks the
//! sequence and the next entry's link. (Cutting off the tail needs signed checkpoints: a
//! later step.) Entries carry ids and metadata, never row values or identifiers.

use crate::{Store, StoreError, parse_ts, ts};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub object: String,
    /// `ok` or `refused` or `failed`.
    pub outcome: String,
    /// Short text: ids, counts, the reason of a refusal. Never identifiers or row values.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Where the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("audit entry {seq}: its content does not match its hash (edited)")]
    Edited { seq: i64 },
    #[error(
        "audit entry {seq}: it does not link to the entry before it (an entry was removed or reordered)"
    )]
    Unlinked { seq: i64 },
    #[error("audit entries are missing before entry {seq} (expected number {expected})")]
    Gap { seq: i64, expected: i64 },
}

/// `fields` are seq, at, actor, action, object, outcome, detail, prev_hash, in that order.
fn entry_hash(fields: [&str; 8]) -> String {
    let mut h = Sha256::new();
    for f in fields {
        h.update((f.len() as u32).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

impl Store {
    /// Appends one entry to the chain and returns its sequence number.
    pub async fn audit(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        object: &str,
        outcome: &str,
        detail: &str,
    ) -> Result<i64, StoreError> {
        let at_text = ts(at);
        for _ in 0..10 {
            let mut tx = self.pool().begin().await?;
            let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
            let (prev_seq, prev_hash) = match last {
                Some(r) => (r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?),
                None => (0, GENESIS.to_string()),
            };
            let seq = prev_seq + 1;
            let hash = entry_hash([
                &seq.to_string(),
                &at_text,
                actor,
                action,
                object,
                outcome,
                detail,
                &prev_hash,
            ]);
            let r = sqlx::query("INSERT INTO audit_log (seq, at, actor, action, object, outcome, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(seq)
                .bind(&at_text)
                .bind(actor)
                .bind(action)
                .bind(object)
                .bind(outcome)
                .bind(detail)
                .bind(&prev_hash)
                .bind(&hash)
                .execute(&mut *tx)
                .await;
            match r {
                Ok(_) => {
                    tx.commit().await?;
                    return Ok(seq);
                }
                Err(e) if crate::is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict)
    }

    /// All entries in order (for `hdab audit show`).
    pub async fn audit_entries(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query("SELECT seq, at, actor, action, object, outcome, detail, prev_hash, hash FROM audit_log ORDER BY seq")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    seq: r.try_get("seq")?,
                    at: parse_ts(&r.try_get::<String, _>("at")?)?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    object: r.try_get("object")?,
                    outcome: r.try_get("outcome")?,
                    detail: r.try_get("detail")?,
                    prev_hash: r.try_get("prev_hash")?,
                    hash: r.try_get("hash")?,
                })
            })
            .collect()
    }

    /// Walks the chain. `Ok(n)`: `n` entries, all intact. `Err`: the first break.
    pub async fn verify_audit(&self) -> Result<Result<usize, AuditError>, StoreError> {
        let rows = sqlx::query("SELECT seq, at, actor, action, object, outcome, detail, prev_hash, hash FROM audit_log ORDER BY seq")
            .fetch_all(self.pool())
            .await?;
        let mut prev = GENESIS.to_string();
        for (expected, r) in (1i64..).zip(rows.iter()) {
            let seq: i64 = r.try_get("seq")?;
            let field = |n: &str| r.try_get::<String, _>(n);
            let computed = entry_hash([
                &seq.to_string(),
                &field("at")?,
                &field("actor")?,
                &field("action")?,
                &field("object")?,
                &field("outcome")?,
                &field("detail")?,
                &field("prev_hash")?,
            ]);
            if computed != field("hash")? {
                return Ok(Err(AuditError::Edited { seq }));
            }
            if seq != expected {
                return Ok(Err(AuditError::Gap { seq, expected }));
            }
            if field("prev_hash")? != prev {
                return Ok(Err(AuditError::Unlinked { seq }));
            }
            prev = field("hash")?;
        }
        Ok(Ok(rows.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store_with_entries(dir: &std::path::Path, n: usize) -> Store {
        let store = Store::open(&dir.join("t.db").display().to_string())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for i in 0..n {
            store
                .audit(Utc::now(), "alice", "test", &format!("obj-{i}"), "ok", "")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        store
    }

    #[tokio::test]
    async fn an_intact_log_verifies() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = store_with_entries(dir.path(), 5).await;
        assert_eq!(store.verify_audit().await.ok(), Some(Ok(5)));
    }

    #[tokio::test]
    async fn an_edited_entry_is_detected() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = store_with_entries(dir.path(), 5).await;
        sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
            .execute(store.pool())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            store.verify_audit().await.ok(),
            Some(Err(AuditError::Edited { seq: 3 }))
        );
    }

    #[tokio::test]
    async fn a_deleted_entry_is_detected() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = store_with_entries(dir.path(), 5).await;
        sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(store.pool())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            store.verify_audit().await.ok(),
            Some(Err(AuditError::Gap {
                seq: 3,
                expected: 2
            }))
        );
    }
}
