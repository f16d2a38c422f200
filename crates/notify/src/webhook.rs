//! Webhooks: the notice as JSON, POSTed with the HMAC-SHA-256 of the body under the
//! webhook's own secret, so the receiver knows it came from hdab and was not changed.

use ring::hmac;

/// The header carrying `sha256=<hex>` of the body.
pub const SIGNATURE_HEADER: &str = "x-hdab-signature";

/// `sha256=<hex HMAC-SHA-256(secret, body)>`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    format!("sha256={}", hex::encode(hmac::sign(&key, body).as_ref()))
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the receiver could not be reached: {0}")]
    Unreachable(String),
    #[error("the receiver answered {0}")]
    Status(u16),
}

/// Sends webhooks (one HTTP client, reused).
#[derive(Debug, Clone)]
pub struct WebhookClient {
    client: reqwest::Client,
}

impl WebhookClient {
    pub fn new() -> Result<WebhookClient, WebhookError> {
        let client = reqwest::Client::builder()
            // A receiver's redirect could send the notice elsewhere: not followed.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| WebhookError::Unreachable(e.to_string()))?;
        Ok(WebhookClient { client })
    }

    /// POSTs a signed body; a 2xx answer is delivery, anything else is tried again by the
    /// caller.
    pub async fn post(
        &self,
        url: &str,
        secret: &[u8],
        event_id: &str,
        event_type: &str,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        post(&self.client, url, secret, event_id, event_type, body).await
    }
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    secret: &[u8],
    event_id: &str,
    event_type: &str,
    body: &[u8],
) -> Result<(), WebhookError> {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, sign(secret, body))
        .header("x-hdab-event-id", event_id)
        .header("x-hdab-event-type", event_type)
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| WebhookError::Unreachable(e.without_url().to_string()))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(WebhookError::Status(status.as_u16()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_rfc_4231s_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
