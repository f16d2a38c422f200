//! hdab's own SPE on this host (issue 22): `hdab spe sync` gives the demo permit's workspace
//! to a group holding exactly its SPE users' accounts; each account is then tried for real
//! (`su`), after an amendment and after the revocation. The design is gateway-only: the
//! permit's account reads the data through the gateway (`hdab spe query`, run as that
//! account) and uses the workspace's `work/` folder, but reads no delivered file directly;
//! another account can do none of it. Needs root (CI runs as root and
//! sets HDAB_FAULT_TESTS=1, which makes this test required); the accounts and groups it
//! makes carry a prefix of their own and are deleted at the end.

use crate::support::{Hdab, gateway};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const PERMIT: &str = "P-2026-0001";

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Deletes every account and group with the prefix, however the test ends.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for (file, tool) in [("/etc/passwd", "userdel"), ("/etc/group", "groupdel")] {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            for name in text.lines().filter_map(|l| l.split(':').next()) {
                if name.starts_with(&self.0) {
                    let _ = Command::new(tool).arg(name).output();
                }
            }
        }
    }
}

/// Can `account` read `file`? Tried as that account.
fn reads(account: &str, file: &Path) -> bool {
    Command::new("su")
        .args(["-s", "/bin/sh", account, "-c"])
        .arg(format!("cat '{}' > /dev/null", file.display()))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Can `account` create a file in `dir`?
fn writes(account: &str, dir: &Path) -> bool {
    Command::new("su")
        .args(["-s", "/bin/sh", account, "-c"])
        .arg(format!("umask 077; touch '{}/by-{account}'", dir.display()))
        .output()
        .is_ok_and(|o| o.status.success())
}

const PASSWORD: &str = "ett lösenord för värden";

/// The count of slutenvard rows `account` gets through the gateway, signed in as hdab user
/// `user` (`hdab spe query` run as that account), or `None` if refused.
fn queries(account: &str, bin: &Path, addr: &str, user: &str) -> Option<String> {
    let out = Command::new("su")
        .args(["-s", "/bin/sh", account, "-c"])
        .arg(format!(
            "printf '%s\\n' '{PASSWORD}' | '{}' spe query --gateway {addr} --user {user} --permit {PERMIT} 'SELECT count(*) AS n FROM slutenvard'",
            bin.display()
        ))
        .output()
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap_or("")
            .to_string()
    })
}

fn a_delivered_file(hdab: &Hdab) -> PathBuf {
    let dir = hdab.spe().join(PERMIT).join("slutenvard");
    std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap()
}

#[test]
fn only_the_permits_accounts_read_its_workspace_and_none_after_amendment_or_revocation() {
    let required = std::env::var("HDAB_FAULT_TESTS").is_ok_and(|v| v == "1");
    if !is_root() {
        assert!(
            !required,
            "HDAB_FAULT_TESTS=1 but the tests do not run as root"
        );
        eprintln!("skipped: making host accounts needs root (CI runs it)");
        return;
    }
    let prefix = format!("h{}-", std::process::id() % 100_000);
    let _cleanup = Cleanup(prefix.clone());
    let hdab = Hdab::demo();
    // The test's own temporary folder is private; let accounts pass, as /srv would.
    let mut up = hdab.dir().parent();
    while let Some(p) =
        up.filter(|p| p.starts_with(std::env::temp_dir()) && *p != std::env::temp_dir())
    {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o711)).unwrap();
        up = p.parent();
    }
    let env = [("HDAB_SPE_ACCOUNTS", prefix.as_str())];
    let sync = |who: &str| hdab.ok_with(&env, &["--as", who, "spe", "sync"]);

    for id in ["anna", "olle"] {
        hdab.set_password(id, PASSWORD);
    }
    let first = sync("admin");
    let (anna, olle) = (format!("{prefix}anna"), format!("{prefix}olle"));
    assert!(
        first.contains(&format!("account {anna} created")),
        "{first}"
    );
    assert!(first.contains(&format!("workspace {PERMIT}")), "{first}");
    assert!(
        sync("admin").contains("nothing changed"),
        "spe sync is idempotent"
    );
    let file = a_delivered_file(&hdab);
    let work = hdab.spe().join(PERMIT).join("work");
    // The binary where the accounts may run it, and a gateway run by the service account.
    let bin = hdab.dir().parent().unwrap().join("hdab-bin");
    std::fs::copy(env!("CARGO_BIN_EXE_hdab"), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let g = gateway(&hdab, &env, &[]);
    let rows = crate::support::delivered_rows(file.parent().unwrap()).len();
    assert_eq!(
        queries(&anna, &bin, &g.1, "anna"),
        Some(rows.to_string()),
        "the permit's SPE user reads its data through the gateway"
    );
    assert!(
        !reads(&anna, &file),
        "no delivered file is read around the gateway"
    );
    assert!(writes(&anna, &work), "the permit's SPE user works in work/");
    Command::new("useradd")
        .args(["--no-create-home", &format!("{prefix}other")])
        .output()
        .unwrap();
    let other = format!("{prefix}other");
    assert!(!reads(&other, &file), "another account reads nothing");
    assert!(!writes(&other, &work), "another account cannot enter work/");
    assert_eq!(queries(&other, &bin, &g.1, "other"), None);
    assert_eq!(
        queries(&other, &bin, &g.1, "olle"),
        None,
        "olle is not named in the permit yet"
    );
    let other_permit = hdab.spe().join("P-2026-0002");
    assert!(other_permit.exists());
    let err = hdab.fails_as("olle", &["spe", "sync"]);
    assert!(err.contains("admin"), "{err}");

    // Amended: olle in, anna out; hdab brings the host in line by itself.
    hdab.amend(&env, PERMIT, &["olle"], &["anna"]);
    assert!(
        !writes(&anna, &work),
        "a removed user's account no longer enters"
    );
    assert_eq!(
        queries(&anna, &bin, &g.1, "anna"),
        None,
        "nor reads through the gateway"
    );
    assert!(writes(&olle, &work), "the added user's account enters");
    assert_eq!(queries(&olle, &bin, &g.1, "olle"), Some(rows.to_string()));
    assert!(!reads(&olle, &file), "and reads only through the gateway");

    // Revoked: nobody.
    hdab.ok_with(
        &env,
        &[
            "--as", "dora", "permit", "revoke", PERMIT, "--reason", "ended",
        ],
    );
    let withdrawn = hdab.dir().join("withdrawn").join(PERMIT).join("slutenvard");
    let kept = std::fs::read_dir(&withdrawn)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    assert!(
        !reads(&olle, &kept) && !reads(&olle, &file),
        "after revocation no account reads"
    );
    assert_eq!(queries(&olle, &bin, &g.1, "olle"), None);
    assert!(sync("admin").contains("nothing changed"));
    assert!(hdab.ok_as("admin", &["audit", "show"]).contains("spe.sync"));
    // Nothing in the installation is readable by others, accounts or not.
    let out = Command::new("find")
        .arg(hdab.dir())
        .args(["-perm", "-o=r"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "",
        "world-readable files"
    );
}
