//! Permits: the lists (own and every), one permit with its deliveries, and starting an
//! extraction.

use super::frame::{Chrome, NoticeQuery, day, escape, see_other};
use super::render;
use crate::ServerState;
use crate::auth::Caller;
use crate::error::PageResult;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use hdab_pipeline::Compression;
use serde::Deserialize;

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/permits", get(permits_page))
        .route("/permits/{permit_id}", get(permit_page))
        .route("/permits/{permit_id}/extract", post(permit_extract))
}

pub(super) struct PermitLine {
    id: String,
    application: String,
    datasets: String,
    valid_until: String,
    status: String,
}

#[derive(Template)]
#[template(path = "permits.html")]
pub(super) struct PermitsPage {
    chrome: Chrome,
    heading: String,
    rows: Vec<PermitLine>,
}

pub(super) fn permit_status(p: &hdab_permits::Permit, lang: hdab_i18n::Lang) -> String {
    if let Some(at) = p.revoked_at {
        lang.text_with("permit-revoked", &[("date", day(at).as_str().into())])
    } else if p.valid_until < Utc::now().date_naive() {
        lang.text("permit-expired")
    } else {
        lang.text("permit-valid")
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct AllQuery {
    all: Option<bool>,
}

pub(super) async fn permits_page(
    State(s): State<ServerState>,
    caller: Caller,
    Query(q): Query<AllQuery>,
) -> PageResult<Response> {
    let actor = caller.id()?;
    let (heading, permits) = if q.all == Some(true) {
        ("permits-every", s.app.all_permits(actor).await?)
    } else {
        ("permits-mine", s.app.my_permits(actor).await?)
    };
    Ok(render(&PermitsPage {
        chrome: Chrome::of(&caller),
        heading: caller.lang.text(heading),
        rows: permits
            .iter()
            .map(|p| PermitLine {
                id: p.id.clone(),
                application: p.application_id.clone(),
                datasets: p
                    .spec
                    .datasets
                    .iter()
                    .map(|d| d.dataset_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                valid_until: p.valid_until.to_string(),
                status: permit_status(p, caller.lang),
            })
            .collect(),
    })?)
}

pub(super) struct DeliveryView {
    dataset: String,
    dataset_version: i64,
    /// Where the delivery is read (HTML in the reader's language, values escaped).
    location: String,
    /// Where every row went: for the HDAB's staff only (researchers see rows delivered).
    accounting: bool,
    rows_in: u64,
    rows_out: u64,
    outside_population: u64,
    outside: u64,
    opted_out: u64,
    invalid: u64,
    files: Vec<(String, u64, u64, String)>,
    columns: String,
}

#[derive(Template)]
#[template(path = "permit.html")]
pub(super) struct PermitPage {
    chrome: Chrome,
    id: String,
    application: String,
    granted: String,
    valid_until: String,
    status: String,
    spe_users: String,
    conditions: String,
    form: String,
    datasets: Vec<(String, String, String)>,
    can_extract: bool,
    can_submit_output: bool,
    /// The caller may query the data through the gateway today.
    can_query: bool,
    /// How to connect to the gateway (HTML in the reader's language, values escaped).
    gateway_howto: String,
    deliveries: Vec<DeliveryView>,
    /// Every query of the permit's data: when, who, status, rows, bytes, SQL.
    queries: Vec<(String, String, String, String, String, String)>,
}

pub(super) async fn permit_page(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
    Query(n): Query<NoticeQuery>,
) -> PageResult<Response> {
    let user = caller.require()?.clone();
    let lang = caller.lang;
    let st = s.app.permit_status(&user.id, &permit_id).await?;
    let p = &st.permit;
    let staff = hdab_permits::access::is_case_staff(&user);
    let deliveries = st
        .manifests
        .iter()
        .filter_map(|m| serde_json::from_value::<hdab_pipeline::Manifest>(m.clone()).ok())
        .map(|m| DeliveryView {
            location: lang.text_with(
                "permit-delivery-where",
                &[
                    ("dataset", escape(&m.dataset_id).as_str().into()),
                    (
                        "folder",
                        escape(&format!("spe/{}/{}/", m.permit_id, m.dataset_id))
                            .as_str()
                            .into(),
                    ),
                    (
                        "key",
                        escape(&format!("{} v{}", m.key_id, m.key_version))
                            .as_str()
                            .into(),
                    ),
                    ("registry", m.optout_registry_seq.into()),
                ],
            ),
            dataset: m.dataset_id,
            dataset_version: m.dataset_version,
            accounting: staff,
            rows_in: m.rows.rows_in,
            rows_out: m.rows.delivered,
            outside_population: m.rows.outside_population,
            outside: m.rows.outside_cohort,
            opted_out: m.rows.opted_out,
            invalid: m.rows.invalid_identifier,
            files: m
                .files
                .iter()
                .map(|f| {
                    (
                        f.name.clone(),
                        f.rows,
                        f.bytes,
                        f.sha256.chars().take(16).collect(),
                    )
                })
                .collect(),
            columns: m
                .columns
                .iter()
                .map(|(n, t)| format!("{n} ({t})"))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let queries = s
        .app
        .gateway_log(&user.id, &permit_id)
        .await?
        .into_iter()
        .rev()
        .map(|q| {
            let count = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
            (
                q.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                q.user,
                q.status,
                count(q.rows),
                count(q.bytes),
                q.sql,
            )
        })
        .collect();
    Ok(render(&PermitPage {
        chrome: Chrome::of(&caller).with_notice(n.notice.as_deref()),
        id: p.id.clone(),
        application: p.application_id.clone(),
        granted: day(p.granted_at),
        valid_until: p.valid_until.to_string(),
        status: permit_status(p, lang),
        spe_users: p.spe_users.join(", "),
        conditions: if p.conditions.is_empty() {
            lang.text("none")
        } else {
            p.conditions.join("; ")
        },
        form: lang.text(if p.spec.pseudonymised {
            "form-pseudonymised"
        } else {
            "form-anonymised"
        }),
        datasets: p
            .spec
            .datasets
            .iter()
            .map(|d| {
                let status = st.datasets.iter().find(|x| x.dataset_id == d.dataset_id);
                let delivered = lang.text(match status {
                    Some(x) if x.redelivery_due => "permit-delivered-again",
                    Some(x) if x.delivered_key_version.is_some() => "permit-delivered-yes",
                    _ => "permit-delivered-not-yet",
                });
                (d.dataset_id.clone(), d.variables.join(", "), delivered)
            })
            .collect(),
        can_extract: hdab_permits::access::may_extract(&user, p),
        can_submit_output: hdab_permits::output::require_submitter(
            &user,
            p,
            Utc::now().date_naive(),
        )
        .is_ok(),
        can_query: hdab_permits::workspace::require_data_reader(&user, p, Utc::now().date_naive())
            .is_ok(),
        gateway_howto: lang.text_with(
            "permit-gateway-howto",
            &[
                ("user", escape(&user.id).as_str().into()),
                ("permit", escape(&p.id).as_str().into()),
            ],
        ),
        deliveries,
        queries,
    })?)
}

pub(super) async fn permit_extract(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
) -> PageResult<Response> {
    s.extract(caller.id()?, &permit_id, Compression::Zstd)
        .await?;
    Ok(see_other(format!("/permits/{permit_id}?notice=extracted")))
}
