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
    /// Reviews what researchers ask to take out of the SPE (two must agree).
    OutputChecker,
    /// Runs an SPE fed by hdab's entitlements (an external operator).
    SpeOperator,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::DataHolder,
        Role::Applicant,
        Role::CaseOfficer,
        Role::DecisionMaker,
        Role::OptOutRegistrar,
        Role::OutputChecker,
        Role::SpeOperator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DataHolder => "data_holder",
            Role::Applicant => "applicant",
            Role::CaseOfficer => "case_officer",
            Role::DecisionMaker => "decision_maker",
            Role::OptOutRegistrar => "optout_registrar",
            Role::OutputChecker => "output_checker",
            Role::SpeOperator => "spe_operator",
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseCommand {
    Submit,
    /// A case officer takes an unassigned case and starts preparing it.
    Take,
    /// The case is given to a named officer (by an admin, or handed over by its officer).
    Assign,
    /// Return to the applicant as incomplete (the deadline clock pauses).
    Return,
    /// The one extension of the decision deadline allowed, with a reason.
    Extend,
    Approve,
    Reject,
    Withdraw,
}

impl CaseCommand {
    pub const ALL: [CaseCommand; 8] = [
        CaseCommand::Submit,
        CaseCommand::Take,
        CaseCommand::Assign,
        CaseCommand::Return,
        CaseCommand::Extend,
        CaseCommand::Approve,
        CaseCommand::Reject,
        CaseCommand::Withdraw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseCommand::Submit => "submit",
            CaseCommand::Take => "take",
            CaseCommand::Assign => "assign",
            CaseCommand::Return => "return",
            CaseCommand::Extend => "extend",
            CaseCommand::Approve => "approve",
            CaseCommand::Reject => "reject",
            CaseCommand::Withdraw => "withdraw",
        }
    }

    pub fn parse(s: &str) -> Option<CaseCommand> {
        CaseCommand::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Commands that must give a reason (the comment): returning, extending, deciding.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            CaseCommand::Return | CaseCommand::Extend | CaseCommand::Approve | CaseCommand::Reject
        )
    }
}

/// One recorded transition of a case. The state is the fold of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub command: CaseCommand,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub comment: String,
    /// For `take` and `assign`: the officer who has the case from now on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

/// The state after a sequence of events (an application starts as a draft).
pub fn state_of(events: &[CaseEvent]) -> AppState {
    events.iter().fold(AppState::Draft, |s, e| {
        next_state(s, e.command).unwrap_or(s)
    })
}

/// The officer who has the case: whoever last took it or was assigned it.
pub fn assignee_of(events: &[CaseEvent]) -> Option<&str> {
    events.iter().rev().find_map(|e| e.assignee.as_deref())
}

fn next_state(s: AppState, c: CaseCommand) -> Option<AppState> {
    use AppState::*;
    use CaseCommand::*;
    Some(match (s, c) {
        (Draft | Incomplete, Submit) => Submitted,
        (Submitted, Take) => UnderReview,
        (Submitted | UnderReview, Assign) => UnderReview,
        (Submitted | UnderReview, Return) => Incomplete,
        (Submitted | UnderReview, Extend) => s,
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
    #[error(
        "the case is with officer '{assignee}'; only they (or an admin, for 'assign') may {command} it"
    )]
    NotTheAssignee {
        command: &'static str,
        assignee: String,
    },
    #[error("the applicant cannot decide their own application; another decision maker must")]
    ApplicantDecides,
    #[error("the officer who prepared the case cannot also decide it; another decision maker must")]
    PreparerDecides,
    #[error("'{0}' needs a reason")]
    NoReason(&'static str),
    #[error("'assign' needs the officer to give the case to")]
    NoAssignee,
    #[error("the deadline has already been extended once; the regulation allows one extension")]
    AlreadyExtended,
}

/// A case as the authorisation needs it.
#[derive(Debug, Clone, Copy)]
pub struct CaseView<'a> {
    pub applicant: &'a str,
    pub events: &'a [CaseEvent],
}

/// The single authorisation point for case commands: may `user` run `command` on `case`?
/// Returns the state it leads to. `target` is the officer an `assign` gives the case to (the
/// caller checks that they are a case officer).
pub fn decide(
    user: &User,
    case: CaseView<'_>,
    command: CaseCommand,
    comment: &str,
    target: Option<&str>,
) -> Result<AppState, Refusal> {
    let state = state_of(case.events);
    let assignee = assignee_of(case.events);
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
    // An officer acts only on a case that is theirs, or on one no one has yet.
    let must_hold = |admin_may: bool| match assignee {
        Some(a) if a != user.id && !(admin_may && user.has(Role::Admin)) => {
            Err(Refusal::NotTheAssignee {
                command: command.as_str(),
                assignee: a.to_string(),
            })
        }
        _ => Ok(()),
    };
    let reason = || {
        if comment.trim().is_empty() {
            Err(Refusal::NoReason(command.as_str()))
        } else {
            Ok(())
        }
    };
    match command {
        CaseCommand::Submit | CaseCommand::Withdraw => {
            if user.id != case.applicant {
                return Err(Refusal::NotTheApplicant {
                    command: command.as_str(),
                });
            }
        }
        CaseCommand::Take => need(Role::CaseOfficer)?,
        CaseCommand::Assign => {
            if !user.has(Role::Admin) {
                need(Role::CaseOfficer)?;
            }
            must_hold(true)?;
            if target.is_none_or(|t| t.trim().is_empty()) {
                return Err(Refusal::NoAssignee);
            }
        }
        CaseCommand::Return => {
            need(Role::CaseOfficer)?;
            must_hold(false)?;
            reason()?;
        }
        CaseCommand::Extend => {
            need(Role::CaseOfficer)?;
            must_hold(false)?;
            reason()?;
            if case.events.iter().any(|e| e.command == CaseCommand::Extend) {
                return Err(Refusal::AlreadyExtended);
            }
        }
        CaseCommand::Approve | CaseCommand::Reject => {
            need(Role::DecisionMaker)?;
            if user.id == case.applicant {
                return Err(Refusal::ApplicantDecides);
            }
            if assignee == Some(user.id.as_str())
                || case
                    .events
                    .iter()
                    .any(|e| e.assignee.as_deref() == Some(user.id.as_str()))
            {
                return Err(Refusal::PreparerDecides);
            }
            reason()?;
        }
    }
    Ok(next)
}

/// May `user` read the case (its content and history)? The applicant, the people named for
/// SPE access, the officer who has it, any case officer while a submitted case waits in the
/// queue for someone to take it, decision makers and admins. Others — an applicant of
/// another organisation, an officer when a colleague has the case, anyone but the applicant
/// while it is a draft — may not, whatever id they guess.
pub fn may_read(user: &User, case: CaseView<'_>, spe_users: &[String]) -> bool {
    let assignee = assignee_of(case.events);
    let waiting_in_queue = assignee.is_none()
        && matches!(
            state_of(case.events),
            AppState::Submitted | AppState::UnderReview
        );
    user.id == case.applicant
        || spe_users.contains(&user.id)
        || assignee == Some(user.id.as_str())
        || (waiting_in_queue && user.has(Role::CaseOfficer))
        || user.has(Role::DecisionMaker)
        || user.has(Role::Admin)
}

#[cfg(test)]
mod tests;
