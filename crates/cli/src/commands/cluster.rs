//! `hdab cluster scheduler|executor` and the engine `hdab extract --cluster` runs on. Built
//! only with the `cluster` feature; without it each says how to get it.

use crate::args::{Cli, ClusterCmd};
use anyhow::Result;
use hdab_app::App;

#[cfg(feature = "cluster")]
fn private_network() -> bool {
    std::env::var(hdab_cluster::PRIVATE_NETWORK_ENV).is_ok_and(|v| v.trim() == "1")
}

/// Runs a cluster process until it is stopped.
#[cfg(feature = "cluster")]
pub(crate) async fn run(cli: &Cli, command: &ClusterCmd) -> Result<()> {
    let private = private_network();
    match command {
        ClusterCmd::Scheduler { listen } => {
            let listen = hdab_cluster::check_address(listen, private)?;
            eprintln!("cluster scheduler on {listen} (it holds no key)");
            hdab_cluster::run_scheduler(listen).await?;
        }
        ClusterCmd::Executor {
            scheduler,
            listen,
            concurrent_tasks,
            work_dir,
        } => {
            let scheduler = hdab_cluster::check_address(scheduler, private)?;
            let listen = hdab_cluster::check_address(listen, private)?;
            let settings = crate::settings::resolve(cli)?;
            let keys = hdab_app::keyfile::load(&settings.key_file, settings.key_text.as_ref())?;
            eprintln!(
                "cluster executor on {listen}, scheduler {scheduler}, {} master key(s)",
                keys.key_ids().len()
            );
            hdab_cluster::run_executor(hdab_cluster::ExecutorOptions {
                scheduler,
                listen,
                concurrent_tasks: *concurrent_tasks,
                work_dir: work_dir.clone(),
                keys: std::sync::Arc::new(keys),
            })
            .await?;
        }
    }
    Ok(())
}

/// The plan engine on the cluster at `address`: its broadcast tables go under the data
/// folder (executors on this host read them there; on other hosts the same path must be
/// shared, or the data on object storage).
#[cfg(feature = "cluster")]
pub(crate) async fn engine(app: &App, address: &str) -> Result<hdab_pipeline::PlanEngine> {
    let scheduler = hdab_cluster::check_address(address, private_network())?;
    let scratch = app.settings.data_dir.join("cluster");
    Ok(hdab_cluster::connect(scheduler, scratch, app.settings.partitions).await?)
}

#[cfg(not(feature = "cluster"))]
const NOT_BUILT: &str = "this hdab was built without the cluster: build it with `cargo build --release -p hdab --features cluster`";

#[cfg(not(feature = "cluster"))]
pub(crate) async fn run(_cli: &Cli, _command: &ClusterCmd) -> Result<()> {
    anyhow::bail!(NOT_BUILT)
}

#[cfg(not(feature = "cluster"))]
pub(crate) async fn engine(_app: &App, _address: &str) -> Result<hdab_pipeline::PlanEngine> {
    anyhow::bail!(NOT_BUILT)
}
