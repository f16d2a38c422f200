//! The command line as a shell user meets it: pipes, and who may read what.

use crate::support::Hdab;
use std::process::Stdio;

#[test]
fn output_into_a_closed_pipe_ends_quietly_and_successfully() {
    let hdab = Hdab::demo();
    // `hdab audit show | head -0`: the reader is gone before hdab writes its first line.
    let mut child = hdab
        .command()
        .args(["--as", "admin", "audit", "show"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting hdab");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("waiting for hdab");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn reading_the_audit_log_needs_an_admin_and_is_itself_audited() {
    let hdab = Hdab::demo();
    let err = hdab.fails_as("anna", &["audit", "show"]);
    assert!(
        err.contains("reading the audit log needs the role admin"),
        "{err}"
    );
    hdab.ok_as("admin", &["audit", "show"]);
    let log = hdab.ok_as("admin", &["audit", "show"]);
    assert!(
        log.contains("audit.show"),
        "the first reading is in the log:\n{log}"
    );
    assert!(
        log.contains("refused"),
        "the refused reading is in the log too"
    );
}

#[test]
fn a_partition_count_out_of_range_is_refused_with_what_to_give() {
    let hdab = Hdab::demo();
    let out = hdab
        .command()
        .env("HDAB_PARTITIONS", "0")
        .args(["--as", "olle", "extract", "P-2026-0001"])
        .output()
        .expect("running hdab");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("HDAB_PARTITIONS=0: give a whole number from 1 to 64"),
        "{stderr}"
    );
}
