//! The Flight SQL service. A query goes: `GetFlightInfo` (caller signed in, permit chosen
//! and authorised, SQL planned read-only, its schema returned with a ticket naming the
//! permit and the SQL) → `DoGet` (authorised again, the start logged — or nothing runs —,
//! batches streamed and counted, the end logged with rows and bytes before the stream
//! closes; a caller who goes away early is logged as such).

use crate::engine::{self, Limits};
use crate::{PERMIT_HEADER, auth};
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::{FlightService, FlightServiceServer};
use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::server::FlightSqlService;
use arrow_flight::sql::{
    CommandGetSqlInfo, CommandStatementQuery, ProstMessageExt, SqlInfo, TicketStatementQuery,
};
use arrow_flight::{
    FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest, HandshakeResponse, Ticket,
};
use chrono::{NaiveDate, Utc};
use futures::{Stream, StreamExt, TryStreamExt};
use hdab_app::identity::{Via, identified};
use hdab_app::{App, QueryEnd, Workspace};
use hdab_permits::User;
use prost::Message;
use serde::{Deserialize, Serialize};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status, Streaming};

/// How the gateway runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct GatewayOptions {
    /// The date permits are judged on; `None`: today (a test gives one).
    pub today: Option<NaiveDate>,
    pub limits: Limits,
}

/// The service: one per server, shared by every call.
#[derive(Clone)]
pub struct Gateway {
    app: Arc<App>,
    options: GatewayOptions,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// What a ticket carries from `GetFlightInfo` to `DoGet`; `DoGet` checks the caller again,
/// so a ticket is worth nothing to anyone else.
#[derive(Serialize, Deserialize)]
struct Handle {
    permit: String,
    sql: String,
}

type DoGetStream = Pin<Box<dyn Stream<Item = Result<arrow_flight::FlightData, Status>> + Send>>;

/// Serves the gateway on `listener` until `shutdown` completes.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    options: GatewayOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    let service = FlightServiceServer::new(Gateway { app, options });
    tonic::transport::Server::builder()
        .add_service(service)
        .serve_with_incoming_shutdown(
            // Without TCP_NODELAY every small reply waits out the peer's delayed ACK (~40 ms).
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
}

impl Gateway {
    pub fn new(app: Arc<App>, options: GatewayOptions) -> Gateway {
        Gateway { app, options }
    }

    fn today(&self) -> NaiveDate {
        self.options
            .today
            .unwrap_or_else(|| Utc::now().date_naive())
    }

    /// The caller and the workspace they read (`permit` from a ticket, else the header).
    async fn open<T>(
        &self,
        request: &Request<T>,
        permit: Option<&str>,
    ) -> Result<(User, Via, Workspace), Status> {
        let (user, via, _) = auth::caller(&self.app, request.metadata()).await?;
        let header = request
            .metadata()
            .get(PERMIT_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let chosen = self
            .app
            .gateway_workspace(&user, permit.or(header), self.today());
        let ws = identified(via.clone(), chosen)
            .await
            .map_err(auth::status)?;
        Ok((user, via, ws))
    }

    async fn run(
        &self,
        user: User,
        via: Via,
        ws: Workspace,
        sql: String,
    ) -> Result<DoGetStream, Status> {
        let started = self.app.gateway_query_started(&user, &ws.permit_id, &sql);
        let query = identified(via, started).await.map_err(auth::status)?;
        let tally = Tally {
            app: self.app.clone(),
            user: user.id,
            permit: ws.permit_id.clone(),
            query,
            started: Instant::now(),
            rows: Arc::new(AtomicU64::new(0)),
            bytes: 0,
            done: false,
        };
        let planned = async {
            let ctx = engine::session(&ws, self.options.limits).await?;
            engine::plan(&ctx, &sql).await?.execute_stream().await
        };
        let batches = match planned.await {
            Ok(s) => s,
            Err(e) => {
                let message = e.to_string();
                tally.finish(Some(message.clone())).await;
                return Err(Status::invalid_argument(message));
            }
        };
        let rows = tally.rows.clone();
        let batches = batches
            .inspect_ok(move |b| {
                rows.fetch_add(b.num_rows() as u64, Ordering::Relaxed);
            })
            .map_err(|e| FlightError::ExternalError(Box::new(e)));
        let encoded = FlightDataEncoderBuilder::new().build(batches);
        let out = futures::stream::unfold((encoded, Some(tally)), |(mut s, mut tally)| async {
            let t = tally.as_mut()?;
            match s.next().await {
                Some(Ok(data)) => {
                    t.bytes += (data.data_header.len() + data.data_body.len()) as u64;
                    Some((Ok(data), (s, tally)))
                }
                Some(Err(e)) => {
                    let message = e.to_string();
                    if let Some(t) = tally.take() {
                        t.finish(Some(message.clone())).await;
                    }
                    Some((Err(Status::internal(message)), (s, None)))
                }
                None => {
                    if let Some(t) = tally.take() {
                        t.finish(None).await;
                    }
                    None
                }
            }
        });
        Ok(Box::pin(out))
    }
}

/// A running query's counts; its end is logged once, by [`Tally::finish`] or, if the
/// stream is dropped first (the caller went away), when it is dropped.
struct Tally {
    app: Arc<App>,
    user: String,
    permit: String,
    query: String,
    started: Instant,
    rows: Arc<AtomicU64>,
    bytes: u64,
    done: bool,
}

impl Tally {
    fn end(&self, error: Option<String>) -> QueryEnd {
        QueryEnd {
            rows: self.rows.load(Ordering::Relaxed),
            bytes: self.bytes,
            millis: self.started.elapsed().as_millis() as u64,
            error,
        }
    }

