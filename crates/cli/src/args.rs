//! The command line, in one place. Settings merge defaults < environment < flags here.

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

mod cluster;
mod consult;
mod fees;
mod notify;
mod orders;
mod outputs;
mod report;
mod spe;
pub use cluster::ClusterCmd;
pub use consult::ConsultCmd;
pub use fees::FeeCmd;
pub use notify::{NotifyCmd, WebhookCmd};
pub use orders::OrderCmd;
pub use outputs::{Decision, FindingCmd, OutputCmd, OutputFiles, PublicationArgs};
pub use report::{ReportCmd, ReportFormat};
pub use spe::SpeCmd;

/// hdab — a health data access body in a box.
///
/// Data holders describe and upload datasets; researchers apply for access; case officers
/// decide; hdab removes opted-out people, pseudonymises under a key per permit, and delivers
/// Parquet with a manifest into the permit's secure processing environment (SPE) folder.
/// Every command acts as a named user (--as or HDAB_USER) and is recorded in a hash-chained
/// audit log.
#[derive(Debug, Parser)]
#[command(name = "hdab", version, max_term_width = 100)]
pub struct Cli {
    /// Folder for the database, uploads, key and SPE (the embedded default).
    #[arg(
        long,
        env = "HDAB_DATA_DIR",
        default_value = "hdab-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Database URL: sqlite://FILE (default: DATA_DIR/hdab.db) or postgres://…
    #[arg(long, env = "HDAB_DATABASE_URL", global = true)]
    pub database_url: Option<PathBufOrUrl>,
    /// Root of the SPE folders (default: DATA_DIR/spe).
    #[arg(long, env = "HDAB_SPE_ROOT", global = true)]
    pub spe_root: Option<PathBuf>,
    /// Master key file, readable by its owner only (default: DATA_DIR/master.key).
    /// HDAB_MASTER_KEY, if set, is used instead.
    #[arg(long, env = "HDAB_KEY_FILE", global = true)]
    pub key_file: Option<PathBuf>,
    /// The audit witness: every signed checkpoint is appended to this file too (default:
    /// DATA_DIR/witness/audit-checkpoints.jsonl; keep it on other storage in production).
    /// HDAB_WITNESS_COMMAND, if set, also receives each checkpoint on its standard input.
    #[arg(long, env = "HDAB_WITNESS_FILE", global = true)]
    pub witness_file: Option<PathBuf>,
    /// The user this command acts as.
    #[arg(long = "as", env = "HDAB_USER", global = true, value_name = "USER")]
    pub acting_user: Option<String>,
    /// Memory cap (MiB) and time cap (s) for reading an upload in its child process.
    #[arg(
        long,
        env = "HDAB_UPLOAD_MEMORY_MIB",
        default_value_t = 2048,
        global = true
    )]
    pub upload_memory_mib: u64,
    #[arg(
        long,
        env = "HDAB_UPLOAD_SECONDS",
        default_value_t = 3600,
        global = true
    )]
    pub upload_seconds: u64,
    #[command(subcommand)]
    pub command: Command,
}

