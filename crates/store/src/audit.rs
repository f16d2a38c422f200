//! The append-only, hash-chained audit log.
//!
//! Entry `n` stores `hash_n = SHA-256(lp(seq) ‖ lp(at) ‖ lp(actor) ‖ lp(action) ‖ lp(object)
//! ‖ lp(outcome) ‖ lp(detail) ‖ lp(hash_{n-1}) [‖ lp(via)])`, with `lp` a 4-byte length
//! prefix and `hash_0` 64 zeros; `via` (how the actor was identified) is hashed when set, so
//! entries written before it existed verify as they were, and setting or clearing it later
//! breaks the entry's hash. Editing any field breaks that entry's hash; deleting an entry breaks the
//! sequence and the next entry's link; reordering or duplicating breaks the sequence.
//! Cutting off the tail leaves a valid shorter chain: that is caught by signed checkpoints
//! ("the log had entry `seq` with hash `h`"), which are copied into every delivery manifest
//! and the public register, so a copy survives outside the database. The signatures are
//! made and checked by the caller (this crate holds no keys); [`verify_chain`] checks that the
//! log still holds every entry a verified checkpoint vouches for. Entries carry ids and
//! metadata, never row values or identifiers.

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
    /// How the actor was identified (`password`, `oidc`, `api-token`, `os-account:NAME`,
    /// `asserted`: named with `--as` on the embedded default); empty in older entries.
    pub via: String,
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
    #[error(
        "the log ends at entry {last} but a signed checkpoint vouches for entry {checkpoint}: entries were cut off"
    )]
    Truncated { checkpoint: i64, last: i64 },
    #[error(
        "audit entry {seq} is not the entry a signed checkpoint vouches for (the log was rewritten)"
    )]
    Rewritten { seq: i64 },
    #[error(
        "the checkpoint for entry {seq} (from {source_name}) has no valid signature: forged or altered"
    )]
    BadCheckpoint { seq: i64, source_name: String },
    #[error(
        "{delivery} was delivered (run {run}) but the audit log has no `extract` entry for it: the entry recording that data left was removed"
    )]
    Unaudited { delivery: String, run: String },
}

/// An audit entry exactly as stored: its text fields as bytes, in hashing order
/// (at, actor, action, object, outcome, detail, prev_hash, via), and its stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub seq: i64,
    pub fields: [Vec<u8>; 8],
    pub hash: Vec<u8>,
}

/// What a verified checkpoint vouches for: the log had entry `seq` with hash `head_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Anchor {
    pub seq: i64,
    pub head_hash: String,
}

/// A signed checkpoint as stored and published. `signature` is Ed25519 over
/// [`checkpoint_message`]; `public_key` identifies the signing key (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub head_hash: String,
    pub at: DateTime<Utc>,
    pub public_key: String,
    pub signature: String,
}

/// The bytes a checkpoint signs: a domain tag, the sequence number and the head hash.
pub fn checkpoint_message(seq: i64, head_hash: &str) -> Vec<u8> {
    let mut m = b"hdab audit checkpoint v1\0".to_vec();
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(head_hash.as_bytes());
    m
}

fn entry_hash_bytes(seq: i64, fields: &[Vec<u8>; 8]) -> String {
    let mut h = Sha256::new();
    let seq = seq.to_string();
    // `via` (the last field) takes part only when set.
    let hashed = if fields[7].is_empty() { 7 } else { 8 };
    for f in std::iter::once(seq.as_bytes()).chain(fields[..hashed].iter().map(Vec::as_slice)) {
        h.update((f.len() as u32).to_be_bytes());
        h.update(f);
    }
    hex::encode(h.finalize())
}

/// Verifies a whole log: every entry's hash, the sequence 1, 2, 3, …, every link, and that
/// every anchor (from a verified checkpoint) is still in the log. Returns the entry count.
pub fn verify_chain(entries: &[StoredEntry], anchors: &[Anchor]) -> Result<usize, AuditError> {
    verify_chain_from(0, GENESIS.as_bytes(), entries, anchors)
}

/// The same, for the entries after entry `start_seq` whose hash is `start_hash` (the whole
/// log when `start_seq` is 0). Lets a long log be checked from a trusted point.
pub fn verify_chain_from(
    start_seq: i64,
    start_hash: &[u8],
    entries: &[StoredEntry],
    anchors: &[Anchor],
) -> Result<usize, AuditError> {
    let mut prev: &[u8] = start_hash;
    let mut last = start_seq;
    for (expected, e) in (start_seq + 1..).zip(entries) {
        if entry_hash_bytes(e.seq, &e.fields).as_bytes() != e.hash.as_slice() {
            return Err(AuditError::Edited { seq: e.seq });
        }
        if e.seq != expected {
            return Err(AuditError::Gap {
                seq: e.seq,
                expected,
            });
        }
        if e.fields[6].as_slice() != prev {
            return Err(AuditError::Unlinked { seq: e.seq });
        }
        prev = &e.hash;
        last = e.seq;
    }
    for a in anchors.iter().filter(|a| a.seq > start_seq) {
        if a.seq > last {
            return Err(AuditError::Truncated {
                checkpoint: a.seq,
                last,
            });
        }
        let at = (a.seq - start_seq - 1) as usize;
        if entries
            .get(at)
            .is_none_or(|e| e.hash != a.head_hash.as_bytes())
        {
            return Err(AuditError::Rewritten { seq: a.seq });
        }
    }
    Ok(entries.len())
}

