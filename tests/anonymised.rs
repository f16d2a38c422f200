//! Anonymised permits (EHDS Art. 66(2)): no pseudonym, no identifier, every delivered
//! combination of quasi-identifiers shared by at least k records, the risk report in the
//! manifest. Checked from the delivered files alone; CI also checks them with pycanon
//! (`tests/python/check_anonymised.py`).

use crate::support::{self, Hdab, reference};
use std::collections::HashMap;
use std::path::Path;

fn manifest(folder: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(folder.join("manifest.json")).unwrap()).unwrap()
}

/// The smallest group of delivered rows sharing every quasi-identifier the manifest names.
fn smallest_group(folder: &Path, quasi: &[String]) -> usize {
    let mut groups: HashMap<Vec<String>, usize> = HashMap::new();
    for row in support::delivered_rows(folder) {
        *groups
            .entry(quasi.iter().map(|q| row[q].clone()).collect())
            .or_default() += 1;
    }
    groups.values().copied().min().unwrap_or(0)
}

fn quasi_of(m: &serde_json::Value) -> Vec<String> {
    m["anonymisation"]["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["variable"].as_str().unwrap().to_string())
        .collect()
}

/// An application for pseudonymised admissions (the demo's anonymised one, asked for
/// pseudonymised with the admission date), approved as anonymised data of `variables`
/// (with `settings`, e.g. `anonymisation = { k = 20 }`) over admissions 2016–2023, and
/// extracted.
fn approve_anonymised(hdab: &Hdab, settings: &str, variables: &str) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let narrow = dir.path().join("narrowed.toml");
    let narrowed = format!(
        r#"
pseudonymised = false
{settings}

[[datasets]]
dataset_id = "slutenvard"
variables = {variables}

[datasets.cohort]
conditions = [
    {{ kind = "date_range", column = "INDATUM", from = "2016-01-01", to = "2023-12-31" }},
]
"#
    );
    std::fs::write(&narrow, narrowed).unwrap();
    let asked = std::fs::read_to_string(support::repo().join("pipelines/demo-anonymised.toml"))
        .unwrap()
        .replace(
            "pseudonymised = false",
            "pseudonymised = true\nwhy_not_anonymised = \"Admissions are followed over years.\"",
        )
        .replace(
            r#"["KON", "ALDER", "LAN", "HDIA"]"#,
            r#"["KON", "ALDER", "LAN", "INDATUM", "HDIA"]"#,
        );
    let application = dir.path().join("application.toml");
    std::fs::write(&application, asked).unwrap();
    let id = hdab.apply_and_take("anna", &application);
    let reason = "Anonymised data suffices (Art. 66(2)).";
    let narrow = narrow.to_str().unwrap();
    let out = hdab.ok_as(
        "dora",
        &[
            "case", "approve", &id, "--reason", reason, "--narrow", narrow,
        ],
    );
    let permit = support::permit_in(&out);
    hdab.fulfil_orders(&permit, &[]);
    let (ok, _, err) = hdab.run(Some("olle"), &["extract", &permit]);
    if ok { Ok(permit) } else { Err(err) }
}

