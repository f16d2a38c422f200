//! hdab over HTTP: the JSON API (with its OpenAPI document at `/api/openapi.json`) and the
//! server-rendered pages for the public, data holders, applicants and case officers.
//!
//! The only crate that speaks HTTP, HTML or JSON. Handlers are thin: each identifies the
//! caller (done once, in [`auth::identify`]), calls one `hdab-app` use case — which
//! authorises and audits — and renders the result. Domain errors become HTTP in one place,
//! [`error::WebError`].

pub mod api;
pub mod auth;
pub mod error;
pub mod oidc;
pub mod pages;
mod schemas;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use hdab_app::{App, Delivery};
use hdab_pipeline::Compression;
use std::net::SocketAddr;
use std::sync::Arc;

/// What every handler gets.
#[derive(Debug, Clone)]
pub struct ServerState {
    pub app: App,
    /// The largest upload accepted over HTTP.
    pub max_upload_bytes: u64,
    /// Extractions run one at a time: each uses every core already.
    extraction: Arc<tokio::sync::Mutex<()>>,
    /// The identity provider, when one is configured (local passwords work besides).
    pub oidc: Option<Arc<oidc::Oidc>>,
}

impl ServerState {
    pub fn new(app: App) -> ServerState {
        ServerState {
            app,
            max_upload_bytes: 64 << 30,
            extraction: Arc::new(tokio::sync::Mutex::new(())),
            oidc: None,
        }
    }

    /// Runs a permit's extraction after any other running one.
    pub async fn extract(
        &self,
        actor: &str,
        permit_id: &str,
        compression: Compression,
    ) -> Result<Vec<Delivery>, hdab_app::AppError> {
        let _turn = self.extraction.lock().await;
        self.app.extract(actor, permit_id, compression).await
    }
}

/// The whole service. Tests call it with `oneshot`, without a socket.
pub fn router(state: ServerState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .layer(from_fn_with_state(state.clone(), auth::identify))
        .layer(from_fn(retry_reads))
        .layer(from_fn(error::render_error_pages))
        .layer(from_fn(security_headers))
        .with_state(state)
}

/// A read (GET or HEAD: idempotent, no body) that found the database out of reach is tried
/// once more — the pool then waits up to its acquire timeout for the database to return.
/// Writes are never retried: whether a failed write was committed is for the caller to check.
async fn retry_reads(req: Request, next: Next) -> Response {
    if req.method() != axum::http::Method::GET && req.method() != axum::http::Method::HEAD {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let again = Request::from_parts(parts.clone(), axum::body::Body::empty());
    let first = next.clone().run(Request::from_parts(parts, body)).await;
    if first
        .extensions()
        .get::<error::DatabaseUnavailable>()
        .is_none()
    {
        return first;
    }
    tracing::warn!("a read found the database out of reach; trying it once more");
    next.run(again).await
}

/// Headers every response carries: no framing, no sniffing, no inline scripts, no caching of
/// pages that may show personal workspaces.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    set(h, header::CACHE_CONTROL, "no-store");
    res
}

/// Binds `addr` (port 0 picks a free one) and serves until `shutdown` resolves. Returns the
/// bound address at once; the server runs on the returned task.
pub async fn serve(
    state: ServerState,
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = router(state);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    });
    Ok((bound, task))
}
