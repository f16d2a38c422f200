//! The opt-out registry: changes and look-ups (opt-out registrars).

use super::{ApiResult, Body422};
use crate::ServerState;
use crate::auth::Caller;
use axum::Json;
use axum::extract::State;
use axum::routing::post;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/api/v1/optouts", post(record_optouts))
        .route("/api/v1/optouts/status", post(optout_status))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OptoutIn {
    /// One personnummer or samordningsnummer per line.
    #[schema(min_length = 1, pattern = "\\S")]
    lines: String,
    /// `true` to opt out, `false` to withdraw an opt-out.
    opt_out: bool,
    /// The date the lines were written (the century of 10-digit numbers); today if absent.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    written_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptoutOut {
    recorded: usize,
    unchanged: usize,
    /// (line number, why the line was not taken) — never the line itself.
    rejected: Vec<(usize, String)>,
}

/// Records opt-outs or their withdrawal (the opt-out registrar).
#[utoipa::path(post, path = "/api/v1/optouts", tag = "optouts", request_body = OptoutIn,
    responses((status = 200, body = OptoutOut), (status = 401), (status = 403), (status = 422)))]
pub(super) async fn record_optouts(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(o): Body422<OptoutIn>,
) -> ApiResult<Json<OptoutOut>> {
    let (recorded, unchanged, rejected) = s
        .app
        .optout_lines(caller.id()?, &o.lines, o.opt_out, o.written_on)
        .await?;
    Ok(Json(OptoutOut {
        recorded,
        unchanged,
        rejected,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusIn {
    #[schema(min_length = 1, pattern = "\\S")]
    lines: String,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    written_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusOut {
    line: usize,
    opted_out: Option<bool>,
    problem: Option<String>,
}

/// Whether each number is opted out (the opt-out registrar).
#[utoipa::path(post, path = "/api/v1/optouts/status", tag = "optouts", request_body = StatusIn,
    responses((status = 200, body = [StatusOut]), (status = 401), (status = 403), (status = 422)))]
pub(super) async fn optout_status(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(q): Body422<StatusIn>,
) -> ApiResult<Json<Vec<StatusOut>>> {
    let rows = s
        .app
        .optout_status(caller.id()?, &q.lines, q.written_on)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|(line, r)| match r {
                Ok(b) => StatusOut {
                    line,
                    opted_out: Some(b),
                    problem: None,
                },
                Err(p) => StatusOut {
                    line,
                    opted_out: None,
                    problem: Some(p),
                },
            })
            .collect(),
    ))
}
