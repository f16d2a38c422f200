//! Applications and their case work: the applicant's list, drafts, the case commands, the
//! queue and the public register.

use super::{ApiResult, Body422, to_json};
use crate::ServerState;
use crate::auth::Caller;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::Utc;
use hdab_app::CaseOptions;
use hdab_permits::{ApplicationContent, CaseCommand, ExtractionSpec};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route(
            "/api/v1/applications",
            get(my_applications).post(create_application),
        )
        .route(
            "/api/v1/applications/{application_id}",
            get(show_application).put(update_application),
        )
        .route(
            "/api/v1/applications/{application_id}/commands",
            post(case_command),
        )
        .route("/api/v1/queue", get(queue))
        .route("/api/v1/register", get(register))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationRowOut {
    id: String,
    title: String,
    state: String,
    #[schema(value_type = Object)]
    deadline: Value,
    permit_id: Option<String>,
}

/// The caller's own applications.
#[utoipa::path(get, path = "/api/v1/applications", tag = "applications",
    responses((status = 200, body = [ApplicationRowOut]), (status = 401)))]
pub(super) async fn my_applications(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<Json<Vec<ApplicationRowOut>>> {
    let rows = s.app.my_applications(caller.id()?).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| {
                Ok(ApplicationRowOut {
                    state: r.state.to_string(),
                    deadline: to_json(&r.deadline)?,
                    id: r.id,
                    title: r.title,
                    permit_id: r.permit_id,
                })
            })
            .collect::<ApiResult<_>>()?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedOut {
    pub(super) id: String,
}

/// Saves a draft application (applicants). Submit it with the `submit` command.
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications",
    request_body(content = crate::schemas::ApplicationSchema),
    responses((status = 201, body = CreatedOut), (status = 401), (status = 403), (status = 422)))]
pub(super) async fn create_application(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(content): Body422<ApplicationContent>,
) -> ApiResult<(StatusCode, Json<CreatedOut>)> {
    let id = s
        .app
        .create_application_content(caller.id()?, content)
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedOut { id })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationOut {
    id: String,
    applicant: String,
    state: String,
    assignee: Option<String>,
    #[schema(value_type = Object)]
    content: Value,
    #[schema(value_type = Object)]
    deadline: Value,
    /// Every event of the case: command, actor, time, comment, assignee.
    #[schema(value_type = Vec<Object>)]
    events: Value,
    permit_id: Option<String>,
}

/// An application with its history and deadline (those with a part in it).
#[utoipa::path(get, path = "/api/v1/applications/{application_id}", tag = "applications",
    params(("application_id" = String, Path)),
    responses((status = 200, body = ApplicationOut), (status = 401), (status = 404)))]
pub(super) async fn show_application(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
) -> ApiResult<Json<ApplicationOut>> {
    let (a, d) = s
        .app
        .show_application(caller.id()?, &application_id)
        .await?;
    let permit_id = s.app.permit_of_application(&a.id).await?;
    Ok(Json(ApplicationOut {
        state: hdab_permits::state_of(&a.events).to_string(),
        assignee: hdab_permits::assignee_of(&a.events).map(str::to_string),
        content: to_json(&a.content)?,
        deadline: to_json(&d)?,
        events: to_json(&a.events)?,
        id: a.id,
        applicant: a.applicant,
        permit_id,
    }))
}

