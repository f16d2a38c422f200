//! `hdab consult …`: opinions asked on a case before its decision.

use chrono::NaiveDate;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ConsultCmd {
    /// Ask for an opinion on a case, due on a date (case officers). The decision deadline
    /// runs on; the case is not decided while it is open.
    Ask {
        application: String,
        /// legal, ethics, data_holder or other_hdab.
        #[arg(long)]
        kind: String,
        /// Whom it is for (a unit, a board, the holder's organisation id, an HDAB).
        #[arg(long)]
        to: String,
        #[arg(long)]
        question: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        due: NaiveDate,
    },
    /// Record the answer (case officers; a holder's own users when the holder is asked).
    Answer {
        id: String,
        #[arg(long)]
        answer: String,
    },
    /// Close it without an answer, with the reason (case officers).
    Close {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// A case's consultations and their answers.
    List { application: String },
}
