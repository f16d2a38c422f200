//! Every request is identified here, once: an API token (`Authorization: Bearer …`) or a
//! session cookie, or nobody. Forms posted with a session must carry the session's CSRF
//! token (a hidden `csrf` field, or `?csrf=` on multipart forms) and come from this site.
//! What a caller may do is decided by the use cases in `hdab-app` and the permission
//! matrix in `hdab-permits`, never by a handler.

use crate::ServerState;
use crate::error::WebError;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hdab_i18n::Lang;
use hdab_permits::User;

/// The cookie holding the session secret.
pub const SESSION_COOKIE: &str = "hdab_session";

/// The identified caller, put on every request by [`identify`].
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Option<User>,
    /// The session's form token (for rendering forms; empty without a session).
    pub csrf: String,
    /// The reader's language (`?lang=`, the saved choice, `Accept-Language`, else Swedish).
    pub lang: Lang,
    /// The page asked for (path and query), for the language switch to come back to.
    pub path: String,
}

impl Caller {
    /// The logged-in user, or 401 (a redirect to the login page for pages).
    pub fn require(&self) -> Result<&User, WebError> {
        self.user.as_ref().ok_or_else(WebError::unauthenticated)
    }

    pub fn id(&self) -> Result<&str, WebError> {
        Ok(self.require()?.id.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Caller, WebError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| WebError::internal(&"the identify layer is missing"))
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Compares secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A form post from another site carries its own Origin: refuse it.
fn cross_site(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
    match (origin, host) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
            origin_host != host
        }
        _ => false,
    }
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn csrf_from_query(req: &Request) -> Option<String> {
    req.uri().query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "csrf")
            .map(|(_, v)| v.to_string())
    })
}

/// Largest urlencoded form read to find its CSRF token.
const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// Identifies the caller and guards session forms against cross-site requests.
pub async fn identify(State(state): State<ServerState>, req: Request, next: Next) -> Response {
    match identify_inner(&state, req).await {
        // Everything the request audits says how its caller was identified.
        Ok((req, Some(via))) => hdab_app::identity::identified(via, next.run(req)).await,
        Ok((req, None)) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn identify_inner(
    state: &ServerState,
    req: Request,
) -> Result<(Request, Option<hdab_app::identity::Via>), WebError> {
    let is_api = req.uri().path().starts_with("/api/");
    let flavour = |e: WebError| if is_api { e } else { e.html() };
    let (mut parts, body) = req.into_parts();
    if let Some(token) = bearer(&parts.headers) {
        let user = state
            .app
            .token_user(token)
            .await
            .map_err(|e| flavour(e.into()))?
            .ok_or_else(|| {
                flavour(WebError::new(
                    StatusCode::UNAUTHORIZED,
                    "the API token is unknown or revoked; create a new one with `hdab users token`",
                ))
            })?;
        parts.extensions.insert(Caller {
            user: Some(user),
            csrf: String::new(),
            lang: language(&parts),
            path: String::new(),
        });
        return Ok((
            Request::from_parts(parts, body),
            Some(hdab_app::identity::Via::ApiToken),
        ));
    }
    let session = match cookie(&parts.headers, SESSION_COOKIE) {
        Some(secret) => state
            .app
            .session_user(secret)
            .await
            .map_err(|e| flavour(e.into()))?,
        None => None,
    };
    let mut body = body;
    if unsafe_method(&parts.method) {
        if cross_site(&parts.headers) {
            return Err(flavour(WebError::new(
                StatusCode::FORBIDDEN,
                "this form was posted from another site; open the page on this site and try again",
            )));
        }
        if let Some(s) = &session {
            let req = Request::from_parts(parts, body);
            let mut token = csrf_from_query(&req);
            let (p, b) = req.into_parts();
            parts = p;
            body = b;
            let form = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            if token.is_none() && form {
                let bytes = axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| {
                    flavour(WebError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "the form is larger than 2 MiB",
                    ))
                })?;
                token = form_field(&bytes, "csrf");
                body = Body::from(bytes);
            }
            if !token.is_some_and(|t| same_secret(&t, &s.csrf)) {
                return Err(flavour(WebError::new(
                    StatusCode::FORBIDDEN,
                    "the form's security token is missing or stale; reload the page and submit it again",
                )));
            }
        }
    }
    let lang = language(&parts);
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let via = session.as_ref().map(|s| s.via.clone());
    let caller = match session {
        Some(s) => Caller {
            user: Some(s.user),
            csrf: s.csrf,
            lang,
            path,
        },
        None => Caller {
            user: None,
            csrf: String::new(),
            lang,
            path,
        },
    };
    parts.extensions.insert(caller);
    Ok((Request::from_parts(parts, body), via))
}

/// The cookie that keeps a reader's choice of language (not personal data: `sv` or `en`).
pub const LANG_COOKIE: &str = "hdab_lang";

/// The request's language: `?lang=` on the URL, else the saved choice, else the browser's
/// `Accept-Language`, else Swedish.
pub fn language(parts: &Parts) -> Lang {
    let asked = parts.uri.query().and_then(|q| {
        serde_urlencoded_pairs(q.as_bytes())
            .into_iter()
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v)
    });
    let choice = asked.or_else(|| cookie(&parts.headers, LANG_COOKIE).map(str::to_string));
    let accept = parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(choice.as_deref(), accept)
}

/// One field of an urlencoded body.
pub fn form_field(bytes: &[u8], name: &str) -> Option<String> {
    serde_urlencoded_pairs(bytes)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The pairs of an urlencoded body, in order (repeated keys kept).
pub fn serde_urlencoded_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(bytes).unwrap_or_default()
}

/// The Set-Cookie value for a new session. `Secure` always: browsers accept it on
/// `http://localhost`, and anywhere else hdab must be served over TLS.
pub fn session_cookie(secret: &str) -> String {
    format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        hdab_app::accounts::SESSION_HOURS * 3600
    )
}

pub fn clear_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// The session secret of a request, if any (for logging out).
pub fn session_secret(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SESSION_COOKIE)
}
