//! Significant findings (Art. 61(5)) and publications of results (Art. 61(4)).
//!
//! A researcher reports a finding about one pseudonym of the permit, with a reason. A case
//! officer and a decision maker must both approve; at the second approval hdab checks that
//! the pseudonym is someone's in the permit's deliveries' uploads (recomputing the permit's
//! pseudonyms: there is no lookup table) and routes the finding to the holders of the
//! datasets where the person is. The personnummer is computed again when the holder's
//! contact opens it, shown only to them, and never stored; a refused finding leaves only
//! the refusal.

use chrono::{NaiveDate, Utc};
use hdab_permits::Role;
use hdab_permits::access;
use hdab_permits::output::{
    decide_finding, may_refuse_finding, may_report_finding, publication_due,
};
use hdab_pseudonymise::{PersonId, permit_context};
use hdab_store::{FindingEvent, Publication, StoredFinding};
use serde::Serialize;

use crate::{App, AppError};

/// A finding as its reader may see it.
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    pub id: String,
    pub permit_id: String,
    pub reporter: String,
    /// `reported`, `approved` (by both officials) or `refused`.
    pub state: &'static str,
    pub approvals: usize,
    /// Shown to the reporter and to officials; empty for a holder.
    pub reason: String,
}

/// What the data holder's contact receives: the person behind the pseudonym, in the
/// holder's own dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Disclosure {
    pub finding_id: String,
    pub permit_id: String,
    pub dataset_id: String,
    pub contact: String,
    /// `YYYYMMDD-NNNN`.
    pub personnummer: String,
    pub reason: String,
}

/// A permit past its publication date without a recorded publication.
#[derive(Debug, Clone, Serialize)]
pub struct OverduePublication {
    pub permit_id: String,
    pub ended: NaiveDate,
    pub due: NaiveDate,
}

fn state_of(f: &StoredFinding) -> &'static str {
    if f.events.iter().any(|e| e.step == "refuse") {
        "refused"
    } else if f.events.iter().filter(|e| e.step == "approve").count() >= 2 {
        "approved"
    } else {
        "reported"
    }
}

fn written(id: &PersonId) -> String {
    let d = String::from_utf8_lossy(id.canonical()).to_string();
    format!("{}-{}", &d[..8], &d[8..])
}

