//! `hdab order …`: the data a permit needs, ordered from its holders.

use chrono::NaiveDate;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum OrderCmd {
    /// Data orders: a holder's own, every one for the HDAB's staff.
    List {
        /// Of one permit.
        #[arg(long)]
        permit: Option<String>,
        /// Only those past their due date.
        #[arg(long)]
        overdue: bool,
        /// As if today were this day (YYYY-MM-DD).
        #[arg(long)]
        today: Option<NaiveDate>,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// One order: what it covers, when it is due, its history.
    Show {
        id: String,
        /// As if today were this day (YYYY-MM-DD).
        #[arg(long)]
        today: Option<NaiveDate>,
    },
    /// Give the holder more time: once, 1 to 3 months, with a reason (case officers).
    Extend {
        id: String,
        #[arg(long)]
        months: u32,
        #[arg(long)]
        reason: String,
    },
}
