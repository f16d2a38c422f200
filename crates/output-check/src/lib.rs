//! What may leave the secure processing environment: the automated checks of an output
//! request's files, and each file's form on release.
//!
//! Owns one rule: every file a researcher asks to take out is read by every check that
//! applies to it, and each finding names the rule that fired and where (row, column, cell,
//! line or byte offset) — never the value. Tables (CSV/TSV) get the statistical rules
//! used by ACRO/SACRO, Findata and SCB (`table.rs`); every file, and the text and metadata
//! inside figures and documents (`figures.rs`), is scanned for personnummer and for the
//! permit's own pseudonyms (`text.rs`). [`released_form`] strips the metadata on release.
//! The same PDF reading finds active content (scripts, actions, embedded files) in the PDFs
//! applicants attach ([`pdf_active_content`], `active.rs`).
//! Pure: bytes in, findings out; no I/O, no clock.

mod active;
mod figures;
mod kind;
mod table;
mod text;

pub use active::pdf_active_content;
pub use figures::released_form;
pub use kind::FileKind;
pub use table::Table;

use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The thresholds the rules use (settings; the defaults are ACRO's and Findata's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// A count (or a statistic's contributors) below this is disclosive.
    pub threshold: u64,
    /// p% rule: disclosive when the contributions other than the two largest are less than
    /// this share of the largest.
    pub p_ratio: f64,
    /// n-k dominance: the `nk_n` largest contributors more than `nk_k` of the total.
    pub nk_n: usize,
    pub nk_k: f64,
    /// A zero cell is disclosive (everyone in a group has, or lacks, a trait).
    pub zeros_are_disclosive: bool,
    /// An aggregate with more rows than this is record-level data.
    pub max_aggregate_rows: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            threshold: 10,
            p_ratio: 0.10,
            nk_n: 2,
            nk_k: 0.90,
            zeros_are_disclosive: true,
            max_aggregate_rows: 1000,
        }
    }
}

/// A rule that can fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A count, or a statistic's contributors, below the threshold.
    Threshold,
    /// A zero count.
    Zero,
    /// n-k dominance of a magnitude cell.
    Dominance,
    /// The p% rule of a magnitude cell.
    PRatio,
    /// A hidden or small cell recoverable by subtraction (from totals, or against an
    /// earlier release of the same permit).
    Differencing,
    /// A statistic (mean, ratio, sum, …) without its contributor counts.
    MissingContributors,
    /// Something that reads as a personnummer or samordningsnummer.
    PersonId,
    /// A pseudonym of this permit: a linkage key must not leave.
    Pseudonym,
    /// Row-level data rather than an aggregate.
    RecordLevel,
    /// Not a file type output checking accepts, or not readable as its type.
    Unreadable,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Threshold => "threshold",
            Rule::Zero => "zero",
            Rule::Dominance => "dominance",
            Rule::PRatio => "p_ratio",
            Rule::Differencing => "differencing",
            Rule::MissingContributors => "missing_contributors",
            Rule::PersonId => "person_id",
            Rule::Pseudonym => "pseudonym",
            Rule::RecordLevel => "record_level",
            Rule::Unreadable => "unreadable",
        }
    }

    /// Findings of these rules never leave, whatever the justification.
    pub fn blocks(self) -> bool {
        matches!(
            self,
            Rule::PersonId | Rule::Pseudonym | Rule::RecordLevel | Rule::Unreadable
        )
    }

    /// Disclosive (the file fails) rather than in need of a justification.
    pub fn disclosive(self) -> bool {
        !matches!(self, Rule::MissingContributors)
    }
}

/// Where in a file a rule fired.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "at")]
pub enum Place {
    /// A table's cell: the data row (1 = the first under the header), the row's labels
    /// joined by " / ", and the column's header.
    Cell {
        row: usize,
        row_label: String,
        column: String,
    },
    /// A whole column of a table.
    Column { column: String },
    /// A line of text (1-based) and the byte offset where it starts.
    Line { line: usize, offset: usize },
    /// Text inside a figure or document: where it was (a PNG chunk, a PDF stream, an SVG
    /// element), and its byte offset in the file.
    Embedded { part: String, offset: usize },
    /// The file as a whole.
    File,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Cell {
                row,
                row_label,
                column,
            } => write!(f, "row {row} ({row_label}), column {column}"),
            Place::Column { column } => write!(f, "column {column}"),
            Place::Line { line, offset } => write!(f, "line {line} (byte {offset})"),
            Place::Embedded { part, offset } => write!(f, "{part} at byte {offset}"),
            Place::File => f.write_str("the whole file"),
        }
    }
}

/// One rule that fired, where, and why in words (never the value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: Rule,
    pub place: Place,
    pub why: String,
}

/// A file's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    /// Nothing disclosive was found, but something could not be checked; the researcher
    /// says why it is safe.
    NeedsJustification,
    Fail,
}

/// What the checks said of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileCheck {
    pub kind: FileKind,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// The metadata the release strips (PNG text chunks, PDF document information, SVG
    /// metadata and comments), by name.
    pub metadata: Vec<String>,
}

/// What the checks of one file compare against.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    pub rules: Rules,
    /// Every pseudonym delivered under the permit.
    pub pseudonyms: Option<&'a HashSet<String>>,
    /// Tables released earlier under the same permit: (a name for the finding, the table).
    pub earlier: Vec<(String, Table)>,
}

/// Runs every check that applies to a file called `name`.
pub fn check_file(name: &str, bytes: &[u8], context: &Context<'_>) -> FileCheck {
    let kind = FileKind::of(name, bytes);
    let mut findings = Vec::new();
    let mut metadata = Vec::new();
    // The name leaves with the file.
    text::scan_str(
        name,
        context,
        &|_| Place::Embedded {
            part: "the file name".into(),
            offset: 0,
        },
        &mut findings,
    );
    match kind {
        FileKind::Table => match Table::parse(name, bytes) {
            Ok(table) => {
                findings.extend(table::check(&table, context));
                text::scan_table(&table, context, &mut findings);
            }
            Err(why) => findings.push(Finding {
                rule: Rule::Unreadable,
                place: Place::File,
                why,
            }),
        },
        FileKind::Text => text::scan_text(bytes, context, &mut findings),
        FileKind::Png | FileKind::Svg | FileKind::Pdf => {
            figures::check(kind, bytes, context, &mut findings, &mut metadata)
        }
        FileKind::Other => findings.push(Finding {
            rule: Rule::Unreadable,
            place: Place::File,
            why: "output checking accepts tables (CSV, TSV), text, PNG, SVG and PDF; convert the file to one of them".into(),
        }),
    }
    FileCheck {
        kind,
        verdict: verdict(&findings),
        findings,
        metadata,
    }
}

fn verdict(findings: &[Finding]) -> Verdict {
    if findings.iter().any(|f| f.rule.disclosive()) {
        Verdict::Fail
    } else if findings.is_empty() {
        Verdict::Pass
    } else {
        Verdict::NeedsJustification
    }
}

#[cfg(test)]
mod tests;
