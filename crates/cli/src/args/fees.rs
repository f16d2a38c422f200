//! `hdab fee …`: fees (EHDS Art. 62).

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum FeeCmd {
    /// The fee schedule in force (settings HDAB_FEE_*), or that no fees are charged.
    Schedule,
    /// Estimate a case's fees before the decision (case officers); the applicant then
    /// accepts or withdraws, and the decision waits for acceptance.
    Estimate {
        application: String,
        /// Hours of the HDAB's work.
        #[arg(long)]
        hours: u64,
        /// A holder's stated cost, HOLDER=SEK (repeatable).
        #[arg(long = "holder-cost", value_parser = holder_cost)]
        holder_costs: Vec<(String, u64)>,
        /// Months of SPE (default: the months the application asks for).
        #[arg(long)]
        spe_months: Option<u64>,
    },
    /// Accept the fee estimate of your application (the applicant).
    Accept { application: String },
    /// A case's estimate, acceptance and invoice, with each party's share.
    Show {
        application: String,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// After delivery: the consolidated invoice, each holder's share listed (case officers).
    Invoice {
        application: String,
        /// Hours actually worked (default: as estimated).
        #[arg(long)]
        hours: Option<u64>,
    },
}

fn holder_cost(text: &str) -> Result<(String, u64), String> {
    let (holder, sek) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}': give HOLDER=SEK, such as scb=9000"))?;
    let sek = sek
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("'{text}': the cost is whole kronor, such as scb=9000"))?;
    Ok((holder.trim().to_string(), sek))
}