#[test]
fn the_demos_anonymised_permit_delivers_groups_of_at_least_ten_without_pseudonym_or_identifier() {
    let hdab = Hdab::demo();
    let folder = hdab.spe().join("P-2026-0002/slutenvard");
    let m = manifest(&folder);
    let a = &m["anonymisation"];
    assert_eq!(a["k"], 10);
    let quasi = quasi_of(&m);
    assert_eq!(quasi, ["KON", "ALDER", "LAN"]);
    // From the files alone: every combination is shared by at least 10 records.
    let smallest = smallest_group(&folder, &quasi);
    assert!(smallest >= 10, "a group of {smallest}");
    assert_eq!(a["after"]["k"], smallest as u64);
    // No pseudonym, no identifier, nothing that reads as a personnummer.
    let delivery = support::read_delivery(&folder);
    assert!(delivery.pseudonyms.is_empty());
    assert!(
        delivery.names.iter().all(|c| !c.contains("pseudonym")),
        "{:?}",
        delivery.names
    );
    for text in delivery.all_text() {
        assert!(!support::contains_person_id(&text, reference()), "{text}");
    }
    // The risk before and after, the levels, the loss; the HDAB's record accounts for the
    // suppressed rows.
    assert!(a["before"]["k"].as_u64().unwrap() < 10, "{a}");
    assert!(a["before"]["sample_uniques"].as_u64().unwrap() > 0, "{a}");
    assert_eq!(a["after"]["sample_uniques"], 0);
    let loss = a["information_loss"].as_f64().unwrap();
    assert!(loss > 0.0 && loss < 1.0, "{loss}");
    let suppressed = a["suppressed"].as_u64().unwrap();
    let rows = &delivery.record["rows"];
    assert_eq!(rows["suppressed"], suppressed);
    let sum: u64 = [
        "delivered",
        "outside_population",
        "outside_cohort",
        "opted_out",
        "invalid_identifier",
        "suppressed",
    ]
    .iter()
    .map(|k| rows[k].as_u64().unwrap())
    .sum();
    assert_eq!(rows["rows_in"].as_u64().unwrap(), sum);
    assert!(suppressed as f64 <= 0.02 * (rows["delivered"].as_u64().unwrap() + suppressed) as f64);
    // l-diversity of the sensitive diagnosis is reported.
    assert_eq!(a["after"]["l_diversity"][0]["variable"], "HDIA");
    // No population table in an anonymised permit's workspace.
    assert!(!hdab.spe().join("P-2026-0002/population").exists());
}

#[test]
fn an_officer_turns_a_pseudonymised_request_into_an_anonymised_one_with_a_stricter_k() {
    let hdab = Hdab::demo();
    let permit = approve_anonymised(
        &hdab,
        "anonymisation = { k = 20 }",
        r#"["KON", "ALDER", "LAN", "HDIA"]"#,
    )
    .unwrap();
    let folder = hdab.spe().join(&permit).join("slutenvard");
    let m = manifest(&folder);
    assert_eq!(m["anonymisation"]["k"], 20);
    let smallest = smallest_group(&folder, &quasi_of(&m));
    assert!(smallest >= 20, "a group of {smallest}");
    assert!(!hdab.spe().join(&permit).join("population").exists());
}

