//! Fees (EHDS Art. 62): a case officer's estimate before the decision, the applicant's
//! acceptance (the approval waits for it where fees are charged), and after delivery one
//! invoice with each holder's share. The rules are `hdab_permits::fees`; the schedule is a
//! setting (`Settings::fees`; none: no fees are charged).

use chrono::Utc;
use hdab_permits::access::{self, Duty};
use hdab_permits::fees::{
    FeeBasis, FeeChange, FeeEvent, FeeRefusal, FeeState, FeeStatement, fee_state,
};
use hdab_permits::orders::needed_datasets;
use hdab_permits::{AppState, CaseView, may_read, state_of};
use serde::Serialize;

use crate::{App, AppError};

/// A case's fees as its readers see them.
#[derive(Debug, Clone, Serialize)]
pub struct FeeView {
    /// Whether this HDAB charges fees at all (a fee schedule is set).
    pub charged: bool,
    #[serde(flatten)]
    pub state: FeeState,
    /// The estimate's shares, by party (the HDAB first, then holders).
    pub estimate_shares: Vec<(String, u64)>,
    /// The invoice's shares.
    pub invoice_shares: Vec<(String, u64)>,
    pub events: Vec<FeeEvent>,
}

impl From<FeeRefusal> for AppError {
    fn from(r: FeeRefusal) -> Self {
        match r {
            FeeRefusal::NotAHolder(_) => AppError::Invalid(r.to_string()),
            _ => AppError::Refused(r.to_string()),
        }
    }
}

impl App {
    /// A case's fee events, for whoever may read the case.
    pub async fn fees(&self, actor: &str, application_id: &str) -> Result<FeeView, AppError> {
        let user = self.user(actor).await?;
        let app = self.find_application(application_id).await?;
        let case = CaseView {
            applicant: &app.applicant,
            events: &app.events,
        };
        if !access::is_case_staff(&user) && !may_read(&user, case, &app.content.spe_users) {
            return Err(AppError::NotFound(format!(
                "application '{application_id}'"
            )));
        }
        let events = self.store.fee_events(application_id).await?;
        let state = fee_state(&events);
        Ok(FeeView {
            charged: self.settings.fees.is_some(),
            estimate_shares: state
                .estimate
                .as_ref()
                .map(|s| s.shares())
                .unwrap_or_default(),
            invoice_shares: state
                .invoice
                .as_ref()
                .map(|s| s.shares())
                .unwrap_or_default(),
            state,
            events,
        })
    }

