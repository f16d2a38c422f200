//! Tampering with a 1,000-entry audit log: every single-byte change of every stored field and
//! hash, every deletion, every swap of neighbours, every duplication and every cut-off tail
//! must be detected. Prints the figures (`-- --nocapture`).

use chrono::{TimeZone, Utc};
use hdab_store::{Anchor, AuditError, Store, StoredEntry, verify_chain, verify_chain_from};

const ENTRIES: usize = 1000;

async fn log() -> (tempfile::TempDir, Vec<StoredEntry>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = Store::open(&format!("sqlite://{}", dir.path().join("a.db").display()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let actions = [
        "catalog.register",
        "upload",
        "application.submit",
        "case.take",
        "extract",
    ];
    for i in 0..ENTRIES {
        let at = Utc
            .timestamp_opt(1_800_000_000 + i as i64 * 37, 0)
            .single()
            .unwrap_or_default();
        store
            .audit(
                at,
                ["sara", "anna", "olle", "dora"][i % 4],
                // Entries from before `via` existed have none; later ones say how.
                ["", "password", "api-token"][i % 3],
                actions[i % 5],
                &format!("A-2026-{i:04}"),
                "ok",
                &format!("detail {i}"),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let entries = store
        .audit_stored_entries()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (dir, entries)
}

/// Verifies a log made of the untouched `log[..from]` and then `rest`, starting from the
/// last untouched entry — what a full verification has computed at that point — so that
/// 200,000 variants stay cheap.
fn detected(log: &[StoredEntry], from: usize, rest: &[StoredEntry], head: &Anchor) -> bool {
    let anchors = std::slice::from_ref(head);
    let result = match from {
        0 => verify_chain(rest, anchors),
        _ => {
            let start = &log[from - 1];
            verify_chain_from(start.seq, &start.hash, rest, anchors)
        }
    };
    result.is_err()
}

#[tokio::test]
async fn every_edit_deletion_reordering_duplication_and_truncation_is_detected() {
    let (_dir, log) = log().await;
    assert_eq!(log.len(), ENTRIES);
    // A signed checkpoint of the head (its signature is checked by hdab-app; here it is the
    // anchor it yields).
    let head = Anchor {
        seq: ENTRIES as i64,
        head_hash: String::from_utf8_lossy(&log[ENTRIES - 1].hash).into_owned(),
    };
    assert_eq!(verify_chain(&log, std::slice::from_ref(&head)), Ok(ENTRIES));

    let mut tried = [0u64; 5];
    let mut caught = [0u64; 5];
    let mut count = |kind: usize, ok: bool| {
        tried[kind] += 1;
        if ok {
            caught[kind] += 1;
        }
    };
    // 0: every byte of every stored field, hash and sequence number changed.
    for i in 0..ENTRIES {
        let mut variant = log[i..].to_vec();
        for f in 0..9 {
            let len = if f < 8 {
                variant[0].fields[f].len()
            } else {
                variant[0].hash.len()
            };
            for b in 0..len {
                let byte = if f < 8 {
                    &mut variant[0].fields[f][b]
                } else {
                    &mut variant[0].hash[b]
                };
                *byte ^= 0x01;
                count(0, detected(&log, i, &variant, &head));
                let byte = if f < 8 {
                    &mut variant[0].fields[f][b]
                } else {
                    &mut variant[0].hash[b]
                };
                *byte ^= 0x01;
            }
        }
        // How the actor was identified, cleared where it was said or said where it was not.
        let said = std::mem::take(&mut variant[0].fields[7]);
        if said.is_empty() {
            variant[0].fields[7] = b"asserted".to_vec();
        }
        count(0, detected(&log, i, &variant, &head));
        variant[0].fields[7] = said;
        for b in 0..8 {
            variant[0].seq ^= 1 << (8 * b);
            count(0, detected(&log, i, &variant, &head));
            variant[0].seq ^= 1 << (8 * b);
        }
    }
    for i in 0..ENTRIES {
        // 1: deletion of entry i.
        count(1, detected(&log, i, &log[i + 1..], &head));
        // 2: entry i swapped with the next.
        if i + 1 < ENTRIES {
            let mut v = log[i..].to_vec();
            v.swap(0, 1);
            count(2, detected(&log, i, &v, &head));
        }
        // 3: entry i duplicated in place.
        let mut v = log[i..].to_vec();
        v.insert(1, log[i].clone());
        count(3, detected(&log, i, &v, &head));
        // 4: the log cut off after its first i entries (a full verification).
        count(4, detected(&log, 0, &log[..i], &head));
    }
    let names = [
        "single-byte changes",
        "deletions",
        "neighbour swaps",
        "duplications",
        "tail truncations",
    ];
    for k in 0..5 {
        println!(
            "{:<20} {:>7} tried {:>7} detected ({:.1}%)",
            names[k],
            tried[k],
            caught[k],
            100.0 * caught[k] as f64 / tried[k] as f64
        );
        assert_eq!(tried[k], caught[k], "{} went undetected", names[k]);
    }
    // Without the checkpoint a cut-off tail is a valid shorter chain: why checkpoints exist.
    assert_eq!(verify_chain(&log[..500], &[]), Ok(500));
    assert!(matches!(
        verify_chain(&log[..500], std::slice::from_ref(&head)),
        Err(AuditError::Truncated {
            checkpoint: 1000,
            last: 500
        })
    ));
}
