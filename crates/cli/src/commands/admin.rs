//! `hdab audit …` and `hdab keys …`.

use crate::actor;
use crate::args::{AuditCmd, Cli, Command, KeysCmd};
use anyhow::Result;
use hdab_app::App;

pub(crate) async fn run(app: &App, cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Audit(AuditCmd::Show) => {
            for e in app.audit_entries(&actor(cli)?).await? {
                say!(
                    "{:>5} {} {:<10} {:<20} {:<16} {:<8} {}",
                    e.seq,
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    e.actor,
                    e.action,
                    e.object,
                    e.outcome,
                    e.detail
                );
            }
        }
        Command::Audit(AuditCmd::Verify) => match app.audit_verify_report().await? {
            Ok(r) => say!(
                "audit log intact: {} entries, hash chain verified; {} signed checkpoint(s) in the store and {} in delivery manifests verified{}",
                r.entries,
                r.checkpoints_in_store,
                r.checkpoints_in_manifests,
                r.latest_checkpoint
                    .map(|s| format!(" (latest vouches for entry {s})"))
                    .unwrap_or_default()
            ),
            Err(e) => anyhow::bail!("the audit log has been tampered with: {e}"),
        },
        Command::Audit(AuditCmd::Checkpoint) => {
            let c = app.audit_checkpoint().await?;
            say!("{}", serde_json::to_string_pretty(&c)?);
        }
        Command::Keys(KeysCmd::Init) | Command::Keys(KeysCmd::New) => {
            let init = matches!(cli.command, Command::Keys(KeysCmd::Init));
            let key_id = app.keys_add(cli.acting_user.as_deref(), init).await?;
            say!(
                "master key {key_id} {} {} (mode 600). Back the file up: without it no pseudonym can be reproduced.",
                if init { "created in" } else { "added to" },
                app.settings.key_file.display()
            );
        }
        Command::Keys(KeysCmd::Rotate { reason }) => {
            let permits = app.keys_rotate(&actor(cli)?, reason).await?;
            say!(
                "{} permit(s) moved to their next key version; extract them again:",
                permits.len()
            );
            for p in permits {
                say!("  hdab extract {p}");
            }
        }
        other => return Err(crate::commands::misrouted(other)),
    }
    Ok(())
}
