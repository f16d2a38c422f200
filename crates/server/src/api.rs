//! The JSON API under `/api/v1`: every command of the CLI that makes sense over the network,
//! each a thin call of one `hdab-app` use case. The OpenAPI document is generated from these
//! handlers' annotations and served at `/api/openapi.json`.

use crate::ServerState;
use crate::auth::Caller;
use crate::error::WebError;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use futures::StreamExt;
use hdab_app::{CaseOptions, CatalogQuery};
use hdab_permits::{
    ApplicationContent, CaseCommand, DataRequestContent, ExtractionSpec, Role, User,
};
use hdab_pipeline::Compression;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, OpenApi, ToSchema};

type ApiResult<T> = Result<T, WebError>;

pub fn routes() -> axum::Router<ServerState> {
    axum::Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(list_users).post(add_user))
        .route("/api/v1/tokens", post(create_token))
        .route(
            "/api/v1/catalog",
            get(search_catalog).post(register_dataset),
        )
        .route("/api/v1/catalog/export", get(export_catalog))
        .route("/api/v1/catalog/overdue", get(overdue))
        .route("/api/v1/catalog/{dataset_id}", get(show_dataset))
        .route(
            "/api/v1/catalog/{dataset_id}/versions",
            get(dataset_versions),
        )
        .route("/api/v1/catalog/{dataset_id}/diff", get(dataset_diff))
        .route(
            "/api/v1/catalog/{dataset_id}/confirm",
            post(confirm_dataset),
        )
        .route(
            "/api/v1/catalog/{dataset_id}/uploads",
            get(list_uploads)
                .put(upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/api/v1/applications",
            get(my_applications).post(create_application),
        )
        .route(
            "/api/v1/applications/{application_id}",
            get(show_application).put(update_application),
        )
        .route(
            "/api/v1/applications/{application_id}/commands",
            post(case_command),
        )
        .route("/api/v1/queue", get(queue))
        .route("/api/v1/register", get(register))
        .route("/api/v1/permits", get(list_permits))
        .route("/api/v1/permits/{permit_id}", get(show_permit))
        .route("/api/v1/permits/{permit_id}/revoke", post(revoke_permit))
        .route("/api/v1/permits/{permit_id}/amend", post(amend_permit))
        .route("/api/v1/permits/{permit_id}/extractions", post(extract))
        .route("/api/v1/optouts", post(record_optouts))
        .route("/api/v1/optouts/status", post(optout_status))
        .route("/api/v1/data-requests", post(submit_data_request))
        .route("/api/v1/data-requests/{request_id}", get(show_data_request))
        .route(
            "/api/v1/data-requests/{request_id}/answer",
            post(answer_data_request),
        )
        .route("/api/v1/keys", post(add_key))
        .route("/api/v1/keys/rotate", post(rotate_keys))
        .route("/api/v1/audit/verify", get(verify_audit))
        .route("/api/v1/audit/checkpoint", get(latest_checkpoint))
        .route("/api/openapi.json", get(openapi_json))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hdab",
        description = "Health data access body API: catalogue, permits, opt-outs, extraction. Authenticate with `Authorization: Bearer <token>` (create one with POST /api/v1/tokens from a session, or `hdab users token`).",
        license(name = "EUPL-1.2")
    ),
    paths(
        me, list_users, add_user, create_token, search_catalog, register_dataset, export_catalog,
        overdue, show_dataset, dataset_versions, dataset_diff, confirm_dataset, list_uploads,
        upload, my_applications, create_application, show_application, update_application,
        case_command, queue, register, list_permits, show_permit, revoke_permit, amend_permit,
        extract, record_optouts, optout_status, submit_data_request, show_data_request,
        answer_data_request, add_key, rotate_keys, verify_audit, latest_checkpoint
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "catalogue", description = "Dataset descriptions, versions, confirmations, uploads"),
        (name = "applications", description = "Data access applications and their case work"),
        (name = "permits", description = "Permits, their deliveries and extraction"),
        (name = "optouts", description = "The opt-out registry"),
        (name = "data-requests", description = "Requests for anonymised statistics (Art. 69)"),
        (name = "admin", description = "Users, tokens, keys and the audit log"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

#[derive(Debug)]
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![
            utoipa::openapi::security::SecurityRequirement::new("token", Vec::<String>::new()),
            utoipa::openapi::security::SecurityRequirement::default(),
        ]);
    }
}

async fn openapi_json() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => WebError::internal(&e).into_response(),
    }
}

/// A JSON body that failed to parse gets a 400 that says where, never a 500.
#[derive(Debug)]
pub struct Body422<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for Body422<T> {
    type Rejection = WebError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, WebError> {
        match <Json<T> as axum::extract::FromRequest<S>>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body422(v)),
            Err(rejection) => Err(WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the request body: {}", rejection.body_text()),
            )),
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(|e| WebError::internal(&e))
}

// ---- users and tokens ----------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserOut {
    id: String,
    name: String,
    organisation: String,
    roles: Vec<String>,
}

