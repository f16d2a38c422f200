//! The JSON API under `/api/v1`: every command of the CLI that makes sense over the network,
//! each a thin call of one `hdab-app` use case. The OpenAPI document is generated from these
//! handlers' annotations and served at `/api/openapi.json`.

mod admin;
mod applications;
mod catalog;
mod data_requests;
mod optouts;
mod orders;
mod outputs;
mod permits;
mod users;

use crate::ServerState;
use crate::error::WebError;
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::Value;
use utoipa::OpenApi;

type ApiResult<T> = Result<T, WebError>;

pub fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .merge(users::routes())
        .merge(catalog::routes())
        .merge(applications::routes())
        .merge(permits::routes())
        .merge(optouts::routes())
        .merge(data_requests::routes())
        .merge(outputs::routes())
        .merge(orders::routes())
        .merge(admin::routes())
        .route("/api/openapi.json", get(openapi_json))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hdab",
        description = "Health data access body API: catalogue, permits, opt-outs, extraction. Authenticate with `Authorization: Bearer <token>` (create one with POST /api/v1/tokens from a session, or `hdab users token`).",
        license(name = "EUPL-1.2")
    ),
    paths(
        users::me, users::list_users, users::add_user, users::create_token, catalog::search_catalog, catalog::register_dataset, catalog::export_catalog, catalog::harvest_catalog,
        catalog::overdue, catalog::show_dataset, catalog::dataset_versions, catalog::dataset_diff, catalog::confirm_dataset, catalog::list_uploads,
        catalog::upload, applications::my_applications, applications::create_application, applications::show_application, applications::update_application,
        applications::case_command, applications::queue, applications::register, permits::list_permits, permits::show_permit, permits::revoke_permit, permits::amend_permit,
        permits::extract, optouts::record_optouts, optouts::optout_status, data_requests::submit_data_request, data_requests::show_data_request,
        data_requests::answer_data_request, data_requests::decide_data_request, outputs::submit_output, outputs::list_outputs, outputs::show_output,
        outputs::output_step, outputs::release_output, orders::list_orders, orders::show_order, orders::extend_order,
        orders::upload_for_order, admin::add_key, admin::rotate_keys, admin::verify_audit, admin::latest_checkpoint, admin::entitlements
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "catalogue", description = "Dataset descriptions, versions, confirmations, uploads"),
        (name = "applications", description = "Data access applications and their case work"),
        (name = "permits", description = "Permits, their deliveries and extraction"),
        (name = "optouts", description = "The opt-out registry"),
        (name = "data-requests", description = "Requests for anonymised statistics (Art. 69)"),
        (name = "outputs", description = "Results out of the SPE: checks, two output checkers, release"),
        (name = "orders", description = "Data orders to holders: what each permit needs, due in three months"),
        (name = "admin", description = "Users, tokens, keys and the audit log"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

#[derive(Debug)]
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![
            utoipa::openapi::security::SecurityRequirement::new("token", Vec::<String>::new()),
            utoipa::openapi::security::SecurityRequirement::default(),
        ]);
    }
}

async fn openapi_json() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => WebError::internal(&e).into_response(),
    }
}

/// A JSON body that failed to parse gets a 400 that says where, never a 500.
#[derive(Debug)]
pub struct Body422<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for Body422<T> {
    type Rejection = WebError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, WebError> {
        match <Json<T> as axum::extract::FromRequest<S>>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body422(v)),
            Err(rejection) => Err(WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the request body: {}", rejection.body_text()),
            )),
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(|e| WebError::internal(&e))
}
