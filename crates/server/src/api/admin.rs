//! Keys and the audit log: adding and rotating keys, verifying the log, its latest
//! checkpoint.

use super::permits::ReasonIn;
use super::{ApiResult, Body422};
use crate::ServerState;
use crate::auth::Caller;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/api/v1/keys", post(add_key))
        .route("/api/v1/keys/rotate", post(rotate_keys))
        .route("/api/v1/audit/verify", get(verify_audit))
        .route("/api/v1/audit/checkpoint", get(latest_checkpoint))
        .route("/api/v1/entitlements", get(entitlements))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyOut {
    key_id: String,
}

/// Adds a new master key; new permits use it (admins).
#[utoipa::path(post, path = "/api/v1/keys", tag = "admin",
    responses((status = 201, body = KeyOut), (status = 401), (status = 403)))]
pub(super) async fn add_key(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<KeyOut>)> {
    let key_id = s.app.keys_add(Some(caller.id()?), false).await?;
    Ok((StatusCode::CREATED, Json(KeyOut { key_id })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedOut {
    permits: Vec<String>,
}

/// Rotates every live permit's pseudonym key version (admins).
#[utoipa::path(post, path = "/api/v1/keys/rotate", tag = "admin", request_body = ReasonIn,
    responses((status = 200, body = RotatedOut), (status = 401), (status = 403), (status = 422)))]
pub(super) async fn rotate_keys(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(r): Body422<ReasonIn>,
) -> ApiResult<Json<RotatedOut>> {
    let permits = s.app.keys_rotate(caller.id()?, &r.reason).await?;
    Ok(Json(RotatedOut { permits }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    intact: bool,
    entries: Option<usize>,
    problem: Option<String>,
}

/// Verifies the audit log's hash chain (admins).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "admin",
    responses((status = 200, body = AuditOut), (status = 401), (status = 403)))]
pub(super) async fn verify_audit(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<Json<AuditOut>> {
    let r = s.app.audit_verify_by(caller.id()?).await?;
    Ok(Json(match r {
        Ok(n) => AuditOut {
            intact: true,
            entries: Some(n),
            problem: None,
        },
        Err(e) => AuditOut {
            intact: false,
            entries: None,
            problem: Some(e.to_string()),
        },
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointOut {
    /// The log had this many entries …
    seq: i64,
    /// … and this was the last one's hash.
    head_hash: String,
    at: chrono::DateTime<Utc>,
    /// Ed25519 public key (base64url) the HDAB signs checkpoints with.
    public_key: String,
    /// Ed25519 signature (base64url) over "hdab audit checkpoint v1\0", seq (8 bytes, big
    /// endian) and the head hash.
    signature: String,
}

/// The latest signed checkpoint of the audit log (public): keep copies; a log that no longer
/// holds the entry it vouches for was cut off.
#[utoipa::path(get, path = "/api/v1/audit/checkpoint", tag = "admin",
    responses((status = 200, body = CheckpointOut), (status = 404, description = "no checkpoint yet")))]
pub(super) async fn latest_checkpoint(
    State(s): State<ServerState>,
) -> ApiResult<Json<CheckpointOut>> {
    let c = s
        .app
        .latest_checkpoint()
        .await?
        .ok_or_else(|| hdab_app::AppError::NotFound("a signed checkpoint".into()))?;
    Ok(Json(CheckpointOut {
        seq: c.seq,
        head_hash: c.head_hash,
        at: c.at,
        public_key: c.public_key,
        signature: c.signature,
    }))
}

/// The signed entitlements feed (SPE operators, admins): per permit, who may use its
/// workspace and until when. Check `signature` over `hdab entitlements v1\n` + `payload`
/// with the audit key the public register publishes.
#[utoipa::path(get, path = "/api/v1/entitlements", tag = "admin",
    responses((status = 200, body = Object), (status = 401), (status = 403)))]
pub(super) async fn entitlements(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<Json<serde_json::Value>> {
    let feed = s.app.entitlements(caller.id()?).await?;
    Ok(Json(super::to_json(&feed)?))
}
