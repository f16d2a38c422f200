//! The permission matrix written out cell by cell, and what the case page offers.

use super::*;
use crate::fixtures::user;

/// A case of applicant "anna" with these events.
fn anna_case(events: &[CaseEvent]) -> CaseView<'_> {
    CaseView {
        applicant: "anna",
        events,
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
        let case = anna_case(&events);
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
        let case = anna_case(&events);
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
        let case = anna_case(&events);
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
    let case = anna_case(&events);
    assert_eq!(
        decide(&anna, case, CaseCommand::Approve, "ok", None),
        Err(Refusal::ApplicantDecides)
    );
}

#[test]
fn decision_by_the_preparing_officer_is_refused_even_after_handing_over() {
    let olle = user("olle", &[Role::CaseOfficer, Role::DecisionMaker]);
    let mut events = history(AppState::UnderReview);
    let case = anna_case(&events);
    assert_eq!(
        decide(&olle, case, CaseCommand::Approve, "ok", None),
        Err(Refusal::PreparerDecides)
    );
    events.push(ev(CaseCommand::Assign, "olle", Some("stina")));
    let case = anna_case(&events);
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
    let case = anna_case(&events);
    assert_eq!(
        decide(&dora, case, CaseCommand::Reject, " ", None),
        Err(Refusal::NoReason("reject"))
    );
    assert_eq!(
        decide(&olle, case, CaseCommand::Return, "", None),
        Err(Refusal::NoReason("return"))
    );
    events.push(ev(CaseCommand::Extend, "olle", None));
    let case = anna_case(&events);
    assert_eq!(
        decide(&olle, case, CaseCommand::Extend, "again", None),
        Err(Refusal::AlreadyExtended)
    );
}

#[test]
fn only_people_with_a_part_in_the_case_may_read_it() {
    let events = history(AppState::UnderReview);
    let case = anna_case(&events);
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
