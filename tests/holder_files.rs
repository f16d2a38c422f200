//! A register as a Swedish region really exports it — Windows-1252, `;` separators, decimal
//! commas, quoted text holding `;`, headers with å/ä/ö and spaces — goes from `catalog
//! profile --draft` to a delivery with nothing edited but the draft's placeholders.

use crate::support::{self, Hdab};

const HEADER: &str = "Personnummer;Kön;Inskrivningsdatum;Vårdtid (dagar);Kostnad kr;Anteckning";

fn rows() -> Vec<String> {
    let people = support::person_ids_in(
        &support::repo().join("sample-data/slutenvard.csv"),
        support::reference(),
    );
    people
        .iter()
        .take(40)
        .enumerate()
        .map(|(i, p)| {
            let pnr = String::from_utf8_lossy(p.canonical()).into_owned();
            let sex = if i % 2 == 0 { "1" } else { "2" };
            format!(
                "{pnr};{sex};2023{:02}{:02};{};{},50;\"återbesök; {}\"",
                1 + i % 12,
                1 + i % 28,
                1 + i % 9,
                1000 + i,
                if i % 3 == 0 { "ögon" } else { "hjärta" }
            )
        })
        .collect()
}

/// The description `catalog profile --draft` writes for `file`, as text.
fn draft_of(hdab: &Hdab, file: &std::path::Path, id: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let draft = dir.path().join("draft.toml");
    hdab.ok(&[
        "catalog",
        "profile",
        file.to_str().unwrap(),
        "--id",
        id,
        "--holder",
        "socialstyrelsen",
        "--extract-date",
        "2024-03-31",
        "--draft",
        draft.to_str().unwrap(),
    ]);
    std::fs::read_to_string(&draft).unwrap()
}