pub type PathBufOrUrl = String;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole chain on the bundled synthetic data and print a summary.
    Demo {
        /// Folder for the demo's database, key, uploads and SPE (wiped if it holds an earlier demo).
        #[arg(long, default_value = "demo")]
        dir: PathBuf,
        /// Repository folder holding catalog/, sample-data/ and pipelines/ (default: found from here).
        #[arg(long)]
        source: Option<PathBuf>,
    },
    /// Users and their roles.
    #[command(subcommand)]
    Users(UsersCmd),
    /// The master key.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Dataset descriptions (data holders).
    #[command(subcommand)]
    Catalog(CatalogCmd),
    /// Upload a data file for a dataset; it is checked against the data dictionary and checksummed.
    Upload {
        /// Dataset id in the catalogue (with --order: the order's dataset).
        #[arg(long, required_unless_present = "order")]
        dataset: Option<String>,
        /// The data order this upload fulfils (it then serves that permit only).
        #[arg(long)]
        order: Option<String>,
        /// The CSV (`;` or `,`) or Parquet file.
        file: PathBuf,
        /// The date the file was extracted (YYYY-MM-DD); decides the century of 10-digit
        /// personnummer. Default: today.
        #[arg(long)]
        extract_date: Option<NaiveDate>,
    },
    /// Applications for data access (researchers).
    #[command(subcommand)]
    Apply(ApplyCmd),
    /// Case handling (case officers and decision makers).
    #[command(subcommand)]
    Case(CaseCmd),
    /// Permits.
    #[command(subcommand)]
    Permit(PermitCmd),
    /// Results out of the SPE: output requests, their checks, review and release.
    #[command(subcommand)]
    Output(OutputCmd),
    /// Significant findings about a person (EHDS Art. 61(5)).
    #[command(subcommand)]
    Finding(FindingCmd),
    /// Data requests (EHDS Art. 69): statistics only, answered with protected tables.
    #[command(subcommand)]
    Request(RequestCmd),
    /// The public register of applications received and decisions with their reasons
    /// (no login needed).
    Register {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Scan a folder (a delivery) for anything that reads as a personnummer; exits non-zero
    /// if something is found. Every delivery is scanned like this before it is committed.
    Scan { folder: PathBuf },
    /// Measure the re-identification risk of a CSV or Parquet file over its
    /// quasi-identifiers (nothing is written): k, unique records, prosecutor risk, group
    /// sizes; with --search, the generalisation k-anonymisation would choose.
    Risk {
        file: PathBuf,
        /// A quasi-identifier and how to read it: NAME=date (any register form),
        /// NAME=integer or NAME=text (repeatable).
        #[arg(long = "quasi", required = true)]
        quasi: Vec<String>,
        /// Its levels for the search, finest first: NAME=month,quarter,year;
        /// NAME=band:5:90,band:10:90; NAME=prefix:3,prefix:1; NAME=region (default: by type).
        #[arg(long = "levels")]
        levels: Vec<String>,
        /// The group size to reach.
        #[arg(long, default_value_t = 10)]
        k: u64,
        /// The most records the search may suppress, in percent.
        #[arg(long, default_value_t = 2.0)]
        max_suppressed_percent: f64,
        /// Search the lattice of generalisations for k-anonymity at the least loss.
        #[arg(long)]
        search: bool,
        #[arg(long)]
        json: bool,
    },
    /// Run the extraction of a permit into its SPE folder.
    Extract {
        permit: String,
        #[arg(long, value_enum, default_value_t = CompressionArg::Zstd)]
        compression: CompressionArg,
        /// Say where the time went, per dataset: read, identify, hash, filter, write
        /// (seconds summed over the workers) and the leak scan.
        #[arg(long)]
        timings: bool,
        /// Run each dataset's plan on the Ballista cluster whose scheduler is at ADDR
        /// (`hdab cluster scheduler`); delivery stays here. Needs a binary built with
        /// `--features cluster`.
        #[arg(long, env = "HDAB_CLUSTER", value_name = "ADDR")]
        cluster: Option<String>,
    },
    /// The extraction past one machine: a DataFusion Ballista scheduler and executors.
    #[command(subcommand)]
    Cluster(ClusterCmd),
    /// The opt-out registry. Numbers are read from a file or standard input, one a line,
    /// never from the command line (where they would show in process lists and shell history).
    #[command(subcommand)]
    Optout(OptoutCmd),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// The secure processing environment's workspaces.
    #[command(subcommand)]
    Spe(SpeCmd),
    /// Notices by e-mail and webhook: send what is due, raise what time brings, the log.
    #[command(subcommand)]
    Notify(NotifyCmd),
    /// Webhooks that receive every event, signed (administrators).
    #[command(subcommand)]
    Webhook(WebhookCmd),
    /// Data orders: what each permit needs of each holder, due in three months.
    #[command(subcommand)]
    Order(OrderCmd),
    /// Fees: the schedule, a case's estimate and its acceptance, the invoice.
    #[command(subcommand)]
    Fee(FeeCmd),
    /// Consultations: opinions asked on a case before its decision.
    #[command(subcommand)]
    Consult(ConsultCmd),
    /// Reports: the activity report (EHDS Art. 59).
    #[command(subcommand)]
    Report(ReportCmd),
    /// Serve the HTTP API (OpenAPI at /api/openapi.json) and the web pages.
    Serve {
        /// Address to listen on; port 0 picks a free port (printed on start).
        #[arg(long, env = "HDAB_LISTEN", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// The largest upload accepted over HTTP, in MiB.
        #[arg(long, default_value_t = 65536)]
        max_upload_mib: u64,
        /// Sign a checkpoint of the audit log's head at least this often (seconds), so no
        /// entry stays uncovered for long.
        #[arg(long, env = "HDAB_CHECKPOINT_EVERY", default_value_t = 300)]
        checkpoint_every: u64,
    },
    /// Create an installation: the data folder, its database and the master key file.
    Init,
    /// (Internal) Check one upload against a description and print the outcome as JSON;
    /// run by hdab itself in a child process under memory and time caps.
    #[command(hide = true)]
    InternalCheckUpload {
        description: PathBuf,
        file: PathBuf,
        reference: NaiveDate,
    },
    /// Generate synthetic registers of any size (for benchmarks and tests).
    Synth {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2000)]
        persons: u64,
        #[arg(long, default_value_t = 20_291_001)]
        seed: u64,
        /// Mean in-patient stays per person.
        #[arg(long, default_value_t = 2.0)]
        inpatient_per_person: f64,
        /// Write only these registers (slutenvard, lakemedel, dodsorsak, optouts,
        /// befolkning); all by default.
        #[arg(long)]
        only: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCmd {
    /// Add a user (the first user must be an admin; later ones are added by an admin).
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "org")]
        organisation: String,
        /// admin, data_holder, applicant, case_officer, decision_maker, optout_registrar
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Change a user's profile: the accounts that identify them (an administrator's), and
    /// their e-mail, language and notices (their own or an administrator's).
    Set {
        #[arg(long)]
        id: String,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Show a user's profile (accounts that identify them, e-mail, language, notices).
    Show {
        #[arg(long)]
        id: String,
    },
    /// Set a user's password for the web pages (an admin for anyone, a user for themselves).
    /// The password is read from standard input, never from the command line.
    Password {
        #[arg(long)]
        id: String,
    },
    /// Create an API token for the acting user (printed once).
    Token {
        /// Which system will use the token.
        #[arg(long)]
        label: String,
    },
}

