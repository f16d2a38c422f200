//! The extraction plan past one machine, on DataFusion Ballista: a scheduler that never
//! holds a key, executors that hold the master key file and derive each permit's key from
//! what the plan names, and a client (`hdab extract --cluster`) that plans, fetches the
//! delivered rows and writes them through the same staging, leak scan and commit as a
//! local run.
//!
//! Owns one rule: **no key crosses the cluster's network.** The scheduler and the client
//! register the extraction's functions keyless (`hdab_pipeline::extraction_functions(None)`);
//! only an executor's registry has keyed ones, and a function crosses the wire by name.
//! Ballista's gRPC and Flight traffic has no TLS or authentication of its own: addresses
//! outside loopback are refused unless the operator says the network is private
//! ([`check_address`]).

//!
//! Ballista is compiled only with the `ballista` feature (the binary's `cluster` feature);
//! without it this crate is the address rule alone.

#[cfg(feature = "ballista")]
mod client;
#[cfg(feature = "ballista")]
mod executor;
mod network;
#[cfg(feature = "ballista")]
mod scheduler;

#[cfg(feature = "ballista")]
pub use client::connect;
#[cfg(feature = "ballista")]
pub use executor::{ExecutorOptions, run_executor};
pub use network::{PRIVATE_NETWORK_ENV, check_address};
#[cfg(feature = "ballista")]
pub use scheduler::run_scheduler;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("{0}")]
    Address(String),
    #[cfg(feature = "ballista")]
    #[error("the cluster failed: {0}")]
    Ballista(#[from] ballista_core::error::BallistaError),
    #[cfg(feature = "ballista")]
    #[error("the cluster failed: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
