//! Server-rendered pages for the four audiences: the public, data holders, applicants and
//! case officers. Templates live in `templates/` and are checked at compile time by askama
//! (which escapes every value). Plain forms; no scripts. Each handler calls the same
//! `hdab-app` use case as the API does.

mod applications;
mod cases;
pub(crate) mod frame;
mod holders;
mod permits;
mod public;

use crate::ServerState;
use crate::auth::Caller;
use axum::routing::{get, post};

use applications::{
    application_create, application_edit, application_new, application_update, applications_page,
};
use cases::{case_command, case_page, queue_page};
use frame::stylesheet;
pub use frame::{Chrome, error_page};
use holders::{
    holder_confirm, holder_dataset, holder_edit, holder_home, holder_new, holder_profile,
    holder_register, holder_update, holder_upload,
};
use permits::{permit_extract, permit_page, permits_page};
use public::{catalog, dataset_page, home, login, login_page, logout, optout_page, register_page};

pub fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/", get(home))
        .route("/static/hdab.css", get(stylesheet))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/catalog", get(catalog))
        .route("/catalog/{dataset_id}", get(dataset_page))
        .route("/register", get(register_page))
        .route("/optout", get(optout_page))
        .route("/holder", get(holder_home))
        .route("/holder/datasets", post(holder_register))
        .route("/holder/datasets/new", get(holder_new))
        .route(
            "/holder/datasets/{dataset_id}",
            get(holder_dataset).post(holder_update),
        )
        .route("/holder/datasets/{dataset_id}/edit", get(holder_edit))
        .route(
            "/holder/datasets/{dataset_id}/confirm",
            post(holder_confirm),
        )
        .route("/holder/datasets/{dataset_id}/profile", get(holder_profile))
        .route(
            "/holder/datasets/{dataset_id}/uploads",
            post(holder_upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/applications",
            get(applications_page).post(application_create),
        )
        .route("/applications/new", get(application_new))
        .route(
            "/applications/{application_id}",
            get(case_page).post(application_update),
        )
        .route("/applications/{application_id}/edit", get(application_edit))
        .route("/applications/{application_id}/command", post(case_command))
        .route("/cases", get(queue_page))
        .route("/permits", get(permits_page))
        .route("/permits/{permit_id}", get(permit_page))
        .route("/permits/{permit_id}/extract", post(permit_extract))
}

impl Chrome {
    /// The frame for `caller`: their id, the form token and the areas the permission
    /// matrix gives them.
    pub(super) fn of(caller: &Caller) -> Chrome {
        let areas = hdab_permits::access::areas(caller.user.as_ref());
        Chrome {
            user_id: caller
                .user
                .as_ref()
                .map(|u| u.id.clone())
                .unwrap_or_default(),
            csrf: caller.csrf.clone(),
            holder: areas.holder,
            applicant: areas.applicant,
            officer: areas.officer,
            notice: String::new(),
        }
    }
}

/// A page, rendered; a template that fails to render is an internal error.
pub(super) fn render(
    t: &impl askama::Template,
) -> Result<axum::response::Response, crate::error::WebError> {
    use axum::response::IntoResponse;
    t.render()
        .map(|html| axum::response::Html(html).into_response())
        .map_err(|e| crate::error::WebError::internal(&e))
}