/// Writes each placeholder the draft marks, as the holder would.
fn fill_placeholders(draft: &str) -> String {
    let mut out = String::new();
    for line in draft.lines() {
        let line = if let Some((key, _)) = line.split_once("= \"TODO") {
            format!("{key}= \"Skrivet av registerhållaren\"")
        } else {
            line.replace("todo@example.invalid", "register@region.example")
        };
        let line = if line.trim_start().starts_with("health_categories = []") {
            "health_categories = [\"electronic-health-records\"]".to_string()
        } else {
            line
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[test]
fn a_region_export_is_profiled_described_uploaded_and_delivered_as_it_comes() {
    let hdab = Hdab::demo();
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("regionvard.csv");
    std::fs::write(
        &export,
        support::windows_1252(&format!("{HEADER}\n{}\n", rows().join("\n"))),
    )
    .unwrap();
    let text = draft_of(&hdab, &export, "regionvard");
    for (name, column) in [
        ("Kon", "Kön"),
        ("Inskrivningsdatum", ""),
        ("Vardtid_dagar", "Vårdtid (dagar)"),
        ("Kostnad_kr", "Kostnad kr"),
    ] {
        assert!(
            text.contains(&format!("name = \"{name}\"")),
            "{name}:\n{text}"
        );
        if !column.is_empty() {
            assert!(
                text.contains(&format!("column = \"{column}\"")),
                "{column}:\n{text}"
            );
        }
    }
    let described = dir.path().join("regionvard.toml");
    std::fs::write(&described, fill_placeholders(&text)).unwrap();
    hdab.ok_as(
        "sara",
        &["catalog", "register", described.to_str().unwrap()],
    );
    hdab.upload("regionvard", &export, Some("2024-03-31"))
        .unwrap();

    let application =
        std::fs::read_to_string(support::repo().join("pipelines/demo-application.toml")).unwrap();
    let (head, _) = application.split_once("[[datasets]]").unwrap();
    let application = format!(
        "{head}[[datasets]]\ndataset_id = \"regionvard\"\nvariables = [\"Kon\", \"Inskrivningsdatum\", \"Vardtid_dagar\", \"Kostnad_kr\", \"Anteckning\"]\n"
    );
    let file = dir.path().join("application.toml");
    std::fs::write(&file, application).unwrap();
    let id = hdab.apply_and_take("anna", &file);
    let out = hdab.ok_as("dora", &["case", "approve", &id, "--reason", "ok"]);
    let permit = support::permit_in(&out);
    hdab.fulfil_orders(&permit, &[("regionvard", &export, "2024-03-31")]);
    hdab.ok_as("olle", &["extract", &permit]);
    let delivery = support::read_delivery(&hdab.spe().join(&permit).join("regionvard"));
    let columns = delivery.manifest["columns"].to_string();
    for c in [
        "Kon",
        "Inskrivningsdatum",
        "Vardtid_dagar",
        "Kostnad_kr",
        "Anteckning",
    ] {
        assert!(columns.contains(&format!("\"{c}\"")), "{c}: {columns}");
    }
    assert!(
        columns.contains("[\"Kostnad_kr\",\"Float64\"]"),
        "decimal commas read as numbers: {columns}"
    );
    // Everyone delivered but the people of the sample who opted out.
    let opted_out = support::sample_optouts();
    let people = support::person_ids_in(
        &support::repo().join("sample-data/slutenvard.csv"),
        support::reference(),
    );
    let out = people
        .iter()
        .take(40)
        .filter(|p| opted_out.contains(p.canonical()))
        .count() as u64;
    assert_eq!(
        delivery.manifest["rows"]["delivered"].as_u64(),
        Some(40 - out)
    );
    assert_eq!(delivery.record["rows"]["opted_out"].as_u64(), Some(out));
    assert!(
        delivery.strings.iter().any(|s| s == "återbesök; hjärta"),
        "text with å/ä/ö and a quoted ';' arrives as written"
    );
}

/// A register whose identifier column is a mess (a fifth invalid, mixed written forms) is
/// still drafted as the person identifier, and a column that holds personnummer now and then
/// (a free-text contact note) is drafted as one too; uploaded under a description that
/// calls that column text, the holder is warned with the column and the count.
#[test]
fn identifiers_are_found_in_messy_and_unexpected_columns() {
    let hdab = Hdab::demo();
    let dir = tempfile::tempdir().unwrap();
    let people = support::person_ids_in(
        &support::repo().join("sample-data/lakemedel.csv"),
        support::reference(),
    );
    let mut lines = vec!["LopNr;Anhorig;Kod".to_string()];
    for (i, p) in people.iter().take(100).enumerate() {
        let c = String::from_utf8_lossy(p.canonical()).into_owned();
        let id = match i % 5 {
            // A typo in the check digit: a fifth are invalid.
            0 => format!("{}{}", &c[..11], (c.as_bytes()[11] - b'0' + 1) % 10),
            1 => format!("{}-{}", &c[2..8], &c[8..]),
            2 => format!("{}-{}", &c[..8], &c[8..]),
            _ => c.clone(),
        };
        // A relative's number in one row of ten: the rest are names.
        let relative = if i % 10 == 3 {
            String::from_utf8_lossy(people[i + 100].canonical()).into_owned()
        } else {
            format!("namn {i}")
        };
        lines.push(format!("{id};{relative};K{}", i % 7));
    }
    let file = dir.path().join("messy.csv");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let text = draft_of(&hdab, &file, "messy");
    let described: toml::Value = toml::from_str(&text).unwrap();
    let variables = described["variables"].as_array().unwrap();
    for (name, role) in [("LopNr", true), ("Anhorig", true)] {
        let v = variables
            .iter()
            .find(|v| v["name"].as_str() == Some(name))
            .unwrap();
        assert_eq!(v["type"].as_str(), Some("person_id"), "{name}:\n{text}");
        assert_eq!(v["sensitivity"].as_str(), Some("direct_identifier"));
        assert_eq!(
            v.get("role").is_some(),
            role,
            "{name}: the holder says whose"
        );
    }
    // Described as the holder first wrote it: the relative column as plain text, one
    // identifier (so no roles).
    let mut filled: toml::Value = toml::from_str(&fill_placeholders(&text)).unwrap();
    for v in filled["variables"].as_array_mut().unwrap() {
        let t = v.as_table_mut().unwrap();
        t.remove("role");
        if t["name"].as_str() == Some("Anhorig") {
            t.insert("type".into(), "text".into());
            t.insert("sensitivity".into(), "other".into());
        }
    }
    let path = dir.path().join("messy.toml");
    std::fs::write(&path, toml::to_string(&filled).unwrap()).unwrap();
    hdab.ok_as("sara", &["catalog", "register", path.to_str().unwrap()]);
    let report = hdab.upload("messy", &file, Some("2024-03-31")).unwrap();
    assert!(
        report.contains("warning: column 'Anhorig': 10 values read as a personnummer"),
        "{report}"
    );
}
