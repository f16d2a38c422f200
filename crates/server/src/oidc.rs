//! Sign-in through the agency's identity provider (SITHS, Freja eID+ or BankID behind an
//! OpenID Connect broker): the authorization-code flow with PKCE, a nonce and a state bound
//! to the browser by a cookie; the ID token verified (signature from the provider's keys,
//! issuer, audience, expiry, nonce, access-token hash); the user found by the subject or a
//! configured claim; logout ends the session here and at the provider.
//!
//! Which identity maps to which user and how strong a sign-in each role needs are decided in
//! `hdab-app` and `hdab-permits`; this module speaks the protocol.

use hdab_app::accounts::ProvenIdentity;
use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreIdToken};
use openidconnect::{
    AccessTokenHash, AuthenticationContextClass, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, EndSessionUrl, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope, TokenResponse,
};
use std::str::FromStr;

/// How hdab reaches its identity provider (settings, resolved by the binary).
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The provider's issuer URL (discovery at `/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// hdab's own address as browsers reach it (`https://hdab.socialstyrelsen.se`): the
    /// callback is `<public_url>/login/oidc/callback`, logout returns to `<public_url>/`.
    pub public_url: String,
    /// The ID token's claim users are linked by: `sub` (the default) or another, such as an
    /// HSA-id or a personnummer claim the broker issues.
    pub claim: String,
    /// The `acr` asked for when a user must sign in again more strongly.
    pub strong_acr: Option<String>,
}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The provider as discovered at start.
pub struct Oidc {
    client: Client,
    http: openidconnect::reqwest::Client,
    end_session: Option<EndSessionUrl>,
    settings: OidcSettings,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.settings.issuer)
            .field("client_id", &self.settings.client_id)
            .finish_non_exhaustive()
    }
}

/// A sign-in begun: where to send the browser, and what to keep until it comes back.
#[derive(Debug)]
pub struct Started {
    pub url: String,
    pub state: String,
    pub pkce_verifier: String,
    pub nonce: String,
}

/// Why the provider's answer was not accepted (the text names no token or secret).
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider could not be reached or answered wrongly: {0}")]
    Provider(String),
    #[error("the identity provider's answer did not verify: {0}")]
    Invalid(String),
}

impl Oidc {
    /// Discovers the provider (its endpoints and keys).
    pub async fn discover(settings: OidcSettings) -> Result<Oidc, OidcError> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would let a provider's answer send hdab elsewhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        let issuer = IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| OidcError::Provider(format!("issuer URL: {e}")))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &http)
            .await
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let redirect = RedirectUrl::new(format!(
            "{}/login/oidc/callback",
            settings.public_url.trim_end_matches('/')
        ))
        .map_err(|e| OidcError::Provider(format!("public URL: {e}")))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(settings.client_id.clone()),
            settings.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect);
        Ok(Oidc {
            client,
            http,
            end_session,
            settings,
        })
    }

    /// Begins a sign-in; `stronger` asks the provider for the strong `acr` and a new login.
    pub fn start(&self, ui_locale: &str, stronger: bool) -> Started {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .add_extra_param("ui_locales", ui_locale.to_string())
            // Ask for the authentication context in the ID token (OIDC Core 5.5.1.1): how
            // strong the sign-in was decides what some roles may do.
            .add_extra_param("claims", r#"{"id_token":{"acr":null}}"#);
        if stronger && let Some(acr) = &self.settings.strong_acr {
            request = request
                .add_auth_context_value(AuthenticationContextClass::new(acr.clone()))
                .add_prompt(CoreAuthPrompt::Login);
        }
        let (url, state, nonce) = request.url();
        Started {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            nonce: nonce.secret().clone(),
        }
    }

    /// Exchanges the code the provider sent the browser back with, and verifies the ID token.
    pub async fn finish(
        &self,
        code: &str,
        pkce_verifier: String,
        nonce: String,
    ) -> Result<ProvenIdentity, OidcError> {
        let invalid = |e: &dyn std::fmt::Display| OidcError::Invalid(e.to_string());
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| OidcError::Invalid("no ID token in the answer".into()))?;
        let verifier = self.client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &Nonce::new(nonce))
            .map_err(|e| invalid(&e))?;
        if let Some(expected) = claims.access_token_hash() {
            let actual = AccessTokenHash::from_token(
                token.access_token(),
                id_token.signing_alg().map_err(|e| invalid(&e))?,
                id_token.signing_key(&verifier).map_err(|e| invalid(&e))?,
            )
            .map_err(|e| invalid(&e))?;
            if actual != *expected {
                return Err(OidcError::Invalid(
                    "the access token does not belong to the ID token".into(),
                ));
            }
        }
        let text = id_token.to_string();
        let subject = if self.settings.claim == "sub" {
            claims.subject().as_str().to_string()
        } else {
            // The signature was verified above; read the configured claim from the payload.
            claim_of(&text, &self.settings.claim).ok_or_else(|| {
                OidcError::Invalid(format!(
                    "the ID token has no '{}' claim to link a user by",
                    self.settings.claim
                ))
            })?
        };
        Ok(ProvenIdentity {
            subject,
            acr: claims
                .auth_context_ref()
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
            id_token: text,
        })
    }

    /// Where to send the browser to end the provider's session too (then back to hdab's
    /// start page); `None` when the provider offers no logout.
    pub fn logout_url(&self, id_token: &str) -> Option<String> {
        let end = self.end_session.clone()?;
        let mut request =
            LogoutRequest::from(end).set_client_id(ClientId::new(self.settings.client_id.clone()));
        if let Ok(back) = PostLogoutRedirectUrl::new(format!(
            "{}/",
            self.settings.public_url.trim_end_matches('/')
        )) {
            request = request.set_post_logout_redirect_uri(back);
        }
        if let Ok(token) = CoreIdToken::from_str(id_token) {
            request = request.set_id_token_hint(&token);
        }
        Some(request.http_get_url().to_string())
    }
}

/// A string claim of a JWT's payload (whose signature the caller verified).
fn claim_of(jwt: &str, claim: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = data_encoding::BASE64URL_NOPAD
        .decode(payload.trim_end_matches('=').as_bytes())
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match value.get(claim)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_read_from_the_payload() {
        let payload = data_encoding::BASE64URL_NOPAD
            .encode(br#"{"sub":"abc","hsa_id":"SE2321000016-1234","n":7}"#);
        let jwt = format!("e30.{payload}.sig");
        assert_eq!(
            claim_of(&jwt, "hsa_id").as_deref(),
            Some("SE2321000016-1234")
        );
        assert_eq!(claim_of(&jwt, "n").as_deref(), Some("7"));
        assert_eq!(claim_of(&jwt, "missing"), None);
        assert_eq!(claim_of("not a jwt", "sub"), None);
    }
}
