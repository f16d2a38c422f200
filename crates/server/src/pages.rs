//! Server-rendered pages for the four audiences: the public, data holders, applicants and
//! case officers. Templates live in `templates/` and are checked at compile time by askama
//! (which escapes every value). Plain forms; no scripts. Each handler calls the same
//! `hdab-app` use case as the API does.

use crate::ServerState;
use crate::auth::{self, Caller};
use crate::error::{PageError, PageResult, WebError};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use hdab_app::{CaseOptions, CatalogQuery};
use hdab_catalog::DatasetDescription;
use hdab_permits::{
    AppState, ApplicationContent, CaseCommand, Cohort, Condition, DatasetRequest, ExtractionSpec,
    Purpose, Role, User,
};
use hdab_pipeline::Compression;
use serde::Deserialize;

pub fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/", get(home))
        .route("/static/hdab.css", get(stylesheet))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/catalog", get(catalog))
        .route("/catalog/{dataset_id}", get(dataset_page))
        .route("/register", get(register_page))
        .route("/optout", get(optout_page))
        .route("/holder", get(holder_home))
        .route("/holder/datasets", post(holder_register))
        .route("/holder/datasets/new", get(holder_new))
        .route(
            "/holder/datasets/{dataset_id}",
            get(holder_dataset).post(holder_update),
        )
        .route("/holder/datasets/{dataset_id}/edit", get(holder_edit))
        .route(
            "/holder/datasets/{dataset_id}/confirm",
            post(holder_confirm),
        )
        .route("/holder/datasets/{dataset_id}/profile", get(holder_profile))
        .route(
            "/holder/datasets/{dataset_id}/uploads",
            post(holder_upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/applications",
            get(applications_page).post(application_create),
        )
        .route("/applications/new", get(application_new))
        .route(
            "/applications/{application_id}",
            get(case_page).post(application_update),
        )
        .route("/applications/{application_id}/edit", get(application_edit))
        .route("/applications/{application_id}/command", post(case_command))
        .route("/cases", get(queue_page))
        .route("/permits", get(permits_page))
        .route("/permits/{permit_id}", get(permit_page))
        .route("/permits/{permit_id}/extract", post(permit_extract))
}

/// What every page's frame needs: who is logged in, their roles and the form token.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub user_id: String,
    pub csrf: String,
    pub holder: bool,
    pub applicant: bool,
    pub officer: bool,
    pub notice: String,
}

impl Chrome {
    fn of(caller: &Caller) -> Chrome {
        let has = |r: Role| caller.user.as_ref().is_some_and(|u| u.has(r));
        Chrome {
            user_id: caller
                .user
                .as_ref()
                .map(|u| u.id.clone())
                .unwrap_or_default(),
            csrf: caller.csrf.clone(),
            holder: has(Role::DataHolder),
            applicant: has(Role::Applicant),
            officer: has(Role::CaseOfficer) || has(Role::DecisionMaker),
            notice: String::new(),
        }
    }

    fn with_notice(mut self, notice: Option<&str>) -> Chrome {
        self.notice = match notice {
            Some("registered") => "The description was saved.".into(),
            Some("confirmed") => "Thank you: the description is confirmed for another year.".into(),
            Some("uploaded") => "The upload passed its checks and was kept.".into(),
            Some("saved") => "The application was saved.".into(),
            Some("done") => "Done.".into(),
            Some("extracted") => "The extraction was delivered into the SPE.".into(),
            _ => String::new(),
        };
        self
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn render(t: &impl Template) -> Result<Response, WebError> {
    t.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| WebError::internal(&e))
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: Chrome,
    heading: String,
    message: String,
}

/// The page shown for an error (rendered without a caller: no personal navigation).
pub fn error_page(status: StatusCode, message: &str) -> Html<String> {
    let heading = match status {
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::CONFLICT => "Not possible now",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "Please correct this",
        _ => "Something went wrong",
    };
    let page = MessagePage {
        chrome: Chrome::default(),
        heading: heading.into(),
        message: message.into(),
    };
    Html(page.render().unwrap_or_else(|_| "error".into()))
}

fn day(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn label<T: serde::Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

fn see_other(to: String) -> Response {
    Redirect::to(&to).into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/hdab.css"),
    )
        .into_response()
}

// ---- public --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    n_datasets: usize,
    n_decisions: usize,
}

