//! The case state machine and the role matrix, in one place.
//!
//! ```text
//! draft ─submit─► submitted ─take─► under_review ─approve─► approved
//!                  │    ▲                │        └─reject──► rejected
//!                  │    └───submit──┐    │
//!                  └─return─► incomplete ◄─return─┘
//! any state before a decision ─withdraw─► withdrawn
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    DataHolder,
    Applicant,
    CaseOfficer,
    DecisionMaker,
    /// Keeps the opt-out registry (the citizen service acts in this role).
    OptOutRegistrar,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::DataHolder,
        Role::Applicant,
        Role::CaseOfficer,
        Role::DecisionMaker,
        Role::OptOutRegistrar,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DataHolder => "data_holder",
            Role::Applicant => "applicant",
            Role::CaseOfficer => "case_officer",
            Role::DecisionMaker => "decision_maker",
            Role::OptOutRegistrar => "optout_registrar",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A user as the store knows them. The CLI and the server act as one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub organisation: String,
    pub roles: Vec<Role>,
}

impl User {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppState {
    Draft,
    Submitted,
    Incomplete,
    UnderReview,
    Approved,
    Rejected,
    Withdrawn,
}

impl AppState {
    pub const ALL: [AppState; 7] = [
        AppState::Draft,
        AppState::Submitted,
        AppState::Incomplete,
        AppState::UnderReview,
        AppState::Approved,
        AppState::Rejected,
        AppState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppState::Draft => "draft",
            AppState::Submitted => "submitted",
            AppState::Incomplete => "incomplete",
            AppState::UnderReview => "under_review",
            AppState::Approved => "approved",
            AppState::Rejected => "rejected",
            AppState::Withdrawn => "withdrawn",
        }
    }
}

impl fmt::Display for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What someone wants to do with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseCommand {
    Submit,
    /// A case officer takes the case and starts preparing it.
    Take,
    /// Return to the applicant as incomplete (the deadline clock pauses).
    Return,
    Approve,
    Reject,
    Withdraw,
}

impl CaseCommand {
    pub const ALL: [CaseCommand; 6] = [
        CaseCommand::Submit,
        CaseCommand::Take,
        CaseCommand::Return,
        CaseCommand::Approve,
        CaseCommand::Reject,
        CaseCommand::Withdraw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseCommand::Submit => "submit",
            CaseCommand::Take => "take",
            CaseCommand::Return => "return",
            CaseCommand::Approve => "approve",
            CaseCommand::Reject => "reject",
            CaseCommand::Withdraw => "withdraw",
        }
    }
}

/// One recorded transition of a case. The state is the fold of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub command: CaseCommand,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub comment: String,
}

/// The state after a sequence of events (an application starts as a draft).
pub fn state_of(events: &[CaseEvent]) -> AppState {
    events.iter().fold(AppState::Draft, |s, e| {
        next_state(s, e.command).unwrap_or(s)
    })
}

/// The officer preparing the case: whoever last took it.
pub fn assignee_of(events: &[CaseEvent]) -> Option<&str> {
    events
        .iter()
        .rev()
        .find(|e| e.command == CaseCommand::Take)
        .map(|e| e.actor.as_str())
}

fn next_state(s: AppState, c: CaseCommand) -> Option<AppState> {
    use AppState::*;
    use CaseCommand::*;
    Some(match (s, c) {
        (Draft | Incomplete, Submit) => Submitted,
        (Submitted, Take) => UnderReview,
        (Submitted | UnderReview, Return) => Incomplete,
        (UnderReview, Approve) => Approved,
        (UnderReview, Reject) => Rejected,
        (Draft | Submitted | Incomplete | UnderReview, Withdraw) => Withdrawn,
        _ => return None,
    })
}

/// Why a command was refused; each says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("'{command}' is not possible on a case that is {state}")]
    WrongState {
        command: &'static str,
        state: AppState,
    },
    #[error("'{command}' needs the role {role}; user '{user}' does not have it")]
    MissingRole {
        command: &'static str,
        role: &'static str,
        user: String,
    },
    #[error("only the applicant may {command} this application")]
    NotTheApplicant { command: &'static str },
    #[error("the applicant cannot decide their own application; another decision maker must")]
    ApplicantDecides,
    #[error("the officer who prepared the case cannot also decide it; another decision maker must")]
    PreparerDecides,
    #[error("a decision needs a reason")]
    NoReason,
}

