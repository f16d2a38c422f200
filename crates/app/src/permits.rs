//! Permits after the decision: revocation, amendment of who has SPE access, and the state
//! of each dataset's delivery.

use chrono::Utc;
use hdab_permits::Permit;

use crate::{App, AppError};
use hdab_permits::access::{self, Duty};

/// A permit and the state of its deliveries.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PermitStatus {
    pub permit: Permit,
    pub registry_seq: i64,
    pub datasets: Vec<DatasetStatus>,
    /// The manifest of each dataset's latest delivery.
    pub manifests: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DatasetStatus {
    pub dataset_id: String,
    pub delivered_key_version: Option<u64>,
    pub delivered_registry_seq: Option<i64>,
    pub redelivery_due: bool,
}

impl App {
    /// Revokes a permit (decision makers), with a reason: it can no longer be extracted, and
    /// its workspace leaves the SPE at once, to be erased after the grace period
    /// ([`App::erase_due`]).
    pub async fn revoke_permit(
        &self,
        actor: &str,
        permit_id: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        self.permit_event(actor, permit_id, reason, None).await?;
        if self.withdraw_workspace(permit_id).await? {
            let detail = format!(
                "workspace out of the SPE; erased after {} days",
                self.settings.erasure.revoked_grace_days
            );
            self.audited(actor, "spe.withdraw", permit_id, Ok(((), detail)))
                .await?;
        }
        Ok(())
    }

    /// Amends who has SPE access (decision makers). The data never changes by amendment.
    pub async fn amend_permit(
        &self,
        actor: &str,
        permit_id: &str,
        reason: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<Vec<String>, AppError> {
        self.permit_event(actor, permit_id, reason, Some((add, remove)))
            .await?;
        Ok(self.store.permit(permit_id).await?.spe_users)
    }

    pub(crate) async fn permit_event(
        &self,
        actor: &str,
        permit_id: &str,
        reason: &str,
        amend: Option<(&[String], &[String])>,
    ) -> Result<(), AppError> {
        let (action, duty) = if amend.is_some() {
            ("permit.amend", Duty::AmendPermit)
        } else {
            ("permit.revoke", Duty::RevokePermit)
        };
        let result = async {
            access::require(&self.user(actor).await?, duty)?;
            if reason.trim().is_empty() {
                return Err(AppError::Invalid(format!("{action} needs a reason")));
            }
            let permit = self.store.permit(permit_id).await?;
            if permit.revoked_at.is_some() {
                return Err(AppError::Refused(format!(
                    "permit {permit_id} is already revoked"
                )));
            }
            let mut users = permit.spe_users.clone();
            let kind = match amend {
                None => "revoke",
                Some((add, remove)) => {
                    for u in add {
                        self.user(u).await?;
                        if !users.contains(u) {
                            users.push(u.clone());
                        }
                    }
                    users.retain(|u| !remove.contains(u));
                    if users.is_empty() {
                        return Err(AppError::Invalid(
                            "a permit must name at least one person; revoke it instead".into(),
                        ));
                    }
                    "amend"
                }
            };
            let event = hdab_store::PermitEvent {
                kind: kind.into(),
                actor: actor.into(),
                at: Utc::now(),
                reason: reason.into(),
                spe_users: users.clone(),
            };
            self.store.append_permit_event(permit_id, &event).await?;
            Ok(((), format!("{kind}; SPE users now {}", users.len())))
        }
        .await;
        self.audited(actor, action, permit_id, result).await?;
        self.push_entitlements(actor, permit_id, action).await?;
        self.sync_after(actor).await
    }

    /// A permit and, per dataset, its latest delivery and whether it must be delivered again
    /// (its key version or opt-out registry is behind).
    pub async fn permit_status(
        &self,
        actor: &str,
        permit_id: &str,
    ) -> Result<PermitStatus, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            let permit = self.store.permit(permit_id).await?;
            access::require_permit_reader(&user, &permit)?;
            let registry_seq = self.store.optout_seq().await?;
            let delivered = self.store.latest_deliveries(permit_id).await?;
            let datasets = permit
                .spec
                .delivered_tables()
                .into_iter()
                .map(|table| {
                    let last = delivered.iter().find(|r| r.dataset_id == table);
                    let key_version = last.and_then(|r| r.key_version).map(u64::from);
                    let seq = last.and_then(|r| r.optout_registry_seq);
                    DatasetStatus {
                        dataset_id: table.to_string(),
                        delivered_key_version: key_version,
                        delivered_registry_seq: seq,
                        redelivery_due: key_version
                            .is_some_and(|v| v < u64::from(permit.key_version))
                            || seq.is_some_and(|s| s < registry_seq),
                    }
                })
                .collect();
            Ok((
                PermitStatus {
                    permit,
                    registry_seq,
                    datasets,
                    // Where every row went is the HDAB's to know: others (the permit's
                    // researchers) see the rows delivered, as in their workspace.
                    manifests: delivered
                        .into_iter()
                        .map(|r| {
                            let mut m = r.manifest;
                            if !access::is_case_staff(&user) {
                                m["rows"] =
                                    serde_json::json!({ "delivered": m["rows"]["delivered"] });
                            }
                            m
                        })
                        .collect(),
                },
                String::new(),
            ))
        }
        .await;
        self.audited(actor, "permit.show", permit_id, result).await
    }
}