/// How a user is identified and told things.
#[derive(Debug, clap::Args, Default)]
pub struct ProfileArgs {
    /// The operating-system account that acts as this user on the command line outside the
    /// embedded default (empty text: none).
    #[arg(long)]
    pub os_user: Option<String>,
    /// The identity provider's subject (or the configured claim's value) that signs in as
    /// this user.
    #[arg(long)]
    pub subject: Option<String>,
    /// Where notices go.
    #[arg(long)]
    pub email: Option<String>,
    /// sv (the default) or en: pages after sign-in, notices.
    #[arg(long)]
    pub language: Option<String>,
    /// email or none.
    #[arg(long)]
    pub notify: Option<String>,
}

impl ProfileArgs {
    pub fn change(&self) -> Option<hdab_app::ProfileChange> {
        let c = hdab_app::ProfileChange {
            os_user: self.os_user.clone(),
            idp_subject: self.subject.clone(),
            email: self.email.clone(),
            language: self.language.clone(),
            notify: self.notify.clone(),
        };
        [&c.os_user, &c.idp_subject, &c.email, &c.language, &c.notify]
            .iter()
            .any(|v| v.is_some())
            .then_some(c)
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Create the master key file with one key (refuses to overwrite one).
    Init,
    /// Add a new master key; permits granted from now on use it, older permits keep theirs.
    New,
    /// After a suspected leak: move every live permit to its next key version, so their
    /// next extracts get new pseudonyms; `hdab permit show` marks them for re-delivery.
    Rotate {
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RequestCmd {
    /// Ask for statistics (see pipelines/demo-data-request.toml).
    Submit { file: PathBuf },
    /// Approve or refuse a data request, with reasons (decision makers); the register
    /// publishes it. A request is answered only once approved.
    Decide {
        id: String,
        #[arg(long, conflicts_with = "refuse", required_unless_present = "refuse")]
        approve: bool,
        #[arg(long)]
        refuse: bool,
        #[arg(long)]
        reason: String,
    },
    /// Compute the protected table of an approved request (case officers).
    Answer { id: String },
    /// Show the protected table.
    Show {
        id: String,
        /// Print CSV (with the reason for every suppressed cell) instead of a table.
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PermitCmd {
    /// A permit, its deliveries and whether any must be delivered again.
    Show { id: String },
    /// Revoke a permit (decision makers); it can no longer be extracted.
    Revoke {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Add or remove people with SPE access (decision makers). The data never changes by
    /// amendment: that needs a new application.
    Amend {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long = "add-user")]
        add: Vec<String>,
        #[arg(long = "remove-user")]
        remove: Vec<String>,
    },
    /// Record a publication of the permit's results (its SPE users).
    Publication(PublicationArgs),
    /// Permits more than 18 months past their end without a recorded publication.
    OverduePublications {
        /// Count from this day (default: today).
        #[arg(long)]
        today: Option<NaiveDate>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogCmd {
    /// Register a dataset description (a TOML file like those in catalog/); a changed
    /// description becomes a new version.
    Register {
        file: PathBuf,
        /// Check the description against a data file too, listing every problem at once.
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// List the catalogue.
    List,
    /// Search and browse: every filter given must match.
    Search {
        /// Words in title, description, keywords or variables.
        #[arg(long)]
        text: Option<String>,
        /// EHDS health category, e.g. medical-and-mortality-registers.
        #[arg(long)]
        category: Option<String>,
        /// Data holder's organisation id.
        #[arg(long)]
        holder: Option<String>,
        /// Coding system, e.g. ICD-10-SE, ATC, KVÅ.
        #[arg(long)]
        coding_system: Option<String>,
    },
    /// Show a description (the current version, or --version N).
    Show {
        id: String,
        #[arg(long)]
        version: Option<i64>,
    },
    /// Every version of a description, with who registered it and when.
    Versions { id: String },
    /// What changed between two versions.
    Diff { id: String, from: i64, to: i64 },
    /// Confirm that a description is still correct (required at least once a year).
    Confirm { id: String },
    /// Descriptions not confirmed for 12 months, by holder.
    Overdue {
        /// As of this date (default today).
        #[arg(long)]
        as_of: Option<NaiveDate>,
    },
    /// Profile a data file (CSV or Parquet) and draft its description: variables, types,
    /// code systems, counts, coverage, completeness and quality annotations.
    Profile {
        file: PathBuf,
        /// The date the file was extracted (default today).
        #[arg(long)]
        extract_date: Option<NaiveDate>,
        /// Dataset id for the draft (default: the file name).
        #[arg(long)]
        id: Option<String>,
        /// Holder organisation id for the draft.
        #[arg(long, default_value = "todo-holder")]
        holder: String,
        /// Write the draft description (TOML) here.
        #[arg(long)]
        draft: Option<PathBuf>,
        /// Write an HTML report with charts here.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Print the profile as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export the catalogue (or one dataset) as DCAT-AP / HealthDCAT-AP RDF.
    Export {
        #[arg(long, conflicts_with = "page")]
        dataset: Option<String>,
        /// One page, as HealthData@EU's harvester reads it (GET /api/v1/catalog/harvest):
        /// Hydra paging, from 1.
        #[arg(long)]
        page: Option<usize>,
        /// Datasets a page (with --page).
        #[arg(long, default_value_t = 100)]
        per_page: usize,
        #[arg(long, value_enum, default_value_t = RdfFormat::Turtle)]
        format: RdfFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RdfFormat {
    Turtle,
    Jsonld,
}

#[derive(Debug, Subcommand)]
pub enum ApplyCmd {
    /// Save a draft application from a TOML file (see pipelines/demo-application.toml).
    Create { file: PathBuf },
    /// Submit a draft; every missing item is listed at once.
    Submit { id: String },
    /// Replace a draft's (or returned application's) content and keep working on it.
    Update { id: String, file: PathBuf },
    /// Withdraw an application before the decision.
    Withdraw {
        id: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Show an application and its history.
    Show { id: String },
    /// Attach a document (PDF: the ethics decision, the research plan) to a draft or a
    /// returned application.
    Attach {
        id: String,
        file: PathBuf,
        /// ethics_decision, research_plan or other.
        #[arg(long)]
        kind: String,
    },
    /// The documents attached to an application.
    Attachments { id: String },
    /// Write an attached document to a file (whoever may read the case; audited).
    OpenAttachment {
        id: String,
        attachment: String,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum CaseCmd {
    /// The queue: open cases with officer, state and days left, overdue first.
    Queue,
    /// How identifying the request is, on the current uploads: per record, per person
    /// (pseudonymised), and what anonymisation would deliver (anonymised).
    Risk {
        id: String,
        /// Keep only these variables of a dataset (repeatable): `slutenvard:KON,ALDER`.
        #[arg(long = "only")]
        only: Vec<String>,
        /// Measure as anonymised data, whatever was asked.
        #[arg(long)]
        as_anonymised: bool,
        /// The preview as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Take a submitted case to prepare it.
    Take {
        id: String,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Give a case to an officer (an admin, or the officer handing it over).
    Assign {
        id: String,
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Return a case to the applicant as incomplete, saying what is missing (pauses the clock).
    Return {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Extend the decision deadline, once, with a reason.
    Extend {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Approve (decision maker; not the preparing officer, not the applicant). Creates the permit.
    Approve {
        id: String,
        #[arg(long)]
        reason: String,
        /// Approve narrower than asked: a TOML spec with fewer variables or a tighter cohort
        /// (see pipelines/demo-narrowed.toml).
        #[arg(long)]
        narrow: Option<PathBuf>,
        /// A condition attached to the permit (repeatable).
        #[arg(long = "condition")]
        conditions: Vec<String>,
        /// Months of validity if shorter than asked (at most 120).
        #[arg(long)]
        valid_months: Option<u32>,
        /// A public-interest exception to the opt-out (EHDS Art. 71(4)): the provision of law
        /// that provides it (one of HDAB_OPTOUT_EXCEPTION_BASES); needs --public-interest
        /// and --necessity.
        #[arg(long, requires_all = ["public_interest", "necessity"])]
        optout_exception: Option<String>,
        /// The important reason of public interest (with --optout-exception).
        #[arg(long, requires = "optout_exception")]
        public_interest: Option<String>,
        /// Why the purpose cannot be met without the opted-out people's data.
        #[arg(long, requires = "optout_exception")]
        necessity: Option<String>,
    },
    /// Reject, with reasons.
    Reject {
        id: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum OptoutCmd {
    /// Opt people out of secondary use (bulk import: a file with one number a line).
    Register {
        /// File of numbers, or - for standard input (default).
        #[arg(long)]
        file: Option<PathBuf>,
        /// The date the numbers were written (decides the century of 10-digit forms;
        /// default today).
        #[arg(long)]
        written_on: Option<NaiveDate>,
    },
    /// Opt people back in.
    Withdraw {
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        written_on: Option<NaiveDate>,
    },
    /// Whether each number is opted out (answers by line number, never echoing the number).
    Status {
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        written_on: Option<NaiveDate>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Print the audit log.
    Show,
    /// Verify the hash chain and every signed checkpoint (in the store and in delivery
    /// manifests); fails if an entry was edited, removed, reordered or duplicated, or the
    /// tail of the log was cut off.
    Verify,
    /// Sign a checkpoint of the log's current head (run it from cron; every extraction
    /// signs one too). Prints it as JSON for publication.
    Checkpoint,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompressionArg {
    Zstd,
    Snappy,
}

impl From<&CompressionArg> for hdab_pipeline::Compression {
    fn from(c: &CompressionArg) -> Self {
        match c {
            CompressionArg::Zstd => hdab_pipeline::Compression::Zstd,
            CompressionArg::Snappy => hdab_pipeline::Compression::Snappy,
        }
    }
}
