//! Browser sessions: login, the cookie's attributes, CSRF on every form, cross-site posts,
//! escaping of what data holders wrote, and errors that never show internals.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hdab_app::{App, Settings};
use hdab_permits::{Role, User};
use hdab_server::{ServerState, router};
use hdab_test_support::{repo, send};

fn form(path: &str, cookie: Option<&str>, body: &str) -> Request<Body> {
    let mut r = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "hdab.test");
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::from(body.to_string()))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut r = Request::get(path).header(header::HOST, "hdab.test");
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::empty()).unwrap_or_else(|e| panic!("{e}"))
}

fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string()
}

async fn setup() -> (tempfile::TempDir, App, axum::Router) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let app = App::open(Settings::under(dir.path()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app.keys_add(None, true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let u = |id: &str, role| User {
        id: id.into(),
        name: id.into(),
        organisation: "socialstyrelsen".into(),
        roles: vec![role],
    };
    app.add_user(None, &u("admin", Role::Admin))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app.add_user(Some("admin"), &u("sara", Role::DataHolder))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app.set_password("admin", "sara", "a long enough password")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(repo().join("catalog/slutenvard.toml")).unwrap_or_default();
    app.register_dataset("sara", &text)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = router(ServerState::new(app.clone()));
    (dir, app, r)
}

async fn login(r: &axum::Router) -> String {
    let res = send(
        r,
        form("/login", None, "user=sara&password=a+long+enough+password"),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    res.cookie.split(';').next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_session_cookie_is_http_only_secure_and_strict_and_a_wrong_password_says_no_more() {
    let (_dir, _app, r) = setup().await;
    let wrong = send(&r, form("/login", None, "user=sara&password=wrong")).await;
    let unknown = send(&r, form("/login", None, "user=nobody&password=wrong")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.cookie.is_empty());
    assert!(wrong.body.contains("Fel användar-id eller lösenord"));
    assert_eq!(
        wrong.body, unknown.body,
        "an unknown user gets the same answer"
    );
    let ok = send(
        &r,
        form("/login", None, "user=sara&password=a+long+enough+password"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location, "/holder");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(
            ok.cookie.contains(attribute),
            "{attribute} in {}",
            ok.cookie
        );
    }
}

#[tokio::test]
async fn a_form_without_its_token_or_from_another_site_is_refused_and_changes_nothing() {
    let (_dir, app, r) = setup().await;
    let cookie = login(&r).await;
    let page = send(&r, get("/holder/datasets/slutenvard", Some(&cookie))).await;
    assert_eq!(page.status, StatusCode::OK);
    let token = csrf_of(&page.body);
    assert!(
        token.len() >= 40,
        "the page carries the session's form token"
    );
    let confirmations =
        || async { app.holder_datasets("sara").await.unwrap_or_default()[0].last_confirmed };
    let before = confirmations().await;
    let confirm = "/holder/datasets/slutenvard/confirm";
    let missing = send(&r, form(confirm, Some(&cookie), "")).await;
    let stale = send(
        &r,
        form(confirm, Some(&cookie), &format!("csrf={}x", &token[1..])),
    )
    .await;
    let mut cross = form(confirm, Some(&cookie), &format!("csrf={token}"));
    cross.headers_mut().insert(
        header::ORIGIN,
        header::HeaderValue::from_static("https://evil.example"),
    );
    let cross = send(&r, cross).await;
    for res in [&missing, &stale, &cross] {
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    }
    assert_eq!(
        confirmations().await,
        before,
        "refused forms changed nothing"
    );
    let ok = send(&r, form(confirm, Some(&cookie), &format!("csrf={token}"))).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(confirmations().await > before);
    // Logging out ends the session on the server, not only in the browser.
    let out = send(&r, form("/logout", Some(&cookie), &format!("csrf={token}"))).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = send(&r, get("/holder", Some(&cookie))).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location, "/login");
}

#[tokio::test]
async fn what_a_holder_wrote_is_escaped_on_every_page() {
    let (_dir, app, r) = setup().await;
    let text = std::fs::read_to_string(repo().join("catalog/slutenvard.toml")).unwrap_or_default();
    let evil = "<script>alert(1)</script>";
    let d: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut d = d;
    if let Some(t) = d.get_mut("title").and_then(|t| t.as_table_mut()) {
        // In both languages: pages show the reader's.
        for lang in ["sv", "en"] {
            t.insert(
                lang.into(),
                toml::Value::String(format!("Inpatients {evil}")),
            );
        }
    }
    app.register_dataset("sara", &toml::to_string(&d).unwrap_or_default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cookie = login(&r).await;
    for path in [
        "/catalog",
        "/catalog/slutenvard",
        "/holder",
        "/holder/datasets/slutenvard",
    ] {
        let page = send(&r, get(path, Some(&cookie))).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains(evil), "{path} shows the raw script tag");
        assert!(
            page.body.contains("&lt;script&gt;") || page.body.contains("&#60;script&#62;"),
            "{path} shows it escaped"
        );
    }
}

#[tokio::test]
async fn bad_requests_get_a_clear_error_and_never_a_server_error() {
    let (_dir, app, r) = setup().await;
    let token = app
        .create_api_token("sara", "tests")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let api = |method: &str, path: &str, ct: &str, body: &str| {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body.to_string()))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let cases = [
        (
            api(
                "POST",
                "/api/v1/applications",
                "application/json",
                "{not json",
            ),
            422,
        ),
        (api("POST", "/api/v1/applications", "text/plain", "{}"), 422),
        (
            api("POST", "/api/v1/catalog", "application/toml", "id = "),
            422,
        ),
        (api("GET", "/api/v1/catalog/nonexistent", "", ""), 404),
        (
            api("GET", "/api/v1/catalog/slutenvard/diff?from=1&to=x", "", ""),
            400,
        ),
        (
            api("PUT", "/api/v1/catalog/slutenvard/uploads", "text/csv", ""),
            422,
        ),
        (
            api(
                "PUT",
                "/api/v1/catalog/slutenvard/uploads",
                "text/csv",
                "a;b\n1;2\n",
            ),
            422,
        ),
        (
            api(
                "POST",
                "/api/v1/applications/A-1/commands",
                "application/json",
                r#"{"command":"fly"}"#,
            ),
            422,
        ),
    ];
    for (req, expected) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let res = send(&r, req).await;
        assert_eq!(res.status.as_u16(), expected, "{what}: {}", res.body);
        let json: serde_json::Value = serde_json::from_str(&res.body)
            .unwrap_or_else(|_| serde_json::json!({"message": res.body.clone()}));
        let message = json["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{what}: the error says what is wrong");
        assert!(
            !message.contains("sqlx") && !message.contains("panicked"),
            "{what}: {message}"
        );
    }
    let bad_token = Request::get("/api/v1/me")
        .header(header::AUTHORIZATION, "Bearer hdab_forged")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(send(&r, bad_token).await.status, StatusCode::UNAUTHORIZED);
}
