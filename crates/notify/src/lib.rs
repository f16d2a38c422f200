//! Telling people what happened: e-mail over SMTP (`lettre`) and webhooks signed with
//! HMAC-SHA-256 of the body, each notice worded in its recipient's language.
//!
//! Owns the wording and the transports; decides nothing about who is told or when (that is
//! `hdab-app`'s outbox), and never sees row values or identifiers: a notice carries ids,
//! registration numbers, titles and states.

mod email;
mod notice;
mod webhook;

pub use email::{Mailer, MailerError};
pub use notice::{Notice, NoticeKind};
pub use webhook::{SIGNATURE_HEADER, WebhookClient, WebhookError, sign};
