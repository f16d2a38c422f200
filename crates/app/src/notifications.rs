//! The outbox of notices: who is told what, when it is sent, and every attempt.
//!
//! A use case that changes something people wait for raises an event once it has succeeded
//! (`raise`); time-based notices (the förvaltningslagen delay notice, a deadline nearing, a
//! description's yearly confirmation due or overdue) are raised by a sweep, each at most once
//! (`raise_due_notices`). Each event becomes an e-mail to every recipient who wants one, in
//! their language, and a signed POST to every webhook; `send_notifications` sends what is
//! due: in the order raised per object and recipient, a failure tried again with back-off
//! (one minute, doubling, at most an hour apart) for up to 12 hours.

use crate::{App, AppError};
use chrono::{DateTime, Duration, Months, Utc};
use hdab_notify::{Notice, NoticeKind};
use hdab_permits::access;
use hdab_permits::{AppState, Role, state_of};
use hdab_store::{NewEvent, StoredNotification};
use std::collections::HashSet;

/// How notices are sent and when the time-based ones fall due.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// `smtp://host:port` and the like (see `hdab_notify::Mailer::new`); `None`: no e-mail
    /// can be sent (each stays pending, then fails after 12 hours, visibly).
    pub smtp_url: Option<String>,
    pub from: String,
    /// hdab's address as people reach it, for links in notices.
    pub public_url: Option<String>,
    /// The share of a case's decision period after which the applicant is told the decision
    /// is delayed (förvaltningslagen § 11).
    pub delay_notice_share: f64,
    /// Days before a decision is due that its officer is reminded.
    pub deadline_warning_days: i64,
    /// Days before a description's yearly confirmation is due that its holder is reminded.
    pub confirmation_warning_days: i64,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            smtp_url: None,
            from: "hdab <noreply@hdab.invalid>".into(),
            public_url: None,
            delay_notice_share: 0.75,
            deadline_warning_days: 14,
            confirmation_warning_days: 30,
        }
    }
}

/// How long a notice is tried.
const GIVE_UP_AFTER_HOURS: i64 = 12;

/// The wait before the next try after `failures` failed ones: 1, 2, 4 … minutes, at most
/// an hour.
fn back_off(failures: i64) -> Duration {
    Duration::minutes(1i64 << (failures - 1).clamp(0, 6)).min(Duration::hours(1))
}

/// What one sending pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SendReport {
    pub sent: usize,
    pub failed_attempts: usize,
    pub gave_up: usize,
    pub waiting: usize,
}

/// A notification and its attempts, for an administrator.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NotificationView {
    pub notification: StoredNotification,
    pub attempts: Vec<hdab_store::Attempt>,
}

/// An event to raise: what happened to which object, who is told.
#[derive(Debug, Clone)]
pub(crate) struct Tell<'a> {
    pub kind: NoticeKind,
    pub object: &'a str,
    pub title: &'a str,
    pub detail: &'a str,
    /// User ids; each who wants e-mail gets one.
    pub recipients: &'a [String],
    /// Raise at most once per key (time-based notices).
    pub dedupe: Option<String>,
    pub at: DateTime<Utc>,
}

impl App {
    /// Raises an event for its recipients and every webhook. A failure is logged, never
    /// passed on: the change it reports has been made.
    pub(crate) async fn raise(&self, tell: Tell<'_>) {
        if let Err(e) = self.raise_event(&tell).await {
            tracing::error!(error = %e, kind = tell.kind.as_str(), object = tell.object, "raising a notice failed");
        }
    }

