//! `hdab audit …` and `hdab keys …`.

use crate::actor;
use crate::args::{AuditCmd, Cli, KeysCmd, SpeCmd};
use anyhow::{Context, Result};
use hdab_app::App;

/// `hdab spe sweep`: erases what is due and says what.
pub(crate) async fn spe(app: &App, cli: &Cli, command: &SpeCmd) -> Result<()> {
    match command {
        SpeCmd::Sweep { as_of } => {
            let now = match as_of {
                Some(d) => d.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc(),
                None => chrono::Utc::now(),
            };
            let erased = app.erase_due(Some(&actor(cli)?), now).await?;
            if erased.is_empty() {
                say!("nothing is due for erasure on {}", now.format("%Y-%m-%d"));
            }
            for e in erased {
                let bytes: u64 = e.files.iter().map(|f| f.bytes).sum();
                say!(
                    "{}: {} (due {}): erased {} files, {bytes} bytes; recorded in the audit log",
                    e.permit_id,
                    e.reason,
                    e.due.format("%Y-%m-%d"),
                    e.files.len()
                );
            }
        }
        SpeCmd::Sync => {
            let changes = app.spe_sync(&actor(cli)?, true).await?;
            if changes.is_empty() {
                say!("the host already matches the permits: nothing changed");
            }
            for c in changes {
                say!("{c}");
            }
        }
        SpeCmd::Entitlements => {
            let feed = app.entitlements(&actor(cli)?).await?;
            say!("{}", serde_json::to_string_pretty(&feed)?);
        }
        SpeCmd::Serve {
            listen,
            behind_tls_proxy,
            query_memory_mib,
            as_of,
        } => serve_gateway(app, *listen, *behind_tls_proxy, *query_memory_mib, *as_of).await?,
        SpeCmd::Log { permit, json } => {
            let log = app.gateway_log(&actor(cli)?, permit).await?;
            if *json {
                say!("{}", serde_json::to_string_pretty(&log)?);
            } else if log.is_empty() {
                say!("nobody has queried the data of permit {permit}");
            }
            for q in log.iter().filter(|_| !*json) {
                let counts = match (q.rows, q.bytes) {
                    (Some(r), Some(b)) => format!("{r} rows, {b} bytes"),
                    _ => String::new(),
                };
                say!(
                    "{} {:<10} {:<8} {counts} {}{}",
                    q.at.format("%Y-%m-%d %H:%M:%S"),
                    q.user,
                    q.status,
                    q.sql.replace('\n', " "),
                    q.reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                );
            }
        }
        SpeCmd::VerifyEntitlements { .. } | SpeCmd::Query { .. } => {
            return Err(crate::commands::misrouted(&cli.command));
        }
    }
    Ok(())
}

/// `hdab spe serve`: the gateway, until interrupted.
async fn serve_gateway(
    app: &App,
    listen: std::net::SocketAddr,
    behind_tls_proxy: bool,
    query_memory_mib: usize,
    as_of: Option<chrono::NaiveDate>,
) -> Result<()> {
    if !listen.ip().is_loopback() && !behind_tls_proxy {
        anyhow::bail!(
            "{listen} is not a loopback address, and passwords cross the gateway's connections: \
             put a TLS-terminating proxy in front and pass --behind-tls-proxy, or listen on 127.0.0.1"
        );
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    let options = hdab_gateway::GatewayOptions {
        today: as_of,
        limits: hdab_gateway::engine::Limits {
            memory_bytes: query_memory_mib.max(16).saturating_mul(1 << 20),
            partitions: app.settings.partitions,
        },
    };
    say!("hdab SPE gateway (Arrow Flight SQL) listening on grpc://{addr}");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    hdab_gateway::serve(
        std::sync::Arc::new(app.clone()),
        listener,
        options,
        shutdown,
    )
    .await
    .context("serving the SPE gateway")?;
    Ok(())
}

pub(crate) async fn audit(app: &App, cli: &Cli, command: &AuditCmd) -> Result<()> {
    match command {
        AuditCmd::Show => {
            for e in app.audit_entries(&actor(cli)?).await? {
                say!(
                    "{:>5} {} {:<10} {:<18} {:<20} {:<16} {:<8} {}",
                    e.seq,
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    e.actor,
                    if e.via.is_empty() { "-" } else { &e.via },
                    e.action,
                    e.object,
                    e.outcome,
                    e.detail
                );
            }
        }
        AuditCmd::Verify => match app.audit_verify_report().await? {
            Ok(r) => say!(
                "audit log intact: {} entries, hash chain verified; {} signed checkpoint(s) in the store and {} in delivery manifests verified, {} in the witness; every delivery has its entry{}",
                r.entries,
                r.checkpoints_in_store,
                r.checkpoints_in_manifests,
                r.checkpoints_witnessed,
                r.latest_checkpoint
                    .map(|s| format!(" (latest vouches for entry {s})"))
                    .unwrap_or_default()
            ),
            Err(e) => anyhow::bail!("the audit log has been tampered with: {e}"),
        },
        AuditCmd::Checkpoint => {
            let c = app.audit_checkpoint().await?;
            say!("{}", serde_json::to_string_pretty(&c)?);
        }
    }
    Ok(())
}

pub(crate) async fn keys(app: &App, cli: &Cli, command: &KeysCmd) -> Result<()> {
    match command {
        KeysCmd::Init | KeysCmd::New => {
            let init = matches!(command, KeysCmd::Init);
            let key_id = app.keys_add(cli.acting_user.as_deref(), init).await?;
            say!(
                "master key {key_id} {} {} (mode 600). Back the file up: without it no pseudonym can be reproduced.",
                if init { "created in" } else { "added to" },
                app.settings.key_file.display()
            );
        }
        KeysCmd::Rotate { reason } => {
            let permits = app.keys_rotate(&actor(cli)?, reason).await?;
            say!(
                "{} permit(s) moved to their next key version; extract them again:",
                permits.len()
            );
            for p in permits {
                say!("  hdab extract {p}");
            }
        }
    }
    Ok(())
}

/// `hdab init`: the data folder, its database (created by opening it) and the master key.
pub(crate) async fn init(app: &App, cli: &Cli) -> Result<()> {
    let key_id = app.keys_add(cli.acting_user.as_deref(), true).await?;
    say!(
        "created an hdab installation in {} (database, master key {key_id}); add the first user, an administrator, with `hdab users add --id ID --org ORG --role admin`",
        app.settings.data_dir.display()
    );
    Ok(())
}
