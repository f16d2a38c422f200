//! Fees (EHDS Art. 62): where a fee schedule is set, an officer estimates the fees before the
//! decision, the decision waits for the applicant's acceptance, and after delivery the invoice
//! lists each holder's share; the register shows the fee.

use crate::support::{Hdab, repo};

const SCHEDULE: [(&str, &str); 3] = [
    ("HDAB_FEE_HOURLY_SEK", "1000"),
    ("HDAB_FEE_PER_DATASET_SEK", "2000"),
    ("HDAB_FEE_SPE_MONTHLY_SEK", "3000"),
];

/// hdab as `user` under the fee schedule: (success, stdout, stderr).
fn run(hdab: &Hdab, user: &str, args: &[&str]) -> (bool, String, String) {
    let out = hdab
        .command()
        .envs(SCHEDULE)
        .args(["--as", user])
        .args(args)
        .output()
        .unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(!e.contains("panicked"), "{e}");
    (out.status.success(), o, e)
}

fn ok(hdab: &Hdab, user: &str, args: &[&str]) -> String {
    let (ok, out, err) = run(hdab, user, args);
    assert!(ok, "{user} {args:?}: {err}");
    out
}

fn refused(hdab: &Hdab, user: &str, args: &[&str]) -> String {
    let (ok, out, err) = run(hdab, user, args);
    assert!(!ok, "{user} {args:?} should have been refused: {out}");
    err
}

#[test]
fn the_decision_waits_for_the_accepted_estimate_and_the_invoice_lists_each_holders_share() {
    let hdab = Hdab::demo();
    // Two datasets, both Socialstyrelsen's; no study population.
    let id = hdab.apply_and_take("anna", &repo().join("pipelines/demo-application.toml"));
    let approve = ["case", "approve", id.as_str(), "--reason", "as asked"];
    let err = refused(&hdab, "dora", &approve);
    assert!(err.contains("no fee estimate"), "{err}");

    // Only a case officer estimates; a cost is stated for a holder the case orders from.
    refused(&hdab, "anna", &["fee", "estimate", &id, "--hours", "1"]);
    let err = refused(
        &hdab,
        "olle",
        &[
            "fee",
            "estimate",
            &id,
            "--hours",
            "10",
            "--holder-cost",
            "scb=9000",
        ],
    );
    assert!(err.contains("scb"), "{err}");
    let out = ok(
        &hdab,
        "olle",
        &[
            "fee",
            "estimate",
            &id,
            "--hours",
            "10",
            "--holder-cost",
            "socialstyrelsen=4000",
            "--spe-months",
            "12",
        ],
    );
    let estimate = 10 * 1000 + 2 * 2000 + 4000 + 12 * 3000;
    assert!(out.contains(&format!("total {estimate} SEK")), "{out}");

    // Not accepted: the decision waits; only the applicant accepts.
    let err = refused(&hdab, "dora", &approve);
    assert!(err.contains("not accepted"), "{err}");
    refused(&hdab, "olle", &["fee", "accept", &id]);
    ok(&hdab, "anna", &["fee", "accept", &id]);
    refused(&hdab, "anna", &["fee", "accept", &id]);
    let out = ok(&hdab, "dora", &approve);
    let permit = crate::support::permit_in(&out);
    // The estimate is made before the decision, not after.
    refused(&hdab, "olle", &["fee", "estimate", &id, "--hours", "1"]);

    // No invoice before delivery; after it, one, with the hours worked.
    refused(&hdab, "olle", &["fee", "invoice", &id]);
    hdab.fulfil_orders(&permit, &[]);
    ok(&hdab, "olle", &["extract", &permit]);
    ok(&hdab, "olle", &["fee", "invoice", &id, "--hours", "12"]);
    refused(&hdab, "olle", &["fee", "invoice", &id]);
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&hdab, "anna", &["fee", "show", &id, "--json"])).unwrap();
    let invoice_total = 12 * 1000 + 2 * 2000 + 4000 + 12 * 3000;
    assert_eq!(shown["invoice"]["total_sek"], invoice_total);
    assert_eq!(
        shown["invoice_shares"],
        serde_json::json!([
            ["hdab", 12 * 1000 + 12 * 3000],
            ["socialstyrelsen", 2 * 2000 + 4000]
        ])
    );
    // The shares add up to the total.
    let sum: u64 = shown["invoice_shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[1].as_u64().unwrap())
        .sum();
    assert_eq!(sum, invoice_total as u64);

    // The public register states the fee of the decided case.
    let register: serde_json::Value =
        serde_json::from_str(&hdab.ok(&["register", "--json"])).unwrap();
    let entry = register["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id.as_str())
        .unwrap();
    assert_eq!(entry["fee_sek"], invoice_total);
    hdab.ok(&["audit", "verify"]);
}

#[test]
fn without_a_fee_schedule_no_fees_are_charged_and_the_decision_does_not_wait() {
    let hdab = Hdab::demo();
    let id = hdab.apply_and_take("anna", &repo().join("pipelines/demo-application.toml"));
    let err = hdab.fails_as("olle", &["fee", "estimate", &id, "--hours", "1"]);
    assert!(err.contains("charges no fees"), "{err}");
    hdab.ok_as("dora", &["case", "approve", &id, "--reason", "as asked"]);
}
