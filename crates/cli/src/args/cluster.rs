//! `hdab cluster …`: the extraction past one machine, on DataFusion Ballista.

use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ClusterCmd {
    /// Run the cluster's scheduler. It plans each extraction's stages and hands them to
    /// executors; it never holds a key (start it without a key file).
    Scheduler {
        /// Address to listen on (outside loopback only with HDAB_CLUSTER_PRIVATE_NETWORK=1).
        #[arg(long, default_value = "127.0.0.1:50050")]
        listen: String,
    },
    /// Run an executor. It pulls tasks from the scheduler and derives each permit's key
    /// from its own master key file (--key-file or HDAB_MASTER_KEY), as `hdab extract` does.
    Executor {
        /// The scheduler's address.
        #[arg(long, default_value = "127.0.0.1:50050")]
        scheduler: String,
        /// Address for its results (Arrow Flight); the next port is its gRPC port.
        #[arg(long, default_value = "127.0.0.1:50051")]
        listen: String,
        /// Tasks run at once (0: one per core).
        #[arg(long, default_value_t = 0)]
        concurrent_tasks: usize,
        /// Folder for shuffle files (a temporary folder if absent).
        #[arg(long)]
        work_dir: Option<PathBuf>,
    },
}
