//! `hdab consult …`.

use crate::actor;
use crate::args::{Cli, ConsultCmd};
use anyhow::Result;
use hdab_app::App;
use hdab_permits::consultations::{ConsultationChange, ConsultationKind};

pub(crate) async fn consult(app: &App, cli: &Cli, command: &ConsultCmd) -> Result<()> {
    match command {
        ConsultCmd::Ask {
            application,
            kind,
            to,
            question,
            due,
        } => {
            let kind = ConsultationKind::parse(kind).ok_or_else(|| {
                anyhow::anyhow!("--kind {kind}: give legal, ethics, data_holder or other_hdab")
            })?;
            let id = app
                .ask_consultation(&actor(cli)?, application, kind, to, question, *due)
                .await?;
            say!("{id}");
        }
        ConsultCmd::Answer { id, answer } => {
            app.settle_consultation(
                &actor(cli)?,
                id,
                ConsultationChange::Answered {
                    answer: answer.clone(),
                },
            )
            .await?;
            say!("{id}: answer recorded");
        }
        ConsultCmd::Close { id, reason } => {
            app.settle_consultation(
                &actor(cli)?,
                id,
                ConsultationChange::Closed {
                    reason: reason.clone(),
                },
            )
            .await?;
            say!("{id}: closed");
        }
        ConsultCmd::List { application } => {
            for v in app.consultations(&actor(cli)?, application).await? {
                let c = &v.consultation;
                say!(
                    "{} {} to {}: {} (due {}){} — {}",
                    c.id,
                    c.kind.as_str(),
                    c.addressee,
                    v.state.as_str(),
                    c.due_on,
                    if v.late { ", LATE" } else { "" },
                    c.question
                );
                for e in &v.events {
                    let what = match &e.change {
                        ConsultationChange::Answered { answer } => format!("answered: {answer}"),
                        ConsultationChange::Closed { reason } => format!("closed: {reason}"),
                    };
                    say!("    {} {}: {what}", e.at.format("%Y-%m-%d %H:%M"), e.actor);
                }
            }
        }
    }
    Ok(())
}
