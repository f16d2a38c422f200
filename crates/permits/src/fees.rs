//! Fees (EHDS Art. 62): the HDAB's fee schedule; the estimate a case officer makes before the
//! decision (hours × the hourly rate, a fee per dataset and holder, each holder's stated
//! costs, months of SPE × the monthly fee), which the applicant accepts or withdraws — the
//! decision waits for acceptance; and after delivery one invoice listing each holder's share.
//! Amounts are whole Swedish kronor. A fold over the application's fee events, like a case.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The HDAB's prices (settings). Without one, no fees are charged and no estimate is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSchedule {
    /// Per hour of the HDAB's work on the case and the data preparation.
    pub hourly_sek: u64,
    /// Per dataset a holder makes available for the case (that holder's share).
    pub per_dataset_sek: u64,
    /// Per month of the secure processing environment.
    pub spe_monthly_sek: u64,
}

/// Who a line's money goes to.
pub const HDAB: &str = "hdab";

/// What a fee line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeItem {
    /// The HDAB's hours.
    Work,
    /// One dataset one holder makes available.
    Dataset,
    /// A holder's stated cost of making its data available (Art. 62(2)).
    HolderCost,
    /// Months of the secure processing environment.
    Spe,
}

/// One line: what, whose, how many, at what price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeLine {
    pub item: FeeItem,
    /// `hdab` or the holder's organisation.
    pub party: String,
    /// The dataset, for a dataset line.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dataset: String,
    pub quantity: u64,
    pub unit_sek: u64,
    pub sek: u64,
}

/// What an officer states to estimate (or, after delivery, to invoice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeBasis {
    pub hours: u64,
    /// (dataset, holder) of every dataset the permit needs.
    pub datasets: Vec<(String, String)>,
    /// Each holder's stated cost (SEK).
    pub holder_costs: Vec<(String, u64)>,
    pub spe_months: u64,
}

/// An estimate or an invoice: its lines under one schedule, and the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeStatement {
    pub schedule: FeeSchedule,
    pub lines: Vec<FeeLine>,
    pub total_sek: u64,
}

impl FeeStatement {
    /// The lines `basis` gives under `schedule`; refused when a holder's cost names a holder
    /// with no dataset in the case.
    pub fn new(schedule: FeeSchedule, basis: &FeeBasis) -> Result<FeeStatement, FeeRefusal> {
        let line = |item, party: &str, dataset: &str, quantity: u64, unit_sek: u64| FeeLine {
            item,
            party: party.to_string(),
            dataset: dataset.to_string(),
            quantity,
            unit_sek,
            sek: quantity.saturating_mul(unit_sek),
        };
        let mut lines = Vec::new();
        if basis.hours > 0 {
            lines.push(line(
                FeeItem::Work,
                HDAB,
                "",
                basis.hours,
                schedule.hourly_sek,
            ));
        }
        for (dataset, holder) in &basis.datasets {
            lines.push(line(
                FeeItem::Dataset,
                holder,
                dataset,
                1,
                schedule.per_dataset_sek,
            ));
        }
        for (holder, sek) in &basis.holder_costs {
            if !basis.datasets.iter().any(|(_, h)| h == holder) {
                return Err(FeeRefusal::NotAHolder(holder.clone()));
            }
            lines.push(line(FeeItem::HolderCost, holder, "", 1, *sek));
        }
        if basis.spe_months > 0 {
            lines.push(line(
                FeeItem::Spe,
                HDAB,
                "",
                basis.spe_months,
                schedule.spe_monthly_sek,
            ));
        }
        let total_sek = lines.iter().map(|l| l.sek).fold(0u64, u64::saturating_add);
        Ok(FeeStatement {
            schedule,
            lines,
            total_sek,
        })
    }

    /// Each party's share (the HDAB first, then holders by name): the fee for each dataset
    /// a holder makes available and its stated costs are that holder's share.
    pub fn shares(&self) -> Vec<(String, u64)> {
        let mut shares: Vec<(String, u64)> = Vec::new();
        for l in &self.lines {
            match shares.iter_mut().find(|(p, _)| *p == l.party) {
                Some((_, s)) => *s = s.saturating_add(l.sek),
                None => shares.push((l.party.clone(), l.sek)),
            }
        }
        shares.sort_by(|a, b| (a.0 != HDAB, &a.0).cmp(&(b.0 != HDAB, &b.0)));
        shares
    }
}

