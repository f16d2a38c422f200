//! Fixtures shared by hdab's tests across crates: where the repository is, a fresh
//! installation on every database the machine offers (SQLite always, PostgreSQL when CI sets
//! `HDAB_TEST_POSTGRES_URL`), users with one role, and requests sent through the router
//! without a socket. Test code only: it panics where a test would fail anyway.
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hdab_app::Settings;
use hdab_permits::{Role, User};
use std::path::{Path, PathBuf};
use tower::ServiceExt;

/// The repository's root (sample data, catalogue descriptions, pipelines).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file of the repository as text.
pub fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Settings for a fresh installation under `dir` on each database there is: SQLite, and a
/// new PostgreSQL database when `HDAB_TEST_POSTGRES_URL` names a server to create it on.
pub async fn fresh_databases(dir: &Path) -> Vec<(&'static str, Settings)> {
    let mut all = vec![("sqlite", Settings::under(&dir.join("sqlite")))];
    if let Ok(admin_url) = std::env::var("HDAB_TEST_POSTGRES_URL") {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let name = format!("hdab_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::AnyConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("connecting to {admin_url}: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let mut pg = Settings::under(&dir.join("pg"));
        pg.database_url = format!("{base}/{name}");
        all.push(("postgres", pg));
    }
    all
}

/// A user with one role.
pub fn user(id: &str, organisation: &str, role: Role) -> User {
    User {
        id: id.into(),
        name: id.into(),
        organisation: organisation.into(),
        roles: vec![role],
    }
}

/// What came back from the router.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub location: String,
    pub cookie: String,
    pub body: String,
}

/// Sends `req` through `router` (no socket) and reads the whole reply.
pub async fn send(router: &axum::Router, req: Request<Body>) -> Reply {
    let res = router
        .clone()
        .oneshot(req)
        .await
        .unwrap_or_else(|e| match e {});
    let h = |k: header::HeaderName| {
        res.headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (status, location, cookie) = (res.status(), h(header::LOCATION), h(header::SET_COOKIE));
    let body = axum::body::to_bytes(res.into_body(), 16 << 20)
        .await
        .unwrap_or_default();
    Reply {
        status,
        location,
        cookie,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}
