//! The activity report (EHDS Art. 59): what the HDAB did in a period, counted from the
//! events it keeps. Pure: the caller gathers the events; the period is whole days (UTC),
//! both ends included.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

use crate::orders::{DataOrder, OrderChange, OrderEvent, OrderState};
use crate::{CaseCommand, CaseEvent, Purpose, deadline};

/// What the report is counted from.
#[derive(Debug, Clone, Copy)]
pub struct ActivityInput<'a> {
    /// Every application: its purpose and case events.
    pub applications: &'a [(Purpose, Vec<CaseEvent>)],
    pub orders: &'a [(DataOrder, Vec<OrderEvent>)],
    /// Each delivery: when, and rows delivered.
    pub deliveries: &'a [(DateTime<Utc>, u64)],
    /// Each release of results from the SPE.
    pub releases: &'a [DateTime<Utc>],
    /// Each registry change: when, and whether it was an opt-out (else back in).
    pub optouts: &'a [(DateTime<Utc>, bool)],
    /// Each invoice: when, and its total (SEK).
    pub invoices: &'a [(DateTime<Utc>, u64)],
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Applications first submitted in the period.
    pub received: u64,
    pub approved: u64,
    pub rejected: u64,
    pub withdrawn: u64,
    /// Decisions (approve, reject) by the deadline, and after it.
    pub decided_on_time: u64,
    pub decided_late: u64,
    /// Calendar days from first submission to decision, of the period's decisions.
    pub days_to_decision_median: Option<f64>,
    pub days_to_decision_mean: Option<f64>,
    pub days_to_decision_max: Option<i64>,
    /// Refusals by their stated reason (most frequent first).
    pub refusals_by_ground: Vec<(String, u64)>,
    pub orders_placed: u64,
    pub orders_fulfilled: u64,
    /// Fulfilled (first) after their due date.
    pub orders_fulfilled_late: u64,
    /// Open and past due at the end of the period.
    pub orders_overdue_at_end: u64,
    pub deliveries: u64,
    pub rows_delivered: u64,
    pub releases: u64,
    pub opt_outs: u64,
    pub opt_ins: u64,
    pub invoices: u64,
    pub fees_invoiced_sek: u64,
    /// Per month of the period: (YYYY-MM, received, decided).
    pub monthly: Vec<(String, u64, u64)>,
}

