//! `hdab output …`, `hdab finding …` and the permit's publications.

use crate::actor;
use crate::args::{Cli, Decision, FindingCmd, OutputCmd, OutputFiles, PublicationArgs};
use anyhow::{Context as _, Result, bail};
use hdab_app::{App, OutputDetail, OutputFileIn};
use hdab_output_check::{Context, check_file};
use hdab_permits::output::OutputCommand;
use std::path::PathBuf;

pub(crate) async fn output(app: &App, cli: &Cli, command: &OutputCmd) -> Result<()> {
    let me = actor(cli)?;
    match command {
        OutputCmd::Submit {
            permit,
            files,
            json,
        } => {
            let description = &files.description;
            let files = read_files(files)?;
            let d = app.submit_output(&me, permit, description, files).await?;
            if *json {
                say!("{}", serde_json::to_string_pretty(&d)?);
            } else {
                print_detail(&d);
            }
        }
        OutputCmd::Resubmit { id, files } => {
            let files = read_files(files)?;
            print_detail(&app.resubmit_output(&me, id, files).await?);
        }
        OutputCmd::Show { id, json } => {
            let d = app.show_output(&me, id).await?;
            if *json {
                say!("{}", serde_json::to_string_pretty(&d)?);
            } else {
                print_detail(&d);
            }
        }
        OutputCmd::List { json } => {
            let list = app.output_list(&me).await?;
            if *json {
                say!("{}", serde_json::to_string_pretty(&list)?);
            }
            for d in list.iter().filter(|_| !*json) {
                say!(
                    "{}  permit {}  {}  by {}  {} file(s), {} approval(s)",
                    d.request.id,
                    d.request.permit_id,
                    d.state.as_str(),
                    d.request.requester,
                    d.files.len(),
                    d.approvals.len()
                );
            }
        }
        OutputCmd::Justify {
            id,
            finding,
            reason,
        } => {
            let state = app
                .output_step(&me, id, OutputCommand::Justify, reason, Some(finding))
                .await?;
            say!(
                "{id}: {finding} justified; the request is {}",
                state.as_str()
            );
        }
        OutputCmd::Review {
            id,
            approve,
            return_,
            reason,
            ..
        } => {
            let command = if *approve {
                OutputCommand::Approve
            } else if *return_ {
                OutputCommand::Return
            } else {
                OutputCommand::Reject
            };
            let state = app.output_step(&me, id, command, reason, None).await?;
            say!("{id}: {} — now {}", command.as_str(), state.as_str());
        }
        OutputCmd::Release { id } => {
            let outbox = app.release_output(&me, id).await?;
            say!("{id}: released into {}", outbox.display());
        }
        OutputCmd::Check { .. } => bail!(crate::commands::misrouted(&cli.command)),
    }
    Ok(())
}

/// Reads each file; its description is its own (NAME=TEXT) or the request's.
fn read_files(given: &OutputFiles) -> Result<Vec<OutputFileIn>> {
    let (description, own) = (given.description.as_str(), &given.file_descriptions);
    let mut out = Vec::new();
    for path in &given.files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{}: not a file name hdab can keep", path.display()))?
            .to_string();
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let description = own
            .iter()
            .find_map(|d| d.strip_prefix(&format!("{name}=")))
            .unwrap_or(description)
            .to_string();
        out.push(OutputFileIn {
            name,
            description,
            bytes,
        });
    }
    for d in own {
        let named = d.split_once('=').map(|(n, _)| n);
        if !out.iter().any(|f| Some(f.name.as_str()) == named) {
            bail!("--file-description '{d}' names no file of the request (write NAME=TEXT)");
        }
    }
    Ok(out)
}

