//! Signing in and out: a local password, or the agency's identity provider (OpenID Connect;
//! `crate::oidc` speaks the protocol, `hdab-app` links the identity to a user and checks how
//! strong the sign-in must be for the user's roles). Logging out of a provider's session
//! ends it at the provider too.

use super::frame::Chrome;
use super::render;
use crate::ServerState;
use crate::auth::{self, Caller};
use crate::error::{PageError, PageResult, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hdab_app::accounts::SignInRefusal;
use hdab_app::identity::{Via, identified};
use hdab_permits::access::Home;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The cookie that ties a sign-in under way to the browser that began it.
const STATE_COOKIE: &str = "hdab_oidc_state";
/// How long a sign-in at the provider may take.
const SIGN_IN_MINUTES: i64 = 10;

pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/login/oidc", get(oidc_start))
        .route("/login/oidc/callback", get(oidc_callback))
}

#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    chrome: Chrome,
    problem: String,
    /// An identity provider is configured: offer it first.
    oidc: bool,
}

pub(super) async fn login_page(
    State(s): State<ServerState>,
    caller: Caller,
) -> PageResult<Response> {
    Ok(render(&LoginPage {
        chrome: Chrome::of(&caller),
        problem: String::new(),
        oidc: s.oidc.is_some(),
    })?)
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    user: String,
    password: String,
}

/// Where a user lands after signing in.
fn home_of(user: &hdab_permits::User) -> &'static str {
    match hdab_permits::access::home(user) {
        Home::Cases => "/cases",
        Home::Holder => "/holder",
        Home::Applications => "/applications",
        Home::Outputs => "/outputs",
        Home::Start => "/",
    }
}

