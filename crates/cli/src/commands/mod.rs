//! Each command group's printing, one module per group; the work is `hdab-app`'s.

pub(crate) mod admin;
pub(crate) mod cases;
pub(crate) mod catalog;
pub(crate) mod offline;
pub(crate) mod optouts;
pub(crate) mod permits;
pub(crate) mod requests;
pub(crate) mod users;

use crate::args::{Cli, Command};
use anyhow::Result;
use hdab_app::App;

/// Runs a command on an open installation.
pub(crate) async fn run(app: &App, cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Users(_) | Command::Serve { .. } => users::run(app, cli).await,
        Command::Catalog(_) | Command::Upload { .. } => catalog::run(app, cli).await,
        Command::Apply(_) | Command::Case(_) => cases::run(app, cli).await,
        Command::Permit(_) | Command::Register { .. } | Command::Extract { .. } => {
            permits::run(app, cli).await
        }
        Command::Request(_) => requests::run(app, cli).await,
        Command::Optout(_) => optouts::run(app, cli).await,
        Command::Audit(_) | Command::Keys(_) => admin::run(app, cli).await,
        other => Err(misrouted(other)),
    }
}

/// A command that reached a group that does not run it: a defect of this binary, reported
/// as an error rather than a panic.
pub(crate) fn misrouted(command: &Command) -> anyhow::Error {
    anyhow::anyhow!(
        "internal error: `{command:?}` reached the wrong command group; please report it"
    )
}
