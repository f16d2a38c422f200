//! Output requests: results out of the SPE, checked, reviewed by two output checkers and
//! released (the same use cases as `hdab output …` and the pages).

use super::applications::CreatedOut;
use super::{ApiResult, Body422, to_json};
use crate::ServerState;
use crate::auth::Caller;
use crate::error::WebError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use hdab_app::OutputFileIn;
use hdab_permits::output::OutputCommand;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/api/v1/outputs", get(list_outputs))
        .route("/api/v1/outputs/{output_id}", get(show_output))
        .route("/api/v1/outputs/{output_id}/steps", post(output_step))
        .route("/api/v1/outputs/{output_id}/release", post(release_output))
        .route(
            "/api/v1/permits/{permit_id}/outputs",
            post(submit_output).layer(axum::extract::DefaultBodyLimit::max(256 << 20)),
        )
}

/// One file of a request: its name, what it is, and its bytes in base64.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OutputFileJson {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// What the file is and how it was made (default: the request's description).
    #[serde(default)]
    description: Option<String>,
    /// The file's bytes, base64 (RFC 4648, with padding).
    #[schema(format = Byte)]
    content_base64: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OutputRequestIn {
    /// What the files are and how they were made.
    #[schema(min_length = 1, pattern = "\\S")]
    description: String,
    #[schema(min_items = 1)]
    files: Vec<OutputFileJson>,
}

/// Asks for files to leave the SPE (the permit's SPE users); they are checked at once.
#[utoipa::path(post, path = "/api/v1/permits/{permit_id}/outputs", tag = "outputs",
    params(("permit_id" = String, Path)), request_body = OutputRequestIn,
    responses((status = 201, body = CreatedOut), (status = 401), (status = 403), (status = 404), (status = 422)))]
pub(super) async fn submit_output(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
    Body422(r): Body422<OutputRequestIn>,
) -> ApiResult<(StatusCode, Json<CreatedOut>)> {
    let actor = caller.id()?;
    let mut files = Vec::new();
    for f in r.files {
        let bytes = data_encoding::BASE64
            .decode(f.content_base64.as_bytes())
            .map_err(|e| {
                WebError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "the content of '{}' is not base64: {e}",
                        f.name.escape_default()
                    ),
                )
            })?;
        files.push(OutputFileIn {
            description: f.description.unwrap_or_else(|| r.description.clone()),
            name: f.name,
            bytes,
        });
    }
    let d = s
        .app
        .submit_output(actor, &permit_id, &r.description, files)
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedOut { id: d.request.id })))
}

/// The output requests the caller may see: an output checker's queue, a researcher's own.
#[utoipa::path(get, path = "/api/v1/outputs", tag = "outputs",
    responses((status = 200, body = [Object]), (status = 401)))]
pub(super) async fn list_outputs(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    Ok(Json(to_json(&s.app.output_list(caller.id()?).await?)?))
}

/// A request: its state, files, checksums and every finding with its rule and place.
#[utoipa::path(get, path = "/api/v1/outputs/{output_id}", tag = "outputs",
    params(("output_id" = String, Path)),
    responses((status = 200, body = Object), (status = 401), (status = 403), (status = 404)))]
pub(super) async fn show_output(
    State(s): State<ServerState>,
    caller: Caller,
    Path(output_id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(to_json(
        &s.app.show_output(caller.id()?, &output_id).await?,
    )?))
}

/// A review step (output checkers) or a justification (the requester).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    Approve,
    Return,
    Reject,
    Justify,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StepIn {
    command: StepName,
    /// Why (needed to return, reject or justify).
    #[serde(default)]
    reason: String,
    /// For a justification: FILE#N, N as the request numbers the file's findings from 1.
    #[serde(default)]
    finding: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StateOut {
    /// checked, under_review, approved, released, returned or rejected.
    state: String,
}

/// Takes a step on a request; two approvals by different output checkers, neither the
/// requester nor named in the permit, let it be released.
#[utoipa::path(post, path = "/api/v1/outputs/{output_id}/steps", tag = "outputs",
    params(("output_id" = String, Path)), request_body = StepIn,
    responses((status = 200, body = StateOut), (status = 401), (status = 403), (status = 404), (status = 422)))]
pub(super) async fn output_step(
    State(s): State<ServerState>,
    caller: Caller,
    Path(output_id): Path<String>,
    Body422(step): Body422<StepIn>,
) -> ApiResult<Json<StateOut>> {
    let command = match step.command {
        StepName::Approve => OutputCommand::Approve,
        StepName::Return => OutputCommand::Return,
        StepName::Reject => OutputCommand::Reject,
        StepName::Justify => OutputCommand::Justify,
    };
    let state = s
        .app
        .output_step(
            caller.id()?,
            &output_id,
            command,
            &step.reason,
            step.finding.as_deref(),
        )
        .await?;
    Ok(Json(StateOut {
        state: state.as_str().into(),
    }))
}

/// Releases an approved request to the researcher's outbox (metadata stripped, checksums
/// kept); the release enters the public register.
#[utoipa::path(post, path = "/api/v1/outputs/{output_id}/release", tag = "outputs",
    params(("output_id" = String, Path)),
    responses((status = 200, body = StateOut), (status = 401), (status = 403), (status = 404), (status = 422)))]
pub(super) async fn release_output(
    State(s): State<ServerState>,
    caller: Caller,
    Path(output_id): Path<String>,
) -> ApiResult<Json<StateOut>> {
    s.app.release_output(caller.id()?, &output_id).await?;
    Ok(Json(StateOut {
        state: "released".into(),
    }))
}
