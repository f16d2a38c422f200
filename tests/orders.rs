//! Data orders (EHDS Art. 60(1), 68(7)): a grant orders each dataset the permit needs from
//! its holder, due in three months; an extraction waits for every order and then reads the
//! uploads made for them; an order is overdue after its due date, and not after an extension.

use crate::support::{Hdab, read_delivery, repo};
use chrono::{Months, NaiveDate, Utc};

fn day(d: NaiveDate, plus_days: i64) -> String {
    (d + chrono::Duration::days(plus_days)).to_string()
}

fn overdue_ids(hdab: &Hdab, user: &str, today: &str) -> Vec<String> {
    hdab.ok_as(user, &["order", "list", "--overdue", "--today", today])
        .lines()
        .filter(|l| l.starts_with("DO-"))
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_grant_orders_the_data_and_the_extraction_waits_for_every_order() {
    let hdab = Hdab::demo();
    let application = repo().join("pipelines/demo-population-study.toml");
    let id = hdab.apply_and_take("anna", &application);
    hdab.ok_as("dora", &["case", "approve", &id, "--reason", "ok"]);
    let permit = "P-2026-0003";

    // One order per dataset the permit needs: its datasets, the study population's index
    // dataset and the population register it draws controls from; each to its holder, due
    // three months after the grant.
    let orders = hdab.open_orders(permit);
    let mut datasets: Vec<&str> = orders.iter().map(|(_, d)| d.as_str()).collect();
    datasets.sort();
    assert_eq!(
        datasets,
        ["befolkning", "dodsorsak", "lakemedel", "slutenvard"]
    );
    let granted = Utc::now().date_naive();
    let due = granted.checked_add_months(Months::new(3)).unwrap();
    let listed = hdab.ok_as("olle", &["order", "list", "--permit", permit]);
    assert_eq!(listed.matches(&format!("due {due}")).count(), 4, "{listed}");
    // Each holder sees its own orders only; an applicant sees none.
    let stig = hdab.ok_as("stig", &["order", "list"]);
    assert!(
        stig.contains("befolkning") && !stig.contains("slutenvard"),
        "{stig}"
    );
    hdab.fails_as("anna", &["order", "list"]);

    // Before the orders are fulfilled the extraction is refused, naming every order.
    let refused = hdab.fails_as("olle", &["extract", permit]);
    for (order, _) in &orders {
        assert!(
            refused.contains(order.as_str()),
            "{order} not named: {refused}"
        );
    }
    assert!(!hdab.spe().join(permit).exists(), "nothing was delivered");

    // Overdue after three months, not before; not after an extension, until it ends.
    let (slow, _) = orders
        .iter()
        .find(|(_, d)| d == "lakemedel")
        .cloned()
        .unwrap();
    assert!(overdue_ids(&hdab, "olle", &day(due, 0)).is_empty());
    let late = overdue_ids(&hdab, "olle", &day(due, 1));
    assert_eq!(late.len(), 4, "{late:?}");
    assert!(late.contains(&slow));
    // Only a case officer extends, with a reason, by at most three months, once.
    hdab.fails_as(
        "sara",
        &["order", "extend", &slow, "--months", "3", "--reason", "x"],
    );
    hdab.fails_as(
        "olle",
        &["order", "extend", &slow, "--months", "4", "--reason", "x"],
    );
    hdab.fails_as(
        "olle",
        &["order", "extend", &slow, "--months", "3", "--reason", " "],
    );
    hdab.ok_as(
        "olle",
        &[
            "order",
            "extend",
            &slow,
            "--months",
            "3",
            "--reason",
            "the region moves its prescription system",
        ],
    );
    hdab.fails_as(
        "olle",
        &[
            "order", "extend", &slow, "--months", "1", "--reason", "again",
        ],
    );
    let extended_due = due.checked_add_months(Months::new(3)).unwrap();
    let late = overdue_ids(&hdab, "olle", &day(due, 1));
    assert_eq!(late.len(), 3);
    assert!(!late.contains(&slow), "extended: not overdue");
    assert!(!overdue_ids(&hdab, "olle", &day(extended_due, 0)).contains(&slow));
    assert!(overdue_ids(&hdab, "olle", &day(extended_due, 1)).contains(&slow));
    // The holder sees the same, for its own orders.
    assert_eq!(overdue_ids(&hdab, "sara", &day(due, 1)).len(), 2);
    let history = hdab.ok_as("sara", &["order", "show", &slow]);
    assert!(
        history.contains(&format!("extended to {extended_due}: the region moves")),
        "{history}"
    );

    // Another holder cannot fulfil an order that is not theirs.
    let sample = repo().join("sample-data/lakemedel.csv");
    let sample = sample.to_str().unwrap();
    hdab.fails_as("stig", &["upload", "--order", &slow, sample]);
    // An upload for the order must be of the order's dataset.
    hdab.fails_as(
        "sara",
        &[
            "upload",
            "--order",
            &slow,
            "--dataset",
            "slutenvard",
            sample,
        ],
    );

    // Three of four fulfilled: still refused, naming the one left.
    for (order, dataset) in orders.iter().filter(|(o, _)| *o != slow) {
        let holder = if dataset == "befolkning" {
            "stig"
        } else {
            "sara"
        };
        let file = repo().join(format!("sample-data/{dataset}.csv"));
        hdab.ok_as(
            holder,
            &[
                "upload",
                "--order",
                order,
                file.to_str().unwrap(),
                "--extract-date",
                "2024-03-31",
            ],
        );
    }
    let refused = hdab.fails_as("olle", &["extract", permit]);
    assert!(refused.contains(&slow), "{refused}");
    let fulfilled = hdab.ok_as(
        "sara",
        &[
            "upload",
            "--order",
            &slow,
            sample,
            "--extract-date",
            "2024-03-31",
        ],
    );
    assert!(fulfilled.contains(&format!("data order {slow} fulfilled")));
    assert!(overdue_ids(&hdab, "olle", &day(extended_due, 30)).is_empty());

    // The extraction reads the uploads made for the orders, and says which.
    let out = hdab.ok_as("olle", &["extract", permit]);
    let upload_of = |order: &str| {
        let shown = hdab.ok_as("olle", &["order", "show", order]);
        shown
            .split("fulfilled by upload ")
            .last()
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("{shown}"))
            .to_string()
    };
    // (The population register serves the study population: it is not delivered itself.)
    for (order, dataset) in orders.iter().filter(|(_, d)| d != "befolkning") {
        let upload = upload_of(order);
        assert!(
            out.contains(&format!(
                "{dataset}: data from order {order} (upload {upload})"
            )),
            "{out}"
        );
        let manifest = read_delivery(&hdab.spe().join(permit).join(dataset)).manifest;
        assert_eq!(manifest["upload_id"], upload.as_str(), "{dataset}");
    }
    // A corrected extract for a fulfilled order replaces the one before: the next
    // extraction reads it.
    let before = upload_of(&slow);
    let dir = tempfile::tempdir().unwrap();
    let fixed = dir.path().join("lakemedel.csv");
    let text = std::fs::read_to_string(repo().join("sample-data/lakemedel.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    std::fs::write(&fixed, lines.join("\n") + "\n").unwrap();
    hdab.ok_as(
        "sara",
        &[
            "upload",
            "--order",
            &slow,
            fixed.to_str().unwrap(),
            "--extract-date",
            "2024-03-31",
        ],
    );
    let corrected = upload_of(&slow);
    assert_ne!(before, corrected);
    hdab.ok_as("olle", &["extract", permit]);
    let manifest = read_delivery(&hdab.spe().join(permit).join("lakemedel")).manifest;
    assert_eq!(manifest["upload_id"], corrected.as_str());
    // The audit log names the orders the extraction read.
    let log = hdab.ok_as("admin", &["audit", "show"]);
    assert!(log.contains(&format!("order {slow}")), "{log}");
    hdab.ok(&["audit", "verify"]);
}
