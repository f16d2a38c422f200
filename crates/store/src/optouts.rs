//! The opt-out registry: keyed hashes and their events, never a number in clear.

use chrono::{DateTime, Utc};
use hdab_permits::optout::OptOutFold;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use std::collections::HashSet;

use crate::{Result, Store, StoreError, corrupt, is_unique_violation, parse_ts, ts};

/// What the opt-out registry looked like at one moment, as recorded in manifests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryState {
    /// Sequence number of the last registry event taken into account.
    pub seq: i64,
    /// Number of persons opted out.
    pub n_opted_out: usize,
}

impl Store {
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
            let mut tx = self.begin_write().await?;
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

    /// Every registry change, oldest first: when, and whether it was an opt-out (counts for
    /// reports; no person is named).
    pub async fn optout_changes(&self) -> Result<Vec<(DateTime<Utc>, bool)>> {
        sqlx::query("SELECT kind, at FROM optout_events ORDER BY seq")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                Ok((parse_ts(&r.try_get::<String, _>("at")?)?, kind == "opt_out"))
            })
            .collect()
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

    /// Persons whose latest registry event after `seq` is an opt-out (those who opted out
    /// while a run built its delivery), with the sequence number read up to.
    pub async fn opted_out_since(&self, seq: i64) -> Result<(HashSet<[u8; 32]>, i64)> {
        let rows = sqlx::query(
            "SELECT seq, person_hash, kind FROM optout_events WHERE seq > $1 ORDER BY seq",
        )
        .bind(seq)
        .fetch_all(&self.pool)
        .await?;
        let mut latest = std::collections::HashMap::new();
        let mut last = seq;
        for r in rows {
            let hash_hex: String = r.try_get("person_hash")?;
            let mut hash = [0u8; 32];
            hex::decode_to_slice(&hash_hex, &mut hash).map_err(|_| corrupt("an opt-out hash"))?;
            latest.insert(hash, r.try_get::<String, _>("kind")? == "opt_out");
            last = r.try_get("seq")?;
        }
        Ok((
            latest
                .into_iter()
                .filter(|(_, out)| *out)
                .map(|(h, _)| h)
                .collect(),
            last,
        ))
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
}
