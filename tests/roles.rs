//! Several person identifiers in one dataset: a birth register names the child and the
//! mother. Both are pseudonymised under the permit's key, so the mother's pseudonym links
//! to her own rows in another dataset of the permit; a mother who opted out is absent as a
//! person, while her child's row is delivered with her pseudonym (and her age) withheld.

use crate::support::{self, Hdab, read_delivery, reference, repo};
use hdab_pseudonymise::{PersonId, luhn_check_digit, permit_context, pseudonym};
use std::collections::HashSet;

const BIRTHS: &str = r#"
id = "fodelse"
holder = "socialstyrelsen"
holder_name = "Socialstyrelsen"
title = { sv = "Medicinska födelseregistret (syntetiskt urval)", en = "Medical Birth Register (synthetic sample)" }
description = { sv = "Förlossningar med barn och mor. Syntetiska data.", en = "Births with child and mother. Synthetic data." }
keywords = ["födelse", "births"]
health_categories = ["population-health-registers"]
contact_point = { name = "Registerservice", email = "registerservice@socialstyrelsen.example" }
access_rights = "non_public"
temporal_coverage = { start = "2020-01-01", end = "2020-12-31" }
spatial_coverage = "SE"
population_coverage = "Every birth in Sweden (synthetic)"
coding_systems = []
legal_basis = "Lag (1998:543) om hälsodataregister"
update_frequency = "annual"
version = "2024.1"

[[variables]]
name = "BARN"
type = "person_id"
role = "child"
description = "The child's personnummer"
sensitivity = "direct_identifier"

[[variables]]
name = "MOR"
type = "person_id"
role = "mother"
description = "The mother's personnummer"
sensitivity = "direct_identifier"

[[variables]]
name = "VIKT"
type = "integer"
description = "Birth weight in grams"
sensitivity = "sensitive"

[[variables]]
name = "MODER_ALDER"
type = "integer"
of_role = "mother"
description = "The mother's age at the birth"
sensitivity = "quasi_identifier"
"#;

/// What the application asks of the two datasets (the rest is the demo application's).
const DATASETS: &str = r#"
[[datasets]]
dataset_id = "fodelse"
variables = ["VIKT", "MODER_ALDER"]

[[datasets]]
dataset_id = "lakemedel"
variables = ["EDATUM", "ATC"]
"#;

/// One column of a delivered folder, row by row (`None` for null).
fn column(folder: &std::path::Path, name: &str) -> Vec<Option<String>> {
    support::delivered_rows(folder)
        .into_iter()
        .map(|mut r| r.remove(name).filter(|v| !v.is_empty()))
        .collect()
}

#[test]
fn a_mother_links_to_her_own_rows_and_an_opted_out_mother_is_withheld_from_her_childs_row() {
    let hdab = Hdab::demo();
    let dir = tempfile::tempdir().unwrap();
    // Mothers: women of the drug register not opted out; children born in 2020.
    let opted_out = support::sample_optouts();
    let mut mothers: Vec<PersonId> =
        support::person_ids_in(&repo().join("sample-data/lakemedel.csv"), reference())
            .into_iter()
            .filter(|p| p.canonical()[10].is_multiple_of(2) && !opted_out.contains(p.canonical()))
            .collect();
    mothers.sort_by_key(|p| *p.canonical());
    mothers.dedup();
    mothers.truncate(30);
    let mut rows = vec!["BARN;MOR;VIKT;MODER_ALDER".to_string()];
    let mut children = Vec::new();
    for (i, m) in mothers.iter().enumerate() {
        let nine = format!("2003{:02}{:03}", 1 + i % 28, 200 + i);
        let child = format!("20{nine}{}", luhn_check_digit(nine.as_bytes()));
        rows.push(format!(
            "{child};{};{};{}",
            String::from_utf8_lossy(m.canonical()),
            3000 + i * 17,
            25 + i % 15
        ));
        children.push(PersonId::parse(&child, reference()).unwrap());
    }
    let births = dir.path().join("fodelse.csv");
    std::fs::write(&births, rows.join("\n") + "\n").unwrap();
    let description = dir.path().join("fodelse.toml");
    std::fs::write(&description, BIRTHS).unwrap();
    hdab.ok_as(
        "sara",
        &["catalog", "register", description.to_str().unwrap()],
    );
    hdab.upload("fodelse", &births, Some("2024-03-31")).unwrap();
    // The first mother opts out.
    let withdrawn = mothers[0];
    hdab.optout(
        "register",
        &String::from_utf8_lossy(withdrawn.canonical()),
        None,
    );

    let demo = std::fs::read_to_string(repo().join("pipelines/demo-application.toml")).unwrap();
    let (head, _) = demo.split_once("[[datasets]]").unwrap();
    let application = dir.path().join("application.toml");
    std::fs::write(&application, format!("{head}{DATASETS}")).unwrap();
    let id = hdab.apply_and_take("anna", &application);
    let out = hdab.ok_as("dora", &["case", "approve", &id, "--reason", "Research."]);
    let permit = support::permit_in(&out);
    hdab.fulfil_orders(&permit, &[("fodelse", &births, "2024-03-31")]);
    hdab.ok_as("olle", &["extract", &permit]);

    let key = hdab.master_key().derive(&permit_context(&permit, 1));
    let spe = hdab.spe().join(&permit);
    let births = spe.join("fodelse");
    let child = column(&births, "pseudonym");
    let mother = column(&births, "pseudonym_mother");
    let age = column(&births, "MODER_ALDER");
    // Every child's row is delivered, the opted-out mother's child's too.
    let expected: HashSet<String> = children.iter().map(|c| pseudonym(&key, c)).collect();
    let delivered: HashSet<String> = child.iter().flatten().cloned().collect();
    assert_eq!(delivered, expected);
    let lakemedel: HashSet<String> = read_delivery(&spe.join("lakemedel"))
        .pseudonyms
        .into_iter()
        .collect();
    for (i, m) in mothers.iter().enumerate() {
        let row = child
            .iter()
            .position(|c| c.as_deref() == Some(pseudonym(&key, &children[i]).as_str()))
            .unwrap();
        if *m == withdrawn {
            assert_eq!(mother[row], None, "the opted-out mother is withheld");
            assert_eq!(age[row], None, "and so is what describes her");
            assert!(
                !lakemedel.contains(&pseudonym(&key, m)),
                "her own rows are gone"
            );
        } else {
            let p = pseudonym(&key, m);
            assert_eq!(mother[row].as_deref(), Some(p.as_str()));
            assert!(age[row].is_some());
            assert!(
                lakemedel.contains(&p),
                "the mother's pseudonym links to her own dispensings"
            );
        }
    }
    let manifest = read_delivery(&births).record;
    assert_eq!(manifest["rows"]["other_role_opted_out"], 1);
    assert_eq!(manifest["rows"]["delivered"], mothers.len() as u64);
}