/// Replaces a draft's or returned application's content (its applicant).
#[utoipa::path(put, path = "/api/v1/applications/{application_id}", tag = "applications",
    params(("application_id" = String, Path)),
    request_body(content = crate::schemas::ApplicationSchema),
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 422)))]
pub(super) async fn update_application(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
    Body422(content): Body422<ApplicationContent>,
) -> ApiResult<StatusCode> {
    s.app
        .update_application_content(caller.id()?, &application_id, content)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CommandIn {
    #[schema(inline)]
    command: CaseCommand,
    /// The reason (required for return, extend, approve, reject).
    #[serde(default)]
    comment: String,
    /// `assign`: the officer to give the case to.
    #[serde(default)]
    assign_to: Option<String>,
    /// `approve`: a narrower extraction spec than asked for.
    #[serde(default)]
    #[schema(value_type = Option<crate::schemas::ExtractionSpecSchema>)]
    narrowed: Option<ExtractionSpec>,
    /// `approve`: conditions attached to the permit.
    #[serde(default)]
    conditions: Vec<String>,
    /// `approve`: months of validity, if shorter than asked (at most 120).
    #[serde(default)]
    valid_months: Option<u32>,
    /// `approve`: a public-interest exception to the opt-out (EHDS Art. 71(4)), where the
    /// law provides one.
    #[serde(default)]
    optout_exception: Option<OptOutExceptionIn>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OptOutExceptionIn {
    /// The provision of law that allows it (one of the installation's).
    legal_basis: String,
    /// The important reason of public interest.
    public_interest: String,
    /// Why the purpose cannot be met otherwise.
    necessity: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommandOut {
    state: String,
    permit_id: Option<String>,
}

/// Runs a case command; who may run which is the permission matrix.
#[utoipa::path(post, path = "/api/v1/applications/{application_id}/commands", tag = "applications",
    params(("application_id" = String, Path)), request_body = CommandIn,
    responses((status = 200, body = CommandOut), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(super) async fn case_command(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
    Body422(c): Body422<CommandIn>,
) -> ApiResult<Json<CommandOut>> {
    let actor = caller.id()?;
    let command = c.command;
    let (state, permit_id) = s
        .app
        .case_command(
            actor,
            &application_id,
            command,
            &c.comment,
            CaseOptions {
                assign_to: c.assign_to,
                narrowed: c.narrowed,
                conditions: c.conditions,
                valid_months: c.valid_months,
                optout_exception: c
                    .optout_exception
                    .map(|e| (e.legal_basis, e.public_interest, e.necessity)),
            },
        )
        .await?;
    Ok(Json(CommandOut {
        state: state.to_string(),
        permit_id,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueRowOut {
    id: String,
    state: String,
    assignee: Option<String>,
    organisation: String,
    title: String,
    days_left: Option<i64>,
    overdue: bool,
}

/// The case queue, overdue first (case officers and decision makers).
#[utoipa::path(get, path = "/api/v1/queue", tag = "applications",
    responses((status = 200, body = [QueueRowOut]), (status = 401), (status = 403)))]
pub(super) async fn queue(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<Json<Vec<QueueRowOut>>> {
    let rows = s.app.queue(caller.id()?).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| QueueRowOut {
                overdue: r.deadline.days_left.is_some_and(|d| d < 0),
                days_left: r.deadline.days_left,
                id: r.id,
                state: r.state.to_string(),
                assignee: r.assignee,
                organisation: r.organisation,
                title: r.title,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterOut {
    id: String,
    received: chrono::DateTime<Utc>,
    organisation: String,
    title: String,
    purpose: String,
    datasets: Vec<String>,
    state: String,
    decision: Option<String>,
    decided_at: Option<chrono::DateTime<Utc>>,
    reasons: Option<String>,
}

/// The public register of applications and decisions (public).
#[utoipa::path(get, path = "/api/v1/register", tag = "applications",
    responses((status = 200, body = [RegisterOut])))]
pub(super) async fn register(State(s): State<ServerState>) -> ApiResult<Json<Vec<RegisterOut>>> {
    let rows = s.app.public_register().await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| RegisterOut {
                purpose: serde_json::to_value(r.purpose)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                decided_at: r.decision.as_ref().map(|d| d.1),
                reasons: r.decision.as_ref().map(|d| d.2.clone()),
                decision: r.decision.map(|d| d.0),
                id: r.id,
                received: r.received,
                organisation: r.organisation,
                title: r.title,
                datasets: r.datasets,
                state: r.state.to_string(),
            })
            .collect(),
    ))
}
