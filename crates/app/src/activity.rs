//! The activity report (EHDS Art. 59): the events the HDAB keeps, gathered for
//! `hdab_permits::activity`, which counts them. Public: counts only, no person.

use chrono::NaiveDate;
use hdab_permits::activity::{ActivityInput, ActivityReport};
use hdab_permits::fees::FeeChange;
use hdab_permits::output::OutputCommand;

use crate::{App, AppError};

impl App {
    /// What the HDAB did from `from` to `to` (both days included).
    pub async fn activity_report(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ActivityReport, AppError> {
        if to < from {
            return Err(AppError::Invalid(format!(
                "the period ends ({to}) before it begins ({from})"
            )));
        }
        let mut applications = Vec::new();
        let mut invoices = Vec::new();
        for a in self.store.applications().await? {
            for e in self.store.fee_events(&a.id).await? {
                if let FeeChange::Invoiced { statement } = &e.change {
                    invoices.push((e.at, statement.total_sek));
                }
            }
            applications.push((a.content.purpose, a.events));
        }
        let orders: Vec<_> = self
            .store
            .orders(None, None)
            .await?
            .into_iter()
            .map(|o| (o.order, o.events))
            .collect();
        let deliveries: Vec<_> = self
            .store
            .all_deliveries()
            .await?
            .into_iter()
            .map(|d| {
                let rows = d.manifest["rows"]["delivered"].as_u64().unwrap_or(0);
                (d.recorded_at, rows)
            })
            .collect();
        let releases: Vec<_> = self
            .store
            .output_requests(None)
            .await?
            .into_iter()
            .flat_map(|o| {
                o.events
                    .into_iter()
                    .filter(|e| e.command == OutputCommand::Release)
                    .map(|e| e.at)
            })
            .collect();
        let optouts = self.store.optout_changes().await?;
        Ok(ActivityReport::compute(
            ActivityInput {
                applications: &applications,
                orders: &orders,
                deliveries: &deliveries,
                releases: &releases,
                optouts: &optouts,
                invoices: &invoices,
            },
            from,
            to,
        ))
    }
}
