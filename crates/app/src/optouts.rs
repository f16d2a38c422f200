//! The opt-out registry (Art. 71): numbers in, keyed hashes stored, never a number kept.

use chrono::{NaiveDate, Utc};
use hdab_pseudonymise::{PersonId, optout_registry_context, registry_hash};

use crate::{App, AppError, keyfile};
use hdab_permits::access::{self, Duty};

impl App {
    /// Registers opt-outs (or opt-ins back) for each line of `text`, one number a line.
    /// Returns how many changed and the rejected lines by number and reason (never the value).
    /// `written_on` is the date the numbers were written (it decides the century of 10-digit
    /// forms); `None` means today.
    pub async fn optout_lines(
        &self,
        actor: &str,
        text: &str,
        opt_out: bool,
        written_on: Option<NaiveDate>,
    ) -> Result<(usize, usize, Vec<(usize, String)>), AppError> {
        let action = if opt_out {
            "optout.register"
        } else {
            "optout.withdraw"
        };
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::ChangeOptOuts)?;
            let key = registry_key(&self.settings.keyring()?);
            let today = written_on.unwrap_or_else(|| Utc::now().date_naive());
            let (mut changed, mut unchanged, mut rejected) = (0, 0, Vec::new());
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                match PersonId::parse(line, today) {
                    Ok(id) => {
                        if self
                            .store
                            .record_optout(&registry_hash(&key, &id), opt_out, Utc::now())
                            .await?
                        {
                            changed += 1;
                        } else {
                            unchanged += 1;
                        }
                    }
                    Err(reason) => rejected.push((i + 1, reason.to_string())),
                }
            }
            let detail = format!(
                "changed {changed} unchanged {unchanged} rejected {}",
                rejected.len()
            );
            Ok(((changed, unchanged, rejected), detail))
        }
        .await;
        self.audited(actor, action, "registry", result).await
    }

    /// For each line: opted out, not opted out, or why the line is not a number.
    pub async fn optout_status(
        &self,
        actor: &str,
        text: &str,
        written_on: Option<NaiveDate>,
    ) -> Result<Vec<(usize, Result<bool, String>)>, AppError> {
        let result = async {
            access::require(&self.user(actor).await?, Duty::ReadOptOuts)?;
            let key = registry_key(&self.settings.keyring()?);
            let today = written_on.unwrap_or_else(|| Utc::now().date_naive());
            let mut out = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                out.push((
                    i + 1,
                    match PersonId::parse(line, today) {
                        Ok(id) => Ok(self.store.is_opted_out(&registry_hash(&key, &id)).await?),
                        Err(reason) => Err(reason.to_string()),
                    },
                ));
            }
            let detail = format!("{} lookup(s)", out.len());
            Ok((out, detail))
        }
        .await;
        self.audited(actor, "optout.status", "registry", result)
            .await
    }
}

/// The opt-out registry's key. It derives from the oldest master key, so adding a master key
/// does not orphan the registry's hashes (re-keying the registry would need every number in
/// clear, which the registry by design does not have).
pub(crate) fn registry_key(keyring: &keyfile::Keyring) -> hdab_pseudonymise::DerivedKey {
    keyring.oldest().derive(&optout_registry_context())
}

impl App {
    /// Everyone a delivery for a permit granted at `granted_at` leaves out (the rule is
    /// `hdab_permits::optout`'s), with the registry state it reflects.
    pub(crate) async fn optouts_for(
        &self,
        granted_at: chrono::DateTime<Utc>,
    ) -> Result<(hdab_permits::optout::Excluded, hdab_store::RegistryState), AppError> {
        let mut fold = hdab_permits::optout::OptOutFold::new(granted_at);
        let registry = self.store.fold_optouts(&mut fold).await?;
        Ok((fold.excluded(), registry))
    }
}
