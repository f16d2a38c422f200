//! Who may do what outside a case's state machine — the other half of the role matrix.
//!
//! Every command that is not a case command names a [`Duty`]; [`require`] says whether a
//! user may perform it. Ownership (a holder's own datasets), object-level reads (a permit's
//! people, a data request's requester) and what the web pages offer a user are predicates
//! here too, so `app`, `server`, `store` and `cli` ask and never decide. [`offered_commands`]
//! is the list of case commands a case page offers, computed from [`crate::decide`] alone.

use crate::workflow::{CaseCommand, CaseView, Role, User, decide};
use crate::{Permit, Refusal};

/// A command, or a view, that needs a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    AddUsers,
    ListUsers,
    ManageKeys,
    RotateKeys,
    VerifyAudit,
    ReadAudit,
    RegisterDataset,
    ConfirmDescription,
    UploadData,
    Apply,
    AskForStatistics,
    RunExtraction,
    AnswerDataRequests,
    ChangeOptOuts,
    ReadOptOuts,
    AmendPermit,
    RevokePermit,
    ListEveryPermit,
    ViewQueue,
    /// The re-identification risk of an application's request, before the decision.
    PreviewRisk,
    ViewHolderDatasets,
    ViewOverdue,
    EraseData,
    /// The signed feed of who may use each permit's workspace (an external SPE).
    ReadEntitlements,
    /// Making the host's workspace accounts and groups match the permits.
    ManageSpe,
    /// Tying a user to an operating-system account or an identity provider's subject.
    LinkIdentities,
    /// Webhooks and the log of notices sent.
    ManageNotifications,
    /// Seeing data orders: a holder its own, the HDAB's staff every one.
    ViewOrders,
    /// Giving a holder more time (once, with a reason).
    ExtendOrders,
    /// Estimating a case's fees before the decision, and invoicing after delivery.
    ChargeFees,
    /// Asking for an opinion on a case, recording the answer, closing it with a reason.
    Consult,
    /// Approving or refusing a data request (Art. 69), with reasons.
    DecideDataRequests,
}

impl Duty {
    /// The roles any one of which allows the duty.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Duty::AddUsers
            | Duty::ListUsers
            | Duty::ManageKeys
            | Duty::RotateKeys
            | Duty::VerifyAudit
            | Duty::ReadAudit
            | Duty::EraseData
            | Duty::ManageSpe
            | Duty::LinkIdentities
            | Duty::ManageNotifications => &[Admin],
            // An administrator may act for any holder (registering a holder's first
            // description, correcting one).
            Duty::RegisterDataset
            | Duty::ConfirmDescription
            | Duty::UploadData
            | Duty::ViewHolderDatasets => &[DataHolder, Admin],
            Duty::Apply | Duty::AskForStatistics => &[Applicant],
            Duty::RunExtraction | Duty::AnswerDataRequests => &[CaseOfficer],
            Duty::ChangeOptOuts | Duty::ReadOptOuts => &[OptOutRegistrar],
            Duty::AmendPermit | Duty::RevokePermit => &[DecisionMaker],
            Duty::ListEveryPermit | Duty::ViewQueue => &[CaseOfficer, DecisionMaker, Admin],
            Duty::PreviewRisk => &[CaseOfficer, DecisionMaker],
            Duty::ViewOverdue => &[DataHolder, CaseOfficer, Admin],
            Duty::ReadEntitlements => &[SpeOperator, Admin],
            Duty::ViewOrders => &[DataHolder, CaseOfficer, DecisionMaker, Admin],
            Duty::ExtendOrders | Duty::ChargeFees | Duty::Consult => &[CaseOfficer],
            Duty::DecideDataRequests => &[DecisionMaker],
        }
    }

    /// How a refusal says what was asked.
    fn what(self) -> &'static str {
        match self {
            Duty::AddUsers => "adding users",
            Duty::ListUsers => "listing users",
            Duty::ManageKeys => "managing keys",
            Duty::RotateKeys => "rotating keys",
            Duty::VerifyAudit => "verifying the audit log",
            Duty::ReadAudit => "reading the audit log",
            Duty::RegisterDataset => "registering a dataset",
            Duty::ConfirmDescription => "confirming a description",
            Duty::UploadData => "uploading data",
            Duty::Apply => "applying for data",
            Duty::AskForStatistics => "asking for statistics",
            Duty::RunExtraction => "running an extraction",
            Duty::AnswerDataRequests => "answering data requests",
            Duty::ChangeOptOuts => "changing the opt-out registry",
            Duty::ReadOptOuts => "reading the opt-out registry",
            Duty::AmendPermit => "permit.amend",
            Duty::RevokePermit => "permit.revoke",
            Duty::ListEveryPermit => "listing every permit",
            Duty::ViewQueue => "the case queue",
            Duty::PreviewRisk => "case.risk",
            Duty::ViewHolderDatasets => "a holder's datasets",
            Duty::ViewOverdue => "overdue confirmations",
            Duty::EraseData => "erasing permits' data",
            Duty::ReadEntitlements => "the entitlements feed",
            Duty::ManageSpe => "spe.sync",
            Duty::LinkIdentities => "linking users to accounts",
            Duty::ManageNotifications => "webhooks and the notices sent",
            Duty::ViewOrders => "seeing data orders",
            Duty::ExtendOrders => "extending a data order",
            Duty::ChargeFees => "estimating and invoicing fees",
            Duty::Consult => "consultations on a case",
            Duty::DecideDataRequests => "deciding a data request",
        }
    }
}