pub(super) async fn login(
    State(s): State<ServerState>,
    caller: Caller,
    axum::Form(f): axum::Form<LoginForm>,
) -> PageResult<Response> {
    let login = s.app.login(f.user.trim(), &f.password);
    match identified(Via::Password, login).await {
        Ok(session) => {
            let user = s.app.user(f.user.trim()).await?;
            let mut res = Redirect::to(home_of(&user)).into_response();
            if let Ok(v) = auth::session_cookie(&session.secret).parse() {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(res)
        }
        Err(hdab_app::AppError::Refused(_)) => {
            // The same words for a wrong user id and a wrong password.
            let mut res = render(&LoginPage {
                chrome: Chrome::of(&caller),
                problem: caller.lang.text("login-failed"),
                oidc: s.oidc.is_some(),
            })?;
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "signed_out.html")]
pub(super) struct SignedOutPage {
    chrome: Chrome,
    /// The provider's logout, which sends the browser back to the start page.
    provider: String,
}

/// Ends the session here and, for a session the identity provider opened, there too: a
/// page that goes on to the provider's logout (a form may not be redirected to another
/// site: the pages' `form-action 'self'`).
pub(super) async fn logout(
    State(s): State<ServerState>,
    caller: Caller,
    headers: HeaderMap,
) -> PageResult<Response> {
    let mut provider = None;
    if let Some(secret) = auth::session_secret(&headers) {
        if let (Some(oidc), Some(id_token)) = (&s.oidc, s.app.session_id_token(secret).await?) {
            provider = oidc.logout_url(&id_token);
        }
        s.app.logout(secret).await?;
    }
    let mut res = match provider {
        Some(provider) => render(&SignedOutPage {
            chrome: Chrome {
                lang: caller.lang,
                ..Chrome::default()
            },
            provider,
        })?,
        None => Redirect::to("/").into_response(),
    };
    if let Ok(v) = auth::clear_cookie().parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

fn hashed(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

#[derive(Debug, Deserialize)]
pub(super) struct StartQuery {
    /// `1`: ask the provider for a multi-factor sign-in (after one was too weak).
    stronger: Option<String>,
}

/// `GET /login/oidc`: off to the identity provider.
pub(super) async fn oidc_start(
    State(s): State<ServerState>,
    caller: Caller,
    Query(q): Query<StartQuery>,
) -> PageResult<Response> {
    let oidc = s.oidc.as_ref().ok_or_else(|| {
        PageError(
            WebError::new(
                StatusCode::NOT_FOUND,
                caller.lang.text("oidc-not-configured"),
            )
            .html(),
        )
    })?;
    let started = oidc.start(caller.lang.code(), q.stronger.as_deref() == Some("1"));
    let now = chrono::Utc::now();
    s.app
        .store
        .begin_sign_in(
            &hashed(&started.state),
            &started.pkce_verifier,
            &started.nonce,
            now,
            now - chrono::Duration::minutes(SIGN_IN_MINUTES),
        )
        .await
        .map_err(hdab_app::AppError::from)?;
    let mut res = Redirect::to(&started.url).into_response();
    // Lax: the provider sends the browser back with a top-level GET from its own site.
    let cookie = format!(
        "{STATE_COOKIE}={}; Path=/login/oidc; HttpOnly; Secure; SameSite=Lax; Max-Age={}",
        started.state,
        SIGN_IN_MINUTES * 60
    );
    if let Ok(v) = cookie.parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Debug, Deserialize)]
pub(super) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "signed_in.html")]
pub(super) struct SignedInPage {
    chrome: Chrome,
    to: String,
}

/// `GET /login/oidc/callback`: the provider sends the browser back with a code.
pub(super) async fn oidc_callback(
    State(s): State<ServerState>,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> PageResult<Response> {
    let lang = caller.lang;
    let refuse =
        |status: StatusCode, id: &str| PageError(WebError::new(status, lang.text(id)).html());
    let oidc = s
        .oidc
        .as_ref()
        .ok_or_else(|| refuse(StatusCode::NOT_FOUND, "oidc-not-configured"))?;
    if q.error.is_some() {
        return Err(refuse(StatusCode::FORBIDDEN, "oidc-cancelled"));
    }
    let (Some(code), Some(state)) = (q.code, q.state) else {
        return Err(refuse(StatusCode::BAD_REQUEST, "oidc-incomplete"));
    };
    // The state must be the one this browser was given, and a sign-in this server began.
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == STATE_COOKIE)
        .map(|(_, v)| v.to_string());
    if cookie.as_deref() != Some(state.as_str()) {
        return Err(refuse(StatusCode::FORBIDDEN, "oidc-other-browser"));
    }
    let now = chrono::Utc::now();
    let Some((verifier, nonce)) = s
        .app
        .store
        .take_sign_in(
            &hashed(&state),
            now - chrono::Duration::minutes(SIGN_IN_MINUTES),
        )
        .await
        .map_err(hdab_app::AppError::from)?
    else {
        return Err(refuse(StatusCode::FORBIDDEN, "oidc-expired"));
    };
    let proven = match oidc.finish(&code, verifier, nonce).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "a sign-in through the identity provider failed");
            return Err(refuse(StatusCode::BAD_GATEWAY, "oidc-failed"));
        }
    };
    let (session, user) = match s.app.oidc_session(&proven).await? {
        Ok(done) => done,
        Err(refusal) => {
            let page = OidcRefusedPage {
                chrome: Chrome::of(&caller),
                weak: refusal == SignInRefusal::TooWeak,
            };
            let mut res = render(&page)?;
            *res.status_mut() = StatusCode::FORBIDDEN;
            return Ok(res);
        }
    };
    // A page, not a redirect: the browser arrived from the provider's site, and a strict
    // session cookie is only sent once the next page is opened from this one.
    let mut res = render(&SignedInPage {
        chrome: Chrome::of(&caller),
        to: home_of(&user).to_string(),
    })?;
    let headers = res.headers_mut();
    if let Ok(v) = auth::session_cookie(&session.secret).parse() {
        headers.append(header::SET_COOKIE, v);
    }
    if let Ok(v) =
        format!("{STATE_COOKIE}=; Path=/login/oidc; HttpOnly; Secure; SameSite=Lax; Max-Age=0")
            .parse()
    {
        headers.append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "oidc_refused.html")]
pub(super) struct OidcRefusedPage {
    chrome: Chrome,
    /// The sign-in was not strong enough: offer a stronger one.
    weak: bool,
}
