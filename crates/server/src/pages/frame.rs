//! The frame every page shares: who is signed in and what they may see (`Chrome`), the
//! notices after a form, the error page, and small formatting helpers.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

/// What every page's frame needs: who is logged in, their roles and the form token.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub user_id: String,
    pub csrf: String,
    pub holder: bool,
    pub applicant: bool,
    pub officer: bool,
    pub checker: bool,
    pub notice: String,
}

impl Chrome {
    pub(super) fn with_notice(mut self, notice: Option<&str>) -> Chrome {
        self.notice = match notice {
            Some("registered") => "The description was saved.".into(),
            Some("confirmed") => "Thank you: the description is confirmed for another year.".into(),
            Some("uploaded") => "The upload passed its checks and was kept.".into(),
            Some("saved") => "The application was saved.".into(),
            Some("done") => "Done.".into(),
            Some("extracted") => "The extraction was delivered into the SPE.".into(),
            Some("submitted") => "The files were checked and wait for two output checkers.".into(),
            Some("released") => "Released: the files are in the researcher's outbox.".into(),
            _ => String::new(),
        };
        self
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct NoticeQuery {
    pub(super) notice: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub(super) struct MessagePage {
    chrome: Chrome,
    heading: String,
    message: String,
}

/// The page shown for an error (rendered without a caller: no personal navigation).
pub fn error_page(status: StatusCode, message: &str) -> Html<String> {
    let heading = match status {
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::CONFLICT => "Not possible now",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "Please correct this",
        _ => "Something went wrong",
    };
    let page = MessagePage {
        chrome: Chrome::default(),
        heading: heading.into(),
        message: message.into(),
    };
    Html(page.render().unwrap_or_else(|_| "error".into()))
}

pub(super) fn day(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

pub(super) fn label<T: serde::Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

pub(super) fn see_other(to: String) -> Response {
    Redirect::to(&to).into_response()
}

pub(super) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/hdab.css"),
    )
        .into_response()
}
