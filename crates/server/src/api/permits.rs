//! Permits: lists, one permit, revocation, amendment, and extraction into the SPE.

use super::{ApiResult, Body422, to_json};
use crate::ServerState;
use crate::auth::Caller;
use crate::error::WebError;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use hdab_pipeline::Compression;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/api/v1/permits", get(list_permits))
        .route("/api/v1/permits/{permit_id}", get(show_permit))
        .route("/api/v1/permits/{permit_id}/revoke", post(revoke_permit))
        .route("/api/v1/permits/{permit_id}/amend", post(amend_permit))
        .route("/api/v1/permits/{permit_id}/extractions", post(extract))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PermitListParams {
    /// `true`: every permit (case officers, decision makers, admins).
    all: Option<bool>,
}

/// The permits the caller is named in, or every permit for officers with `all=true`.
#[utoipa::path(get, path = "/api/v1/permits", tag = "permits", params(PermitListParams),
    responses((status = 400, description = "a query parameter is malformed"), (status = 200, body = [Object]), (status = 401), (status = 403)))]
pub(super) async fn list_permits(
    State(s): State<ServerState>,
    caller: Caller,
    Query(p): Query<PermitListParams>,
) -> ApiResult<Json<Value>> {
    let actor = caller.id()?;
    let permits = if p.all == Some(true) {
        s.app.all_permits(actor).await?
    } else {
        s.app.my_permits(actor).await?
    };
    Ok(Json(to_json(&permits)?))
}

/// A permit, the state of its deliveries and their manifests (named users and officers).
#[utoipa::path(get, path = "/api/v1/permits/{permit_id}", tag = "permits",
    params(("permit_id" = String, Path)),
    responses((status = 200, body = Object), (status = 401), (status = 403), (status = 404)))]
pub(super) async fn show_permit(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let st = s.app.permit_status(caller.id()?, &permit_id).await?;
    Ok(Json(to_json(&st)?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReasonIn {
    #[schema(min_length = 1, pattern = "\\S")]
    pub(super) reason: String,
}

/// Revokes a permit (decision makers).
#[utoipa::path(post, path = "/api/v1/permits/{permit_id}/revoke", tag = "permits",
    params(("permit_id" = String, Path)), request_body = ReasonIn,
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 422)))]
pub(super) async fn revoke_permit(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
    Body422(r): Body422<ReasonIn>,
) -> ApiResult<StatusCode> {
    s.app
        .revoke_permit(caller.id()?, &permit_id, &r.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AmendIn {
    #[schema(min_length = 1, pattern = "\\S")]
    reason: String,
    /// Users to add to the SPE.
    #[serde(default)]
    add: Vec<String>,
    /// Users to remove from the SPE.
    #[serde(default)]
    remove: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SpeUsersOut {
    spe_users: Vec<String>,
}

/// Changes who may work with a permit's data in the SPE (decision makers).
#[utoipa::path(post, path = "/api/v1/permits/{permit_id}/amend", tag = "permits",
    params(("permit_id" = String, Path)), request_body = AmendIn,
    responses((status = 200, body = SpeUsersOut), (status = 401), (status = 403), (status = 404), (status = 422)))]
pub(super) async fn amend_permit(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
    Body422(a): Body422<AmendIn>,
) -> ApiResult<Json<SpeUsersOut>> {
    let spe_users = s
        .app
        .amend_permit(caller.id()?, &permit_id, &a.reason, &a.add, &a.remove)
        .await?;
    Ok(Json(SpeUsersOut { spe_users }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExtractParams {
    /// `zstd` (default) or `snappy` (for R builds without zstd).
    #[param(pattern = "^(zstd|snappy)$")]
    compression: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    dataset_id: String,
    /// The folder in the SPE, relative to the SPE root.
    folder: String,
    #[schema(value_type = Object)]
    manifest: Value,
}

/// Runs the extraction of a permit into its SPE folder (case officers).
#[utoipa::path(post, path = "/api/v1/permits/{permit_id}/extractions", tag = "permits",
    params(("permit_id" = String, Path), ExtractParams),
    responses((status = 400, description = "a query parameter is malformed"), (status = 201, body = [DeliveryOut]), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422), (status = 507, description = "no space left on the SPE volume; nothing was delivered")))]
pub(super) async fn extract(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
    Query(p): Query<ExtractParams>,
) -> ApiResult<(StatusCode, Json<Vec<DeliveryOut>>)> {
    let compression = match p.compression.as_deref() {
        None | Some("zstd") => Compression::Zstd,
        Some("snappy") => Compression::Snappy,
        Some(other) => {
            return Err(WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("compression '{other}': use zstd or snappy"),
            ));
        }
    };
    let deliveries = s.extract(caller.id()?, &permit_id, compression).await?;
    let spe = s.app.settings.spe();
    Ok((
        StatusCode::CREATED,
        Json(
            deliveries
                .into_iter()
                .map(|d| {
                    Ok(DeliveryOut {
                        folder: spe.shown(&d.folder),
                        manifest: to_json(&d.manifest)?,
                        dataset_id: d.dataset_id,
                    })
                })
                .collect::<ApiResult<_>>()?,
        ),
    ))
}
