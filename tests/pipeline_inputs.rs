//! Files as holders really send them: every CSV dialect, Windows-1252 and Parquet give the
//! same delivered data; a killed extraction never leaves a partial delivery.

use crate::support;

use crate::support::{Hdab, read_delivery, repo};
use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use hdab_pseudonymise::PersonId;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The minimal example description as the municipal-care test dataset, with its variables.
fn description() -> String {
    std::fs::read_to_string(support::repo().join("catalog/examples/minimal.toml"))
        .unwrap_or_default()
        .replace("id = \"demo\"", "id = \"kommunvard\"")
        .replace("region-x", "socialstyrelsen")
        + VARIABLES
}

const VARIABLES: &str = r#"
[[variables]]
name = "BESOKSDATUM"
type = "date"
description = "Visit date"
sensitivity = "quasi_identifier"

[[variables]]
name = "KOMMUN"
type = "text"
description = "Municipality"
sensitivity = "quasi_identifier"

[[variables]]
name = "KOSTNAD"
type = "decimal"
description = "Cost"
sensitivity = "other"

[[variables]]
name = "ANTAL"
type = "integer"
description = "Visits"
sensitivity = "other"
"#;

const APPLICATION: &str = r#"
title = "Municipal care costs"
organisation = "karolinska-institutet"
purpose = "public_health"
intended_use = "Costs of municipal care."
expected_benefit = "Better planning."
spe_users = ["anna"]
pseudonymised = true
why_not_anonymised = "Visits are linked per person."
months_needed = 12

[[datasets]]
dataset_id = "kommunvard"
variables = ["BESOKSDATUM", "KOMMUN", "KOSTNAD", "ANTAL"]
"#;

struct Row {
    pnr: String,
    date: String,
    kommun: &'static str,
    cost: f64,
    n: i64,
}

fn rows() -> Vec<Row> {
    let reference = chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap_or_default();
    let text =
        std::fs::read_to_string(repo().join("sample-data/slutenvard.csv")).unwrap_or_default();
    let kommuner = ["Malmö", "Västerås", "Åre", "Göteborg", "Luleå"];
    text.lines()
        .skip(1)
        .filter_map(|l| l.split(';').next())
        .filter(|raw| PersonId::parse(raw, reference).is_ok())
        .take(60)
        .enumerate()
        .map(|(i, raw)| Row {
            pnr: raw.trim().to_string(),
            date: format!("2023{:02}{:02}", 1 + i % 12, 1 + i % 28),
            kommun: kommuner[i % kommuner.len()],
            cost: (i as f64) * 12.25 + 0.5,
            n: (i % 4) as i64 + 1,
        })
        .collect()
}

/// (separator, decimal mark, quote every field)
fn csv(rows: &[Row], sep: char, decimal: char, quote: bool) -> String {
    let q = |s: String| if quote { format!("\"{s}\"") } else { s };
    let mut out = ["PNR", "BESOKSDATUM", "KOMMUN", "KOSTNAD", "ANTAL"]
        .map(|h| q(h.to_string()))
        .join(&sep.to_string());
    out.push('\n');
    for r in rows {
        let cost = format!("{}", r.cost).replace('.', &decimal.to_string());
        let cost = if decimal == sep {
            format!("\"{cost}\"")
        } else {
            q(cost)
        };
        let fields = [
            q(r.pnr.clone()),
            q(r.date.clone()),
            q(r.kommun.to_string()),
            cost,
            q(r.n.to_string()),
        ];
        out.push_str(&fields.join(&sep.to_string()));
        out.push('\n');
    }
    out
}

fn parquet(rows: &[Row], path: &std::path::Path) {
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "PNR",
            Arc::new(StringArray::from(
                rows.iter().map(|r| r.pnr.clone()).collect::<Vec<_>>(),
            )),
        ),
        (
            "BESOKSDATUM",
            Arc::new(StringArray::from(
                rows.iter().map(|r| r.date.clone()).collect::<Vec<_>>(),
            )),
        ),
        (
            "KOMMUN",
            Arc::new(StringArray::from(
                rows.iter().map(|r| r.kommun).collect::<Vec<_>>(),
            )),
        ),
        (
            "KOSTNAD",
            Arc::new(Float64Array::from(
                rows.iter().map(|r| r.cost).collect::<Vec<_>>(),
            )),
        ),
        (
            "ANTAL",
            Arc::new(Int64Array::from(
                rows.iter().map(|r| r.n).collect::<Vec<_>>(),
            )),
        ),
    ];
    let batch = RecordBatch::try_from_iter(columns).unwrap_or_else(|e| panic!("{e}"));
    let file = std::fs::File::create(path).unwrap_or_else(|e| panic!("{e}"));
    // Small row groups: the reader must not care about the layout.
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(7))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props))
        .unwrap_or_else(|e| panic!("{e}"));
    w.write(&batch).unwrap_or_else(|e| panic!("{e}"));
    w.close().unwrap_or_else(|e| panic!("{e}"));
}

