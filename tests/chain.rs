//! The whole chain through the `hdab` binary, proven by reading the delivered Parquet back.

use crate::support;

use crate::support::{Hdab, person_ids_in, read_delivery, reference};
use hdab_pseudonymise::{MasterKey, PersonId, permit_context, pseudonym};
use std::collections::{HashMap, HashSet};

/// Every valid person of a sample file, by canonical id, with their pseudonym under a permit.
fn pseudonyms_of_sample(
    key: &MasterKey,
    permit: &str,
    files: &[&str],
) -> HashMap<String, [u8; 12]> {
    let derived = key.derive(&permit_context(permit, 1));
    let mut by_pseudonym = HashMap::new();
    for f in files {
        for id in person_ids_in(&support::repo().join("sample-data").join(f), reference()) {
            by_pseudonym.insert(pseudonym(&derived, &id), *id.canonical());
        }
    }
    by_pseudonym
}

#[test]
fn the_demo_delivers_linked_pseudonymised_extracts_without_identifiers_or_opted_out_people() {
    let hdab = Hdab::demo();
    let key = hdab.master_key();
    let permit = "P-2026-0001"; // the demo's first and only permit
    let inverse = pseudonyms_of_sample(&key, permit, &["slutenvard.csv", "lakemedel.csv"]);
    let opted_out: HashSet<[u8; 12]> =
        std::fs::read_to_string(support::repo().join("sample-data/optouts.txt"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| PersonId::parse(l, reference()).ok())
            .map(|p| *p.canonical())
            .collect();
    assert!(!opted_out.is_empty(), "the sample has people who opted out");

    let mut persons_per_dataset = Vec::new();
    for dataset in ["slutenvard", "lakemedel"] {
        let delivery = read_delivery(&hdab.spe().join(permit).join(dataset));
        // Row accounting: every input row is accounted for, and the files hold what the manifest says.
        // The researchers' manifest says how many rows they got, nothing of the others.
        assert_eq!(
            delivery.manifest["rows"],
            serde_json::json!({ "delivered": delivery.pseudonyms.len() }),
            "{dataset}"
        );
        let rows = &delivery.record["rows"];
        let n = |k: &str| rows[k].as_u64().unwrap_or(u64::MAX);
        assert_eq!(
            n("rows_in"),
            n("delivered")
                + n("outside_population")
                + n("outside_cohort")
                + n("opted_out")
                + n("invalid_identifier"),
            "{dataset}: rows_in = delivered + outside_population + outside_cohort + opted_out + invalid_identifier"
        );
        assert_eq!(
            n("delivered"),
            delivery.pseudonyms.len() as u64,
            "{dataset}"
        );
        assert!(
            n("opted_out") > 0 && n("invalid_identifier") > 0,
            "{dataset}: the sample exercises both"
        );
        // No raw identifier anywhere: not as a value, column name, metadata or in the manifest.
        for text in delivery.all_text() {
            assert!(
                !support::contains_person_id(&text, reference()),
                "{dataset}: a delivered string reads as a personnummer"
            );
        }
        // No view types: R arrow cannot read them.
        assert!(
            !delivery.arrow_schema.contains("View"),
            "{}",
            delivery.arrow_schema
        );
        // Every pseudonym is the permit's keyed hash of a real person, never of an opted-out one.
        let mut persons = HashSet::new();
        for p in &delivery.pseudonyms {
            let person = inverse
                .get(p)
                .unwrap_or_else(|| panic!("{dataset}: a pseudonym that is no sample person's"));
            assert!(
                !opted_out.contains(person),
                "{dataset}: an opted-out person was delivered"
            );
            persons.insert(*person);
        }
        persons_per_dataset.push(persons);
    }
    // Linkage inside the permit: the same people appear in both datasets under one pseudonym.
    let both = persons_per_dataset[0]
        .intersection(&persons_per_dataset[1])
        .count();
    assert!(both > 10, "only {both} persons link between the datasets");
    hdab.ok(&["audit", "verify"]);
}

#[test]
fn a_second_permit_gives_the_same_people_unrelated_pseudonyms() {
    let hdab = Hdab::demo();
    // Two more permits of one application file (no study population: the same cohort); the
    // demo's own are P-2026-0001 and P-2026-0002.
    let application = support::repo().join("pipelines/demo-application.toml");
    for permit in ["P-2026-0003", "P-2026-0004"] {
        let id = hdab.apply_and_take("anna", &application);
        let out = hdab.ok_as(
            "dora",
            &["case", "approve", id.as_str(), "--reason", "Another study."],
        );
        assert!(out.contains(permit), "{out}");
        hdab.fulfil_orders(permit, &[]);
        hdab.ok_as("olle", &["extract", permit]);
    }

    let first = read_delivery(&hdab.spe().join("P-2026-0004/slutenvard"));
    let second = read_delivery(&hdab.spe().join("P-2026-0003/slutenvard"));
    // Same inputs, same cohort: the same number of rows, but no pseudonym in common.
    assert_eq!(first.pseudonyms.len(), second.pseudonyms.len());
    let a: HashSet<_> = first.pseudonyms.iter().collect();
    assert!(
        second.pseudonyms.iter().all(|p| !a.contains(p)),
        "pseudonyms link across permits"
    );
    // And each is the keyed hash under its own permit's key.
    let key = hdab.master_key();
    let inverse = pseudonyms_of_sample(&key, "P-2026-0003", &["slutenvard.csv"]);
    assert!(second.pseudonyms.iter().all(|p| inverse.contains_key(p)));
}

#[test]
fn a_decision_by_the_applicant_themself_is_refused() {
    let hdab = Hdab::demo();
    hdab.add_user("eva", "socialstyrelsen", &["applicant", "decision_maker"]);
    let application = support::repo().join("pipelines/demo-application.toml");
    let id = hdab.apply_and_take("eva", &application);
    let id = id.as_str();
    let err = hdab.fails_as("eva", &["case", "approve", id, "--reason", "fine"]);
    assert!(err.contains("cannot decide their own application"), "{err}");
    // The preparing officer cannot decide either, even with the role.
    let err = hdab.fails_as("olle", &["case", "approve", id, "--reason", "fine"]);
    assert!(err.contains("decision_maker"), "{err}");
    let audit = hdab.ok_as("admin", &["audit", "show"]);
    assert!(audit.contains("refused"), "refusals are audited");
    hdab.ok(&["audit", "verify"]);
}

#[test]
fn an_extraction_without_an_approved_permit_is_refused_and_leaves_nothing() {
    let hdab = Hdab::demo();
    let err = hdab.fails_as("olle", &["extract", "P-2026-0099"]);
    assert!(err.contains("no approved permit"), "{err}");
    assert!(!hdab.spe().join("P-2026-0099").exists());
    // An applicant cannot run extractions at all.
    let err = hdab.fails_as("anna", &["extract", "P-2026-0001"]);
    assert!(err.contains("case_officer"), "{err}");
}

#[test]
fn a_partial_date_in_a_variable_not_declared_partial_is_refused_at_upload() {
    let hdab = Hdab::demo();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("partial.csv");
    let header = "PERSONNR;KON;ALDER;INDATUM;UTDATUM;HDIA;DIA1;DIA2;SJUKHUS;LAN";
    let rows = [
        "19121212-1212;1;90;20230512;20230514;I219;;;11001;01",
        "19121212-1212;1;90;20230000;20230514;I219;;;11001;01",
        "19121212-1212;1;90;20230500;20230514;I219;;;11001;01",
    ];
    std::fs::write(&file, format!("{header}\n{}\n", rows.join("\n")))
        .unwrap_or_else(|e| panic!("{e}"));
    let err = hdab.upload("slutenvard", &file, None).unwrap_err();
    assert!(
        err.contains("INDATUM")
            && err.contains("2 values")
            && err.contains("partial date")
            && err.contains("partial_dates = true"),
        "{err}"
    );
}

#[test]
fn a_malformed_upload_is_rejected_naming_the_column_and_the_problem() {
    let hdab = Hdab::demo();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad_date = dir.path().join("bad.csv");
    std::fs::write(
        &bad_date,
        "PERSONNR;DODSDAT;ULORSAK;MORSAK1\n19121212-1212;20190101;I219;\n19121212-1212;okänt;I219;\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let uploads_before = std::fs::read_dir(hdab.dir().join("uploads"))
        .map(|d| d.count())
        .unwrap_or(0);
    let err = hdab.upload("dodsorsak", &bad_date, None).unwrap_err();
    assert!(
        err.contains("DODSDAT") && err.contains("not a date") && err.contains("data row 2"),
        "{err}"
    );
    assert!(!err.contains("okänt"), "the message must not quote data");

    let missing = dir.path().join("missing.csv");
    std::fs::write(&missing, "PERSONNR;ULORSAK;EXTRA\n19121212-1212;I219;x\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let err = hdab.upload("dodsorsak", &missing, None).unwrap_err();
    for needle in [
        "'EXTRA' is not in the data dictionary",
        "'DODSDAT'",
        "'MORSAK1'",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    let uploads_after = std::fs::read_dir(hdab.dir().join("uploads"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(
        uploads_before, uploads_after,
        "a rejected upload leaves no file behind"
    );
}

#[test]
fn the_test_scanner_finds_identifiers_in_every_written_form() {
    // The scanner the tests above rely on must itself be able to fail.
    for text in [
        "x19121212-1212y",
        "121212+1212",
        "pnr 191212121212.",
        "1212121212",
    ] {
        assert!(support::contains_person_id(text, reference()), "{text}");
    }
    for text in [
        "19121212-1213",
        "k6wzq2m3v4x5y6z7abcdefgh23456723",
        "2024-03-31",
    ] {
        assert!(!support::contains_person_id(text, reference()), "{text}");
    }
}
