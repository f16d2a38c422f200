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

    fn ev(command: CaseCommand, actor: &str, assignee: Option<&str>) -> CaseEvent {
        CaseEvent {
            command,
            actor: actor.into(),
            at: DateTime::<Utc>::UNIX_EPOCH,
            comment: "reason".into(),
            assignee: assignee.map(str::to_string),
        }
    }

    /// Events that bring a case of applicant "anna" into `state`, with "olle" holding it
    /// from under_review on.
    fn history(state: AppState) -> Vec<CaseEvent> {
        use CaseCommand::*;
        let submit = ev(Submit, "anna", None);
        let take = ev(Take, "olle", Some("olle"));
        match state {
            AppState::Draft => vec![],
            AppState::Submitted => vec![submit],
            AppState::Incomplete => vec![submit, ev(Return, "olle", None)],
            AppState::UnderReview => vec![submit, take],
            AppState::Approved => vec![submit, take, ev(Approve, "dora", None)],
            AppState::Rejected => vec![submit, take, ev(Reject, "dora", None)],
            AppState::Withdrawn => vec![submit, ev(Withdraw, "anna", None)],
        }
    }

    /// Who acts, relative to the case.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Who {
        TheApplicant,
        AnotherApplicant,
        TheAssignedOfficer,
        AnotherOfficer,
        DecisionMaker,
        Admin,
        Holder,
        Registrar,
    }

    const EVERYONE: [Who; 8] = [
        Who::TheApplicant,
        Who::AnotherApplicant,
        Who::TheAssignedOfficer,
        Who::AnotherOfficer,
        Who::DecisionMaker,
        Who::Admin,
        Who::Holder,
        Who::Registrar,
    ];

    impl Who {
        fn label(self) -> &'static str {
            match self {
                Who::TheApplicant => "the applicant",
                Who::AnotherApplicant => "another applicant",
                Who::TheAssignedOfficer => "the assigned officer",
                Who::AnotherOfficer => "another officer",
                Who::DecisionMaker => "decision maker",
                Who::Admin => "admin",
                Who::Holder => "holder",
                Who::Registrar => "registrar",
            }
        }
    }

    fn actor(who: Who) -> User {
        match who {
            Who::TheApplicant => user("anna", &[Role::Applicant]),
            Who::AnotherApplicant => user("bo", &[Role::Applicant]),
            Who::TheAssignedOfficer => user("olle", &[Role::CaseOfficer]),
            Who::AnotherOfficer => user("stina", &[Role::CaseOfficer]),
            Who::DecisionMaker => user("dora", &[Role::DecisionMaker]),
            Who::Admin => user("admin", &[Role::Admin]),
            Who::Holder => user("sara", &[Role::DataHolder]),
            Who::Registrar => user("otto", &[Role::OptOutRegistrar]),
        }
    }

    /// The matrix as the regulation and the design say it, written out cell by cell:
    /// (state, command, who) → allowed. Everything not listed is refused.
    fn allowed(state: AppState, command: CaseCommand, who: Who) -> bool {
        use AppState::*;
        use CaseCommand::*;
        use Who::*;
        let open = matches!(state, Draft | Submitted | Incomplete | UnderReview);
        match command {
            Submit => who == TheApplicant && matches!(state, Draft | Incomplete),
            Withdraw => who == TheApplicant && open,
            // In `submitted` no one holds the case yet: any officer may take or return it.
            Take => state == Submitted && matches!(who, TheAssignedOfficer | AnotherOfficer),
            Return => match state {
                Submitted => matches!(who, TheAssignedOfficer | AnotherOfficer),
                UnderReview => who == TheAssignedOfficer,
                _ => false,
            },
            Extend => match state {
                Submitted => matches!(who, TheAssignedOfficer | AnotherOfficer),
                UnderReview => who == TheAssignedOfficer,
                _ => false,
            },
            Assign => match state {
                Submitted => matches!(who, TheAssignedOfficer | AnotherOfficer | Admin),
                UnderReview => matches!(who, TheAssignedOfficer | Admin),
                _ => false,
            },
            Approve | Reject => state == UnderReview && who == DecisionMaker,
        }
    }

    /// What the case page offers each viewer in each state, written out as the page shows
    /// it (the command, `*` where it asks for a reason), computed from `permits` alone.
    #[test]
    fn the_case_page_offers_exactly_these_commands_per_state_and_viewer() {
        let expected = "\
draft: the applicant: submit withdraw
submitted: the applicant: withdraw | the assigned officer: take assign return* extend* | another officer: take assign return* extend* | admin: assign
incomplete: the applicant: submit withdraw
under_review: the applicant: withdraw | the assigned officer: assign return* extend* | decision maker: approve* reject* | admin: assign
approved: -
rejected: -
withdrawn: -
";
        let mut table = String::new();
        for state in AppState::ALL {
            let events = history(state);
            let case = CaseView {
                applicant: "anna",
                events: &events,
            };
            let cells: Vec<String> = EVERYONE
                .iter()
                .filter_map(|who| {
                    let offered = crate::access::offered_commands(&actor(*who), case);
                    (!offered.is_empty()).then(|| {
                        let commands: Vec<String> = offered
                            .iter()
                            .map(|o| {
                                format!(
                                    "{}{}",
                                    o.command.as_str(),
                                    if o.needs_reason { "*" } else { "" }
                                )
                            })
                            .collect();
                        format!("{}: {}", who.label(), commands.join(" "))
                    })
                })
                .collect();
            let line = if cells.is_empty() {
                "-".to_string()
            } else {
                cells.join(" | ")
            };
            table.push_str(&format!("{state}: {line}\n"));
        }
        assert_eq!(table, expected);
        // And the page offers nothing the matrix refuses.
        for state in AppState::ALL {
            let events = history(state);
            let case = CaseView {
                applicant: "anna",
                events: &events,
            };
            for who in EVERYONE {
                for o in crate::access::offered_commands(&actor(who), case) {
                    assert!(
                        allowed(state, o.command, who),
                        "{state} {who:?} {:?}",
                        o.command
                    );
                }
            }
        }
    }

    #[test]
    fn every_cell_of_the_permission_matrix() {
        let mut cells = 0;
        for state in AppState::ALL {
            let events = history(state);
            assert_eq!(state_of(&events), state);
            let case = CaseView {
                applicant: "anna",
                events: &events,
            };
            for command in CaseCommand::ALL {
                for who in EVERYONE {
                    let result = decide(&actor(who), case, command, "reason", Some("stina"));
                    assert_eq!(
                        result.is_ok(),
                        allowed(state, command, who),
                        "{who:?} {command:?} in {state:?}: {result:?}"
                    );
                    if let Err(refusal) = result {
                        assert!(!refusal.to_string().is_empty());
                    }
                    cells += 1;
                }
            }
        }
        assert_eq!(cells, 7 * 8 * 8);
    }

    #[test]
    fn decision_by_the_applicant_themself_is_refused() {
        let anna = user("anna", &[Role::Applicant, Role::DecisionMaker]);
        let events = history(AppState::UnderReview);
        let case = CaseView {
            applicant: "anna",
            events: &events,
        };
        assert_eq!(
            decide(&anna, case, CaseCommand::Approve, "ok", None),
            Err(Refusal::ApplicantDecides)
        );
    }

    #[test]
    fn decision_by_the_preparing_officer_is_refused_even_after_handing_over() {
        let olle = user("olle", &[Role::CaseOfficer, Role::DecisionMaker]);
        let mut events = history(AppState::UnderReview);
        let case = CaseView {
            applicant: "anna",
            events: &events,
        };
        assert_eq!(
            decide(&olle, case, CaseCommand::Approve, "ok", None),
            Err(Refusal::PreparerDecides)
        );
        events.push(ev(CaseCommand::Assign, "olle", Some("stina")));
        let case = CaseView {
            applicant: "anna",
            events: &events,
        };
        assert_eq!(
            decide(&olle, case, CaseCommand::Approve, "ok", None),
            Err(Refusal::PreparerDecides)
        );
    }

    #[test]
    fn decisions_and_returns_need_reasons_and_extension_happens_once() {
        let dora = user("dora", &[Role::DecisionMaker]);
        let olle = user("olle", &[Role::CaseOfficer]);
        let mut events = history(AppState::UnderReview);
        let case = CaseView {
            applicant: "anna",
            events: &events,
        };
        assert_eq!(
            decide(&dora, case, CaseCommand::Reject, " ", None),
            Err(Refusal::NoReason("reject"))
        );
        assert_eq!(
            decide(&olle, case, CaseCommand::Return, "", None),
            Err(Refusal::NoReason("return"))
        );
        events.push(ev(CaseCommand::Extend, "olle", None));
        let case = CaseView {
            applicant: "anna",
            events: &events,
        };
        assert_eq!(
            decide(&olle, case, CaseCommand::Extend, "again", None),
            Err(Refusal::AlreadyExtended)
        );
    }

    #[test]
    fn only_people_with_a_part_in_the_case_may_read_it() {
        let events = history(AppState::UnderReview);
        let case = CaseView {
            applicant: "anna",
            events: &events,
        };
        let spe = vec!["anna".to_string(), "carl".to_string()];
        let may = |u: User| may_read(&u, case, &spe);
        assert!(may(user("anna", &[Role::Applicant])));
        assert!(may(user("carl", &[Role::Applicant])));
        assert!(may(user("olle", &[Role::CaseOfficer])));
        assert!(may(user("dora", &[Role::DecisionMaker])));
        assert!(!may(user("bo", &[Role::Applicant])));
        assert!(!may(user("stina", &[Role::CaseOfficer])));
        // A submitted case no one has taken is open to every officer, to take it.
        let submitted = history(AppState::Submitted);
        let waiting = CaseView {
            applicant: "anna",
            events: &submitted,
        };
        assert!(may_read(
            &user("stina", &[Role::CaseOfficer]),
            waiting,
            &spe
        ));
        assert!(!may_read(&user("bo", &[Role::Applicant]), waiting, &spe));
        let draft = history(AppState::Draft);
        let draft = CaseView {
            applicant: "anna",
            events: &draft,
        };
        assert!(!may_read(&user("stina", &[Role::CaseOfficer]), draft, &spe));
    }

    #[test]
    fn state_is_the_fold_of_events() {
        let e = |c| ev(c, "x", None);
        let events = [
            e(CaseCommand::Submit),
            e(CaseCommand::Return),
            e(CaseCommand::Submit),
            ev(CaseCommand::Take, "olle", Some("olle")),
            e(CaseCommand::Extend),
            e(CaseCommand::Approve),
        ];
        assert_eq!(state_of(&events), AppState::Approved);
        assert_eq!(state_of(&events[..2]), AppState::Incomplete);
        assert_eq!(assignee_of(&events), Some("olle"));
    }
}
