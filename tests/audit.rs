//! The audit log through the binary: a cut-off tail and a forged checkpoint are detected from
//! the signed checkpoints copied into delivery manifests, even when the database's own
//! checkpoints were deleted with the tail.

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
