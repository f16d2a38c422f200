//! Who reads a permit's delivered data, and its log of reads, through the SPE gateway.
//!
//! Only the people the permit names read its data, and only while it is usable: case staff
//! see that a delivery exists and read who queried it, but never query the data themselves
//! (they are not named in the permit; EHDS Art. 73(1)(b)). The log of reads is for the
//! permit's people and for case staff.

use crate::Permit;
use crate::access::{Denied, may_see_permit};
use crate::workflow::User;
use chrono::NaiveDate;

/// May `user` query `permit`'s delivered data today?
pub fn require_data_reader(user: &User, permit: &Permit, today: NaiveDate) -> Result<(), Denied> {
    require_named_while_usable(
        user,
        permit,
        today,
        "only its named SPE users read its data",
        "its data can no longer be read",
    )
}

/// `user` is named in `permit` and the permit is usable today; each refusal says `only`
/// (who may) or `after` (what ended).
pub(crate) fn require_named_while_usable(
    user: &User,
    permit: &Permit,
    today: NaiveDate,
    only: &str,
    after: &str,
) -> Result<(), Denied> {
    if !permit.spe_users.iter().any(|u| u == &user.id) {
        return Err(Denied(format!(
            "user '{}' is not named in permit {}: {only}",
            user.id, permit.id
        )));
    }
    permit
        .check_usable(today)
        .map_err(|e| Denied(format!("{e}: {after}")))
}

/// Which of `permits` may `user` query today? The ones a read would be allowed on.
pub fn readable<'a>(user: &User, permits: &'a [Permit], today: NaiveDate) -> Vec<&'a Permit> {
    permits
        .iter()
        .filter(|p| require_data_reader(user, p, today).is_ok())
        .collect()
}

/// May `user` read who queried `permit`'s data? Its people and case staff.
pub fn require_log_reader(user: &User, permit: &Permit) -> Result<(), Denied> {
    if may_see_permit(user, permit) {
        Ok(())
    } else {
        Err(Denied(format!(
            "user '{}' may not read the query log of permit {}: its named users and case staff do",
            user.id, permit.id
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{permit, user};
    use crate::workflow::Role;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn only_the_named_users_read_a_usable_permits_data() {
        let today = d(2027, 1, 1);
        let valid = permit(d(2027, 6, 30), false);
        let anna = user("anna", &[Role::Applicant]);
        let olle = user("olle", &[Role::Applicant]);
        let officer = user("carl", &[Role::CaseOfficer]);
        let admin = user("root", &[Role::Admin]);
        assert!(require_data_reader(&anna, &valid, today).is_ok());
        for other in [&olle, &officer, &admin] {
            let e = require_data_reader(other, &valid, today).unwrap_err();
            assert!(e.0.contains("not named in permit P-1"), "{}", e.0);
        }
        let revoked = permit(d(2027, 6, 30), true);
        assert!(
            require_data_reader(&anna, &revoked, today)
                .unwrap_err()
                .0
                .contains("revoked")
        );
        let expired = permit(d(2026, 12, 31), false);
        assert!(
            require_data_reader(&anna, &expired, today)
                .unwrap_err()
                .0
                .contains("expired")
        );
        let all = [valid.clone(), revoked, expired];
        assert_eq!(readable(&anna, &all, today).len(), 1);
        assert!(readable(&olle, &all, today).is_empty());
    }

    #[test]
    fn the_log_is_for_the_permits_people_and_case_staff() {
        let p = permit(d(2027, 6, 30), true);
        assert!(require_log_reader(&user("anna", &[Role::Applicant]), &p).is_ok());
        assert!(require_log_reader(&user("carl", &[Role::CaseOfficer]), &p).is_ok());
        assert!(require_log_reader(&user("olle", &[Role::Applicant]), &p).is_err());
        assert!(require_log_reader(&user("sam", &[Role::SpeOperator]), &p).is_err());
    }
}
