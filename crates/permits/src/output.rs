//! Who may take what out of the SPE: output requests (EHDS Art. 73), significant findings
//! (Art. 61(5)) and the record of publications (Art. 61(4)).
//!
//! An output request's state is a fold over its events, like a case's: `submitted` (and
//! checked by the automated rules at once) → `under_review` after a first approval →
//! `approved` after a second, by another checker → `released`; or `returned` (the
//! researcher changes it and submits a new version; approvals start over) or `rejected`.
//! [`decide_output`] is the one place that says who may do each step: the permit's SPE
//! users submit, justify and resubmit while the permit is usable; output checkers who are
//! neither the requester nor named in the permit review and release.

use crate::Permit;
use crate::access::Denied;
use crate::workflow::{Role, User};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Approvals an output request needs, each by a different checker.
pub const APPROVALS_NEEDED: usize = 2;

/// Months after a permit's end within which a publication of its results is expected.
pub const PUBLICATION_MONTHS: u32 = 18;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputState {
    /// Submitted and checked by the automated rules; waiting for a checker.
    Checked,
    /// One approval so far.
    UnderReview,
    /// Two approvals: may be released.
    Approved,
    Released,
    /// Sent back to the researcher to change and resubmit.
    Returned,
    Rejected,
}

impl OutputState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutputState::Checked => "checked",
            OutputState::UnderReview => "under_review",
            OutputState::Approved => "approved",
            OutputState::Released => "released",
            OutputState::Returned => "returned",
            OutputState::Rejected => "rejected",
        }
    }
}

/// One step of an output request, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputCommand {
    /// A new request, or a new version of a returned one.
    Submit,
    /// The researcher's reason why a finding is not disclosive (ACRO's exception request).
    Justify,
    Approve,
    Return,
    Reject,
    Release,
}

impl OutputCommand {
    pub const ALL: [OutputCommand; 6] = [
        OutputCommand::Submit,
        OutputCommand::Justify,
        OutputCommand::Approve,
        OutputCommand::Return,
        OutputCommand::Reject,
        OutputCommand::Release,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutputCommand::Submit => "submit",
            OutputCommand::Justify => "justify",
            OutputCommand::Approve => "approve",
            OutputCommand::Return => "return",
            OutputCommand::Reject => "reject",
            OutputCommand::Release => "release",
        }
    }

    pub fn parse(s: &str) -> Option<OutputCommand> {
        OutputCommand::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Review steps that must say why.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            OutputCommand::Return | OutputCommand::Reject | OutputCommand::Justify
        )
    }
}

/// One stored step: who did what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputEvent {
    pub command: OutputCommand,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// The state after `events` (the first is the submission), and who approved the current
/// version.
pub fn output_state(events: &[OutputEvent]) -> (OutputState, Vec<String>) {
    let mut state = OutputState::Checked;
    let mut approvals: Vec<String> = Vec::new();
    for e in events {
        match e.command {
            OutputCommand::Submit => {
                state = OutputState::Checked;
                approvals.clear();
            }
            OutputCommand::Justify => {}
            OutputCommand::Approve => {
                if !approvals.contains(&e.actor) {
                    approvals.push(e.actor.clone());
                }
                state = if approvals.len() >= APPROVALS_NEEDED {
                    OutputState::Approved
                } else {
                    OutputState::UnderReview
                };
            }
            OutputCommand::Return => state = OutputState::Returned,
            OutputCommand::Reject => state = OutputState::Rejected,
            OutputCommand::Release => state = OutputState::Released,
        }
    }
    (state, approvals)
}

/// What [`decide_output`] needs to know of a request.
#[derive(Debug, Clone, Copy)]
pub struct OutputView<'a> {
    pub requester: &'a str,
    pub permit: &'a Permit,
    pub state: OutputState,
    pub approvals: &'a [String],
    /// The current version's automated findings: any that may never leave (an identifier,
    /// a pseudonym, record-level data), and any disclosive one still without a justification.
    pub blocking_findings: usize,
    pub unjustified_findings: usize,
}

/// May `user` ask for a new output of `permit` today? Its SPE users, while it is usable.
pub fn require_submitter(user: &User, permit: &Permit, today: NaiveDate) -> Result<(), Denied> {
    crate::workspace::require_named_while_usable(
        user,
        permit,
        today,
        "only the people it names submit its outputs",
        "nothing more leaves its SPE",
    )
}

/// May `user` take `command` on the request now? `today` decides whether the permit is
/// still usable (submitting and releasing need a usable permit).
pub fn decide_output(
    user: &User,
    view: OutputView<'_>,
    command: OutputCommand,
    today: NaiveDate,
) -> Result<(), Denied> {
    let permit = view.permit;
    let usable = || -> Result<(), Denied> {
        permit
            .check_usable(today)
            .map_err(|e| Denied(format!("{e}: nothing more leaves its SPE")))
    };
    let state = view.state;
    match command {
        OutputCommand::Submit => {
            require_submitter(user, permit, today)?;
            if state != OutputState::Returned {
                return Err(Denied(format!(
                    "a request that is {} cannot be resubmitted; only a returned one",
                    state.as_str()
                )));
            }
            Ok(())
        }
        OutputCommand::Justify => {
            if user.id != view.requester {
                return Err(Denied(format!(
                    "only the requester '{}' justifies findings",
                    view.requester
                )));
            }
            open_for(state, command)
        }
        OutputCommand::Approve | OutputCommand::Return | OutputCommand::Reject => {
            independent_checker(user, view)?;
            open_for(state, command)?;
            if command == OutputCommand::Approve {
                usable()?;
                if view.approvals.iter().any(|a| a == &user.id) {
                    return Err(Denied(format!(
                        "'{}' has already approved this version; a second checker must approve",
                        user.id
                    )));
                }
                if view.blocking_findings > 0 {
                    return Err(Denied(format!(
                        "{} finding(s) may never leave the SPE (identifiers, pseudonyms or record-level data): return or reject it",
                        view.blocking_findings
                    )));
                }
                if view.unjustified_findings > 0 {
                    return Err(Denied(format!(
                        "{} disclosive finding(s) have no justification from the researcher: return it, or wait for one",
                        view.unjustified_findings
                    )));
                }
            }
            Ok(())
        }
        OutputCommand::Release => {
            independent_checker(user, view)?;
            usable()?;
            if state != OutputState::Approved {
                return Err(Denied(format!(
                    "a request is released after {APPROVALS_NEEDED} approvals; this one is {} with {}",
                    state.as_str(),
                    view.approvals.len()
                )));
            }
            Ok(())
        }
    }
}

