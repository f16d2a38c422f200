//! A Flight SQL client for the gateway, for `hdab spe query`, the tests and the benchmark
//! (researchers use any Flight SQL client: ADBC from Python, R or DuckDB).

use arrow_flight::HandshakeRequest;
use arrow_flight::error::FlightError;
use arrow_flight::sql::client::FlightSqlServiceClient;
use data_encoding::BASE64;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

/// Why a call failed: the gateway's status code (if it answered) and its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ClientError {
    pub code: Option<tonic::Code>,
    pub message: String,
}

impl From<ArrowError> for ClientError {
    fn from(e: ArrowError) -> Self {
        match e {
            ArrowError::ExternalError(inner) => match inner.downcast::<FlightError>() {
                Ok(f) => (*f).into(),
                Err(other) => ClientError {
                    code: None,
                    message: other.to_string(),
                },
            },
            other => ClientError {
                code: None,
                message: other.to_string(),
            },
        }
    }
}

impl From<FlightError> for ClientError {
    fn from(e: FlightError) -> Self {
        match e {
            FlightError::Tonic(s) => ClientError {
                code: Some(s.code()),
                message: s.message().to_string(),
            },
            other => ClientError {
                code: None,
                message: other.to_string(),
            },
        }
    }
}

/// A signed-in connection.
#[derive(Debug)]
pub struct Client {
    inner: FlightSqlServiceClient<Channel>,
}

impl Client {
    /// Connects to `addr` (`host:port`) and signs in; `permit` names the permit queries read.
    pub async fn connect(
        addr: &str,
        user: &str,
        password: &str,
        permit: Option<&str>,
    ) -> Result<Client, ClientError> {
        let fail = |e: tonic::transport::Error| ClientError {
            code: None,
            message: format!("cannot reach the gateway at {addr}: {e}"),
        };
        let channel = Channel::from_shared(format!("http://{addr}"))
            .map_err(|e| ClientError {
                code: None,
                message: format!("{addr} is not a host:port: {e}"),
            })?
            .connect()
            .await
            .map_err(fail)?;
        let mut inner = FlightSqlServiceClient::new(channel);
        if let Some(p) = permit {
            inner.set_header(crate::PERMIT_HEADER, p);
        }
        let token = handshake(&mut inner, user, password).await?;
        inner.set_token(token);
        Ok(Client { inner })
    }

    /// Runs `sql` and returns every batch of its result.
    pub async fn query(&mut self, sql: &str) -> Result<Vec<RecordBatch>, ClientError> {
        let info = self.inner.execute(sql.to_string(), None).await?;
        let mut batches = Vec::new();
        for endpoint in info.endpoint {
            let Some(ticket) = endpoint.ticket else {
                continue;
            };
            let stream = self.inner.do_get(ticket).await?;
            batches.extend(stream.try_collect::<Vec<_>>().await?);
        }
        Ok(batches)
    }
}

/// The Basic handshake, done here rather than by the arrow-flight client so that a refusal
/// keeps its status code. Returns the bearer token the gateway answered with.
async fn handshake(
    inner: &mut FlightSqlServiceClient<Channel>,
    user: &str,
    password: &str,
) -> Result<String, ClientError> {
    let invalid = |m: &str| ClientError {
        code: None,
        message: m.to_string(),
    };
    let mut request = tonic::Request::new(futures::stream::iter([HandshakeRequest::default()]));
    let basic = format!(
        "Basic {}",
        BASE64.encode(format!("{user}:{password}").as_bytes())
    );
    let value = MetadataValue::try_from(basic)
        .map_err(|_| invalid("the user id or password cannot be sent as a header"))?;
    request.metadata_mut().insert("authorization", value);
    let response = inner
        .inner_mut()
        .handshake(request)
        .await
        .map_err(|s| FlightError::Tonic(Box::new(s)))?;
    response
        .metadata()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .ok_or_else(|| invalid("the gateway answered the sign-in without a token"))
}
