//! The master keyring: created, extended, and rotated for every live permit after a leak.

use chrono::Utc;
use hdab_permits::Permit;

use crate::{App, AppError, keyfile};
use hdab_permits::access::{self, Duty};

impl App {
    /// Creates the key file (`init`) or adds a new current key to it. Needs an admin, except
    /// for the very first key of an installation without users.
    pub async fn keys_add(&self, actor: Option<&str>, init: bool) -> Result<String, AppError> {
        let actor_id = actor.unwrap_or("bootstrap").to_string();
        let result = async {
            if self.store.count_users().await? > 0 || !init {
                let actor = actor.ok_or_else(|| {
                    AppError::Refused(
                        "say who you are (--as or HDAB_USER): only an admin manages keys".into(),
                    )
                })?;
                access::require(&self.user(actor).await?, Duty::ManageKeys)?;
            }
            let key_id = if init {
                keyfile::create(&self.settings.key_file)?
            } else {
                keyfile::add(&self.settings.key_file)?
            };
            Ok((key_id.clone(), format!("key id {key_id}")))
        }
        .await;
        let action = if init { "keys.init" } else { "keys.new" };
        self.audited(&actor_id, action, "keyring", result).await
    }

    /// After a suspected leak: bumps the key version of every live permit, so every later
    /// extraction of it gets new pseudonyms, and marks their deliveries for re-delivery.
    /// Returns the permits changed.
    pub async fn keys_rotate(&self, actor: &str, reason: &str) -> Result<Vec<String>, AppError> {
        let result = async {
            access::require(&self.user(actor).await?, Duty::RotateKeys)?;
            if reason.trim().is_empty() {
                return Err(AppError::Invalid("a key rotation needs a reason".into()));
            }
            let today = Utc::now().date_naive();
            let live: Vec<Permit> = self
                .store
                .permits()
                .await?
                .into_iter()
                .filter(|p| p.check_usable(today).is_ok())
                .collect();
            self.store
                .bump_key_versions(&live, Utc::now(), reason)
                .await?;
            let ids: Vec<String> = live.iter().map(|p| p.id.clone()).collect();
            let detail = format!("{} permit(s) to the next key version", ids.len());
            Ok((ids, detail))
        }
        .await;
        self.audited(actor, "keys.rotate", "permits", result).await
    }
}