impl From<&User> for UserOut {
    fn from(u: &User) -> Self {
        UserOut {
            id: u.id.clone(),
            name: u.name.clone(),
            organisation: u.organisation.clone(),
            roles: u.roles.iter().map(|r| r.as_str().to_string()).collect(),
        }
    }
}

/// Who the caller is.
#[utoipa::path(get, path = "/api/v1/me", tag = "admin",
    responses((status = 200, body = UserOut), (status = 401, description = "not logged in")))]
async fn me(caller: Caller) -> ApiResult<Json<UserOut>> {
    Ok(Json(caller.require()?.into()))
}

/// Every user (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin",
    responses((status = 200, body = [UserOut]), (status = 401), (status = 403)))]
async fn list_users(State(s): State<ServerState>, caller: Caller) -> ApiResult<Json<Vec<UserOut>>> {
    let user = caller.require()?;
    if !user.has(Role::Admin) {
        return Err(hdab_app::AppError::Refused(format!(
            "listing users needs the role admin; user '{}' does not have it",
            user.id
        ))
        .into());
    }
    Ok(Json(
        s.app.users().await?.iter().map(UserOut::from).collect(),
    ))
}

/// A role from the permission matrix.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    Admin,
    DataHolder,
    Applicant,
    CaseOfficer,
    DecisionMaker,
    OptoutRegistrar,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    #[schema(
        example = "anna",
        pattern = "^[A-Za-z0-9._-]+$",
        min_length = 1,
        max_length = 64
    )]
    id: String,
    #[schema(min_length = 1, pattern = "\\S")]
    name: String,
    #[schema(min_length = 1, pattern = "\\S")]
    organisation: String,
    /// admin, data_holder, applicant, case_officer, decision_maker, optout_registrar
    #[schema(min_items = 1, inline)]
    roles: Vec<RoleName>,
    /// At least 12 characters; omit for an account that only uses API tokens.
    #[serde(default)]
    #[schema(min_length = 12)]
    password: Option<String>,
}

/// Adds a user (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUser,
    responses((status = 201, body = UserOut), (status = 401), (status = 403), (status = 409), (status = 422)))]
async fn add_user(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(new): Body422<NewUser>,
) -> ApiResult<(StatusCode, Json<UserOut>)> {
    let actor = caller.id()?;
    let roles = new
        .roles
        .iter()
        .map(|r| match r {
            RoleName::Admin => Role::Admin,
            RoleName::DataHolder => Role::DataHolder,
            RoleName::Applicant => Role::Applicant,
            RoleName::CaseOfficer => Role::CaseOfficer,
            RoleName::DecisionMaker => Role::DecisionMaker,
            RoleName::OptoutRegistrar => Role::OptOutRegistrar,
        })
        .collect::<Vec<_>>();
    if new.id.is_empty()
        || new.id.len() > 64
        || !new
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a user id is 1 to 64 letters, digits, '-', '_' or '.'",
        ));
    }
    let user = User {
        id: new.id,
        name: new.name,
        organisation: new.organisation,
        roles,
    };
    if let Some(p) = &new.password
        && p.chars().count() < hdab_app::accounts::MIN_PASSWORD_CHARS
    {
        return Err(WebError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a password needs at least 12 characters",
        ));
    }
    s.app.add_user(Some(actor), &user).await?;
    if let Some(p) = &new.password {
        s.app.set_password(actor, &user.id, p).await?;
    }
    Ok((StatusCode::CREATED, Json((&user).into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    /// Which system uses the token.
    #[schema(min_length = 1, pattern = "\\S")]
    label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    /// Shown once; send as `Authorization: Bearer <token>`.
    token: String,
}

/// Creates an API token for the caller.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = NewToken,
    responses((status = 201, body = TokenOut), (status = 401), (status = 422)))]
async fn create_token(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(t): Body422<NewToken>,
) -> ApiResult<(StatusCode, Json<TokenOut>)> {
    let token = s.app.create_api_token(caller.id()?, &t.label).await?;
    Ok((StatusCode::CREATED, Json(TokenOut { token })))
}

// ---- catalogue -----------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetOut {
    dataset_id: String,
    version: i64,
    holder: String,
    title_en: String,
    title_sv: String,
    digest: String,
    registered_by: String,
    registered_at: chrono::DateTime<Utc>,
    /// The whole description (HealthDCAT-AP fields and the data dictionary).
    #[schema(value_type = Object)]
    description: Value,
}

