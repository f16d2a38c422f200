//! A case and the case queue: the commands the permission matrix offers the viewer now.

use super::applications::{Fields, deadline_text, optional};
use super::frame::{Chrome, NoticeQuery, see_other, word};
use super::render;
use crate::ServerState;
use crate::auth::Caller;
use crate::error::{PageResult, WebError};
use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use hdab_app::CaseOptions;
use hdab_i18n::Lang;
use hdab_permits::{AppState, CaseCommand};

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/applications/{application_id}/command", post(case_command))
        .route("/cases", get(queue_page))
}

pub(super) struct Action {
    command: String,
    label: String,
    needs_reason: bool,
}

#[derive(Template)]
#[template(path = "case.html")]
pub(super) struct CasePage {
    chrome: Chrome,
    id: String,
    /// The registration number (diarienummer), once received.
    registration: String,
    /// The documents attached: (id, kind, name, size, checksum, when).
    attachments: Vec<(String, String, String, String, String, String)>,
    /// The applicant may attach documents now.
    can_attach: bool,
    title: String,
    state: String,
    assignee: String,
    deadline: String,
    permit: String,
    applicant: String,
    organisation: String,
    purpose: String,
    intended_use: String,
    expected_benefit: String,
    spe_users: String,
    /// The study population in words (empty: every dataset on its own).
    population: Vec<String>,
    form: String,
    /// Asked pseudonymised: the decision maker may grant anonymised data instead.
    pseudonymised: bool,
    months: u32,
    ethics: String,
    safeguards: String,
    requested: Vec<(String, String, String)>,
    problems: Vec<String>,
    can_edit: bool,
    actions: Vec<Action>,
    officers: Vec<String>,
    narrowable: Vec<(String, Vec<String>)>,
    events: Vec<(String, String, String, String)>,
    /// Every version received: (heading, changes in words).
    versions: Vec<(String, Vec<String>)>,
    risk: super::risk::RiskSection,
    fees: super::fees::FeeSection,
    consult: super::consultations::ConsultSection,
}