fn print_detail(d: &OutputDetail) {
    let r = &d.request;
    say!(
        "{} — permit {}, by {}, version {}: {}",
        r.id,
        r.permit_id,
        r.requester,
        r.version(),
        d.state.as_str()
    );
    say!("  {}", r.description);
    if !d.approvals.is_empty() {
        say!("  approved by {}", d.approvals.join(", "));
    }
    for f in &d.files {
        say!(
            "  {}  {:?}  {} bytes  sha256 {}",
            f.name,
            f.check.verdict,
            f.bytes,
            f.sha256
        );
        for (i, finding) in f.check.findings.iter().enumerate() {
            let justified = match &f.justifications[i] {
                Some(j) => format!(" — justified: {j}"),
                None if finding.rule.blocks() => " — may never leave".into(),
                None => String::new(),
            };
            say!(
                "    {}#{}  {}  at {}: {}{justified}",
                f.name,
                i + 1,
                finding.rule.as_str(),
                finding.place,
                finding.why
            );
        }
        if !f.check.metadata.is_empty() {
            say!("    stripped on release: {}", f.check.metadata.join(", "));
        }
    }
}

/// `hdab output check FILE…`: the automated checks alone, no installation.
pub(crate) fn check_offline(files: &[PathBuf], json: bool) -> Result<()> {
    let context = Context::default();
    let mut all = Vec::new();
    for path in files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        all.push((
            path.display().to_string(),
            check_file(name, &bytes, &context),
        ));
    }
    if json {
        let v: Vec<_> = all
            .iter()
            .map(|(p, c)| serde_json::json!({ "file": p, "check": c }))
            .collect();
        say!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    for (path, c) in &all {
        say!("{path}: {:?}", c.verdict);
        for f in &c.findings {
            say!("  {}  at {}: {}", f.rule.as_str(), f.place, f.why);
        }
    }
    Ok(())
}

pub(crate) async fn finding(app: &App, cli: &Cli, command: &FindingCmd) -> Result<()> {
    let me = actor(cli)?;
    match command {
        FindingCmd::Report {
            permit,
            pseudonym,
            reason,
        } => {
            let id = app.report_finding(&me, permit, pseudonym, reason).await?;
            say!("{id}: reported; a case officer and a decision maker decide on re-identification");
        }
        FindingCmd::Approve(Decision { id, reason }) => {
            let state = app.decide_finding(&me, id, true, reason).await?;
            say!("{id}: approved — now {state}");
        }
        FindingCmd::Refuse(Decision { id, reason }) => {
            let state = app.decide_finding(&me, id, false, reason).await?;
            say!("{id}: refused — now {state}");
        }
        FindingCmd::List { json } => {
            let list = app.findings(&me).await?;
            if *json {
                say!("{}", serde_json::to_string_pretty(&list)?);
            }
            for f in list.iter().filter(|_| !*json) {
                say!(
                    "{}  permit {}  {}  by {}  {} approval(s)",
                    f.id,
                    f.permit_id,
                    f.state,
                    f.reporter,
                    f.approvals
                );
            }
        }
        FindingCmd::Show { id, json } => {
            let out = app.disclose_finding(&me, id).await?;
            if *json {
                say!("{}", serde_json::to_string_pretty(&out)?);
            }
            for d in out.iter().filter(|_| !*json) {
                say!(
                    "{} (permit {}), dataset {}: {} — for {}\n  reason: {}",
                    d.finding_id,
                    d.permit_id,
                    d.dataset_id,
                    d.personnummer,
                    d.contact,
                    d.reason
                );
            }
        }
    }
    Ok(())
}

pub(crate) async fn publication(app: &App, cli: &Cli, p: &PublicationArgs) -> Result<()> {
    app.record_publication(&actor(cli)?, &p.id, &p.reference, p.date)
        .await?;
    say!("{}: publication of {} recorded", p.id, p.date);
    Ok(())
}

pub(crate) async fn overdue(app: &App, today: Option<chrono::NaiveDate>, json: bool) -> Result<()> {
    let today = today.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let list = app.overdue_publications(today).await?;
    if json {
        say!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if list.is_empty() {
        say!("no permit is overdue for publication on {today}");
    }
    for o in &list {
        say!(
            "{}  ended {}  publication due {}  — none recorded",
            o.permit_id,
            o.ended,
            o.due
        );
    }
    Ok(())
}