/// `fields` are seq, at, actor, action, object, outcome, detail, prev_hash, via, in that
/// order; `via` takes part only when set.
fn entry_hash(fields: [&str; 9]) -> String {
    let mut h = Sha256::new();
    let hashed = if fields[8].is_empty() { 8 } else { 9 };
    for f in &fields[..hashed] {
        h.update((f.len() as u32).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

impl Store {
    /// Appends one entry to the chain and returns its sequence number. `via` says how the
    /// actor was identified (empty: not known, as for the system's own work).
    #[allow(clippy::too_many_arguments)]
    pub async fn audit(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        via: &str,
        action: &str,
        object: &str,
        outcome: &str,
        detail: &str,
    ) -> Result<i64, StoreError> {
        let at_text = ts(at);
        for _ in 0..10 {
            // On SQLite the write lock is taken before the head is read (see `begin_write`).
            let mut tx = self.begin_write().await?;
            // Appends take turns: on PostgreSQL a transaction-scoped advisory lock, so that
            // many concurrent requests do not race for the same sequence number.
            if self.is_postgres() {
                sqlx::query("SELECT pg_advisory_xact_lock(7243001)")
                    .execute(&mut *tx)
                    .await?;
            }
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
                via,
            ]);
            let r = sqlx::query("INSERT INTO audit_log (seq, at, actor, action, object, outcome, detail, prev_hash, hash, via) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(seq)
                .bind(&at_text)
                .bind(actor)
                .bind(action)
                .bind(object)
                .bind(outcome)
                .bind(detail)
                .bind(&prev_hash)
                .bind(&hash)
                .bind(via)
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
        let rows = sqlx::query("SELECT seq, at, actor, via, action, object, outcome, detail, prev_hash, hash FROM audit_log ORDER BY seq")
            .fetch_all(self.pool())
            .await?;
        entries_of(&rows)
    }

    /// The entries about `object` whose action is `action` or starts with `action.`, in
    /// order (a permit's gateway queries, say).
    pub async fn audit_entries_about(
        &self,
        object: &str,
        action: &str,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query("SELECT seq, at, actor, via, action, object, outcome, detail, prev_hash, hash FROM audit_log WHERE object = $1 AND (action = $2 OR action LIKE $3) ORDER BY seq")
            .bind(object)
            .bind(action)
            .bind(format!("{action}.%"))
            .fetch_all(self.pool())
            .await?;
        entries_of(&rows)
    }

    /// Walks the chain. `Ok(n)`: `n` entries, all intact. `Err`: the first break.
    /// Every entry exactly as stored, for verification.
    pub async fn audit_stored_entries(&self) -> Result<Vec<StoredEntry>, StoreError> {
        let rows = sqlx::query("SELECT seq, at, actor, via, action, object, outcome, detail, prev_hash, hash FROM audit_log ORDER BY seq")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let f = |n: &str| r.try_get::<String, _>(n).map(String::into_bytes);
                Ok(StoredEntry {
                    seq: r.try_get("seq")?,
                    fields: [
                        f("at")?,
                        f("actor")?,
                        f("action")?,
                        f("object")?,
                        f("outcome")?,
                        f("detail")?,
                        f("prev_hash")?,
                        f("via")?,
                    ],
                    hash: f("hash")?,
                })
            })
            .collect()
    }

    /// Verifies the hash chain (edits, removals, reordering, duplication).
    pub async fn verify_audit(&self) -> Result<Result<usize, AuditError>, StoreError> {
        self.verify_audit_with(&[]).await
    }

    /// Verifies the hash chain and that the log still holds what each anchor vouches for
    /// (truncation). The caller verifies the anchors' signatures.
    pub async fn verify_audit_with(
        &self,
        anchors: &[Anchor],
    ) -> Result<Result<usize, AuditError>, StoreError> {
        Ok(verify_chain(&self.audit_stored_entries().await?, anchors))
    }

    /// The last entry's (seq, hash): what a checkpoint signs.
    pub async fn audit_head(&self) -> Result<(i64, String), StoreError> {
        let row = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => (r.try_get("seq")?, r.try_get("hash")?),
            None => (0, GENESIS.to_string()),
        })
    }

    pub async fn add_checkpoint(&self, c: &Checkpoint) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_checkpoints (seq, head_hash, at, public_key, signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING")
            .bind(c.seq)
            .bind(&c.head_hash)
            .bind(ts(c.at))
            .bind(&c.public_key)
            .bind(&c.signature)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Every stored checkpoint, oldest first.
    pub async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, head_hash, at, public_key, signature FROM audit_checkpoints ORDER BY seq",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Checkpoint {
                    seq: r.try_get("seq")?,
                    head_hash: r.try_get("head_hash")?,
                    at: parse_ts(&r.try_get::<String, _>("at")?)?,
                    public_key: r.try_get("public_key")?,
                    signature: r.try_get("signature")?,
                })
            })
            .collect()
    }
}

fn entries_of(rows: &[sqlx::any::AnyRow]) -> Result<Vec<AuditEntry>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                seq: r.try_get("seq")?,
                at: parse_ts(&r.try_get::<String, _>("at")?)?,
                actor: r.try_get("actor")?,
                via: r.try_get("via")?,
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn store_with_entries(dir: &std::path::Path, n: usize) -> Store {
        let store = Store::open(&dir.join("t.db").display().to_string())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for i in 0..n {
            store
                .audit(
                    Utc::now(),
                    "alice",
                    "",
                    "test",
                    &format!("obj-{i}"),
                    "ok",
                    "",
                )
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