fn dataset_out(d: &hdab_store::DatasetVersion) -> ApiResult<DatasetOut> {
    Ok(DatasetOut {
        dataset_id: d.dataset_id.clone(),
        version: d.version,
        holder: d.description.holder.clone(),
        title_en: d.description.title.en.clone(),
        title_sv: d.description.title.sv.clone(),
        digest: d.digest.clone(),
        registered_by: d.created_by.clone(),
        registered_at: d.created_at,
        description: to_json(&d.description)?,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogParams {
    /// Words in title, description, keywords or variables.
    text: Option<String>,
    /// A HealthDCAT-AP health category.
    category: Option<String>,
    holder: Option<String>,
    /// A coding system such as ICD-10-SE or ATC.
    coding_system: Option<String>,
}

/// Searches the catalogue (public).
#[utoipa::path(get, path = "/api/v1/catalog", tag = "catalogue", params(CatalogParams),
    responses((status = 400, description = "a query parameter is malformed"), (status = 200, body = [DatasetOut])))]
async fn search_catalog(
    State(s): State<ServerState>,
    Query(p): Query<CatalogParams>,
) -> ApiResult<Json<Vec<DatasetOut>>> {
    let q = CatalogQuery {
        text: p.text,
        category: p.category,
        holder: p.holder,
        coding_system: p.coding_system,
    };
    let found = s.app.catalog_search(&q).await?;
    Ok(Json(
        found.iter().map(dataset_out).collect::<Result<_, _>>()?,
    ))
}

/// Registers a description (TOML, as in `catalog/`), or a new version of it (data holders).
#[utoipa::path(post, path = "/api/v1/catalog", tag = "catalogue",
    request_body(content = String, content_type = "text/plain", description = "The description in TOML, as in the catalog/ folder"),
    responses((status = 201, body = DatasetOut), (status = 401), (status = 403), (status = 422)))]
async fn register_dataset(
    State(s): State<ServerState>,
    caller: Caller,
    body: String,
) -> ApiResult<(StatusCode, Json<DatasetOut>)> {
    let v = s.app.register_dataset(caller.id()?, &body).await?;
    Ok((StatusCode::CREATED, Json(dataset_out(&v)?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `turtle` (default) or `jsonld`.
    #[param(pattern = "^(turtle|jsonld)$")]
    format: Option<String>,
    /// One dataset only.
    dataset: Option<String>,
}

/// The catalogue as DCAT-AP 3 / HealthDCAT-AP RDF (public).
#[utoipa::path(get, path = "/api/v1/catalog/export", tag = "catalogue", params(ExportParams),
    responses((status = 400, description = "a query parameter is malformed"), (status = 200, description = "Turtle, or JSON-LD with format=jsonld", content((String = "text/turtle"), (Vec<serde_json::Value> = "application/ld+json"))), (status = 404), (status = 422)))]
async fn export_catalog(
    State(s): State<ServerState>,
    Query(p): Query<ExportParams>,
) -> ApiResult<Response> {
    let jsonld = match p.format.as_deref() {
        None | Some("turtle") => false,
        Some("jsonld") => true,
        Some(other) => {
            return Err(WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("format '{other}': use turtle or jsonld"),
            ));
        }
    };
    let text = s.app.catalog_export(p.dataset.as_deref(), jsonld).await?;
    let ct = if jsonld {
        "application/ld+json"
    } else {
        "text/turtle"
    };
    Ok(([(header::CONTENT_TYPE, ct)], text).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueOut {
    holder: String,
    dataset_id: String,
    last_confirmed: chrono::DateTime<Utc>,
    days_overdue: i64,
}

/// Descriptions not confirmed within 12 months (holders see their own; officers all).
#[utoipa::path(get, path = "/api/v1/catalog/overdue", tag = "catalogue",
    responses((status = 200, body = [OverdueOut]), (status = 401), (status = 403)))]
async fn overdue(State(s): State<ServerState>, caller: Caller) -> ApiResult<Json<Vec<OverdueOut>>> {
    let rows = s.app.catalog_overdue_for(caller.id()?, Utc::now()).await?;
    Ok(Json(
        rows.into_iter()
            .map(|o| OverdueOut {
                holder: o.holder,
                dataset_id: o.dataset_id,
                last_confirmed: o.last_confirmed,
                days_overdue: o.days_overdue,
            })
            .collect(),
    ))
}

/// The current description of a dataset (public).
#[utoipa::path(get, path = "/api/v1/catalog/{dataset_id}", tag = "catalogue",
    params(("dataset_id" = String, Path)),
    responses((status = 200, body = DatasetOut), (status = 404)))]
async fn show_dataset(
    State(s): State<ServerState>,
    Path(dataset_id): Path<String>,
) -> ApiResult<Json<DatasetOut>> {
    Ok(Json(dataset_out(&s.app.dataset(&dataset_id).await?)?))
}

/// Every version of a description (public).
#[utoipa::path(get, path = "/api/v1/catalog/{dataset_id}/versions", tag = "catalogue",
    params(("dataset_id" = String, Path)),
    responses((status = 200, body = [DatasetOut]), (status = 404)))]
