//! Consultations: before deciding, a case officer asks for an opinion (legal, ethics, the
//! data holder, another health data access body in a cross-border case) with a due date. The
//! answer lands in the case history; the decision deadline is not paused by it; a case is not
//! decided with a consultation open, unless the officer closes it with a reason.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Whose opinion is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationKind {
    Legal,
    Ethics,
    DataHolder,
    /// Another member state's HDAB (a cross-border case, HealthData@EU).
    OtherHdab,
}

impl ConsultationKind {
    pub const ALL: [ConsultationKind; 4] = [
        ConsultationKind::Legal,
        ConsultationKind::Ethics,
        ConsultationKind::DataHolder,
        ConsultationKind::OtherHdab,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsultationKind::Legal => "legal",
            ConsultationKind::Ethics => "ethics",
            ConsultationKind::DataHolder => "data_holder",
            ConsultationKind::OtherHdab => "other_hdab",
        }
    }

    pub fn parse(text: &str) -> Option<ConsultationKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == text.replace('-', "_"))
    }
}

/// A question as asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    /// `K-<year>-<n>`.
    pub id: String,
    pub application_id: String,
    pub kind: ConsultationKind,
    /// Who is asked (a unit, a board, a holder's organisation, an HDAB).
    pub addressee: String,
    pub question: String,
    pub due_on: NaiveDate,
    pub asked_by: String,
    pub asked_at: DateTime<Utc>,
}

/// What happened to a consultation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConsultationChange {
    Answered {
        answer: String,
    },
    /// Closed without (waiting for) an answer, with the officer's reason.
    Closed {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationEvent {
    pub change: ConsultationChange,
    pub actor: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationState {
    Open,
    Answered,
    Closed,
}

impl ConsultationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsultationState::Open => "open",
            ConsultationState::Answered => "answered",
            ConsultationState::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsultationRefusal {
    #[error("consultation {0} is no longer open ({1})")]
    NotOpen(String, &'static str),
    #[error("{0} needs words: write the {1}")]
    Empty(String, &'static str),
    #[error(
        "the case cannot be decided while consultations are open: {0}; record their answers, or close them with a reason (hdab consult answer|close)"
    )]
    OpenConsultations(String),
    #[error("the due date {0} has passed already")]
    DueInThePast(NaiveDate),
}

impl Consultation {
    pub fn state(&self, events: &[ConsultationEvent]) -> ConsultationState {
        match events.first().map(|e| &e.change) {
            None => ConsultationState::Open,
            Some(ConsultationChange::Answered { .. }) => ConsultationState::Answered,
            Some(ConsultationChange::Closed { .. }) => ConsultationState::Closed,
        }
    }

    /// Late: open past its due date (the case's own deadline runs on regardless).
    pub fn is_late(&self, events: &[ConsultationEvent], today: NaiveDate) -> bool {
        self.state(events) == ConsultationState::Open && today > self.due_on
    }

    /// The one answer, or the closing with a reason.
    pub fn change(
        &self,
        events: &[ConsultationEvent],
        change: ConsultationChange,
    ) -> Result<ConsultationChange, ConsultationRefusal> {
        let state = self.state(events);
        if state != ConsultationState::Open {
            return Err(ConsultationRefusal::NotOpen(
                self.id.clone(),
                state.as_str(),
            ));
        }
        let (text, what) = match &change {
            ConsultationChange::Answered { answer } => (answer, "answer"),
            ConsultationChange::Closed { reason } => (reason, "reason"),
        };
        if text.trim().is_empty() {
            return Err(ConsultationRefusal::Empty(self.id.clone(), what));
        }
        Ok(change)
    }
}

/// A question is asked with words and a due date not yet passed.
pub fn check_question(
    question: &str,
    due_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), ConsultationRefusal> {
    if question.trim().is_empty() {
        return Err(ConsultationRefusal::Empty(
            "the consultation".into(),
            "question",
        ));
    }
    if due_on < today {
        return Err(ConsultationRefusal::DueInThePast(due_on));
    }
    Ok(())
}

/// May the case be decided? Not while any consultation is open.
pub fn allows_decision(
    consultations: &[(Consultation, Vec<ConsultationEvent>)],
) -> Result<(), ConsultationRefusal> {
    let open: Vec<String> = consultations
        .iter()
        .filter(|(c, e)| c.state(e) == ConsultationState::Open)
        .map(|(c, _)| format!("{} ({}, due {})", c.id, c.kind.as_str(), c.due_on))
        .collect();
    if open.is_empty() {
        Ok(())
    } else {
        Err(ConsultationRefusal::OpenConsultations(open.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked() -> Consultation {
        Consultation {
            id: "K-2026-0001".into(),
            application_id: "A-2026-0001".into(),
            kind: ConsultationKind::Ethics,
            addressee: "Etikprövningsmyndigheten".into(),
            question: "Is the approval valid for the linkage?".into(),
            due_on: "2027-01-15".parse().unwrap(),
            asked_by: "olle".into(),
            asked_at: Utc::now(),
        }
    }

    fn event(change: ConsultationChange) -> ConsultationEvent {
        ConsultationEvent {
            change,
            actor: "olle".into(),
            at: Utc::now(),
        }
    }

    #[test]
    fn an_open_consultation_stops_the_decision_until_answered_or_closed_with_a_reason() {
        let c = asked();
        assert!(matches!(
            allows_decision(&[(c.clone(), vec![])]),
            Err(ConsultationRefusal::OpenConsultations(ids)) if ids.contains("K-2026-0001")
        ));
        assert!(matches!(
            c.change(&[], ConsultationChange::Closed { reason: " ".into() }),
            Err(ConsultationRefusal::Empty(..))
        ));
        let closed = event(
            c.change(
                &[],
                ConsultationChange::Closed {
                    reason: "the board does not answer within the deadline".into(),
                },
            )
            .unwrap(),
        );
        assert_eq!(
            allows_decision(&[(c.clone(), vec![closed.clone()])]),
            Ok(())
        );
        assert!(matches!(
            c.change(
                &[closed],
                ConsultationChange::Answered {
                    answer: "late".into()
                }
            ),
            Err(ConsultationRefusal::NotOpen(_, "closed"))
        ));
        let answered = event(ConsultationChange::Answered {
            answer: "Valid.".into(),
        });
        assert_eq!(
            c.state(std::slice::from_ref(&answered)),
            ConsultationState::Answered
        );
        assert_eq!(allows_decision(&[(c, vec![answered])]), Ok(()));
    }

    #[test]
    fn late_only_while_open_and_past_due() {
        let c = asked();
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(!c.is_late(&[], day("2027-01-15")));
        assert!(c.is_late(&[], day("2027-01-16")));
        assert!(check_question("q", day("2027-01-01"), day("2027-01-02")).is_err());
        assert!(check_question("", day("2027-01-03"), day("2027-01-02")).is_err());
    }
}
