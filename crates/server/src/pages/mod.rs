//! Server-rendered pages for the four audiences: the public, data holders, applicants and
//! case officers. Templates live in `templates/` and are checked at compile time by askama
//! (which escapes every value). Plain forms; no scripts. Each handler calls the same
//! `hdab-app` use case as the API does.

pub mod activity;
mod applications;
mod attachments;
mod cases;
mod consultations;
mod fees;
pub(crate) mod frame;
mod holders;
mod orders;
mod outputs;
mod permits;
mod public;
mod risk;
mod sign_in;

use crate::ServerState;
use crate::auth::Caller;
use axum::routing::get;

use applications::application_update;
use cases::case_page;
use frame::stylesheet;
pub use frame::{Chrome, error_page};

pub fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .merge(public::routes())
        .merge(sign_in::routes())
        .merge(holders::routes())
        .merge(applications::routes())
        .merge(attachments::routes())
        .merge(cases::routes())
        .merge(permits::routes())
        .merge(outputs::routes())
        .merge(orders::routes())
        .merge(fees::routes())
        .merge(activity::routes())
        .merge(consultations::routes())
        .route("/static/hdab.css", get(stylesheet))
        .route("/language", get(frame::choose_language))
        .route(
            "/applications/{application_id}",
            get(case_page).post(application_update),
        )
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
            checker: areas.checker,
            notice: String::new(),
            lang: caller.lang,
            path: caller.path.clone(),
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
