//! `hdab apply …` and `hdab case …`: applications and their case work.

use crate::args::{ApplyCmd, CaseCmd, Cli};
use crate::output::describe_deadline;
use crate::{actor, read_input};
use anyhow::{Context, Result};
use hdab_app::{App, CaseOptions};
use hdab_permits::CaseCommand;

pub(crate) async fn apply(app: &App, cli: &Cli, command: &ApplyCmd) -> Result<()> {
    match command {
        ApplyCmd::Create { file } => {
            let text = read_input(&Some(file.clone()))?;
            let id = app.create_application(&actor(cli)?, &text).await?;
            say!("{id}");
            eprintln!("saved draft {id}; submit it with `hdab apply submit {id}`");
        }
        ApplyCmd::Submit { id } => {
            let (state, _) = app
                .case_command(
                    &actor(cli)?,
                    id,
                    CaseCommand::Submit,
                    "",
                    CaseOptions::default(),
                )
                .await?;
            match (state, app.registration_number(id).await?) {
                (hdab_permits::AppState::Submitted, Some(number)) => {
                    say!("{id}: {state} (registration number {number})")
                }
                _ => say!("{id}: {state}"),
            }
        }
        ApplyCmd::Update { id, file } => {
            let text = read_input(&Some(file.clone()))?;
            app.update_application(&actor(cli)?, id, &text).await?;
            say!("{id}: content updated");
        }
        ApplyCmd::Withdraw { id, reason } => {
            let (state, _) = app
                .case_command(
                    &actor(cli)?,
                    id,
                    CaseCommand::Withdraw,
                    reason,
                    CaseOptions::default(),
                )
                .await?;
            say!("{id}: {state}");
        }
        ApplyCmd::Attach { id, file, kind } => {
            let bytes =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let a = app.attach(&actor(cli)?, id, kind, &name, &bytes).await?;
            say!(
                "{} {} {} ({} bytes, SHA-256 {})",
                a.id,
                a.kind,
                a.name,
                a.bytes,
                a.sha256
            );
        }
        ApplyCmd::Attachments { id } => {
            for a in app.attachments(&actor(cli)?, id).await? {
                say!(
                    "{} {:<16} {} ({} bytes, SHA-256 {}, {} by {})",
                    a.id,
                    a.kind,
                    a.name,
                    a.bytes,
                    a.sha256,
                    a.uploaded_at.format("%Y-%m-%d %H:%M"),
                    a.uploaded_by
                );
            }
        }
        ApplyCmd::OpenAttachment {
            id,
            attachment,
            out,
        } => {
            let (a, bytes) = app.open_attachment(&actor(cli)?, id, attachment).await?;
            std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            say!("{} written to {}", a.name, out.display());
        }
        ApplyCmd::Show { id } => {
            let (a, d) = app.show_application(&actor(cli)?, id).await?;
            say!(
                "{} — {} ({}, {})",
                a.id,
                a.content.title,
                a.content.organisation,
                a.applicant
            );
            say!("  state: {}", hdab_permits::state_of(&a.events));
            if let Some(number) = app.registration_number(&a.id).await? {
                say!("  registration number: {number}");
            }
            say!("  deadline: {}", describe_deadline(&d));
            for e in &a.events {
                say!(
                    "  {} {:<8} by {:<10}{} {}",
                    e.at.format("%Y-%m-%d %H:%M"),
                    e.command.as_str(),
                    e.actor,
                    e.assignee
                        .as_deref()
                        .map(|a| format!(" → {a}"))
                        .unwrap_or_default(),
                    e.comment
                );
            }
            for v in app.application_versions(&actor(cli)?, id).await? {
                say!(
                    "  version {} received {} from {}{}",
                    v.version,
                    v.submitted_at
                        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_default(),
                    v.submitted_by,
                    if v.version == 1 {
                        String::new()
                    } else if v.changes.is_empty() {
                        ": unchanged".into()
                    } else {
                        format!(": {} changed", v.changes.len())
                    }
                );
                for c in &v.changes {
                    say!(
                        "    ~ {}: {} → {}",
                        c.path,
                        c.before.as_deref().unwrap_or("(none)"),
                        c.after.as_deref().unwrap_or("(none)")
                    );
                }
            }
        }
    }
    Ok(())
}

