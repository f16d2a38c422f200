//! The catalogue through the binary: profiles that match the data exactly, drafts, refusals
//! that list every problem, versions and diffs, yearly confirmation, search.

use crate::support;

use crate::support::{Hdab, repo};
use chrono::NaiveDate;
use hdab_pseudonymise::PersonId;
use std::collections::{BTreeMap, HashMap, HashSet};

fn path(p: &str) -> String {
    repo().join(p).display().to_string()
}

#[test]
fn profiles_of_the_sample_uploads_match_the_data_exactly() {
    let hdab = Hdab::demo();
    let reference = NaiveDate::from_ymd_opt(2024, 3, 31).unwrap_or_default();
    for file in ["slutenvard.csv", "lakemedel.csv", "dodsorsak.csv"] {
        let json = hdab.ok(&[
            "catalog",
            "profile",
            &path(&format!("sample-data/{file}")),
            "--extract-date",
            "2024-03-31",
            "--json",
        ]);
        let p: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));

        // The truth, counted here from the raw file.
        let text =
            std::fs::read_to_string(repo().join("sample-data").join(file)).unwrap_or_default();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split(';').collect();
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
        assert_eq!(p["n_rows"], rows.len(), "{file}");
        let persons: HashSet<[u8; 12]> = rows
            .iter()
            .filter_map(|r| PersonId::parse(r[0], reference).ok())
            .map(|p| *p.canonical())
            .collect();
        assert_eq!(p["n_unique_individuals"], persons.len(), "{file}");
        let mut first_date_column = None;
        let (mut min_date, mut max_date) = (String::from("99999999"), String::from("00000000"));
        for (i, name) in header.iter().enumerate() {
            let column = &p["columns"][i];
            assert_eq!(column["name"], *name);
            let nonempty = rows.iter().filter(|r| !r[i].trim().is_empty()).count();
            assert_eq!(column["n_nonempty"], nonempty, "{file} {name}");
            if column["inferred_type"] == "date" {
                first_date_column.get_or_insert(i);
                for r in &rows {
                    let v = r[i].trim();
                    if v.is_empty() {
                        continue;
                    }
                    // Partial dates count from their first day.
                    let v = v.replacen("0000", "0101", 1).replace("00", "01");
                    let v = if v.len() == 8 { v } else { continue };
                    min_date = min_date.min(v.clone());
                    max_date = max_date.max(v);
                }
            }
            if column["inferred_type"] == "code" && column["code_system"] == "ICD-10-SE" {
                let mut counts: HashMap<&str, u64> = HashMap::new();
                for r in rows.iter().filter(|r| !r[i].is_empty()) {
                    *counts.entry(r[i]).or_default() += 1;
                }
                let top = &column["top_values"][0];
                assert_eq!(
                    top[1],
                    counts.values().max().copied().unwrap_or(0),
                    "{file} {name}"
                );
            }
        }
        if let Some(i) = first_date_column {
            let mut per_year: BTreeMap<String, u64> = BTreeMap::new();
            for r in rows.iter().filter(|r| r[i].len() == 8) {
                *per_year.entry(r[i][..4].to_string()).or_default() += 1;
            }
            let got: BTreeMap<String, u64> = p["records_per_year"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(got, per_year, "{file}");
            let fmt = |s: &str| format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..]);
            assert_eq!(p["temporal"][0], fmt(&min_date), "{file}");
            assert_eq!(p["temporal"][1], fmt(&max_date), "{file}");
        }
    }
}

