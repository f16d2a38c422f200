//! Applications and their case work: drafts, the case commands of the permission matrix
//! (approval makes the permit), the queue and the public register.

use chrono::{Months, Utc};
use hdab_catalog::DatasetDescription;
use hdab_permits::{
    AppState, ApplicationContent, CaseCommand, CaseEvent, CaseView, Deadline, ExtractionSpec,
    Permit, assignee_of, deadline, decide, may_read, state_of,
};

use crate::{App, AppError};
use hdab_permits::access::{self, Duty};

/// What some case commands need beyond a comment.
#[derive(Debug, Clone, Default)]
pub struct CaseOptions {
    /// `assign`: the officer to give the case to.
    pub assign_to: Option<String>,
    /// `approve`: a narrower spec than asked for (fewer variables, tighter cohort).
    pub narrowed: Option<ExtractionSpec>,
    /// `approve`: conditions attached to the permit.
    pub conditions: Vec<String>,
    /// `approve`: months of validity, if shorter than asked (at most 120).
    pub valid_months: Option<u32>,
    /// `approve`: a public-interest exception to the opt-out (Art. 71(4)): legal basis,
    /// public interest, why the purpose cannot be met otherwise.
    pub optout_exception: Option<(String, String, String)>,
}

/// One row of the case queue.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueueRow {
    pub id: String,
    pub state: AppState,
    pub assignee: Option<String>,
    pub organisation: String,
    pub title: String,
    pub deadline: Deadline,
}

/// One line of the public register.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RegisterEntry {
    pub id: String,
    pub received: chrono::DateTime<Utc>,
    pub organisation: String,
    pub title: String,
    pub purpose: hdab_permits::Purpose,
    pub datasets: Vec<String>,
    pub state: AppState,
    /// (decision, when, reasons)
    pub decision: Option<(String, chrono::DateTime<Utc>, String)>,
    /// The fee charged (the invoice's total, or the accepted estimate's before delivery).
    pub fee_sek: Option<u64>,
    /// A public-interest exception to the opt-out the permit was granted (Art. 71(4)).
    pub optout_exception: Option<hdab_permits::OptOutException>,
}

