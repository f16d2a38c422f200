//! Erasure on time (EHDS Art. 68(12)), with the clock given to `spe sweep --as-of`: a
//! revoked permit's workspace leaves the SPE at once and is erased after the grace period;
//! an expired permit's is erased six months after its end, not before; each erasure is in
//! the audit log with every file's checksum, and the log still verifies.

use crate::support::{self, Hdab};
use chrono::{Duration, NaiveDate, Utc};
use sha2::{Digest, Sha256};

const PERMIT: &str = "P-2026-0001";

fn sweep(hdab: &Hdab, as_of: NaiveDate) -> String {
    hdab.ok_as("admin", &["spe", "sweep", "--as-of", &as_of.to_string()])
}

#[test]
fn revoked_and_expired_permits_data_is_erased_on_time_and_recorded() {
    let hdab = Hdab::demo();
    let today = Utc::now().date_naive();
    let workspace = hdab.spe().join(PERMIT);
    let part = workspace.join("lakemedel/part-00000.parquet");
    let checksum = hex::encode(Sha256::digest(std::fs::read(&part).unwrap()));

    // Only an administrator sweeps.
    let err = hdab.fails_as("olle", &["spe", "sweep"]);
    assert!(err.contains("admin"), "{err}");

    // A second permit, valid three months, is extracted; it will expire.
    let application = support::repo().join("pipelines/demo-application.toml");
    let id = hdab.apply_and_take("anna", &application);
    let out = hdab.ok_as(
        "dora",
        &[
            "case",
            "approve",
            &id,
            "--reason",
            "Short study.",
            "--valid-months",
            "3",
        ],
    );
    let second = support::permit_in(&out);
    hdab.fulfil_orders(&second, &[]);
    hdab.ok_as("olle", &["extract", &second]);
    let end = hdab.valid_until(&second);

    // Revocation: out of the SPE at once, kept out of reach, erased after 30 days.
    hdab.ok_as(
        "dora",
        &[
            "permit",
            "revoke",
            PERMIT,
            "--reason",
            "Breach of the permit's conditions.",
        ],
    );
    assert!(
        !workspace.exists(),
        "the revoked workspace is still in the SPE"
    );
    let withdrawn = hdab.dir().join("withdrawn").join(PERMIT);
    assert!(withdrawn.join("lakemedel/part-00000.parquet").exists());
    let out = sweep(&hdab, today + Duration::days(29));
    assert!(out.contains("nothing is due"), "{out}");
    assert!(withdrawn.exists());
    let out = sweep(&hdab, today + Duration::days(31));
    assert!(out.contains(&format!("{PERMIT}: revoked")), "{out}");
    assert!(
        !withdrawn.exists(),
        "the revoked permit's data is still on disk"
    );
    let log = hdab.ok_as("admin", &["audit", "show"]);
    let entry = log
        .lines()
        .find(|l| l.contains("spe.erase") && l.contains(PERMIT))
        .unwrap_or_else(|| panic!("no erasure entry:\n{log}"));
    assert!(
        entry.contains(&format!("{PERMIT}/lakemedel/part-00000.parquet"))
            && entry.contains(&checksum),
        "the entry names each file with its checksum: {entry}"
    );

    // Expiry: the workspace stays through the permit's end and five months after…
    let second_workspace = hdab.spe().join(&second);
    assert!(second_workspace.exists());
    sweep(
        &hdab,
        end.checked_add_months(chrono::Months::new(5)).unwrap(),
    );
    assert!(
        second_workspace.exists(),
        "erased before six months had passed"
    );
    // …and is gone six months after it.
    let out = sweep(
        &hdab,
        end.checked_add_months(chrono::Months::new(6)).unwrap() + Duration::days(2),
    );
    assert!(out.contains(&format!("{second}: expired")), "{out}");
    assert!(!second_workspace.exists());
    // Sweeping again finds nothing; the audit log verifies.
    let out = sweep(&hdab, end + Duration::days(400));
    assert!(out.contains("nothing is due"), "{out}");
    hdab.ok_as("admin", &["audit", "verify"]);
}
