//! Data orders to holders (EHDS Art. 60(1), 68(7)): a grant places one per dataset the
//! permit needs (in the grant's transaction); the holder fulfils it by an upload made for it;
//! a case officer may extend it once; the permit's extraction uses the orders' uploads and
//! waits for all of them. The rules are `hdab_permits::orders`.

use std::collections::HashMap;
use std::path::Path;

use chrono::{NaiveDate, Utc};
use hdab_notify::NoticeKind;
use hdab_permits::access::{self, Duty};
use hdab_permits::orders::{DataOrder, OrderEvent, OrderRefusal, OrderState, orders_for};
use hdab_permits::{Permit, Role, User};
use hdab_pipeline::UploadReport;
use hdab_store::{StoredOrder, Upload};
use serde::Serialize;

use crate::{App, AppError};

/// An order as its readers see it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    #[serde(flatten)]
    pub order: DataOrder,
    pub events: Vec<OrderEvent>,
    pub state: OrderState,
    /// The day it is due now (after an extension, the extended day).
    pub due: NaiveDate,
    pub overdue: bool,
    pub days_late: i64,
    /// The application's title (what the permit is for).
    pub title: String,
}

impl OrderView {
    fn of(stored: StoredOrder, title: String, today: NaiveDate) -> OrderView {
        let StoredOrder { order, events } = stored;
        let state = order.state(&events);
        let due = match &state {
            OrderState::Open { due, .. } => *due,
            _ => events
                .iter()
                .rev()
                .find_map(|e| match &e.change {
                    hdab_permits::orders::OrderChange::Extended { until, .. } => Some(*until),
                    _ => None,
                })
                .unwrap_or(order.due_on),
        };
        OrderView {
            overdue: order.is_overdue(&events, today),
            days_late: order.days_late(&events, today),
            order,
            events,
            state,
            due,
            title,
        }
    }
}

/// Where a permit's extraction reads each dataset from.
pub(crate) enum Sources {
    /// The uploads that fulfilled the permit's orders, by dataset, with the order.
    Orders(HashMap<String, (String, Upload)>),
    /// A permit granted before data orders existed: each dataset's latest upload.
    Latest,
}

impl Sources {
    /// The order a dataset is read for.
    pub(crate) fn order_of(&self, dataset_id: &str) -> Option<String> {
        match self {
            Sources::Orders(by_dataset) => by_dataset.get(dataset_id).map(|(o, _)| o.clone()),
            Sources::Latest => None,
        }
    }
}

impl From<OrderRefusal> for AppError {
    fn from(r: OrderRefusal) -> Self {
        match r {
            OrderRefusal::ExtensionLength(_) | OrderRefusal::NoReason => {
                AppError::Invalid(r.to_string())
            }
            _ => AppError::Refused(r.to_string()),
        }
    }
}

impl App {
    /// The orders a grant of `permit` places (stored with the permit by the caller).
    pub(crate) async fn orders_for_grant(
        &self,
        permit: &Permit,
    ) -> Result<Vec<DataOrder>, AppError> {
        let all = self.store.datasets().await?;
        let holder_of = |id: &str| {
            all.iter()
                .find(|d| d.dataset_id == id)
                .map(|d| d.description.holder.clone())
        };
        let first = self.store.count_orders().await? as u64 + 1;
        orders_for(permit, holder_of, first).map_err(AppError::Invalid)
    }

    /// The orders `actor` may see: a holder's own organisation's, every one for the HDAB's
    /// staff; of one permit when `permit` is given.
    pub async fn orders(
        &self,
        actor: &str,
        permit: Option<&str>,
        today: NaiveDate,
    ) -> Result<Vec<OrderView>, AppError> {
        let user = self.user(actor).await?;
        access::require(&user, Duty::ViewOrders)?;
        let stored = self
            .store
            .orders(permit, access::orders_holder(&user))
            .await?;
        self.views(stored, today).await
    }

    /// One order, for its holder and the HDAB's staff.
    pub async fn order(
        &self,
        actor: &str,
        id: &str,
        today: NaiveDate,
    ) -> Result<OrderView, AppError> {
        let user = self.user(actor).await?;
        access::require(&user, Duty::ViewOrders)?;
        let stored = self.store.order(id).await?;
        if let Some(h) = access::orders_holder(&user)
            && h != stored.order.holder
        {
            // Another holder's order is not theirs to know of.
            return Err(AppError::NotFound(format!("data order '{id}'")));
        }
        let mut views = self.views(vec![stored], today).await?;
        Ok(views.remove(0))
    }

    async fn views(
        &self,
        stored: Vec<StoredOrder>,
        today: NaiveDate,
    ) -> Result<Vec<OrderView>, AppError> {
        let mut titles: HashMap<String, String> = HashMap::new();
        let mut views = Vec::with_capacity(stored.len());
        for s in stored {
            let app = s.order.application_id.clone();
            if !titles.contains_key(&app) {
                let title = self.find_application(&app).await?.content.title;
                titles.insert(app.clone(), title);
            }
            views.push(OrderView::of(s, titles[&app].clone(), today));
        }
        Ok(views)
    }