async fn dataset_versions(
    State(s): State<ServerState>,
    Path(dataset_id): Path<String>,
) -> ApiResult<Json<Vec<DatasetOut>>> {
    let v = s.app.catalog_versions(&dataset_id).await?;
    Ok(Json(v.iter().map(dataset_out).collect::<Result<_, _>>()?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    from: i64,
    to: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOut {
    path: String,
    before: Option<String>,
    after: Option<String>,
}

/// Field-by-field differences between two versions (public).
#[utoipa::path(get, path = "/api/v1/catalog/{dataset_id}/diff", tag = "catalogue",
    params(("dataset_id" = String, Path), DiffParams),
    responses((status = 200, body = [ChangeOut]), (status = 404), (status = 400)))]
async fn dataset_diff(
    State(s): State<ServerState>,
    Path(dataset_id): Path<String>,
    Query(p): Query<DiffParams>,
) -> ApiResult<Json<Vec<ChangeOut>>> {
    let changes = s.app.catalog_diff(&dataset_id, p.from, p.to).await?;
    Ok(Json(
        changes
            .into_iter()
            .map(|c| ChangeOut {
                path: c.path,
                before: c.before,
                after: c.after,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmOut {
    dataset_id: String,
    version: i64,
}

/// Confirms that the current description is still correct (the yearly check; holders).
#[utoipa::path(post, path = "/api/v1/catalog/{dataset_id}/confirm", tag = "catalogue",
    params(("dataset_id" = String, Path)),
    responses((status = 200, body = ConfirmOut), (status = 401), (status = 403), (status = 404)))]
async fn confirm_dataset(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
) -> ApiResult<Json<ConfirmOut>> {
    let version = s.app.confirm_dataset(caller.id()?, &dataset_id).await?;
    Ok(Json(ConfirmOut {
        dataset_id,
        version,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadOut {
    upload_id: String,
    dataset_id: String,
    dataset_version: i64,
    sha256: String,
    bytes: i64,
    n_rows: i64,
    reference_date: NaiveDate,
    uploaded_by: String,
    uploaded_at: chrono::DateTime<Utc>,
    /// The check report: rows, identifiers valid and invalid by reason, empty cells.
    #[schema(value_type = Object)]
    report: Value,
}

fn upload_out(u: hdab_store::Upload) -> UploadOut {
    UploadOut {
        upload_id: u.id,
        dataset_id: u.dataset_id,
        dataset_version: u.dataset_version,
        sha256: u.sha256,
        bytes: u.bytes,
        n_rows: u.n_rows,
        reference_date: u.reference_date,
        uploaded_by: u.uploaded_by,
        uploaded_at: u.uploaded_at,
        report: u.report,
    }
}

/// A dataset's uploads with their check reports (its holder and case officers).
#[utoipa::path(get, path = "/api/v1/catalog/{dataset_id}/uploads", tag = "catalogue",
    params(("dataset_id" = String, Path)),
    responses((status = 200, body = [UploadOut]), (status = 401), (status = 403), (status = 404)))]
async fn list_uploads(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
) -> ApiResult<Json<Vec<UploadOut>>> {
    let ups = s.app.dataset_uploads(caller.id()?, &dataset_id).await?;
    Ok(Json(ups.into_iter().map(upload_out).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The date the extract was made (decides the century of 10-digit personnummer);
    /// today if not given.
    #[param(value_type = Option<String>, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    reference_date: Option<NaiveDate>,
}

/// Uploads the data of a dataset (CSV or Parquet as the body), checked against its
/// description (data holders).
#[utoipa::path(put, path = "/api/v1/catalog/{dataset_id}/uploads", tag = "catalogue",
    params(("dataset_id" = String, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 400, description = "a query parameter is malformed"), (status = 201, body = UploadOut), (status = 401), (status = 403), (status = 404), (status = 413), (status = 422)))]
async fn upload(
    State(s): State<ServerState>,
    caller: Caller,
    Path(dataset_id): Path<String>,
    Query(p): Query<UploadParams>,
    body: Body,
) -> ApiResult<(StatusCode, Json<UploadOut>)> {
    let actor = caller.id()?.to_string();
    let incoming = s.receive(body.into_data_stream()).await?;
    let (u, _) = s
        .app
        .upload(&actor, &dataset_id, incoming.path(), p.reference_date)
        .await?;
    Ok((StatusCode::CREATED, Json(upload_out(u))))
}

impl ServerState {
    /// Streams a request body into a file in the data directory's `incoming/` (same file
    /// system as the uploads, never under a name the client chose), bounded in size.
    pub async fn receive<S, E>(&self, mut stream: S) -> Result<tempfile::NamedTempFile, WebError>
    where
        S: futures::Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let dir = self.app.settings.data_dir.join("incoming");
        std::fs::create_dir_all(&dir).map_err(|e| WebError::internal(&e))?;
        let cut =
            |e: E| WebError::bad_request(format!("the upload was cut off: {e}; send it again"));
        // The format is told by the content (Parquet's magic bytes), never by a client's name.
        let first = match stream.next().await {
            Some(chunk) => chunk.map_err(cut)?,
            None => axum::body::Bytes::new(),
        };
        let suffix = if first.starts_with(b"PAR1") {
            ".parquet"
        } else {
            ".csv"
        };
        let file = tempfile::Builder::new()
            .prefix("upload-")
            .suffix(suffix)
            .tempfile_in(&dir)
            .map_err(|e| WebError::internal(&e))?;
        let mut out = tokio::fs::File::from_std(file.reopen().map_err(|e| WebError::internal(&e))?);
        let mut n: u64 = first.len() as u64;
        out.write_all(&first)
            .await
            .map_err(|e| WebError::internal(&e))?;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(cut)?;
            n += chunk.len() as u64;
            if n > self.max_upload_bytes {
                return Err(WebError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the upload is larger than this server accepts ({} MiB); split it or ask the HDAB",
                        self.max_upload_bytes >> 20
                    ),
                ));
            }
            out.write_all(&chunk)
                .await
                .map_err(|e| WebError::internal(&e))?;
        }
        out.sync_all().await.map_err(|e| WebError::internal(&e))?;
        if n == 0 {
            return Err(WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the upload is empty; send the file's bytes as the request body",
            ));
        }
        Ok(file)
    }
}

// ---- applications --------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationRowOut {
    id: String,
    title: String,
    state: String,
    #[schema(value_type = Object)]
    deadline: Value,
    permit_id: Option<String>,
}

