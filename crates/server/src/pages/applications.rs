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
    registration: String,
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
    let numbers = s.app.registration_numbers().await?;
    let rows = s
        .app
        .my_applications(caller.id()?)
        .await?
        .into_iter()
        .map(|r| ApplicationListRow {
            registration: numbers.get(&r.id).cloned().unwrap_or_default(),
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

/// The application form's values, as text (new: defaults; edit: the saved content; after a
/// refused save: what was typed, kept so nothing is lost).
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

#[derive(Default)]
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
    /// The errors of this dataset's fields, by the field's id without the dataset
    /// (`date-from`, `age-at`).
    errors: Vec<(String, String)>,
}

impl DatasetChoice {
    pub(super) fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// A field the form could not take, and why (shown above the form, linked to the field,
/// and beside the field, which names it with `aria-describedby`).
pub(super) struct FieldError {
    /// The field's element id.
    pub(super) field: String,
    pub(super) message: String,
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
    errors: Vec<FieldError>,
}

impl ApplicationFormPage {
    /// The error of a field, if the last save refused it.
    pub(super) fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
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

/// What the form starts from.
pub(super) enum Prefill<'a> {
    /// A new application: the applicant's organisation, research, pseudonymised, 36 months.
    New,
    /// The saved application.
    Saved(&'a ApplicationContent),
    /// What was typed into a form that could not be saved.
    Typed(&'a Fields),
}

impl FormValues {
    fn of(prefill: &Prefill<'_>, user: &hdab_permits::User) -> FormValues {
        match prefill {
            Prefill::New => FormValues {
                organisation: user.organisation.clone(),
                purpose: purpose_key(Purpose::ScientificResearch),
                spe_users: user.id.clone(),
                pseudonymised: true,
                months_needed: "36".into(),
                ..FormValues::default()
            },
            Prefill::Saved(c) => FormValues {
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
            Prefill::Typed(f) => FormValues {
                title: f.get("title"),
                organisation: f.get("organisation"),
                purpose: f.get("purpose"),
                intended_use: f.get("intended_use"),
                expected_benefit: f.get("expected_benefit"),
                spe_users: f.get("spe_users"),
                population: f.get("population"),
                pseudonymised: f.get("pseudonymised") != "false",
                why_not_anonymised: f.get("why_not_anonymised"),
                months_needed: f.get("months_needed"),
                ethics_reference: f.get("ethics_reference"),
                safeguards: f.get("safeguards"),
            },
        }
    }
}

/// A dataset of the catalogue as the form offers it, with what was asked or typed.
fn dataset_choice(
    d: &hdab_store::DatasetVersion,
    prefill: &Prefill<'_>,
    lang: Lang,
) -> DatasetChoice {
    let id = &d.dataset_id;
    let mut choice = DatasetChoice {
        id: id.clone(),
        title: super::public::in_language(&d.description.title, lang).0,
        holder: d.description.holder_name.clone(),
        code_columns: d
            .description
            .variables
            .iter()
            .filter(|v| v.code_system.is_some())
            .map(|v| v.name.clone())
            .collect::<Vec<_>>()
            .join(", "),
        ..DatasetChoice::default()
    };
    let offered = d
        .description
        .variables
        .iter()
        .filter(|v| !matches!(v.variable_type, hdab_catalog::VariableType::PersonId));
    match prefill {
        Prefill::New => {
            choice.variables = offered.map(|v| (v.name.clone(), false)).collect();
        }
        Prefill::Typed(f) => {
            let ticked = f.all(&format!("var_{id}"));
            choice.chosen = f.all("ds").contains(id);
            choice.variables = offered
                .map(|v| (v.name.clone(), ticked.contains(&v.name)))
                .collect();
            choice.codes = f.get(&format!("codes_{id}"));
            choice.code_columns = f.get(&format!("code_columns_{id}"));
            choice.date_column = f.get(&format!("date_column_{id}"));
            choice.date_from = f.get(&format!("date_from_{id}"));
            choice.date_to = f.get(&format!("date_to_{id}"));
            choice.age_min = f.get(&format!("age_min_{id}"));
            choice.age_max = f.get(&format!("age_max_{id}"));
            choice.age_at = f.get(&format!("age_at_{id}"));
        }
        Prefill::Saved(c) => {
            let asked = c.datasets.iter().find(|r| &r.dataset_id == id);
            choice.chosen = asked.is_some();
            choice.variables = offered
                .map(|v| {
                    (
                        v.name.clone(),
                        asked.is_some_and(|a| a.variables.contains(&v.name)),
                    )
                })
                .collect();
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
        }
    }
    choice
}

pub(super) async fn application_form(
    s: &ServerState,
    caller: &Caller,
    heading: String,
    action: String,
    prefill: Prefill<'_>,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let user = caller.require()?;
    let mut datasets: Vec<DatasetChoice> = s
        .app
        .catalog_search(&CatalogQuery::default())
        .await?
        .iter()
        .map(|d| dataset_choice(d, &prefill, caller.lang))
        .collect();
    // A dataset's field errors are shown beside its fields.
    for d in &mut datasets {
        let suffix = format!("-{}", d.id);
        d.errors = errors
            .iter()
            .filter_map(|e| {
                let field = e.field.strip_suffix(&suffix)?;
                Some((field.to_string(), e.message.clone()))
            })
            .collect();
    }
    let refused = !errors.is_empty();
    let mut response = render(&ApplicationFormPage {
        chrome: Chrome::of(caller),
        heading,
        action,
        f: FormValues::of(&prefill, user),
        purposes: PURPOSES
            .iter()
            .map(|p| (purpose_key(*p), word(caller.lang, "purpose", p)))
            .collect(),
        datasets,
        errors,
    })?;
    if refused {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

fn new_heading(lang: Lang) -> String {
    lang.text("application-new-heading")
}

fn change_heading(lang: Lang, application_id: &str) -> String {
    lang.text_with(
        "application-change-heading",
        &[("id", application_id.into())],
    )
}

pub(super) async fn application_new(
    State(s): State<ServerState>,
    caller: Caller,
) -> PageResult<Response> {
    Ok(application_form(
        &s,
        &caller,
        new_heading(caller.lang),
        "/applications".into(),
        Prefill::New,
        Vec::new(),
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
        change_heading(caller.lang, &application_id),
        format!("/applications/{application_id}"),
        Prefill::Saved(&a.content),
        Vec::new(),
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

/// Reads the application form, collecting every field it cannot take (with its element id
/// and what to write instead, in the reader's language) rather than stopping at the first.
struct FormReader<'a> {
    f: &'a Fields,
    lang: Lang,
    errors: Vec<FieldError>,
}

impl FormReader<'_> {
    /// `field` is the element's id.
    fn refuse(&mut self, field: &str, message_id: &str) {
        self.errors.push(FieldError {
            field: field.to_string(),
            message: self.lang.text(message_id),
        });
    }

    /// An optional value: the form's field `name`, whose element is `field`.
    fn optional<T: std::str::FromStr>(
        &mut self,
        name: &str,
        field: &str,
        message_id: &str,
    ) -> Option<T> {
        let v = self.f.get(name);
        if v.is_empty() {
            return None;
        }
        match v.parse() {
            Ok(t) => Some(t),
            Err(_) => {
                self.refuse(field, message_id);
                None
            }
        }
    }
}

/// The application as the form describes it, or every field it could not take.
/// Generalisations set through the API are kept for the datasets still asked for (the form
/// does not show them).
pub(super) fn content_of_form(
    f: &Fields,
    previous: Option<&ApplicationContent>,
    lang: Lang,
) -> Result<ApplicationContent, Vec<FieldError>> {
    let mut r = FormReader {
        f,
        lang,
        errors: Vec::new(),
    };
    let purpose = PURPOSES
        .iter()
        .find(|p| purpose_key(**p) == f.get("purpose"))
        .copied();
    if purpose.is_none() {
        r.refuse("purpose", "form-error-purpose");
    }
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
        let from = r.optional(
            &format!("date_from_{id}"),
            &format!("date-from-{id}"),
            "form-error-date",
        );
        let to = r.optional(
            &format!("date_to_{id}"),
            &format!("date-to-{id}"),
            "form-error-date",
        );
        if !date_column.is_empty() || from.is_some() || to.is_some() {
            conditions.push(Condition::DateRange {
                column: date_column,
                from,
                to,
            });
        }
        let min = r.optional(
            &format!("age_min_{id}"),
            &format!("age-min-{id}"),
            "form-error-age",
        );
        let max = r.optional(
            &format!("age_max_{id}"),
            &format!("age-max-{id}"),
            "form-error-age",
        );
        let at = r.optional(
            &format!("age_at_{id}"),
            &format!("age-at-{id}"),
            "form-error-date",
        );
        if min.is_some() || max.is_some() {
            match at {
                Some(at) => conditions.push(Condition::AgeRange { min, max, at }),
                None => r.refuse(&format!("age-at-{id}"), "form-error-age-date"),
            }
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
    let months_needed = r.optional("months_needed", "months_needed", "form-error-months");
    let population = match population_of_form(&f.get("population")) {
        Ok(p) => p,
        Err(e) => {
            r.errors.push(FieldError {
                field: "population".into(),
                message: lang.text_with("form-error-population", &[("error", e.as_str().into())]),
            });
            None
        }
    };
    match purpose {
        Some(purpose) if r.errors.is_empty() => Ok(ApplicationContent {
            title: f.get("title"),
            organisation: f.get("organisation"),
            purpose,
            intended_use: f.get("intended_use"),
            expected_benefit: f.get("expected_benefit"),
            spe_users: list(&f.get("spe_users")),
            population,
            datasets,
            pseudonymised: f.get("pseudonymised") != "false",
            why_not_anonymised: f.get("why_not_anonymised"),
            months_needed: months_needed.unwrap_or(0),
            ethics_reference: Some(f.get("ethics_reference")).filter(|s| !s.is_empty()),
            safeguards: f.get("safeguards"),
        }),
        _ => Err(r.errors),
    }
}

/// The study population as the form's text gives it (TOML, as in an application file).
fn population_of_form(text: &str) -> Result<Option<hdab_permits::StudyPopulation>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    toml::from_str(text)
        .map(Some)
        .map_err(|e| e.message().to_string())
}

pub(super) async fn application_create(
    State(s): State<ServerState>,
    caller: Caller,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let actor = caller.id()?;
    let fields = Fields(pairs);
    let content = match content_of_form(&fields, None, caller.lang) {
        Ok(c) => c,
        Err(errors) => {
            let heading = new_heading(caller.lang);
            let page = application_form(
                &s,
                &caller,
                heading,
                "/applications".into(),
                Prefill::Typed(&fields),
                errors,
            );
            return Ok(page.await?);
        }
    };
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
    let fields = Fields(pairs);
    let content = match content_of_form(&fields, Some(&previous.content), caller.lang) {
        Ok(c) => c,
        Err(errors) => {
            let page = application_form(
                &s,
                &caller,
                change_heading(caller.lang, &application_id),
                format!("/applications/{application_id}"),
                Prefill::Typed(&fields),
                errors,
            );
            return Ok(page.await?);
        }
    };
    s.app
        .update_application_content(actor, &application_id, content)
        .await?;
    Ok(see_other(format!(
        "/applications/{application_id}?notice=saved"
    )))
}
