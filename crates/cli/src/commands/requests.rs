//! `hdab request …`: data requests for statistics (Art. 69).

use crate::args::{Cli, Command, RequestCmd};
use crate::output::print_table;
use crate::{actor, read_input};
use anyhow::Result;
use hdab_app::App;

pub(crate) async fn run(app: &App, cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Request(RequestCmd::Submit { file }) => {
            let text = read_input(&Some(file.clone()))?;
            let id = app.submit_data_request(&actor(cli)?, &text).await?;
            say!("{id}");
        }
        Command::Request(RequestCmd::Answer { id }) => {
            let table = app.answer_data_request(&actor(cli)?, id).await?;
            print_table(&table);
        }
        Command::Request(RequestCmd::Show { id, csv }) => {
            let (content, table) = app.show_data_request(&actor(cli)?, id).await?;
            match table {
                None => say!("{id} ({}): not answered yet", content.title),
                Some(t) if *csv => say_raw!("{}", t.to_csv()),
                Some(t) => {
                    say!("{id}: {}", content.title);
                    print_table(&t);
                }
            }
        }
        other => return Err(crate::commands::misrouted(other)),
    }
    Ok(())
}
