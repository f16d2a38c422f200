//! Data orders (EHDS Art. 60(1), 68(7)): once a permit is granted, the HDAB asks each data
//! holder for what the permit needs, and the holder has three months to make it available,
//! extendable once by up to three months with a reason. An order's state is a fold of its
//! events, like a case's; the clock is passed in.

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{ExtractionSpec, Permit};

/// Months a holder has to fulfil an order (Art. 68(7)).
pub const MONTHS_TO_FULFIL: u32 = 3;
/// The longest single extension (Art. 68(7)).
pub const MAX_EXTENSION_MONTHS: u32 = 3;

/// What a permit needs of one dataset, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderScope {
    /// The permit's variables of this dataset, for the study population where it has one.
    Variables,
    /// The index dataset: the rows the study population's criteria name.
    IndexRows,
    /// The population register, to draw matched controls from.
    ControlRegister,
}

impl OrderScope {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderScope::Variables => "variables",
            OrderScope::IndexRows => "index_rows",
            OrderScope::ControlRegister => "control_register",
        }
    }
}

/// An order as placed. What happened to it since is in its [`OrderEvent`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataOrder {
    /// `DO-<year>-<n>` (data order; output requests are `O-`).
    pub id: String,
    pub permit_id: String,
    pub application_id: String,
    pub dataset_id: String,
    /// The holder's organisation (as the catalogue names it).
    pub holder: String,
    /// Why the permit needs the dataset (a dataset may serve several purposes).
    pub scopes: Vec<OrderScope>,
    /// The variables the permit delivers from it (empty where it only serves the study
    /// population).
    pub variables: Vec<String>,
    pub ordered_at: DateTime<Utc>,
    /// Three months after the order.
    pub due_on: NaiveDate,
}

/// What happened to an order after it was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OrderChange {
    /// Due later, once, by at most three months.
    Extended { until: NaiveDate, reason: String },
    /// The holder made the data available by an upload made for the order.
    Fulfilled { upload_id: String },
    /// No longer needed (the permit was revoked before the data came).
    Cancelled { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub change: OrderChange,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// Where an order stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OrderState {
    Open {
        due: NaiveDate,
        extended: bool,
    },
    Fulfilled {
        upload_id: String,
        at: DateTime<Utc>,
    },
    Cancelled,
}

impl OrderState {
    pub fn as_str(&self) -> &'static str {
        match self {
            OrderState::Open { .. } => "open",
            OrderState::Fulfilled { .. } => "fulfilled",
            OrderState::Cancelled => "cancelled",
        }
    }
}

/// Why an order cannot change so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderRefusal {
    #[error("order {0} was already extended once; the law allows one extension")]
    ExtendedAlready(String),
    #[error("an extension is 1 to {MAX_EXTENSION_MONTHS} months; {0} months is not")]
    ExtensionLength(u32),
    #[error("an extension needs a reason")]
    NoReason,
    #[error("order {0} is no longer open ({1})")]
    NotOpen(String, &'static str),
    #[error("order {order} is for dataset '{ordered}', not '{uploaded}'")]
    WrongDataset {
        order: String,
        ordered: String,
        uploaded: String,
    },
}

impl DataOrder {
    /// The order's state after its events, in order.
    pub fn state(&self, events: &[OrderEvent]) -> OrderState {
        let mut state = OrderState::Open {
            due: self.due_on,
            extended: false,
        };
        for e in events {
            state = match (&state, &e.change) {
                (OrderState::Open { .. }, OrderChange::Extended { until, .. }) => {
                    OrderState::Open {
                        due: *until,
                        extended: true,
                    }
                }
                // A holder may send a corrected extract for a fulfilled order: the newest
                // upload made for it is the order's data.
                (
                    OrderState::Open { .. } | OrderState::Fulfilled { .. },
                    OrderChange::Fulfilled { upload_id },
                ) => OrderState::Fulfilled {
                    upload_id: upload_id.clone(),
                    at: e.at,
                },
                (OrderState::Open { .. }, OrderChange::Cancelled { .. }) => OrderState::Cancelled,
                // Events are appended only after `extend`/`fulfil`/`cancel` allowed them.
                _ => state,
            };
        }
        state
    }