pub(crate) async fn case(app: &App, cli: &Cli, command: &CaseCmd) -> Result<()> {
    match command {
        CaseCmd::Risk {
            id,
            only,
            as_anonymised,
            json,
        } => {
            let mut query = hdab_app::RiskQuery {
                as_anonymised: *as_anonymised,
                ..Default::default()
            };
            for o in only {
                let (dataset, vars) = o.split_once(':').with_context(|| {
                    format!("--only {o}: write the dataset, a colon and its variables: slutenvard:KON,ALDER")
                })?;
                query.only.push((
                    dataset.to_string(),
                    vars.split(',').map(|v| v.trim().to_string()).collect(),
                ));
            }
            let previews = app.risk_preview(&actor(cli)?, id, &query).await?;
            if *json {
                say!("{}", serde_json::to_string_pretty(&previews)?);
            } else {
                crate::output::print_risk(&previews);
            }
        }
        CaseCmd::Queue => {
            let rows = app.queue(&actor(cli)?).await?;
            say!(
                "{:<12} {:<13} {:<10} {:>9}  {:<24} title",
                "case",
                "state",
                "officer",
                "days left",
                "organisation"
            );
            for r in rows {
                let days = match (r.deadline.days_left, r.deadline.paused) {
                    (_, true) => "paused".to_string(),
                    (Some(d), _) => d.to_string(),
                    (None, _) => "-".to_string(),
                };
                say!(
                    "{:<12} {:<13} {:<10} {:>9}{} {:<24} {}",
                    r.id,
                    r.state.as_str(),
                    r.assignee.as_deref().unwrap_or("-"),
                    days,
                    if r.deadline.overdue { "!" } else { " " },
                    r.organisation,
                    r.title
                );
            }
        }
        cmd => {
            let (id, command, comment, options) = match cmd {
                CaseCmd::Take { id, comment } => {
                    (id, CaseCommand::Take, comment, CaseOptions::default())
                }
                CaseCmd::Assign { id, to, comment } => (
                    id,
                    CaseCommand::Assign,
                    comment,
                    CaseOptions {
                        assign_to: Some(to.clone()),
                        ..CaseOptions::default()
                    },
                ),
                CaseCmd::Return { id, reason } => {
                    (id, CaseCommand::Return, reason, CaseOptions::default())
                }
                CaseCmd::Extend { id, reason } => {
                    (id, CaseCommand::Extend, reason, CaseOptions::default())
                }
                CaseCmd::Approve {
                    id,
                    reason,
                    narrow,
                    conditions,
                    valid_months,
                    optout_exception,
                    public_interest,
                    necessity,
                } => {
                    let narrowed = match narrow {
                        Some(path) => Some(
                            toml::from_str(&read_input(&Some(path.clone()))?).with_context(
                                || format!("reading the narrowed spec {}", path.display()),
                            )?,
                        ),
                        None => None,
                    };
                    (
                        id,
                        CaseCommand::Approve,
                        reason,
                        CaseOptions {
                            narrowed,
                            conditions: conditions.clone(),
                            valid_months: *valid_months,
                            optout_exception: optout_exception.as_ref().map(|basis| {
                                (
                                    basis.clone(),
                                    public_interest.clone().unwrap_or_default(),
                                    necessity.clone().unwrap_or_default(),
                                )
                            }),
                            ..CaseOptions::default()
                        },
                    )
                }
                CaseCmd::Reject { id, reason } => {
                    (id, CaseCommand::Reject, reason, CaseOptions::default())
                }
                CaseCmd::Queue | CaseCmd::Risk { .. } => return Ok(()), // their own arms above
            };
            let (state, permit) = app
                .case_command(&actor(cli)?, id, command, comment, options)
                .await?;
            match permit {
                Some(p) => say!("{id}: {state}; permit {p}"),
                None => say!("{id}: {state}"),
            }
        }
    }
    Ok(())
}
