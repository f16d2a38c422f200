//! `hdab notify …` and `hdab webhook …`.

use crate::actor;
use crate::args::{Cli, NotifyCmd, WebhookCmd};
use anyhow::Result;
use chrono::Utc;
use hdab_app::App;

pub(crate) async fn notify(app: &App, cli: &Cli, command: &NotifyCmd) -> Result<()> {
    match command {
        NotifyCmd::Send { now } => {
            let r = app.send_notifications(now.unwrap_or_else(Utc::now)).await?;
            say!(
                "notices: {} sent, {} attempt(s) failed (tried again later), {} given up after 12 hours, {} waiting",
                r.sent,
                r.failed_attempts,
                r.gave_up,
                r.waiting
            );
        }
        NotifyCmd::Sweep { now } => {
            let n = app.raise_due_notices(now.unwrap_or_else(Utc::now)).await?;
            say!("{n} notice(s) raised");
        }
        NotifyCmd::Log { limit, json } => {
            let log = app.notification_log(&actor(cli)?, *limit).await?;
            if *json {
                say!("{}", serde_json::to_string_pretty(&log)?);
                return Ok(());
            }
            for v in log {
                let n = &v.notification;
                say!(
                    "{} {:<32} {:<14} {:<8} {:<12} {:<8} attempts {}{}",
                    n.event_at.format("%Y-%m-%d %H:%M"),
                    n.kind,
                    n.object_id,
                    n.channel,
                    n.target,
                    n.status,
                    n.attempts,
                    n.last_error
                        .as_deref()
                        .map(|e| format!(" (last: {e})"))
                        .unwrap_or_default()
                );
                for a in &v.attempts {
                    say!(
                        "    #{} {} {}{}",
                        a.n,
                        a.at.format("%Y-%m-%d %H:%M:%S"),
                        a.outcome,
                        if a.detail.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", a.detail)
                        }
                    );
                }
            }
        }
    }
    Ok(())
}

pub(crate) async fn webhook(app: &App, cli: &Cli, command: &WebhookCmd) -> Result<()> {
    match command {
        WebhookCmd::Add { url } => {
            let (id, secret) = app.add_webhook(&actor(cli)?, url).await?;
            say!("{id}");
            eprintln!(
                "webhook {id} added; its signing secret (shown once) is on the line below: give it to the receiver, which checks x-hdab-signature"
            );
            say!("{secret}");
        }
        WebhookCmd::List => {
            for w in app.webhooks(&actor(cli)?).await? {
                say!(
                    "{} {} (added {} by {})",
                    w.id,
                    w.url,
                    w.created_at.format("%Y-%m-%d"),
                    w.created_by
                );
            }
        }
        WebhookCmd::Remove { id } => {
            app.remove_webhook(&actor(cli)?, id).await?;
            say!("webhook {id} removed");
        }
    }
    Ok(())
}