/// The caller's own applications.
#[utoipa::path(get, path = "/api/v1/applications", tag = "applications",
    responses((status = 200, body = [ApplicationRowOut]), (status = 401)))]
async fn my_applications(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<Json<Vec<ApplicationRowOut>>> {
    let rows = s.app.my_applications(caller.id()?).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| {
                Ok(ApplicationRowOut {
                    state: r.state.to_string(),
                    deadline: to_json(&r.deadline)?,
                    id: r.id,
                    title: r.title,
                    permit_id: r.permit_id,
                })
            })
            .collect::<ApiResult<_>>()?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedOut {
    id: String,
}

/// Saves a draft application (applicants). Submit it with the `submit` command.
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications",
    request_body(content = crate::schemas::ApplicationSchema),
    responses((status = 201, body = CreatedOut), (status = 401), (status = 403), (status = 422)))]
async fn create_application(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(content): Body422<ApplicationContent>,
) -> ApiResult<(StatusCode, Json<CreatedOut>)> {
    let id = s
        .app
        .create_application_content(caller.id()?, content)
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedOut { id })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationOut {
    id: String,
    applicant: String,
    state: String,
    assignee: Option<String>,
    #[schema(value_type = Object)]
    content: Value,
    #[schema(value_type = Object)]
    deadline: Value,
    /// Every event of the case: command, actor, time, comment, assignee.
    #[schema(value_type = Vec<Object>)]
    events: Value,
    permit_id: Option<String>,
}

/// An application with its history and deadline (those with a part in it).
#[utoipa::path(get, path = "/api/v1/applications/{application_id}", tag = "applications",
    params(("application_id" = String, Path)),
    responses((status = 200, body = ApplicationOut), (status = 401), (status = 404)))]
async fn show_application(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
) -> ApiResult<Json<ApplicationOut>> {
    let (a, d) = s
        .app
        .show_application(caller.id()?, &application_id)
        .await?;
    let permit_id = s.app.permit_of_application(&a.id).await?;
    Ok(Json(ApplicationOut {
        state: hdab_permits::state_of(&a.events).to_string(),
        assignee: hdab_permits::assignee_of(&a.events).map(str::to_string),
        content: to_json(&a.content)?,
        deadline: to_json(&d)?,
        events: to_json(&a.events)?,
        id: a.id,
        applicant: a.applicant,
        permit_id,
    }))
}

