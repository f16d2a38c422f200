//! The audit log through the binary: a cut-off tail and a forged checkpoint are detected from
//! the signed checkpoints copied into delivery manifests and the witness, even when the
//! database's own checkpoints were deleted with the tail; any one deleted entry is named; a
//! delivery whose `extract` entry is gone is named; a folder without an installation is
//! refused, not filled.

use crate::support::Hdab;

fn sqlite(hdab: &Hdab, sql: &str) {
    let db = hdab.dir().join("hdab.db");
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sqlx::query(sql)
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    });
}

fn manifest_checkpoint(hdab: &Hdab) -> (std::path::PathBuf, serde_json::Value) {
    let path = hdab.spe().join("P-2026-0001/slutenvard/manifest.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let m: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        m["audit_checkpoint"]["signature"].is_string(),
        "the manifest carries a signed checkpoint"
    );
    (path, m)
}

#[test]
fn a_cut_off_tail_is_detected_from_the_checkpoints_in_manifests() {
    let hdab = Hdab::demo();
    let ok = hdab.ok(&["audit", "verify"]);
    assert!(
        ok.contains("intact") && ok.contains("in delivery manifests verified"),
        "{ok}"
    );
    let (_, m) = manifest_checkpoint(&hdab);
    let vouched = m["audit_checkpoint"]["seq"].as_i64().unwrap_or(0);
    assert!(vouched > 0);
    // Whoever cuts the log also deletes the database's checkpoints.
    sqlite(
        &hdab,
        &format!("DELETE FROM audit_log WHERE seq >= {vouched}"),
    );
    sqlite(&hdab, "DELETE FROM audit_checkpoints");
    let err = hdab.fails_as("admin", &["audit", "verify"]);
    assert!(err.contains("cut off"), "{err}");
}

#[test]
fn a_forged_checkpoint_is_detected() {
    let hdab = Hdab::demo();
    let (path, mut m) = manifest_checkpoint(&hdab);
    // Claim the log reached a later entry than it did: the signature no longer fits.
    let seq = m["audit_checkpoint"]["seq"].as_i64().unwrap_or(0);
    m["audit_checkpoint"]["seq"] = serde_json::json!(seq + 1000);
    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let err = hdab.fails_as("admin", &["audit", "verify"]);
    assert!(err.contains("no valid signature"), "{err}");
}

/// How many entries the log has (reading it adds one more after the printout).
fn entries(hdab: &Hdab) -> i64 {
    let log = hdab.ok_as("admin", &["audit", "show"]);
    log.lines()
        .filter_map(|l| l.split_whitespace().next()?.parse::<i64>().ok())
        .max()
        .unwrap_or(0)
}

#[test]
fn deleting_any_single_entry_the_last_included_fails_verify_and_names_it() {
    let demo = Hdab::demo();
    // The demo's log as the demo left it: its last entry records the extraction.
    let copy = demo.copy();
    let n = entries(&copy);
    assert!(n > 10, "the demo's log has {n} entries");
    for seq in 1..=n {
        let hdab = demo.copy();
        sqlite(&hdab, &format!("DELETE FROM audit_log WHERE seq = {seq}"));
        let err = hdab.fails_as("admin", &["audit", "verify"]);
        let named = if seq == n {
            // The last entry: the checkpoint signed right after it vouches for it.
            err.contains(&format!("vouches for entry {seq}: entries were cut off"))
        } else {
            err.contains(&format!("(expected number {seq})"))
        };
        assert!(named, "deleting entry {seq} of {n}: {err}");
    }
    println!("deleting any one of {n} entries: {n}/{n} detected and named");
}

#[test]
fn deleting_the_tail_with_its_checkpoints_in_the_database_is_caught_by_the_witness() {
    let demo = Hdab::demo();
    let n = entries(&demo.copy());
    for cut in [1, 2, 5] {
        let hdab = demo.copy();
        let keep = n - cut;
        sqlite(&hdab, &format!("DELETE FROM audit_log WHERE seq > {keep}"));
        sqlite(&hdab, "DELETE FROM audit_checkpoints");
        let err = hdab.fails_as("admin", &["audit", "verify"]);
        assert!(
            err.contains(&format!("the log ends at entry {keep}")) && err.contains("cut off"),
            "cutting the last {cut}: {err}"
        );
    }
}

