//! hdab's end-to-end tests: one test target (`cargo test -p hdab --test e2e`), one module per
//! area, one shared `support` module. They drive the `hdab` binary (Cargo builds it for this
//! target) and the server, and read what was delivered back with arrow and parquet.
//!
//! Run one area with a filter: `cargo test -p hdab --test e2e -- faults::`.

// Tests may unwrap: a panic there is the assertion.
#![allow(clippy::unwrap_used)]

mod support;

mod anonymised;
mod attachments;
mod audit;
mod browser;
mod catalogue;
mod chain;
mod cli;
#[cfg(feature = "cluster")]
mod cluster;
mod consultations;
mod determinism;
mod entitlements;
mod erasure;
mod faults;
mod fees;
mod gateway;
mod holder_files;
mod hostile_uploads;
mod identity;
mod mutation_corpus;
mod notifications;
mod optout_exception;
mod optout_race;
mod orders;
mod outputs;
mod permit_workflow;
mod pg_outage;
mod pipeline_inputs;
mod population;
mod pseudonymisation;
mod roles;
mod spe_accounts;
