//! `hdab report …`: what the HDAB reports.

use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// The activity report (EHDS Art. 59) for a period: applications received and decided,
    /// times to decision against the deadlines, refusals by ground, data orders and their
    /// lateness, deliveries, releases from the SPE, opt-outs (counts only), fees.
    Activity {
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        from: NaiveDate,
        /// Last day (YYYY-MM-DD), included.
        #[arg(long)]
        to: NaiveDate,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Text,
    Csv,
    /// A page with charts (SVG), in the language of HDAB_LANG.
    Html,
    Json,
}