/// A refusal outside the case state machine; its text says what was missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

impl From<Refusal> for Denied {
    fn from(r: Refusal) -> Self {
        Denied(r.to_string())
    }
}

/// May `user` perform `duty`?
pub fn may(user: &User, duty: Duty) -> bool {
    duty.roles().iter().any(|r| user.has(*r))
}

/// [`may`], with a refusal that names the duty and the role it needs.
pub fn require(user: &User, duty: Duty) -> Result<(), Denied> {
    if may(user, duty) {
        return Ok(());
    }
    Err(Denied(match duty {
        Duty::ViewQueue => "the case queue is for case officers and decision makers".into(),
        Duty::PreviewRisk => {
            "the risk preview of a request is for case officers and decision makers".into()
        }
        Duty::ViewHolderDatasets => format!(
            "a holder's datasets are shown to its data holders; user '{}' is not one",
            user.id
        ),
        Duty::ViewOverdue => format!(
            "overdue confirmations are shown to data holders and case officers; user '{}' is neither",
            user.id
        ),
        _ => format!(
            "{} needs the role {}; user '{}' does not have it",
            duty.what(),
            duty.roles()[0].as_str(),
            user.id
        ),
    }))
}

/// Does `user` act for `holder` (the organisation that holds a dataset)? Administrators act
/// for every holder.
pub fn acts_for_holder(user: &User, holder: &str) -> bool {
    user.has(Role::Admin) || (user.has(Role::DataHolder) && user.organisation == holder)
}

/// [`acts_for_holder`], refused with the dataset and both organisations named.
pub fn require_holder(user: &User, dataset_id: &str, holder: &str) -> Result<(), Denied> {
    if acts_for_holder(user, holder) {
        Ok(())
    } else {
        Err(Denied(format!(
            "dataset '{dataset_id}' belongs to holder '{holder}'; user '{}' is with '{}'",
            user.id, user.organisation
        )))
    }
}

/// Does `user` see every holder's datasets (overdue lists), rather than their own?
pub fn sees_every_holder(user: &User) -> bool {
    user.has(Role::CaseOfficer) || user.has(Role::Admin)
}

/// Whose data orders `user` sees: `None` every holder's (the HDAB's staff), otherwise its
/// own organisation's.
pub fn orders_holder(user: &User) -> Option<&str> {
    if user.has(Role::CaseOfficer) || user.has(Role::DecisionMaker) || user.has(Role::Admin) {
        None
    } else {
        Some(user.organisation.as_str())
    }
}

/// May `user` record the answer to a consultation? Case officers (who receive answers by
/// letter or e-mail), and a data holder's own users when their organisation is asked.
pub fn may_answer_consultation(user: &User, c: &crate::consultations::Consultation) -> bool {
    user.has(Role::CaseOfficer)
        || (c.kind == crate::consultations::ConsultationKind::DataHolder
            && user.has(Role::DataHolder)
            && user.organisation == c.addressee)
}

/// May `user` read a dataset's uploads and their check reports? Its holder, case officers
/// and admins.
pub fn may_read_uploads(user: &User, holder: &str) -> bool {
    (user.has(Role::DataHolder) && user.organisation == holder)
        || user.has(Role::CaseOfficer)
        || user.has(Role::Admin)
}

/// May `user` learn that a case exists whatever their part in it (to be told "not allowed"
/// rather than "not found")? Case staff.
pub fn is_case_staff(user: &User) -> bool {
    [Role::CaseOfficer, Role::DecisionMaker, Role::Admin]
        .iter()
        .any(|r| user.has(*r))
}

/// May `user` change an application's content? Only its applicant (the state is the state
/// machine's question).
pub fn may_change_application(user_id: &str, applicant: &str) -> bool {
    user_id == applicant
}

/// May `user` see a permit and its deliveries? The people it names, and case staff.
pub fn may_see_permit(user: &User, permit: &Permit) -> bool {
    permit.spe_users.iter().any(|u| u == &user.id) || is_case_staff(user)
}

/// [`may_see_permit`], refused with the permit named.
pub fn require_permit_reader(user: &User, permit: &Permit) -> Result<(), Denied> {
    if may_see_permit(user, permit) {
        Ok(())
    } else {
        Err(Denied(format!(
            "user '{}' is not named in permit {}",
            user.id, permit.id
        )))
    }
}