    /// Open and past its due date on `today`.
    pub fn is_overdue(&self, events: &[OrderEvent], today: NaiveDate) -> bool {
        matches!(self.state(events), OrderState::Open { due, .. } if today > due)
    }

    /// Days late on `today` (0 when on time or not open).
    pub fn days_late(&self, events: &[OrderEvent], today: NaiveDate) -> i64 {
        match self.state(events) {
            OrderState::Open { due, .. } => (today - due).num_days().max(0),
            _ => 0,
        }
    }

    /// The one extension, by `months` (1 to 3) from the current due date, with a reason.
    pub fn extend(
        &self,
        events: &[OrderEvent],
        months: u32,
        reason: &str,
    ) -> Result<OrderChange, OrderRefusal> {
        let (due, extended) = match self.state(events) {
            OrderState::Open { due, extended } => (due, extended),
            other => return Err(OrderRefusal::NotOpen(self.id.clone(), other.as_str())),
        };
        if extended {
            return Err(OrderRefusal::ExtendedAlready(self.id.clone()));
        }
        if !(1..=MAX_EXTENSION_MONTHS).contains(&months) {
            return Err(OrderRefusal::ExtensionLength(months));
        }
        if reason.trim().is_empty() {
            return Err(OrderRefusal::NoReason);
        }
        Ok(OrderChange::Extended {
            until: add_months(due, months),
            reason: reason.trim().to_string(),
        })
    }

