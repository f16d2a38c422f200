//! The `hdab` command: argument parsing and printing. Every command's work happens in
//! `hdab-app`, which authorises and audits it.

mod args;
mod demo;

use anyhow::{Context, Result};
use args::{
    ApplyCmd, AuditCmd, CaseCmd, CatalogCmd, Cli, Command, KeysCmd, OptoutCmd, PermitCmd,
    RequestCmd, UsersCmd,
};
use clap::Parser;
use hdab_app::{App, CaseOptions, CatalogQuery, Settings};
use hdab_permits::{CaseCommand, Role, User};
use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("HDAB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  because: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn settings(cli: &Cli) -> Settings {
    let mut s = Settings::under(&cli.data_dir);
    if let Some(url) = &cli.database_url {
        s.database_url = url.clone();
    }
    if let Some(spe) = &cli.spe_root {
        s.spe_root = spe.clone();
    }
    if let Some(k) = &cli.key_file {
        s.key_file = k.clone();
    }
    // Uploads are read by this same binary in a bounded child process.
    s.upload_boundary =
        std::env::current_exe()
            .ok()
            .map(|checker| hdab_app::boundary::UploadBoundary {
                checker,
                memory_mib: cli.upload_memory_mib,
                seconds: cli.upload_seconds,
            });
    s
}

fn actor(cli: &Cli) -> Result<String> {
    cli.acting_user
        .clone()
        .context("say who you are: --as USER or HDAB_USER=USER")
}

