//! Output requests on the web: the researcher submits files from the permit page, sees the
//! findings and justifies them; output checkers review from their queue and release; the
//! permit's people download what was released.

use super::frame::{Chrome, NoticeQuery, day, see_other, word};
use super::render;
use crate::ServerState;
use crate::auth::Caller;
use crate::error::{PageResult, WebError};
use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hdab_app::{OutputDetail, OutputFileIn};
use hdab_i18n::Lang;
use hdab_permits::output::OutputCommand;
use serde::Deserialize;

pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/outputs", get(outputs_page))
        .route("/outputs/{output_id}", get(output_page))
        .route("/outputs/{output_id}/step", post(output_step))
        .route("/outputs/{output_id}/release", post(output_release))
        .route("/outputs/{output_id}/files/{name}", get(released_file))
        .route(
            "/permits/{permit_id}/outputs",
            // The files of one request, in memory (each is at most the setting's size;
            // the use case refuses more files or bigger ones in words).
            post(output_submit).layer(axum::extract::DefaultBodyLimit::max(256 << 20)),
        )
}

pub(super) struct OutputLine {
    id: String,
    permit: String,
    requester: String,
    state: String,
    files: usize,
    approvals: usize,
}

#[derive(Template)]
#[template(path = "outputs.html")]
pub(super) struct OutputsPage {
    chrome: Chrome,
    rows: Vec<OutputLine>,
}

async fn outputs_page(State(s): State<ServerState>, caller: Caller) -> PageResult<Response> {
    let list = s.app.output_list(caller.id()?).await?;
    Ok(render(&OutputsPage {
        chrome: Chrome::of(&caller),
        rows: list
            .iter()
            .map(|d| OutputLine {
                id: d.request.id.clone(),
                permit: d.request.permit_id.clone(),
                requester: d.request.requester.clone(),
                state: caller
                    .lang
                    .text(&format!("output-state-{}", d.state.as_str())),
                files: d.files.len(),
                approvals: d.approvals.len(),
            })
            .collect(),
    })?)
}

pub(super) struct FindingLine {
    /// FILE#N, as the justification form names it.
    key: String,
    rule: String,
    place: String,
    why: String,
    justification: String,
    blocks: bool,
}

pub(super) struct FileView {
    name: String,
    description: String,
    verdict: String,
    bytes: i64,
    sha256: String,
    findings: Vec<FindingLine>,
    metadata: String,
}

#[derive(Template)]
#[template(path = "output.html")]
pub(super) struct OutputPage {
    chrome: Chrome,
    id: String,
    registration: String,
    permit: String,
    requester: String,
    version: i64,
    state: String,
    created: String,
    description: String,
    approvals: String,
    files: Vec<FileView>,
    offered: Vec<(String, String)>,
    can_justify: bool,
    can_release: bool,
    blocking: usize,
    unjustified: usize,
    released: bool,
    history: Vec<(String, String, String, String)>,
}

fn file_view(f: &hdab_app::CheckedFile, lang: Lang) -> FileView {
    FileView {
        name: f.name.clone(),
        description: f.description.clone(),
        verdict: word(lang, "verdict", &f.check.verdict),
        bytes: f.bytes,
        sha256: f.sha256.clone(),
        findings: f
            .check
            .findings
            .iter()
            .zip(&f.justifications)
            .enumerate()
            .map(|(i, (finding, why))| FindingLine {
                key: format!("{}#{}", f.name, i + 1),
                rule: lang.text(&format!("rule-{}", finding.rule.as_str())),
                place: finding.place.to_string(),
                why: finding.why.clone(),
                justification: why.clone().unwrap_or_default(),
                blocks: finding.rule.blocks(),
            })
            .collect(),
        metadata: f.check.metadata.join(", "),
    }
}

