//! One permit's delivered tables as a read-only DataFusion session: each dataset's Parquet
//! folder is a table of its name; only queries run (no DDL, no DML, no `SET`), so nothing
//! outside the workspace can be named (`CREATE EXTERNAL TABLE`, `COPY … TO` are refused);
//! each query has a memory limit of its own.

use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::context::{SQLOptions, SessionConfig, SessionContext};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::ParquetReadOptions;
use hdab_app::Workspace;

/// Limits of one query.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of memory a query's operators may hold (sorts and joins spill or fail past it).
    pub memory_bytes: usize,
    pub partitions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 1 << 30,
            partitions: 2,
        }
    }
}

/// A session over the workspace's tables.
pub async fn session(ws: &Workspace, limits: Limits) -> Result<SessionContext, DataFusionError> {
    let mut config = SessionConfig::new()
        .with_information_schema(true)
        .with_target_partitions(limits.partitions.max(1));
    // Columns come back in the files' own types (`string`, not DataFusion's `string_view`),
    // so a query's result equals reading the files.
    config
        .options_mut()
        .execution
        .parquet
        .schema_force_view_types = false;
    // Register columns are named in capitals (`ATC`, `EDATUM`): an unquoted name means the
    // column spelled exactly so, not its lower-case form.
    config.options_mut().sql_parser.enable_ident_normalization = false;
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_limit(limits.memory_bytes, 1.0)
        .build_arc()?;
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    for (name, folder) in &ws.tables {
        let path = format!("{}/", folder.display());
        ctx.register_parquet(name.as_str(), &path, ParquetReadOptions::default())
            .await?;
    }
    Ok(ctx)
}

/// Plans `sql` as a query over the session; anything but a query is refused.
pub async fn plan(ctx: &SessionContext, sql: &str) -> Result<DataFrame, DataFusionError> {
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    ctx.sql_with_options(sql, options).await
}
