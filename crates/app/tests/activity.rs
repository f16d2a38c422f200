//! The activity report of a seeded year of cases (EHDS Art. 59): every figure equals the
//! count made here, independently, from the events as they were seeded — on SQLite and (when
//! CI provides `HDAB_TEST_POSTGRES_URL`) on PostgreSQL.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Months, NaiveDate, TimeZone, Utc};
use hdab_app::App;
use hdab_permits::fees::{FeeBasis, FeeChange, FeeEvent, FeeSchedule, FeeStatement};
use hdab_permits::orders::{OrderChange, OrderEvent, orders_for};
use hdab_permits::{ApplicationContent, CaseCommand, CaseEvent, Permit, Role, User};
use hdab_test_support::{fresh_databases, read, user};

/// A small seeded generator (the same numbers in every run).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[derive(Default, Debug)]
struct Expected {
    received: u64,
    approved: u64,
    rejected: u64,
    withdrawn: u64,
    on_time: u64,
    late: u64,
    days: Vec<i64>,
    grounds: BTreeMap<String, u64>,
    orders_placed: u64,
    orders_fulfilled: u64,
    orders_late: u64,
    orders_overdue: u64,
    deliveries: u64,
    rows: u64,
    opt_outs: u64,
    opt_ins: u64,
    invoices: u64,
    fees: u64,
    monthly: BTreeMap<String, (u64, u64)>,
}