#[test]
fn a_draft_is_refused_until_its_placeholders_are_written_listing_each() {
    let hdab = Hdab::demo();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let draft = dir.path().join("draft.toml");
    let html = dir.path().join("report.html");
    hdab.ok(&[
        "catalog",
        "profile",
        &path("sample-data/dodsorsak.csv"),
        "--id",
        "dodsorsak-draft",
        "--holder",
        "socialstyrelsen",
        "--draft",
        draft.to_str().unwrap_or_default(),
        "--html",
        html.to_str().unwrap_or_default(),
    ]);
    let report = std::fs::read_to_string(&html).unwrap_or_default();
    assert!(
        report.matches("<svg").count() >= 3,
        "records per year, completeness, top codes"
    );
    assert!(!support::contains_person_id(
        &report,
        NaiveDate::from_ymd_opt(2024, 3, 31).unwrap_or_default()
    ));
    let err = hdab.fails_as(
        "sara",
        &["catalog", "register", draft.to_str().unwrap_or_default()],
    );
    for field in [
        "title.sv",
        "title.en",
        "holder_name",
        "contact_point.email",
        "variables[ULORSAK].description",
        "health_categories",
    ] {
        assert!(err.contains(field), "{field}: {err}");
    }
}

#[test]
fn an_invalid_description_is_refused_with_every_problem_listed() {
    let hdab = Hdab::demo();
    let original =
        std::fs::read_to_string(repo().join("catalog/dodsorsak.toml")).unwrap_or_default();
    let broken = original
        .replace(
            "title = { sv = \"Dödsorsaksregistret (syntetiskt urval)\", ",
            "title = { sv = \"\", ",
        )
        .replacen("sensitivity = \"sensitive\"", "sensitivity = \"secret\"", 1);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, &broken).unwrap_or_else(|e| panic!("{e}"));
    let err = hdab.fails_as(
        "sara",
        &["catalog", "register", file.to_str().unwrap_or_default()],
    );
    assert!(
        err.contains("'ULORSAK': sensitivity must be one of")
            && err.contains("title.sv")
            && err.contains("2 problem(s)"),
        "every problem at once, the unknown class among them: {err}"
    );

    // A variable typed as a date that holds text, found by checking against the data, and
    // listed together with the description's own problems.
    let date_as_text = original
        .replacen(
            "title = { sv = \"Dödsorsaksregistret (syntetiskt urval)\", ",
            "title = { sv = \"\", ",
            1,
        )
        .replace(
            "name = \"ULORSAK\"\ntype = \"code\"",
            "name = \"ULORSAK\"\ntype = \"date\"",
        )
        .replace(
            "description = \"Underlying cause of death (ICD-10-SE)\"\ncode_system = \"ICD-10-SE\"",
            "description = \"Underlying cause of death (ICD-10-SE)\"",
        );
    std::fs::write(&file, &date_as_text).unwrap_or_else(|e| panic!("{e}"));
    let err = hdab.fails_as(
        "sara",
        &[
            "catalog",
            "register",
            file.to_str().unwrap_or_default(),
            "--data",
            &path("sample-data/dodsorsak.csv"),
        ],
    );
    assert!(
        err.contains("title.sv")
            && err.contains("'ULORSAK' (type date)")
            && err.contains("not a date"),
        "{err}"
    );
    assert!(err.contains("2 problem(s)"), "{err}");
}

