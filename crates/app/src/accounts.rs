//! Who is calling: local accounts (argon2 password hashes), browser sessions and API tokens.
//!
//! A session is opened for a user id once something has proved who they are. Today that is
//! [`App::login`] with a local password; an OIDC identity provider (SITHS, Freja, BankID
//! through a broker) would verify its ID token and call [`App::open_session`] for the user
//! it maps to — nothing downstream of the session changes. Secrets are random 256-bit values
//! handed to the client once; the store keeps only their SHA-256, so a copy of the database
//! opens no session.

use crate::{App, AppError};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{Duration, Utc};
use hdab_permits::User;
use hdab_permits::access::{self};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

/// How long a browser session lasts without logging in again.
pub const SESSION_HOURS: i64 = 8;
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// A session just opened: the secret for the cookie and the form token.
#[derive(Clone)]
pub struct NewSession {
    pub secret: String,
    pub csrf: String,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewSession(…)")
    }
}

/// The user behind a live session, the session's form token and how it was opened.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: User,
    pub csrf: String,
    /// How the session's user proved who they are.
    pub via: crate::identity::Via,
    /// The identity provider's ID token, for ending the session there too.
    pub id_token: Option<String>,
}

fn random_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AppError::Key("the system random generator failed".into()))?;
    Ok(data_encoding::BASE64URL_NOPAD.encode(&bytes))
}

fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| AppError::Key("the system random generator failed".into()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Key(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Key(format!("hashing a password: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a password nobody has, verified against when the user is unknown so that a
/// wrong user id takes as long as a wrong password.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

impl App {
    /// Sets a user's password: an administrator for anyone, a user for themselves.
    pub async fn set_password(
        &self,
        actor: &str,
        user_id: &str,
        password: &str,
    ) -> Result<(), AppError> {
        let result = async {
            let acting = self.user(actor).await?;
            access::may_set_password(&acting, user_id)?;
            self.user(user_id).await?;
            if password.chars().count() < MIN_PASSWORD_CHARS {
                return Err(AppError::Invalid(format!(
                    "a password needs at least {MIN_PASSWORD_CHARS} characters"
                )));
            }
            let hash = hash_password(password)?;
            self.store
                .set_password_hash(user_id, &hash, Utc::now())
                .await?;
            Ok(((), "password set; sessions ended".to_string()))
        }
        .await;
        self.audited(actor, "user.password", user_id, result).await
    }

    /// Checks a local password and opens a session.
    pub async fn login(&self, user_id: &str, password: &str) -> Result<NewSession, AppError> {
        let stored = match self.store.user(user_id).await {
            Ok(_) => self.store.password_hash(user_id).await?,
            Err(hdab_store::StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let ok = match &stored {
            Some(hash) => verify_password(password, hash),
            None => {
                let dummy = match DUMMY_HASH.get() {
                    Some(h) => h.clone(),
                    None => {
                        let h = hash_password("not the password of anyone")?;
                        DUMMY_HASH.get_or_init(|| h).clone()
                    }
                };
                verify_password(password, &dummy);
                false
            }
        };
        let result = if ok {
            self.open_session(user_id)
                .await
                .map(|s| (s, "session opened".to_string()))
        } else {
            // One message for both cases: which user ids exist is not told.
            Err(AppError::Refused("wrong user id or password".into()))
        };
        self.audited(user_id, "session.login", user_id, result)
            .await
    }

    /// Opens a session for a user whose identity has been proved (by a password here, by an
    /// identity provider in [`App::oidc_session`]).
    pub async fn open_session(&self, user_id: &str) -> Result<NewSession, AppError> {
        self.open_session_as(user_id, &crate::identity::Via::Password, None)
            .await
    }

    /// Opens a session, recording how its user was identified.
    pub(crate) async fn open_session_as(
        &self,
        user_id: &str,
        via: &crate::identity::Via,
        id_token: Option<&str>,
    ) -> Result<NewSession, AppError> {
        let secret = random_secret()?;
        let csrf = random_secret()?;
        let now = Utc::now();
        self.store
            .create_session(
                &secret_hash(&secret),
                user_id,
                &csrf,
                now,
                now + Duration::hours(SESSION_HOURS),
                &via.as_audit(),
                id_token,
            )
            .await?;
        Ok(NewSession { secret, csrf })
    }

    /// The user of a live session, if the secret names one.
    pub async fn session_user(&self, secret: &str) -> Result<Option<SessionUser>, AppError> {
        let Some(s) = self.store.session(&secret_hash(secret), Utc::now()).await? else {
            return Ok(None);
        };
        let via = match s.method.split_once(':') {
            Some(("oidc", acr)) => crate::identity::Via::Oidc { acr: acr.into() },
            _ if s.method == "oidc" => crate::identity::Via::Oidc { acr: String::new() },
            _ => crate::identity::Via::Password,
        };
        Ok(Some(SessionUser {
            user: self.store.user(&s.user_id).await?,
            csrf: s.csrf,
            via,
            id_token: s.id_token,
        }))
    }

    pub async fn logout(&self, secret: &str) -> Result<(), AppError> {
        Ok(self.store.delete_session(&secret_hash(secret)).await?)
    }

    /// Creates an API token for the acting user; the token is shown once.
    pub async fn create_api_token(&self, actor: &str, label: &str) -> Result<String, AppError> {
        let result = async {
            self.user(actor).await?;
            if label.trim().is_empty() {
                return Err(AppError::Invalid(
                    "a token needs a label saying which system uses it".into(),
                ));
            }
            let secret = format!("hdab_{}", random_secret()?);
            self.store
                .add_api_token(&secret_hash(&secret), actor, label, Utc::now())
                .await?;
            Ok((secret, format!("token '{label}'")))
        }
        .await;
        self.audited(actor, "token.create", actor, result).await
    }

    /// The user of a live API token.
    pub async fn token_user(&self, secret: &str) -> Result<Option<User>, AppError> {
        match self.store.api_token_user(&secret_hash(secret)).await? {
            Some(id) => Ok(Some(self.store.user(&id).await?)),
            None => Ok(None),
        }
    }

    /// Every user (for assigning cases and listing accounts).
    pub async fn users(&self) -> Result<Vec<User>, AppError> {
        Ok(self.store.users().await?)
    }
}

/// Why a sign-in through the identity provider opened no session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignInRefusal {
    #[error(
        "no hdab user is linked to this identity: an administrator links it with `hdab users set --subject`"
    )]
    Unlinked,
    #[error("the user's role needs a multi-factor sign-in and the identity provider reported none")]
    TooWeak,
}

/// What the identity provider vouched for, once its ID token was verified.
#[derive(Debug, Clone)]
pub struct ProvenIdentity {
    /// The subject, or the configured claim's value: what a user is linked to
    /// (`hdab users set --subject`).
    pub subject: String,
    /// The authentication context class the provider reported (`acr`), empty if none.
    pub acr: String,
    /// The ID token, kept with the session to end the provider's session at logout.
    pub id_token: String,
}

impl App {
    /// Opens a session for the user the identity provider vouched for, or says why not: no
    /// user is linked to the identity, or one of the user's roles needs a strong sign-in
    /// and the provider's `acr` is not among those the settings count as strong. Either
    /// way the attempt is audited.
    pub async fn oidc_session(
        &self,
        proven: &ProvenIdentity,
    ) -> Result<Result<(NewSession, User), SignInRefusal>, AppError> {
        let via = crate::identity::Via::Oidc {
            acr: proven.acr.clone(),
        };
        let linked = self.store.user_of_subject(&proven.subject).await?;
        let actor = linked.clone().unwrap_or_else(|| "unknown".into());
        let result = async {
            let Some(user_id) = linked else {
                return Ok(Err(SignInRefusal::Unlinked));
            };
            let user = self.user(&user_id).await?;
            let strong = self.settings.sign_in.strong_acr.contains(&proven.acr);
            if access::user_assurance(&user) == access::Assurance::Strong && !strong {
                return Ok(Err(SignInRefusal::TooWeak));
            }
            let session = self
                .open_session_as(&user_id, &via, Some(&proven.id_token))
                .await?;
            Ok(Ok((session, user)))
        }
        .await;
        // A refusal is audited as one, with its reason.
        let audited = match result {
            Ok(Err(refusal)) => Err(AppError::Refused(refusal.to_string())),
            Ok(Ok(done)) => Ok((Ok(done), format!("identity provider, acr {}", proven.acr))),
            Err(e) => Err(e),
        };
        let outcome = crate::identity::identified(
            via.clone(),
            self.audited(&actor, "session.login", &actor, audited),
        )
        .await;
        match outcome {
            Err(AppError::Refused(reason)) if reason == SignInRefusal::Unlinked.to_string() => {
                Ok(Err(SignInRefusal::Unlinked))
            }
            Err(AppError::Refused(reason)) if reason == SignInRefusal::TooWeak.to_string() => {
                Ok(Err(SignInRefusal::TooWeak))
            }
            other => other,
        }
    }

    /// The ID token of a session opened through the identity provider (to end its session
    /// there too).
    pub async fn session_id_token(&self, secret: &str) -> Result<Option<String>, AppError> {
        Ok(self
            .store
            .session(&secret_hash(secret), Utc::now())
            .await?
            .and_then(|s| s.id_token))
    }
}
