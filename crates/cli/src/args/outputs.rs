//! `hdab output …` and `hdab finding …`: results out of the SPE, and significant findings.

use chrono::NaiveDate;
use clap::{ArgGroup, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum OutputCmd {
    /// Ask for files to leave the SPE (a permit's SPE users): tables (CSV/TSV), figures
    /// (PNG/SVG/PDF), text. Each is checked at once; two output checkers then decide.
    Submit {
        permit: String,
        #[command(flatten)]
        files: OutputFiles,
        #[arg(long)]
        json: bool,
    },
    /// A new version of a returned request (the same request id; approvals start over).
    Resubmit {
        id: String,
        #[command(flatten)]
        files: OutputFiles,
    },
    /// A request: its state, files, checksums and every finding with its rule and place.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// The requests you may see (an output checker's queue first).
    List {
        #[arg(long)]
        json: bool,
    },
    /// The requester's justification of one finding (ACRO's exception request).
    Justify {
        id: String,
        /// FILE#N, N as `hdab output show` numbers the file's findings.
        #[arg(long)]
        finding: String,
        #[arg(long)]
        reason: String,
    },
    /// An output checker's decision; two approvals by different checkers are needed.
    #[command(group(ArgGroup::new("decision").required(true).args(["approve", "return_", "reject"])))]
    Review {
        id: String,
        #[arg(long)]
        approve: bool,
        #[arg(long = "return")]
        return_: bool,
        #[arg(long)]
        reject: bool,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Release an approved request into the researcher's outbox (metadata stripped,
    /// checksums in SHA256SUMS); the release enters the public register.
    Release { id: String },
    /// Run the automated checks on files without an installation (nothing is stored).
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FindingCmd {
    /// Report a significant finding about one person (a pseudonym of the permit).
    Report {
        permit: String,
        #[arg(long)]
        pseudonym: String,
        #[arg(long)]
        reason: String,
    },
    /// Approve the re-identification (a case officer and a decision maker, both needed).
    Approve(Decision),
    /// Refuse it: nothing is re-identified.
    Refuse(Decision),
    /// The findings you may see.
    List {
        #[arg(long)]
        json: bool,
    },
    /// The data holder's contact: the person behind an approved finding, in your dataset.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

/// The files of an output request and what they are.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputFiles {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// What the files are and how they were made (applies to each file unless
    /// --file-description says otherwise).
    #[arg(long)]
    pub description: String,
    /// NAME=TEXT: one file's own description (repeatable).
    #[arg(long = "file-description")]
    pub file_descriptions: Vec<String>,
}

/// A finding and the official's reason.
#[derive(Debug, Clone, clap::Args)]
pub struct Decision {
    pub id: String,
    #[arg(long)]
    pub reason: String,
}

/// `hdab permit publication` and the overdue list live with the permit commands.
#[derive(Debug, Clone, clap::Args)]
pub struct PublicationArgs {
    pub id: String,
    /// DOI, URL or citation.
    #[arg(long)]
    pub reference: String,
    #[arg(long)]
    pub date: NaiveDate,
}
