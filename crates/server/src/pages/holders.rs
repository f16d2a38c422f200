//! Data holders' pages: their datasets, descriptions (new, edit, confirm), uploads and the
//! data profile of the latest upload.

use super::frame::{Chrome, NoticeQuery, day, see_other};
use super::render;
use crate::ServerState;
use crate::auth::Caller;
use crate::error::{PageError, PageResult, WebError};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use hdab_permits::User;
use serde::Deserialize;

/// This resource's routes.
pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
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
}

pub(super) struct HolderRow {
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
pub(super) struct HolderPage {
    chrome: Chrome,
    organisation: String,
    overdue: usize,
    rows: Vec<HolderRow>,
}

pub(super) fn upload_summary(u: &hdab_store::Upload, lang: hdab_i18n::Lang) -> String {
    lang.text_with(
        "holder-upload-line",
        &[
            ("rows", u.n_rows.into()),
            ("date", day(u.uploaded_at).as_str().into()),
        ],
    )
}

pub(super) async fn holder_home(
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
            title: super::public::in_language(&d.current.description.title, caller.lang).0,
            version: d.current.version,
            confirmed: day(d.last_confirmed),
            due: day(d.confirmation_due),
            overdue: d.overdue,
            upload: d.latest_upload.as_ref().map_or_else(
                || caller.lang.text("holder-no-upload"),
                |u| upload_summary(u, caller.lang),
            ),
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
pub(super) struct DatasetEditPage {
    chrome: Chrome,
    heading: String,
    action: String,
    toml: String,
}

/// A starting point for a new description: the fields a holder must fill, with the
/// holder's own organisation already in.
pub(super) fn description_skeleton(user: &User) -> String {
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

pub(super) async fn holder_new(caller: Caller) -> PageResult<Response> {
    let user = caller.require()?;
    Ok(render(&DatasetEditPage {
        chrome: Chrome::of(&caller),
        heading: caller.lang.text("holder-register-heading"),
        action: "/holder/datasets".into(),
        toml: description_skeleton(user),
    })?)
}

#[derive(Debug, Deserialize)]
pub(super) struct DescriptionForm {
    description: String,
}

pub(super) async fn holder_register(
    State(s): State<ServerState>,
    caller: Caller,
    axum::Form(f): axum::Form<DescriptionForm>,
) -> PageResult<Response> {
    let v = s.app.register_dataset(caller.id()?, &f.description).await?;
    back_to_dataset(&v.dataset_id, "registered")
}

pub(super) async fn holder_update(
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
    back_to_dataset(&dataset_id, "registered")
}

pub(super) async fn holder_edit(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
) -> PageResult<Response> {
    caller.require()?;
    let v = s.app.dataset(&dataset_id).await?;
    let toml = toml::to_string(&v.description).map_err(|e| WebError::internal(&e))?;
    Ok(render(&DatasetEditPage {
        chrome: Chrome::of(&caller),
        heading: caller.lang.text_with(
            "holder-change-heading",
            &[("dataset", dataset_id.as_str().into())],
        ),
        action: format!("/holder/datasets/{dataset_id}"),
        toml,
    })?)
}

pub(super) struct UploadRow {
    id: String,
    at: String,
    by: String,
    rows: i64,
    valid: String,
    invalid: String,
    /// What the holder should fix in the description (identifiers found elsewhere).
    warnings: Vec<String>,
    sha: String,
}

#[derive(Template)]
#[template(path = "holder_dataset.html")]
pub(super) struct HolderDatasetPage {
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

pub(super) async fn holder_dataset(
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
            warnings: serde_json::from_value::<hdab_pipeline::UploadReport>(u.report.clone())
                .map(|r| r.warnings())
                .unwrap_or_default(),
            sha: u.sha256.chars().take(16).collect(),
        })
        .collect();
    Ok(render(&HolderDatasetPage {
        chrome: Chrome::of(&caller).with_notice(n.notice.as_deref()),
        id: dataset_id,
        title: super::public::in_language(&d.current.description.title, caller.lang).0,
        version: d.current.version,
        confirmed: day(d.last_confirmed),
        due: day(d.confirmation_due),
        overdue: d.overdue,
        today: Utc::now().date_naive().to_string(),
        uploads,
    })?)
}

pub(super) async fn holder_confirm(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
) -> PageResult<Response> {
    s.app.confirm_dataset(caller.id()?, &dataset_id).await?;
    back_to_dataset(&dataset_id, "confirmed")
}

pub(super) async fn holder_upload(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
    form: Multipart,
) -> PageResult<Response> {
    let actor = caller.id()?.to_string();
    let (file, reference_date) = upload_form(&s, form).await?;
    s.app
        .upload(&actor, &dataset_id, file.path(), reference_date)
        .await?;
    back_to_dataset(&dataset_id, "uploaded")
}

/// An upload form's file (streamed into the data folder under a name the server chooses:
/// the holder's file name is never used) and its extract date.
pub(super) async fn upload_form(
    s: &ServerState,
    mut form: Multipart,
) -> Result<(tempfile::NamedTempFile, Option<NaiveDate>), WebError> {
    let mut file = None;
    let mut reference_date = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| WebError::bad_request(format!("the form could not be read: {e}")))?
    {
        match field.name() {
            Some("file") => {
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
    Ok((file, reference_date))
}

/// The profile of the latest upload (records per year, completeness, validity, top codes,
/// as SVG charts) — for the holder and case officers only: top codes of raw data are not
/// for the public page.
pub(super) async fn holder_profile(
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

/// Back to the dataset's page, with the notice of what was done.
fn back_to_dataset(dataset_id: &str, notice: &str) -> PageResult<Response> {
    Ok(see_other(format!(
        "/holder/datasets/{dataset_id}?notice={notice}"
    )))
}