impl App {
    /// A researcher reports a significant finding about one of the permit's pseudonyms.
    pub async fn report_finding(
        &self,
        actor: &str,
        permit_id: &str,
        pseudonym: &str,
        reason: &str,
    ) -> Result<String, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            let permit = self.store.permit(permit_id).await?;
            may_report_finding(&user, &permit, Utc::now().date_naive())?;
            if reason.trim().is_empty() {
                return Err(AppError::Invalid("a significant finding needs a reason".into()));
            }
            let folder = self.settings.spe().permit(permit_id);
            let pseudonyms = tokio::task::spawn_blocking(move || hdab_pipeline::delivered_pseudonyms(&folder))
                .await
                .map_err(|e| AppError::Invalid(format!("reading the workspace failed: {e}")))??;
            if !pseudonyms.contains(pseudonym) {
                return Err(AppError::Invalid(format!(
                    "that is not a pseudonym delivered under permit {permit_id}; copy it from the delivered data"
                )));
            }
            let id = self
                .store
                .create_finding(&user, permit_id, pseudonym, reason, Utc::now())
                .await?;
            Ok((id, format!("permit {permit_id}")))
        }
        .await;
        let object = result
            .as_ref()
            .map_or(permit_id.to_string(), |(id, _)| id.clone());
        self.audited(actor, "finding.report", &object, result).await
    }

    /// An official approves (`approve`) or refuses the re-identification.
    pub async fn decide_finding(
        &self,
        actor: &str,
        id: &str,
        approve: bool,
        reason: &str,
    ) -> Result<&'static str, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            let finding = self.store.finding(id).await?;
            let permit = self.store.permit(&finding.permit_id).await?;
            if state_of(&finding) != "reported" {
                return Err(AppError::Refused(format!(
                    "finding {id} is already {}",
                    state_of(&finding)
                )));
            }
            if reason.trim().is_empty() {
                return Err(AppError::Invalid("the decision needs a reason".into()));
            }
            let approvals: Vec<(String, Role)> = finding
                .events
                .iter()
                .map(|e| (e.actor.clone(), e.role))
                .collect();
            let (step, role) = if approve {
                let (role, completes) = decide_finding(&user, &permit, &approvals)?;
                if completes && self.locate_person(&finding).await?.is_empty() {
                    return Err(AppError::Invalid(format!(
                        "no person in the uploads permit {} was delivered from has this pseudonym; nothing is re-identified",
                        permit.id
                    )));
                }
                ("approve", role)
            } else {
                may_refuse_finding(&user, &permit)?;
                let role = if user.has(Role::DecisionMaker) { Role::DecisionMaker } else { Role::CaseOfficer };
                ("refuse", role)
            };
            let event = FindingEvent {
                step: step.into(),
                actor: actor.into(),
                role,
                at: Utc::now(),
                reason: reason.into(),
            };
            self.store
                .append_finding_event(id, finding.events.len(), &event)
                .await?;
            let state = state_of(&self.store.finding(id).await?);
            Ok((state, format!("{step} as {}; now {state}", role.as_str())))
        }
        .await;
        self.audited(actor, "finding.decide", id, result).await
    }

    /// The datasets of the permit whose delivered upload holds the person, with the person.
    async fn locate_person(
        &self,
        finding: &StoredFinding,
    ) -> Result<Vec<(String, PersonId)>, AppError> {
        let permit = self.store.permit(&finding.permit_id).await?;
        let keyring = self.settings.keyring()?;
        let key = keyring
            .by_id(&permit.key_id)?
            .derive(&permit_context(&permit.id, permit.key_version));
        drop(keyring);
        let mut found = Vec::new();
        for d in self.store.latest_deliveries(&permit.id).await? {
            let Some(upload) = self
                .store
                .uploads(&d.dataset_id)
                .await?
                .into_iter()
                .find(|u| u.id == d.upload_id)
            else {
                continue;
            };
            let Some(version) = self.store.current_dataset(&d.dataset_id).await? else {
                continue;
            };
            let path = self
                .settings
                .data_dir
                .join("uploads")
                .join(&upload.file_name);
            if let Some(person) = hdab_pipeline::find_person(
                &path,
                &version.description,
                upload.reference_date,
                &key,
                &finding.pseudonym,
            )
            .await?
            {
                found.push((d.dataset_id.clone(), person));
            }
        }
        Ok(found)
    }

    /// A finding as `actor` may see it: the reporter and the permit's people see their own
    /// (never where it went), officials every one, a holder those routed to it.
    pub async fn findings(&self, actor: &str) -> Result<Vec<FindingView>, AppError> {
        let user = self.user(actor).await?;
        let mut out = Vec::new();
        for id in self.store.finding_ids().await? {
            let f = self.store.finding(&id).await?;
            let official = user.has(Role::CaseOfficer) || user.has(Role::DecisionMaker);
            let state = state_of(&f);
            let holder = state == "approved"
                && user.has(Role::DataHolder)
                && !self.disclosures_for(&user, &f).await?.is_empty();
            if f.reporter == actor || official || holder {
                out.push(FindingView {
                    id: f.id.clone(),
                    permit_id: f.permit_id.clone(),
                    reporter: f.reporter.clone(),
                    state,
                    approvals: f.events.iter().filter(|e| e.step == "approve").count(),
                    reason: f.reason.clone(),
                });
            }
        }
        Ok(out)
    }

    async fn disclosures_for(
        &self,
        user: &hdab_permits::User,
        f: &StoredFinding,
    ) -> Result<Vec<Disclosure>, AppError> {
        let mut out = Vec::new();
        for (dataset_id, person) in self.locate_person(f).await? {
            let Some(version) = self.store.current_dataset(&dataset_id).await? else {
                continue;
            };
            let d = &version.description;
            if user.has(Role::DataHolder) && access::acts_for_holder(user, &d.holder) {
                out.push(Disclosure {
                    finding_id: f.id.clone(),
                    permit_id: f.permit_id.clone(),
                    dataset_id: dataset_id.clone(),
                    contact: format!("{} <{}>", d.contact_point.name, d.contact_point.email),
                    personnummer: written(&person),
                    reason: f.reason.clone(),
                });
            }
        }
        Ok(out)
    }

    /// The data holder's contact opens an approved finding: the person, in their dataset.
    pub async fn disclose_finding(
        &self,
        actor: &str,
        id: &str,
    ) -> Result<Vec<Disclosure>, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            let f = self.store.finding(id).await?;
            if state_of(&f) != "approved" {
                return Err(AppError::Refused(format!(
                    "finding {id} is {}; a person is disclosed only after a case officer and a decision maker approve",
                    state_of(&f)
                )));
            }
            let out = self.disclosures_for(&user, &f).await?;
            if out.is_empty() {
                return Err(AppError::Refused(format!(
                    "finding {id} concerns no dataset held by '{}'; it is disclosed only to the holder of the data",
                    user.organisation
                )));
            }
            let words = format!("disclosed to holder {} for {} dataset(s)", user.organisation, out.len());
            Ok((out, words))
        }
        .await;
        let out = self.audited(actor, "finding.disclose", id, result).await?;
        self.cover_head().await?;
        Ok(out)
    }

    /// One of a permit's people records a publication of its results.
    pub async fn record_publication(
        &self,
        actor: &str,
        permit_id: &str,
        reference: &str,
        published_on: NaiveDate,
    ) -> Result<(), AppError> {
        let result = async {
            let user = self.user(actor).await?;
            let permit = self.store.permit(permit_id).await?;
            if !permit.spe_users.iter().any(|u| u == &user.id) {
                return Err(AppError::Refused(format!(
                    "publications of permit {permit_id} are recorded by the people it names"
                )));
            }
            if reference.trim().is_empty() {
                return Err(AppError::Invalid(
                    "a publication needs a reference (DOI, URL or citation)".into(),
                ));
            }
            self.store
                .add_publication(&Publication {
                    permit_id: permit_id.into(),
                    reference: reference.trim().into(),
                    published_on,
                    recorded_by: actor.into(),
                    recorded_at: Utc::now(),
                })
                .await?;
            Ok(((), format!("published {published_on}")))
        }
        .await;
        self.audited(actor, "permit.publication", permit_id, result)
            .await
    }

    pub async fn publications(&self) -> Result<Vec<Publication>, AppError> {
        Ok(self.store.publications().await?)
    }

    /// Permits more than 18 months past their end, as of `today`, without a recorded
    /// publication (public: the register lists them too).
    pub async fn overdue_publications(
        &self,
        today: NaiveDate,
    ) -> Result<Vec<OverduePublication>, AppError> {
        let published: std::collections::HashSet<String> = self
            .store
            .publications()
            .await?
            .into_iter()
            .map(|p| p.permit_id)
            .collect();
        let mut out = Vec::new();
        for p in self.store.permits().await? {
            let due = publication_due(&p);
            if today > due && !published.contains(&p.id) {
                out.push(OverduePublication {
                    ended: p
                        .revoked_at
                        .map_or(p.valid_until, |r| r.date_naive().min(p.valid_until)),
                    permit_id: p.id,
                    due,
                });
            }
        }
        Ok(out)
    }
}