/// Replaces a draft's or returned application's content (its applicant).
#[utoipa::path(put, path = "/api/v1/applications/{application_id}", tag = "applications",
    params(("application_id" = String, Path)),
    request_body(content = crate::schemas::ApplicationSchema),
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 422)))]
async fn update_application(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
    Body422(content): Body422<ApplicationContent>,
) -> ApiResult<StatusCode> {
    s.app
        .update_application_content(caller.id()?, &application_id, content)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A case command; who may run which is the permission matrix.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandName {
    Submit,
    Take,
    Assign,
    Return,
    Extend,
    Approve,
    Reject,
    Withdraw,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CommandIn {
    #[schema(inline)]
    command: CommandName,
    /// The reason (required for return, extend, approve, reject).
    #[serde(default)]
    comment: String,
    /// `assign`: the officer to give the case to.
    #[serde(default)]
    assign_to: Option<String>,
    /// `approve`: a narrower extraction spec than asked for.
    #[serde(default)]
    #[schema(value_type = Option<crate::schemas::ExtractionSpecSchema>)]
    narrowed: Option<ExtractionSpec>,
    /// `approve`: conditions attached to the permit.
    #[serde(default)]
    conditions: Vec<String>,
    /// `approve`: months of validity, if shorter than asked (at most 120).
    #[serde(default)]
    valid_months: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommandOut {
    state: String,
    permit_id: Option<String>,
}

/// Runs a case command; who may run which is the permission matrix.
#[utoipa::path(post, path = "/api/v1/applications/{application_id}/commands", tag = "applications",
    params(("application_id" = String, Path)), request_body = CommandIn,
    responses((status = 200, body = CommandOut), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn case_command(
    State(s): State<ServerState>,
    caller: Caller,
    Path(application_id): Path<String>,
    Body422(c): Body422<CommandIn>,
) -> ApiResult<Json<CommandOut>> {
    let actor = caller.id()?;
    let command = match c.command {
        CommandName::Submit => CaseCommand::Submit,
        CommandName::Take => CaseCommand::Take,
        CommandName::Assign => CaseCommand::Assign,
        CommandName::Return => CaseCommand::Return,
        CommandName::Extend => CaseCommand::Extend,
        CommandName::Approve => CaseCommand::Approve,
        CommandName::Reject => CaseCommand::Reject,
        CommandName::Withdraw => CaseCommand::Withdraw,
    };
    let (state, permit_id) = s
        .app
        .case_command(
            actor,
            &application_id,
            command,
            &c.comment,
            CaseOptions {
                assign_to: c.assign_to,
                narrowed: c.narrowed,
                conditions: c.conditions,
                valid_months: c.valid_months,
            },
        )
        .await?;
    Ok(Json(CommandOut {
        state: state.to_string(),
        permit_id,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueRowOut {
    id: String,
    state: String,
    assignee: Option<String>,
    organisation: String,
    title: String,
    days_left: Option<i64>,
    overdue: bool,
}

/// The case queue, overdue first (case officers and decision makers).
#[utoipa::path(get, path = "/api/v1/queue", tag = "applications",
    responses((status = 200, body = [QueueRowOut]), (status = 401), (status = 403)))]
async fn queue(State(s): State<ServerState>, caller: Caller) -> ApiResult<Json<Vec<QueueRowOut>>> {
    let rows = s.app.queue(caller.id()?).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| QueueRowOut {
                overdue: r.deadline.days_left.is_some_and(|d| d < 0),
                days_left: r.deadline.days_left,
                id: r.id,
                state: r.state.to_string(),
                assignee: r.assignee,
                organisation: r.organisation,
                title: r.title,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterOut {
    id: String,
    received: chrono::DateTime<Utc>,
    organisation: String,
    title: String,
    purpose: String,
    datasets: Vec<String>,
    state: String,
    decision: Option<String>,
    decided_at: Option<chrono::DateTime<Utc>>,
    reasons: Option<String>,
}

/// The public register of applications and decisions (public).
#[utoipa::path(get, path = "/api/v1/register", tag = "applications",
    responses((status = 200, body = [RegisterOut])))]
async fn register(State(s): State<ServerState>) -> ApiResult<Json<Vec<RegisterOut>>> {
    let rows = s.app.public_register().await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| RegisterOut {
                purpose: serde_json::to_value(r.purpose)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                decided_at: r.decision.as_ref().map(|d| d.1),
                reasons: r.decision.as_ref().map(|d| d.2.clone()),
                decision: r.decision.map(|d| d.0),
                id: r.id,
                received: r.received,
                organisation: r.organisation,
                title: r.title,
                datasets: r.datasets,
                state: r.state.to_string(),
            })
            .collect(),
    ))
}

// ---- permits -------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PermitListParams {
    /// `true`: every permit (case officers, decision makers, admins).
    all: Option<bool>,
}

/// The permits the caller is named in, or every permit for officers with `all=true`.
#[utoipa::path(get, path = "/api/v1/permits", tag = "permits", params(PermitListParams),
    responses((status = 400, description = "a query parameter is malformed"), (status = 200, body = [Object]), (status = 401), (status = 403)))]
async fn list_permits(
    State(s): State<ServerState>,
    caller: Caller,
    Query(p): Query<PermitListParams>,
) -> ApiResult<Json<Value>> {
    let actor = caller.id()?;
    let permits = if p.all == Some(true) {
        s.app.all_permits(actor).await?
    } else {
        s.app.my_permits(actor).await?
    };
    Ok(Json(to_json(&permits)?))
}

/// A permit, the state of its deliveries and their manifests (named users and officers).
#[utoipa::path(get, path = "/api/v1/permits/{permit_id}", tag = "permits",
    params(("permit_id" = String, Path)),
    responses((status = 200, body = Object), (status = 401), (status = 403), (status = 404)))]