#[test]
fn when_no_generalisation_reaches_k_the_blocking_variable_is_named_and_nothing_is_delivered() {
    let hdab = Hdab::demo();
    // Every admission with its date: even by year and national area, too many groups stay
    // under 10; without the admission date the rest would pass.
    let err = approve_anonymised(&hdab, "", r#"["KON", "ALDER", "LAN", "INDATUM"]"#).unwrap_err();
    assert!(err.contains("no generalisation reaches k = 10"), "{err}");
    assert!(err.contains("INDATUM"), "{err}");
    assert!(!hdab.spe().join("P-2026-0003").join("slutenvard").exists());
}

#[test]
fn the_risk_preview_shows_unique_persons_and_falls_when_a_quasi_identifier_is_left_out() {
    let hdab = Hdab::demo();
    let application = support::repo().join("pipelines/demo-application.toml");
    let id = hdab.apply_and_take("anna", &application);
    let preview = |only: &[&str]| -> serde_json::Value {
        let mut args = vec!["case", "risk", id.as_str(), "--json"];
        for o in only {
            args.extend(["--only", o]);
        }
        serde_json::from_str(&hdab.ok_as("olle", &args)).unwrap()
    };
    let unique = |p: &serde_json::Value| p[0]["persons"]["share_sample_unique"].as_f64().unwrap();
    let asked = preview(&[]);
    assert_eq!(asked[0]["dataset_id"], "slutenvard");
    assert_eq!(
        asked[0]["quasi_identifiers"],
        serde_json::json!(["KON", "ALDER", "INDATUM", "UTDATUM", "LAN"])
    );
    // Admission and discharge dates: practically everyone is unique.
    assert!(unique(&asked) > 0.9, "{}", asked[0]["persons"]);
    let narrowed = preview(&["slutenvard:KON,ALDER,HDIA"]);
    assert_eq!(
        narrowed[0]["quasi_identifiers"],
        serde_json::json!(["KON", "ALDER"])
    );
    assert!(
        unique(&narrowed) < unique(&asked),
        "{}",
        narrowed[0]["persons"]
    );
    // Per record, the same rows are measured either way.
    assert_eq!(
        narrowed[0]["records"]["records"],
        asked[0]["records"]["records"]
    );
    // What anonymising it would deliver.
    let out = hdab.ok_as(
        "olle",
        &[
            "case",
            "risk",
            &id,
            "--as-anonymised",
            "--only",
            "lakemedel:EDATUM,ATC",
        ],
    );
    assert!(out.contains("anonymised: EDATUM month"), "{out}");
    // For case staff only; the applicant is refused.
    let err = hdab.fails_as("anna", &["case", "risk", &id]);
    assert!(err.contains("case officers and decision makers"), "{err}");
}

#[test]
fn hdab_risk_measures_a_holders_file_as_a_plain_group_count_does() {
    let hdab = Hdab::demo();
    let file = support::repo().join("sample-data/slutenvard.csv");
    let out = hdab.ok(&[
        "risk",
        file.to_str().unwrap(),
        "--quasi",
        "KON",
        "--quasi",
        "LAN",
        "--quasi",
        "ALDER=integer",
        "--json",
    ]);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    // The same groups counted by hand from the file.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (kon, lan, alder) = (col("KON"), col("LAN"), col("ALDER"));
    let mut groups: HashMap<(String, String, String), u64> = HashMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(';').collect();
        *groups
            .entry((f[kon].into(), f[lan].into(), f[alder].trim().into()))
            .or_default() += 1;
    }
    let risk = &r["risk"];
    assert_eq!(risk["records"], groups.values().sum::<u64>());
    assert_eq!(risk["classes"], groups.len() as u64);
    assert_eq!(risk["k"], *groups.values().min().unwrap());
    assert_eq!(
        risk["sample_uniques"],
        groups.values().filter(|n| **n == 1).count() as u64
    );
    assert_eq!(
        risk["records_below_threshold"],
        groups.values().filter(|n| **n < 10).sum::<u64>()
    );
    // A column that is not in the file is named with the file's columns.
    let err = hdab.fails_as(
        "sara",
        &["risk", file.to_str().unwrap(), "--quasi", "POSTNR"],
    );
    assert!(
        err.contains("'POSTNR' is not a column") && err.contains("KON"),
        "{err}"
    );
}

#[test]
fn hdab_risk_reads_a_parquet_file_with_string_columns_the_same_as_its_csv() {
    let hdab = Hdab::demo();
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("lakemedel.parquet");
    // The drug register eight times over, as Parquet strings (read back as string views).
    support::big_lakemedel_parquet(&parquet);
    let measure = |file: &Path| -> serde_json::Value {
        let out = hdab.ok(&[
            "risk",
            file.to_str().unwrap(),
            "--quasi",
            "ATC",
            "--quasi",
            "EDATUM=date",
            "--json",
        ]);
        serde_json::from_str(&out).unwrap()
    };
    let from_parquet = measure(&parquet);
    let from_csv = measure(&support::repo().join("sample-data/lakemedel.csv"));
    assert_eq!(from_parquet["unreadable"], from_csv["unreadable"]);
    assert_eq!(
        from_parquet["risk"]["records"].as_u64().unwrap(),
        8 * from_csv["risk"]["records"].as_u64().unwrap()
    );
    // The same groups, each eight times as large.
    assert_eq!(from_parquet["risk"]["classes"], from_csv["risk"]["classes"]);
    assert_eq!(
        from_parquet["risk"]["k"].as_u64().unwrap(),
        8 * from_csv["risk"]["k"].as_u64().unwrap()
    );
}
