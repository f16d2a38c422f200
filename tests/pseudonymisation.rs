//! Keys, rotation, re-delivery and opt-outs, proven on delivered files read back.

use crate::support;

use crate::support::{Hdab, read_delivery, reference, repo};
use hdab_pseudonymise::{MasterKey, PersonId, permit_context, pseudonym};
use std::collections::HashSet;

const PERMIT: &str = "P-2026-0001";

fn parquet_bytes(folder: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    support::files_in(folder)
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            (name, std::fs::read(&p).unwrap_or_default())
        })
        .collect()
}

#[test]
fn a_re_run_with_the_same_inputs_is_byte_identical() {
    let hdab = Hdab::demo();
    let folder = hdab.spe().join(PERMIT).join("slutenvard");
    let before = parquet_bytes(&folder);
    hdab.ok_as("olle", &["extract", PERMIT]);
    assert_eq!(before, parquet_bytes(&folder), "Parquet files and manifest");
}

#[test]
fn a_key_file_others_can_read_is_refused_saying_why() {
    let hdab = Hdab::demo();
    let key = hdab.dir().join("master.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644))
            .unwrap_or_else(|e| panic!("{e}"));
        let err = hdab.fails_as("olle", &["extract", PERMIT]);
        assert!(
            err.contains("readable by its owner only") && err.contains("chmod 600"),
            "{err}"
        );
    }
}

#[test]
fn rotation_gives_every_live_permit_new_pseudonyms_and_keeps_linkage() {
    let hdab = Hdab::demo();
    let before = read_delivery(&hdab.spe().join(PERMIT).join("slutenvard"));
    hdab.ok_as("admin", &["keys", "rotate", "--reason", "backup tape lost"]);
    let status = hdab.ok_as("olle", &["permit", "show", PERMIT]);
    assert!(
        status.contains("version 2") && status.contains("RE-DELIVERY DUE"),
        "{status}"
    );
    hdab.ok_as("olle", &["extract", PERMIT]);

    let after = read_delivery(&hdab.spe().join(PERMIT).join("slutenvard"));
    let drugs = read_delivery(&hdab.spe().join(PERMIT).join("lakemedel"));
    assert_eq!(after.manifest["key_version"], 2);
    assert_eq!(before.pseudonyms.len(), after.pseudonyms.len());
    let old: HashSet<_> = before.pseudonyms.iter().collect();
    assert!(
        after.pseudonyms.iter().all(|p| !old.contains(p)),
        "rotation changed every pseudonym"
    );
    // Linkage inside the permit holds under the new key version.
    let new: HashSet<_> = after.pseudonyms.iter().collect();
    assert!(drugs.pseudonyms.iter().filter(|p| new.contains(p)).count() > 10);
    // Each is the keyed hash under version 2.
    let key = hdab.master_key().derive(&permit_context(PERMIT, 2));
    let expected: HashSet<String> =
        support::person_ids_in(&repo().join("sample-data/slutenvard.csv"), reference())
            .iter()
            .map(|id| pseudonym(&key, id))
            .collect();
    assert!(after.pseudonyms.iter().all(|p| expected.contains(p)));
    let status = hdab.ok_as("olle", &["permit", "show", PERMIT]);
    assert!(!status.contains("RE-DELIVERY DUE"), "{status}");
}

