//! `hdab spe …`: the secure processing environment — erasure, host accounts, the gateway and
//! its log, the entitlements feed.

use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum SpeCmd {
    /// Erase every permit's data that is due: a revoked permit's after the grace period
    /// (HDAB_REVOKED_GRACE_DAYS, default 30), an expired one's after
    /// HDAB_ERASE_AFTER_EXPIRY_MONTHS (default and at most 6). Each erasure is in the audit
    /// log with every file's checksum. `hdab serve` runs it daily.
    Sweep {
        /// Erase what is due on this date (default: now).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Make this host match the permits (admins; needs root): one group per permit, one
    /// account per SPE user (named with the prefix in HDAB_SPE_ACCOUNTS); while the permit is
    /// valid its group may enter the permit's folder and use its work/ folder (the data are
    /// read through the gateway only). Prints what changed; hdab runs it itself after every
    /// permit change and delivery.
    Sync,
    /// Serve the SPE gateway: Arrow Flight SQL over each permit's delivered data, for its
    /// named SPE users only (sign in with your hdab user id and password, or an API token;
    /// a user of several permits names one in the header x-hdab-permit). Every query is
    /// logged (`hdab spe log`). From Python: `adbc_driver_flightsql.dbapi.connect(
    /// "grpc://127.0.0.1:50051", db_kwargs={"username": …, "password": …})`.
    Serve {
        /// Address to listen on; port 0 picks a free port (printed on start). Only loopback
        /// unless --behind-tls-proxy: passwords cross this connection.
        #[arg(long, default_value = "127.0.0.1:50051")]
        listen: std::net::SocketAddr,
        /// A TLS-terminating proxy in front carries the connections (allows a non-loopback
        /// address).
        #[arg(long)]
        behind_tls_proxy: bool,
        /// Memory one query may use, MiB.
        #[arg(long, default_value_t = 1024)]
        query_memory_mib: usize,
        /// Judge permits as on this date (tests).
        #[arg(long, hide = true)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Query a permit's data through the SPE gateway (a client: no installation needed).
    /// The password is read from standard input. Prints the result as tab-separated text.
    Query {
        /// The SQL query (tables are the permit's datasets).
        sql: String,
        /// The gateway's address.
        #[arg(long, default_value = "127.0.0.1:50051")]
        gateway: String,
        /// Your hdab user id.
        #[arg(long)]
        user: String,
        /// The permit whose data the query reads (needed if you are named in several).
        #[arg(long)]
        permit: Option<String>,
    },
    /// Every query of a permit's data through the gateway: who, when, the SQL, rows and
    /// bytes returned (the permit's people and case staff).
    Log {
        permit: String,
        #[arg(long)]
        json: bool,
    },
    /// The signed entitlements feed for an external SPE (SPE operators, admins): per permit,
    /// who may use its workspace and until when. HDAB_ENTITLEMENTS_COMMAND receives it after
    /// every change.
    Entitlements,
    /// Check a saved entitlements feed against the HDAB's published audit key (no
    /// installation needed) and print the feed it holds.
    VerifyEntitlements {
        file: PathBuf,
        /// The public key, base64url, as the public register publishes it (it may begin
        /// with `-`).
        #[arg(long, allow_hyphen_values = true)]
        public_key: String,
    },
}
