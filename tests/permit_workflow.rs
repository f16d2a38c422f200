//! A full case through the binary: submit, return as incomplete, resubmit, assign, approve
//! narrower, extract — and the extract holds exactly the narrowed variables and cohort.

use crate::support;
use crate::support::{Hdab, read_delivery, reference, repo};
use chrono::{Datelike, NaiveDate};
use hdab_pseudonymise::{PersonId, permit_context, pseudonym};
use std::collections::{BTreeSet, HashSet};

fn path(p: &str) -> String {
    repo().join(p).display().to_string()
}

/// The narrowed cohort of pipelines/demo-narrowed.toml, computed here independently over the
/// raw sample: valid id, MI code in any diagnosis, admitted 2016–2023, 65+ on 2020-01-01,
/// not opted out.
fn expected_rows(opted_out: &HashSet<[u8; 12]>) -> Vec<(PersonId, String)> {
    let text =
        std::fs::read_to_string(repo().join("sample-data/slutenvard.csv")).unwrap_or_default();
    let at = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    let mut rows = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(';').collect();
        let Ok(id) = PersonId::parse(f[0], reference()) else {
            continue;
        };
        let mi = [f[5], f[6], f[7]]
            .iter()
            .any(|c| c.starts_with("I21") || c.starts_with("I22"));
        let admitted = NaiveDate::parse_from_str(f[3], "%Y%m%d").ok();
        let in_range = admitted.is_some_and(|d| d.year() >= 2016 && d.year() <= 2023);
        let b = id.birth_date();
        let age = at.year() - b.year() - i32::from((at.month(), at.day()) < (b.month(), b.day()));
        if mi && in_range && age >= 65 && !opted_out.contains(id.canonical()) {
            rows.push((id, f[5].to_string()));
        }
    }
    rows
}