async fn show_permit(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let st = s.app.permit_status(caller.id()?, &permit_id).await?;
    Ok(Json(to_json(&st)?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReasonIn {
    #[schema(min_length = 1, pattern = "\\S")]
    reason: String,
}

/// Revokes a permit (decision makers).
#[utoipa::path(post, path = "/api/v1/permits/{permit_id}/revoke", tag = "permits",
    params(("permit_id" = String, Path)), request_body = ReasonIn,
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 422)))]
async fn revoke_permit(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
    Body422(r): Body422<ReasonIn>,
) -> ApiResult<StatusCode> {
    s.app
        .revoke_permit(caller.id()?, &permit_id, &r.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AmendIn {
    #[schema(min_length = 1, pattern = "\\S")]
    reason: String,
    /// Users to add to the SPE.
    #[serde(default)]
    add: Vec<String>,
    /// Users to remove from the SPE.
    #[serde(default)]
    remove: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SpeUsersOut {
    spe_users: Vec<String>,
}

/// Changes who may work with a permit's data in the SPE (decision makers).
#[utoipa::path(post, path = "/api/v1/permits/{permit_id}/amend", tag = "permits",
    params(("permit_id" = String, Path)), request_body = AmendIn,
    responses((status = 200, body = SpeUsersOut), (status = 401), (status = 403), (status = 404), (status = 422)))]
async fn amend_permit(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
    Body422(a): Body422<AmendIn>,
) -> ApiResult<Json<SpeUsersOut>> {
    let spe_users = s
        .app
        .amend_permit(caller.id()?, &permit_id, &a.reason, &a.add, &a.remove)
        .await?;
    Ok(Json(SpeUsersOut { spe_users }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExtractParams {
    /// `zstd` (default) or `snappy` (for R builds without zstd).
    #[param(pattern = "^(zstd|snappy)$")]
    compression: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    dataset_id: String,
    /// The folder in the SPE, relative to the SPE root.
    folder: String,
    #[schema(value_type = Object)]
    manifest: Value,
}

/// Runs the extraction of a permit into its SPE folder (case officers).
#[utoipa::path(post, path = "/api/v1/permits/{permit_id}/extractions", tag = "permits",
    params(("permit_id" = String, Path), ExtractParams),
    responses((status = 400, description = "a query parameter is malformed"), (status = 201, body = [DeliveryOut]), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422), (status = 507, description = "no space left on the SPE volume; nothing was delivered")))]
async fn extract(
    State(s): State<ServerState>,
    caller: Caller,
    Path(permit_id): Path<String>,
    Query(p): Query<ExtractParams>,
) -> ApiResult<(StatusCode, Json<Vec<DeliveryOut>>)> {
    let compression = match p.compression.as_deref() {
        None | Some("zstd") => Compression::Zstd,
        Some("snappy") => Compression::Snappy,
        Some(other) => {
            return Err(WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("compression '{other}': use zstd or snappy"),
            ));
        }
    };
    let deliveries = s.extract(caller.id()?, &permit_id, compression).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            deliveries
                .into_iter()
                .map(|d| {
                    Ok(DeliveryOut {
                        folder: d
                            .folder
                            .strip_prefix(&s.app.settings.spe_root)
                            .unwrap_or(&d.folder)
                            .display()
                            .to_string(),
                        manifest: to_json(&d.manifest)?,
                        dataset_id: d.dataset_id,
                    })
                })
                .collect::<ApiResult<_>>()?,
        ),
    ))
}

// ---- opt-outs ------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct OptoutIn {
    /// One personnummer or samordningsnummer per line.
    #[schema(min_length = 1, pattern = "\\S")]
    lines: String,
    /// `true` to opt out, `false` to withdraw an opt-out.
    opt_out: bool,
    /// The date the lines were written (the century of 10-digit numbers); today if absent.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    written_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptoutOut {
    recorded: usize,
    unchanged: usize,
    /// (line number, why the line was not taken) — never the line itself.
    rejected: Vec<(usize, String)>,
}

/// Records opt-outs or their withdrawal (the opt-out registrar).
#[utoipa::path(post, path = "/api/v1/optouts", tag = "optouts", request_body = OptoutIn,
    responses((status = 200, body = OptoutOut), (status = 401), (status = 403), (status = 422)))]
async fn record_optouts(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(o): Body422<OptoutIn>,
) -> ApiResult<Json<OptoutOut>> {
    let (recorded, unchanged, rejected) = s
        .app
        .optout_lines(caller.id()?, &o.lines, o.opt_out, o.written_on)
        .await?;
    Ok(Json(OptoutOut {
        recorded,
        unchanged,
        rejected,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusIn {
    #[schema(min_length = 1, pattern = "\\S")]
    lines: String,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    written_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusOut {
    line: usize,
    opted_out: Option<bool>,
    problem: Option<String>,
}

/// Whether each number is opted out (the opt-out registrar).
#[utoipa::path(post, path = "/api/v1/optouts/status", tag = "optouts", request_body = StatusIn,
    responses((status = 200, body = [StatusOut]), (status = 401), (status = 403), (status = 422)))]
async fn optout_status(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(q): Body422<StatusIn>,
) -> ApiResult<Json<Vec<StatusOut>>> {
    let rows = s
        .app
        .optout_status(caller.id()?, &q.lines, q.written_on)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|(line, r)| match r {
                Ok(b) => StatusOut {
                    line,
                    opted_out: Some(b),
                    problem: None,
                },
                Err(p) => StatusOut {
                    line,
                    opted_out: None,
                    problem: Some(p),
                },
            })
            .collect(),
    ))
}

