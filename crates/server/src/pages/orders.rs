//! Data orders' pages: the list (a holder's own, every one for the HDAB's staff, overdue
//! first), one order with its history, the holder's upload for it and an officer's extension.

use super::frame::{Chrome, NoticeQuery, day, see_other, word};
use super::render;
use crate::ServerState;
use crate::auth::Caller;
use crate::error::PageResult;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use hdab_app::orders::OrderView;
use hdab_i18n::Lang;
use hdab_permits::orders::{OrderChange, OrderState};
use serde::Deserialize;

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/orders", get(orders_page))
        .route("/orders/{order_id}", get(order_page))
        .route(
            "/orders/{order_id}/upload",
            post(order_upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/orders/{order_id}/extend", post(order_extend))
}

pub(super) struct OrderRow {
    id: String,
    permit: String,
    dataset: String,
    holder: String,
    state: String,
    due: String,
    overdue: bool,
    days_late: i64,
}

fn state_in_words(o: &OrderView, lang: Lang) -> String {
    match &o.state {
        OrderState::Open { extended: true, .. } => lang.text("order-state-extended"),
        s => word(lang, "order-state", &s.as_str()),
    }
}

fn row(o: &OrderView, lang: Lang) -> OrderRow {
    OrderRow {
        id: o.order.id.clone(),
        permit: o.order.permit_id.clone(),
        dataset: o.order.dataset_id.clone(),
        holder: o.order.holder.clone(),
        state: state_in_words(o, lang),
        due: o.due.to_string(),
        overdue: o.overdue,
        days_late: o.days_late,
    }
}

#[derive(Template)]
#[template(path = "orders.html")]
pub(super) struct OrdersPage {
    chrome: Chrome,
    rows: Vec<OrderRow>,
    overdue: usize,
}

#[derive(Debug, Deserialize)]
pub(super) struct OrdersQuery {
    permit: Option<String>,
}

pub(super) async fn orders_page(
    State(s): State<ServerState>,
    caller: Caller,
    Query(q): Query<OrdersQuery>,
) -> PageResult<Response> {
    let today = Utc::now().date_naive();
    let mut orders = s
        .app
        .orders(caller.id()?, q.permit.as_deref(), today)
        .await?;
    // Overdue first (the latest first), then open by due date, then the rest.
    orders.sort_by_key(|o| {
        (
            !o.overdue,
            -o.days_late,
            !matches!(o.state, OrderState::Open { .. }),
            o.due,
        )
    });
    let rows: Vec<OrderRow> = orders.iter().map(|o| row(o, caller.lang)).collect();
    Ok(render(&OrdersPage {
        chrome: Chrome::of(&caller),
        overdue: rows.iter().filter(|r| r.overdue).count(),
        rows,
    })?)
}

/// An order's lines in its case's history: (what, who, when, detail), as `cases.rs` writes
/// a case event's.
pub(super) fn history_lines(o: &OrderView, lang: Lang) -> Vec<(String, String, String, String)> {
    let mut lines = vec![(
        lang.text_with(
            "order-event-placed",
            &[("order", o.order.id.as_str().into())],
        ),
        "hdab".to_string(),
        o.order.ordered_at.format("%Y-%m-%d %H:%M").to_string(),
        lang.text_with(
            "order-event-placed-detail",
            &[
                ("dataset", o.order.dataset_id.as_str().into()),
                ("holder", o.order.holder.as_str().into()),
                ("due", o.order.due_on.to_string().as_str().into()),
            ],
        ),
    )];
    for e in &o.events {
        lines.push((
            lang.text_with("order-event", &[("order", o.order.id.as_str().into())]),
            e.actor.clone(),
            e.at.format("%Y-%m-%d %H:%M").to_string(),
            change_in_words(&e.change, lang),
        ));
    }
    lines
}

fn change_in_words(change: &OrderChange, lang: Lang) -> String {
    match change {
        OrderChange::Extended { until, reason } => lang.text_with(
            "order-history-extended",
            &[
                ("date", until.to_string().as_str().into()),
                ("reason", reason.as_str().into()),
            ],
        ),
        OrderChange::Fulfilled { upload_id } => lang.text_with(
            "order-history-fulfilled",
            &[("upload", upload_id.as_str().into())],
        ),
        OrderChange::Cancelled { reason } => lang.text_with(
            "order-history-cancelled",
            &[("reason", reason.as_str().into())],
        ),
    }
}

pub(super) struct HistoryLine {
    at: String,
    actor: String,
    what: String,
}

#[derive(Template)]
#[template(path = "order.html")]
pub(super) struct OrderPage {
    chrome: Chrome,
    o: OrderRow,
    title: String,
    application: String,
    scopes: Vec<String>,
    variables: String,
    ordered: String,
    first_due: String,
    history: Vec<HistoryLine>,
    /// The holder may upload for it (open, and the caller acts for the holder).
    may_upload: bool,
    /// A case officer may extend it (open, not extended yet).
    may_extend: bool,
    today: String,
}

pub(super) async fn order_page(
    State(s): State<ServerState>,
    caller: Caller,
    Path(order_id): Path<String>,
    Query(n): Query<NoticeQuery>,
) -> PageResult<Response> {
    let user = caller.require()?;
    let today = Utc::now().date_naive();
    let o = s.app.order(&user.id, &order_id, today).await?;
    let lang = caller.lang;
    let history = o
        .events
        .iter()
        .map(|e| HistoryLine {
            at: e.at.format("%Y-%m-%d %H:%M").to_string(),
            actor: e.actor.clone(),
            what: change_in_words(&e.change, lang),
        })
        .collect();
    let open = matches!(o.state, OrderState::Open { .. });
    let extended = matches!(o.state, OrderState::Open { extended: true, .. });
    let page = OrderPage {
        chrome: Chrome::of(&caller).with_notice(n.notice.as_deref()),
        title: o.title.clone(),
        application: o.order.application_id.clone(),
        scopes: o
            .order
            .scopes
            .iter()
            .map(|sc| word(lang, "order-scope", sc))
            .collect(),
        variables: o.order.variables.join(", "),
        ordered: day(o.order.ordered_at),
        first_due: o.order.due_on.to_string(),
        history,
        may_upload: open && hdab_permits::access::acts_for_holder(user, &o.order.holder),
        may_extend: open
            && !extended
            && hdab_permits::access::may(user, hdab_permits::access::Duty::ExtendOrders),
        today: today.to_string(),
        o: row(&o, lang),
    };
    Ok(render(&page)?)
}

pub(super) async fn order_upload(
    State(s): State<ServerState>,
    caller: Caller,
    Path(order_id): Path<String>,
    form: Multipart,
) -> PageResult<Response> {
    let actor = caller.id()?.to_string();
    let (file, reference_date) = super::holders::upload_form(&s, form).await?;
    s.app
        .upload_for_order(&actor, &order_id, None, file.path(), reference_date)
        .await?;
    Ok(see_other(format!("/orders/{order_id}?notice=fulfilled")))
}

#[derive(Debug, Deserialize)]
pub(super) struct ExtendForm {
    months: u32,
    reason: String,
}

pub(super) async fn order_extend(
    State(s): State<ServerState>,
    caller: Caller,
    Path(order_id): Path<String>,
    axum::Form(f): axum::Form<ExtendForm>,
) -> PageResult<Response> {
    s.app
        .extend_order(caller.id()?, &order_id, f.months, &f.reason)
        .await?;
    Ok(see_other(format!("/orders/{order_id}?notice=extended")))
}