pub(super) async fn case_page(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
    Query(n): Query<NoticeQuery>,
    RawQuery(raw): RawQuery,
) -> PageResult<Response> {
    let user = caller.require()?.clone();
    let lang = caller.lang;
    let (a, d) = s.app.show_application(&user.id, &application_id).await?;
    let query = Fields(crate::auth::serde_urlencoded_pairs(
        raw.unwrap_or_default().as_bytes(),
    ));
    let risk = super::risk::risk_section(&s, &user, &a.id, &a.content, &query, lang).await?;
    let state = hdab_permits::state_of(&a.events);
    let view = hdab_permits::CaseView {
        applicant: &a.applicant,
        events: &a.events,
    };
    // Offer exactly the commands the permission matrix allows this user now.
    let actions = hdab_permits::access::offered_commands(&user, view)
        .into_iter()
        .map(|o| Action {
            command: o.command.as_str().to_string(),
            label: word(lang, "command", &o.command),
            needs_reason: o.needs_reason,
        })
        .collect::<Vec<_>>();
    let officers = if actions.iter().any(|a| a.command == "assign") {
        s.app
            .users()
            .await?
            .into_iter()
            .filter(hdab_permits::access::may_be_assigned)
            .map(|u| u.id)
            .collect()
    } else {
        Vec::new()
    };
    let problems = if matches!(state, AppState::Draft | AppState::Incomplete) {
        s.app.application_problems(&a.content).await?
    } else {
        Vec::new()
    };
    let c = &a.content;
    let (consult, consult_history) =
        super::consultations::consult_section(&s, &user, &a.id, state, lang).await?;
    Ok(render(&CasePage {
        consult,
        chrome: Chrome::of(&caller).with_notice(n.notice.as_deref()),
        id: a.id.clone(),
        registration: s.app.registration_number(&a.id).await?.unwrap_or_default(),
        attachments: s
            .app
            .attachments(&user.id, &a.id)
            .await?
            .into_iter()
            .map(|f| {
                (
                    f.id,
                    lang.text(&format!("attachment-kind-{}", f.kind)),
                    f.name,
                    lang.text_with(
                        "attachment-size",
                        &[("kib", (f.bytes / 1024).max(1).into())],
                    ),
                    f.sha256.chars().take(16).collect(),
                    f.uploaded_at.format("%Y-%m-%d %H:%M").to_string(),
                )
            })
            .collect(),
        can_attach: hdab_permits::access::may_change_application(&user.id, &a.applicant)
            && matches!(state, AppState::Draft | AppState::Incomplete),
        title: c.title.clone(),
        state: word(lang, "state", &state),
        assignee: hdab_permits::assignee_of(&a.events)
            .unwrap_or_default()
            .to_string(),
        deadline: deadline_text(&d, lang),
        permit: s
            .app
            .permit_of_application(&a.id)
            .await?
            .unwrap_or_default(),
        applicant: a.applicant.clone(),
        organisation: c.organisation.clone(),
        purpose: word(lang, "purpose", &c.purpose),
        intended_use: c.intended_use.clone(),
        expected_benefit: c.expected_benefit.clone(),
        spe_users: c.spe_users.join(", "),
        population: c
            .population
            .as_ref()
            .map(|p| p.in_words(lang))
            .unwrap_or_default(),
        form: if c.pseudonymised {
            lang.text_with(
                "form-pseudonymised-because",
                &[("reason", c.why_not_anonymised.as_str().into())],
            )
        } else {
            lang.text("form-anonymised")
        },
        pseudonymised: c.pseudonymised,
        months: c.months_needed,
        ethics: c.ethics_reference.clone().unwrap_or_default(),
        safeguards: c.safeguards.clone(),
        requested: c
            .datasets
            .iter()
            .map(|r| {
                (
                    r.dataset_id.clone(),
                    r.variables.join(", "),
                    match &r.window {
                        Some(w) => format!("{}; {}", r.cohort.in_words(lang), w.in_words(lang)),
                        None => r.cohort.in_words(lang),
                    },
                )
            })
            .collect(),
        problems,
        can_edit: a.applicant == user.id && matches!(state, AppState::Draft | AppState::Incomplete),
        actions,
        officers,
        narrowable: c
            .datasets
            .iter()
            .map(|r| (r.dataset_id.clone(), r.variables.clone()))
            .collect(),
        events: {
            // The data orders of its permit belong to the case's history (its holders', its
            // staff's view; an applicant follows the permit's page).
            let mut lines = event_lines(&a.events, lang);
            lines.extend(consult_history);
            let permit = s.app.permit_of_application(&a.id).await?;
            if let Some(p) = permit.filter(|_| {
                hdab_permits::access::may(&user, hdab_permits::access::Duty::ViewOrders)
            }) {
                let today = chrono::Utc::now().date_naive();
                for o in s.app.orders(&user.id, Some(&p), today).await? {
                    lines.extend(super::orders::history_lines(&o, lang));
                }
            }
            lines.sort_by(|a, b| a.2.cmp(&b.2));
            lines
        },
        risk,
        fees: super::fees::fee_section(
            &s,
            &user,
            &a.id,
            &a.applicant,
            state,
            c.months_needed,
            lang,
        )
        .await?,
        versions: version_lines(&s.app.application_versions(&user.id, &a.id).await?, lang),
    })?)
}

/// The case's history, a line per event: command, actor, time, what was said.
fn event_lines(
    events: &[hdab_permits::CaseEvent],
    lang: Lang,
) -> Vec<(String, String, String, String)> {
    events
        .iter()
        .map(|e| {
            let to =
                |officer: &str| lang.text_with("case-event-to", &[("officer", officer.into())]);
            (
                word(lang, "event", &e.command),
                e.actor.clone(),
                e.at.format("%Y-%m-%d %H:%M").to_string(),
                match &e.assignee {
                    Some(officer) if e.comment.is_empty() => to(officer),
                    Some(officer) => format!("{}: {}", to(officer), e.comment),
                    None => e.comment.clone(),
                },
            )
        })
        .collect()
}

