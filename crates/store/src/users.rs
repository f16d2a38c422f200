//! Users and their roles.

use chrono::{DateTime, Utc};
use hdab_permits::{Role, User};
use sqlx::Row;

use crate::{Result, Store, StoreError, corrupt, is_unique_violation, ts};

impl Store {
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
}

/// What hdab knows of a user beyond their roles: how they are identified outside a
/// password (their operating-system account, their identity provider's subject) and how
/// they are told things (e-mail, language, whether by e-mail at all).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct UserProfile {
    pub os_user: Option<String>,
    pub idp_subject: Option<String>,
    pub email: Option<String>,
    /// `sv` or `en`.
    pub language: String,
    /// `email` or `none`.
    pub notify: String,
}

impl Store {
    pub async fn user_profile(&self, id: &str) -> Result<UserProfile> {
        let row = sqlx::query(
            "SELECT os_user, idp_subject, email, language, notify FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "user",
            id: id.to_string(),
        })?;
        Ok(UserProfile {
            os_user: row.try_get("os_user")?,
            idp_subject: row.try_get("idp_subject")?,
            email: row.try_get("email")?,
            language: row.try_get("language")?,
            notify: row.try_get("notify")?,
        })
    }

    /// Replaces a user's profile; an operating-system account or subject another user has
    /// is refused.
    pub async fn set_user_profile(&self, id: &str, p: &UserProfile) -> Result<()> {
        let r = sqlx::query("UPDATE users SET os_user = $1, idp_subject = $2, email = $3, language = $4, notify = $5 WHERE id = $6")
            .bind(&p.os_user)
            .bind(&p.idp_subject)
            .bind(&p.email)
            .bind(&p.language)
            .bind(&p.notify)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Exists(
                        "that operating-system account or identity-provider subject (another user has it)"
                            .into(),
                    )
                } else {
                    e.into()
                }
            })?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    /// The user an operating-system account is mapped to.
    pub async fn user_of_os_account(&self, os_user: &str) -> Result<Option<String>> {
        Ok(sqlx::query("SELECT id FROM users WHERE os_user = $1")
            .bind(os_user)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()?)
    }

    /// The user an identity provider's subject (or configured claim) is mapped to.
    pub async fn user_of_subject(&self, subject: &str) -> Result<Option<String>> {
        Ok(sqlx::query("SELECT id FROM users WHERE idp_subject = $1")
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()?)
    }
}
