//! `hdab optout …`: the opt-out registry.

use crate::args::{Cli, OptoutCmd};
use crate::{actor, read_input};
use anyhow::Result;
use hdab_app::App;

pub(crate) async fn optout(app: &App, cli: &Cli, command: &OptoutCmd) -> Result<()> {
    match command {
        OptoutCmd::Status { file, written_on } => {
            let text = read_input(file)?;
            for (line, status) in app.optout_status(&actor(cli)?, &text, *written_on).await? {
                match status {
                    Ok(true) => say!("line {line}: opted out"),
                    Ok(false) => say!("line {line}: not opted out"),
                    Err(reason) => say!("line {line}: rejected: {reason}"),
                }
            }
        }
        cmd => {
            let (file, out, written_on) = match cmd {
                OptoutCmd::Register { file, written_on } => (file, true, *written_on),
                OptoutCmd::Withdraw { file, written_on } => (file, false, *written_on),
                OptoutCmd::Status { .. } => return Ok(()), // handled by its own arm above
            };
            let text = read_input(file)?;
            let (changed, unchanged, rejected) = app
                .optout_lines(&actor(cli)?, &text, out, written_on)
                .await?;
            say!(
                "{} {changed}, already so {unchanged}, rejected {}",
                if out { "opted out" } else { "opted back in" },
                rejected.len()
            );
            for (line, reason) in rejected {
                say!("  line {line}: {reason}");
            }
        }
    }
    Ok(())
}