#[test]
fn a_delivery_whose_extract_entry_is_gone_is_named_even_without_any_checkpoint() {
    let hdab = Hdab::demo();
    let n = entries(&hdab.copy());
    // Whoever can also reach the witness file removes it; the deliveries on disk and their
    // records remain, and each must have its `extract` entry.
    sqlite(&hdab, &format!("DELETE FROM audit_log WHERE seq = {n}"));
    sqlite(&hdab, "DELETE FROM audit_checkpoints");
    std::fs::remove_dir_all(hdab.dir().join("witness")).unwrap_or_else(|e| panic!("{e}"));
    // The demo's last entry is the anonymised permit's extraction (P-2026-0002).
    for permit in ["P-2026-0001", "P-2026-0002"] {
        for dataset in std::fs::read_dir(hdab.spe().join(permit))
            .unwrap()
            .flatten()
        {
            let path = dataset.path().join("manifest.json");
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let mut m: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            m["audit_checkpoint"] = serde_json::Value::Null;
            std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap_or_default())
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let err = hdab.fails_as("admin", &["audit", "verify"]);
    assert!(
        err.contains("P-2026-0002/") && err.contains("has no `extract` entry"),
        "{err}"
    );
}

#[test]
fn a_command_in_a_folder_without_an_installation_refuses_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for args in [
        vec!["audit", "verify"],
        vec!["catalog", "export"],
        vec![
            "--as", "admin", "users", "add", "--id", "a", "--org", "o", "--role", "admin",
        ],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hdab"))
            .current_dir(dir.path())
            .env_remove("HDAB_DATA_DIR")
            .env_remove("HDAB_DATABASE_URL")
            .env_remove("HDAB_MASTER_KEY")
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{args:?} succeeded in an empty folder"
        );
        assert!(
            err.contains("no hdab installation at hdab-data")
                && err.contains("give --data-dir or set HDAB_DATA_DIR")
                && err.contains("`hdab init` creates one"),
            "{args:?}: {err}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .collect();
        assert!(left.is_empty(), "{args:?} left {left:?}");
    }
    // `hdab init` makes one, and then the commands work there.
    let init = std::process::Command::new(env!("CARGO_BIN_EXE_hdab"))
        .current_dir(dir.path())
        .env_remove("HDAB_DATA_DIR")
        .env_remove("HDAB_DATABASE_URL")
        .env_remove("HDAB_MASTER_KEY")
        .arg("init")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_hdab"))
        .current_dir(dir.path())
        .env_remove("HDAB_DATA_DIR")
        .env_remove("HDAB_DATABASE_URL")
        .env_remove("HDAB_MASTER_KEY")
        .args(["audit", "verify"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

/// The checkpoints the witness file holds, as (seq) in order.
fn witnessed(hdab: &Hdab) -> Vec<i64> {
    std::fs::read_to_string(hdab.dir().join("witness/audit-checkpoints.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

#[test]
fn every_checkpoint_also_reaches_a_witness_command() {
    let hdab = Hdab::demo();
    let dir = tempfile::tempdir().unwrap();
    let remote = dir.path().join("remote-witness.jsonl");
    let command = format!("cat >> '{}'", remote.display());
    hdab.ok_with(
        &[("HDAB_WITNESS_COMMAND", &command)],
        &["audit", "checkpoint"],
    );
    let sent = std::fs::read_to_string(&remote).unwrap();
    let sent: serde_json::Value = serde_json::from_str(sent.trim()).unwrap();
    assert_eq!(witnessed(&hdab).last().copied(), sent["seq"].as_i64());
    // A witness command that fails is reported, not ignored.
    // (Reading the log signs nothing.)
    hdab.ok_with(
        &[("HDAB_WITNESS_COMMAND", "exit 3")],
        &["--as", "admin", "audit", "show"],
    );
    let out = hdab
        .command()
        .env("HDAB_WITNESS_COMMAND", "exit 3")
        .args(["audit", "checkpoint"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("witness command"),
        "{err}"
    );
}

#[test]
fn the_server_covers_new_entries_with_a_checkpoint_within_its_interval() {
    let hdab = Hdab::demo();
    let mut server = hdab
        .command()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--checkpoint-every",
            "1",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Reading the log adds an entry (after the `head` it prints) that no checkpoint covers.
    let head = entries(&hdab);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let covered = loop {
        if witnessed(&hdab).iter().any(|s| *s > head) {
            break true;
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        covered,
        "no checkpoint covered entry {} within 10 s",
        head + 1
    );
}
