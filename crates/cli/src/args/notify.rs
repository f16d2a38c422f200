//! `hdab notify …` and `hdab webhook …`: telling people what happened.

use chrono::{DateTime, Utc};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum NotifyCmd {
    /// Send the notices that are due (e-mail and webhooks; `hdab serve` does this every
    /// half minute).
    Send {
        /// Act as if it were this time (RFC 3339), to test retries.
        #[arg(long, hide = true)]
        now: Option<DateTime<Utc>>,
    },
    /// Raise the notices that time brings (the delay notice, a deadline nearing, a
    /// description's yearly confirmation due or overdue), each once (`hdab serve` does this
    /// every hour).
    Sweep {
        /// Act as if it were this time (RFC 3339).
        #[arg(long, hide = true)]
        now: Option<DateTime<Utc>>,
    },
    /// The latest notices and every attempt to send them (administrators).
    Log {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhookCmd {
    /// Send every event to URL, signed (x-hdab-signature: sha256=HMAC-SHA-256 of the body);
    /// prints the signing secret once.
    Add {
        #[arg(long)]
        url: String,
    },
    /// The webhooks in use.
    List,
    /// Stop sending to a webhook.
    Remove { id: String },
}
