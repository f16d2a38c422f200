//! Data orders to holders and what happened to them (rules in `hdab_permits::orders`).

use hdab_permits::orders::{DataOrder, OrderChange, OrderEvent};
use sqlx::Row;

use crate::uploads::upload_of_row;
use crate::{Result, Store, StoreError, Upload, corrupt, is_unique_violation, parse_ts, ts};

/// An order with its events, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrder {
    pub order: DataOrder,
    pub events: Vec<OrderEvent>,
}

fn order_of(r: &sqlx::any::AnyRow) -> Result<DataOrder> {
    serde_json::from_str(&r.try_get::<String, _>("body")?).map_err(|_| corrupt("a data order"))
}

fn event_of(r: &sqlx::any::AnyRow) -> Result<(String, OrderEvent)> {
    let change: OrderChange = serde_json::from_str(&r.try_get::<String, _>("body")?)
        .map_err(|_| corrupt("a data order's event"))?;
    Ok((
        r.try_get("order_id")?,
        OrderEvent {
            change,
            actor: r.try_get("actor")?,
            at: parse_ts(&r.try_get::<String, _>("at")?)?,
        },
    ))
}

pub(crate) async fn insert_orders(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    orders: &[DataOrder],
) -> Result<()> {
    for o in orders {
        sqlx::query("INSERT INTO data_orders (id, permit_id, application_id, dataset_id, holder, body, ordered_at, due_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&o.id)
            .bind(&o.permit_id)
            .bind(&o.application_id)
            .bind(&o.dataset_id)
            .bind(&o.holder)
            .bind(serde_json::to_string(o).map_err(|e| corrupt(e.to_string()))?)
            .bind(ts(o.ordered_at))
            .bind(o.due_on.to_string())
            .execute(&mut **tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
    }
    Ok(())
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    order_id: &str,
    seen_events: usize,
    event: &OrderEvent,
) -> Result<()> {
    let upload_id = match &event.change {
        OrderChange::Fulfilled { upload_id } => Some(upload_id.clone()),
        _ => None,
    };
    sqlx::query("INSERT INTO data_order_events (order_id, seq, body, upload_id, actor, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(order_id)
        .bind(seen_events as i64 + 1)
        .bind(serde_json::to_string(&event.change).map_err(|e| corrupt(e.to_string()))?)
        .bind(upload_id)
        .bind(&event.actor)
        .bind(ts(event.at))
        .execute(&mut **tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { e.into() })?;
    Ok(())
}

impl Store {
    /// How many orders were ever placed (numbers the next ones).
    pub async fn count_orders(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM data_orders")
            .fetch_one(self.pool())
            .await?
            .try_get("n")?)
    }

    /// Appends an event to an order that had `seen_events` events; a racing change
    /// collides (`StoreError::Conflict`).
    pub async fn append_order_event(
        &self,
        order_id: &str,
        seen_events: usize,
        event: &OrderEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_event(&mut tx, order_id, seen_events, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An upload made for an order, and the order fulfilled by it, in one transaction.
    pub async fn add_order_upload(
        &self,
        upload: &Upload,
        order_id: &str,
        seen_events: usize,
        event: &OrderEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        crate::uploads::insert_upload(&mut tx, upload).await?;
        insert_event(&mut tx, order_id, seen_events, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One order with its events.
    pub async fn order(&self, id: &str) -> Result<StoredOrder> {
        let row = sqlx::query("SELECT body FROM data_orders WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "data order",
                id: id.to_string(),
            })?;
        let order = order_of(&row)?;
        let events = sqlx::query(
            "SELECT order_id, body, actor, at FROM data_order_events WHERE order_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| event_of(r).map(|(_, e)| e))
        .collect::<Result<Vec<_>>>()?;
        Ok(StoredOrder { order, events })
    }

    /// Orders with their events: of one permit, of one holder, or every one (`None`,
    /// `None`), in the order placed.
    pub async fn orders(
        &self,
        permit_id: Option<&str>,
        holder: Option<&str>,
    ) -> Result<Vec<StoredOrder>> {
        let rows = sqlx::query("SELECT body FROM data_orders WHERE ($1 IS NULL OR permit_id = $1) AND ($2 IS NULL OR holder = $2) ORDER BY ordered_at, id")
            .bind(permit_id)
            .bind(holder)
            .fetch_all(self.pool())
            .await?;
        let mut orders: Vec<StoredOrder> = rows
            .iter()
            .map(|r| {
                Ok(StoredOrder {
                    order: order_of(r)?,
                    events: Vec::new(),
                })
            })
            .collect::<Result<_>>()?;
        let events = sqlx::query("SELECT e.order_id, e.body, e.actor, e.at FROM data_order_events e JOIN data_orders o ON o.id = e.order_id WHERE ($1 IS NULL OR o.permit_id = $1) AND ($2 IS NULL OR o.holder = $2) ORDER BY e.order_id, e.seq")
            .bind(permit_id)
            .bind(holder)
            .fetch_all(self.pool())
            .await?;
        for r in &events {
            let (id, e) = event_of(r)?;
            if let Some(o) = orders.iter_mut().find(|o| o.order.id == id) {
                o.events.push(e);
            }
        }
        Ok(orders)
    }

    /// The upload that fulfilled an order.
    pub async fn order_upload(&self, upload_id: &str) -> Result<Upload> {
        sqlx::query("SELECT * FROM uploads WHERE id = $1")
            .bind(upload_id)
            .fetch_optional(self.pool())
            .await?
            .map(|r| upload_of_row(&r))
            .transpose()?
            .ok_or_else(|| StoreError::NotFound {
                what: "upload",
                id: upload_id.to_string(),
            })
    }
}
