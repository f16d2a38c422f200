//! Entitlements for an SPE someone else runs: per permit, who may use its workspace and
//! until when, signed with the audit key (Ed25519, the key the public register publishes)
//! so the operator can check it came from the HDAB and was not changed.
//!
//! The feed is pulled (`GET /api/v1/entitlements`, `hdab spe entitlements`) and pushed after
//! every change of who may use a workspace (a permit granted, amended or revoked) to the
//! command in `HDAB_ENTITLEMENTS_COMMAND` (run by `sh -c`, the signed feed on its standard
//! input: `curl --data-binary @- https://spe.example/hook` makes it a webhook).

use crate::{App, AppError};
use chrono::{DateTime, NaiveDate, Utc};
use data_encoding::BASE64URL_NOPAD;
use hdab_permits::access::{self, Duty};
use ring::signature::{ED25519, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

/// What a signature covers: this prefix, then the feed's JSON text exactly as `payload`.
const DOMAIN: &[u8] = b"hdab entitlements v1\n";

/// One permit's workspace: who may use it, from when, until when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entitlement {
    pub permit_id: String,
    /// `valid`, `revoked` or `expired`; only a valid permit names users.
    pub status: String,
    pub users: Vec<String>,
    pub from: NaiveDate,
    pub until: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntitlementFeed {
    pub issued_at: DateTime<Utc>,
    pub permits: Vec<Entitlement>,
}

/// The feed as sent: the exact text signed, its signature and the key to check it with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedFeed {
    pub algorithm: String,
    /// The feed's JSON text; the signature is over `hdab entitlements v1\n` + this text.
    pub payload: String,
    /// Base64url, no padding.
    pub signature: String,
    /// Base64url, no padding: the audit key the public register publishes.
    pub public_key: String,
}

impl SignedFeed {
    /// Checks the signature with `public_key` (base64url, as the register publishes it)
    /// and returns the feed; the error says what is wrong.
    pub fn verify(&self, public_key: &str) -> Result<EntitlementFeed, String> {
        let key = BASE64URL_NOPAD
            .decode(public_key.trim().as_bytes())
            .map_err(|_| "the public key is not base64url".to_string())?;
        let sig = BASE64URL_NOPAD
            .decode(self.signature.as_bytes())
            .map_err(|_| "the signature is not base64url".to_string())?;
        let mut message = DOMAIN.to_vec();
        message.extend_from_slice(self.payload.as_bytes());
        UnparsedPublicKey::new(&ED25519, &key)
            .verify(&message, &sig)
            .map_err(|_| {
                "the signature does not verify with this key: do not use this feed".to_string()
            })?;
        serde_json::from_str(&self.payload).map_err(|e| format!("the feed does not parse: {e}"))
    }
}

impl App {
    /// The signed feed, for the SPE operator (and admins).
    pub async fn entitlements(&self, actor: &str) -> Result<SignedFeed, AppError> {
        access::require(&self.user(actor).await?, Duty::ReadEntitlements)?;
        self.signed_entitlements(Utc::now()).await
    }

    async fn signed_entitlements(&self, now: DateTime<Utc>) -> Result<SignedFeed, AppError> {
        let today = now.date_naive();
        let permits = self
            .store
            .permits()
            .await?
            .into_iter()
            .map(|p| {
                let status = match p.check_usable(today) {
                    Ok(()) => "valid",
                    Err(hdab_permits::PermitUnusable::Revoked(_)) => "revoked",
                    Err(hdab_permits::PermitUnusable::Expired(..)) => "expired",
                };
                Entitlement {
                    users: if status == "valid" {
                        p.spe_users.clone()
                    } else {
                        vec![]
                    },
                    status: status.into(),
                    from: p.granted_at.date_naive(),
                    until: p
                        .revoked_at
                        .map_or(p.valid_until, |r| r.date_naive().min(p.valid_until)),
                    permit_id: p.id,
                }
            })
            .collect();
        let payload = serde_json::to_string(&EntitlementFeed {
            issued_at: now,
            permits,
        })
        .map_err(|e| AppError::Invalid(format!("the feed cannot be written: {e}")))?;
        let keyring = self.settings.keyring()?;
        let key = crate::audit::signing_key(&keyring)?;
        let mut message = DOMAIN.to_vec();
        message.extend_from_slice(payload.as_bytes());
        Ok(SignedFeed {
            algorithm: "Ed25519".into(),
            signature: BASE64URL_NOPAD.encode(key.sign(&message).as_ref()),
            public_key: BASE64URL_NOPAD.encode(key.public_key().as_ref()),
            payload,
        })
    }

    /// Pushes the signed feed to the operator's command after a change of who may use a
    /// workspace; the push is audited (a failed push too: the change itself stands, and
    /// the operator can pull the feed).
    pub(crate) async fn push_entitlements(
        &self,
        actor: &str,
        permit_id: &str,
        cause: &str,
    ) -> Result<(), AppError> {
        let Some(command) = self.settings.entitlements_command.clone() else {
            return Ok(());
        };
        let result = async {
            let feed = self.signed_entitlements(Utc::now()).await?;
            let line = serde_json::to_string(&feed)
                .map_err(|e| AppError::Invalid(format!("the feed cannot be written: {e}")))?;
            crate::witness::send_to(&command, &format!("{line}\n"), "the entitlements command")?;
            Ok(((), format!("pushed after {cause}")))
        }
        .await;
        let pushed = result.is_ok();
        if let Err(e) = &result {
            tracing::warn!(error = %e, "the entitlements feed could not be pushed");
        }
        match self
            .audited(actor, "spe.entitlements", permit_id, result)
            .await
        {
            // A failed push is recorded; the change it followed stands.
            Err(_) if !pushed => Ok(()),
            other => other,
        }
    }
}