/// The single authorisation point for case commands: may `user` run `command` on a case
/// of `applicant` (prepared by `assignee`) in `state`? Returns the state it leads to.
pub fn decide(
    user: &User,
    applicant: &str,
    assignee: Option<&str>,
    state: AppState,
    command: CaseCommand,
    comment: &str,
) -> Result<AppState, Refusal> {
    let Some(next) = next_state(state, command) else {
        return Err(Refusal::WrongState {
            command: command.as_str(),
            state,
        });
    };
    let need = |role: Role| {
        if user.has(role) {
            Ok(())
        } else {
            Err(Refusal::MissingRole {
                command: command.as_str(),
                role: role.as_str(),
                user: user.id.clone(),
            })
        }
    };
    match command {
        CaseCommand::Submit | CaseCommand::Withdraw => {
            if user.id != applicant {
                return Err(Refusal::NotTheApplicant {
                    command: command.as_str(),
                });
            }
        }
        CaseCommand::Take | CaseCommand::Return => need(Role::CaseOfficer)?,
        CaseCommand::Approve | CaseCommand::Reject => {
            need(Role::DecisionMaker)?;
            if user.id == applicant {
                return Err(Refusal::ApplicantDecides);
            }
            if assignee == Some(user.id.as_str()) {
                return Err(Refusal::PreparerDecides);
            }
            if comment.trim().is_empty() {
                return Err(Refusal::NoReason);
            }
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, roles: &[Role]) -> User {
        User {
            id: id.into(),
            name: id.into(),
            organisation: "org".into(),
            roles: roles.to_vec(),
        }
    }

    #[test]
    fn decision_by_the_applicant_themself_is_refused() {
        let anna = user("anna", &[Role::Applicant, Role::DecisionMaker]);
        let r = decide(
            &anna,
            "anna",
            Some("olle"),
            AppState::UnderReview,
            CaseCommand::Approve,
            "ok",
        );
        assert_eq!(r, Err(Refusal::ApplicantDecides));
    }

    #[test]
    fn decision_by_the_preparing_officer_is_refused() {
        let olle = user("olle", &[Role::CaseOfficer, Role::DecisionMaker]);
        let r = decide(
            &olle,
            "anna",
            Some("olle"),
            AppState::UnderReview,
            CaseCommand::Approve,
            "ok",
        );
        assert_eq!(r, Err(Refusal::PreparerDecides));
    }

    #[test]
    fn every_role_command_state_cell_is_decided() {
        // Exhaustive over the matrix: a refusal always names a reason, an allowance always
        // leads to the state the diagram says.
        for state in AppState::ALL {
            for command in CaseCommand::ALL {
                for role in Role::ALL {
                    let u = user("u", &[role]);
                    for applicant in ["u", "someone-else"] {
                        let r = decide(&u, applicant, Some("olle"), state, command, "reason");
                        let expect_ok = next_state(state, command).is_some()
                            && match command {
                                CaseCommand::Submit | CaseCommand::Withdraw => applicant == "u",
                                CaseCommand::Take | CaseCommand::Return => {
                                    role == Role::CaseOfficer
                                }
                                CaseCommand::Approve | CaseCommand::Reject => {
                                    role == Role::DecisionMaker && applicant != "u"
                                }
                            };
                        assert_eq!(
                            r.is_ok(),
                            expect_ok,
                            "{role:?} {command:?} {state:?} {applicant}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn state_is_the_fold_of_events() {
        let ev = |c| CaseEvent {
            command: c,
            actor: "x".into(),
            at: DateTime::<Utc>::UNIX_EPOCH,
            comment: String::new(),
        };
        let events = [
            ev(CaseCommand::Submit),
            ev(CaseCommand::Return),
            ev(CaseCommand::Submit),
            ev(CaseCommand::Take),
            ev(CaseCommand::Approve),
        ];
        assert_eq!(state_of(&events), AppState::Approved);
        assert_eq!(state_of(&events[..2]), AppState::Incomplete);
    }
}