/// May `user` start an extraction of `permit` from its page? Case officers, while the permit
/// stands.
pub fn may_extract(user: &User, permit: &Permit) -> bool {
    may(user, Duty::RunExtraction) && permit.revoked_at.is_none()
}

/// May `user` read a data request and its answer? Its requester, case officers and admins.
pub fn may_read_data_request(user: &User, requester: &str) -> bool {
    user.id == requester || user.has(Role::CaseOfficer) || user.has(Role::Admin)
}

/// May `acting` set the password of `user_id`? Their own, or anyone's for an admin.
pub fn may_set_password(acting: &User, user_id: &str) -> Result<(), Denied> {
    if acting.id == user_id || acting.has(Role::Admin) {
        Ok(())
    } else {
        Err(Denied(format!(
            "only an admin sets another user's password; '{}' is not one",
            acting.id
        )))
    }
}

/// May `user` be an installation's first user? Only an administrator, who adds the others.
pub fn may_be_first_user(user: &User) -> bool {
    user.has(Role::Admin)
}

/// How strongly a user must prove who they are when signing in through an identity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Assurance {
    /// One factor is enough (applicants, holders, citizens' registrars).
    Basic,
    /// Multi-factor (EHDS Art. 73: privileged access needs strong authentication).
    Strong,
}

/// The assurance a role needs: strong for those who decide cases, check what leaves the SPE,
/// run extractions or administer hdab.
pub fn required_assurance(role: Role) -> Assurance {
    match role {
        Role::CaseOfficer | Role::DecisionMaker | Role::OutputChecker | Role::Admin => {
            Assurance::Strong
        }
        _ => Assurance::Basic,
    }
}

/// The strongest assurance any of the user's roles needs.
pub fn user_assurance(user: &User) -> Assurance {
    user.roles
        .iter()
        .map(|r| required_assurance(*r))
        .max()
        .unwrap_or(Assurance::Basic)
}

/// May `actor` change how `user_id` is told things (e-mail, language, notices)? Themselves,
/// or an administrator.
pub fn may_edit_contact(actor: &User, user_id: &str) -> bool {
    actor.id == user_id || actor.has(Role::Admin)
}

/// May `user` be given a case (`assign`)? Case officers.
pub fn may_be_assigned(user: &User) -> bool {
    user.has(Role::CaseOfficer)
}

/// The areas of the web pages a user's navigation offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Areas {
    pub holder: bool,
    pub applicant: bool,
    pub officer: bool,
    /// Output requests to review.
    pub checker: bool,
}

/// Which areas `user` sees (none when nobody is signed in).
pub fn areas(user: Option<&User>) -> Areas {
    let has = |r: Role| user.is_some_and(|u| u.has(r));
    Areas {
        holder: has(Role::DataHolder),
        applicant: has(Role::Applicant),
        officer: has(Role::CaseOfficer) || has(Role::DecisionMaker),
        checker: has(Role::OutputChecker),
    }
}

/// Where a signed-in user lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    Cases,
    Holder,
    Applications,
    Outputs,
    /// The start page.
    Start,
}

/// The page a user starts on: their work first (cases, then datasets, then applications).
pub fn home(user: &User) -> Home {
    let a = areas(Some(user));
    if a.officer {
        Home::Cases
    } else if a.holder {
        Home::Holder
    } else if a.applicant {
        Home::Applications
    } else if a.checker {
        Home::Outputs
    } else {
        Home::Start
    }
}

/// One command a case page offers: the command, and whether it asks for a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offered {
    pub command: CaseCommand,
    pub needs_reason: bool,
}

/// The case commands the case page offers `user` now: exactly those [`decide`] allows,
/// with a reason where the command needs one and an officer for `assign`.
pub fn offered_commands(user: &User, case: CaseView<'_>) -> Vec<Offered> {
    CaseCommand::ALL
        .into_iter()
        .filter_map(|command| {
            let needs_reason = command.needs_reason();
            let comment = if needs_reason { "reason" } else { "" };
            decide(user, case, command, comment, Some("someone"))
                .ok()
                .map(|_| Offered {
                    command,
                    needs_reason,
                })
        })
        .collect()
}

#[cfg(test)]
mod assurance_tests {
    use super::*;

    #[test]
    fn deciders_checkers_and_administrators_need_a_strong_sign_in_the_others_do_not() {
        for role in Role::ALL {
            let strong = matches!(
                role,
                Role::CaseOfficer | Role::DecisionMaker | Role::OutputChecker | Role::Admin
            );
            assert_eq!(
                required_assurance(role) == Assurance::Strong,
                strong,
                "{}",
                role.as_str()
            );
        }
        let both = User {
            id: "x".into(),
            name: "x".into(),
            organisation: "o".into(),
            roles: vec![Role::Applicant, Role::OutputChecker],
        };
        assert_eq!(user_assurance(&both), Assurance::Strong);
    }
}
