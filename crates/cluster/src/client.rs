//! The extracting host's side: a session that plans locally with the keyless functions and
//! runs every plan on the cluster.

use crate::ClusterError;
use ballista::prelude::SessionContextExt;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::SessionContext;
use hdab_pipeline::PlanEngine;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A plan engine on the cluster whose scheduler is at `scheduler`. `scratch` must be a
/// folder every executor can read at the same path (the run's broadcast tables go there);
/// `partitions` is how many parallel scans each upload is split into.
pub async fn connect(
    scheduler: SocketAddr,
    scratch: PathBuf,
    partitions: usize,
) -> Result<PlanEngine, ClusterError> {
    let config = hdab_pipeline::source::session(partitions).copied_config();
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .build();
    let ctx = SessionContext::remote_with_state(&format!("df://{scheduler}"), state).await?;
    // After the upgrade to Ballista's state, which sets its own list of functions.
    for f in hdab_pipeline::extraction_functions(None) {
        ctx.register_udf(f);
    }
    Ok(PlanEngine {
        ctx,
        scratch,
        ran_on: Some(format!("ballista cluster, scheduler {scheduler}")),
    })
}
