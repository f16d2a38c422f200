//! Who runs a command on the command line. On the embedded default `--as` is taken on trust
//! (and logged as asserted); outside it (PostgreSQL, or `HDAB_CLI_IDENTITY=verified`) a
//! command acts as the operating-system account mapped to a user or with the user's API
//! token, `--as` alone is refused with a message saying how, and every audit entry names
//! how the caller was identified.

use crate::support::Hdab;

/// An application by anna, submitted and taken by olle: ready for a decision.
fn case_to_decide(hdab: &Hdab) -> String {
    let file = crate::support::repo().join("pipelines/demo-application.toml");
    let id = hdab
        .ok_as(
            "anna",
            &["apply", "create", file.to_str().unwrap_or_default()],
        )
        .trim()
        .to_string();
    hdab.ok_as("anna", &["apply", "submit", &id]);
    hdab.ok_as("olle", &["case", "take", &id]);
    id
}

/// `hdab` outside the embedded default: identity verified.
fn verified(hdab: &Hdab, token: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let mut cmd = hdab.command();
    cmd.env("HDAB_CLI_IDENTITY", "verified");
    if let Some(t) = token {
        cmd.env("HDAB_TOKEN", t);
    }
    let out = cmd.args(args).output().unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        stderr,
    )
}

/// The audit entry of `action` on `object`: its whole line.
fn entry(hdab: &Hdab, action: &str, object: &str) -> String {
    hdab.ok_as("admin", &["audit", "show"])
        .lines()
        .rfind(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words.contains(&action) && words.contains(&object)
        })
        .unwrap_or_else(|| panic!("no {action} entry for {object}"))
        .to_string()
}

fn os_account() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn outside_the_embedded_default_as_alone_is_refused_and_a_token_or_the_mapped_account_works() {
    let hdab = Hdab::demo();
    let first = case_to_decide(&hdab);
    let second = case_to_decide(&hdab);
    // The embedded default takes --as on trust and says so.
    assert!(
        entry(&hdab, "case.submit", &first).contains("asserted"),
        "{}",
        entry(&hdab, "case.submit", &first)
    );

    // Outside it, --as alone is refused, saying how to identify.
    let (ok, _, err) = verified(
        &hdab,
        None,
        &[
            "--as", "dora", "case", "approve", &first, "--reason", "as asked",
        ],
    );
    assert!(!ok, "--as alone approved a case");
    assert!(
        err.contains("not accepted on this installation") && err.contains("HDAB_TOKEN"),
        "{err}"
    );
    assert!(
        hdab.ok_as("anna", &["apply", "show", &first])
            .contains("under"),
        "the refused approval changed nothing"
    );

    // With dora's API token it works, and the log says so.
    let token = hdab
        .ok_as("dora", &["users", "token", "--label", "dora's terminal"])
        .trim()
        .to_string();
    let (ok, _, err) = verified(
        &hdab,
        Some(&token),
        &["case", "approve", &first, "--reason", "as asked"],
    );
    assert!(ok, "{err}");
    let approved = entry(&hdab, "case.approve", &first);
    assert!(
        approved.contains("dora") && approved.contains("api-token"),
        "{approved}"
    );
    // A token and an --as naming someone else do not agree: refused.
    let (ok, _, err) = verified(&hdab, Some(&token), &["--as", "olle", "case", "queue"]);
    assert!(
        !ok && err.contains("--as olle is not who runs this command"),
        "{err}"
    );

    // As the operating-system account an administrator mapped to dora, it works too.
    let me = os_account();
    hdab.ok_as("admin", &["users", "set", "--id", "dora", "--os-user", &me]);
    assert!(
        hdab.ok_as("dora", &["users", "show", "--id", "dora"])
            .contains(&me)
    );
    let (ok, _, err) = verified(
        &hdab,
        None,
        &["case", "approve", &second, "--reason", "as asked"],
    );
    assert!(ok, "{err}");
    let approved = entry(&hdab, "case.approve", &second);
    assert!(
        approved.contains("dora") && approved.contains(&format!("os-account:{me}")),
        "{approved}"
    );
    // --as naming the mapped user is fine; naming another is refused.
    let (ok, _, err) = verified(&hdab, None, &["--as", "dora", "case", "queue"]);
    assert!(ok, "{err}");
    let (ok, _, err) = verified(&hdab, None, &["--as", "anna", "apply", "show", &first]);
    assert!(!ok && err.contains("not who runs this command"), "{err}");

    // Only an administrator ties an account to a user.
    let (ok, _, err) = hdab.run(
        Some("anna"),
        &["users", "set", "--id", "anna", "--os-user", "someone"],
    );
    assert!(!ok && err.contains("linking users to accounts"), "{err}");
    // One account names one user.
    let (ok, _, err) = hdab.run(
        Some("admin"),
        &["users", "set", "--id", "olle", "--os-user", &me],
    );
    assert!(!ok && err.contains("another user has it"), "{err}");
    // The audit log still verifies with the new entries.
    hdab.ok_as("admin", &["audit", "verify"]);
}