/// Each submitted version of the application, and what changed from the one before.
fn version_lines(
    versions: &[hdab_app::SubmittedVersion],
    lang: Lang,
) -> Vec<(String, Vec<String>)> {
    let none = format!("({})", lang.text("none"));
    versions
        .iter()
        .map(|v| {
            let at = v
                .submitted_at
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            (
                lang.text_with(
                    "case-version-line",
                    &[
                        ("version", v.version.into()),
                        ("date", at.as_str().into()),
                        ("user", v.submitted_by.as_str().into()),
                    ],
                ),
                v.changes
                    .iter()
                    .map(|c| {
                        format!(
                            "{}: {} → {}",
                            c.path,
                            c.before.as_deref().unwrap_or(&none),
                            c.after.as_deref().unwrap_or(&none)
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

pub(super) async fn case_command(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let actor = caller.id()?;
    let f = Fields(pairs);
    let command = CaseCommand::parse(&f.get("command"))
        .ok_or_else(|| WebError::bad_request("unknown case command"))?;
    let mut options = CaseOptions::default();
    if command == CaseCommand::Assign {
        options.assign_to = Some(f.get("assign_to")).filter(|s| !s.is_empty());
    }
    if command == CaseCommand::Approve {
        let (a, _) = s.app.show_application(actor, &application_id).await?;
        let asked = a.content.asked_spec();
        let mut narrowed = asked.clone();
        for d in &mut narrowed.datasets {
            let keep = f.all(&format!("keep_{}", d.dataset_id));
            d.variables.retain(|v| keep.contains(v));
            let kept = d.variables.clone();
            d.generalisations
                .retain(|g| kept.iter().any(|v| v.eq_ignore_ascii_case(g.column())));
        }
        // The officer may grant anonymised data where pseudonymised was asked (Art. 66(2)).
        if f.get("as_anonymised") == "1" {
            narrowed.pseudonymised = false;
        }
        if narrowed != asked {
            options.narrowed = Some(narrowed);
        }
        options.conditions = f
            .get("conditions")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        options.valid_months = optional(&f, "valid_months", "months of validity")?;
    }
    let (_, permit) = s
        .app
        .case_command(actor, &application_id, command, &f.get("comment"), options)
        .await?;
    Ok(match permit {
        Some(p) => see_other(format!("/permits/{p}?notice=done")),
        None => see_other(format!("/applications/{application_id}?notice=done")),
    })
}

pub(super) struct QueueLine {
    id: String,
    registration: String,
    title: String,
    organisation: String,
    state: String,
    assignee: String,
    days: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "queue.html")]
pub(super) struct QueuePage {
    chrome: Chrome,
    rows: Vec<QueueLine>,
    /// Data orders past their due date (the holders are late).
    overdue_orders: usize,
}

pub(super) async fn queue_page(
    State(s): State<ServerState>,
    caller: Caller,
) -> PageResult<Response> {
    let lang = caller.lang;
    let numbers = s.app.registration_numbers().await?;
    let rows = s
        .app
        .queue(caller.id()?)
        .await?
        .into_iter()
        .map(|r| QueueLine {
            overdue: r.deadline.days_left.is_some_and(|d| d < 0),
            days: r.deadline.days_left.map_or_else(
                || {
                    if r.deadline.paused {
                        lang.text("deadline-paused-short")
                    } else {
                        String::new()
                    }
                },
                |d| d.to_string(),
            ),
            registration: numbers.get(&r.id).cloned().unwrap_or_default(),
            id: r.id,
            title: r.title,
            organisation: r.organisation,
            state: word(lang, "state", &r.state),
            assignee: r.assignee.unwrap_or_default(),
        })
        .collect();
    let today = chrono::Utc::now().date_naive();
    let overdue_orders = s
        .app
        .orders(caller.id()?, None, today)
        .await?
        .iter()
        .filter(|o| o.overdue)
        .count();
    Ok(render(&QueuePage {
        chrome: Chrome::of(&caller),
        rows,
        overdue_orders,
    })?)
}
