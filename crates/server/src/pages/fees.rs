//! A case's fees on its page: the estimate with its lines and shares, the applicant's
//! acceptance, the officer's estimate form, the invoice.

use super::frame::see_other;
use crate::ServerState;
use crate::auth::Caller;
use crate::error::{PageResult, WebError};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use hdab_i18n::Lang;
use hdab_permits::fees::{FeeItem, FeeStatement};
use hdab_permits::{AppState, User};
use serde::Deserialize;

pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route(
            "/applications/{application_id}/fee/estimate",
            post(estimate),
        )
        .route("/applications/{application_id}/fee/accept", post(accept))
}

/// A statement as the page shows it: lines (what, party, quantity, unit, amount), total,
/// shares.
pub(super) struct Statement {
    pub(super) lines: Vec<(String, String, u64, u64, u64)>,
    pub(super) total: u64,
    pub(super) shares: Vec<(String, u64)>,
}

fn statement(s: &FeeStatement, lang: Lang) -> Statement {
    Statement {
        lines: s
            .lines
            .iter()
            .map(|l| {
                let what = match l.item {
                    FeeItem::Dataset => lang.text_with(
                        "fee-item-dataset",
                        &[("dataset", l.dataset.as_str().into())],
                    ),
                    item => super::frame::word(lang, "fee-item", &item),
                };
                (what, l.party.clone(), l.quantity, l.unit_sek, l.sek)
            })
            .collect(),
        total: s.total_sek,
        shares: s.shares(),
    }
}

/// The case page's fee section.
pub(super) struct FeeSection {
    /// Show the section at all (fees charged, or a statement exists).
    pub(super) shown: bool,
    pub(super) estimate: Option<Statement>,
    pub(super) accepted: String,
    pub(super) invoice: Option<Statement>,
    pub(super) may_accept: bool,
    pub(super) may_estimate: bool,
    pub(super) months: u32,
}

pub(super) async fn fee_section(
    s: &ServerState,
    user: &User,
    application_id: &str,
    applicant: &str,
    state: AppState,
    months: u32,
    lang: Lang,
) -> Result<FeeSection, WebError> {
    let v = s.app.fees(&user.id, application_id).await?;
    let undecided = matches!(
        state,
        AppState::Submitted | AppState::UnderReview | AppState::Incomplete
    );
    Ok(FeeSection {
        shown: v.charged || v.state.estimate.is_some(),
        estimate: v.state.estimate.as_ref().map(|e| statement(e, lang)),
        accepted: v
            .state
            .accepted
            .as_ref()
            .map(|(who, at)| {
                lang.text_with(
                    "fee-accepted-by",
                    &[
                        ("user", who.as_str().into()),
                        ("date", at.format("%Y-%m-%d").to_string().as_str().into()),
                    ],
                )
            })
            .unwrap_or_default(),
        invoice: v.state.invoice.as_ref().map(|i| statement(i, lang)),
        may_accept: undecided
            && v.state.estimate.is_some()
            && v.state.accepted.is_none()
            && hdab_permits::access::may_change_application(&user.id, applicant),
        may_estimate: v.charged
            && undecided
            && hdab_permits::access::may(user, hdab_permits::access::Duty::ChargeFees),
        months,
    })
}

#[derive(Debug, Deserialize)]
struct EstimateForm {
    hours: u64,
    spe_months: u64,
    /// One `HOLDER=SEK` a line.
    #[serde(default)]
    holder_costs: String,
}

async fn estimate(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
    axum::Form(f): axum::Form<EstimateForm>,
) -> PageResult<Response> {
    let mut costs = Vec::new();
    for line in f
        .holder_costs
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let parsed = line
            .split_once('=')
            .and_then(|(h, sek)| Some((h.trim().to_string(), sek.trim().parse::<u64>().ok()?)));
        match parsed {
            Some(c) => costs.push(c),
            None => {
                return Err(WebError::bad_request(
                    caller
                        .lang
                        .text_with("fee-cost-unreadable", &[("line", line.into())]),
                )
                .into());
            }
        }
    }
    s.app
        .estimate_fee(
            caller.id()?,
            &application_id,
            f.hours,
            costs,
            Some(f.spe_months),
        )
        .await?;
    Ok(see_other(format!(
        "/applications/{application_id}?notice=done"
    )))
}

async fn accept(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
) -> PageResult<Response> {
    s.app.accept_fee(caller.id()?, &application_id).await?;
    Ok(see_other(format!(
        "/applications/{application_id}?notice=done"
    )))
}