// ---- data requests -------------------------------------------------------------------------

/// Asks for anonymised statistics (applicants).
#[utoipa::path(post, path = "/api/v1/data-requests", tag = "data-requests",
    request_body(content = crate::schemas::DataRequestSchema),
    responses((status = 201, body = CreatedOut), (status = 401), (status = 403), (status = 404), (status = 422)))]
async fn submit_data_request(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(content): Body422<DataRequestContent>,
) -> ApiResult<(StatusCode, Json<CreatedOut>)> {
    let id = s
        .app
        .submit_data_request_content(caller.id()?, content)
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedOut { id })))
}

/// A data request and, once answered, its protected table.
#[utoipa::path(get, path = "/api/v1/data-requests/{request_id}", tag = "data-requests",
    params(("request_id" = String, Path)),
    responses((status = 200, body = Object), (status = 401), (status = 404)))]
async fn show_data_request(
    State(s): State<ServerState>,
    caller: Caller,
    Path(request_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (content, table) = s.app.show_data_request(caller.id()?, &request_id).await?;
    Ok(Json(serde_json::json!({
        "request": to_json(&content)?,
        "table": to_json(&table)?,
    })))
}

/// Answers a data request with a table protected against disclosure (case officers).
#[utoipa::path(post, path = "/api/v1/data-requests/{request_id}/answer", tag = "data-requests",
    params(("request_id" = String, Path)),
    responses((status = 200, body = Object), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn answer_data_request(
    State(s): State<ServerState>,
    caller: Caller,
    Path(request_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let table = s.app.answer_data_request(caller.id()?, &request_id).await?;
    Ok(Json(to_json(&table)?))
}

// ---- keys and audit ------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyOut {
    key_id: String,
}

/// Adds a new master key; new permits use it (admins).
#[utoipa::path(post, path = "/api/v1/keys", tag = "admin",
    responses((status = 201, body = KeyOut), (status = 401), (status = 403)))]
async fn add_key(
    State(s): State<ServerState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<KeyOut>)> {
    let key_id = s.app.keys_add(Some(caller.id()?), false).await?;
    Ok((StatusCode::CREATED, Json(KeyOut { key_id })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedOut {
    permits: Vec<String>,
}

/// Rotates every live permit's pseudonym key version (admins).
#[utoipa::path(post, path = "/api/v1/keys/rotate", tag = "admin", request_body = ReasonIn,
    responses((status = 200, body = RotatedOut), (status = 401), (status = 403), (status = 422)))]
async fn rotate_keys(
    State(s): State<ServerState>,
    caller: Caller,
    Body422(r): Body422<ReasonIn>,
) -> ApiResult<Json<RotatedOut>> {
    let permits = s.app.keys_rotate(caller.id()?, &r.reason).await?;
    Ok(Json(RotatedOut { permits }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    intact: bool,
    entries: Option<usize>,
    problem: Option<String>,
}

/// Verifies the audit log's hash chain (admins).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "admin",
    responses((status = 200, body = AuditOut), (status = 401), (status = 403)))]
async fn verify_audit(State(s): State<ServerState>, caller: Caller) -> ApiResult<Json<AuditOut>> {
    let r = s.app.audit_verify_by(caller.id()?).await?;
    Ok(Json(match r {
        Ok(n) => AuditOut {
            intact: true,
            entries: Some(n),
            problem: None,
        },
        Err(e) => AuditOut {
            intact: false,
            entries: None,
            problem: Some(e.to_string()),
        },
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointOut {
    /// The log had this many entries …
    seq: i64,
    /// … and this was the last one's hash.
    head_hash: String,
    at: chrono::DateTime<Utc>,
    /// Ed25519 public key (base64url) the HDAB signs checkpoints with.
    public_key: String,
    /// Ed25519 signature (base64url) over "hdab audit checkpoint v1\0", seq (8 bytes, big
    /// endian) and the head hash.
    signature: String,
}

/// The latest signed checkpoint of the audit log (public): keep copies; a log that no longer
/// holds the entry it vouches for was cut off.
#[utoipa::path(get, path = "/api/v1/audit/checkpoint", tag = "admin",
    responses((status = 200, body = CheckpointOut), (status = 404, description = "no checkpoint yet")))]
async fn latest_checkpoint(State(s): State<ServerState>) -> ApiResult<Json<CheckpointOut>> {
    let c = s
        .app
        .latest_checkpoint()
        .await?
        .ok_or_else(|| hdab_app::AppError::NotFound("a signed checkpoint".into()))?;
    Ok(Json(CheckpointOut {
        seq: c.seq,
        head_hash: c.head_hash,
        at: c.at,
        public_key: c.public_key,
        signature: c.signature,
    }))
}
