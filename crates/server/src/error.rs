//! One mapping from domain errors to HTTP: status, and a readable page or JSON body. Internal
//! failures are logged with a reference the caller can quote; their text is never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hdab_app::AppError;
use hdab_pipeline::PipelineError;
use hdab_store::StoreError;

/// How the caller wants an error: the API speaks JSON, pages speak HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Json,
    Html,
}

/// An error on its way to the caller.
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    /// What the caller may read: what is wrong and what to do.
    pub message: String,
    pub flavour: Flavour,
    /// A refused case command, worded in the reader's language when the page is rendered.
    pub refusal: Option<hdab_permits::Refusal>,
}

impl WebError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> WebError {
        WebError {
            status,
            message: message.into(),
            flavour: Flavour::Json,
            refusal: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthenticated() -> WebError {
        WebError::new(
            StatusCode::UNAUTHORIZED,
            "log in first (a session cookie from /login, or an API token as `Authorization: Bearer …`)",
        )
    }

    pub fn html(mut self) -> WebError {
        self.flavour = Flavour::Html;
        self
    }

    /// An internal failure: logged with a reference; the caller sees only the reference.
    pub fn internal(what: &dyn std::fmt::Display) -> WebError {
        let reference = uuid::Uuid::new_v4().simple().to_string();
        let reference = &reference[..12];
        tracing::error!(reference, "internal error: {what}");
        WebError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "something went wrong on our side; nothing was changed by this request unless a page says so. Quote reference {reference} to the HDAB's support"
            ),
        )
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> WebError {
        use hdab_permits::Refusal;
        let status = match &e {
            AppError::Case(Refusal::WrongState { .. } | Refusal::AlreadyExtended) => {
                StatusCode::CONFLICT
            }
            AppError::Case(Refusal::NoReason(_) | Refusal::NoAssignee) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Refused(_) | AppError::Case(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Store(StoreError::Exists(_)) | AppError::Store(StoreError::Conflict) => {
                StatusCode::CONFLICT
            }
            AppError::Pipeline(
                PipelineError::Rejected(_)
                | PipelineError::InvalidRequest(_)
                | PipelineError::Unsupported(_),
            ) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Store(StoreError::Open(_) | StoreError::Database(_)) => {
                return WebError::unavailable(&e);
            }
            AppError::Pipeline(PipelineError::DiskFull { .. }) => {
                // The message names a server path: log it, tell the officer what to do.
                tracing::error!(error = %e, "an extraction ran out of disk space");
                return WebError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "no space left on the SPE volume: nothing was delivered and the previous delivery stands; ask the operators to free space, then run the extraction again",
                );
            }
            _ => return WebError::internal(&e),
        };
        let refusal = match &e {
            AppError::Case(r) => Some(r.clone()),
            _ => None,
        };
        WebError {
            refusal,
            ..WebError::new(status, e.to_string())
        }
    }
}

impl WebError {
    fn unavailable(e: &dyn std::fmt::Display) -> WebError {
        let mut w = WebError::internal(e);
        w.status = StatusCode::SERVICE_UNAVAILABLE;
        w.message = format!(
            "the database is not reachable just now. Try again in a minute; if you were changing something, check first whether the change was made ({})",
            w.message.rsplit_once("reference ").map_or("", |(_, r)| r)
        );
        w
    }
}

/// Marks a response that failed because the database was out of reach (see
/// `retry_reads` in the router: a read so answered is tried once more).
#[derive(Debug, Clone, Copy)]
pub struct DatabaseUnavailable;

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let unavailable = self.status == StatusCode::SERVICE_UNAVAILABLE;
        let mut response = self.render();
        if unavailable {
            response.extensions_mut().insert(DatabaseUnavailable);
        }
        response
    }
}

impl WebError {
    fn render(self) -> Response {
        match self.flavour {
            Flavour::Json => (
                self.status,
                axum::Json(serde_json::json!({
                    "error": self.status.canonical_reason().unwrap_or("error"),
                    "message": self.message,
                })),
            )
                .into_response(),
            Flavour::Html => {
                if self.status == StatusCode::UNAUTHORIZED {
                    return axum::response::Redirect::to("/login").into_response();
                }
                // The page is rendered on the way out, in the request's language
                // (`render_error_pages`), which is not known here.
                let mut response = self.status.into_response();
                response.extensions_mut().insert(ErrorPage {
                    status: self.status,
                    message: self.message,
                    refusal: self.refusal,
                });
                response
            }
        }
    }
}

/// An error page to render in the reader's language (see [`render_error_pages`]).
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub message: String,
    pub refusal: Option<hdab_permits::Refusal>,
}

/// Renders error pages in the language of the request that led to them (`?lang=`, the
/// saved choice, `Accept-Language`, else Swedish): the outermost layer, so that errors from
/// identifying the caller are rendered too.
pub async fn render_error_pages(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let lang = crate::auth::language(&parts);
    let mut res = next
        .run(axum::extract::Request::from_parts(parts, body))
        .await;
    match res.extensions_mut().remove::<ErrorPage>() {
        Some(e) => {
            let message = e.refusal.map_or(e.message, |r| r.in_words(lang));
            let page = crate::pages::frame::error_page(e.status, &message, lang);
            let mut rendered = (e.status, page).into_response();
            if let Some(unavailable) = res.extensions().get::<DatabaseUnavailable>() {
                rendered.extensions_mut().insert(*unavailable);
            }
            rendered
        }
        None => res,
    }
}

/// Page handlers return this: any error renders as a page.
pub type PageResult<T> = Result<T, PageError>;

/// A [`WebError`] that renders as HTML.
#[derive(Debug)]
pub struct PageError(pub WebError);

impl<E: Into<WebError>> From<E> for PageError {
    fn from(e: E) -> PageError {
        PageError(e.into().html())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}
