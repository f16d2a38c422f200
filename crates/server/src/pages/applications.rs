//! Applicants' pages: their applications and the application form (new and edit).

use super::frame::{Chrome, day, see_other, word};
use super::render;
use crate::ServerState;
use crate::auth::Caller;
use crate::error::{PageResult, WebError};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use hdab_app::CatalogQuery;
use hdab_i18n::Lang;
use hdab_permits::{ApplicationContent, Cohort, Condition, DatasetRequest, Purpose};

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route(
            "/applications",
            get(applications_page).post(application_create),
        )
        .route("/applications/new", get(application_new))
        .route("/applications/{application_id}/edit", get(application_edit))
}

pub(super) struct ApplicationListRow {
    id: String,
    title: String,
    state: String,
    due: String,
    permit: String,
}

#[derive(Template)]
#[template(path = "applications.html")]
pub(super) struct ApplicationsPage {
    chrome: Chrome,
    rows: Vec<ApplicationListRow>,
}

pub(super) fn deadline_text(d: &hdab_permits::Deadline, lang: Lang) -> String {
    let with = |id: &str, date: chrono::DateTime<chrono::Utc>, days: i64| {
        lang.text_with(
            id,
            &[("date", day(date).as_str().into()), ("days", days.into())],
        )
    };
    match (d.due, d.days_left, d.paused, d.stopped) {
        (_, _, _, Some(at)) => with("deadline-decided", at, 0),
        (Some(due), _, true, _) => with("deadline-paused", due, 0),
        (Some(due), Some(left), _, _) if left < 0 => with("deadline-overdue", due, -left),
        (Some(due), Some(left), _, _) if d.extended => with("deadline-due-extended", due, left),
        (Some(due), Some(left), _, _) => with("deadline-due", due, left),
        _ => lang.text("deadline-not-submitted"),
    }
}

pub(super) async fn applications_page(
    State(s): State<ServerState>,
    caller: Caller,
) -> PageResult<Response> {
    let lang = caller.lang;
    let rows = s
        .app
        .my_applications(caller.id()?)
        .await?
        .into_iter()
        .map(|r| ApplicationListRow {
            due: deadline_text(&r.deadline, lang),
            id: r.id,
            title: r.title,
            state: word(lang, "state", &r.state),
            permit: r.permit_id.unwrap_or_default(),
        })
        .collect();
    Ok(render(&ApplicationsPage {
        chrome: Chrome::of(&caller),
        rows,
    })?)
}

/// The application form's values (new: defaults; edit: the saved content).
#[derive(Default)]
pub(super) struct FormValues {
    title: String,
    organisation: String,
    purpose: String,
    intended_use: String,
    expected_benefit: String,
    spe_users: String,
    /// The study population as TOML (empty: none).
    population: String,
    pseudonymised: bool,
    why_not_anonymised: String,
    months_needed: String,
    ethics_reference: String,
    safeguards: String,
}

pub(super) struct DatasetChoice {
    id: String,
    title: String,
    holder: String,
    chosen: bool,
    variables: Vec<(String, bool)>,
    codes: String,
    code_columns: String,
    date_column: String,
    date_from: String,
    date_to: String,
    age_min: String,
    age_max: String,
    age_at: String,
}

#[derive(Template)]
#[template(path = "application_form.html")]
pub(super) struct ApplicationFormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    f: FormValues,
    purposes: Vec<(String, String)>,
    datasets: Vec<DatasetChoice>,
}

/// The purposes of EHDS Art. 53(1), (a) to (f), in the form's order.
pub(super) const PURPOSES: [Purpose; 6] = [
    Purpose::PublicHealth,
    Purpose::PolicyMaking,
    Purpose::OfficialStatistics,
    Purpose::Education,
    Purpose::ScientificResearch,
    Purpose::CareImprovement,
];

