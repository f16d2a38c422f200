//! The output request's matrix written out: who × state × command, and the findings' pair.

use super::*;
use crate::fixtures::user;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// A permit naming "anna" (the requester) and "bo", valid until 2030.
fn permit(revoked: bool) -> Permit {
    Permit {
        spe_users: vec!["anna".into(), "bo".into()],
        ..crate::fixtures::permit(day(2030, 1, 1), revoked)
    }
}

fn ev(command: OutputCommand, actor: &str) -> OutputEvent {
    OutputEvent {
        command,
        actor: actor.into(),
        at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

#[test]
fn the_state_folds_from_the_events_and_approvals_start_over_on_resubmission() {
    use OutputCommand::*;
    let one = [ev(Submit, "anna"), ev(Approve, "cia")];
    assert_eq!(
        output_state(&one),
        (OutputState::UnderReview, vec!["cia".into()])
    );
    let same_twice = [ev(Submit, "anna"), ev(Approve, "cia"), ev(Approve, "cia")];
    assert_eq!(output_state(&same_twice).0, OutputState::UnderReview);
    let two = [ev(Submit, "anna"), ev(Approve, "cia"), ev(Approve, "dan")];
    assert_eq!(output_state(&two).0, OutputState::Approved);
    let again = [
        ev(Submit, "anna"),
        ev(Approve, "cia"),
        ev(Return, "dan"),
        ev(Submit, "anna"),
    ];
    assert_eq!(output_state(&again), (OutputState::Checked, vec![]));
    let out = [two.as_slice(), &[ev(Release, "dan")]].concat();
    assert_eq!(output_state(&out).0, OutputState::Released);
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Requester,
    Member,
    Checker,
    CheckerWhoApproved,
    CheckerAndMember,
    Officer,
}

fn who(w: Who) -> User {
    match w {
        Who::Requester => user("anna", &[Role::Applicant]),
        Who::Member => user("bo", &[Role::Applicant]),
        Who::Checker => user("dan", &[Role::OutputChecker]),
        Who::CheckerWhoApproved => user("cia", &[Role::OutputChecker]),
        Who::CheckerAndMember => user("bo", &[Role::OutputChecker]),
        Who::Officer => user("olle", &[Role::CaseOfficer, Role::DecisionMaker]),
    }
}

/// The matrix: for every who, state and command, allowed or not, on a clean request
/// (no findings), the permit usable.
#[test]
fn every_cell_of_the_output_matrix() {
    use OutputCommand as C;
    use OutputState as S;
    let permit = permit(false);
    let today = day(2027, 1, 1);
    let states = [
        S::Checked,
        S::UnderReview,
        S::Approved,
        S::Released,
        S::Returned,
        S::Rejected,
    ];
    for w in [
        Who::Requester,
        Who::Member,
        Who::Checker,
        Who::CheckerWhoApproved,
        Who::CheckerAndMember,
        Who::Officer,
    ] {
        for state in states {
            for command in OutputCommand::ALL {
                let approvals: Vec<String> = match state {
                    S::UnderReview => vec!["cia".into()],
                    S::Approved | S::Released => vec!["cia".into(), "eva".into()],
                    _ => vec![],
                };
                let view = OutputView {
                    requester: "anna",
                    permit: &permit,
                    state,
                    approvals: &approvals,
                    blocking_findings: 0,
                    unjustified_findings: 0,
                };
                let open = matches!(state, S::Checked | S::UnderReview);
                let checker = matches!(w, Who::Checker | Who::CheckerWhoApproved);
                let expected = match command {
                    C::Submit => {
                        matches!(w, Who::Requester | Who::Member | Who::CheckerAndMember)
                            && state == S::Returned
                    }
                    C::Justify => w == Who::Requester && open,
                    C::Approve => {
                        checker
                            && open
                            && !(w == Who::CheckerWhoApproved && state == S::UnderReview)
                    }
                    C::Return | C::Reject => checker && open,
                    C::Release => checker && state == S::Approved,
                };
                let got = decide_output(&who(w), view, command, today);
                assert_eq!(
                    got.is_ok(),
                    expected,
                    "{w:?} {state:?} {command:?}: {got:?}"
                );
            }
        }
    }
}

#[test]
fn findings_block_approval_and_an_unusable_permit_blocks_submission_and_release() {
    let usable = permit(false);
    let approvals = vec!["cia".to_string(), "eva".to_string()];
    let view = |permit, state, blocking, unjustified| OutputView {
        requester: "anna",
        permit,
        state,
        approvals: &approvals[..1],
        blocking_findings: blocking,
        unjustified_findings: unjustified,
    };
    let today = day(2027, 1, 1);
    let checker = who(Who::Checker);
    let refused = |v, c| decide_output(&checker, v, c, today).unwrap_err().0;
    assert!(
        refused(
            view(&usable, OutputState::Checked, 1, 0),
            OutputCommand::Approve
        )
        .contains("may never leave")
    );
    assert!(
        refused(
            view(&usable, OutputState::Checked, 0, 2),
            OutputCommand::Approve
        )
        .contains("no justification")
    );
    // A checker may still return or reject such a request.
    assert!(
        decide_output(
            &checker,
            view(&usable, OutputState::Checked, 1, 0),
            OutputCommand::Return,
            today
        )
        .is_ok()
    );
    let revoked = permit(true);
    let approved = OutputView {
        approvals: &approvals,
        ..view(&revoked, OutputState::Approved, 0, 0)
    };
    assert!(refused(approved, OutputCommand::Release).contains("revoked"));
    let returned = view(&revoked, OutputState::Returned, 0, 0);
    let anna = who(Who::Requester);
    let why = decide_output(&anna, returned, OutputCommand::Submit, today).unwrap_err();
    assert!(why.0.contains("revoked"), "{why}");
    let expired = decide_output(
        &checker,
        OutputView {
            approvals: &approvals,
            ..view(&usable, OutputState::Approved, 0, 0)
        },
        OutputCommand::Release,
        day(2031, 1, 1),
    );
    assert!(expired.unwrap_err().0.contains("expired"));
}

#[test]
fn a_finding_needs_an_officer_and_a_decision_maker_not_named_in_the_permit() {
    let permit = permit(false);
    let olle = user("olle", &[Role::CaseOfficer]);
    let dora = user("dora", &[Role::DecisionMaker]);
    let olga = user("olga", &[Role::CaseOfficer]);
    let bo = user("bo", &[Role::CaseOfficer]);
    let checker = user("dan", &[Role::OutputChecker]);
    assert_eq!(
        decide_finding(&olle, &permit, &[]),
        Ok((Role::CaseOfficer, false))
    );
    let first = [("olle".to_string(), Role::CaseOfficer)];
    assert!(decide_finding(&olle, &permit, &first).is_err());
    assert!(
        decide_finding(&olga, &permit, &first).is_err(),
        "two officers"
    );
    assert_eq!(
        decide_finding(&dora, &permit, &first),
        Ok((Role::DecisionMaker, true))
    );
    assert!(
        decide_finding(&bo, &permit, &[]).is_err(),
        "named in the permit"
    );
    assert!(decide_finding(&checker, &permit, &[]).is_err());
    assert!(may_refuse_finding(&checker, &permit).is_err());
    assert!(may_refuse_finding(&dora, &permit).is_ok());
    let anna = user("anna", &[Role::Applicant]);
    assert!(may_report_finding(&anna, &permit, day(2027, 1, 1)).is_ok());
    assert!(may_report_finding(&checker, &permit, day(2027, 1, 1)).is_err());
}

#[test]
fn publication_is_due_eighteen_months_after_the_end() {
    let mut p = permit(false);
    assert_eq!(publication_due(&p), day(2031, 7, 1));
    p.revoked_at = Some(DateTime::<Utc>::UNIX_EPOCH);
    assert_eq!(publication_due(&p), day(1971, 7, 1));
}