#[test]
fn versions_diffs_yearly_confirmation_and_search() {
    let hdab = Hdab::demo();
    let changed = std::fs::read_to_string(repo().join("catalog/lakemedel.toml"))
        .unwrap_or_default()
        .replace("version = \"2024.1\"", "version = \"2024.2\"")
        .replace(
            "description = \"Defined daily doses per package\"",
            "description = \"Defined daily doses (DDD) per package\"",
        );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("lakemedel.toml");
    std::fs::write(&file, changed).unwrap_or_else(|e| panic!("{e}"));
    let out = hdab.ok_as(
        "sara",
        &["catalog", "register", file.to_str().unwrap_or_default()],
    );
    assert!(out.contains("version 2"), "{out}");
    let versions = hdab.ok(&["catalog", "versions", "lakemedel"]);
    assert!(
        versions.contains("v1") && versions.contains("v2") && versions.contains("sara"),
        "{versions}"
    );
    let diff = hdab.ok(&["catalog", "diff", "lakemedel", "1", "2"]);
    assert!(
        diff.contains("~ version") && diff.contains("~ variables[DDD].description"),
        "{diff}"
    );
    assert_eq!(diff.lines().count(), 2, "{diff}");
    let old = hdab.ok(&["catalog", "show", "lakemedel", "--version", "1"]);
    assert!(old.contains("Defined daily doses per package"));

    // Nothing is overdue today; in 13 months everything is, listed per holder.
    let now = hdab.ok(&["catalog", "overdue"]);
    assert!(
        now.contains("every description has been confirmed"),
        "{now}"
    );
    let later = (chrono::Utc::now() + chrono::Duration::days(400))
        .date_naive()
        .to_string();
    let overdue = hdab.ok(&["catalog", "overdue", "--as-of", &later]);
    assert!(
        overdue.starts_with("scb:\n  befolkning")
            && overdue.contains("\nsocialstyrelsen:\n")
            && overdue.contains("dodsorsak"),
        "{overdue}"
    );
    // Confirming resets the clock for that description only.
    hdab.ok_as("sara", &["catalog", "confirm", "dodsorsak"]);
    let in_six_months = (chrono::Utc::now() + chrono::Duration::days(200))
        .date_naive()
        .to_string();
    assert!(
        !hdab
            .ok(&["catalog", "overdue", "--as-of", &in_six_months])
            .contains("dodsorsak")
    );
    let err = hdab.fails_as("anna", &["catalog", "confirm", "dodsorsak"]);
    assert!(err.contains("data_holder"), "{err}");

    let by_code = hdab.ok(&["catalog", "search", "--coding-system", "ATC"]);
    assert!(
        by_code.contains("lakemedel") && !by_code.contains("slutenvard"),
        "{by_code}"
    );
    let by_text = hdab.ok(&["catalog", "search", "--text", "dödsorsak"]);
    assert!(
        by_text.contains("dodsorsak") && !by_text.contains("lakemedel"),
        "{by_text}"
    );
    let by_category = hdab.ok(&[
        "catalog",
        "search",
        "--category",
        "administrative-health-data",
    ]);
    assert_eq!(by_category.lines().count(), 1, "{by_category}");
    let nobody = hdab.ok(&["catalog", "search", "--holder", "region-skane"]);
    assert!(nobody.trim().is_empty());
}

#[test]
fn the_export_carries_each_registers_record_and_individual_counts_from_its_checked_upload() {
    let hdab = crate::support::Hdab::demo();
    let jsonld = hdab.ok_with(
        &[("HDAB_CATALOG_BASE_IRI", "https://hdab.socialstyrelsen.se")],
        &["catalog", "export", "--format", "jsonld"],
    );
    assert!(
        !jsonld.contains("hdab.example.se"),
        "the base IRI is the setting"
    );
    let graph: serde_json::Value = serde_json::from_str(&jsonld).unwrap();
    let h = "http://healthdataportal.eu/ns/health#";
    for name in ["slutenvard", "lakemedel", "dodsorsak", "befolkning"] {
        let file = crate::support::repo().join(format!("sample-data/{name}.csv"));
        let text = std::fs::read_to_string(&file).unwrap();
        let rows = text.lines().skip(1).filter(|l| !l.is_empty()).count() as u64;
        // Independently: distinct valid person ids of the row's person column.
        let people: std::collections::HashSet<_> =
            crate::support::person_ids_in(&file, crate::support::reference())
                .into_iter()
                .map(|p| *p.canonical())
                .collect();
        let node = graph
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["@id"] == format!("https://hdab.socialstyrelsen.se/dataset/{name}"))
            .unwrap_or_else(|| panic!("{name} is not in the export"));
        let value = |p: &str| -> u64 {
            node[format!("{h}{p}")][0]["@value"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name}: no {p}"))
        };
        assert_eq!(value("numberOfRecords"), rows, "{name}");
        assert_eq!(
            value("numberOfUniqueIndividuals"),
            people.len() as u64,
            "{name}"
        );
        assert!(
            node["http://www.w3.org/ns/dcat#distribution"][0]["@id"]
                .as_str()
                .is_some_and(|d| d.ends_with("/distribution/parquet")),
            "{name}: a distribution"
        );
    }
}
