//! The published test vectors in `pipelines/test-vectors/pseudonyms.json`: another engine
//! that reproduces these reproduces hdab's pseudonyms exactly.
//! `UPDATE_TEST_VECTORS=1 cargo test -p hdab-pseudonymise --test vectors` rewrites the file.

use chrono::NaiveDate;
use hdab_pseudonymise::{
    KeyContext, MasterKey, PersonId, optout_registry_context, permit_context, pseudonym,
    registry_hash,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Vectors {
    description: String,
    master_key_hex: String,
    hkdf_salt: String,
    reference_date: NaiveDate,
    pseudonyms: Vec<Vector>,
    optout_registry: Vec<RegistryVector>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Vector {
    permit_id: String,
    key_version: u32,
    hkdf_info_hex: String,
    written_forms: Vec<String>,
    pseudonym: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct RegistryVector {
    hkdf_info_hex: String,
    written_forms: Vec<String>,
    hmac_sha256_hex: String,
}

fn path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../pipelines/test-vectors/pseudonyms.json")
}

fn compute() -> Vectors {
    let key_bytes: [u8; 32] = std::array::from_fn(|i| i as u8);
    let master = MasterKey::from_bytes(key_bytes);
    let reference = NaiveDate::from_ymd_opt(2024, 3, 31).unwrap_or_default();
    // Skatteverket's published test number, a samordningsnummer and a 100-year-old.
    let people: [&[&str]; 3] = [
        &[
            "191212121212",
            "19121212-1212",
            "121212+1212",
            " 19121212-1212 ",
        ],
        &["197010632391", "19701063-2391", "701063-2391", "7010632391"],
        &["201012311237", "20101231-1237", "101231-1237", "1012311237"],
    ];
    let mut pseudonyms = Vec::new();
    for (permit_id, key_version) in [("P-2026-0001", 1), ("P-2026-0001", 2), ("P-2026-0002", 1)] {
        let context = permit_context(permit_id, key_version);
        let key = master.derive(&context);
        for forms in people {
            let ids: Vec<PersonId> = forms
                .iter()
                .map(|f| PersonId::parse(f, reference).unwrap_or_else(|e| panic!("{f}: {e}")))
                .collect();
            assert!(
                ids.windows(2).all(|w| w[0] == w[1]),
                "all forms are one person"
            );
            pseudonyms.push(Vector {
                permit_id: permit_id.into(),
                key_version,
                hkdf_info_hex: hex(&context.info()),
                written_forms: forms.iter().map(|s| s.to_string()).collect(),
                pseudonym: pseudonym(&key, &ids[0]),
            });
        }
    }
    let registry_context: KeyContext<'_> = optout_registry_context();
    let registry_key = master.derive(&registry_context);
    let optout_registry = people
        .iter()
        .map(|forms| RegistryVector {
            hkdf_info_hex: hex(&registry_context.info()),
            written_forms: forms.iter().map(|s| s.to_string()).collect(),
            hmac_sha256_hex: hex(&registry_hash(
                &registry_key,
                &PersonId::parse(forms[0], reference).unwrap_or_else(|e| panic!("{e}")),
            )),
        })
        .collect();
    Vectors {
        description:
            "hdab pseudonym scheme v1. key = HKDF-SHA-256(salt, master key, info, 32 bytes); \
            pseudonym = lower-case RFC 4648 base32 (no padding) of the first 20 bytes of \
            HMAC-SHA-256(key, canonical 12-digit id as ASCII). info = for each field of \
            (\"hdab\", scheme version, purpose, scope, identifier type, key version): \
            4-byte big-endian length then UTF-8 bytes. The 10-digit forms are read with the \
            reference date. The identifiers are test numbers, not real people."
                .into(),
        master_key_hex: hex(&key_bytes),
        hkdf_salt: "hdab/hkdf-salt/v1".into(),
        reference_date: reference,
        pseudonyms,
        optout_registry,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn published_test_vectors_match_the_implementation() {
    let computed = compute();
    if std::env::var_os("UPDATE_TEST_VECTORS").is_some() {
        let json = serde_json::to_string_pretty(&computed).unwrap_or_default();
        std::fs::write(path(), json + "\n").unwrap_or_else(|e| panic!("{e}"));
    }
    let text =
        std::fs::read_to_string(path()).unwrap_or_else(|e| panic!("{}: {e}", path().display()));
    let published: Vectors = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(published, computed);
}

#[test]
fn vectors_pin_the_scheme_independently_of_this_code() {
    // One vector checked against a value computed outside hdab (Python's hmac and hashlib,
    // see pipelines/test-vectors/README.md), so a change to the scheme cannot go unnoticed
    // by regenerating the file.
    let text = std::fs::read_to_string(path()).unwrap_or_default();
    let published: Vectors = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let first = &published.pseudonyms[0];
    assert_eq!(first.permit_id, "P-2026-0001");
    assert_eq!(
        first.pseudonym,
        include_str!("../../../pipelines/test-vectors/first-pseudonym.txt").trim()
    );
}