impl ActivityReport {
    pub fn compute(input: ActivityInput<'_>, from: NaiveDate, to: NaiveDate) -> ActivityReport {
        let within = |t: &DateTime<Utc>| {
            let d = t.date_naive();
            d >= from && d <= to
        };
        let month = |t: &DateTime<Utc>| format!("{:04}-{:02}", t.year(), t.month());
        let mut monthly: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let mut d = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).unwrap_or(from);
        while d <= to {
            monthly.insert(format!("{:04}-{:02}", d.year(), d.month()), (0, 0));
            d = d
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(NaiveDate::MAX);
        }
        let mut r = ActivityReport {
            from,
            to,
            received: 0,
            approved: 0,
            rejected: 0,
            withdrawn: 0,
            decided_on_time: 0,
            decided_late: 0,
            days_to_decision_median: None,
            days_to_decision_mean: None,
            days_to_decision_max: None,
            refusals_by_ground: Vec::new(),
            orders_placed: 0,
            orders_fulfilled: 0,
            orders_fulfilled_late: 0,
            orders_overdue_at_end: 0,
            deliveries: 0,
            rows_delivered: 0,
            releases: 0,
            opt_outs: 0,
            opt_ins: 0,
            invoices: 0,
            fees_invoiced_sek: 0,
            monthly: Vec::new(),
        };
        let mut days = Vec::new();
        let mut grounds: BTreeMap<String, u64> = BTreeMap::new();
        for (purpose, events) in input.applications {
            if let Some(first) = events.iter().find(|e| e.command == CaseCommand::Submit)
                && within(&first.at)
            {
                r.received += 1;
                if let Some(m) = monthly.get_mut(&month(&first.at)) {
                    m.0 += 1;
                }
            }
            for (i, e) in events.iter().enumerate() {
                if !within(&e.at) {
                    continue;
                }
                match e.command {
                    CaseCommand::Approve | CaseCommand::Reject => {
                        if e.command == CaseCommand::Approve {
                            r.approved += 1;
                        } else {
                            r.rejected += 1;
                            *grounds.entry(e.comment.trim().to_string()).or_default() += 1;
                        }
                        if let Some(m) = monthly.get_mut(&month(&e.at)) {
                            m.1 += 1;
                        }
                        // The deadline as it stood when the decision was taken.
                        let before = &events[..i];
                        let dl = deadline(before, *purpose, e.at);
                        match dl.due {
                            Some(due) if e.at > due => r.decided_late += 1,
                            _ => r.decided_on_time += 1,
                        }
                        if let Some(start) = dl.started {
                            days.push((e.at - start).num_days());
                        }
                    }
                    CaseCommand::Withdraw => r.withdrawn += 1,
                    _ => {}
                }
            }
        }
        if !days.is_empty() {
            days.sort_unstable();
            let n = days.len();
            let median = if n % 2 == 1 {
                days[n / 2] as f64
            } else {
                (days[n / 2 - 1] + days[n / 2]) as f64 / 2.0
            };
            r.days_to_decision_median = Some(median);
            r.days_to_decision_mean = Some(days.iter().sum::<i64>() as f64 / n as f64);
            r.days_to_decision_max = days.last().copied();
        }
        let mut grounds: Vec<(String, u64)> = grounds.into_iter().collect();
        grounds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        r.refusals_by_ground = grounds;
        for (order, events) in input.orders {
            if within(&order.ordered_at) {
                r.orders_placed += 1;
            }
            // The first fulfilment counts (a later one is a correction).
            let first = events
                .iter()
                .enumerate()
                .find(|(_, e)| matches!(e.change, OrderChange::Fulfilled { .. }));
            if let Some((i, e)) = first
                && within(&e.at)
            {
                r.orders_fulfilled += 1;
                if let OrderState::Open { due, .. } = order.state(&events[..i])
                    && e.at.date_naive() > due
                {
                    r.orders_fulfilled_late += 1;
                }
            }
            // Open and overdue at the end of the period (events after it not yet known).
            let known: Vec<OrderEvent> = events
                .iter()
                .filter(|e| e.at.date_naive() <= to)
                .cloned()
                .collect();
            if order.ordered_at.date_naive() <= to && order.is_overdue(&known, to) {
                r.orders_overdue_at_end += 1;
            }
        }
        for (at, rows) in input.deliveries {
            if within(at) {
                r.deliveries += 1;
                r.rows_delivered += rows;
            }
        }
        r.releases = input.releases.iter().filter(|t| within(t)).count() as u64;
        for (at, out) in input.optouts {
            if within(at) {
                if *out {
                    r.opt_outs += 1;
                } else {
                    r.opt_ins += 1;
                }
            }
        }
        for (at, total) in input.invoices {
            if within(at) {
                r.invoices += 1;
                r.fees_invoiced_sek += total;
            }
        }
        r.monthly = monthly
            .into_iter()
            .map(|(m, (received, decided))| (m, received, decided))
            .collect();
        r
    }

    /// The figures as `metric,value` lines (CSV with a header), then the refusals by ground
    /// and the months.
    pub fn to_csv(&self) -> String {
        let opt = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
        let mut out = String::from("metric,value\n");
        let rows: Vec<(&str, String)> = vec![
            ("from", self.from.to_string()),
            ("to", self.to.to_string()),
            ("applications_received", self.received.to_string()),
            ("approved", self.approved.to_string()),
            ("rejected", self.rejected.to_string()),
            ("withdrawn", self.withdrawn.to_string()),
            ("decided_on_time", self.decided_on_time.to_string()),
            ("decided_late", self.decided_late.to_string()),
            ("days_to_decision_median", opt(self.days_to_decision_median)),
            ("days_to_decision_mean", opt(self.days_to_decision_mean)),
            (
                "days_to_decision_max",
                self.days_to_decision_max
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
            ("data_orders_placed", self.orders_placed.to_string()),
            ("data_orders_fulfilled", self.orders_fulfilled.to_string()),
            (
                "data_orders_fulfilled_late",
                self.orders_fulfilled_late.to_string(),
            ),
            (
                "data_orders_overdue_at_end",
                self.orders_overdue_at_end.to_string(),
            ),
            ("deliveries", self.deliveries.to_string()),
            ("rows_delivered", self.rows_delivered.to_string()),
            ("releases_from_spe", self.releases.to_string()),
            ("opt_outs", self.opt_outs.to_string()),
            ("opt_ins", self.opt_ins.to_string()),
            ("invoices", self.invoices.to_string()),
            ("fees_invoiced_sek", self.fees_invoiced_sek.to_string()),
        ];
        for (k, v) in rows {
            out.push_str(&format!("{k},{v}\n"));
        }
        for (ground, n) in &self.refusals_by_ground {
            out.push_str(&format!(
                "{},{n}\n",
                csv_field(&format!("refused:{ground}"))
            ));
        }
        for (m, received, decided) in &self.monthly {
            out.push_str(&format!("received:{m},{received}\ndecided:{m},{decided}\n"));
        }
        out
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
