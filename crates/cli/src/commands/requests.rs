//! `hdab request …`: data requests for statistics (Art. 69).

use crate::args::{Cli, RequestCmd};
use crate::output::print_table;
use crate::{actor, read_input};
use anyhow::Result;
use hdab_app::App;

pub(crate) async fn request(app: &App, cli: &Cli, command: &RequestCmd) -> Result<()> {
    match command {
        RequestCmd::Submit { file } => {
            let text = read_input(&Some(file.clone()))?;
            let id = app.submit_data_request(&actor(cli)?, &text).await?;
            say!("{id}");
        }
        RequestCmd::Decide {
            id,
            approve,
            reason,
            ..
        } => {
            app.decide_data_request(&actor(cli)?, id, *approve, reason)
                .await?;
            say!("{id}: {}", if *approve { "approved" } else { "refused" });
        }
        RequestCmd::Answer { id } => {
            let table = app.answer_data_request(&actor(cli)?, id).await?;
            print_table(&table);
        }
        RequestCmd::Show { id, csv } => {
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
    }
    Ok(())
}