    async fn raise_event(&self, tell: &Tell<'_>) -> Result<bool, AppError> {
        let Tell {
            kind,
            object,
            title,
            detail,
            recipients,
            ref dedupe,
            at,
        } = *tell;
        let id = uuid::Uuid::new_v4().to_string();
        let path = match kind {
            NoticeKind::ConfirmationDue | NoticeKind::ConfirmationOverdue => {
                format!("/holder/datasets/{object}")
            }
            NoticeKind::OutputReleased => format!("/outputs/{object}"),
            NoticeKind::OrderPlaced | NoticeKind::OrderOverdue => format!("/orders/{object}"),
            _ => format!("/applications/{object}"),
        };
        let notice = Notice {
            id: id.clone(),
            kind,
            at: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            object: object.to_string(),
            registration: self.store.registration(object).await?,
            title: title.to_string(),
            detail: detail.to_string(),
            link: self
                .settings
                .notify
                .public_url
                .as_ref()
                .map(|u| format!("{}{path}", u.trim_end_matches('/')))
                .unwrap_or_default(),
        };
        let mut rows = Vec::new();
        let mut seen = HashSet::new();
        for user in recipients.iter().filter(|u| seen.insert(u.as_str())) {
            let profile = self.store.user_profile(user).await?;
            let wants = profile.notify == "email" && profile.email.is_some();
            rows.push((
                uuid::Uuid::new_v4().to_string(),
                "email".to_string(),
                user.clone(),
                if wants { "pending" } else { "skipped" }.to_string(),
            ));
        }
        for hook in self.store.webhooks().await? {
            rows.push((
                uuid::Uuid::new_v4().to_string(),
                "webhook".to_string(),
                hook.id,
                "pending".to_string(),
            ));
        }
        let event = NewEvent {
            id,
            kind: kind.as_str().to_string(),
            object_id: object.to_string(),
            dedupe: dedupe.clone(),
            at,
            payload: serde_json::to_string(&notice)
                .map_err(|e| AppError::Invalid(format!("a notice: {e}")))?,
        };
        Ok(self.store.raise_event(&event, &rows).await?)
    }

    /// Sends every notification due at `now`: per object and recipient in the order raised
    /// (a later one waits while an earlier one is being retried).
    pub async fn send_notifications(&self, now: DateTime<Utc>) -> Result<SendReport, AppError> {
        let mailer = match &self.settings.notify.smtp_url {
            Some(url) => Some(
                hdab_notify::Mailer::new(url, &self.settings.notify.from)
                    .map_err(|e| AppError::Invalid(e.to_string()))?,
            ),
            None => None,
        };
        let http =
            hdab_notify::WebhookClient::new().map_err(|e| AppError::Invalid(e.to_string()))?;
        let webhooks = self.store.webhooks().await?;
        let mut report = SendReport::default();
        let mut blocked: HashSet<(String, String, String)> = HashSet::new();
        for n in self.store.pending_notifications().await? {
            let lane = (n.channel.clone(), n.target.clone(), n.object_id.clone());
            if blocked.contains(&lane) {
                report.waiting += 1;
                continue;
            }
            if n.next_at > now {
                blocked.insert(lane);
                report.waiting += 1;
                continue;
            }
            let outcome = match n.channel.as_str() {
                "email" => self.send_email(&n, mailer.as_ref()).await,
                _ => match webhooks.iter().find(|w| w.id == n.target) {
                    Some(hook) => {
                        let secret = self.webhook_secret(&hook.id)?;
                        http.post(
                            &hook.url,
                            secret.as_bytes(),
                            &n.event_id,
                            &n.kind,
                            n.payload.as_bytes(),
                        )
                        .await
                        .map_err(|e| e.to_string())
                    }
                    None => Err("the webhook was removed".to_string()),
                },
            };
            match outcome {
                Ok(()) => {
                    self.store
                        .record_attempt(&n.id, now, "sent", "", "sent", now)
                        .await?;
                    report.sent += 1;
                }
                Err(why) => {
                    let give_up = now - n.event_at >= Duration::hours(GIVE_UP_AFTER_HOURS);
                    let status = if give_up { "failed" } else { "pending" };
                    self.store
                        .record_attempt(
                            &n.id,
                            now,
                            "failed",
                            &why,
                            status,
                            now + back_off(n.attempts + 1),
                        )
                        .await?;
                    report.failed_attempts += 1;
                    if give_up {
                        report.gave_up += 1;
                    } else {
                        blocked.insert(lane);
                    }
                }
            }
        }
        Ok(report)
    }

