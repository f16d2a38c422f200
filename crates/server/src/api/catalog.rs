//! The catalogue: search, register, export (DCAT-AP), overdue confirmations, versions and
//! diffs, confirmations, and uploads.

use super::{ApiResult, to_json};
use crate::ServerState;
use crate::auth::Caller;
use crate::error::WebError;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use futures::StreamExt;
use hdab_app::CatalogQuery;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route(
            "/api/v1/catalog",
            get(search_catalog).post(register_dataset),
        )
        .route("/api/v1/catalog/export", get(export_catalog))
        .route("/api/v1/catalog/harvest", get(harvest_catalog))
        .route("/api/v1/catalog/overdue", get(overdue))
        .route("/api/v1/catalog/{dataset_id}", get(show_dataset))
        .route(
            "/api/v1/catalog/{dataset_id}/versions",
            get(dataset_versions),
        )
        .route("/api/v1/catalog/{dataset_id}/diff", get(dataset_diff))
        .route(
            "/api/v1/catalog/{dataset_id}/confirm",
            post(confirm_dataset),
        )
        .route(
            "/api/v1/catalog/{dataset_id}/uploads",
            get(list_uploads)
                .put(upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetOut {
    dataset_id: String,
    version: i64,
    holder: String,
    title_en: String,
    title_sv: String,
    digest: String,
    registered_by: String,
    registered_at: chrono::DateTime<Utc>,
    /// The whole description (HealthDCAT-AP fields and the data dictionary).
    #[schema(value_type = Object)]
    description: Value,
}

pub(super) fn dataset_out(d: &hdab_store::DatasetVersion) -> ApiResult<DatasetOut> {
    Ok(DatasetOut {
        dataset_id: d.dataset_id.clone(),
        version: d.version,
        holder: d.description.holder.clone(),
        title_en: d.description.title.en.clone(),
        title_sv: d.description.title.sv.clone(),
        digest: d.digest.clone(),
        registered_by: d.created_by.clone(),
        registered_at: d.created_at,
        description: to_json(&d.description)?,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogParams {
    /// Words in title, description, keywords or variables.
    text: Option<String>,
    /// A HealthDCAT-AP health category.
    category: Option<String>,
    holder: Option<String>,
    /// A coding system such as ICD-10-SE or ATC.
    coding_system: Option<String>,
}

/// Searches the catalogue (public).
#[utoipa::path(get, path = "/api/v1/catalog", tag = "catalogue", params(CatalogParams),
    responses((status = 400, description = "a query parameter is malformed"), (status = 200, body = [DatasetOut])))]
pub(super) async fn search_catalog(
    State(s): State<ServerState>,
    Query(p): Query<CatalogParams>,
) -> ApiResult<Json<Vec<DatasetOut>>> {
    let q = CatalogQuery {
        text: p.text,
        category: p.category,
        holder: p.holder,
        coding_system: p.coding_system,
    };
    let found = s.app.catalog_search(&q).await?;
    Ok(Json(
        found.iter().map(dataset_out).collect::<Result<_, _>>()?,
    ))
}

/// Registers a description (TOML, as in `catalog/`), or a new version of it (data holders).
#[utoipa::path(post, path = "/api/v1/catalog", tag = "catalogue",
    request_body(content = String, content_type = "text/plain", description = "The description in TOML, as in the catalog/ folder"),
    responses((status = 201, body = DatasetOut), (status = 401), (status = 403), (status = 422)))]
pub(super) async fn register_dataset(
    State(s): State<ServerState>,
    caller: Caller,
    body: String,
) -> ApiResult<(StatusCode, Json<DatasetOut>)> {
    let v = s.app.register_dataset(caller.id()?, &body).await?;
    Ok((StatusCode::CREATED, Json(dataset_out(&v)?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `turtle` (default) or `jsonld`.
    #[param(pattern = "^(turtle|jsonld)$")]
    format: Option<String>,
    /// One dataset only.
    dataset: Option<String>,
}

/// The catalogue as DCAT-AP 3 / HealthDCAT-AP RDF (public).
#[utoipa::path(get, path = "/api/v1/catalog/export", tag = "catalogue", params(ExportParams),
    responses((status = 400, description = "a query parameter is malformed"), (status = 200, description = "Turtle, or JSON-LD with format=jsonld", content((String = "text/turtle"), (Vec<serde_json::Value> = "application/ld+json"))), (status = 404), (status = 422)))]
pub(super) async fn export_catalog(
    State(s): State<ServerState>,
    Query(p): Query<ExportParams>,
) -> ApiResult<Response> {
    let jsonld = is_jsonld(p.format.as_deref())?;
    let text = s.app.catalog_export(p.dataset.as_deref(), jsonld).await?;
    Ok(rdf_response(text, jsonld))
}

/// `turtle` (the default) or `jsonld`; anything else is refused.
fn is_jsonld(format: Option<&str>) -> Result<bool, WebError> {
    match format {
        None | Some("turtle") => Ok(false),
        Some("jsonld") => Ok(true),
        Some(other) => Err(WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("format '{other}': use turtle or jsonld"),
        )),
    }
}

fn rdf_response(text: String, jsonld: bool) -> Response {
    let ct = if jsonld {
        "application/ld+json"
    } else {
        "text/turtle"
    };
    ([(header::CONTENT_TYPE, ct)], text).into_response()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HarvestParams {
    /// From 1 (default 1).
    #[param(minimum = 1)]
    page: Option<usize>,
    /// 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    per_page: Option<usize>,
    /// `turtle` (default) or `jsonld`.
    #[param(pattern = "^(turtle|jsonld)$")]
    format: Option<String>,
}

/// One page of the catalogue for HealthData@EU's harvester: DCAT-AP with Hydra paging
/// (`hydra:view` with first, last, previous and next; `hydra:totalItems`). Public.
#[utoipa::path(get, path = "/api/v1/catalog/harvest", tag = "catalogue", params(HarvestParams),
    responses((status = 400, description = "a query parameter is malformed"), (status = 200, description = "Turtle, or JSON-LD with format=jsonld", content((String = "text/turtle"), (Vec<serde_json::Value> = "application/ld+json"))), (status = 422)))]
