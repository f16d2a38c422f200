//! E-mail over SMTP.

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Sends mail through one SMTP server.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("the SMTP URL is not usable: {0}")]
    Url(String),
    #[error("the sender address '{0}' is not an e-mail address")]
    From(String),
    #[error("the recipient's address is not an e-mail address")]
    To,
    #[error("the mail server refused or could not be reached: {0}")]
    Send(String),
}

impl Mailer {
    /// `smtp://host:port` (plain, for a relay on the same host or loopback),
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://host:465`, with credentials in
    /// the URL where the server needs them.
    pub fn new(url: &str, from: &str) -> Result<Mailer, MailerError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailerError::Url(e.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|_| MailerError::From(from.to_string()))?;
        Ok(Mailer { transport, from })
    }

    /// Sends one plain-text message in `lang` (its `Content-Language`).
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        lang: hdab_i18n::Lang,
        message_id: &str,
    ) -> Result<(), MailerError> {
        let to = to.parse::<Mailbox>().map_err(|_| MailerError::To)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{message_id}@hdab>")))
            .header(ContentType::TEXT_PLAIN)
            .header(ContentLanguage(lang.code().to_string()))
            .body(body.to_string())
            .map_err(|e| MailerError::Send(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailerError::Send(e.to_string()))
    }
}

/// The `Content-Language` header (RFC 3282).
#[derive(Debug, Clone)]
struct ContentLanguage(String);

impl lettre::message::header::Header for ContentLanguage {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ContentLanguage(s.to_string()))
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}