#[test]
fn a_new_master_key_serves_new_permits_while_old_permits_keep_theirs() {
    let hdab = Hdab::demo();
    let folder = hdab.spe().join(PERMIT).join("slutenvard");
    let old_key_id = read_delivery(&folder).manifest["key_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let before = parquet_bytes(&folder);
    hdab.ok_as("admin", &["keys", "new"]);
    hdab.ok_as("olle", &["extract", PERMIT]);
    assert_eq!(
        before,
        parquet_bytes(&folder),
        "the old permit's re-delivery is unchanged"
    );

    let application = repo().join("pipelines/demo-application.toml");
    let id = hdab.apply_and_take("anna", &application);
    let id = id.as_str();
    hdab.ok_as("dora", &["case", "approve", id, "--reason", "ok"]);
    hdab.fulfil_orders("P-2026-0003", &[]);
    hdab.ok_as("olle", &["extract", "P-2026-0003"]);
    let new_key_id = read_delivery(&hdab.spe().join("P-2026-0003/slutenvard")).manifest["key_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_ne!(old_key_id, new_key_id);
}

#[test]
fn someone_who_opts_out_after_an_extract_is_gone_from_the_next_one() {
    let hdab = Hdab::demo();
    let key = hdab.master_key().derive(&permit_context(PERMIT, 1));
    let delivered = read_delivery(&hdab.spe().join(PERMIT).join("slutenvard"));
    let pseudonyms: HashSet<_> = delivered.pseudonyms.iter().cloned().collect();
    // A delivered person, as the citizen service would send their number.
    let line = std::fs::read_to_string(repo().join("sample-data/slutenvard.csv"))
        .unwrap_or_default()
        .lines()
        .skip(1)
        .map(|l| l.split(';').next().unwrap_or_default().to_string())
        .find(|raw| {
            PersonId::parse(raw, reference())
                .is_ok_and(|id| pseudonyms.contains(&pseudonym(&key, &id)))
        })
        .unwrap_or_else(|| panic!("the demo delivers someone"));
    let person = PersonId::parse(&line, reference()).unwrap_or_else(|e| panic!("{e}"));
    let their_rows = delivered
        .pseudonyms
        .iter()
        .filter(|p| **p == pseudonym(&key, &person))
        .count() as u64;

    hdab.optout("register", &format!("{line}\n"), Some("2024-03-31"));
    let status = hdab.ok_as("olle", &["permit", "show", PERMIT]);
    assert!(status.contains("RE-DELIVERY DUE"), "{status}");
    hdab.ok_as("olle", &["extract", PERMIT]);

    let again = read_delivery(&hdab.spe().join(PERMIT).join("slutenvard"));
    assert!(
        !again.pseudonyms.contains(&pseudonym(&key, &person)),
        "the opted-out person was delivered"
    );
    let opted = |d: &support::Delivery| d.record["rows"]["opted_out"].as_u64().unwrap_or(0);
    assert_eq!(opted(&again), opted(&delivered) + their_rows);
    // After opting back in they are delivered again: the permit was granted before the
    // opt-out, and the opt-out is no longer in force.
    hdab.optout("withdraw", &format!("{line}\n"), Some("2024-03-31"));
    hdab.ok_as("olle", &["extract", PERMIT]);
    let back = read_delivery(&hdab.spe().join(PERMIT).join("slutenvard"));
    assert!(back.pseudonyms.contains(&pseudonym(&key, &person)));
}

/// Every way 32 key bytes could be written down.
fn encodings(bytes: &[u8]) -> Vec<Vec<u8>> {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let b64 = base64(
        bytes,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    );
    let b64url = base64(
        bytes,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    );
    vec![
        bytes.to_vec(),
        hex.clone().into_bytes(),
        hex.to_uppercase().into_bytes(),
        b64.as_bytes()[..40].to_vec(),
        b64url.as_bytes()[..40].to_vec(),
    ]
}

fn base64(bytes: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// HKDF-SHA-256 as hdab documents it, computed here with ring to get the raw derived bytes.
fn derived_bytes(master: &[u8], info: &[u8]) -> [u8; 32] {
    struct Len;
    impl ring::hkdf::KeyType for Len {
        fn len(&self) -> usize {
            32
        }
    }
    let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"hdab/hkdf-salt/v1").extract(master);
    let mut out = [0u8; 32];
    let infos = [info];
    prk.expand(&infos, Len)
        .and_then(|okm| okm.fill(&mut out))
        .unwrap_or_else(|_| panic!("hkdf"));
    out
}

fn files_under(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn no_key_material_appears_in_logs_database_manifests_or_deliveries() {
    let (hdab, log) = Hdab::demo_logged("debug");
    assert!(
        log.contains("DEBUG") || log.contains("INFO"),
        "the run logged at debug level"
    );
    let text = std::fs::read_to_string(hdab.dir().join("master.key")).unwrap_or_default();
    let master: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&text.trim()[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect();
    let _ = MasterKey::from_hex(&text);
    let secrets: Vec<[u8; 32]> = vec![
        master.clone().try_into().unwrap_or([0; 32]),
        derived_bytes(&master, &permit_context(PERMIT, 1).info()),
        derived_bytes(
            &master,
            &hdab_pseudonymise::optout_registry_context().info(),
        ),
    ];
    // The derivation above is the real one: the permit key reproduces a delivered pseudonym.
    let some_id =
        support::person_ids_in(&repo().join("sample-data/slutenvard.csv"), reference())[0];
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secrets[1]),
        some_id.canonical(),
    );
    let mut tag20 = [0u8; 32];
    tag20.copy_from_slice(tag.as_ref());
    assert_eq!(
        hdab_pseudonymise::encode_pseudonym(&tag20),
        pseudonym(
            &hdab.master_key().derive(&permit_context(PERMIT, 1)),
            &some_id
        )
    );
    let mut files = Vec::new();
    files_under(hdab.dir(), &mut files);
    let mut haystacks: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter(|p| !p.ends_with("master.key"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read(&p).unwrap_or_default(),
            )
        })
        .collect();
    haystacks.push(("the debug log".into(), log.into_bytes()));
    assert!(
        haystacks.iter().any(|(n, _)| n.ends_with("hdab.db")),
        "the database is searched"
    );
    for secret in &secrets {
        for needle in encodings(secret) {
            for (name, hay) in &haystacks {
                assert!(
                    !hay.windows(needle.len()).any(|w| w == needle.as_slice()),
                    "key material found in {name}"
                );
            }
        }
    }
    // And the log names no person: none of the sample's identifiers, in the form written.
    let (_, log) = haystacks.last().cloned().unwrap_or_default();
    let log = String::from_utf8_lossy(&log);
    for id in support::person_ids_in(&repo().join("sample-data/slutenvard.csv"), reference())
        .iter()
        .take(200)
    {
        let canonical = String::from_utf8_lossy(id.canonical()).to_string();
        assert!(!log.contains(&canonical[2..]), "an identifier in the log");
    }
}

#[test]
fn concurrent_extractions_of_one_permit_leave_exactly_one_complete_delivery() {
    let hdab = Hdab::demo();
    // A changed registry makes the next run a real one, not a no-op.
    hdab.optout("register", "19121212-1212\n", None);
    std::thread::scope(|s| {
        let runs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| hdab.ok_as("olle", &["extract", PERMIT])))
            .collect();
        for r in runs {
            r.join()
                .unwrap_or_else(|_| panic!("a concurrent extraction failed"));
        }
    });
    let permit_dir = hdab.spe().join(PERMIT);
    let mut names: Vec<String> = std::fs::read_dir(&permit_dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["dodsorsak", "lakemedel", "population", "slutenvard"],
        "no staging or previous folders left"
    );
    for dataset in ["lakemedel", "slutenvard"] {
        let delivery = read_delivery(&permit_dir.join(dataset));
        let files = delivery.manifest["files"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!files.is_empty());
        for f in files {
            let name = f["name"].as_str().unwrap_or_default();
            let bytes = std::fs::read(permit_dir.join(dataset).join(name)).unwrap_or_default();
            assert_eq!(
                f["sha256"].as_str().unwrap_or_default(),
                hex_sha256(&bytes),
                "{dataset}/{name} is the file its manifest describes"
            );
        }
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