/// The review steps a request's page offers `user` now: exactly those [`decide_output`]
/// allows (approve, return, reject, release), and whether `user` may justify findings.
pub fn offered_output_commands(
    user: &User,
    view: OutputView<'_>,
    today: NaiveDate,
) -> Vec<OutputCommand> {
    OutputCommand::ALL
        .into_iter()
        .filter(|c| *c != OutputCommand::Submit)
        .filter(|c| decide_output(user, view, *c, today).is_ok())
        .collect()
}

fn open_for(state: OutputState, command: OutputCommand) -> Result<(), Denied> {
    if matches!(state, OutputState::Checked | OutputState::UnderReview) {
        Ok(())
    } else {
        Err(Denied(format!(
            "{} is not possible: the request is {}",
            command.as_str(),
            state.as_str()
        )))
    }
}

/// An output checker who is neither the requester nor one of the permit's people.
fn independent_checker(user: &User, view: OutputView<'_>) -> Result<(), Denied> {
    if !user.has(Role::OutputChecker) {
        return Err(Denied(format!(
            "reviewing outputs needs the role output_checker; user '{}' does not have it",
            user.id
        )));
    }
    if user.id == view.requester {
        return Err(Denied(format!(
            "'{}' asked for this output and cannot review it",
            user.id
        )));
    }
    if view.permit.spe_users.iter().any(|u| u == &user.id) {
        return Err(Denied(format!(
            "'{}' is named in permit {} and cannot review its outputs",
            user.id, view.permit.id
        )));
    }
    Ok(())
}

/// May `user` read an output request: the permit's people, and output checkers.
pub fn may_read_output(user: &User, permit: &Permit) -> bool {
    permit.spe_users.iter().any(|u| u == &user.id)
        || user.has(Role::OutputChecker)
        || user.has(Role::Admin)
}

/// May `user` report a significant finding about a person of `permit`? Its people, while
/// the permit is usable.
pub fn may_report_finding(user: &User, permit: &Permit, today: NaiveDate) -> Result<(), Denied> {
    if !permit.spe_users.iter().any(|u| u == &user.id) {
        return Err(Denied(format!(
            "only the people named in permit {} report its significant findings",
            permit.id
        )));
    }
    permit
        .check_usable(today)
        .map_err(|e| Denied(e.to_string()))
}

/// May `user` approve a finding's re-identification, given who approved so far? One case
/// officer and one decision maker, two different people, never someone named in the
/// permit. Returns the role the approval counts as, and whether it completes the pair.
/// Refusing needs only to be one of those officials ([`may_refuse_finding`]).
pub fn decide_finding(
    user: &User,
    permit: &Permit,
    approvals: &[(String, Role)],
) -> Result<(Role, bool), Denied> {
    may_refuse_finding(user, permit)?;
    if approvals.iter().any(|(a, _)| a == &user.id) {
        return Err(Denied(format!(
            "'{}' has already approved; the second approval is another official's",
            user.id
        )));
    }
    let has = |r: Role| approvals.iter().any(|(_, role)| *role == r);
    let role = [Role::CaseOfficer, Role::DecisionMaker]
        .into_iter()
        .find(|r| user.has(*r) && !has(*r))
        .ok_or_else(|| {
            Denied(format!(
                "a re-identification needs one case officer and one decision maker; '{}' adds neither",
                user.id
            ))
        })?;
    Ok((role, approvals.len() + 1 >= 2))
}

/// May `user` refuse (or approve) a finding's re-identification at all? Case officers and
/// decision makers not named in the permit.
pub fn may_refuse_finding(user: &User, permit: &Permit) -> Result<(), Denied> {
    if !(user.has(Role::CaseOfficer) || user.has(Role::DecisionMaker)) {
        return Err(Denied(format!(
            "re-identification is decided by a case officer and a decision maker; '{}' is neither",
            user.id
        )));
    }
    if permit.spe_users.iter().any(|u| u == &user.id) {
        return Err(Denied(format!(
            "'{}' is named in permit {} and cannot decide its re-identifications",
            user.id, permit.id
        )));
    }
    Ok(())
}

/// The day a permit's results are overdue for publication: [`PUBLICATION_MONTHS`] after it
/// ended (revoked or expired).
pub fn publication_due(permit: &Permit) -> NaiveDate {
    let end = permit
        .revoked_at
        .map(|r| r.date_naive())
        .unwrap_or(permit.valid_until)
        .min(permit.valid_until);
    end.checked_add_months(chrono::Months::new(PUBLICATION_MONTHS))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests;