async fn output_page(
    State(s): State<ServerState>,
    caller: Caller,
    Path(output_id): Path<String>,
    Query(n): Query<NoticeQuery>,
) -> PageResult<Response> {
    let actor = caller.id()?;
    let lang = caller.lang;
    let d: OutputDetail = s.app.show_output(actor, &output_id).await?;
    let offered = s.app.output_offered(actor, &d).await?;
    let r = &d.request;
    let review = [
        OutputCommand::Approve,
        OutputCommand::Return,
        OutputCommand::Reject,
    ];
    Ok(render(&OutputPage {
        chrome: Chrome::of(&caller).with_notice(n.notice.as_deref()),
        id: r.id.clone(),
        registration: s.app.registration_number(&r.id).await?.unwrap_or_default(),
        permit: r.permit_id.clone(),
        requester: r.requester.clone(),
        version: r.version(),
        state: lang.text(&format!("output-state-{}", d.state.as_str())),
        created: day(r.created_at),
        description: r.description.clone(),
        approvals: d.approvals.join(", "),
        files: d.files.iter().map(|f| file_view(f, lang)).collect(),
        offered: review
            .into_iter()
            .filter(|c| offered.contains(c))
            .map(|c| {
                (
                    c.as_str().to_string(),
                    lang.text(&format!("output-command-{}", c.as_str())),
                )
            })
            .collect(),
        can_justify: offered.contains(&OutputCommand::Justify),
        can_release: offered.contains(&OutputCommand::Release),
        blocking: d.blocking,
        unjustified: d.unjustified,
        released: d.state == hdab_permits::output::OutputState::Released,
        history: r
            .events
            .iter()
            .map(|e| {
                (
                    e.at.format("%Y-%m-%d %H:%M").to_string(),
                    e.actor.clone(),
                    lang.text(&format!("output-step-{}", e.command.as_str())),
                    e.reason.clone(),
                )
            })
            .collect(),
    })?)
}

#[derive(Debug, Deserialize)]
struct StepForm {
    command: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    finding: String,
}

async fn output_step(
    State(s): State<ServerState>,
    caller: Caller,
    Path(output_id): Path<String>,
    Form(f): Form<StepForm>,
) -> PageResult<Response> {
    let command = OutputCommand::parse(&f.command)
        .filter(|c| *c != OutputCommand::Submit && *c != OutputCommand::Release)
        .ok_or_else(|| WebError::bad_request(format!("'{}' is not a review step", f.command)))?;
    let finding = (!f.finding.is_empty()).then_some(f.finding.as_str());
    s.app
        .output_step(caller.id()?, &output_id, command, &f.reason, finding)
        .await?;
    Ok(see_other(format!("/outputs/{output_id}?notice=done")))
}

async fn output_release(
    State(s): State<ServerState>,
    caller: Caller,
    Path(output_id): Path<String>,
) -> PageResult<Response> {
    s.app.release_output(caller.id()?, &output_id).await?;
    Ok(see_other(format!("/outputs/{output_id}?notice=released")))
}

/// The permit page's form: files (several) and a description.
async fn output_submit(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
    mut form: Multipart,
) -> PageResult<Response> {
    let actor = caller.id()?.to_string();
    let mut files = Vec::new();
    let mut description = String::new();
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        WebError::bad_request(format!("the form could not be read: {e}"))
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("files") => {
                let name = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(unreadable)?;
                if !name.is_empty() {
                    files.push(OutputFileIn {
                        name,
                        description: String::new(),
                        bytes: bytes.to_vec(),
                    });
                }
            }
            Some("description") => description = field.text().await.map_err(unreadable)?,
            _ => {}
        }
    }
    for f in &mut files {
        f.description = description.clone();
    }
    let d = s
        .app
        .submit_output(&actor, &permit_id, &description, files)
        .await?;
    Ok(see_other(format!(
        "/outputs/{}?notice=submitted",
        d.request.id
    )))
}

async fn released_file(
    State(s): State<ServerState>,
    caller: Caller,
    Path((output_id, name)): Path<(String, String)>,
) -> PageResult<Response> {
    let bytes = s.app.released_file(caller.id()?, &output_id, &name).await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        name.replace(|c: char| !c.is_ascii_graphic() || c == '"', "_")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
