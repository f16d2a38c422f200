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

/// After the demo nothing in the installation is readable, writable or searchable by other
/// accounts on the machine: uploads (personnummer in clear), database, staging, deliveries,
/// witness and keys are the service account's alone (`find DATA_DIR -perm -o=r` finds
/// nothing), whatever umask the command was started with.
#[test]
fn nothing_in_the_installation_is_open_to_other_accounts() {
    use std::os::unix::fs::PermissionsExt;
    let hdab = Hdab::demo();
    // One more command, started with the most permissive umask a shell may give.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 000 && exec \"{}\" --as sara catalog confirm dodsorsak",
            env!("CARGO_BIN_EXE_hdab")
        ))
        .env("HDAB_DATA_DIR", hdab.dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut open = Vec::new();
    let mut seen = 0;
    let mut stack = vec![hdab.dir().to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        seen += 1;
        if meta.permissions().mode() & 0o007 != 0 {
            open.push(format!(
                "{} {:o}",
                path.display(),
                meta.permissions().mode() & 0o777
            ));
        }
        if meta.is_dir() {
            stack.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .flatten()
                    .map(|e| e.path()),
            );
        }
    }
    assert!(seen > 20, "the demo wrote {seen} entries");
    assert!(
        open.is_empty(),
        "open to other accounts:\n{}",
        open.join("\n")
    );
}

#[test]
fn extract_timings_say_where_the_time_went() {
    let hdab = Hdab::demo();
    let again = hdab.ok_as("olle", &["extract", "P-2026-0001", "--timings"]);
    assert!(
        again.contains("slutenvard: unchanged inputs, nothing ran"),
        "{again}"
    );
    std::fs::remove_dir_all(hdab.spe().join("P-2026-0001").join("slutenvard")).unwrap();
    let out = hdab.ok_as("olle", &["extract", "P-2026-0001", "--timings"]);
    let line = out
        .lines()
        .find(|l| l.starts_with("slutenvard: read"))
        .unwrap_or_else(|| panic!("{out}"));
    let seconds: Vec<f64> = line.split(' ').filter_map(|w| w.parse().ok()).collect();
    assert_eq!(seconds.len(), 6, "{line}");
    assert!(
        seconds.iter().all(|s| *s >= 0.0) && seconds.iter().sum::<f64>() > 0.0,
        "{line}"
    );
}
