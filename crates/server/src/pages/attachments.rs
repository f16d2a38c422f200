//! An application's documents: the applicant attaches PDFs from the case page; whoever may
//! read the case opens them there.

use super::frame::see_other;
use crate::ServerState;
use crate::auth::Caller;
use crate::error::{PageResult, WebError};
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub(super) fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route(
            "/applications/{application_id}/attachments",
            // One document in memory (the use case refuses more than its limit in words).
            post(attach).layer(axum::extract::DefaultBodyLimit::max(64 << 20)),
        )
        .route(
            "/applications/{application_id}/attachments/{attachment_id}",
            get(open),
        )
}

/// The case page's form: the kind of document and the file.
async fn attach(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
    mut form: Multipart,
) -> PageResult<Response> {
    let actor = caller.id()?.to_string();
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        WebError::bad_request(caller.lang.text_with(
            "attachment-unreadable",
            &[("error", e.to_string().as_str().into())],
        ))
    };
    let (mut kind, mut name, mut bytes) = (String::new(), String::new(), Vec::new());
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("kind") => kind = field.text().await.map_err(unreadable)?,
            Some("file") => {
                name = field.file_name().unwrap_or_default().to_string();
                bytes = field.bytes().await.map_err(unreadable)?.to_vec();
            }
            _ => {}
        }
    }
    s.app
        .attach(&actor, &application_id, &kind, &name, &bytes)
        .await?;
    Ok(see_other(format!(
        "/applications/{application_id}?notice=attached#attachments"
    )))
}

/// The document, as a download that no browser runs (sandboxed, never sniffed).
async fn open(
    State(s): State<ServerState>,
    caller: Caller,
    Path((application_id, attachment_id)): Path<(String, String)>,
) -> PageResult<Response> {
    let (a, bytes) = s
        .app
        .open_attachment(caller.id()?, &application_id, &attachment_id)
        .await?;
    let ascii: String = a
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_SECURITY_POLICY, "sandbox".to_string()),
        ],
        bytes,
    )
        .into_response())
}
