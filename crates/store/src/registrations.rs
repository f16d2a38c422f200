//! The diarium: a registration number per case, in one series per year.

use chrono::{DateTime, Datelike, Utc};
use sqlx::Row;

use crate::{Result, Store, StoreError, is_unique_violation, ts};

impl Store {
    /// The registration number of `object_id`, registering it now (the next number of
    /// `at`'s year, written by `format`) if it has none. Registering twice gives the same
    /// number.
    pub async fn register(
        &self,
        object_id: &str,
        kind: &str,
        at: DateTime<Utc>,
        format: &(dyn Fn(i32, i64) -> String + Sync),
    ) -> Result<String> {
        for _ in 0..10 {
            if let Some(number) = self.registration(object_id).await? {
                return Ok(number);
            }
            let mut tx = self.begin_write().await?;
            let year = at.year();
            let next: i64 = sqlx::query(
                "SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM registrations WHERE year = $1",
            )
            .bind(i64::from(year))
            .fetch_one(&mut *tx)
            .await?
            .try_get("next")?;
            let number = format(year, next);
            let r = sqlx::query("INSERT INTO registrations (object_id, kind, year, seq, number, registered_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(object_id)
                .bind(kind)
                .bind(i64::from(year))
                .bind(next)
                .bind(&number)
                .bind(ts(at))
                .execute(&mut *tx)
                .await;
            match r {
                Ok(_) => {
                    tx.commit().await?;
                    return Ok(number);
                }
                // Another process took the number (or registered the object): look again.
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict)
    }

    /// The registration number of `object_id`, if it has one.
    pub async fn registration(&self, object_id: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query("SELECT number FROM registrations WHERE object_id = $1")
                .bind(object_id)
                .fetch_optional(self.pool())
                .await?
                .map(|r| r.try_get("number"))
                .transpose()?,
        )
    }

    /// Every registration number, by object id (for lists).
    pub async fn registrations(&self) -> Result<std::collections::HashMap<String, String>> {
        let rows = sqlx::query("SELECT object_id, number FROM registrations")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("object_id")?, r.try_get("number")?)))
            .collect()
    }
}