pub(super) async fn harvest_catalog(
    State(s): State<ServerState>,
    Query(p): Query<HarvestParams>,
) -> ApiResult<Response> {
    let jsonld = is_jsonld(p.format.as_deref())?;
    let text = s
        .app
        .catalog_harvest(p.page.unwrap_or(1), p.per_page.unwrap_or(100), jsonld)
        .await?;
    Ok(rdf_response(text, jsonld))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueOut {
    holder: String,
    dataset_id: String,
    last_confirmed: chrono::DateTime<Utc>,
    days_overdue: i64,
}

/// Descriptions not confirmed within 12 months (holders see their own; officers all).
#[utoipa::path(get, path = "/api/v1/catalog/overdue", tag = "catalogue",
    responses((status = 200, body = [OverdueOut]), (status = 401), (status = 403)))]
pub(super) async fn overdue(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<Json<Vec<OverdueOut>>> {
    let rows = s.app.catalog_overdue_for(caller.id()?, Utc::now()).await?;
    Ok(Json(
        rows.into_iter()
            .map(|o| OverdueOut {
                holder: o.holder,
                dataset_id: o.dataset_id,
                last_confirmed: o.last_confirmed,
                days_overdue: o.days_overdue,
            })
            .collect(),
    ))
}

/// The current description of a dataset (public).
#[utoipa::path(get, path = "/api/v1/catalog/{dataset_id}", tag = "catalogue",
    params(("dataset_id" = String, Path)),
    responses((status = 200, body = DatasetOut), (status = 404)))]
pub(super) async fn show_dataset(
    State(s): State<ServerState>,
    Path(dataset_id): Path<String>,
) -> ApiResult<Json<DatasetOut>> {
    Ok(Json(dataset_out(&s.app.dataset(&dataset_id).await?)?))
}

/// Every version of a description (public).
#[utoipa::path(get, path = "/api/v1/catalog/{dataset_id}/versions", tag = "catalogue",
    params(("dataset_id" = String, Path)),
    responses((status = 200, body = [DatasetOut]), (status = 404)))]