    /// Gives a holder more time: once, 1 to 3 months, with a reason (a case officer).
    pub async fn extend_order(
        &self,
        actor: &str,
        id: &str,
        months: u32,
        reason: &str,
    ) -> Result<NaiveDate, AppError> {
        let result = async {
            let user = self.user(actor).await?;
            access::require(&user, Duty::ExtendOrders)?;
            let stored = self.store.order(id).await?;
            let change = stored.order.extend(&stored.events, months, reason)?;
            let until = match &change {
                hdab_permits::orders::OrderChange::Extended { until, .. } => *until,
                _ => stored.order.due_on,
            };
            let event = OrderEvent {
                change,
                actor: actor.to_string(),
                at: Utc::now(),
            };
            self.store
                .append_order_event(id, stored.events.len(), &event)
                .await?;
            Ok((until, format!("extended to {until} ({months} months)")))
        }
        .await;
        self.audited(actor, "order.extend", id, result).await
    }

    /// A holder's upload made for an order: checked like any upload, and the order
    /// fulfilled by it in the same transaction. `dataset`, when given, must be the order's.
    pub async fn upload_for_order(
        &self,
        actor: &str,
        order_id: &str,
        dataset: Option<&str>,
        file: &Path,
        reference_date: Option<NaiveDate>,
    ) -> Result<(Upload, UploadReport), AppError> {
        let stored = match self.store.order(order_id).await {
            Ok(s) => s,
            Err(e) => {
                let e = AppError::from(e);
                return self
                    .audited(
                        actor,
                        "upload",
                        order_id,
                        Err::<((Upload, UploadReport), String), _>(e),
                    )
                    .await;
            }
        };
        let dataset = dataset.unwrap_or(&stored.order.dataset_id).to_string();
        self.receive_upload(actor, &dataset, file, reference_date, Some(stored))
            .await
    }

    /// Where the permit's extraction reads each dataset from; refused, naming them, while any
    /// of its orders is not fulfilled.
    pub(crate) async fn sources_of(&self, permit: &Permit) -> Result<Sources, AppError> {
        let orders = self.store.orders(Some(&permit.id), None).await?;
        if orders.is_empty() {
            return Ok(Sources::Latest);
        }
        let mut waiting = Vec::new();
        let mut sources = HashMap::new();
        for o in &orders {
            match o.order.state(&o.events) {
                OrderState::Fulfilled { upload_id, .. } => {
                    let upload = self.store.order_upload(&upload_id).await?;
                    sources.insert(o.order.dataset_id.clone(), (o.order.id.clone(), upload));
                }
                OrderState::Open { due, .. } => waiting.push(format!(
                    "{} ({}, {}, due {due})",
                    o.order.id, o.order.dataset_id, o.order.holder
                )),
                OrderState::Cancelled => waiting.push(format!(
                    "{} ({}, cancelled)",
                    o.order.id, o.order.dataset_id
                )),
            }
        }
        if !waiting.is_empty() {
            return Err(AppError::Refused(format!(
                "permit {} waits for data its holders have not yet made available: {}; each holder fulfils its order by an upload made for it (hdab upload --order ORDER DATASET FILE); `hdab order list --permit {}` shows them",
                permit.id,
                waiting.join(", "),
                permit.id
            )));
        }
        Ok(Sources::Orders(sources))
    }

    /// The holders' users hear of the orders a grant placed.
    pub(crate) async fn tell_holders_of_orders(&self, permit_id: &str) {
        let result = async {
            let users = self.store.users().await?;
            let datasets = self.store.datasets().await?;
            for o in self.store.orders(Some(permit_id), None).await? {
                let title = datasets
                    .iter()
                    .find(|d| d.dataset_id == o.order.dataset_id)
                    .map(|d| d.description.title.sv.clone())
                    .unwrap_or_else(|| o.order.dataset_id.clone());
                let to = holders_users(&users, &o.order.holder);
                self.raise(crate::notifications::Tell {
                    kind: NoticeKind::OrderPlaced,
                    object: &o.order.id,
                    title: &title,
                    detail: &o.order.due_on.to_string(),
                    recipients: &to,
                    dedupe: None,
                    at: o.order.ordered_at,
                })
                .await;
            }
            Ok::<_, AppError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::error!(error = %e, permit = permit_id, "telling holders of their orders failed");
        }
    }
}

/// The users who act for a holder (not administrators, who may but are not told).
pub(crate) fn holders_users(users: &[User], holder: &str) -> Vec<String> {
    users
        .iter()
        .filter(|u| u.has(Role::DataHolder) && u.organisation == holder)
        .map(|u| u.id.clone())
        .collect()
}
