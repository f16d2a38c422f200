//! `hdab users …` and `hdab serve`.

use crate::actor;
use crate::args::{Cli, Command, UsersCmd};
use anyhow::{Context, Result};
use hdab_app::App;
use hdab_permits::{Role, User};

pub(crate) async fn users(app: &App, cli: &Cli, command: &UsersCmd) -> Result<()> {
    match command {
        UsersCmd::Add {
            id,
            name,
            organisation,
            roles,
            profile,
        } => {
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
            say!("added user {id}");
            if let Some(change) = profile.change() {
                // The bootstrap administrator links their own account.
                let by = cli.acting_user.clone().unwrap_or_else(|| id.clone());
                app.change_profile(&by, id, &change).await?;
                say!("{id}: profile set");
            }
        }
        UsersCmd::Set { id, profile } => {
            let change = profile.change().context(
                "say what to change: --os-user, --subject, --email, --language or --notify",
            )?;
            let p = app.change_profile(&actor(cli)?, id, &change).await?;
            print_profile(id, &p);
        }
        UsersCmd::Show { id } => {
            print_profile(id, &app.user_profile(&actor(cli)?, id).await?);
        }
        UsersCmd::Password { id } => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']);
            app.set_password(&actor(cli)?, id, password).await?;
            say!("password set for {id}; their open sessions have ended");
        }
        UsersCmd::Token { label } => {
            let token = app.create_api_token(&actor(cli)?, label).await?;
            say!("{token}");
            eprintln!("send it as `Authorization: Bearer <token>`; it is not shown again");
        }
    }
    Ok(())
}

pub(crate) async fn serve(app: &App, cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Serve {
            listen,
            max_upload_mib,
            checkpoint_every,
        } => {
            // Runs that died with the last server left staging folders: put them right first.
            app.recover_deliveries().await?;
            // No entry stays long without a signed checkpoint over it (and its witness copy).
            let every = std::time::Duration::from_secs((*checkpoint_every).max(1));
            let signer = app.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(every);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    if let Err(e) = signer.cover_head().await {
                        tracing::error!(error = %e, "signing the periodic audit checkpoint failed");
                    }
                }
            });
            // Notices: what time brings, raised hourly; what is due, sent every half minute.
            let notifier = app.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(std::time::Duration::from_secs(30));
                let mut last_sweep: Option<chrono::DateTime<chrono::Utc>> = None;
                loop {
                    ticks.tick().await;
                    let now = chrono::Utc::now();
                    if last_sweep.is_none_or(|t| now - t >= chrono::Duration::hours(1)) {
                        if let Err(e) = notifier.raise_due_notices(now).await {
                            tracing::error!(error = %e, "raising the time-based notices failed");
                        }
                        last_sweep = Some(now);
                    }
                    if let Err(e) = notifier.send_notifications(now).await {
                        tracing::error!(error = %e, "sending notices failed");
                    }
                }
            });
            // What is due for erasure goes, once a day (and at start).
            let sweeper = app.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
                loop {
                    ticks.tick().await;
                    if let Err(e) = sweeper.erase_due(None, chrono::Utc::now()).await {
                        tracing::error!(error = %e, "the daily erasure sweep failed");
                    }
                }
            });
            let mut state = hdab_server::ServerState::new(app.clone());
            state.max_upload_bytes = max_upload_mib.saturating_mul(1 << 20);
            if let Some(oidc) = crate::settings::oidc()? {
                let issuer = oidc.issuer.clone();
                let provider = hdab_server::oidc::Oidc::discover(oidc)
                    .await
                    .with_context(|| format!("the identity provider at {issuer}"))?;
                state.oidc = Some(std::sync::Arc::new(provider));
            }
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            let (addr, task) = hdab_server::serve(state, *listen, shutdown)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            say!("hdab listening on http://{addr}/ (API: http://{addr}/api/openapi.json)");
            task.await
                .context("the server task failed")?
                .context("serving")?;
        }
        other => return Err(crate::commands::misrouted(other)),
    }
    Ok(())
}

fn print_profile(id: &str, p: &hdab_store::UserProfile) {
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    say!("user        {id}");
    say!("os-user     {}", or_none(&p.os_user));
    say!("subject     {}", or_none(&p.idp_subject));
    say!("email       {}", or_none(&p.email));
    say!("language    {}", p.language);
    say!("notices     {}", p.notify);
}
