//! A case's consultations on its page: the list with answers, the officer's question form,
//! answering and closing.

use super::frame::{see_other, word};
use crate::ServerState;
use crate::auth::Caller;
use crate::error::{PageResult, WebError};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use chrono::NaiveDate;
use hdab_i18n::Lang;
use hdab_permits::consultations::{ConsultationChange, ConsultationKind, ConsultationState};
use hdab_permits::{AppState, User};
use serde::Deserialize;

pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/applications/{application_id}/consultations", post(ask))
        .route(
            "/applications/{application_id}/consultations/{consultation_id}",
            post(settle),
        )
}

pub(super) struct Row {
    pub(super) id: String,
    pub(super) kind: String,
    pub(super) to: String,
    pub(super) question: String,
    pub(super) due: String,
    pub(super) state: String,
    pub(super) late: bool,
    pub(super) outcome: String,
    pub(super) open: bool,
    pub(super) may_answer: bool,
}

pub(super) struct ConsultSection {
    pub(super) rows: Vec<Row>,
    pub(super) may_ask: bool,
    pub(super) may_close: bool,
    pub(super) kinds: Vec<(String, String)>,
}

/// The section, and the consultations' lines for the case history.
pub(super) async fn consult_section(
    s: &ServerState,
    user: &User,
    application_id: &str,
    state: AppState,
    lang: Lang,
) -> Result<(ConsultSection, Vec<(String, String, String, String)>), WebError> {
    let views = s.app.consultations(&user.id, application_id).await?;
    let mut history = Vec::new();
    let rows = views
        .iter()
        .map(|v| {
            let c = &v.consultation;
            history.push((
                lang.text_with("consult-event-asked", &[("id", c.id.as_str().into())]),
                c.asked_by.clone(),
                c.asked_at.format("%Y-%m-%d %H:%M").to_string(),
                c.question.clone(),
            ));
            let mut outcome = String::new();
            for e in &v.events {
                let (event, text) = match &e.change {
                    ConsultationChange::Answered { answer } => ("consult-event-answered", answer),
                    ConsultationChange::Closed { reason } => ("consult-event-closed", reason),
                };
                history.push((
                    lang.text_with(event, &[("id", c.id.as_str().into())]),
                    e.actor.clone(),
                    e.at.format("%Y-%m-%d %H:%M").to_string(),
                    text.clone(),
                ));
                outcome = text.clone();
            }
            let open = v.state == ConsultationState::Open;
            Row {
                id: c.id.clone(),
                kind: word(lang, "consult-kind", &c.kind),
                to: c.addressee.clone(),
                question: c.question.clone(),
                due: c.due_on.to_string(),
                state: word(lang, "consult-state", &v.state),
                late: v.late,
                outcome,
                open,
                may_answer: open && hdab_permits::access::may_answer_consultation(user, c),
            }
        })
        .collect();
    let undecided = matches!(
        state,
        AppState::Submitted | AppState::UnderReview | AppState::Incomplete
    );
    let officer = hdab_permits::access::may(user, hdab_permits::access::Duty::Consult);
    Ok((
        ConsultSection {
            rows,
            may_ask: undecided && officer,
            may_close: officer,
            kinds: ConsultationKind::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), word(lang, "consult-kind", k)))
                .collect(),
        },
        history,
    ))
}

#[derive(Debug, Deserialize)]
struct AskForm {
    kind: String,
    to: String,
    question: String,
    due: String,
}

async fn ask(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
    axum::Form(f): axum::Form<AskForm>,
) -> PageResult<Response> {
    let kind = ConsultationKind::parse(&f.kind)
        .ok_or_else(|| WebError::bad_request(caller.lang.text("consult-kind-unknown")))?;
    let due = f
        .due
        .trim()
        .parse::<NaiveDate>()
        .map_err(|_| WebError::bad_request(caller.lang.text("consult-due-unreadable")))?;
    s.app
        .ask_consultation(caller.id()?, &application_id, kind, &f.to, &f.question, due)
        .await?;
    Ok(see_other(format!(
        "/applications/{application_id}?notice=done#consultations"
    )))
}

#[derive(Debug, Deserialize)]
struct SettleForm {
    /// `answer` or `close`.
    action: String,
    text: String,
}

async fn settle(
    State(s): State<ServerState>,
    caller: Caller,
    Path((application_id, consultation_id)): Path<(String, String)>,
    axum::Form(f): axum::Form<SettleForm>,
) -> PageResult<Response> {
    let change = match f.action.as_str() {
        "close" => ConsultationChange::Closed { reason: f.text },
        _ => ConsultationChange::Answered { answer: f.text },
    };
    s.app
        .settle_consultation(caller.id()?, &consultation_id, change)
        .await?;
    Ok(see_other(format!(
        "/applications/{application_id}?notice=done#consultations"
    )))
}
