//! The outbox of notices: events, one notification per recipient and webhook, every attempt.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::{Result, Store, StoreError, is_unique_violation, parse_ts, ts};

/// An event to tell people about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewEvent {
    pub id: String,
    pub kind: String,
    pub object_id: String,
    /// Raise at most once per key (time-based notices); `None`: always.
    pub dedupe: Option<String>,
    pub at: DateTime<Utc>,
    /// JSON: ids, numbers and states, never row values or identifiers.
    pub payload: String,
}

/// One notification as stored, with its event.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredNotification {
    pub id: String,
    pub event_id: String,
    pub event_seq: i64,
    pub kind: String,
    pub object_id: String,
    pub event_at: DateTime<Utc>,
    pub payload: String,
    /// `email` or `webhook`.
    pub channel: String,
    /// A user id (e-mail) or a webhook id.
    pub target: String,
    /// `pending`, `sent`, `skipped` or `failed` (gave up).
    pub status: String,
    pub attempts: i64,
    pub next_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

/// One try to send a notification.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Attempt {
    pub notification_id: String,
    pub n: i64,
    pub at: DateTime<Utc>,
    /// `sent` or `failed`.
    pub outcome: String,
    pub detail: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

const SELECT: &str = "SELECT n.id, n.event_id, e.seq, e.kind, e.object_id, e.at, e.payload, n.channel, n.target, n.status, n.attempts, n.next_at, n.last_error FROM notifications n JOIN events e ON e.id = n.event_id";

fn notification(r: &sqlx::any::AnyRow) -> Result<StoredNotification> {
    Ok(StoredNotification {
        id: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        event_seq: r.try_get("seq")?,
        kind: r.try_get("kind")?,
        object_id: r.try_get("object_id")?,
        event_at: parse_ts(&r.try_get::<String, _>("at")?)?,
        payload: r.try_get("payload")?,
        channel: r.try_get("channel")?,
        target: r.try_get("target")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        next_at: parse_ts(&r.try_get::<String, _>("next_at")?)?,
        last_error: r.try_get("last_error")?,
    })
}

impl Store {
    /// Raises an event with its notifications (`(channel, target, status)`), at once; `false`
    /// when an event with the same dedupe key was raised before (nothing is written).
    pub async fn raise_event(
        &self,
        event: &NewEvent,
        notifications: &[(String, String, String, String)],
    ) -> Result<bool> {
        for _ in 0..10 {
            let mut tx = self.begin_write().await?;
            let seq: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM events")
                .fetch_one(&mut *tx)
                .await?
                .try_get("next")?;
            let inserted = sqlx::query("INSERT INTO events (id, seq, kind, object_id, dedupe, at, payload) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&event.id)
                .bind(seq)
                .bind(&event.kind)
                .bind(&event.object_id)
                .bind(&event.dedupe)
                .bind(ts(event.at))
                .bind(&event.payload)
                .execute(&mut *tx)
                .await;
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    drop(tx);
                    // Raised before (same dedupe key), or another process took the number.
                    if let Some(key) = &event.dedupe {
                        let seen = sqlx::query("SELECT id FROM events WHERE dedupe = $1")
                            .bind(key)
                            .fetch_optional(self.pool())
                            .await?;
                        if seen.is_some() {
                            return Ok(false);
                        }
                    }
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            for (id, channel, target, status) in notifications {
                sqlx::query("INSERT INTO notifications (id, event_id, channel, target, status, attempts, next_at) VALUES ($1, $2, $3, $4, $5, 0, $6)")
                    .bind(id)
                    .bind(&event.id)
                    .bind(channel)
                    .bind(target)
                    .bind(status)
                    .bind(ts(event.at))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            return Ok(true);
        }
        Err(StoreError::Conflict)
    }

    /// Notifications still to send, oldest event first.
    pub async fn pending_notifications(&self) -> Result<Vec<StoredNotification>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE n.status = 'pending' ORDER BY e.seq, n.channel, n.target"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(notification).collect()
    }

    /// Every notification, newest first (an administrator's view), at most `limit`.
    pub async fn notifications(&self, limit: i64) -> Result<Vec<StoredNotification>> {
        let rows = sqlx::query(&format!(
            "{SELECT} ORDER BY e.seq DESC, n.channel, n.target LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(notification).collect()
    }

    /// Records an attempt and the notification's new state.
    pub async fn record_attempt(
        &self,
        id: &str,
        at: DateTime<Utc>,
        outcome: &str,
        detail: &str,
        status: &str,
        next_at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n: i64 = sqlx::query("SELECT attempts FROM notifications WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("attempts")?;
        sqlx::query("INSERT INTO notification_attempts (notification_id, n, at, outcome, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(n + 1)
            .bind(ts(at))
            .bind(outcome)
            .bind(detail)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE notifications SET attempts = $1, status = $2, next_at = $3, last_error = $4 WHERE id = $5")
            .bind(n + 1)
            .bind(status)
            .bind(ts(next_at))
            .bind((outcome != "sent").then_some(detail))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every attempt of a notification, in order.
    pub async fn attempts(&self, notification_id: &str) -> Result<Vec<Attempt>> {
        let rows = sqlx::query("SELECT notification_id, n, at, outcome, detail FROM notification_attempts WHERE notification_id = $1 ORDER BY n")
            .bind(notification_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Attempt {
                    notification_id: r.try_get("notification_id")?,
                    n: r.try_get("n")?,
                    at: parse_ts(&r.try_get::<String, _>("at")?)?,
                    outcome: r.try_get("outcome")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    pub async fn add_webhook(
        &self,
        id: &str,
        url: &str,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhooks (id, url, created_at, created_by) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(url)
        .bind(ts(at))
        .bind(by)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn remove_webhook(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        let r =
            sqlx::query("UPDATE webhooks SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL")
                .bind(ts(at))
                .bind(id)
                .execute(self.pool())
                .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "webhook",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    /// The webhooks in use.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>> {
        let rows = sqlx::query("SELECT id, url, created_at, created_by FROM webhooks WHERE removed_at IS NULL ORDER BY created_at, id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Webhook {
                    id: r.try_get("id")?,
                    url: r.try_get("url")?,
                    created_at: parse_ts(&r.try_get::<String, _>("created_at")?)?,
                    created_by: r.try_get("created_by")?,
                })
            })
            .collect()
    }

    /// A webhook by id, removed or not (to send what was raised before its removal? no:
    /// removed hooks get nothing more).
    pub async fn webhook(&self, id: &str) -> Result<Option<Webhook>> {
        Ok(self.webhooks().await?.into_iter().find(|w| w.id == id))
    }
}
