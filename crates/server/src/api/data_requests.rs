//! Data requests (Art. 69): submitted, shown, answered under disclosure control.

use super::applications::CreatedOut;
use super::{ApiResult, Body422, to_json};
use crate::ServerState;
use crate::auth::Caller;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use hdab_permits::DataRequestContent;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/api/v1/data-requests", post(submit_data_request))
        .route("/api/v1/data-requests/{request_id}", get(show_data_request))
        .route(
            "/api/v1/data-requests/{request_id}/answer",
            post(answer_data_request),
        )
        .route(
            "/api/v1/data-requests/{request_id}/decision",
            post(decide_data_request),
        )
}

/// Asks for anonymised statistics (applicants).
#[utoipa::path(post, path = "/api/v1/data-requests", tag = "data-requests",
    request_body(content = crate::schemas::DataRequestSchema),
    responses((status = 201, body = CreatedOut), (status = 401), (status = 403), (status = 404), (status = 422)))]
pub(super) async fn submit_data_request(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(content): Body422<DataRequestContent>,
) -> ApiResult<(StatusCode, Json<CreatedOut>)> {
    let id = s
        .app
        .submit_data_request_content(caller.id()?, content)
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedOut { id })))
}

/// A data request and, once answered, its protected table.
#[utoipa::path(get, path = "/api/v1/data-requests/{request_id}", tag = "data-requests",
    params(("request_id" = String, Path)),
    responses((status = 200, body = Object), (status = 401), (status = 404)))]
pub(super) async fn show_data_request(
    State(s): State<ServerState>,
    caller: Caller,
    Path(request_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (content, table) = s.app.show_data_request(caller.id()?, &request_id).await?;
    Ok(Json(serde_json::json!({
        "request": to_json(&content)?,
        "table": to_json(&table)?,
    })))
}

/// Answers a data request with a table protected against disclosure (case officers).
#[utoipa::path(post, path = "/api/v1/data-requests/{request_id}/answer", tag = "data-requests",
    params(("request_id" = String, Path)),
    responses((status = 200, body = Object), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(super) async fn answer_data_request(
    State(s): State<ServerState>,
    caller: Caller,
    Path(request_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let table = s.app.answer_data_request(caller.id()?, &request_id).await?;
    Ok(Json(to_json(&table)?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionIn {
    /// `true` approves, `false` refuses.
    approve: bool,
    reason: String,
}

/// Approves or refuses a data request with reasons (decision makers); the register
/// publishes the decision. It is answered only once approved.
#[utoipa::path(post, path = "/api/v1/data-requests/{request_id}/decision", tag = "data-requests",
    params(("request_id" = String, Path)), request_body = DecisionIn,
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 422)))]
pub(super) async fn decide_data_request(
    State(s): State<ServerState>,
    caller: Caller,
    Path(request_id): Path<String>,
    Body422(body): Body422<DecisionIn>,
) -> ApiResult<StatusCode> {
    s.app
        .decide_data_request(caller.id()?, &request_id, body.approve, &body.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