async fn home(State(s): State<ServerState>, caller: Caller) -> PageResult<Response> {
    let n_datasets = s.app.catalog_search(&CatalogQuery::default()).await?.len();
    let n_decisions = s
        .app
        .public_register()
        .await?
        .iter()
        .filter(|r| r.decision.is_some())
        .count();
    Ok(render(&HomePage {
        chrome: Chrome::of(&caller),
        n_datasets,
        n_decisions,
    })?)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    problem: String,
}

async fn login_page(caller: Caller) -> PageResult<Response> {
    Ok(render(&LoginPage {
        chrome: Chrome::of(&caller),
        problem: String::new(),
    })?)
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    user: String,
    password: String,
}

async fn login(
    State(s): State<ServerState>,
    caller: Caller,
    axum::Form(f): axum::Form<LoginForm>,
) -> PageResult<Response> {
    match s.app.login(f.user.trim(), &f.password).await {
        Ok(session) => {
            let user = s.app.user(f.user.trim()).await?;
            let to = if user.has(Role::CaseOfficer) || user.has(Role::DecisionMaker) {
                "/cases"
            } else if user.has(Role::DataHolder) {
                "/holder"
            } else if user.has(Role::Applicant) {
                "/applications"
            } else {
                "/"
            };
            let mut res = Redirect::to(to).into_response();
            if let Ok(v) = auth::session_cookie(&session.secret).parse() {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(res)
        }
        Err(hdab_app::AppError::Refused(m)) => {
            let mut res = render(&LoginPage {
                chrome: Chrome::of(&caller),
                problem: m,
            })?;
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

async fn logout(
    State(s): State<ServerState>,
    headers: axum::http::HeaderMap,
) -> PageResult<Response> {
    if let Some(secret) = auth::session_secret(&headers) {
        s.app.logout(secret).await?;
    }
    let mut res = Redirect::to("/").into_response();
    if let Ok(v) = auth::clear_cookie().parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

struct CatalogRow {
    id: String,
    title: String,
    holder: String,
    coverage: String,
    coding: String,
    version: i64,
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogPage {
    chrome: Chrome,
    text: String,
    category: String,
    holder: String,
    coding_system: String,
    rows: Vec<CatalogRow>,
}

#[derive(Debug, Deserialize)]
struct CatalogForm {
    text: Option<String>,
    category: Option<String>,
    holder: Option<String>,
    coding_system: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn coverage(d: &DatasetDescription) -> String {
    let t = &d.temporal_coverage;
    format!(
        "{} – {}",
        t.start,
        t.end
            .map(|e| e.to_string())
            .unwrap_or_else(|| "ongoing".into())
    )
}

async fn catalog(
    State(s): State<ServerState>,
    caller: Caller,
    Query(f): Query<CatalogForm>,
) -> PageResult<Response> {
    let q = CatalogQuery {
        text: nonempty(&f.text),
        category: nonempty(&f.category),
        holder: nonempty(&f.holder),
        coding_system: nonempty(&f.coding_system),
    };
    let rows = s
        .app
        .catalog_search(&q)
        .await?
        .into_iter()
        .map(|d| CatalogRow {
            title: d.description.title.en.clone(),
            holder: d.description.holder_name.clone(),
            coverage: coverage(&d.description),
            coding: d.description.coding_systems.join(", "),
            version: d.version,
            id: d.dataset_id,
        })
        .collect();
    Ok(render(&CatalogPage {
        chrome: Chrome::of(&caller),
        text: f.text.unwrap_or_default(),
        category: f.category.unwrap_or_default(),
        holder: f.holder.unwrap_or_default(),
        coding_system: f.coding_system.unwrap_or_default(),
        rows,
    })?)
}

struct VariableRow {
    name: String,
    kind: String,
    sensitivity: String,
    code_system: String,
    description: String,
}

#[derive(Template)]
#[template(path = "dataset.html")]
struct DatasetPage {
    chrome: Chrome,
    id: String,
    title: String,
    title_sv: String,
    description: String,
    holder: String,
    holder_name: String,
    version: i64,
    registered: String,
    coverage: String,
    records: String,
    individuals: String,
    coding: String,
    categories: String,
    legal_basis: String,
    contact: String,
    variables: Vec<VariableRow>,
    versions: Vec<(i64, String, String)>,
}

fn count(n: Option<u64>) -> String {
    n.map_or_else(|| "not stated".into(), |n| n.to_string())
}

async fn dataset_page(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
) -> PageResult<Response> {
    let v = s.app.dataset(&dataset_id).await?;
    let versions = s
        .app
        .catalog_versions(&dataset_id)
        .await?
        .into_iter()
        .map(|v| (v.version, day(v.created_at), v.created_by))
        .collect();
    let d = &v.description;
    Ok(render(&DatasetPage {
        chrome: Chrome::of(&caller),
        id: v.dataset_id.clone(),
        title: d.title.en.clone(),
        title_sv: d.title.sv.clone(),
        description: d.description.en.clone(),
        holder: d.holder.clone(),
        holder_name: d.holder_name.clone(),
        version: v.version,
        registered: day(v.created_at),
        coverage: coverage(d),
        records: count(d.number_of_records),
        individuals: count(d.number_of_unique_individuals),
        coding: d.coding_systems.join(", "),
        categories: d.health_categories.join(", "),
        legal_basis: d.legal_basis.clone(),
        contact: format!("{} <{}>", d.contact_point.name, d.contact_point.email),
        variables: d
            .variables
            .iter()
            .map(|x| VariableRow {
                name: x.name.clone(),
                kind: label(&x.variable_type),
                sensitivity: label(&x.sensitivity),
                code_system: x.code_system.clone().unwrap_or_default(),
                description: x.description.clone(),
            })
            .collect(),
        versions,
    })?)
}

struct RegisterRow {
    id: String,
    received: String,
    organisation: String,
    title: String,
    purpose: String,
    datasets: String,
    state: String,
    decision: String,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    rows: Vec<RegisterRow>,
    /// (entries, head hash, signed at, public key, signature) of the latest checkpoint.
    checkpoint: Option<(i64, String, String, String, String)>,
}

async fn register_page(State(s): State<ServerState>, caller: Caller) -> PageResult<Response> {
    let rows = s
        .app
        .public_register()
        .await?
        .into_iter()
        .map(|r| RegisterRow {
            id: r.id,
            received: day(r.received),
            organisation: r.organisation,
            title: r.title,
            purpose: label(&r.purpose),
            datasets: r.datasets.join(", "),
            state: r.state.to_string(),
            decision: r
                .decision
                .map(|(d, at, why)| format!("{d} {}: {why}", day(at)))
                .unwrap_or_default(),
        })
        .collect();
    let checkpoint = s.app.latest_checkpoint().await?.map(|c| {
        (
            c.seq,
            c.head_hash,
            c.at.format("%Y-%m-%d %H:%M UTC").to_string(),
            c.public_key,
            c.signature,
        )
    });
    Ok(render(&RegisterPage {
        chrome: Chrome::of(&caller),
        rows,
        checkpoint,
    })?)
}

#[derive(Template)]
#[template(path = "optout.html")]
struct OptoutPage {
    chrome: Chrome,
}

async fn optout_page(caller: Caller) -> PageResult<Response> {
    Ok(render(&OptoutPage {
        chrome: Chrome::of(&caller),
    })?)
}

// ---- data holders --------------------------------------------------------------------------

struct HolderRow {
    id: String,
    title: String,
    version: i64,
    confirmed: String,
    due: String,
    overdue: bool,
    upload: String,
}

#[derive(Template)]
#[template(path = "holder.html")]
struct HolderPage {
    chrome: Chrome,
    organisation: String,
    overdue: usize,
    rows: Vec<HolderRow>,
}

fn upload_summary(u: &hdab_store::Upload) -> String {
    format!("{} rows, {}", u.n_rows, day(u.uploaded_at))
}

async fn holder_home(
    State(s): State<ServerState>,
    caller: Caller,
    Query(n): Query<NoticeQuery>,
) -> PageResult<Response> {
    let user = caller.require()?;
    let rows: Vec<HolderRow> = s
        .app
        .holder_datasets(&user.id)
        .await?
        .into_iter()
        .map(|d| HolderRow {
            id: d.current.dataset_id.clone(),
            title: d.current.description.title.en.clone(),
            version: d.current.version,
            confirmed: day(d.last_confirmed),
            due: day(d.confirmation_due),
            overdue: d.overdue,
            upload: d
                .latest_upload
                .as_ref()
                .map_or_else(|| "none".into(), upload_summary),
        })
        .collect();
    Ok(render(&HolderPage {
        chrome: Chrome::of(&caller).with_notice(n.notice.as_deref()),
        organisation: user.organisation.clone(),
        overdue: rows.iter().filter(|r| r.overdue).count(),
        rows,
    })?)
}

#[derive(Template)]
#[template(path = "dataset_edit.html")]
struct DatasetEditPage {
    chrome: Chrome,
    heading: String,
    action: String,
    toml: String,
}

/// A starting point for a new description: the fields a holder must fill, with the
/// holder's own organisation already in.
fn description_skeleton(user: &User) -> String {
    format!(
        r#"id = ""
holder = "{org}"
holder_name = ""
access_rights = "restricted"
spatial_coverage = "SE"
legal_basis = ""
keywords = []
health_categories = []
coding_systems = []
applicable_legislation = ["http://data.europa.eu/eli/reg/2025/327/oj"]

[title]
sv = ""
en = ""

[description]
sv = ""
en = ""

[contact_point]
name = ""
email = ""

[temporal_coverage]
start = "2000-01-01"

[[variables]]
name = "LopNr"
type = "person_id"
description = "Personal identity number"
sensitivity = "direct_identifier"
"#,
        org = user.organisation
    )
}

async fn holder_new(caller: Caller) -> PageResult<Response> {
    let user = caller.require()?;
    Ok(render(&DatasetEditPage {
        chrome: Chrome::of(&caller),
        heading: "Register a dataset".into(),
        action: "/holder/datasets".into(),
        toml: description_skeleton(user),
    })?)
}

#[derive(Debug, Deserialize)]
struct DescriptionForm {
    description: String,
}

async fn holder_register(
    State(s): State<ServerState>,
    caller: Caller,
    axum::Form(f): axum::Form<DescriptionForm>,
) -> PageResult<Response> {
    let v = s.app.register_dataset(caller.id()?, &f.description).await?;
    Ok(see_other(format!(
        "/holder/datasets/{}?notice=registered",
        v.dataset_id
    )))
}

async fn holder_update(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
    axum::Form(f): axum::Form<DescriptionForm>,
) -> PageResult<Response> {
    let v = s.app.register_dataset(caller.id()?, &f.description).await?;
    if v.dataset_id != dataset_id {
        return Err(PageError(
            WebError::bad_request(format!(
                "the description's id is '{}', not '{dataset_id}'; a dataset's id cannot change — register a new dataset instead",
                v.dataset_id
            ))
            .html(),
        ));
    }
    Ok(see_other(format!(
        "/holder/datasets/{dataset_id}?notice=registered"
    )))
}

async fn holder_edit(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
) -> PageResult<Response> {
    caller.require()?;
    let v = s.app.dataset(&dataset_id).await?;
    let toml = toml::to_string(&v.description).map_err(|e| WebError::internal(&e))?;
    Ok(render(&DatasetEditPage {
        chrome: Chrome::of(&caller),
        heading: format!("Change the description of {dataset_id}"),
        action: format!("/holder/datasets/{dataset_id}"),
        toml,
    })?)
}

struct UploadRow {
    id: String,
    at: String,
    by: String,
    rows: i64,
    valid: String,
    invalid: String,
    sha: String,
}

#[derive(Template)]
#[template(path = "holder_dataset.html")]
struct HolderDatasetPage {
    chrome: Chrome,
    id: String,
    title: String,
    version: i64,
    confirmed: String,
    due: String,
    overdue: bool,
    today: String,
    uploads: Vec<UploadRow>,
}

async fn holder_dataset(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
    Query(n): Query<NoticeQuery>,
) -> PageResult<Response> {
    let user = caller.require()?;
    let mine = s.app.holder_datasets(&user.id).await?;
    let d = mine
        .into_iter()
        .find(|d| d.current.dataset_id == dataset_id)
        .ok_or_else(|| {
            hdab_app::AppError::NotFound(format!("dataset '{dataset_id}' of your organisation"))
        })?;
    let uploads = s
        .app
        .dataset_uploads(&user.id, &dataset_id)
        .await?
        .into_iter()
        .map(|u| UploadRow {
            valid: u.report["n_valid_identifiers"].to_string(),
            invalid: u.report["invalid_identifiers"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{} {v}", k.replace('_', " ")))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
            id: u.id,
            at: u.uploaded_at.format("%Y-%m-%d %H:%M").to_string(),
            by: u.uploaded_by,
            rows: u.n_rows,
            sha: u.sha256.chars().take(16).collect(),
        })
        .collect();
    Ok(render(&HolderDatasetPage {
        chrome: Chrome::of(&caller).with_notice(n.notice.as_deref()),
        id: dataset_id,
        title: d.current.description.title.en.clone(),
        version: d.current.version,
        confirmed: day(d.last_confirmed),
        due: day(d.confirmation_due),
        overdue: d.overdue,
        today: Utc::now().date_naive().to_string(),
        uploads,
    })?)
}

async fn holder_confirm(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
) -> PageResult<Response> {
    s.app.confirm_dataset(caller.id()?, &dataset_id).await?;
    Ok(see_other(format!(
        "/holder/datasets/{dataset_id}?notice=confirmed"
    )))
}

async fn holder_upload(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
    mut form: Multipart,
) -> PageResult<Response> {
    let actor = caller.id()?.to_string();
    let mut file = None;
    let mut reference_date = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| WebError::bad_request(format!("the form could not be read: {e}")))?
    {
        match field.name() {
            Some("file") => {
                // The holder's file name is never used: the server names what it keeps.
                let stream = Box::pin(field);
                file = Some(s.receive(stream).await?);
            }
            Some("reference_date") => {
                let text = field.text().await.map_err(|e| {
                    WebError::bad_request(format!("the form could not be read: {e}"))
                })?;
                if !text.trim().is_empty() {
                    reference_date = Some(text.trim().parse::<NaiveDate>().map_err(|_| {
                        WebError::bad_request("the extract date is not a date (YYYY-MM-DD)")
                    })?);
                }
            }
            _ => {}
        }
    }
    let file = file.ok_or_else(|| WebError::bad_request("choose a file to upload"))?;
    s.app
        .upload(&actor, &dataset_id, file.path(), reference_date)
        .await?;
    Ok(see_other(format!(
        "/holder/datasets/{dataset_id}?notice=uploaded"
    )))
}

/// The profile of the latest upload (records per year, completeness, validity, top codes,
/// as SVG charts) — for the holder and case officers only: top codes of raw data are not
/// for the public page.
async fn holder_profile(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
) -> PageResult<Response> {
    let uploads = s.app.dataset_uploads(caller.id()?, &dataset_id).await?;
    let latest = uploads.first().ok_or_else(|| {
        hdab_app::AppError::NotFound(format!("an upload of '{dataset_id}' (upload data first)"))
    })?;
    let path = s
        .app
        .settings
        .data_dir
        .join("uploads")
        .join(&latest.file_name);
    let profile = hdab_pipeline::profile(&path, latest.reference_date)
        .await
        .map_err(hdab_app::AppError::from)?;
    let mut res = Html(hdab_report::profile_html(&profile)).into_response();
    // The report is self-contained: its own inline styles, no scripts.
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
        ),
    );
    Ok(res)
}

// ---- applicants ----------------------------------------------------------------------------

struct ApplicationListRow {
    id: String,
    title: String,
    state: String,
    due: String,
    permit: String,
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ApplicationsPage {
    chrome: Chrome,
    rows: Vec<ApplicationListRow>,
}

fn deadline_text(d: &hdab_permits::Deadline) -> String {
    match (d.due, d.days_left, d.paused, d.stopped) {
        (_, _, _, Some(at)) => format!("decided {}", day(at)),
        (Some(due), _, true, _) => format!(
            "paused while with the applicant (due {} if completed now)",
            day(due)
        ),
        (Some(due), Some(left), _, _) if left < 0 => {
            format!("overdue since {} ({} days)", day(due), -left)
        }
        (Some(due), Some(left), _, _) => format!(
            "decision due {} ({left} days left){}",
            day(due),
            if d.extended { ", extended" } else { "" }
        ),
        _ => "not submitted".into(),
    }
}

async fn applications_page(State(s): State<ServerState>, caller: Caller) -> PageResult<Response> {
    let rows = s
        .app
        .my_applications(caller.id()?)
        .await?
        .into_iter()
        .map(|r| ApplicationListRow {
            due: deadline_text(&r.deadline),
            id: r.id,
            title: r.title,
            state: r.state.to_string(),
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
struct FormValues {
    title: String,
    organisation: String,
    purpose: String,
    intended_use: String,
    expected_benefit: String,
    spe_users: String,
    pseudonymised: bool,
    why_not_anonymised: String,
    months_needed: String,
    ethics_reference: String,
    safeguards: String,
}

struct DatasetChoice {
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
struct ApplicationFormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    f: FormValues,
    purposes: Vec<(String, String)>,
    datasets: Vec<DatasetChoice>,
}

const PURPOSES: [(Purpose, &str); 6] = [
    (
        Purpose::PublicHealth,
        "(a) public interest in public and occupational health",
    ),
    (Purpose::PolicyMaking, "(b) policy making and regulation"),
    (Purpose::OfficialStatistics, "(c) official statistics"),
    (Purpose::Education, "(d) education and teaching"),
    (Purpose::ScientificResearch, "(e) scientific research"),
    (
        Purpose::CareImprovement,
        "(f) improvement of care and treatment",
    ),
];

fn purpose_key(p: Purpose) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

async fn application_form(
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
                title: d.description.title.en.clone(),
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
            .map(|(p, l)| (purpose_key(*p), l.to_string()))
            .collect(),
        datasets,
    })
}

async fn application_new(State(s): State<ServerState>, caller: Caller) -> PageResult<Response> {
    Ok(application_form(
        &s,
        &caller,
        "New application for access to health data".into(),
        "/applications".into(),
        None,
    )
    .await?)
}

async fn application_edit(
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
        format!("Change application {application_id}"),
        format!("/applications/{application_id}"),
        Some(&a.content),
    )
    .await?)
}

/// Repeated form fields, in order.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn optional<T: std::str::FromStr>(
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
fn content_of_form(
    f: &Fields,
    previous: Option<&ApplicationContent>,
) -> Result<ApplicationContent, WebError> {
    let purpose = PURPOSES
        .iter()
        .find(|(p, _)| purpose_key(*p) == f.get("purpose"))
        .map(|(p, _)| *p)
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
        datasets.push(DatasetRequest {
            variables: f.all(&format!("var_{id}")),
            cohort: Cohort { conditions },
            generalisations: previous
                .and_then(|p| p.datasets.iter().find(|d| d.dataset_id == id))
                .map(|d| d.generalisations.clone())
                .unwrap_or_default(),
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
        datasets,
        pseudonymised: f.get("pseudonymised") != "false",
        why_not_anonymised: f.get("why_not_anonymised"),
        months_needed: optional(f, "months_needed", "months needed")?.unwrap_or(0),
        ethics_reference: Some(f.get("ethics_reference")).filter(|s| !s.is_empty()),
        safeguards: f.get("safeguards"),
    })
}

async fn application_create(
    State(s): State<ServerState>,
    caller: Caller,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let actor = caller.id()?;
    let content = content_of_form(&Fields(pairs), None)?;
    let id = s.app.create_application_content(actor, content).await?;
    Ok(see_other(format!("/applications/{id}?notice=saved")))
}

async fn application_update(
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

struct Action {
    command: String,
    label: String,
    needs_reason: bool,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    id: String,
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
    form: String,
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
}

fn cohort_text(c: &Cohort) -> String {
    if c.conditions.is_empty() {
        return "everyone in the dataset".into();
    }
    c.conditions
        .iter()
        .map(|c| match c {
            Condition::CodePrefix { columns, prefixes } => {
                format!(
                    "{} starts with {}",
                    columns.join("/"),
                    prefixes.join(" or ")
                )
            }
            Condition::DateRange { column, from, to } => format!(
                "{column} from {} to {}",
                from.map_or("any".into(), |d| d.to_string()),
                to.map_or("any".into(), |d| d.to_string())
            ),
            Condition::AgeRange { min, max, at } => format!(
                "age {}–{} on {at}",
                min.map_or(String::new(), |v| v.to_string()),
                max.map_or(String::new(), |v| v.to_string())
            ),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

async fn case_page(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
    Query(n): Query<NoticeQuery>,
) -> PageResult<Response> {
    let user = caller.require()?.clone();
    let (a, d) = s.app.show_application(&user.id, &application_id).await?;
    let state = hdab_permits::state_of(&a.events);
    let view = hdab_permits::CaseView {
        applicant: &a.applicant,
        events: &a.events,
    };
    // Offer exactly the commands the permission matrix allows this user now.
    let labels = [
        (CaseCommand::Submit, "Submit the application", false),
        (CaseCommand::Take, "Take the case", false),
        (CaseCommand::Assign, "Give the case to an officer", false),
        (
            CaseCommand::Return,
            "Return to the applicant as incomplete",
            true,
        ),
        (CaseCommand::Extend, "Extend the deadline (once)", true),
        (CaseCommand::Approve, "Approve", true),
        (CaseCommand::Reject, "Reject", true),
        (CaseCommand::Withdraw, "Withdraw the application", false),
    ];
    let actions = labels
        .iter()
        .filter(|(c, _, reason)| {
            let comment = if *reason { "reason" } else { "" };
            hdab_permits::decide(&user, view, *c, comment, Some("someone")).is_ok()
        })
        .map(|(c, l, reason)| Action {
            command: c.as_str().to_string(),
            label: l.to_string(),
            needs_reason: *reason,
        })
        .collect::<Vec<_>>();
    let officers = if actions.iter().any(|a| a.command == "assign") {
        s.app
            .users()
            .await?
            .into_iter()
            .filter(|u| u.has(Role::CaseOfficer))
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
    Ok(render(&CasePage {
        chrome: Chrome::of(&caller).with_notice(n.notice.as_deref()),
        id: a.id.clone(),
        title: c.title.clone(),
        state: state.to_string(),
        assignee: hdab_permits::assignee_of(&a.events)
            .unwrap_or_default()
            .to_string(),
        deadline: deadline_text(&d),
        permit: s
            .app
            .permit_of_application(&a.id)
            .await?
            .unwrap_or_default(),
        applicant: a.applicant.clone(),
        organisation: c.organisation.clone(),
        purpose: label(&c.purpose),
        intended_use: c.intended_use.clone(),
        expected_benefit: c.expected_benefit.clone(),
        spe_users: c.spe_users.join(", "),
        form: if c.pseudonymised {
            format!("pseudonymised — {}", c.why_not_anonymised)
        } else {
            "anonymised".into()
        },
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
                    cohort_text(&r.cohort),
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
        events: a
            .events
            .iter()
            .map(|e| {
                (
                    e.command.as_str().to_string(),
                    e.actor.clone(),
                    e.at.format("%Y-%m-%d %H:%M").to_string(),
                    match &e.assignee {
                        Some(to) if e.comment.is_empty() => format!("to {to}"),
                        Some(to) => format!("to {to}: {}", e.comment),
                        None => e.comment.clone(),
                    },
                )
            })
            .collect(),
    })?)
}

async fn case_command(
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
        let asked = ExtractionSpec {
            pseudonymised: a.content.pseudonymised,
            datasets: a.content.datasets.clone(),
        };
        let mut narrowed = asked.clone();
        for d in &mut narrowed.datasets {
            let keep = f.all(&format!("keep_{}", d.dataset_id));
            d.variables.retain(|v| keep.contains(v));
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

// ---- case officers -------------------------------------------------------------------------

struct QueueLine {
    id: String,
    title: String,
    organisation: String,
    state: String,
    assignee: String,
    days: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<QueueLine>,
}

async fn queue_page(State(s): State<ServerState>, caller: Caller) -> PageResult<Response> {
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
                        "paused".into()
                    } else {
                        String::new()
                    }
                },
                |d| d.to_string(),
            ),
            id: r.id,
            title: r.title,
            organisation: r.organisation,
            state: r.state.to_string(),
            assignee: r.assignee.unwrap_or_default(),
        })
        .collect();
    Ok(render(&QueuePage {
        chrome: Chrome::of(&caller),
        rows,
    })?)
}

struct PermitLine {
    id: String,
    application: String,
    datasets: String,
    valid_until: String,
    status: String,
}

#[derive(Template)]
#[template(path = "permits.html")]
struct PermitsPage {
    chrome: Chrome,
    heading: String,
    rows: Vec<PermitLine>,
}

fn permit_status(p: &hdab_permits::Permit) -> String {
    if let Some(at) = p.revoked_at {
        format!("revoked {}", day(at))
    } else if p.valid_until < Utc::now().date_naive() {
        "expired".into()
    } else {
        "valid".into()
    }
}

#[derive(Debug, Deserialize)]
struct AllQuery {
    all: Option<bool>,
}

async fn permits_page(
    State(s): State<ServerState>,
    caller: Caller,
    Query(q): Query<AllQuery>,
) -> PageResult<Response> {
    let actor = caller.id()?;
    let (heading, permits) = if q.all == Some(true) {
        ("Every permit", s.app.all_permits(actor).await?)
    } else {
        ("My permits", s.app.my_permits(actor).await?)
    };
    Ok(render(&PermitsPage {
        chrome: Chrome::of(&caller),
        heading: heading.into(),
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
                status: permit_status(p),
            })
            .collect(),
    })?)
}

struct DeliveryView {
    dataset: String,
    dataset_version: i64,
    folder: String,
    key: String,
    registry: i64,
    rows_in: u64,
    rows_out: u64,
    outside: u64,
    opted_out: u64,
    invalid: u64,
    files: Vec<(String, u64, u64, String)>,
    columns: String,
}

#[derive(Template)]
#[template(path = "permit.html")]
struct PermitPage {
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
    deliveries: Vec<DeliveryView>,
}

async fn permit_page(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
    Query(n): Query<NoticeQuery>,
) -> PageResult<Response> {
    let user = caller.require()?.clone();
    let st = s.app.permit_status(&user.id, &permit_id).await?;
    let p = &st.permit;
    let deliveries = st
        .manifests
        .iter()
        .filter_map(|m| serde_json::from_value::<hdab_pipeline::Manifest>(m.clone()).ok())
        .map(|m| DeliveryView {
            folder: format!("spe/{}/{}/", m.permit_id, m.dataset_id),
            dataset: m.dataset_id,
            dataset_version: m.dataset_version,
            key: format!("{} v{}", m.key_id, m.key_version),
            registry: m.optout_registry_seq,
            rows_in: m.rows.rows_in,
            rows_out: m.rows.delivered,
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
    Ok(render(&PermitPage {
        chrome: Chrome::of(&caller).with_notice(n.notice.as_deref()),
        id: p.id.clone(),
        application: p.application_id.clone(),
        granted: day(p.granted_at),
        valid_until: p.valid_until.to_string(),
        status: permit_status(p),
        spe_users: p.spe_users.join(", "),
        conditions: if p.conditions.is_empty() {
            "none".into()
        } else {
            p.conditions.join("; ")
        },
        form: if p.spec.pseudonymised {
            "pseudonymised".into()
        } else {
            "anonymised".into()
        },
        datasets: p
            .spec
            .datasets
            .iter()
            .map(|d| {
                let status = st.datasets.iter().find(|x| x.dataset_id == d.dataset_id);
                let delivered = match status {
                    Some(x) if x.redelivery_due => "delivered; re-delivery due".to_string(),
                    Some(x) if x.delivered_key_version.is_some() => "delivered".to_string(),
                    _ => "not yet".to_string(),
                };
                (d.dataset_id.clone(), d.variables.join(", "), delivered)
            })
            .collect(),
        can_extract: user.has(Role::CaseOfficer) && p.revoked_at.is_none(),
        deliveries,
    })?)
}

async fn permit_extract(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
) -> PageResult<Response> {
    s.extract(caller.id()?, &permit_id, Compression::Zstd)
        .await?;
    Ok(see_other(format!("/permits/{permit_id}?notice=extracted")))
}