pub(super) fn purpose_key(p: Purpose) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub(super) async fn application_form(
    s: &ServerState,
    caller: &Caller,
    heading: String,
    action: String,
    content: Option<&ApplicationContent>,
) -> Result<Response, WebError> {
    let user = caller.require()?;
    let f = match content {
        Some(c) => FormValues {
            title: c.title.clone(),
            organisation: c.organisation.clone(),
            purpose: purpose_key(c.purpose),
            intended_use: c.intended_use.clone(),
            expected_benefit: c.expected_benefit.clone(),
            spe_users: c.spe_users.join(", "),
            population: c
                .population
                .as_ref()
                .and_then(|p| toml::to_string(p).ok())
                .unwrap_or_default(),
            pseudonymised: c.pseudonymised,
            why_not_anonymised: c.why_not_anonymised.clone(),
            months_needed: c.months_needed.to_string(),
            ethics_reference: c.ethics_reference.clone().unwrap_or_default(),
            safeguards: c.safeguards.clone(),
        },
        None => FormValues {
            organisation: user.organisation.clone(),
            purpose: purpose_key(Purpose::ScientificResearch),
            spe_users: user.id.clone(),
            pseudonymised: true,
            months_needed: "36".into(),
            ..FormValues::default()
        },
    };
    let datasets = s
        .app
        .catalog_search(&CatalogQuery::default())
        .await?
        .into_iter()
        .map(|d| {
            let asked =
                content.and_then(|c| c.datasets.iter().find(|r| r.dataset_id == d.dataset_id));
            let mut choice = DatasetChoice {
                id: d.dataset_id.clone(),
                title: super::public::in_language(&d.description.title, caller.lang).0,
                holder: d.description.holder_name.clone(),
                chosen: asked.is_some(),
                variables: d
                    .description
                    .variables
                    .iter()
                    .filter(|v| !matches!(v.variable_type, hdab_catalog::VariableType::PersonId))
                    .map(|v| {
                        (
                            v.name.clone(),
                            asked.is_some_and(|a| a.variables.contains(&v.name)),
                        )
                    })
                    .collect(),
                code_columns: d
                    .description
                    .variables
                    .iter()
                    .filter(|v| v.code_system.is_some())
                    .map(|v| v.name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                codes: String::new(),
                date_column: String::new(),
                date_from: String::new(),
                date_to: String::new(),
                age_min: String::new(),
                age_max: String::new(),
                age_at: String::new(),
            };
            for c in asked
                .map(|a| a.cohort.conditions.as_slice())
                .unwrap_or_default()
            {
                match c {
                    Condition::CodePrefix { columns, prefixes } => {
                        choice.codes = prefixes.join(", ");
                        choice.code_columns = columns.join(", ");
                    }
                    Condition::DateRange { column, from, to } => {
                        choice.date_column = column.clone();
                        choice.date_from = from.map(|d| d.to_string()).unwrap_or_default();
                        choice.date_to = to.map(|d| d.to_string()).unwrap_or_default();
                    }
                    Condition::AgeRange { min, max, at } => {
                        choice.age_min = min.map(|d| d.to_string()).unwrap_or_default();
                        choice.age_max = max.map(|d| d.to_string()).unwrap_or_default();
                        choice.age_at = at.to_string();
                    }
                }
            }
            choice
        })
        .collect();
    render(&ApplicationFormPage {
        chrome: Chrome::of(caller),
        heading,
        action,
        f,
        purposes: PURPOSES
            .iter()
            .map(|p| (purpose_key(*p), word(caller.lang, "purpose", p)))
            .collect(),
        datasets,
    })
}

pub(super) async fn application_new(
    State(s): State<ServerState>,
    caller: Caller,
) -> PageResult<Response> {
    Ok(application_form(
        &s,
        &caller,
        caller.lang.text("application-new-heading"),
        "/applications".into(),
        None,
    )
    .await?)
}

pub(super) async fn application_edit(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
) -> PageResult<Response> {
    let (a, _) = s
        .app
        .show_application(caller.id()?, &application_id)
        .await?;
    Ok(application_form(
        &s,
        &caller,
        caller.lang.text_with(
            "application-change-heading",
            &[("id", application_id.as_str().into())],
        ),
        format!("/applications/{application_id}"),
        Some(&a.content),
    )
    .await?)
}

/// Repeated form fields, in order.
pub(super) struct Fields(pub(super) Vec<(String, String)>);

impl Fields {
    pub(super) fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }

    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
}

pub(super) fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

