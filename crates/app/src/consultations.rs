//! Consultations on a case (rules in `hdab_permits::consultations`): an officer asks, the
//! answer is recorded (by the officer, or by the holder's own users when a holder is asked),
//! or the officer closes it with a reason; a case is not decided with one open.

use chrono::{NaiveDate, Utc};
use hdab_permits::access::{self, Duty};
use hdab_permits::consultations::{
    Consultation, ConsultationChange, ConsultationEvent, ConsultationKind, ConsultationRefusal,
    ConsultationState, allows_decision, check_question,
};
use hdab_permits::{CaseView, may_read};
use serde::Serialize;

use crate::{App, AppError};

/// A consultation as the case page and the CLI show it.
#[derive(Debug, Clone, Serialize)]
pub struct ConsultationView {
    #[serde(flatten)]
    pub consultation: Consultation,
    pub events: Vec<ConsultationEvent>,
    pub state: ConsultationState,
    pub late: bool,
}

impl From<ConsultationRefusal> for AppError {
    fn from(r: ConsultationRefusal) -> Self {
        match r {
            ConsultationRefusal::Empty(..) | ConsultationRefusal::DueInThePast(_) => {
                AppError::Invalid(r.to_string())
            }
            _ => AppError::Refused(r.to_string()),
        }
    }
}

impl App {
    /// An officer asks for an opinion on a case, due on `due_on`.
    pub async fn ask_consultation(
        &self,
        actor: &str,
        application_id: &str,
        kind: ConsultationKind,
        addressee: &str,
        question: &str,
        due_on: NaiveDate,
    ) -> Result<String, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::Consult)?;
            let app = self.find_application(application_id).await?;
            let now = Utc::now();
            check_question(question, due_on, now.date_naive())?;
            if addressee.trim().is_empty() {
                return Err(AppError::Invalid(
                    "say whom the question is for (--to)".into(),
                ));
            }
            let n = self.store.count_consultations().await? + 1;
            let c = Consultation {
                id: format!("K-{}-{n:04}", now.format("%Y")),
                application_id: app.id.clone(),
                kind,
                addressee: addressee.trim().to_string(),
                question: question.trim().to_string(),
                due_on,
                asked_by: actor.to_string(),
                asked_at: now,
            };
            self.store.add_consultation(&c).await?;
            let detail = format!("{} {} due {due_on}", c.id, kind.as_str());
            Ok((c.id, detail))
        }
        .await;
        self.audited(actor, "consult.ask", application_id, result)
            .await
    }

    /// Records the answer, or (`close`) closes the consultation with the officer's reason.
    pub async fn settle_consultation(
        &self,
        actor: &str,
        id: &str,
        change: ConsultationChange,
    ) -> Result<(), AppError> {
        let action = match change {
            ConsultationChange::Answered { .. } => "consult.answer",
            ConsultationChange::Closed { .. } => "consult.close",
        };
        let result = async {
            let user = self.user(actor).await?;
            let (c, events) = self
                .store
                .consultations(None, Some(id))
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| AppError::NotFound(format!("consultation '{id}'")))?;
            let allowed = match change {
                ConsultationChange::Answered { .. } => access::may_answer_consultation(&user, &c),
                ConsultationChange::Closed { .. } => access::may(&user, Duty::Consult),
            };
            if !allowed {
                return Err(AppError::Refused(format!(
                    "user '{actor}' may not {} consultation {id}",
                    if action == "consult.answer" {
                        "answer"
                    } else {
                        "close"
                    }
                )));
            }
            let event = ConsultationEvent {
                change: c.change(&events, change)?,
                actor: actor.to_string(),
                at: Utc::now(),
            };
            self.store
                .append_consultation_event(id, events.len(), &event)
                .await?;
            Ok(((), format!("{id} of {}", c.application_id)))
        }
        .await;
        self.audited(actor, action, id, result).await
    }

    /// A case's consultations, for whoever may read the case (and the holder asked).
    pub async fn consultations(
        &self,
        actor: &str,
        application_id: &str,
    ) -> Result<Vec<ConsultationView>, AppError> {
        let user = self.user(actor).await?;
        let app = self.find_application(application_id).await?;
        let case = CaseView {
            applicant: &app.applicant,
            events: &app.events,
        };
        if !access::is_case_staff(&user) && !may_read(&user, case, &app.content.spe_users) {
            return Err(AppError::NotFound(format!(
                "application '{application_id}'"
            )));
        }
        let today = Utc::now().date_naive();
        Ok(self
            .store
            .consultations(Some(application_id), None)
            .await?
            .into_iter()
            .map(|(c, events)| ConsultationView {
                state: c.state(&events),
                late: c.is_late(&events, today),
                consultation: c,
                events,
            })
            .collect())
    }

    /// Refuses a decision while a consultation of the case is open.
    pub(crate) async fn require_no_open_consultation(
        &self,
        application_id: &str,
    ) -> Result<(), AppError> {
        let all = self.store.consultations(Some(application_id), None).await?;
        Ok(allows_decision(&all)?)
    }
}
