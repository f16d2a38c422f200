//! `hdab order …`.

use crate::actor;
use crate::args::{Cli, OrderCmd};
use anyhow::Result;
use chrono::Utc;
use hdab_app::App;
use hdab_app::orders::OrderView;
use hdab_permits::orders::{OrderChange, OrderState};

pub(crate) async fn order(app: &App, cli: &Cli, command: &OrderCmd) -> Result<()> {
    let today_or = |d: &Option<chrono::NaiveDate>| d.unwrap_or_else(|| Utc::now().date_naive());
    match command {
        OrderCmd::List {
            permit,
            overdue,
            today,
            json,
        } => {
            let mut orders = app
                .orders(&actor(cli)?, permit.as_deref(), today_or(today))
                .await?;
            if *overdue {
                orders.retain(|o| o.overdue);
            }
            if *json {
                say!("{}", serde_json::to_string_pretty(&orders)?);
                return Ok(());
            }
            if orders.is_empty() {
                say!("no data orders");
            }
            for o in &orders {
                say!("{}", line(o));
            }
        }
        OrderCmd::Show { id, today } => {
            let o = app.order(&actor(cli)?, id, today_or(today)).await?;
            say!("{}", line(&o));
            say!(
                "  permit {} ({}): {}",
                o.order.permit_id,
                o.order.application_id,
                o.title
            );
            let scopes: Vec<&str> = o.order.scopes.iter().map(|s| s.as_str()).collect();
            say!("  covers: {}", scopes.join(", "));
            if !o.order.variables.is_empty() {
                say!("  variables: {}", o.order.variables.join(", "));
            }
            say!(
                "  ordered {} by the grant, due {}",
                o.order.ordered_at.format("%Y-%m-%d"),
                o.order.due_on
            );
            for e in &o.events {
                let what = match &e.change {
                    OrderChange::Extended { until, reason } => {
                        format!("extended to {until}: {reason}")
                    }
                    OrderChange::Fulfilled { upload_id } => {
                        format!("fulfilled by upload {upload_id}")
                    }
                    OrderChange::Cancelled { reason } => format!("cancelled: {reason}"),
                };
                say!("  {} {}: {what}", e.at.format("%Y-%m-%d %H:%M"), e.actor);
            }
        }
        OrderCmd::Extend { id, months, reason } => {
            let until = app.extend_order(&actor(cli)?, id, *months, reason).await?;
            say!("order {id} is now due {until}");
        }
    }
    Ok(())
}

/// One order on a line: id, dataset, holder, state, due, lateness.
fn line(o: &OrderView) -> String {
    let state = match &o.state {
        OrderState::Open { extended: true, .. } => "open (extended)".to_string(),
        OrderState::Fulfilled { upload_id, .. } => format!("fulfilled by {upload_id}"),
        s => s.as_str().to_string(),
    };
    let late = if o.overdue {
        format!(", OVERDUE by {} day(s)", o.days_late)
    } else {
        String::new()
    };
    format!(
        "{} {} {:<14} {:<22} {state}, due {}{late}",
        o.order.id, o.order.permit_id, o.order.dataset_id, o.order.holder, o.due
    )
}
