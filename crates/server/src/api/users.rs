//! Users and API tokens: who the caller is, the user list (admins), adding users, tokens.

use super::{ApiResult, Body422};
use crate::ServerState;
use crate::auth::Caller;
use crate::error::WebError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use hdab_permits::{Role, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(list_users).post(add_user))
        .route("/api/v1/tokens", post(create_token))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserOut {
    id: String,
    name: String,
    organisation: String,
    roles: Vec<String>,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        UserOut {
            id: u.id.clone(),
            name: u.name.clone(),
            organisation: u.organisation.clone(),
            roles: u.roles.iter().map(|r| r.as_str().to_string()).collect(),
        }
    }
}

/// Who the caller is.
#[utoipa::path(get, path = "/api/v1/me", tag = "admin",
    responses((status = 200, body = UserOut), (status = 401, description = "not logged in")))]
pub(super) async fn me(caller: Caller) -> ApiResult<Json<UserOut>> {
    Ok(Json(caller.require()?.into()))
}

/// Every user (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin",
    responses((status = 200, body = [UserOut]), (status = 401), (status = 403)))]
pub(super) async fn list_users(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<Json<Vec<UserOut>>> {
    Ok(Json(
        s.app
            .list_users(caller.id()?)
            .await?
            .iter()
            .map(UserOut::from)
            .collect(),
    ))
}

/// A role from the permission matrix.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    Admin,
    DataHolder,
    Applicant,
    CaseOfficer,
    DecisionMaker,
    OptoutRegistrar,
    OutputChecker,
    SpeOperator,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    #[schema(
        example = "anna",
        pattern = "^[A-Za-z0-9._-]+$",
        min_length = 1,
        max_length = 64
    )]
    id: String,
    #[schema(min_length = 1, pattern = "\\S")]
    name: String,
    #[schema(min_length = 1, pattern = "\\S")]
    organisation: String,
    /// admin, data_holder, applicant, case_officer, decision_maker, optout_registrar
    #[schema(min_items = 1, inline)]
    roles: Vec<RoleName>,
    /// At least 12 characters; omit for an account that only uses API tokens.
    #[serde(default)]
    #[schema(min_length = 12)]
    password: Option<String>,
}

/// Adds a user (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUser,
    responses((status = 201, body = UserOut), (status = 401), (status = 403), (status = 409), (status = 422)))]
pub(super) async fn add_user(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(new): Body422<NewUser>,
) -> ApiResult<(StatusCode, Json<UserOut>)> {
    let actor = caller.id()?;
    let roles = new
        .roles
        .iter()
        .map(|r| match r {
            RoleName::Admin => Role::Admin,
            RoleName::DataHolder => Role::DataHolder,
            RoleName::Applicant => Role::Applicant,
            RoleName::CaseOfficer => Role::CaseOfficer,
            RoleName::DecisionMaker => Role::DecisionMaker,
            RoleName::OptoutRegistrar => Role::OptOutRegistrar,
            RoleName::OutputChecker => Role::OutputChecker,
            RoleName::SpeOperator => Role::SpeOperator,
        })
        .collect::<Vec<_>>();
    if new.id.is_empty()
        || new.id.len() > 64
        || !new
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a user id is 1 to 64 letters, digits, '-', '_' or '.'",
        ));
    }
    let user = User {
        id: new.id,
        name: new.name,
        organisation: new.organisation,
        roles,
    };
    if let Some(p) = &new.password
        && p.chars().count() < hdab_app::accounts::MIN_PASSWORD_CHARS
    {
        return Err(WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a password needs at least 12 characters",
        ));
    }
    s.app.add_user(Some(actor), &user).await?;
    if let Some(p) = &new.password {
        s.app.set_password(actor, &user.id, p).await?;
    }
    Ok((StatusCode::CREATED, Json((&user).into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    /// Which system uses the token.
    #[schema(min_length = 1, pattern = "\\S")]
    label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    /// Shown once; send as `Authorization: Bearer <token>`.
    token: String,
}

/// Creates an API token for the caller.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = NewToken,
    responses((status = 201, body = TokenOut), (status = 401), (status = 422)))]
pub(super) async fn create_token(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(t): Body422<NewToken>,
) -> ApiResult<(StatusCode, Json<TokenOut>)> {
    let token = s.app.create_api_token(caller.id()?, &t.label).await?;
    Ok((StatusCode::CREATED, Json(TokenOut { token })))
}
