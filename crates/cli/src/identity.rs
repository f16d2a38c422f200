//! Who runs a command. On the embedded default (SQLite under the data folder) a command acts
//! as the user named with `--as` or `HDAB_USER`, taken on trust and logged as `asserted`.
//! Elsewhere (PostgreSQL, or `HDAB_CLI_IDENTITY=verified`) it acts as the operating-system
//! account running it, mapped to an hdab user (`hdab users add --os-user`, `hdab users set
//! --os-user`), or as the owner of the API token in `HDAB_TOKEN`; `--as` alone is refused
//! there, and `--as` naming someone else than the account or token is refused everywhere.

use crate::args::Cli;
use anyhow::{Result, bail};
use hdab_app::App;
use hdab_app::identity::Via;

/// Whether `--as` is taken on trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Asserted,
    Verified,
}

/// The mode of an installation: asserted on the embedded default (and in the demo), verified
/// on PostgreSQL or when `HDAB_CLI_IDENTITY=verified` (`asked`) says so.
pub(crate) fn mode(settings: &hdab_app::Settings, asked: Option<&str>) -> Result<Mode> {
    let postgres = settings.database_url.starts_with("postgres");
    let demo = settings.data_dir.join(crate::demo::MARKER).exists();
    match asked {
        Some("verified") => Ok(Mode::Verified),
        Some("asserted") if postgres && !demo => bail!(
            "HDAB_CLI_IDENTITY=asserted is for the embedded default only: on PostgreSQL a command acts as your operating-system account or with an API token (HDAB_TOKEN)"
        ),
        Some("asserted") | None | Some("") => Ok(if postgres && !demo {
            Mode::Verified
        } else {
            Mode::Asserted
        }),
        Some(other) => bail!("HDAB_CLI_IDENTITY={other}: give verified or asserted"),
    }
}

/// The name of the operating-system account running this process.
fn os_account() -> Option<String> {
    uzers::get_current_username().and_then(|n| n.into_string().ok())
}

/// The user this command acts as and how they were identified, or `None` when nothing
/// names one (commands that need nobody, or the bootstrap of an empty installation).
pub(crate) async fn identify(app: &App, cli: &Cli, mode: Mode) -> Result<Option<(String, Via)>> {
    let asserted = cli.acting_user.clone().filter(|u| !u.trim().is_empty());
    let token = std::env::var("HDAB_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    if let Some(token) = token {
        let Some(user) = app.token_user(token.trim()).await? else {
            bail!(
                "HDAB_TOKEN is unknown or revoked: create a new one with `hdab users token --label …`"
            );
        };
        return named(asserted, user.id, Via::ApiToken);
    }
    if mode == Mode::Asserted {
        return Ok(asserted.map(|u| (u, Via::Asserted)));
    }
    let account = os_account();
    let mapped = match &account {
        Some(name) => app.user_of_os_account(name).await?,
        None => None,
    };
    match (mapped, account) {
        (Some(user), Some(name)) => named(asserted, user.id, Via::OsAccount(name)),
        (_, account) => match asserted {
            Some(u) => bail!(
                "--as {u} is not accepted on this installation: hdab acts as the operating-system account running it ({}), which no hdab user is mapped to, or with an API token. Ask an administrator to run `hdab users set --id {u} --os-user {}`, or set HDAB_TOKEN to a token of yours (`hdab users token`)",
                account.as_deref().unwrap_or("unknown"),
                account.as_deref().unwrap_or("NAME"),
            ),
            None => Ok(None),
        },
    }
}

/// The identified user, unless `--as` names someone else.
fn named(asserted: Option<String>, user: String, via: Via) -> Result<Option<(String, Via)>> {
    if let Some(other) = asserted.filter(|a| *a != user) {
        bail!(
            "--as {other} is not who runs this command ({} identifies {user}); leave --as out, or run it as {other}",
            via.as_audit()
        );
    }
    Ok(Some((user, via)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_is_taken_on_trust_only_on_the_embedded_default() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let embedded = hdab_app::Settings::under(dir.path());
        assert_eq!(mode(&embedded, None).ok(), Some(Mode::Asserted));
        assert_eq!(mode(&embedded, Some("verified")).ok(), Some(Mode::Verified));
        let mut postgres = embedded.clone();
        postgres.database_url = "postgres://hdab@localhost/hdab".into();
        assert_eq!(mode(&postgres, None).ok(), Some(Mode::Verified));
        assert!(
            mode(&postgres, Some("asserted")).is_err(),
            "not on PostgreSQL"
        );
        assert!(mode(&embedded, Some("trust-me")).is_err());
        // The demo keeps --as, whatever its database.
        std::fs::write(dir.path().join(crate::demo::MARKER), "demo").unwrap_or_default();
        assert_eq!(mode(&postgres, None).ok(), Some(Mode::Asserted));
    }
}