    /// Fulfilment by an upload of `dataset_id` made for this order; on a fulfilled order, a
    /// corrected upload that replaces the one before (the permit's next extraction reads it).
    pub fn fulfil(
        &self,
        events: &[OrderEvent],
        dataset_id: &str,
        upload_id: &str,
    ) -> Result<OrderChange, OrderRefusal> {
        let state = self.state(events);
        if matches!(state, OrderState::Cancelled) {
            return Err(OrderRefusal::NotOpen(self.id.clone(), state.as_str()));
        }
        if dataset_id != self.dataset_id {
            return Err(OrderRefusal::WrongDataset {
                order: self.id.clone(),
                ordered: self.dataset_id.clone(),
                uploaded: dataset_id.to_string(),
            });
        }
        Ok(OrderChange::Fulfilled {
            upload_id: upload_id.to_string(),
        })
    }
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// What a spec needs of each dataset: (dataset, why, the variables delivered from it), in the
/// order the spec names them (the study population's datasets first).
pub fn needed_datasets(spec: &ExtractionSpec) -> Vec<(String, Vec<OrderScope>, Vec<String>)> {
    let mut needs: Vec<(String, Vec<OrderScope>, Vec<String>)> = Vec::new();
    let mut need = |dataset: &str, scope: OrderScope, variables: &[String]| {
        let i = match needs.iter().position(|(d, _, _)| d == dataset) {
            Some(i) => i,
            None => {
                needs.push((dataset.to_string(), Vec::new(), Vec::new()));
                needs.len() - 1
            }
        };
        let (_, scopes, vars) = &mut needs[i];
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
        for v in variables {
            if !vars.contains(v) {
                vars.push(v.clone());
            }
        }
    };
    if let Some(p) = &spec.population {
        need(&p.index_dataset, OrderScope::IndexRows, &[]);
        if let Some(c) = &p.controls {
            need(&c.dataset, OrderScope::ControlRegister, &[]);
        }
    }
    for d in &spec.datasets {
        need(&d.dataset_id, OrderScope::Variables, &d.variables);
    }
    needs
}

/// The orders a grant places: one per dataset the permit needs ([`needed_datasets`]), each to
/// the dataset's holder (`holder_of`), due three months after the grant. `first_number`
/// numbers them.
pub fn orders_for(
    permit: &Permit,
    holder_of: impl Fn(&str) -> Option<String>,
    first_number: u64,
) -> Result<Vec<DataOrder>, String> {
    let due_on = add_months(permit.granted_at.date_naive(), MONTHS_TO_FULFIL);
    needed_datasets(&permit.spec)
        .into_iter()
        .enumerate()
        .map(|(i, (dataset_id, scopes, variables))| {
            let holder = holder_of(&dataset_id)
                .ok_or_else(|| format!("dataset '{dataset_id}' is not in the catalogue"))?;
            Ok(DataOrder {
                id: format!(
                    "DO-{}-{:04}",
                    permit.granted_at.format("%Y"),
                    first_number + i as u64
                ),
                permit_id: permit.id.clone(),
                application_id: permit.application_id.clone(),
                dataset_id,
                holder,
                scopes,
                variables,
                ordered_at: permit.granted_at,
                due_on,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(due: &str) -> DataOrder {
        DataOrder {
            id: "DO-2026-0001".into(),
            permit_id: "P-2026-0001".into(),
            application_id: "A-1".into(),
            dataset_id: "lakemedel".into(),
            holder: "Socialstyrelsen".into(),
            scopes: vec![OrderScope::Variables],
            variables: vec!["ATC".into()],
            ordered_at: Utc::now(),
            due_on: due.parse().unwrap(),
        }
    }

    fn at(change: OrderChange) -> OrderEvent {
        OrderEvent {
            change,
            actor: "olle".into(),
            at: Utc::now(),
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn overdue_only_after_the_due_date_and_not_once_extended_or_fulfilled() {
        let o = order("2027-03-07");
        assert!(!o.is_overdue(&[], day("2027-03-07")));
        assert!(o.is_overdue(&[], day("2027-03-08")));
        assert_eq!(o.days_late(&[], day("2027-03-10")), 3);
        let ext = o.extend(&[], 3, "the region moves its systems").unwrap();
        assert_eq!(
            ext,
            OrderChange::Extended {
                until: day("2027-06-07"),
                reason: "the region moves its systems".into()
            }
        );
        let events = vec![at(ext)];
        assert!(!o.is_overdue(&events, day("2027-06-07")));
        assert!(o.is_overdue(&events, day("2027-06-08")));
        let done = o.fulfil(&events, "lakemedel", "U-1").unwrap();
        let events = [events, vec![at(done)]].concat();
        assert!(!o.is_overdue(&events, day("2030-01-01")));
        assert_eq!(o.state(&events).as_str(), "fulfilled");
    }

    #[test]
    fn one_extension_of_at_most_three_months_with_a_reason() {
        let o = order("2027-03-07");
        assert_eq!(o.extend(&[], 4, "x"), Err(OrderRefusal::ExtensionLength(4)));
        assert_eq!(o.extend(&[], 0, "x"), Err(OrderRefusal::ExtensionLength(0)));
        assert_eq!(o.extend(&[], 2, "  "), Err(OrderRefusal::NoReason));
        let events = vec![at(o.extend(&[], 1, "x").unwrap())];
        assert_eq!(
            o.extend(&events, 1, "again"),
            Err(OrderRefusal::ExtendedAlready(o.id.clone()))
        );
    }

    #[test]
    fn fulfilled_by_an_upload_of_its_dataset_and_the_newest_correction_counts() {
        let o = order("2027-03-07");
        assert!(matches!(
            o.fulfil(&[], "slutenvard", "U-1"),
            Err(OrderRefusal::WrongDataset { .. })
        ));
        let mut events = vec![at(o.fulfil(&[], "lakemedel", "U-1").unwrap())];
        assert_eq!(
            o.extend(&events, 1, "late"),
            Err(OrderRefusal::NotOpen(o.id.clone(), "fulfilled"))
        );
        events.push(at(o.fulfil(&events, "lakemedel", "U-2").unwrap()));
        assert!(
            matches!(o.state(&events), OrderState::Fulfilled { upload_id, .. } if upload_id == "U-2")
        );
        events.push(at(OrderChange::Cancelled {
            reason: "revoked".into(),
        }));
        // Cancelled after fulfilment is not a transition: the fold keeps the state.
        assert_eq!(o.state(&events).as_str(), "fulfilled");
        let cancelled = [at(OrderChange::Cancelled {
            reason: "revoked".into(),
        })];
        assert_eq!(
            o.fulfil(&cancelled, "lakemedel", "U-3"),
            Err(OrderRefusal::NotOpen(o.id.clone(), "cancelled"))
        );
    }
}
