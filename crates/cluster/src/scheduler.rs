//! `hdab cluster scheduler`: Ballista's scheduler with the extraction's functions keyless.
//! It plans every stage but runs none of them, so it never needs the key.

use crate::ClusterError;
use ballista_core::config::TaskSchedulingPolicy;
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use std::net::SocketAddr;
use std::sync::Arc;

/// Runs a scheduler on `listen` until the process ends. Executors pull their tasks from it.
pub async fn run_scheduler(listen: SocketAddr) -> Result<(), ClusterError> {
    let mut config = SchedulerConfig::default()
        .with_hostname(listen.ip().to_string())
        .with_port(listen.port())
        .with_scheduler_policy(TaskSchedulingPolicy::PullStaged)
        .with_override_session_builder(Arc::new(|config| {
            let mut state = ballista_core::utils::default_session_builder(config)?;
            for f in hdab_pipeline::extraction_functions(None) {
                datafusion::execution::FunctionRegistry::register_udf(&mut state, Arc::new(f))?;
            }
            Ok(state)
        }));
    config.bind_host = listen.ip().to_string();
    let cluster = BallistaCluster::new_from_config(&config).await?;
    tracing::info!(%listen, "cluster scheduler listening (it holds no key)");
    start_server(cluster, listen, Arc::new(config)).await?;
    Ok(())
}