    /// The officer's estimate before the decision: hours × the hourly rate, a fee per
    /// dataset and holder the case needs, each holder's stated cost, months of SPE (absent:
    /// the months the application asks for) × the monthly fee.
    pub async fn estimate_fee(
        &self,
        actor: &str,
        application_id: &str,
        hours: u64,
        holder_costs: Vec<(String, u64)>,
        spe_months: Option<u64>,
    ) -> Result<FeeStatement, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::ChargeFees)?;
            let schedule = self.fee_schedule()?;
            let app = self.find_application(application_id).await?;
            if !matches!(
                state_of(&app.events),
                AppState::Submitted | AppState::UnderReview | AppState::Incomplete
            ) {
                return Err(FeeRefusal::Decided.into());
            }
            let all = self.store.datasets().await?;
            let datasets = needed_datasets(&app.content.asked_spec())
                .into_iter()
                .map(|(dataset, _, _)| {
                    let holder = all
                        .iter()
                        .find(|d| d.dataset_id == dataset)
                        .map(|d| d.description.holder.clone())
                        .unwrap_or_default();
                    (dataset, holder)
                })
                .collect();
            let basis = FeeBasis {
                hours,
                datasets,
                holder_costs,
                spe_months: spe_months.unwrap_or(u64::from(app.content.months_needed)),
            };
            let statement = FeeStatement::new(schedule, &basis)?;
            let seen = self.store.fee_events(application_id).await?.len();
            let change = FeeChange::Estimated {
                statement: statement.clone(),
            };
            self.record_fee(application_id, seen, change, actor).await?;
            let detail = format!("estimate {} SEK", statement.total_sek);
            Ok((statement, detail))
        }
        .await;
        self.audited(actor, "fee.estimate", application_id, result)
            .await
    }

    /// The applicant accepts the latest estimate (or withdraws the application instead).
    pub async fn accept_fee(&self, actor: &str, application_id: &str) -> Result<u64, AppError> {
        let result = async {
            let app = self.find_application(application_id).await?;
            if !access::may_change_application(actor, &app.applicant) {
                return Err(AppError::Refused(format!(
                    "only the applicant of {application_id} accepts its fee estimate"
                )));
            }
            let events = self.store.fee_events(application_id).await?;
            let state = fee_state(&events);
            state.may_accept()?;
            let total = state.estimate.map(|e| e.total_sek).unwrap_or_default();
            self.record_fee(application_id, events.len(), FeeChange::Accepted, actor)
                .await?;
            Ok((total, format!("accepted {total} SEK")))
        }
        .await;
        self.audited(actor, "fee.accept", application_id, result)
            .await
    }

    /// Refuses an approval where fees are charged and the applicant has not accepted the
    /// latest estimate.
    pub(crate) async fn require_fee_accepted(&self, application_id: &str) -> Result<(), AppError> {
        if self.settings.fees.is_none() {
            return Ok(());
        }
        let events = self.store.fee_events(application_id).await?;
        Ok(fee_state(&events).allows_decision()?)
    }

    /// After delivery, the consolidated invoice: the estimate's holder costs and SPE months,
    /// the hours actually worked (absent: as estimated), a fee per data order the grant placed;
    /// each holder's share listed.
    pub async fn invoice_fee(
        &self,
        actor: &str,
        application_id: &str,
        hours: Option<u64>,
    ) -> Result<FeeStatement, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::ChargeFees)?;
            let schedule = self.fee_schedule()?;
            let permit = self
                .permit_of_application(application_id)
                .await?
                .ok_or_else(|| {
                    AppError::Refused(format!(
                        "{application_id} has no permit: only a granted case is invoiced"
                    ))
                })?;
            if self.store.latest_deliveries(&permit).await?.is_empty() {
                return Err(AppError::Refused(format!(
                    "permit {permit} has not been delivered yet: the invoice follows delivery"
                )));
            }
            let events = self.store.fee_events(application_id).await?;
            let state = fee_state(&events);
            state.may_invoice()?;
            let estimate = state.estimate.as_ref();
            let line = |item| {
                estimate
                    .into_iter()
                    .flat_map(|e| e.lines.iter())
                    .filter(move |l| l.item == item)
            };
            let datasets = self
                .store
                .orders(Some(&permit), None)
                .await?
                .into_iter()
                .map(|o| (o.order.dataset_id, o.order.holder))
                .collect();
            let basis = FeeBasis {
                hours: hours.unwrap_or_else(|| {
                    line(hdab_permits::fees::FeeItem::Work)
                        .map(|l| l.quantity)
                        .sum()
                }),
                datasets,
                holder_costs: line(hdab_permits::fees::FeeItem::HolderCost)
                    .map(|l| (l.party.clone(), l.sek))
                    .collect(),
                spe_months: line(hdab_permits::fees::FeeItem::Spe)
                    .map(|l| l.quantity)
                    .sum(),
            };
            let statement = FeeStatement::new(schedule, &basis)?;
            let change = FeeChange::Invoiced {
                statement: statement.clone(),
            };
            self.record_fee(application_id, events.len(), change, actor)
                .await?;
            let detail = format!("invoice {} SEK", statement.total_sek);
            Ok((statement, detail))
        }
        .await;
        self.audited(actor, "fee.invoice", application_id, result)
            .await
    }

    /// Appends a fee event to a case that had `seen` of them (a racing change collides).
    async fn record_fee(
        &self,
        application_id: &str,
        seen: usize,
        change: FeeChange,
        actor: &str,
    ) -> Result<(), AppError> {
        let event = FeeEvent {
            change,
            actor: actor.to_string(),
            at: Utc::now(),
        };
        Ok(self
            .store
            .append_fee_event(application_id, seen, &event)
            .await?)
    }

    fn fee_schedule(&self) -> Result<hdab_permits::fees::FeeSchedule, AppError> {
        self.settings.fees.ok_or_else(|| {
            AppError::Invalid(
                "this installation charges no fees: set HDAB_FEE_HOURLY_SEK, HDAB_FEE_PER_DATASET_SEK and HDAB_FEE_SPE_MONTHLY_SEK".into(),
            )
        })
    }
}