/// Delivered rows as comparable text (pseudonym first).
fn delivered(hdab: &Hdab, permit: &str) -> BTreeSet<String> {
    let d = read_delivery(&hdab.spe().join(permit).join("kommunvard"));
    let n = d.pseudonyms.len();
    assert!(n > 0);
    let rows: BTreeSet<String> = d
        .strings
        .iter()
        .filter(|s| s.len() < 200)
        .cloned()
        .collect();
    rows.into_iter()
        .chain(d.pseudonyms.iter().cloned())
        .collect()
}

#[test]
fn every_dialect_encoding_and_parquet_delivers_the_same_data() {
    let hdab = Hdab::demo();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let desc = dir.path().join("kommunvard.toml");
    std::fs::write(&desc, description()).unwrap_or_else(|e| panic!("{e}"));
    hdab.ok_as(
        "sara",
        &["catalog", "register", desc.to_str().unwrap_or_default()],
    );
    let app = dir.path().join("application.toml");
    std::fs::write(&app, APPLICATION).unwrap_or_else(|e| panic!("{e}"));
    let id = hdab.apply_and_take("anna", &app);
    let id = id.as_str();
    let out = hdab.ok_as("dora", &["case", "approve", id, "--reason", "ok"]);
    let permit = support::permit_in(&out);

    let rows = rows();
    let variants: Vec<(&str, Vec<u8>)> = vec![
        (
            "semicolon-comma.csv",
            csv(&rows, ';', ',', false).into_bytes(),
        ),
        (
            "comma-quoted-comma-decimal.csv",
            csv(&rows, ',', ',', false).into_bytes(),
        ),
        (
            "comma-all-quoted-dot.csv",
            csv(&rows, ',', '.', true).into_bytes(),
        ),
        (
            "semicolon-dot.csv",
            csv(&rows, ';', '.', false).into_bytes(),
        ),
        (
            "windows-1252.csv",
            support::windows_1252(&csv(&rows, ';', ',', false)),
        ),
        (
            "bom.csv",
            [
                b"\xEF\xBB\xBF".as_slice(),
                csv(&rows, ';', ',', false).as_bytes(),
            ]
            .concat(),
        ),
    ];
    let mut first: Option<BTreeSet<String>> = None;
    for (name, bytes) in variants
        .iter()
        .map(|(n, b)| (n.to_string(), b.clone()))
        .chain(std::iter::once(("typed.parquet".to_string(), Vec::new())))
    {
        let file = dir.path().join(&name);
        if name.ends_with(".parquet") {
            parquet(&rows, &file);
        } else {
            std::fs::write(&file, bytes).unwrap_or_else(|e| panic!("{e}"));
        }
        let out = hdab
            .upload_for_permit(&permit, "kommunvard", &file, "2024-03-31")
            .unwrap();
        assert!(
            out.contains(&format!("{} rows", rows.len())),
            "{name}: {out}"
        );
        hdab.ok_as("olle", &["extract", &permit]);
        let got = delivered(&hdab, &permit);
        assert!(
            got.contains("Västerås") && got.contains("Malmö"),
            "{name}: text survives its encoding"
        );
        match &first {
            None => first = Some(got),
            Some(f) => assert_eq!(
                f, &got,
                "{name} delivers the same data as the first dialect"
            ),
        }
    }
}