pub(super) fn optional<T: std::str::FromStr>(
    f: &Fields,
    name: &str,
    what: &str,
) -> Result<Option<T>, WebError> {
    let v = f.get(name);
    if v.is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).map_err(|_| {
        WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{what}: '{v}' is not valid"),
        )
    })
}

/// The application as the form describes it. Generalisations set through the API are kept
/// for the datasets still asked for (the form does not show them).
pub(super) fn content_of_form(
    f: &Fields,
    previous: Option<&ApplicationContent>,
) -> Result<ApplicationContent, WebError> {
    let purpose = PURPOSES
        .iter()
        .find(|p| purpose_key(**p) == f.get("purpose"))
        .copied()
        .ok_or_else(|| WebError::new(StatusCode::UNPROCESSABLE_ENTITY, "choose a purpose"))?;
    let mut datasets = Vec::new();
    for id in f.all("ds") {
        let mut conditions = Vec::new();
        let codes = list(&f.get(&format!("codes_{id}")));
        if !codes.is_empty() {
            conditions.push(Condition::CodePrefix {
                columns: list(&f.get(&format!("code_columns_{id}"))),
                prefixes: codes,
            });
        }
        let date_column = f.get(&format!("date_column_{id}"));
        let from = optional(f, &format!("date_from_{id}"), "the cohort's start date")?;
        let to = optional(f, &format!("date_to_{id}"), "the cohort's end date")?;
        if !date_column.is_empty() || from.is_some() || to.is_some() {
            conditions.push(Condition::DateRange {
                column: date_column,
                from,
                to,
            });
        }
        let min = optional(f, &format!("age_min_{id}"), "the lowest age")?;
        let max = optional(f, &format!("age_max_{id}"), "the highest age")?;
        if min.is_some() || max.is_some() {
            let at =
                optional(f, &format!("age_at_{id}"), "the date of the age")?.ok_or_else(|| {
                    WebError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("{id}: an age range needs the date on which the age is counted"),
                    )
                })?;
            conditions.push(Condition::AgeRange { min, max, at });
        }
        // What the form does not show is kept from the saved version.
        let before = previous.and_then(|p| p.datasets.iter().find(|d| d.dataset_id == id));
        datasets.push(DatasetRequest {
            variables: f.all(&format!("var_{id}")),
            cohort: Cohort { conditions },
            generalisations: before
                .map(|d| d.generalisations.clone())
                .unwrap_or_default(),
            window: before.and_then(|d| d.window.clone()),
            person_role: before.and_then(|d| d.person_role.clone()),
            dataset_id: id,
        });
    }
    Ok(ApplicationContent {
        title: f.get("title"),
        organisation: f.get("organisation"),
        purpose,
        intended_use: f.get("intended_use"),
        expected_benefit: f.get("expected_benefit"),
        spe_users: list(&f.get("spe_users")),
        population: population_of_form(&f.get("population"))?,
        datasets,
        pseudonymised: f.get("pseudonymised") != "false",
        why_not_anonymised: f.get("why_not_anonymised"),
        months_needed: optional(f, "months_needed", "months needed")?.unwrap_or(0),
        ethics_reference: Some(f.get("ethics_reference")).filter(|s| !s.is_empty()),
        safeguards: f.get("safeguards"),
    })
}

/// The study population as the form's text gives it (TOML, as in an application file).
fn population_of_form(text: &str) -> Result<Option<hdab_permits::StudyPopulation>, WebError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    toml::from_str(text).map(Some).map_err(|e| {
        WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("population: {}", e.message()),
        )
    })
}

pub(super) async fn application_create(
    State(s): State<ServerState>,
    caller: Caller,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let actor = caller.id()?;
    let content = content_of_form(&Fields(pairs), None)?;
    let id = s.app.create_application_content(actor, content).await?;
    Ok(see_other(format!("/applications/{id}?notice=saved")))
}

pub(super) async fn application_update(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let actor = caller.id()?;
    let (previous, _) = s.app.show_application(actor, &application_id).await?;
    let content = content_of_form(&Fields(pairs), Some(&previous.content))?;
    s.app
        .update_application_content(actor, &application_id, content)
        .await?;
    Ok(see_other(format!(
        "/applications/{application_id}?notice=saved"
    )))
}
