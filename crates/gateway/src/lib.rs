//! The SPE gateway (EHDS Art. 73): researchers read their permit's delivered data only here,
//! over Arrow Flight SQL (pyarrow, polars and DuckDB through the ADBC Flight SQL driver),
//! and every query is logged in the audit chain before its first row leaves.
//!
//! - [`auth`]: who the caller is (a password handshake giving a bearer token, or an API
//!   token), decided by `app`.
//! - [`engine`]: one permit's delivered tables as a read-only DataFusion session.
//! - [`service`]: the Flight SQL service: plan, authorise, log, stream, log the end.
//!
//! Which permit a caller may read is decided in `permits::workspace` (through `app`); the
//! gateway only carries the answer.

pub mod auth;
pub mod client;
pub mod engine;
pub mod service;

pub use client::{Client, ClientError};
pub use service::{Gateway, GatewayOptions, serve};

/// The header that names the permit a query reads (needed when its caller is named in
/// more than one valid permit).
pub const PERMIT_HEADER: &str = "x-hdab-permit";

/// The arrow the gateway speaks (for clients that print what it returns).
pub use datafusion::arrow;
