//! `hdab cluster executor`: Ballista's executor whose function registry has the keyed
//! functions, their keys derived here from the executor's own master key file.

use crate::ClusterError;
use ballista_core::config::TaskSchedulingPolicy;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use hdab_pipeline::KeySource;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// How one executor runs.
#[allow(missing_debug_implementations)]
pub struct ExecutorOptions {
    /// The scheduler to pull tasks from.
    pub scheduler: SocketAddr,
    /// Where this executor serves its results (Arrow Flight); its gRPC port is the next one.
    pub listen: SocketAddr,
    /// Tasks run at once (0: every core).
    pub concurrent_tasks: usize,
    /// Shuffle files (a temporary folder if absent).
    pub work_dir: Option<PathBuf>,
    /// The master keys (from the executor's key file or `HDAB_MASTER_KEY`).
    pub keys: Arc<dyn KeySource>,
}

/// Runs an executor until the process ends.
pub async fn run_executor(options: ExecutorOptions) -> Result<(), ClusterError> {
    let mut registry = BallistaFunctionRegistry::default();
    for f in hdab_pipeline::extraction_functions(Some(options.keys.clone())) {
        registry
            .scalar_functions
            .insert(f.name().to_string(), Arc::new(f));
    }
    let config = ExecutorProcessConfig {
        bind_host: options.listen.ip().to_string(),
        external_host: Some(options.listen.ip().to_string()),
        port: options.listen.port(),
        grpc_port: options.listen.port().saturating_add(1),
        scheduler_host: options.scheduler.ip().to_string(),
        scheduler_port: options.scheduler.port(),
        scheduler_connect_timeout_seconds: 30,
        vcores: options.concurrent_tasks,
        task_scheduling_policy: TaskSchedulingPolicy::PullStaged,
        work_dir: options
            .work_dir
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned()),
        print_thread_info: false,
        executor_heartbeat_interval_seconds: 5,
        override_function_registry: Some(Arc::new(registry)),
        ..ExecutorProcessConfig::default()
    };
    tracing::info!(listen = %options.listen, scheduler = %options.scheduler, "cluster executor starting (keys from its own key file)");
    start_executor_process(Arc::new(config)).await?;
    Ok(())
}