    async fn send_email(
        &self,
        n: &StoredNotification,
        mailer: Option<&hdab_notify::Mailer>,
    ) -> Result<(), String> {
        let mailer = mailer.ok_or("no mail server is configured (HDAB_SMTP_URL)")?;
        let profile = self
            .store
            .user_profile(&n.target)
            .await
            .map_err(|e| e.to_string())?;
        let to = profile.email.ok_or("the user has no e-mail address")?;
        let notice: Notice =
            serde_json::from_str(&n.payload).map_err(|e| format!("the stored notice: {e}"))?;
        let lang = hdab_i18n::Lang::from_code(&profile.language).unwrap_or_default();
        let (subject, body) = notice.email(lang);
        mailer
            .send(&to, &subject, &body, lang, &n.id)
            .await
            .map_err(|e| e.to_string())
    }

    /// A webhook's signing secret: derived from the master key, never stored.
    fn webhook_secret(&self, webhook_id: &str) -> Result<String, AppError> {
        let keys = self.settings.keyring()?;
        let key = keys.oldest().derive(&hdab_pseudonymise::KeyContext {
            purpose: "webhook",
            scope: webhook_id,
            identifier_type: "signing-secret",
            key_version: 1,
        });
        Ok(hex::encode(key.mac(b"hdab webhook secret v1")))
    }

    /// Adds a webhook (an administrator): every event is POSTed to `url`, signed with the
    /// secret returned here once (`x-hdab-signature: sha256=<hex HMAC-SHA-256 of the body>`).
    pub async fn add_webhook(&self, actor: &str, url: &str) -> Result<(String, String), AppError> {
        let result = async {
            access::require(&self.user(actor).await?, access::Duty::ManageNotifications)?;
            let parsed = url.trim();
            let on_this_host = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|h| parsed.starts_with(h));
            if !(parsed.starts_with("https://") || on_this_host) {
                return Err(AppError::Invalid(format!(
                    "'{parsed}': a webhook's address must be https:// (plain http only on this host)"
                )));
            }
            let id = format!("W-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
            self.store.add_webhook(&id, parsed, Utc::now(), actor).await?;
            let secret = self.webhook_secret(&id)?;
            Ok(((id.clone(), secret), format!("webhook {id}")))
        }
        .await;
        self.audited(actor, "webhook.add", url, result).await
    }

    pub async fn remove_webhook(&self, actor: &str, id: &str) -> Result<(), AppError> {
        let result = async {
            access::require(&self.user(actor).await?, access::Duty::ManageNotifications)?;
            self.store.remove_webhook(id, Utc::now()).await?;
            Ok(((), String::new()))
        }
        .await;
        self.audited(actor, "webhook.remove", id, result).await
    }

    pub async fn webhooks(&self, actor: &str) -> Result<Vec<hdab_store::Webhook>, AppError> {
        access::require(&self.user(actor).await?, access::Duty::ManageNotifications)?;
        Ok(self.store.webhooks().await?)
    }

    /// The latest notifications with every attempt (an administrator).
    pub async fn notification_log(
        &self,
        actor: &str,
        limit: i64,
    ) -> Result<Vec<NotificationView>, AppError> {
        access::require(&self.user(actor).await?, access::Duty::ManageNotifications)?;
        let mut out = Vec::new();
        for n in self.store.notifications(limit).await? {
            let attempts = self.store.attempts(&n.id).await?;
            out.push(NotificationView {
                notification: n,
                attempts,
            });
        }
        Ok(out)
    }

