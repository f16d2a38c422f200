//! The frame every page shares: who is signed in and what they may see (`Chrome`), the
//! notices after a form, the error page, and small formatting helpers.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use hdab_i18n::{Arg, Lang};
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
    /// The reader's language, and the page's own path (the language switch returns to it).
    pub lang: Lang,
    pub path: String,
}

impl Chrome {
    /// A message of the catalogue in the reader's language.
    pub fn t(&self, id: &str) -> String {
        self.lang.text(id)
    }

    /// A message with one value (`{ $count }` or `{ $user }`).
    pub fn t1<'a>(&self, id: &str, name: &str, value: impl Into<Arg<'a>>) -> String {
        self.lang.text_with(id, &[(name, value.into())])
    }

    /// A message with two values.
    pub fn t2<'a, 'b>(
        &self,
        id: &str,
        name1: &str,
        value1: impl Into<Arg<'a>>,
        name2: &str,
        value2: impl Into<Arg<'b>>,
    ) -> String {
        self.lang
            .text_with(id, &[(name1, value1.into()), (name2, value2.into())])
    }

    /// The language switch's link: the other language, back to this page (without a
    /// `lang=` of its own, which would outrank the choice).
    pub fn switch_href(&self) -> String {
        let (path, query) = self.path.split_once('?').unwrap_or((&self.path, ""));
        let query: Vec<&str> = query
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
            .collect();
        let mut back = if path.is_empty() {
            "/".to_string()
        } else {
            path.to_string()
        };
        if !query.is_empty() {
            back = format!("{back}?{}", query.join("&"));
        }
        let query =
            serde_urlencoded::to_string([("to", self.lang.other().code()), ("back", &back)])
                .unwrap_or_default();
        format!("/language?{query}")
    }

    /// The notice after a form (`?notice=saved`), in the reader's language; an unknown
    /// one shows nothing.
    pub(super) fn with_notice(mut self, notice: Option<&str>) -> Chrome {
        const NOTICES: [&str; 11] = [
            "attached",
            "fulfilled",
            "extended",
            "registered",
            "confirmed",
            "uploaded",
            "saved",
            "done",
            "extracted",
            "submitted",
            "released",
        ];
        self.notice = notice
            .filter(|n| NOTICES.contains(n))
            .map(|n| self.t(&format!("notice-{n}")))
            .unwrap_or_default();
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

/// The page shown for an error, in the reader's language (rendered without a caller: no
/// personal navigation).
pub fn error_page(status: StatusCode, message: &str, lang: Lang) -> Html<String> {
    let chrome = Chrome {
        lang,
        ..Chrome::default()
    };
    let heading = chrome.t(match status {
        StatusCode::FORBIDDEN => "error-forbidden",
        StatusCode::NOT_FOUND => "error-not-found",
        StatusCode::CONFLICT => "error-conflict",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "error-correct",
        _ => "error-other",
    });
    let page = MessagePage {
        chrome,
        heading,
        message: message.into(),
    };
    Html(page.render().unwrap_or_else(|_| "error".into()))
}

#[derive(Debug, Deserialize)]
pub(super) struct LanguageChoice {
    to: String,
    back: Option<String>,
}

/// `GET /language?to=en&back=/catalog`: keeps the reader's choice in a cookie (a year) and
/// returns them to the page they were on (a path on this site only).
pub(super) async fn choose_language(
    axum::extract::Query(q): axum::extract::Query<LanguageChoice>,
) -> Response {
    let lang = Lang::from_code(&q.to).unwrap_or_default();
    let back = q
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/".into());
    let cookie = format!(
        "{}={}; Path=/; Secure; SameSite=Lax; Max-Age=31536000",
        crate::auth::LANG_COOKIE,
        lang.code()
    );
    let mut response = Redirect::to(&back).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// A value put into a message that carries markup, escaped for HTML.
pub(super) fn escape(value: &str) -> String {
    askama::filters::escape(value, askama::filters::Html)
        .map(|e| e.to_string())
        .unwrap_or_default()
}

pub(super) fn day(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// A value of the domain (a state, a purpose, a type) in the reader's language: the message
/// `<kind>-<value as serialised>` (`state-under_review`, `purpose-scientific_research`).
pub(super) fn word<T: serde::Serialize>(lang: Lang, kind: &str, value: &T) -> String {
    let name = serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    lang.text(&format!("{kind}-{name}"))
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