#[test]
fn a_killed_extraction_leaves_the_previous_delivery_or_none_never_a_partial_one() {
    let hdab = Hdab::demo();
    let folder = hdab.spe().join("P-2026-0001").join("lakemedel");
    assert!(support::complete(&folder));
    // Each run must do real work: an unchanged re-run is a no-op, so the opt-out registry
    // changes before every run (one person opted out, then back in).
    let optout = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let optout_file = optout.path().join("one.txt");
    std::fs::write(&optout_file, "19121212-1212\n").unwrap_or_else(|e| panic!("{e}"));
    let optout_file = optout_file.to_str().unwrap_or_default().to_string();
    // Seven fixed instants and twenty pseudo-random ones (a seeded LCG: same in every run).
    let mut seed = 20_291_001u64;
    let random = (0..20).map(|_| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        5 + (seed >> 33) % 600
    });
    let delays: Vec<u64> = [5u64, 20, 40, 80, 120, 200, 300]
        .into_iter()
        .chain(random)
        .collect();
    let mut identical = 0;
    for (i, delay_ms) in delays.iter().copied().enumerate() {
        let verb = if i % 2 == 0 { "register" } else { "withdraw" };
        hdab.ok_as("otto", &["optout", verb, "--file", &optout_file]);
        // The reference: a copy of the installation, extracted without a kill.
        let reference = hdab.copy();
        reference.ok_as("olle", &["extract", "P-2026-0001"]);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hdab"))
            .env("HDAB_DATA_DIR", hdab.dir())
            .args(["--as", "olle", "extract", "P-2026-0001"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        // Whatever instant it died at, researchers see a complete delivery or none.
        for dataset in ["dodsorsak", "lakemedel", "population", "slutenvard"] {
            let f = hdab.spe().join("P-2026-0001").join(dataset);
            assert!(
                !f.exists() || support::complete(&f),
                "{dataset} after a kill at {delay_ms} ms"
            );
        }
        // The next run sweeps what the killed one left and delivers the reference's bytes.
        hdab.ok_as("olle", &["extract", "P-2026-0001"]);
        assert_eq!(
            support::names_in(&hdab.spe().join("P-2026-0001")),
            ["dodsorsak", "lakemedel", "population", "slutenvard"]
        );
        for dataset in ["slutenvard", "lakemedel"] {
            assert_eq!(
                support::fingerprint(&hdab.spe().join("P-2026-0001").join(dataset)),
                support::fingerprint(&reference.spe().join("P-2026-0001").join(dataset)),
                "{dataset}: the re-run after a kill at {delay_ms} ms"
            );
        }
        identical += 1;
    }
    println!(
        "{} kills (7 fixed, 20 random instants up to 600 ms): 0 partial deliveries seen; {identical}/{} re-runs checksum-identical to an uninterrupted run",
        delays.len(),
        delays.len()
    );
    assert!(support::complete(&folder));
    hdab.ok(&["audit", "verify"]);
}

/// Runs `hdab` with `args` under a memory cap: a cgroup (v1 or v2) limit where this machine
/// lets us make one, otherwise GNU time's peak is checked against the cap. Returns the peak
/// resident memory in KiB, as GNU time saw it.
fn run_capped(hdab: &Hdab, cap_bytes: u64, args: &[&str]) -> u64 {
    let id = format!("hdab-test-{}-{}", std::process::id(), args.len());
    let v1 = std::path::Path::new("/sys/fs/cgroup/memory").join(&id);
    let v2 = std::path::Path::new("/sys/fs/cgroup").join(&id);
    let cgroup = if std::fs::create_dir(&v1).is_ok()
        && std::fs::write(v1.join("memory.limit_in_bytes"), cap_bytes.to_string()).is_ok()
    {
        Some(v1)
    } else if std::fs::create_dir(&v2).is_ok()
        && std::fs::write(v2.join("memory.max"), cap_bytes.to_string()).is_ok()
    {
        Some(v2)
    } else {
        None
    };
    let enter = cgroup
        .as_ref()
        .map(|c| format!("echo $$ > {}/cgroup.procs && ", c.display()))
        .unwrap_or_default();
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "{enter}exec /usr/bin/time -f 'HDAB_MAXRSS_KB %M' '{}' {}",
        env!("CARGO_BIN_EXE_hdab"),
        quoted.join(" ")
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .env("HDAB_DATA_DIR", hdab.dir())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(c) = &cgroup {
        let _ = std::fs::remove_dir(c);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "hdab {args:?} under a {cap_bytes}-byte cap failed:\n{stderr}"
    );
    let peak = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("HDAB_MAXRSS_KB "))
        .filter_map(|n| n.trim().parse::<u64>().ok())
        .next_back()
        .unwrap_or(u64::MAX);
    assert!(peak * 1024 < cap_bytes, "peak {peak} KiB over the cap");
    peak
}

#[test]
fn a_file_larger_than_the_memory_cap_streams_through_upload_and_extraction() {
    if std::env::var_os("HDAB_SLOW_TESTS").is_none() {
        eprintln!("set HDAB_SLOW_TESTS=1 to run (CI does)");
        return;
    }
    let hdab = Hdab::demo();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    hdab.ok(&[
        "synth",
        "--out",
        dir.path().to_str().unwrap_or_default(),
        "--persons",
        "800000",
    ]);
    let file = dir.path().join("lakemedel.csv");
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let cap: u64 = 160 << 20;
    assert!(size > cap, "the file ({size} bytes) is larger than the cap");
    let path = file.to_str().unwrap_or_default();
    // The holder sends it for the demo permit's order of the register.
    let (order, _, _) = hdab
        .orders("P-2026-0001")
        .into_iter()
        .find(|(_, d, _)| d == "lakemedel")
        .unwrap();
    run_capped(
        &hdab,
        cap,
        &[
            "--as",
            "sara",
            "upload",
            "--order",
            &order,
            path,
            "--extract-date",
            "2024-03-31",
        ],
    );
    run_capped(&hdab, cap, &["--as", "olle", "extract", "P-2026-0001"]);
    let d = read_delivery(&hdab.spe().join("P-2026-0001").join("lakemedel"));
    let rows = &d.record["rows"];
    assert!(rows["rows_in"].as_u64().unwrap_or(0) > 5_000_000, "{rows}");
    assert_eq!(rows["delivered"].as_u64(), Some(d.pseudonyms.len() as u64));
}
