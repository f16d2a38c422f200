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
