//! The decision deadline (EHDS Art. 68), computed from a case's events and an injected clock.
//!
//! The clock starts when the application is first submitted. It pauses while the case is
//! returned as incomplete and resumes when the applicant submits again. A decision is due
//! 3 months of running clock after the start (2 months for the public-sector purposes of
//! Art. 53(1)(a)–(c)); one extension adds 3 months (1 for the public sector). Approval,
//! rejection or withdrawal stops it.

use crate::Purpose;
use crate::workflow::{CaseCommand, CaseEvent};
use chrono::{DateTime, Duration, Months, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// When the clock started (first submission); `None` for a draft.
    pub started: Option<DateTime<Utc>>,
    /// When the decision is due, pauses and extension included. While the case is paused
    /// this is where the due date stands if the applicant completes it now.
    pub due: Option<DateTime<Utc>>,
    pub running: bool,
    pub paused: bool,
    pub extended: bool,
    /// When the case was decided or withdrawn.
    pub stopped: Option<DateTime<Utc>>,
    /// Whole days until `due` (negative when overdue); `None` unless running.
    pub days_left: Option<i64>,
    /// Running past the due date, or decided after it.
    pub overdue: bool,
}

/// The deadline of a case with these events for this purpose, as of `now`.
pub fn deadline(events: &[CaseEvent], purpose: Purpose, now: DateTime<Utc>) -> Deadline {
    let (base, extension) = if purpose.is_public_sector() {
        (2, 1)
    } else {
        (3, 3)
    };
    let mut started = None;
    let mut pause_started: Option<DateTime<Utc>> = None;
    let mut paused_total = Duration::zero();
    let mut extended = false;
    let mut stopped = None;
    for e in events {
        match e.command {
            CaseCommand::Submit => {
                if started.is_none() {
                    started = Some(e.at);
                }
                if let Some(p) = pause_started.take() {
                    paused_total += e.at - p;
                }
            }
            CaseCommand::Return => pause_started = Some(e.at),
            CaseCommand::Extend => extended = true,
            CaseCommand::Approve | CaseCommand::Reject | CaseCommand::Withdraw => {
                stopped = Some(e.at);
            }
            CaseCommand::Take | CaseCommand::Assign => {}
        }
    }
    let Some(start) = started else {
        return Deadline {
            started: None,
            due: None,
            running: false,
            paused: false,
            extended,
            stopped,
            days_left: None,
            overdue: false,
        };
    };
    let paused = stopped.is_none() && pause_started.is_some();
    if let (Some(p), true) = (pause_started, stopped.is_none()) {
        paused_total += now - p;
    }
    let months = base + if extended { extension } else { 0 };
    let due = start
        .checked_add_months(Months::new(months))
        .map(|d| d + paused_total);
    let running = stopped.is_none() && !paused;
    let days_left = if running {
        due.map(|d| (d - now).num_days())
    } else {
        None
    };
    let overdue = match (due, stopped) {
        (Some(d), Some(s)) => s > d,
        (Some(d), None) => running && now > d,
        _ => false,
    };
    Deadline {
        started: Some(start),
        due,
        running,
        paused,
        extended,
        stopped,
        days_left,
        overdue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn ev(command: CaseCommand, when: DateTime<Utc>) -> CaseEvent {
        CaseEvent {
            command,
            actor: "x".into(),
            at: when,
            comment: "r".into(),
            assignee: None,
        }
    }

    use CaseCommand::*;

    #[test]
    fn three_months_from_submission_for_research() {
        let events = [ev(Submit, at(2026, 1, 15))];
        let d = deadline(&events, Purpose::ScientificResearch, at(2026, 2, 1));
        assert_eq!(d.due, Some(at(2026, 4, 15)));
        assert_eq!(d.days_left, Some(73));
        assert!(d.running && !d.overdue);
    }

    #[test]
    fn two_months_for_public_sector_purposes_and_one_month_extension() {
        let mut events = vec![ev(Submit, at(2026, 1, 15))];
        let d = deadline(&events, Purpose::OfficialStatistics, at(2026, 1, 16));
        assert_eq!(d.due, Some(at(2026, 3, 15)));
        events.push(ev(Extend, at(2026, 3, 1)));
        let d = deadline(&events, Purpose::OfficialStatistics, at(2026, 3, 2));
        assert_eq!(d.due, Some(at(2026, 4, 15)));
        assert!(d.extended);
    }

    #[test]
    fn a_return_pauses_the_clock_until_the_applicant_resubmits() {
        let mut events = vec![ev(Submit, at(2026, 1, 15)), ev(Return, at(2026, 2, 1))];
        // Paused for 10 days so far: the due date has moved by 10 days, no days are counted.
        let d = deadline(&events, Purpose::ScientificResearch, at(2026, 2, 11));
        assert!(d.paused && !d.running);
        assert_eq!(d.due, Some(at(2026, 4, 25)));
        assert_eq!(d.days_left, None);
        // Resubmitted after 20 days in all.
        events.push(ev(Submit, at(2026, 2, 21)));
        let d = deadline(&events, Purpose::ScientificResearch, at(2026, 3, 1));
        assert_eq!(d.due, Some(at(2026, 5, 5)));
        assert!(d.running);
        // Two pauses add up, and the extension stacks on top.
        events.push(ev(Return, at(2026, 3, 1)));
        events.push(ev(Submit, at(2026, 3, 6)));
        events.push(ev(Extend, at(2026, 4, 1)));
        let d = deadline(&events, Purpose::ScientificResearch, at(2026, 4, 2));
        assert_eq!(d.due, Some(at(2026, 8, 9)));
    }

    #[test]
    fn overdue_while_running_and_when_decided_late() {
        let mut events = vec![ev(Submit, at(2026, 1, 15))];
        let d = deadline(&events, Purpose::ScientificResearch, at(2026, 4, 20));
        assert!(d.overdue);
        assert_eq!(d.days_left, Some(-5));
        events.push(ev(Approve, at(2026, 4, 20)));
        let d = deadline(&events, Purpose::ScientificResearch, at(2026, 6, 1));
        assert!(d.overdue && !d.running && d.days_left.is_none());
        let on_time = [ev(Submit, at(2026, 1, 15)), ev(Reject, at(2026, 3, 1))];
        assert!(!deadline(&on_time, Purpose::ScientificResearch, at(2026, 6, 1)).overdue);
    }

    #[test]
    fn a_draft_has_no_deadline() {
        let d = deadline(&[], Purpose::ScientificResearch, at(2026, 1, 1));
        assert_eq!(d.due, None);
        assert!(!d.running);
    }
}
