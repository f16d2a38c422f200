//! The entitlements feed for an SPE someone else runs (issue 22): who may use each permit's
//! workspace and until when, signed with the audit key the register publishes, pushed to
//! the operator's command after every change.

use crate::support::Hdab;
use ring::signature::{ED25519, UnparsedPublicKey};

const PERMIT: &str = "P-2026-0001";

/// The feed's permits after checking its signature with `public_key` by hand (ring), the
/// way an operator without hdab would.
fn verified(signed: &serde_json::Value, public_key: &str) -> serde_json::Value {
    let b64 = |s: &str| data_encoding::BASE64URL_NOPAD.decode(s.as_bytes()).unwrap();
    let payload = signed["payload"].as_str().unwrap();
    let mut message = b"hdab entitlements v1\n".to_vec();
    message.extend_from_slice(payload.as_bytes());
    UnparsedPublicKey::new(&ED25519, b64(public_key))
        .verify(&message, &b64(signed["signature"].as_str().unwrap()))
        .expect("the feed's signature verifies with the published key");
    serde_json::from_str(payload).unwrap()
}

fn entry<'a>(feed: &'a serde_json::Value, permit: &str) -> &'a serde_json::Value {
    feed["permits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["permit_id"] == permit)
        .unwrap()
}

#[test]
fn the_signed_feed_names_the_permits_people_and_follows_amendment_and_revocation() {
    let hdab = Hdab::demo();
    hdab.add_user("spe", "scb", &["spe_operator"]);
    let checkpoint: serde_json::Value =
        serde_json::from_str(&hdab.ok_as("admin", &["audit", "checkpoint"])).unwrap();
    let key = checkpoint["public_key"].as_str().unwrap().to_string();

    let signed: serde_json::Value =
        serde_json::from_str(&hdab.ok_as("spe", &["spe", "entitlements"])).unwrap();
    let feed = verified(&signed, &key);
    let p = entry(&feed, PERMIT);
    assert_eq!(
        (p["status"].as_str(), p["users"].clone()),
        (Some("valid"), serde_json::json!(["anna"]))
    );
    let err = hdab.fails_as("anna", &["spe", "entitlements"]);
    assert!(err.contains("spe_operator"), "{err}");

    // The operator's own check, and a changed feed refused.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("feed.json");
    std::fs::write(&saved, signed.to_string()).unwrap();
    let out = hdab.ok(&[
        "spe",
        "verify-entitlements",
        saved.to_str().unwrap(),
        "--public-key",
        &key,
    ]);
    assert!(
        out.contains("signature verified") && out.contains(PERMIT),
        "{out}"
    );
    let mut forged = signed.clone();
    forged["payload"] = serde_json::Value::String(
        signed["payload"]
            .as_str()
            .unwrap()
            .replace("\"anna\"", "\"eve\""),
    );
    std::fs::write(&saved, forged.to_string()).unwrap();
    let (ok, _, err) = hdab.run(
        None,
        &[
            "spe",
            "verify-entitlements",
            saved.to_str().unwrap(),
            "--public-key",
            &key,
        ],
    );
    assert!(!ok && err.contains("does not verify"), "{err}");

    // Pushed after an amendment: the new person is in it.
    let pushed = dir.path().join("pushed.jsonl");
    let hook = format!("cat >> '{}'", pushed.display());
    hdab.amend(
        &[("HDAB_ENTITLEMENTS_COMMAND", &hook)],
        PERMIT,
        &["olle"],
        &[],
    );
    let line = std::fs::read_to_string(&pushed).unwrap();
    let feed = verified(&serde_json::from_str(line.trim()).unwrap(), &key);
    assert_eq!(
        entry(&feed, PERMIT)["users"],
        serde_json::json!(["anna", "olle"])
    );

    // Revoked: at once nobody.
    hdab.ok_with(
        &[("HDAB_ENTITLEMENTS_COMMAND", &hook)],
        &[
            "--as", "dora", "permit", "revoke", PERMIT, "--reason", "ended",
        ],
    );
    let last = std::fs::read_to_string(&pushed).unwrap();
    let feed = verified(
        &serde_json::from_str(last.lines().last().unwrap()).unwrap(),
        &key,
    );
    let p = entry(&feed, PERMIT);
    assert_eq!(
        (p["status"].as_str(), p["users"].clone()),
        (Some("revoked"), serde_json::json!([]))
    );
    let log = hdab.ok_as("admin", &["audit", "show"]);
    assert!(log.contains("spe.entitlements"), "the pushes are audited");
    assert!(hdab.ok_as("admin", &["audit", "verify"]).contains("intact"));
}