/// What happened to a case's fees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeeChange {
    /// The officer's estimate, before the decision (a new one replaces the one before and
    /// needs accepting again).
    Estimated { statement: FeeStatement },
    /// The applicant accepts the latest estimate.
    Accepted,
    /// After delivery: the consolidated invoice.
    Invoiced { statement: FeeStatement },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeEvent {
    pub change: FeeChange,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// Where a case's fees stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeState {
    pub estimate: Option<FeeStatement>,
    /// The latest estimate was accepted (by whom, when).
    pub accepted: Option<(String, DateTime<Utc>)>,
    pub invoice: Option<FeeStatement>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeRefusal {
    #[error(
        "no fee estimate has been made for this case; a case officer makes one (hdab fee estimate)"
    )]
    NoEstimate,
    #[error(
        "the applicant has not accepted the fee estimate of {0} SEK; the decision waits for acceptance (hdab fee accept), or the applicant withdraws"
    )]
    NotAccepted(u64),
    #[error("the fee estimate was accepted already")]
    AcceptedAlready,
    #[error(
        "'{0}' has no dataset in this case; a holder's cost is stated for a holder the case orders data from"
    )]
    NotAHolder(String),
    #[error("the case was invoiced already")]
    InvoicedAlready,
    #[error("the fees are settled by the decision: an estimate is made before it")]
    Decided,
}

/// The fold of a case's fee events.
pub fn fee_state(events: &[FeeEvent]) -> FeeState {
    let mut state = FeeState {
        estimate: None,
        accepted: None,
        invoice: None,
    };
    for e in events {
        match &e.change {
            FeeChange::Estimated { statement } => {
                state.estimate = Some(statement.clone());
                state.accepted = None;
            }
            FeeChange::Accepted => state.accepted = Some((e.actor.clone(), e.at)),
            FeeChange::Invoiced { statement } => state.invoice = Some(statement.clone()),
        }
    }
    state
}

impl FeeState {
    /// May the case be approved? Where fees are charged, only after the applicant accepted
    /// the latest estimate.
    pub fn allows_decision(&self) -> Result<(), FeeRefusal> {
        match (&self.estimate, &self.accepted) {
            (None, _) => Err(FeeRefusal::NoEstimate),
            (Some(e), None) => Err(FeeRefusal::NotAccepted(e.total_sek)),
            (Some(_), Some(_)) => Ok(()),
        }
    }

    /// May the applicant accept now?
    pub fn may_accept(&self) -> Result<(), FeeRefusal> {
        match (&self.estimate, &self.accepted) {
            (None, _) => Err(FeeRefusal::NoEstimate),
            (Some(_), Some(_)) => Err(FeeRefusal::AcceptedAlready),
            (Some(_), None) => Ok(()),
        }
    }

    pub fn may_invoice(&self) -> Result<(), FeeRefusal> {
        if self.invoice.is_some() {
            Err(FeeRefusal::InvoicedAlready)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> FeeSchedule {
        FeeSchedule {
            hourly_sek: 1_100,
            per_dataset_sek: 2_000,
            spe_monthly_sek: 3_500,
        }
    }

    fn basis() -> FeeBasis {
        FeeBasis {
            hours: 12,
            datasets: vec![
                ("slutenvard".into(), "socialstyrelsen".into()),
                ("lakemedel".into(), "socialstyrelsen".into()),
                ("befolkning".into(), "scb".into()),
            ],
            holder_costs: vec![("scb".into(), 9_000), ("socialstyrelsen".into(), 4_000)],
            spe_months: 24,
        }
    }

    #[test]
    fn hours_times_rate_plus_datasets_holders_costs_and_spe_months() {
        let s = FeeStatement::new(schedule(), &basis()).unwrap();
        let expected = 12 * 1_100 + 3 * 2_000 + 9_000 + 4_000 + 24 * 3_500;
        assert_eq!(s.total_sek, expected);
        assert_eq!(s.lines.iter().map(|l| l.sek).sum::<u64>(), expected);
        assert_eq!(
            s.shares(),
            vec![
                ("hdab".to_string(), 12 * 1_100 + 24 * 3_500),
                ("scb".to_string(), 2_000 + 9_000),
                ("socialstyrelsen".to_string(), 2 * 2_000 + 4_000),
            ]
        );
    }

    #[test]
    fn a_cost_of_a_holder_without_data_in_the_case_is_refused() {
        let mut b = basis();
        b.holder_costs.push(("region-x".into(), 1));
        assert_eq!(
            FeeStatement::new(schedule(), &b),
            Err(FeeRefusal::NotAHolder("region-x".into()))
        );
    }

    #[test]
    fn the_decision_waits_for_acceptance_of_the_latest_estimate() {
        let at = |change| FeeEvent {
            change,
            actor: "x".into(),
            at: Utc::now(),
        };
        let statement = FeeStatement::new(schedule(), &basis()).unwrap();
        let mut events = vec![];
        assert_eq!(
            fee_state(&events).allows_decision(),
            Err(FeeRefusal::NoEstimate)
        );
        events.push(at(FeeChange::Estimated {
            statement: statement.clone(),
        }));
        assert!(matches!(
            fee_state(&events).allows_decision(),
            Err(FeeRefusal::NotAccepted(_))
        ));
        events.push(at(FeeChange::Accepted));
        assert_eq!(fee_state(&events).allows_decision(), Ok(()));
        assert_eq!(
            fee_state(&events).may_accept(),
            Err(FeeRefusal::AcceptedAlready)
        );
        // A new estimate needs accepting again.
        events.push(at(FeeChange::Estimated { statement }));
        assert!(fee_state(&events).allows_decision().is_err());
    }
}
