//! `hdab permit …`, `hdab extract` and `hdab register`.

use crate::actor;
use crate::args::{Cli, Command, PermitCmd};
use crate::output::{print_deliveries, progress_bar};
use anyhow::Result;
use hdab_app::App;

pub(crate) async fn permit(app: &App, cli: &Cli, command: &PermitCmd) -> Result<()> {
    match command {
        PermitCmd::Publication(p) => super::outputs::publication(app, cli, p).await?,
        PermitCmd::OverduePublications { today, json } => {
            super::outputs::overdue(app, *today, *json).await?
        }
        PermitCmd::Revoke { id, reason } => {
            app.revoke_permit(&actor(cli)?, id, reason).await?;
            say!("{id}: revoked");
        }
        PermitCmd::Amend {
            id,
            reason,
            add,
            remove,
        } => {
            let users = app
                .amend_permit(&actor(cli)?, id, reason, add, remove)
                .await?;
            say!("{id}: SPE users now {}", users.join(", "));
        }
        PermitCmd::Show { id } => {
            let s = app.permit_status(&actor(cli)?, id).await?;
            let p = &s.permit;
            say!(
                "{} (application {}): granted {}, valid until {}{}",
                p.id,
                p.application_id,
                p.granted_at.format("%Y-%m-%d"),
                p.valid_until,
                if p.revoked_at.is_some() {
                    ", REVOKED"
                } else {
                    ""
                }
            );
            say!(
                "  spec digest {}, key {} version {}",
                p.spec_digest,
                p.key_id,
                p.key_version
            );
            say!("  SPE users: {}", p.spe_users.join(", "));
            for d in &s.datasets {
                let delivered = match (d.delivered_key_version, d.delivered_registry_seq) {
                    (Some(k), Some(r)) => {
                        format!("delivered with key version {k}, opt-out registry {r}")
                    }
                    _ => "not delivered yet".to_string(),
                };
                say!(
                    "  {:<12} {delivered}{}",
                    d.dataset_id,
                    if d.redelivery_due {
                        " — RE-DELIVERY DUE"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    Ok(())
}

pub(crate) async fn register(app: &App, cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Register { json } => {
            let entries = app.public_register().await?;
            let requests = app.data_request_register().await?;
            let releases = app.published_releases().await?;
            let overdue = app
                .overdue_publications(chrono::Utc::now().date_naive())
                .await?;
            if *json {
                let all = serde_json::json!({
                    "applications": entries,
                    "data_requests": requests,
                    "releases": releases,
                    "overdue_publications": overdue,
                });
                say!("{}", serde_json::to_string_pretty(&all)?);
                return Ok(());
            }
            for e in entries {
                say!(
                    "{}  received {}  {} — {} [{}] datasets: {}",
                    e.id,
                    e.received.format("%Y-%m-%d"),
                    e.organisation,
                    e.title,
                    serde_json::to_value(e.purpose)?
                        .as_str()
                        .unwrap_or_default(),
                    e.datasets.join(", ")
                );
                match e.decision {
                    Some((d, at, reasons)) => {
                        say!("    {d}d on {}: {reasons}", at.format("%Y-%m-%d"))
                    }
                    None => say!("    {}", e.state),
                }
                if let Some(fee) = e.fee_sek {
                    say!("    fee {fee} SEK");
                }
                if let Some(x) = &e.optout_exception {
                    say!(
                        "    opt-outs not applied: public-interest exception (EHDS Art. 71(4)) under {}, decided by {}: {}; necessary because {}",
                        x.legal_basis,
                        x.decided_by,
                        x.public_interest,
                        x.necessity
                    );
                }
            }
            for r in &requests {
                say!(
                    "{}  received {}  {} — data request (Art. 69) on {}",
                    r.id,
                    r.received.format("%Y-%m-%d"),
                    r.organisation,
                    r.dataset_id
                );
                match (&r.decision, r.decided_at) {
                    (Some(d), Some(at)) => say!(
                        "    {}d on {}: {}",
                        d,
                        at.format("%Y-%m-%d"),
                        r.reason.as_deref().unwrap_or_default()
                    ),
                    _ => say!("    not decided yet"),
                }
            }
            for r in releases {
                say!(
                    "{}  released {} from permit {}: {} file(s)",
                    r.request_id,
                    r.released_at.format("%Y-%m-%d"),
                    r.permit_id,
                    r.files.len()
                );
                for (description, sha256) in r.files {
                    say!("    sha256 {sha256}  {description}");
                }
            }
            for o in overdue {
                say!(
                    "{}  ended {}: no publication of its results recorded (due {})",
                    o.permit_id,
                    o.ended,
                    o.due
                );
            }
        }
        other => return Err(crate::commands::misrouted(other)),
    }
    Ok(())
}

pub(crate) async fn extract(app: &App, cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Extract {
            permit,
            compression,
            timings,
            cluster,
        } => {
            let engine = match cluster {
                Some(address) => Some(crate::commands::cluster::engine(app, address).await?),
                None => None,
            };
            eprintln!("extracting permit {permit} …");
            app.recover_deliveries().await?;
            let progress = std::sync::Arc::new(hdab_app::Progress::default());
            let display = progress_bar(progress.clone());
            let result = app
                .extract_on(
                    &actor(cli)?,
                    permit,
                    compression.into(),
                    Some(&progress),
                    engine.as_ref(),
                )
                .await;
            if let Some((done, handle)) = display {
                done.store(true, std::sync::atomic::Ordering::Relaxed);
                let _ = handle.join();
            }
            let deliveries = result?;
            print_deliveries(&deliveries);
            if *timings {
                print_timings(&deliveries);
            }
        }
        other => return Err(crate::commands::misrouted(other)),
    }
    Ok(())
}

/// `hdab extract --timings`: one line per dataset that ran.
fn print_timings(deliveries: &[hdab_app::Delivery]) {
    for d in deliveries {
        match &d.timings {
            Some(t) => say!(
                "{}: read {:.2} s · identify {:.2} s · hash {:.2} s · filter {:.2} s · write {:.2} s (seconds summed over the workers) · leak scan {:.2} s",
                d.dataset_id,
                t.read,
                t.identify,
                t.hash,
                t.filter,
                t.write,
                t.scan
            ),
            None => say!("{}: unchanged inputs, nothing ran", d.dataset_id),
        }
    }
}
