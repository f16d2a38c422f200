//! Data orders: the caller's (a holder's own, every one for the HDAB's staff), one order,
//! an extension, and the holder's upload that fulfils it.

use super::catalog::{UploadOut, UploadParams, upload_out};
use super::{ApiResult, Body422, to_json};
use crate::ServerState;
use crate::auth::Caller;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/api/v1/orders", get(list_orders))
        .route("/api/v1/orders/{order_id}", get(show_order))
        .route("/api/v1/orders/{order_id}/extend", post(extend_order))
        .route(
            "/api/v1/orders/{order_id}/uploads",
            axum::routing::put(upload_for_order).layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderListParams {
    /// Of one permit.
    permit: Option<String>,
    /// `true`: only those past their due date.
    overdue: Option<bool>,
}

/// Data orders, oldest first: a holder's own, every one for case officers, decision makers
/// and admins; each with its state, due date, lateness and history.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrderListParams),
    responses((status = 400, description = "a query parameter is malformed"), (status = 200, body = [Object]), (status = 401), (status = 403)))]
pub(super) async fn list_orders(
    State(s): State<ServerState>,
    caller: Caller,
    Query(p): Query<OrderListParams>,
) -> ApiResult<Json<Value>> {
    let today = Utc::now().date_naive();
    let mut orders = s
        .app
        .orders(caller.id()?, p.permit.as_deref(), today)
        .await?;
    if p.overdue == Some(true) {
        orders.retain(|o| o.overdue);
    }
    Ok(Json(to_json(&orders)?))
}

/// One data order with its history (its holder and the HDAB's staff).
#[utoipa::path(get, path = "/api/v1/orders/{order_id}", tag = "orders",
    params(("order_id" = String, Path)),
    responses((status = 200, body = Object), (status = 401), (status = 403), (status = 404)))]
pub(super) async fn show_order(
    State(s): State<ServerState>,
    caller: Caller,
    Path(order_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let today = Utc::now().date_naive();
    let o = s.app.order(caller.id()?, &order_id, today).await?;
    Ok(Json(to_json(&o)?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ExtendIn {
    /// 1 to 3.
    months: u32,
    reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExtendOut {
    order_id: String,
    due: NaiveDate,
}

/// Extends an order's due date: once, by 1 to 3 months, with a reason (case officers).
#[utoipa::path(post, path = "/api/v1/orders/{order_id}/extend", tag = "orders",
    params(("order_id" = String, Path)), request_body = ExtendIn,
    responses((status = 200, body = ExtendOut), (status = 401), (status = 403), (status = 404), (status = 422)))]
pub(super) async fn extend_order(
    State(s): State<ServerState>,
    caller: Caller,
    Path(order_id): Path<String>,
    Body422(body): Body422<ExtendIn>,
) -> ApiResult<Json<ExtendOut>> {
    let due = s
        .app
        .extend_order(caller.id()?, &order_id, body.months, &body.reason)
        .await?;
    Ok(Json(ExtendOut { order_id, due }))
}

/// Fulfils an order with an upload made for it (CSV or Parquet as the body), checked against
/// the dataset's description like any upload; a later one replaces it (the order's holder).
#[utoipa::path(put, path = "/api/v1/orders/{order_id}/uploads", tag = "orders",
    params(("order_id" = String, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 400, description = "a query parameter is malformed"), (status = 201, body = UploadOut), (status = 401), (status = 403), (status = 404), (status = 413), (status = 422)))]
pub(super) async fn upload_for_order(
    State(s): State<ServerState>,
    caller: Caller,
    Path(order_id): Path<String>,
    Query(p): Query<UploadParams>,
    body: Body,
) -> ApiResult<(StatusCode, Json<UploadOut>)> {
    let actor = caller.id()?.to_string();
    let incoming = s.receive(body.into_data_stream()).await?;
    let (u, _) = s
        .app
        .upload_for_order(&actor, &order_id, None, incoming.path(), p.reference_date)
        .await?;
    Ok((StatusCode::CREATED, Json(upload_out(u))))
}