#[test]
fn a_full_case_ends_in_an_extract_of_exactly_the_narrowed_variables_and_cohort() {
    let hdab = Hdab::demo();
    hdab.add_user("stina", "socialstyrelsen", &["case_officer"]);

    // Anna saves a draft without the ethics reference; submission lists what is missing.
    let incomplete = std::fs::read_to_string(repo().join("pipelines/demo-application.toml"))
        .unwrap_or_default()
        .replace(
            "ethics_reference = \"Etikprövningsmyndigheten Dnr 2026-01234-01\"",
            "ethics_reference = \"\"",
        );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let draft = dir.path().join("draft.toml");
    std::fs::write(&draft, incomplete).unwrap_or_else(|e| panic!("{e}"));
    let id = hdab.ok_as(
        "anna",
        &["apply", "create", draft.to_str().unwrap_or_default()],
    );
    let id = id.trim();
    let err = hdab.fails_as("anna", &["apply", "submit", id]);
    assert!(err.contains("ethics_reference"), "{err}");

    // She completes the draft and submits; Olle finds a problem and returns it.
    hdab.ok_as(
        "anna",
        &[
            "apply",
            "update",
            id,
            &path("pipelines/demo-application.toml"),
        ],
    );
    hdab.ok_as("anna", &["apply", "submit", id]);
    hdab.ok_as("olle", &["case", "take", id]);
    hdab.ok_as(
        "olle",
        &[
            "case",
            "return",
            id,
            "--reason",
            "Name everyone who will work in the SPE.",
        ],
    );
    let shown = hdab.ok_as("anna", &["apply", "show", id]);
    assert!(
        shown.contains("incomplete") && shown.contains("clock paused"),
        "{shown}"
    );
    // A researcher from elsewhere cannot see the case by guessing its id.
    hdab.add_user("bo", "uppsala-universitet", &["applicant"]);
    let err = hdab.fails_as("bo", &["apply", "show", id]);
    assert!(err.contains("does not exist"), "{err}");

    // She names a colleague too and resubmits: the version received first is kept, and
    // the case shows what changed.
    let changed = std::fs::read_to_string(repo().join("pipelines/demo-application.toml"))
        .unwrap_or_default()
        .replace("spe_users = [\"anna\"]", "spe_users = [\"anna\", \"bo\"]");
    let changed_path = dir.path().join("changed.toml");
    std::fs::write(&changed_path, changed).unwrap_or_else(|e| panic!("{e}"));
    hdab.ok_as(
        "anna",
        &[
            "apply",
            "update",
            id,
            changed_path.to_str().unwrap_or_default(),
        ],
    );
    // Resubmitted; Olle hands it to Stina, who prepares it; Dora approves narrower.
    hdab.ok_as("anna", &["apply", "submit", id]);
    let shown = hdab.ok_as("olle", &["apply", "show", id]);
    assert!(
        shown.contains("version 1 received") && shown.contains("version 2 received"),
        "{shown}"
    );
    assert!(
        shown.contains("~ spe_users: [\"anna\"] → [\"anna\",\"bo\"]"),
        "{shown}"
    );
    assert_eq!(
        shown.matches("    ~ ").count(),
        1,
        "only what changed: {shown}"
    );
    hdab.ok_as("olle", &["case", "assign", id, "--to", "stina"]);
    let err = hdab.fails_as("olle", &["case", "return", id, "--reason", "x"]);
    assert!(err.contains("stina"), "the case is Stina's now: {err}");
    let queue = hdab.ok_as("stina", &["case", "queue"]);
    assert!(queue.contains(id) && queue.contains("stina"), "{queue}");
    let out = hdab.ok_as(
        "dora",
        &[
            "case",
            "approve",
            id,
            "--reason",
            "Approved for patients 65 and over only; fewer variables.",
            "--narrow",
            &path("pipelines/demo-narrowed.toml"),
            "--condition",
            "Results leave the SPE only after output checking.",
        ],
    );
    let permit = support::permit_in(&out);
    hdab.fulfil_orders(&permit, &[]);
    hdab.ok_as("stina", &["extract", &permit]);

    // Exactly the narrowed variables …
    let delivery = read_delivery(&hdab.spe().join(&permit).join("slutenvard"));
    let columns: Vec<String> = delivery.manifest["columns"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c[0].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(columns, ["pseudonym", "KON", "ALDER", "INDATUM", "HDIA"]);
    let drugs = read_delivery(&hdab.spe().join(&permit).join("lakemedel"));
    assert!(!drugs.manifest["columns"].to_string().contains("DDD"));

    // … and exactly the narrowed cohort, person by person and row by row.
    let opted_out: HashSet<[u8; 12]> = support::sample_optouts();
    let key = hdab.master_key().derive(&permit_context(&permit, 1));
    let expected = expected_rows(&opted_out);
    assert!(!expected.is_empty());
    let mut want: Vec<String> = expected.iter().map(|(id, _)| pseudonym(&key, id)).collect();
    let mut got = delivery.pseudonyms.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    let persons: BTreeSet<_> = got.iter().collect();
    assert!(
        persons.len() > 5,
        "a meaningful cohort: {} persons",
        persons.len()
    );

    // The case's history, event by event (a snapshot of the trace, times left out).
    let shown = hdab.ok_as("anna", &["apply", "show", id]);
    let trace: Vec<String> = shown
        .lines()
        .filter(|l| l.starts_with("  20"))
        .map(|l| {
            l.split_whitespace()
                .skip(2)
                .take(5)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        trace,
        [
            "submit by anna",
            "take by olle → olle",
            "return by olle Name everyone",
            "submit by anna",
            "assign by olle → stina",
            "approve by dora Approved for",
        ],
        "{shown}"
    );

    // The decision is public, with its reasons; the register needs no login.
    let register = hdab.ok(&["register"]);
    assert!(
        register.contains(id) && register.contains("65 and over"),
        "{register}"
    );
    // The permit records the condition; revoking it stops extraction.
    hdab.ok_as(
        "dora",
        &[
            "permit",
            "revoke",
            &permit,
            "--reason",
            "Ethics approval withdrawn.",
        ],
    );
    let err = hdab.fails_as("stina", &["extract", &permit]);
    assert!(err.contains("revoked"), "{err}");
    hdab.ok(&["audit", "verify"]);
}

#[test]
fn a_narrowing_that_asks_for_more_is_refused() {
    let hdab = Hdab::demo();
    let id = hdab.ok_as(
        "anna",
        &["apply", "create", &path("pipelines/demo-application.toml")],
    );
    let id = id.trim();
    hdab.ok_as("anna", &["apply", "submit", id]);
    hdab.ok_as("olle", &["case", "take", id]);
    let wider = std::fs::read_to_string(repo().join("pipelines/demo-narrowed.toml"))
        .unwrap_or_default()
        .replace("\"KON\", \"ALDER\"", "\"KON\", \"SJUKHUS\"");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("wider.toml");
    std::fs::write(&file, wider).unwrap_or_else(|e| panic!("{e}"));
    let err = hdab.fails_as(
        "dora",
        &[
            "case",
            "approve",
            id,
            "--reason",
            "x",
            "--narrow",
            file.to_str().unwrap_or_default(),
        ],
    );
    assert!(
        err.contains("SJUKHUS") && err.contains("not applied for"),
        "{err}"
    );
}

#[test]
fn a_data_request_is_answered_with_a_protected_table_that_matches_the_data() {
    let hdab = Hdab::demo();
    hdab.add_user("ulla", "region-uppsala", &["applicant"]);
    hdab.add_user("bo", "uppsala-universitet", &["applicant"]);
    let id = hdab.ok_as(
        "ulla",
        &[
            "request",
            "submit",
            &path("pipelines/demo-data-request.toml"),
        ],
    );
    let id = id.trim();
    let err = hdab.fails_as("ulla", &["request", "answer", id]);
    assert!(err.contains("case_officer"), "{err}");
    // Decided like an application before it is answered (Art. 69).
    let err = hdab.fails_as("olle", &["request", "answer", id]);
    assert!(err.contains("not been decided"), "{err}");
    hdab.fails_as(
        "olle",
        &["request", "decide", id, "--approve", "--reason", "x"],
    );
    hdab.fails_as(
        "dora",
        &["request", "decide", id, "--approve", "--reason", " "],
    );
    hdab.ok_as(
        "dora",
        &[
            "request",
            "decide",
            id,
            "--approve",
            "--reason",
            "Statistics serve the stated purpose.",
        ],
    );
    hdab.fails_as(
        "dora",
        &["request", "decide", id, "--refuse", "--reason", "again"],
    );
    hdab.ok_as("olle", &["request", "answer", id]);
    // A refused request is published with its reasons and never answered.
    let refused = hdab.ok_as(
        "bo",
        &[
            "request",
            "submit",
            &path("pipelines/demo-data-request.toml"),
        ],
    );
    let refused = refused.trim();
    hdab.ok_as(
        "dora",
        &[
            "request",
            "decide",
            refused,
            "--refuse",
            "--reason",
            "The groups asked for are too small to publish.",
        ],
    );
    let err = hdab.fails_as("olle", &["request", "answer", refused]);
    assert!(err.contains("refused"), "{err}");
    let register = hdab.ok(&["register"]);
    assert!(
        register.contains(&format!("{id}  received"))
            && register.contains("approved on")
            && register.contains("refused on")
            && register.contains("The groups asked for are too small to publish."),
        "{register}"
    );
    let err = hdab.fails_as("bo", &["request", "show", id]);
    assert!(err.contains("does not exist"), "{err}");
    let csv = hdab.ok_as("ulla", &["request", "show", id, "--csv"]);

    // The truth, computed here from the raw sample: distinct persons per (county, year).
    let opted_out: HashSet<[u8; 12]> = support::sample_optouts();
    let mut truth: std::collections::BTreeMap<(String, String), HashSet<[u8; 12]>> =
        Default::default();
    let text =
        std::fs::read_to_string(repo().join("sample-data/slutenvard.csv")).unwrap_or_default();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(';').collect();
        let Ok(id) = PersonId::parse(f[0], reference()) else {
            continue;
        };
        let year = &f[3][..4];
        let mi = f[5].starts_with("I21") || f[5].starts_with("I22");
        if mi && ("2016"..="2023").contains(&year) && !opted_out.contains(id.canonical()) {
            truth
                .entry((f[9].to_string(), year.to_string()))
                .or_default()
                .insert(*id.canonical());
        }
    }

    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    assert_eq!(header[..3], ["LAN", "INDATUM", "n_persons"]);
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or(usize::MAX);
    let (persons, sum, rule, reason) = (
        col("n_persons"),
        col("sum_ALDER"),
        col("suppressed"),
        col("reason"),
    );
    let mut hidden_per_line: std::collections::BTreeMap<(usize, String), (usize, usize)> =
        Default::default();
    let mut released = 0;
    for line in lines.filter(|l| !l.starts_with("Total")) {
        let f: Vec<&str> = line.split(',').collect();
        let true_n = truth
            .get(&(f[0].to_string(), f[1].to_string()))
            .map_or(0, HashSet::len);
        let suppressed = !f[rule].is_empty();
        if suppressed {
            assert!(!f[reason].is_empty(), "a suppressed cell says why: {line}");
            assert!(
                f[persons].is_empty() && f[sum].is_empty(),
                "nothing of it is shown: {line}"
            );
            if f[rule] == "MinimumCount" {
                assert!(true_n < 10, "{line}");
            }
        } else {
            assert_eq!(f[persons].parse::<usize>().ok(), Some(true_n), "{line}");
            assert!(true_n >= 10, "{line}");
            released += 1;
        }
        for d in 0..2 {
            let e = hidden_per_line
                .entry((d, f[1 - d].to_string()))
                .or_default();
            e.0 += 1;
            e.1 += usize::from(suppressed);
        }
    }
    assert!(released > 5);
    for ((d, other), (cells, hidden)) in hidden_per_line {
        assert!(
            hidden != 1 || cells == 1,
            "line {other} along dimension {d} would give a cell away"
        );
    }
    // Every truly small (non-empty) cell is suppressed for its size: none slipped through.
    let small = truth.values().filter(|p| p.len() < 10).count();
    assert_eq!(csv.matches("MinimumCount").count(), small);
}
