//! Each command group's printing, one module per group; the work is `hdab-app`'s.

pub(crate) mod admin;
pub(crate) mod cases;
pub(crate) mod catalog;
pub(crate) mod cluster;
pub(crate) mod consult;
pub(crate) mod fees;
pub(crate) mod notify;
pub(crate) mod offline;
pub(crate) mod optouts;
pub(crate) mod orders;
pub(crate) mod outputs;
pub(crate) mod permits;
pub(crate) mod report;
pub(crate) mod requests;
pub(crate) mod users;

use crate::args::{Cli, Command};
use anyhow::Result;
use hdab_app::App;

/// Runs a command on an open installation.
pub(crate) async fn run(app: &App, cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Audit(c) => admin::audit(app, cli, c).await,
        Command::Spe(c) => admin::spe(app, cli, c).await,
        Command::Notify(c) => notify::notify(app, cli, c).await,
        Command::Webhook(c) => notify::webhook(app, cli, c).await,
        Command::Order(c) => orders::order(app, cli, c).await,
        Command::Fee(c) => fees::fee(app, cli, c).await,
        Command::Consult(c) => consult::consult(app, cli, c).await,
        Command::Report(c) => report::report(app, cli, c).await,
        Command::Keys(c) => admin::keys(app, cli, c).await,
        Command::Apply(c) => cases::apply(app, cli, c).await,
        Command::Case(c) => cases::case(app, cli, c).await,
        Command::Catalog(c) => catalog::catalog(app, cli, c).await,
        Command::Upload { .. } => catalog::upload(app, cli).await,
        Command::Optout(c) => optouts::optout(app, cli, c).await,
        Command::Permit(c) => permits::permit(app, cli, c).await,
        Command::Output(c) => outputs::output(app, cli, c).await,
        Command::Finding(c) => outputs::finding(app, cli, c).await,
        Command::Register { .. } => permits::register(app, cli).await,
        Command::Extract { .. } => permits::extract(app, cli).await,
        Command::Request(c) => requests::request(app, cli, c).await,
        Command::Users(c) => users::users(app, cli, c).await,
        Command::Serve { .. } => users::serve(app, cli).await,
        Command::Init => admin::init(app, cli).await,
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