impl App {
    pub(crate) fn catalogue_lookup(
        all: &[hdab_store::DatasetVersion],
    ) -> impl Fn(&str) -> Option<DatasetDescription> + '_ {
        move |id| {
            all.iter()
                .find(|d| d.dataset_id == id)
                .map(|d| d.description.clone())
        }
    }

    /// Saves a new draft application.
    pub async fn create_application(
        &self,
        actor: &str,
        toml_text: &str,
    ) -> Result<String, AppError> {
        self.create_application_from(actor, parse_application(toml_text))
            .await
    }

    /// Saves a new draft application given as a value (the API's JSON body).
    pub async fn create_application_content(
        &self,
        actor: &str,
        content: ApplicationContent,
    ) -> Result<String, AppError> {
        self.create_application_from(actor, Ok(content)).await
    }

    pub(crate) async fn create_application_from(
        &self,
        actor: &str,
        content: Result<ApplicationContent, AppError>,
    ) -> Result<String, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::Apply)?;
            let content = content?;
            let id = self
                .store
                .create_application(&user, &content, Utc::now())
                .await?;
            Ok((id.clone(), format!("draft {id}")))
        }
        .await;
        self.audited(actor, "application.create", "-", result).await
    }

    /// Runs one case command. `options` carries what some commands need: the officer an
    /// `assign` gives the case to; for `approve`, a narrower spec and conditions.
    /// Approval creates the permit in the same transaction and returns its id.
    pub async fn case_command(
        &self,
        actor: &str,
        application_id: &str,
        command: CaseCommand,
        comment: &str,
        options: CaseOptions,
    ) -> Result<(AppState, Option<String>), AppError> {
        let result = async {
            let user = self.user(actor).await?;
            let app = self.find_application(application_id).await?;
            let case = CaseView {
                applicant: &app.applicant,
                events: &app.events,
            };
            // Someone with no part in the case learns nothing about it, not even its state.
            if !access::is_case_staff(&user) && !may_read(&user, case, &app.content.spe_users) {
                return Err(AppError::NotFound(format!(
                    "application '{application_id}'"
                )));
            }
            let state = state_of(&app.events);
            let next = decide(&user, case, command, comment, options.assign_to.as_deref())?;
            let now = Utc::now();
            let mut event = CaseEvent {
                command,
                actor: actor.to_string(),
                at: now,
                comment: comment.to_string(),
                assignee: None,
            };
            let mut permit = None;
            let mut orders = Vec::new();
            // Not decided while an opinion asked for is still open.
            if matches!(command, CaseCommand::Approve | CaseCommand::Reject) {
                self.require_no_open_consultation(&app.id).await?;
            }
            match command {
                CaseCommand::Submit => self.check_complete(&app.content).await?,
                CaseCommand::Take => event.assignee = Some(actor.to_string()),
                CaseCommand::Assign => {
                    let target = options.assign_to.clone().unwrap_or_default();
                    let officer = self.user(&target).await?;
                    if !access::may_be_assigned(&officer) {
                        return Err(AppError::Refused(format!(
                            "'{target}' is not a case officer"
                        )));
                    }
                    event.assignee = Some(target);
                }
                CaseCommand::Approve => {
                    // Where fees are charged, the decision waits for the applicant's
                    // acceptance of the estimate (EHDS Art. 62(5)).
                    self.require_fee_accepted(&app.id).await?;
                    let p = self.make_permit(&app, options, now, actor).await?;
                    orders = self.orders_for_grant(&p).await?;
                    permit = Some(p);
                }
                _ => {}
            }
            self.store
                .append_case_event(
                    &app.id,
                    app.events.len(),
                    &event,
                    permit.as_ref().map(|p| (p, orders.as_slice())),
                )
                .await?;
            // Received: registered in the diarium (again after completion: the same number).
            if command == CaseCommand::Submit {
                self.register_case(&app.id, "application", now).await?;
            }
            let permit_id = permit.map(|p| p.id);
            let detail = match (&permit_id, &event.assignee) {
                (Some(p), _) => format!("{state} -> {next} permit {p}"),
                (None, Some(a)) => format!("{state} -> {next} assigned {a}"),
                (None, None) => format!("{state} -> {next}"),
            };
            Ok(((next, permit_id), detail))
        }
        .await;
        let (state, permit) = self
            .audited(
                actor,
                &format!("case.{}", command.as_str()),
                application_id,
                result,
            )
            .await?;
        if let Some(p) = &permit {
            self.push_entitlements(actor, p, "case.approve").await?;
            self.sync_after(actor).await?;
            self.tell_holders_of_orders(p).await;
        }
        self.tell_applicant(application_id, command, comment).await;
        Ok((state, permit))
    }

    /// The applicant is told that their application was received, returned or decided.
    async fn tell_applicant(&self, application_id: &str, command: CaseCommand, comment: &str) {
        use hdab_notify::NoticeKind;
        let (kind, detail) = match command {
            CaseCommand::Submit => (NoticeKind::ApplicationReceived, ""),
            CaseCommand::Return => (NoticeKind::ApplicationReturned, comment),
            CaseCommand::Approve | CaseCommand::Reject => {
                (NoticeKind::ApplicationDecided, command.as_str())
            }
            _ => return,
        };
        match self.find_application(application_id).await {
            Ok(a) => {
                self.raise(crate::notifications::Tell {
                    kind,
                    object: &a.id,
                    title: &a.content.title,
                    detail,
                    recipients: std::slice::from_ref(&a.applicant),
                    dedupe: None,
                    at: Utc::now(),
                })
                .await
            }
            Err(e) => tracing::error!(error = %e, "telling the applicant failed"),
        }
    }

    /// Refuses to submit an application that is not complete, listing every problem.
    async fn check_complete(&self, content: &ApplicationContent) -> Result<(), AppError> {
        let all = self.store.datasets().await?;
        let problems = content.completeness_problems(&Self::catalogue_lookup(&all));
        if !problems.is_empty() {
            return Err(AppError::Invalid(format!(
                "the application is not complete ({} problem(s)):\n{}",
                problems.len(),
                problems
                    .iter()
                    .map(|p| format!("  - {p}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )));
        }
        Ok(())
    }

    /// The permit an approval makes: the spec as asked or narrowed (never wider, and fitting
    /// the catalogue), its validity, and the key current now.
    async fn make_permit(
        &self,
        app: &hdab_store::StoredApplication,
        options: CaseOptions,
        now: chrono::DateTime<Utc>,
        decided_by: &str,
    ) -> Result<Permit, AppError> {
        let asked = app.content.asked_spec();
        let spec = match options.narrowed {
            None => asked,
            Some(narrow) => {
                asked.is_narrowing(&narrow).map_err(|e| {
                    AppError::Invalid(format!(
                        "the narrowed spec asks for more than the application: {e}"
                    ))
                })?;
                let all = self.store.datasets().await?;
                let lookup = Self::catalogue_lookup(&all);
                let problems: Vec<String> = narrow
                    .datasets
                    .iter()
                    .flat_map(|d| match lookup(&d.dataset_id) {
                        Some(desc) => d.problems_against(&desc),
                        None => vec![format!("no dataset '{}'", d.dataset_id)],
                    })
                    .collect();
                if !problems.is_empty() {
                    return Err(AppError::Invalid(format!(
                        "the narrowed spec does not fit the catalogue:\n{}",
                        problems
                            .iter()
                            .map(|p| format!("  - {p}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    )));
                }
                narrow
            }
        };
        let months = options
            .valid_months
            .unwrap_or(app.content.months_needed)
            .min(120);
        let optout_exception = match &options.optout_exception {
            None => None,
            Some((legal_basis, public_interest, necessity)) => {
                let e = hdab_permits::OptOutException {
                    legal_basis: legal_basis.trim().to_string(),
                    public_interest: public_interest.trim().to_string(),
                    necessity: necessity.trim().to_string(),
                    decided_by: decided_by.to_string(),
                    decided_at: now,
                };
                e.check(&self.settings.optout_exception_bases)
                    .map_err(AppError::Refused)?;
                Some(e)
            }
        };
        let key_id = self.settings.keyring()?.current().key_id();
        let n = self.store.count_permits().await?;
        Ok(Permit {
            id: format!("P-{}-{:04}", now.format("%Y"), n + 1),
            application_id: app.id.clone(),
            spec_digest: spec.digest(),
            spec,
            spe_users: app.content.spe_users.clone(),
            conditions: options.conditions.clone(),
            granted_at: now,
            valid_until: now
                .date_naive()
                .checked_add_months(Months::new(months))
                .unwrap_or(now.date_naive()),
            key_id,
            key_version: 1,
            revoked_at: None,
            optout_exception,
        })
    }

    pub(crate) async fn find_application(
        &self,
        id: &str,
    ) -> Result<hdab_store::StoredApplication, AppError> {
        Ok(self.store.application(id).await?)
    }

    /// The application, if `actor` has a part in it; otherwise the same answer as for an id
    /// that does not exist (guessing ids reveals nothing).
    pub(crate) async fn readable_application(
        &self,
        actor: &str,
        id: &str,
    ) -> Result<hdab_store::StoredApplication, AppError> {
        let user = self.user(actor).await?;
        let app = self.find_application(id).await?;
        let case = CaseView {
            applicant: &app.applicant,
            events: &app.events,
        };
        if !may_read(&user, case, &app.content.spe_users) {
            return Err(AppError::NotFound(format!("application '{id}'")));
        }
        Ok(app)
    }

    /// An application with its history and deadline, for those with a part in it.
    pub async fn show_application(
        &self,
        actor: &str,
        id: &str,
    ) -> Result<(hdab_store::StoredApplication, Deadline), AppError> {
        let result = async {
            let app = self.readable_application(actor, id).await?;
            let d = deadline(&app.events, app.content.purpose, Utc::now());
            Ok(((app, d), String::new()))
        }
        .await;
        self.audited(actor, "application.show", id, result).await
    }

    /// Every version of an application the HDAB received, oldest first, each with what
    /// changed since the one before (anyone who may read the case).
    pub async fn application_versions(
        &self,
        actor: &str,
        id: &str,
    ) -> Result<Vec<SubmittedVersion>, AppError> {
        let result = async {
            let app = self.readable_application(actor, id).await?;
            let mut out: Vec<SubmittedVersion> = Vec::new();
            let mut before: Option<ApplicationContent> = None;
            for (n, (seq, content)) in self
                .store
                .application_versions(id)
                .await?
                .into_iter()
                .enumerate()
            {
                let event = usize::try_from(seq - 1)
                    .ok()
                    .and_then(|i| app.events.get(i));
                out.push(SubmittedVersion {
                    version: n + 1,
                    submitted_at: event.map(|e| e.at),
                    submitted_by: event.map(|e| e.actor.clone()).unwrap_or_default(),
                    changes: before
                        .as_ref()
                        .map(|b| hdab_catalog::diff_documents(b, &content))
                        .unwrap_or_default(),
                });
                before = Some(content);
            }
            Ok((out, String::new()))
        }
        .await;
        self.audited(actor, "application.versions", id, result)
            .await
    }

    /// Replaces a draft's or returned application's content (the applicant only).
    pub async fn update_application(
        &self,
        actor: &str,
        id: &str,
        toml_text: &str,
    ) -> Result<(), AppError> {
        self.update_application_from(actor, id, parse_application(toml_text))
            .await
    }

    /// Replaces an application's content given as a value (the API's JSON body).
    pub async fn update_application_content(
        &self,
        actor: &str,
        id: &str,
        content: ApplicationContent,
    ) -> Result<(), AppError> {
        self.update_application_from(actor, id, Ok(content)).await
    }

    pub(crate) async fn update_application_from(
        &self,
        actor: &str,
        id: &str,
        content: Result<ApplicationContent, AppError>,
    ) -> Result<(), AppError> {
        let result = async {
            let app = self.find_application(id).await?;
            if !access::may_change_application(actor, &app.applicant) {
                return Err(AppError::NotFound(format!("application '{id}'")));
            }
            let state = state_of(&app.events);
            if !matches!(state, AppState::Draft | AppState::Incomplete) {
                return Err(AppError::Refused(format!(
                    "a {state} application cannot be changed; changing the data asked for needs a new application"
                )));
            }
            let content = content?;
            self.store.update_application_content(id, &content).await?;
            Ok(((), format!("content replaced while {state}")))
        }
        .await;
        self.audited(actor, "application.update", id, result).await
    }

    /// The case queue: every open case with its officer, state and deadline, overdue first,
    /// then by days left.
    pub async fn queue(&self, actor: &str) -> Result<Vec<QueueRow>, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::ViewQueue)?;
            let now = Utc::now();
            let mut rows: Vec<QueueRow> = self
                .store
                .applications()
                .await?
                .into_iter()
                .filter(|a| {
                    matches!(
                        state_of(&a.events),
                        AppState::Submitted | AppState::Incomplete | AppState::UnderReview
                    )
                })
                .map(|a| QueueRow {
                    state: state_of(&a.events),
                    assignee: assignee_of(&a.events).map(str::to_string),
                    deadline: deadline(&a.events, a.content.purpose, now),
                    organisation: a.content.organisation.clone(),
                    title: a.content.title.clone(),
                    id: a.id,
                })
                .collect();
            rows.sort_by_key(|r| {
                (
                    !r.deadline.overdue,
                    r.deadline.days_left.unwrap_or(i64::MAX),
                    r.id.clone(),
                )
            });
            Ok(rows)
        }
        .await;
        // Not audited: the queue shows what the public register shows (who applied, for
        // what, in which state); opening a case is audited.
        result
    }

    /// The public register (no login): applications received and decisions with reasons.
    pub async fn public_register(&self) -> Result<Vec<RegisterEntry>, AppError> {
        let mut entries = self.register_entries().await?;
        let permits = self.store.permits().await?;
        for e in entries.iter_mut().filter(|e| e.state == AppState::Approved) {
            e.optout_exception = permits
                .iter()
                .find(|p| p.application_id == e.id)
                .and_then(|p| p.optout_exception.clone());
            let fees = hdab_permits::fees::fee_state(&self.store.fee_events(&e.id).await?);
            e.fee_sek = match (fees.invoice, fees.estimate, fees.accepted) {
                (Some(i), _, _) => Some(i.total_sek),
                (None, Some(est), Some(_)) => Some(est.total_sek),
                _ => None,
            };
        }
        Ok(entries)
    }

    async fn register_entries(&self) -> Result<Vec<RegisterEntry>, AppError> {
        Ok(self
            .store
            .applications()
            .await?
            .into_iter()
            .filter_map(|a| {
                let received = a
                    .events
                    .iter()
                    .find(|e| e.command == CaseCommand::Submit)?
                    .at;
                let decision = a
                    .events
                    .iter()
                    .rev()
                    .find(|e| matches!(e.command, CaseCommand::Approve | CaseCommand::Reject))
                    .map(|e| (e.command.as_str().to_string(), e.at, e.comment.clone()));
                Some(RegisterEntry {
                    id: a.id.clone(),
                    received,
                    organisation: a.content.organisation.clone(),
                    title: a.content.title.clone(),
                    purpose: a.content.purpose,
                    datasets: a
                        .content
                        .datasets
                        .iter()
                        .map(|d| d.dataset_id.clone())
                        .collect(),
                    state: state_of(&a.events),
                    decision,
                    fee_sek: None,
                    optout_exception: None,
                })
            })
            .collect())
    }
}

pub(crate) fn parse_application(toml_text: &str) -> Result<ApplicationContent, AppError> {
    toml::from_str(toml_text)
        .map_err(|e| AppError::Invalid(format!("the application file: {}", e.message())))
}

/// A version of an application as the HDAB received it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SubmittedVersion {
    /// 1 for the first submission.
    pub version: usize,
    pub submitted_at: Option<chrono::DateTime<Utc>>,
    pub submitted_by: String,
    /// What changed since the version before (empty for the first).
    pub changes: Vec<hdab_catalog::Change>,
}