    async fn finish(mut self, error: Option<String>) {
        self.done = true;
        let end = self.end(error);
        if let Err(e) = self
            .app
            .gateway_query_ended(&self.user, &self.permit, &self.query, &end)
            .await
        {
            tracing::error!(query = %self.query, "the end of a gateway query was not logged: {e}");
        }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let end = self.end(Some(
            "the caller stopped reading before the last row".into(),
        ));
        let (app, user, permit, query) = (
            self.app.clone(),
            self.user.clone(),
            self.permit.clone(),
            self.query.clone(),
        );
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = app.gateway_query_ended(&user, &permit, &query, &end).await {
                    tracing::error!(%query, "the end of a gateway query was not logged: {e}");
                }
            });
        }
    }
}

fn sql_info() -> Result<&'static SqlInfoData, Status> {
    static INFO: OnceLock<Option<SqlInfoData>> = OnceLock::new();
    INFO.get_or_init(|| {
        let mut b = SqlInfoDataBuilder::new();
        b.append(SqlInfo::FlightSqlServerName, "hdab SPE gateway");
        b.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
        b.append(SqlInfo::FlightSqlServerArrowVersion, "1.3");
        b.append(SqlInfo::FlightSqlServerReadOnly, true);
        b.build().ok()
    })
    .as_ref()
    .ok_or_else(|| Status::internal("the server's SQL info could not be built"))
}

#[tonic::async_trait]
impl FlightSqlService for Gateway {
    type FlightService = Gateway;

    async fn do_handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<
        Response<Pin<Box<dyn Stream<Item = Result<HandshakeResponse, Status>> + Send>>>,
        Status,
    > {
        let (_, _, token) = auth::caller(&self.app, request.metadata()).await?;
        let token = match token {
            Some(t) => t,
            // A bearer token that is still good is handed back as it is.
            None => match auth::credentials(request.metadata())? {
                auth::Credentials::Bearer(t) => t,
                auth::Credentials::Password { .. } => {
                    return Err(Status::internal("a password sign-in gave no token"));
                }
            },
        };
        let header = MetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| Status::internal("the token is not a header value"))?;
        let reply = HandshakeResponse {
            protocol_version: 0,
            payload: token.into_bytes().into(),
        };
        let mut response: Response<Pin<Box<dyn Stream<Item = _> + Send>>> =
            Response::new(Box::pin(futures::stream::iter([Ok(reply)])));
        response.metadata_mut().insert("authorization", header);
        Ok(response)
    }

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let (_, _, ws) = self.open(&request, None).await?;
        let ctx = engine::session(&ws, self.options.limits)
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        let planned = engine::plan(&ctx, &query.query)
            .await
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let schema = planned.schema().as_arrow().clone();
        let handle = serde_json::to_vec(&Handle {
            permit: ws.permit_id,
            sql: query.query,
        })
        .map_err(|e| Status::internal(e.to_string()))?;
        let ticket = TicketStatementQuery {
            statement_handle: handle.into(),
        };
        let endpoint =
            FlightEndpoint::new().with_ticket(Ticket::new(ticket.as_any().encode_to_vec()));
        let info = FlightInfo::new()
            .try_with_schema(&schema)
            .map_err(|e| Status::internal(e.to_string()))?
            .with_endpoint(endpoint)
            .with_descriptor(request.into_inner());
        Ok(Response::new(info))
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let handle: Handle = serde_json::from_slice(&ticket.statement_handle)
            .map_err(|_| Status::invalid_argument("the ticket is not one this gateway issued"))?;
        let (user, via, ws) = self.open(&request, Some(&handle.permit)).await?;
        Ok(Response::new(self.run(user, via, ws, handle.sql).await?))
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        auth::caller(&self.app, request.metadata()).await?;
        let ticket = Ticket::new(query.as_any().encode_to_vec());
        let info = FlightInfo::new()
            .try_with_schema(query.into_builder(sql_info()?).schema().as_ref())
            .map_err(|e| Status::internal(e.to_string()))?
            .with_endpoint(FlightEndpoint::new().with_ticket(ticket))
            .with_descriptor(request.into_inner());
        Ok(Response::new(info))
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        auth::caller(&self.app, request.metadata()).await?;
        let builder = query.into_builder(sql_info()?);
        let schema = builder.schema();
        let batch = builder.build();
        let stream = FlightDataEncoderBuilder::new()
            .with_schema(schema)
            .build(futures::stream::once(async { batch }))
            .map_err(Status::from);
        Ok(Response::new(Box::pin(stream)))
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}