fn read_input(path: &Option<std::path::PathBuf>) -> Result<String> {
    match path {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
        }
        _ => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading standard input")?;
            Ok(s)
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let settings = settings(&cli);
    match &cli.command {
        Command::InternalCheckUpload {
            description,
            file,
            reference,
        } => {
            let outcome = hdab_app::boundary::check_in_child(description, file, *reference).await;
            println!("{}", serde_json::to_string(&outcome)?);
            return Ok(());
        }
        Command::Demo { dir, source } => {
            return demo::run(dir, source.as_deref(), cli.database_url.as_deref()).await;
        }
        Command::Synth { out, persons, seed } => {
            let config = hdab_synth::Config {
                persons: *persons,
                seed: *seed,
                ..hdab_synth::Config::default()
            };
            eprintln!("generating {persons} persons into {} …", out.display());
            let c = hdab_synth::write_files(&config, out)
                .with_context(|| format!("writing into {}", out.display()))?;
            println!(
                "slutenvard.csv: {} rows\nlakemedel.csv: {} rows\ndodsorsak.csv: {} rows\noptouts.txt: {} numbers",
                c.inpatient, c.dispensings, c.deaths, c.optouts
            );
            return Ok(());
        }
        Command::Catalog(CatalogCmd::Profile {
            file,
            extract_date,
            id,
            holder,
            draft,
            html,
            json,
        }) => {
            let reference = extract_date.unwrap_or_else(|| chrono::Utc::now().date_naive());
            eprintln!("profiling {} …", file.display());
            let p = hdab_pipeline::profile(file, reference).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&p)?);
            } else {
                println!("{}: {} records", p.file_name, p.n_rows);
                if let Some(n) = p.n_unique_individuals {
                    println!(
                        "unique individuals: {n} ({} records without a valid id)",
                        p.n_invalid_identifiers
                    );
                }
                if let Some((a, b)) = p.temporal {
                    println!("temporal coverage: {a} – {b}");
                }
                for c in &p.columns {
                    println!(
                        "  {:<12} {:<9} {:<10} complete {:>5.1}%  valid {:>5.1}%  distinct {}{}",
                        c.name,
                        c.inferred_type.as_str(),
                        c.code_system.as_deref().unwrap_or(""),
                        c.completeness * 100.0,
                        c.validity * 100.0,
                        c.n_distinct,
                        if c.distinct_capped { "+" } else { "" }
                    );
                }
            }
            if let Some(path) = draft {
                let stem = file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("dataset");
                let id = id.clone().unwrap_or_else(|| {
                    stem.to_lowercase()
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                        .collect()
                });
                let text = format!(
                    "# Drafted by `hdab catalog profile` from {} on {}. Replace every TODO, then\n# register it with `hdab catalog register`.\n{}",
                    p.file_name,
                    reference,
                    toml::to_string_pretty(&p.draft(&id, holder))?
                );
                std::fs::write(path, text)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote the draft description {}", path.display());
            }
            if let Some(path) = html {
                std::fs::write(path, hdab_report::profile_html(&p))
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote the report {}", path.display());
            }
            return Ok(());
        }
        Command::Scan { folder } => {
            let findings = hdab_pipeline::scan_delivery(folder)?;
            if findings.is_empty() {
                println!(
                    "{}: nothing reads as a personnummer or samordningsnummer",
                    folder.display()
                );
                return Ok(());
            }
            for f in &findings {
                println!("found: {}", f.place);
            }
            anyhow::bail!(
                "{} place(s) hold what reads as a person identifier",
                findings.len()
            );
        }
        _ => {}
    }
    let app = App::open(settings).await?;
    match &cli.command {
        Command::Users(UsersCmd::Add {
            id,
            name,
            organisation,
            roles,
        }) => {
            let roles = roles
                .iter()
                .map(|r| {
                    Role::parse(r).with_context(|| {
                        format!(
                            "unknown role '{r}'; roles are: {}",
                            Role::ALL.map(|r| r.as_str()).join(", ")
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let user = User {
                id: id.clone(),
                name: name.clone().unwrap_or_else(|| id.clone()),
                organisation: organisation.clone(),
                roles,
            };
            app.add_user(cli.acting_user.as_deref(), &user).await?;
            println!("added user {id}");
        }
        Command::Users(UsersCmd::Password { id }) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']);
            app.set_password(&actor(&cli)?, id, password).await?;
            println!("password set for {id}; their open sessions have ended");
        }
        Command::Users(UsersCmd::Token { label }) => {
            let token = app.create_api_token(&actor(&cli)?, label).await?;
            println!("{token}");
            eprintln!("send it as `Authorization: Bearer <token>`; it is not shown again");
        }
        Command::Serve {
            listen,
            max_upload_mib,
        } => {
            // Runs that died with the last server left staging folders: put them right first.
            app.recover_deliveries().await?;
            let mut state = hdab_server::ServerState::new(app.clone());
            state.max_upload_bytes = max_upload_mib.saturating_mul(1 << 20);
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            let (addr, task) = hdab_server::serve(state, *listen, shutdown)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            println!("hdab listening on http://{addr}/ (API: http://{addr}/api/openapi.json)");
            task.await
                .context("the server task failed")?
                .context("serving")?;
        }
        Command::Catalog(CatalogCmd::Register { file, data }) => {
            let text = read_input(&Some(file.clone()))?;
            let v = app
                .register_dataset_checked(&actor(&cli)?, &text, data.as_deref())
                .await?;
            println!(
                "registered {} version {} ({} variables)",
                v.dataset_id,
                v.version,
                v.description.variables.len()
            );
        }
        Command::Catalog(CatalogCmd::List) => {
            print_datasets(&app.catalog_search(&CatalogQuery::default()).await?);
        }
        Command::Catalog(CatalogCmd::Search {
            text,
            category,
            holder,
            coding_system,
        }) => {
            let q = CatalogQuery {
                text: text.clone(),
                category: category.clone(),
                holder: holder.clone(),
                coding_system: coding_system.clone(),
            };
            print_datasets(&app.catalog_search(&q).await?);
        }
        Command::Catalog(CatalogCmd::Show { id, version }) => {
            let versions = app.catalog_versions(id).await?;
            let v = match version {
                Some(n) => versions
                    .iter()
                    .find(|v| v.version == *n)
                    .with_context(|| format!("'{id}' has no version {n}"))?,
                None => versions.last().context("no versions")?,
            };
            println!(
                "# {id} version {} by {} at {}",
                v.version,
                v.created_by,
                v.created_at.format("%Y-%m-%d %H:%M")
            );
            print!("{}", toml::to_string_pretty(&v.description)?);
        }
        Command::Catalog(CatalogCmd::Versions { id }) => {
            for v in app.catalog_versions(id).await? {
                println!(
                    "v{:<3} {} by {:<10} {}",
                    v.version,
                    v.created_at.format("%Y-%m-%d %H:%M"),
                    v.created_by,
                    &v.digest[..16]
                );
            }
        }
        Command::Catalog(CatalogCmd::Diff { id, from, to }) => {
            let changes = app.catalog_diff(id, *from, *to).await?;
            if changes.is_empty() {
                println!("no differences");
            }
            for c in changes {
                match (c.before, c.after) {
                    (Some(b), Some(a)) => println!("~ {}: {b} → {a}", c.path),
                    (None, Some(a)) => println!("+ {}: {a}", c.path),
                    (Some(b), None) => println!("- {}: {b}", c.path),
                    (None, None) => {}
                }
            }
        }
        Command::Catalog(CatalogCmd::Confirm { id }) => {
            let v = app.confirm_dataset(&actor(&cli)?, id).await?;
            println!("{id} version {v} confirmed; next confirmation due within 12 months");
        }
        Command::Catalog(CatalogCmd::Overdue { as_of }) => {
            let now = match as_of {
                Some(d) => d
                    .and_hms_opt(12, 0, 0)
                    .map(|t| t.and_utc())
                    .unwrap_or_else(chrono::Utc::now),
                None => chrono::Utc::now(),
            };
            let overdue = app.catalog_overdue(now).await?;
            if overdue.is_empty() {
                println!("every description has been confirmed within the last 12 months");
            }
            let mut holder = String::new();
            for o in overdue {
                if o.holder != holder {
                    println!("{}:", o.holder);
                    holder = o.holder.clone();
                }
                println!(
                    "  {:<14} last confirmed {} ({} days overdue)",
                    o.dataset_id,
                    o.last_confirmed.format("%Y-%m-%d"),
                    o.days_overdue
                );
            }
        }
        Command::Catalog(CatalogCmd::Export {
            dataset,
            format,
            out,
        }) => {
            let rdf = app
                .catalog_export(
                    dataset.as_deref(),
                    matches!(format, args::RdfFormat::Jsonld),
                )
                .await?;
            match out {
                Some(path) => {
                    std::fs::write(path, rdf)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
                None => print!("{rdf}"),
            }
        }
        Command::Upload {
            dataset,
            file,
            extract_date,
        } => {
            let (upload, report) = app
                .upload(&actor(&cli)?, dataset, file, *extract_date)
                .await?;
            println!(
                "accepted upload {} of {dataset}: {} rows, sha256 {}",
                upload.id, report.n_rows, upload.sha256
            );
            let invalid: u64 = report.invalid_identifiers.values().sum();
            println!(
                "identifiers: {} valid, {invalid} invalid (set aside at extraction)",
                report.n_valid_identifiers
            );
            for (reason, n) in report.invalid_identifiers.iter().filter(|(_, n)| **n > 0) {
                println!("  {reason}: {n}");
            }
        }
        Command::Apply(ApplyCmd::Create { file }) => {
            let text = read_input(&Some(file.clone()))?;
            let id = app.create_application(&actor(&cli)?, &text).await?;
            println!("{id}");
            eprintln!("saved draft {id}; submit it with `hdab apply submit {id}`");
        }
        Command::Apply(ApplyCmd::Submit { id }) => {
            let (state, _) = app
                .case_command(
                    &actor(&cli)?,
                    id,
                    CaseCommand::Submit,
                    "",
                    CaseOptions::default(),
                )
                .await?;
            println!("{id}: {state}");
        }
        Command::Apply(ApplyCmd::Update { id, file }) => {
            let text = read_input(&Some(file.clone()))?;
            app.update_application(&actor(&cli)?, id, &text).await?;
            println!("{id}: content updated");
        }
        Command::Apply(ApplyCmd::Withdraw { id, reason }) => {
            let (state, _) = app
                .case_command(
                    &actor(&cli)?,
                    id,
                    CaseCommand::Withdraw,
                    reason,
                    CaseOptions::default(),
                )
                .await?;
            println!("{id}: {state}");
        }
        Command::Apply(ApplyCmd::Show { id }) => {
            let (a, d) = app.show_application(&actor(&cli)?, id).await?;
            println!(
                "{} — {} ({}, {})",
                a.id, a.content.title, a.content.organisation, a.applicant
            );
            println!("  state: {}", hdab_permits::state_of(&a.events));
            println!("  deadline: {}", describe_deadline(&d));
            for e in &a.events {
                println!(
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
        }
        Command::Case(CaseCmd::Queue) => {
            let rows = app.queue(&actor(&cli)?).await?;
            println!(
                "{:<12} {:<13} {:<10} {:>9}  {:<24} title",
                "case", "state", "officer", "days left", "organisation"
            );
            for r in rows {
                let days = match (r.deadline.days_left, r.deadline.paused) {
                    (_, true) => "paused".to_string(),
                    (Some(d), _) => d.to_string(),
                    (None, _) => "-".to_string(),
                };
                println!(
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
        Command::Case(cmd) => {
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
                            ..CaseOptions::default()
                        },
                    )
                }
                CaseCmd::Reject { id, reason } => {
                    (id, CaseCommand::Reject, reason, CaseOptions::default())
                }
                CaseCmd::Queue => return Ok(()), // handled by its own arm above
            };
            let (state, permit) = app
                .case_command(&actor(&cli)?, id, command, comment, options)
                .await?;
            match permit {
                Some(p) => println!("{id}: {state}; permit {p}"),
                None => println!("{id}: {state}"),
            }
        }
        Command::Permit(PermitCmd::Revoke { id, reason }) => {
            app.revoke_permit(&actor(&cli)?, id, reason).await?;
            println!("{id}: revoked");
        }
        Command::Permit(PermitCmd::Amend {
            id,
            reason,
            add,
            remove,
        }) => {
            let users = app
                .amend_permit(&actor(&cli)?, id, reason, add, remove)
                .await?;
            println!("{id}: SPE users now {}", users.join(", "));
        }
        Command::Request(RequestCmd::Submit { file }) => {
            let text = read_input(&Some(file.clone()))?;
            let id = app.submit_data_request(&actor(&cli)?, &text).await?;
            println!("{id}");
        }
        Command::Request(RequestCmd::Answer { id }) => {
            let table = app.answer_data_request(&actor(&cli)?, id).await?;
            print_table(&table);
        }
        Command::Request(RequestCmd::Show { id, csv }) => {
            let (content, table) = app.show_data_request(&actor(&cli)?, id).await?;
            match table {
                None => println!("{id} ({}): not answered yet", content.title),
                Some(t) if *csv => print!("{}", t.to_csv()),
                Some(t) => {
                    println!("{id}: {}", content.title);
                    print_table(&t);
                }
            }
        }
        Command::Register { json } => {
            let entries = app.public_register().await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else {
                for e in entries {
                    println!(
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
                            println!("    {d}d on {}: {reasons}", at.format("%Y-%m-%d"))
                        }
                        None => println!("    {}", e.state),
                    }
                }
            }
        }
        Command::Extract {
            permit,
            compression,
        } => {
            eprintln!("extracting permit {permit} …");
            app.recover_deliveries().await?;
            let progress = std::sync::Arc::new(hdab_app::Progress::default());
            let display = progress_bar(progress.clone());
            let result = app
                .extract_with_progress(&actor(&cli)?, permit, compression.into(), Some(&progress))
                .await;
            if let Some((done, handle)) = display {
                done.store(true, std::sync::atomic::Ordering::Relaxed);
                let _ = handle.join();
            }
            let deliveries = result?;
            print_deliveries(&deliveries);
        }
        Command::Optout(OptoutCmd::Status { file, written_on }) => {
            let text = read_input(file)?;
            for (line, status) in app.optout_status(&actor(&cli)?, &text, *written_on).await? {
                match status {
                    Ok(true) => println!("line {line}: opted out"),
                    Ok(false) => println!("line {line}: not opted out"),
                    Err(reason) => println!("line {line}: rejected: {reason}"),
                }
            }
        }
        Command::Optout(cmd) => {
            let (file, out, written_on) = match cmd {
                OptoutCmd::Register { file, written_on } => (file, true, *written_on),
                OptoutCmd::Withdraw { file, written_on } => (file, false, *written_on),
                OptoutCmd::Status { .. } => return Ok(()), // handled by its own arm above
            };
            let text = read_input(file)?;
            let (changed, unchanged, rejected) = app
                .optout_lines(&actor(&cli)?, &text, out, written_on)
                .await?;
            println!(
                "{} {changed}, already so {unchanged}, rejected {}",
                if out { "opted out" } else { "opted back in" },
                rejected.len()
            );
            for (line, reason) in rejected {
                println!("  line {line}: {reason}");
            }
        }
        Command::Audit(AuditCmd::Show) => {
            for e in app.audit_entries(&actor(&cli)?).await? {
                println!(
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
            Ok(r) => println!(
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
            println!("{}", serde_json::to_string_pretty(&c)?);
        }
        Command::Keys(KeysCmd::Init) | Command::Keys(KeysCmd::New) => {
            let init = matches!(cli.command, Command::Keys(KeysCmd::Init));
            let key_id = app.keys_add(cli.acting_user.as_deref(), init).await?;
            println!(
                "master key {key_id} {} {} (mode 600). Back the file up: without it no pseudonym can be reproduced.",
                if init { "created in" } else { "added to" },
                app.settings.key_file.display()
            );
        }
        Command::Keys(KeysCmd::Rotate { reason }) => {
            let permits = app.keys_rotate(&actor(&cli)?, reason).await?;
            println!(
                "{} permit(s) moved to their next key version; extract them again:",
                permits.len()
            );
            for p in permits {
                println!("  hdab extract {p}");
            }
        }
        Command::Permit(PermitCmd::Show { id }) => {
            let s = app.permit_status(&actor(&cli)?, id).await?;
            let p = &s.permit;
            println!(
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
            println!(
                "  spec digest {}, key {} version {}",
                p.spec_digest, p.key_id, p.key_version
            );
            println!("  SPE users: {}", p.spe_users.join(", "));
            for d in &s.datasets {
                let delivered = match (d.delivered_key_version, d.delivered_registry_seq) {
                    (Some(k), Some(r)) => {
                        format!("delivered with key version {k}, opt-out registry {r}")
                    }
                    _ => "not delivered yet".to_string(),
                };
                println!(
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
        Command::Demo { .. }
        | Command::InternalCheckUpload { .. }
        | Command::Synth { .. }
        | Command::Scan { .. }
        | Command::Catalog(CatalogCmd::Profile { .. }) => {}
    }
    Ok(())
}

/// A progress bar on stderr for interactive runs (rows and bytes, rate, ETA); nothing when
/// stderr is not a terminal or CI is set, so logs stay clean.
fn progress_bar(
    p: std::sync::Arc<hdab_app::Progress>,
) -> Option<(
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    std::thread::JoinHandle<()>,
)> {
    use std::sync::atomic::Ordering::Relaxed;
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) || std::env::var_os("CI").is_some() {
        return None;
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = done.clone();
    let handle = std::thread::spawn(move || {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:>12} [{bar:30}] {human_pos}/{human_len} rows {per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        while !stop.load(Relaxed) {
            let (done_rows, total) = (p.rows_done.load(Relaxed), p.rows_total.load(Relaxed));
            let bytes = p.bytes_total.load(Relaxed);
            let dataset = p.dataset.lock().map(|d| d.clone()).unwrap_or_default();
            if bar.length() != Some(total) {
                bar.reset();
                bar.set_length(total);
            }
            bar.set_position(done_rows.min(total));
            let mib = |b: u64| b as f64 / (1 << 20) as f64;
            let read = (bytes * done_rows.min(total))
                .checked_div(total)
                .unwrap_or(0);
            bar.set_message(format!("{dataset} {:.0}/{:.0} MiB", mib(read), mib(bytes)));
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        bar.finish_and_clear();
    });
    Some((done, handle))
}

fn print_datasets(datasets: &[hdab_store::DatasetVersion]) {
    for d in datasets {
        println!(
            "{:<14} v{:<3} {:<18} {}",
            d.dataset_id, d.version, d.description.holder, d.description.title.en
        );
    }
}

fn print_table(t: &hdab_disclosure::ReleasedTable) {
    let dims = t.dimensions.join(" / ");
    let measure = t
        .measure
        .as_deref()
        .map(|m| format!("mean {m}"))
        .unwrap_or_default();
    println!("{dims:<24} {:>9} {:>12}  note", "persons", measure);
    for c in t
        .cells
        .iter()
        .chain(std::iter::once(&t.total_of_released_cells))
    {
        let count = c.count.map_or("·".to_string(), |n| n.to_string());
        let mean = c.mean.map_or(String::new(), |m| format!("{m:.1}"));
        println!(
            "{:<24} {count:>9} {mean:>12}  {}",
            c.key.join(" / "),
            c.reason.as_deref().unwrap_or_default()
        );
    }
    println!(
        "suppressed: {} below {} persons, {} dominated, {} to protect others",
        t.n_suppressed(hdab_disclosure::Rule::MinimumCount),
        t.rules.min_count,
        t.n_suppressed(hdab_disclosure::Rule::Dominance),
        t.n_suppressed(hdab_disclosure::Rule::Secondary)
    );
}

fn describe_deadline(d: &hdab_permits::Deadline) -> String {
    let Some(due) = d.due else {
        return "not started (draft)".into();
    };
    let mut s = format!("decision due {}", due.format("%Y-%m-%d"));
    if d.extended {
        s.push_str(" (extended)");
    }
    if d.paused {
        s.push_str(", clock paused while the applicant completes the application");
    } else if let Some(days) = d.days_left {
        s.push_str(&format!(", {days} day(s) left"));
    }
    if d.overdue {
        s.push_str(", OVERDUE");
    }
    s
}

pub(crate) fn print_deliveries(deliveries: &[hdab_app::Delivery]) {
    println!(
        "{:<12} {:>8} {:>10} {:>15} {:>10} {:>19}",
        "dataset", "rows in", "delivered", "outside cohort", "opted out", "invalid identifier"
    );
    for d in deliveries {
        let r = &d.manifest.rows;
        println!(
            "{:<12} {:>8} {:>10} {:>15} {:>10} {:>19}",
            d.dataset_id,
            r.rows_in,
            r.delivered,
            r.outside_cohort,
            r.opted_out,
            r.invalid_identifier
        );
    }
    for d in deliveries {
        println!(
            "{}: {} file(s) and manifest.json in {}",
            d.dataset_id,
            d.manifest.files.len(),
            d.folder.display()
        );
    }
}