pub(super) async fn dataset_versions(
    State(s): State<ServerState>,
    Path(dataset_id): Path<String>,
) -> ApiResult<Json<Vec<DatasetOut>>> {
    let v = s.app.catalog_versions(&dataset_id).await?;
    Ok(Json(v.iter().map(dataset_out).collect::<Result<_, _>>()?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    from: i64,
    to: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOut {
    path: String,
    before: Option<String>,
    after: Option<String>,
}

/// Field-by-field differences between two versions (public).
#[utoipa::path(get, path = "/api/v1/catalog/{dataset_id}/diff", tag = "catalogue",
    params(("dataset_id" = String, Path), DiffParams),
    responses((status = 200, body = [ChangeOut]), (status = 404), (status = 400)))]
pub(super) async fn dataset_diff(
    State(s): State<ServerState>,
    Path(dataset_id): Path<String>,
    Query(p): Query<DiffParams>,
) -> ApiResult<Json<Vec<ChangeOut>>> {
    let changes = s.app.catalog_diff(&dataset_id, p.from, p.to).await?;
    Ok(Json(
        changes
            .into_iter()
            .map(|c| ChangeOut {
                path: c.path,
                before: c.before,
                after: c.after,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmOut {
    dataset_id: String,
    version: i64,
}

/// Confirms that the current description is still correct (the yearly check; holders).
#[utoipa::path(post, path = "/api/v1/catalog/{dataset_id}/confirm", tag = "catalogue",
    params(("dataset_id" = String, Path)),
    responses((status = 200, body = ConfirmOut), (status = 401), (status = 403), (status = 404)))]
pub(super) async fn confirm_dataset(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
) -> ApiResult<Json<ConfirmOut>> {
    let version = s.app.confirm_dataset(caller.id()?, &dataset_id).await?;
    Ok(Json(ConfirmOut {
        dataset_id,
        version,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadOut {
    upload_id: String,
    dataset_id: String,
    dataset_version: i64,
    sha256: String,
    bytes: i64,
    n_rows: i64,
    reference_date: NaiveDate,
    uploaded_by: String,
    uploaded_at: chrono::DateTime<Utc>,
    /// The check report: rows, identifiers valid and invalid by reason, empty cells.
    #[schema(value_type = Object)]
    report: Value,
}

pub(super) fn upload_out(u: hdab_store::Upload) -> UploadOut {
    UploadOut {
        upload_id: u.id,
        dataset_id: u.dataset_id,
        dataset_version: u.dataset_version,
        sha256: u.sha256,
        bytes: u.bytes,
        n_rows: u.n_rows,
        reference_date: u.reference_date,
        uploaded_by: u.uploaded_by,
        uploaded_at: u.uploaded_at,
        report: u.report,
    }
}

/// A dataset's uploads with their check reports (its holder and case officers).
#[utoipa::path(get, path = "/api/v1/catalog/{dataset_id}/uploads", tag = "catalogue",
    params(("dataset_id" = String, Path)),
    responses((status = 200, body = [UploadOut]), (status = 401), (status = 403), (status = 404)))]
pub(super) async fn list_uploads(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
) -> ApiResult<Json<Vec<UploadOut>>> {
    let ups = s.app.dataset_uploads(caller.id()?, &dataset_id).await?;
    Ok(Json(ups.into_iter().map(upload_out).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The date the extract was made (decides the century of 10-digit personnummer);
    /// today if not given.
    #[param(value_type = Option<String>, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub(super) reference_date: Option<NaiveDate>,
}

/// Uploads the data of a dataset (CSV or Parquet as the body), checked against its
/// description (data holders).
#[utoipa::path(put, path = "/api/v1/catalog/{dataset_id}/uploads", tag = "catalogue",
    params(("dataset_id" = String, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 400, description = "a query parameter is malformed"), (status = 201, body = UploadOut), (status = 401), (status = 403), (status = 404), (status = 413), (status = 422)))]
pub(super) async fn upload(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
    Query(p): Query<UploadParams>,
    body: Body,
) -> ApiResult<(StatusCode, Json<UploadOut>)> {
    let actor = caller.id()?.to_string();
    let incoming = s.receive(body.into_data_stream()).await?;
    let (u, _) = s
        .app
        .upload(&actor, &dataset_id, incoming.path(), p.reference_date)
        .await?;
    Ok((StatusCode::CREATED, Json(upload_out(u))))
}

impl ServerState {
    /// Streams a request body into a file in the data directory's `incoming/` (same file
    /// system as the uploads, never under a name the client chose), bounded in size.
    pub async fn receive<S, E>(&self, mut stream: S) -> Result<tempfile::NamedTempFile, WebError>
    where
        S: futures::Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let dir = self.app.settings.data_dir.join("incoming");
        std::fs::create_dir_all(&dir).map_err(|e| WebError::internal(&e))?;
        let cut =
            |e: E| WebError::bad_request(format!("the upload was cut off: {e}; send it again"));
        // The format is told by the content (Parquet's magic bytes), never by a client's name.
        let first = match stream.next().await {
            Some(chunk) => chunk.map_err(cut)?,
            None => axum::body::Bytes::new(),
        };
        let suffix = if first.starts_with(b"PAR1") {
            ".parquet"
        } else {
            ".csv"
        };
        let file = tempfile::Builder::new()
            .prefix("upload-")
            .suffix(suffix)
            .tempfile_in(&dir)
            .map_err(|e| WebError::internal(&e))?;
        let mut out = tokio::fs::File::from_std(file.reopen().map_err(|e| WebError::internal(&e))?);
        let mut n: u64 = first.len() as u64;
        out.write_all(&first)
            .await
            .map_err(|e| WebError::internal(&e))?;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(cut)?;
            n += chunk.len() as u64;
            if n > self.max_upload_bytes {
                return Err(WebError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the upload is larger than this server accepts ({} MiB); split it or ask the HDAB",
                        self.max_upload_bytes >> 20
                    ),
                ));
            }
            out.write_all(&chunk)
                .await
                .map_err(|e| WebError::internal(&e))?;
        }
        out.sync_all().await.map_err(|e| WebError::internal(&e))?;
        if n == 0 {
            return Err(WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the upload is empty; send the file's bytes as the request body",
            ));
        }
        Ok(file)
    }
}