    /// Raises the time-based notices due at `now`, each once: the delay notice to applicants
    /// past the set share of their case's time, the deadline reminder to the case's officer
    /// (every officer while nobody has it), and the yearly confirmation due soon or overdue
    /// to the holder's people. Returns how many were raised.
    pub async fn raise_due_notices(&self, now: DateTime<Utc>) -> Result<usize, AppError> {
        let s = &self.settings.notify;
        let users = self.store.users().await?;
        let officers: Vec<String> = users
            .iter()
            .filter(|u| u.has(Role::CaseOfficer))
            .map(|u| u.id.clone())
            .collect();
        let mut raised = 0;
        for a in self.store.applications().await? {
            if !matches!(
                state_of(&a.events),
                AppState::Submitted | AppState::UnderReview
            ) {
                continue;
            }
            let d = hdab_permits::deadline(&a.events, a.content.purpose, now);
            let (Some(started), Some(due), true) = (d.started, d.due, d.running) else {
                continue;
            };
            let due_day = due.date_naive().to_string();
            let total = (due - started).num_seconds().max(1) as f64;
            let share = (now - started).num_seconds() as f64 / total;
            if share >= s.delay_notice_share {
                let key = format!("case.delayed|{}|{due_day}", a.id);
                raised += usize::from(
                    self.raise_event(&Tell {
                        kind: NoticeKind::CaseDelayed,
                        object: &a.id,
                        title: &a.content.title,
                        detail: &due_day,
                        recipients: std::slice::from_ref(&a.applicant),
                        dedupe: Some(key),
                        at: now,
                    })
                    .await?,
                );
            }
            if due - now <= Duration::days(s.deadline_warning_days) {
                let to = match hdab_permits::assignee_of(&a.events) {
                    Some(officer) => vec![officer.to_string()],
                    None => officers.clone(),
                };
                let key = format!("case.deadline_near|{}|{due_day}", a.id);
                raised += usize::from(
                    self.raise_event(&Tell {
                        kind: NoticeKind::DeadlineNear,
                        object: &a.id,
                        title: &a.content.title,
                        detail: &due_day,
                        recipients: &to,
                        dedupe: Some(key),
                        at: now,
                    })
                    .await?,
                );
            }
        }
        for d in self.store.datasets().await? {
            let confirmed = self.store.last_confirmation(&d.dataset_id).await?;
            let last = confirmed.map_or(d.created_at, |c| c.max(d.created_at));
            let due = last.checked_add_months(Months::new(12)).unwrap_or(last);
            let kind = if now > due {
                NoticeKind::ConfirmationOverdue
            } else if due - now <= Duration::days(s.confirmation_warning_days) {
                NoticeKind::ConfirmationDue
            } else {
                continue;
            };
            let holders: Vec<String> = users
                .iter()
                .filter(|u| {
                    u.has(Role::DataHolder) && access::acts_for_holder(u, &d.description.holder)
                })
                .map(|u| u.id.clone())
                .collect();
            let due_day = due.date_naive().to_string();
            let key = format!("{}|{}|{due_day}", kind.as_str(), d.dataset_id);
            let title = d.description.title.sv.clone();
            raised += usize::from(
                self.raise_event(&Tell {
                    kind,
                    object: &d.dataset_id,
                    title: &title,
                    detail: &due_day,
                    recipients: &holders,
                    dedupe: Some(key),
                    at: now,
                })
                .await?,
            );
        }
        // Data orders past their due date: the holder is told once per due date (an
        // extension makes a new one); officers see them listed on the queue.
        let today = now.date_naive();
        let datasets = self.store.datasets().await?;
        for o in self.store.orders(None, None).await? {
            if !o.order.is_overdue(&o.events, today) {
                continue;
            }
            let due = match o.order.state(&o.events) {
                hdab_permits::orders::OrderState::Open { due, .. } => due,
                _ => continue,
            };
            let title = datasets
                .iter()
                .find(|d| d.dataset_id == o.order.dataset_id)
                .map(|d| d.description.title.sv.clone())
                .unwrap_or_else(|| o.order.dataset_id.clone());
            let to = crate::orders::holders_users(&users, &o.order.holder);
            let key = format!("order.overdue|{}|{due}", o.order.id);
            raised += usize::from(
                self.raise_event(&Tell {
                    kind: NoticeKind::OrderOverdue,
                    object: &o.order.id,
                    title: &title,
                    detail: &due.to_string(),
                    recipients: &to,
                    dedupe: Some(key),
                    at: now,
                })
                .await?,
            );
        }
        Ok(raised)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_one_two_four_minutes_and_at_most_an_hour() {
        assert_eq!(back_off(1), Duration::minutes(1));
        assert_eq!(back_off(2), Duration::minutes(2));
        assert_eq!(back_off(3), Duration::minutes(4));
        assert_eq!(back_off(30), Duration::hours(1));
    }
}
