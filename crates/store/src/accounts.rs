//! Local accounts: password hashes, sessions and API tokens (only digests of secrets).

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::{Result, Store, parse_ts, ts};

/// A live session as stored.
#[derive(Debug, Clone)]
pub struct StoredSession {
    pub user_id: String,
    pub csrf: String,
    /// `password` or `oidc:<acr>`.
    pub method: String,
    /// The identity provider's ID token (to end the session there too at logout).
    pub id_token: Option<String>,
}

impl Store {
    /// Sets (or replaces) a user's password hash.
    pub async fn set_password_hash(
        &self,
        user_id: &str,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
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

    #[allow(clippy::too_many_arguments)]
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: &str,
        csrf: &str,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
        method: &str,
        id_token: Option<&str>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at, method, id_token) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id_hash)
            .bind(user_id)
            .bind(csrf)
            .bind(ts(at))
            .bind(ts(expires))
            .bind(method)
            .bind(id_token)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A session still valid at `now`.
    pub async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredSession>> {
        let Some(row) = sqlx::query(
            "SELECT user_id, csrf, expires_at, method, id_token FROM sessions WHERE id_hash = $1",
        )
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
        Ok(Some(StoredSession {
            user_id: row.try_get("user_id")?,
            csrf: row.try_get("csrf")?,
            method: row.try_get("method")?,
            id_token: row.try_get("id_token")?,
        }))
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
}

impl Store {
    /// Keeps a sign-in under way (see `oidc_sign_ins`); older ones than `stale` are dropped.
    pub async fn begin_sign_in(
        &self,
        state_hash: &str,
        pkce_verifier: &str,
        nonce: &str,
        now: DateTime<Utc>,
        stale: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("DELETE FROM oidc_sign_ins WHERE created_at < $1")
            .bind(ts(stale))
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO oidc_sign_ins (state_hash, pkce_verifier, nonce, created_at) VALUES ($1, $2, $3, $4)")
            .bind(state_hash)
            .bind(pkce_verifier)
            .bind(nonce)
            .bind(ts(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes a sign-in under way, once: its (PKCE verifier, nonce) if it began after `stale`.
    pub async fn take_sign_in(
        &self,
        state_hash: &str,
        stale: DateTime<Utc>,
    ) -> Result<Option<(String, String)>> {
        let row = sqlx::query(
            "DELETE FROM oidc_sign_ins WHERE state_hash = $1 RETURNING pkce_verifier, nonce, created_at",
        )
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let created: String = row.try_get("created_at")?;
        if parse_ts(&created)? < stale {
            return Ok(None);
        }
        Ok(Some((row.try_get("pkce_verifier")?, row.try_get("nonce")?)))
    }
}
