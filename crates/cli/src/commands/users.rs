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