fn month(t: DateTime<Utc>) -> String {
    t.format("%Y-%m").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seeded_years_report_equals_the_counts_made_from_its_events() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (from, to) = (
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default(),
    );
    let inside = |t: DateTime<Utc>| t.date_naive() >= from && t.date_naive() <= to;
    let content: ApplicationContent =
        toml::from_str(&read("pipelines/demo-application.toml")).unwrap_or_else(|e| panic!("{e}"));
    let grounds = [
        "The purpose is not one of Art. 53(1).",
        "Anonymised data would meet the purpose (Art. 66(2)).",
        "The applicant did not show an ethics approval.",
    ];
    let schedule = FeeSchedule {
        hourly_sek: 1_000,
        per_dataset_sek: 2_000,
        spe_monthly_sek: 3_000,
    };
    for (backend, settings) in fresh_databases(dir.path()).await {
        std::fs::create_dir_all(&settings.data_dir).unwrap_or_else(|e| panic!("{e}"));
        let app = App::open(settings).await.unwrap_or_else(|e| panic!("{e}"));
        let store = &app.store;
        let anna: User = user("anna", "karolinska-institutet", Role::Applicant);
        let mut rng = Lcg(2026);
        let mut x = Expected::default();
        let mut d = from;
        while d <= to {
            x.monthly.insert(d.format("%Y-%m").to_string(), (0, 0));
            d = d
                .checked_add_months(Months::new(1))
                .unwrap_or(NaiveDate::MAX);
        }
        let start = Utc
            .with_ymd_and_hms(2025, 11, 1, 9, 0, 0)
            .single()
            .unwrap_or_default();
        // The one upload the seeded deliveries name.
        store
            .add_upload(&hdab_store::Upload {
                id: "U".into(),
                dataset_id: "slutenvard".into(),
                dataset_version: 1,
                file_name: "U.csv".into(),
                sha256: "0".repeat(64),
                bytes: 1,
                n_rows: 1,
                reference_date: from,
                report: serde_json::json!({}),
                uploaded_by: "sara".into(),
                uploaded_at: start,
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut order_number = 1;
        for i in 0..80u64 {
            // Submitted any day from November 2025 to mid-December 2026.
            let submitted =
                start + Duration::days(rng.below(410) as i64) + Duration::minutes(i as i64);
            let id = store
                .create_application(&anna, &content, submitted - Duration::days(1))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let event = |command, at, comment: &str| CaseEvent {
                command,
                actor: "x".into(),
                at,
                comment: comment.into(),
                assignee: None,
            };
            store
                .append_case_event(&id, 0, &event(CaseCommand::Submit, submitted, ""), None)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            if inside(submitted) {
                x.received += 1;
                if let Some(m) = x.monthly.get_mut(&month(submitted)) {
                    m.0 += 1;
                }
            }
            // Decided 5 to 130 days later (the deadline is three months), withdrawn, or open.
            let outcome = rng.below(10);
            let at = submitted + Duration::days(5 + rng.below(125) as i64);
            let due = submitted
                .checked_add_months(Months::new(3))
                .unwrap_or(submitted);
            let (command, comment) = match outcome {
                0..=4 => (CaseCommand::Approve, "as asked".to_string()),
                5..=7 => (
                    CaseCommand::Reject,
                    grounds[rng.below(3) as usize].to_string(),
                ),
                8 => (CaseCommand::Withdraw, String::new()),
                _ => continue,
            };
            let mut permit = None;
            let mut orders = Vec::new();
            if command == CaseCommand::Approve {
                let spec = content.asked_spec();
                let p = Permit {
                    id: format!("P-{i}"),
                    application_id: id.clone(),
                    spec_digest: spec.digest(),
                    spec,
                    spe_users: vec!["anna".into()],
                    conditions: vec![],
                    granted_at: at,
                    valid_until: at.date_naive() + Duration::days(700),
                    key_id: "k".into(),
                    key_version: 1,
                    revoked_at: None,
                    optout_exception: None,
                };
                orders = orders_for(&p, |_| Some("socialstyrelsen".into()), order_number)
                    .unwrap_or_else(|e| panic!("{e}"));
                order_number += orders.len() as u64;
                permit = Some(p);
            }
            store
                .append_case_event(
                    &id,
                    1,
                    &event(command, at, &comment),
                    permit.as_ref().map(|p| (p, orders.as_slice())),
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            if inside(at) {
                match command {
                    CaseCommand::Approve => x.approved += 1,
                    CaseCommand::Reject => {
                        x.rejected += 1;
                        *x.grounds.entry(comment.clone()).or_default() += 1;
                    }
                    _ => x.withdrawn += 1,
                }
                if command != CaseCommand::Withdraw {
                    if at > due {
                        x.late += 1;
                    } else {
                        x.on_time += 1;
                    }
                    x.days.push((at - submitted).num_days());
                    if let Some(m) = x.monthly.get_mut(&month(at)) {
                        m.1 += 1;
                    }
                }
            }
            // Each order is fulfilled 10 to 140 days after the grant (three months allowed),
            // or (one in five) not yet; some twice (a correction counts once).
            for o in &orders {
                if inside(o.ordered_at) {
                    x.orders_placed += 1;
                }
                let due = o.due_on;
                let never = rng.below(5) == 0;
                let fulfilled = o.ordered_at + Duration::days(10 + rng.below(130) as i64);
                if (never || fulfilled.date_naive() > to)
                    && o.ordered_at.date_naive() <= to
                    && to > due
                {
                    x.orders_overdue += 1;
                }
                if never {
                    continue;
                }
                for (seq, when) in [fulfilled, fulfilled + Duration::days(3)]
                    .into_iter()
                    .enumerate()
                {
                    let e = OrderEvent {
                        change: OrderChange::Fulfilled {
                            upload_id: format!("U-{}-{seq}", o.id),
                        },
                        actor: "sara".into(),
                        at: when,
                    };
                    store
                        .append_order_event(&o.id, seq, &e)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                }
                if inside(fulfilled) {
                    x.orders_fulfilled += 1;
                    if fulfilled.date_naive() > due {
                        x.orders_late += 1;
                    }
                }
                // A delivery a week after the data came.
                let delivered = fulfilled + Duration::days(7);
                let rows = 100 + rng.below(5000);
                let manifest = serde_json::json!({"rows": {"delivered": rows}});
                store
                    .record_extraction(
                        &format!("run-{}", o.id),
                        &o.permit_id,
                        &o.dataset_id,
                        "U",
                        delivered,
                        &manifest,
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                if inside(delivered) {
                    x.deliveries += 1;
                    x.rows += rows;
                }
            }
            // An invoice for some granted cases, a month after the grant.
            if command == CaseCommand::Approve && rng.below(2) == 0 {
                let statement = FeeStatement::new(
                    schedule,
                    &FeeBasis {
                        hours: 1 + rng.below(40),
                        datasets: vec![("slutenvard".into(), "socialstyrelsen".into())],
                        holder_costs: vec![],
                        spe_months: 12,
                    },
                )
                .unwrap_or_else(|e| panic!("{e}"));
                let when = at + Duration::days(30);
                let e = FeeEvent {
                    change: FeeChange::Invoiced {
                        statement: statement.clone(),
                    },
                    actor: "olle".into(),
                    at: when,
                };
                store
                    .append_fee_event(&id, 0, &e)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                if inside(when) {
                    x.invoices += 1;
                    x.fees += statement.total_sek;
                }
            }
        }
        // Opt-outs over the year and around it; some people come back in.
        for p in 0..150u8 {
            let hash = [p; 32];
            let at = start + Duration::days(rng.below(420) as i64);
            store
                .record_optout(&hash, true, at)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            if inside(at) {
                x.opt_outs += 1;
            }
            if rng.below(4) == 0 {
                let back = at + Duration::days(1 + rng.below(60) as i64);
                store
                    .record_optout(&hash, false, back)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                if inside(back) {
                    x.opt_ins += 1;
                }
            }
        }

        let r = app
            .activity_report(from, to)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            x.received > 40 && x.approved > 10 && x.rejected > 5,
            "{backend}: the seed covers the year: {x:?}"
        );
        assert_eq!(r.received, x.received, "{backend}");
        assert_eq!(r.approved, x.approved, "{backend}");
        assert_eq!(r.rejected, x.rejected, "{backend}");
        assert_eq!(r.withdrawn, x.withdrawn, "{backend}");
        assert_eq!(r.decided_on_time, x.on_time, "{backend}");
        assert_eq!(r.decided_late, x.late, "{backend}");
        assert!(x.late > 0 && x.on_time > 0, "{backend}: both kinds seeded");
        x.days.sort_unstable();
        let n = x.days.len();
        let median = if n % 2 == 1 {
            x.days[n / 2] as f64
        } else {
            (x.days[n / 2 - 1] + x.days[n / 2]) as f64 / 2.0
        };
        assert_eq!(r.days_to_decision_median, Some(median), "{backend}");
        assert_eq!(r.days_to_decision_max, x.days.last().copied(), "{backend}");
        let mean = x.days.iter().sum::<i64>() as f64 / n as f64;
        assert!(
            r.days_to_decision_mean
                .is_some_and(|m| (m - mean).abs() < 1e-9),
            "{backend}"
        );
        let mut grounds: Vec<(String, u64)> = x.grounds.clone().into_iter().collect();
        grounds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        assert_eq!(r.refusals_by_ground, grounds, "{backend}");
        assert_eq!(r.orders_placed, x.orders_placed, "{backend}");
        assert_eq!(r.orders_fulfilled, x.orders_fulfilled, "{backend}");
        assert_eq!(r.orders_fulfilled_late, x.orders_late, "{backend}");
        assert!(x.orders_late > 0, "{backend}: late orders seeded");
        assert_eq!(r.orders_overdue_at_end, x.orders_overdue, "{backend}");
        assert_eq!(r.deliveries, x.deliveries, "{backend}");
        assert_eq!(r.rows_delivered, x.rows, "{backend}");
        assert_eq!(r.opt_outs, x.opt_outs, "{backend}");
        assert_eq!(r.opt_ins, x.opt_ins, "{backend}");
        assert_eq!(r.invoices, x.invoices, "{backend}");
        assert_eq!(r.fees_invoiced_sek, x.fees, "{backend}");
        let monthly: Vec<(String, u64, u64)> = x
            .monthly
            .iter()
            .map(|(m, (a, b))| (m.clone(), *a, *b))
            .collect();
        assert_eq!(r.monthly, monthly, "{backend}");
        // The CSV says the same.
        let csv = r.to_csv();
        assert!(
            csv.contains(&format!("applications_received,{}\n", x.received)),
            "{csv}"
        );
        assert!(csv.contains(&format!("fees_invoiced_sek,{}\n", x.fees)));
    }
}
