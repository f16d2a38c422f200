//! Who is calling: `authorization: Basic …` in the handshake (or on any call) is checked as
//! an hdab user's password and answered with a bearer token (a session of 8 hours);
//! `authorization: Bearer …` is that token or an API token.

use data_encoding::{BASE64, BASE64_NOPAD};
use hdab_app::identity::{Via, identified};
use hdab_app::{App, AppError};
use hdab_permits::User;
use tonic::Status;
use tonic::metadata::MetadataMap;

/// What the caller presented.
#[derive(Debug, PartialEq, Eq)]
pub enum Credentials {
    Password { user: String, password: String },
    Bearer(String),
}

/// Reads the `authorization` header.
#[allow(clippy::result_large_err)]
pub fn credentials(metadata: &MetadataMap) -> Result<Credentials, Status> {
    let Some(value) = metadata.get("authorization") else {
        return Err(Status::unauthenticated(
            "no credentials: sign in with your hdab user id and password (or an API token)",
        ));
    };
    let text = value
        .to_str()
        .map_err(|_| Status::unauthenticated("the authorization header is not text"))?;
    if let Some(token) = text.strip_prefix("Bearer ") {
        return Ok(Credentials::Bearer(token.trim().to_string()));
    }
    if let Some(encoded) = text.strip_prefix("Basic ") {
        // Go's Flight client (the ADBC driver) sends it without padding.
        let encoded = encoded.trim().as_bytes();
        let bytes = BASE64
            .decode(encoded)
            .or_else(|_| BASE64_NOPAD.decode(encoded))
            .map_err(|_| Status::unauthenticated("the Basic credentials are not base64"))?;
        let pair = String::from_utf8(bytes)
            .map_err(|_| Status::unauthenticated("the Basic credentials are not UTF-8"))?;
        let Some((user, password)) = pair.split_once(':') else {
            return Err(Status::unauthenticated(
                "the Basic credentials are not user:password",
            ));
        };
        return Ok(Credentials::Password {
            user: user.to_string(),
            password: password.to_string(),
        });
    }
    Err(Status::unauthenticated(
        "unknown authorization scheme: use Basic (user id and password) or Bearer (a token)",
    ))
}

/// The user behind the credentials, how they were identified, and the bearer token to hand
/// back after a password.
pub async fn caller(
    app: &App,
    metadata: &MetadataMap,
) -> Result<(User, Via, Option<String>), Status> {
    match credentials(metadata)? {
        Credentials::Bearer(token) => {
            let (user, via) = app.gateway_caller(&token).await.map_err(unauthenticated)?;
            Ok((user, via, None))
        }
        Credentials::Password { user, password } => {
            let sign_in = app.gateway_sign_in(&user, &password);
            let (user, token) = identified(Via::Password, sign_in)
                .await
                .map_err(unauthenticated)?;
            Ok((user, Via::Password, Some(token)))
        }
    }
}

/// A refused sign-in is `unauthenticated`; anything else as [`status`].
fn unauthenticated(e: AppError) -> Status {
    match e {
        AppError::Refused(m) => Status::unauthenticated(m),
        e => status(e),
    }
}

/// An application error as the caller sees it: refusals are `permission_denied`, bad input
/// `invalid_argument`; the message is the application's, which names ids and reasons, never
/// values.
pub fn status(e: AppError) -> Status {
    let text = e.to_string();
    match e {
        AppError::Refused(_) | AppError::Case(_) => Status::permission_denied(text),
        AppError::Invalid(_) | AppError::NotFound(_) => Status::invalid_argument(text),
        _ => Status::internal(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::metadata::MetadataValue;

    fn with(value: &str) -> MetadataMap {
        let mut m = MetadataMap::new();
        if let Ok(v) = MetadataValue::try_from(value) {
            m.insert("authorization", v);
        }
        m
    }

    #[test]
    fn reads_basic_and_bearer_and_refuses_the_rest() {
        let basic = format!("Basic {}", BASE64.encode(b"anna:pass:word"));
        assert_eq!(
            credentials(&with(&basic)).ok(),
            Some(Credentials::Password {
                user: "anna".into(),
                password: "pass:word".into()
            })
        );
        assert_eq!(
            credentials(&with("Bearer abc")).ok(),
            Some(Credentials::Bearer("abc".into()))
        );
        let unpadded = format!("Basic {}", BASE64_NOPAD.encode(b"anna:pw"));
        assert!(matches!(
            credentials(&with(&unpadded)),
            Ok(Credentials::Password { .. })
        ));
        for bad in ["Digest x", "Basic !!", "Basic YW5uYQ=="] {
            let e = credentials(&with(bad)).unwrap_err();
            assert_eq!(e.code(), tonic::Code::Unauthenticated, "{bad}");
        }
        assert!(
            credentials(&MetadataMap::new())
                .unwrap_err()
                .message()
                .contains("sign in")
        );
    }
}
