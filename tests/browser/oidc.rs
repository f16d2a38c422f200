//! Sign-in through a real OpenID Connect provider (npm's `oidc-provider`, on loopback, from
//! `tests/oidc`), in Chromium: a case officer who signs in with a password alone is refused
//! (the role needs a multi-factor sign-in) and let in after signing in again with a second
//! factor; logging out ends the session at hdab and at the provider; an applicant gets in
//! with a password alone. The audit log says how each sign-in was made.

use super::harness::{Browser, Killed, driver_or_skip, free_port, hdab, repo};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const MFA: &str = "urn:hdab:test:loa3";

/// The provider on `port`, for hdab at `hdab_url`; `None` when it is not installed and the
/// browser tests are not required.
fn provider(port: u16, hdab_url: &str) -> Option<Killed> {
    let dir = repo().join("tests/oidc");
    if !dir.join("node_modules/oidc-provider").exists() {
        let required = std::env::var("HDAB_BROWSER_TESTS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "HDAB_BROWSER_TESTS=1 but oidc-provider is missing: run `npm ci --prefix tests/oidc`"
        );
        eprintln!("skipped: oidc-provider not installed (npm ci --prefix tests/oidc)");
        return None;
    }
    let mut child = Command::new("node")
        .current_dir(&dir)
        .arg("provider.mjs")
        .arg(port.to_string())
        .arg(hdab_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting the identity provider with node: {e}"));
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    assert!(line.starts_with("issuer "), "the provider said: {line:?}");
    Some(Killed::new(child))
}

/// `hdab serve` on `port`, signing in through the provider at `issuer`.
fn serve_with_provider(dir: &Path, port: u16, issuer: &str) -> Killed {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hdab"))
        .env("HDAB_DATA_DIR", dir)
        .env("HDAB_OIDC_ISSUER", issuer)
        .env("HDAB_OIDC_CLIENT_ID", "hdab")
        .env("HDAB_OIDC_CLIENT_SECRET", "hdab-test-secret")
        .env("HDAB_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("HDAB_OIDC_MFA_ACR", MFA)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("hdab serve: {e}"));
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    assert!(line.contains("listening"), "hdab serve said: {line:?}");
    Killed::new(child)
}

impl Browser {
    /// Signs in at the provider's page as `account`, with a second factor or not.
    async fn provider_sign_in(&self, account: &str, second_factor: bool) {
        self.type_into("#account", account).await;
        self.el("#method")
            .await
            .select_by_value(if second_factor { "mfa" } else { "password" })
            .await
            .unwrap_or_else(|e| panic!("choosing the method: {e}"));
        self.click("#sign-in").await;
    }
}

fn audit(dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_hdab"))
        .env("HDAB_DATA_DIR", dir)
        .env("HDAB_LANG", "en")
        .args(["--as", "admin", "audit", "show"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_needs_a_second_factor_and_logout_ends_the_provider_session_too() {
    let Some((_driver, driver_url)) = driver_or_skip() else {
        return;
    };
    let (hdab_port, provider_port) = (free_port(), free_port());
    let hdab_url = format!("http://127.0.0.1:{hdab_port}");
    let Some(_provider) = provider(provider_port, &hdab_url) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("hdab");
    hdab(&dir, None, &["keys", "init"], None);
    hdab(
        &dir,
        None,
        &[
            "users",
            "add",
            "--id",
            "admin",
            "--org",
            "socialstyrelsen",
            "--role",
            "admin",
        ],
        None,
    );
    for (id, org, role, subject) in [
        ("olle", "socialstyrelsen", "case_officer", "olle.lind"),
        ("anna", "karolinska-institutet", "applicant", "anna.berg"),
    ] {
        hdab(
            &dir,
            Some("admin"),
            &[
                "users",
                "add",
                "--id",
                id,
                "--org",
                org,
                "--role",
                role,
                "--subject",
                subject,
            ],
            None,
        );
    }
    let _server = serve_with_provider(
        &dir,
        hdab_port,
        &format!("http://127.0.0.1:{provider_port}"),
    );
    let b = Browser::start(&driver_url, hdab_url.clone()).await;

    // The officer (who reads Swedish: the language switch's choice) signs in with a password
    // alone: refused, and offered a stronger sign-in.
    b.go("/language?to=sv&back=/login").await;
    b.click("#oidc-login").await;
    b.provider_sign_in("olle.lind", false).await;
    let refusal = b.text("#problem").await;
    assert!(refusal.contains("flerfaktorsautentisering"), "{refusal}");
    b.el("#nav-login").await;
    b.shot("oidc-01-refused-without-mfa").await;

    // Again with a second factor: the provider asks for it, and hdab lets the officer in.
    b.click("#sign-in-stronger").await;
    assert!(
        b.text("#asked").await.contains(MFA),
        "hdab asked the provider for the strong acr"
    );
    b.provider_sign_in("olle.lind", true).await;
    let who = b.text("#logout").await;
    assert!(who.contains("olle"), "{who}");
    assert!(
        b.c.current_url().await.is_ok_and(|u| u.path() == "/cases"),
        "the officer lands on the case queue"
    );
    b.shot("oidc-02-signed-in-with-mfa").await;
    let log = audit(&dir);
    let logins: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("session.login"))
        .collect();
    assert!(
        logins.iter().any(|l| l.contains("olle")
            && l.contains("refused")
            && l.contains("oidc:urn:hdab:test:loa2")),
        "{logins:#?}"
    );
    assert!(
        logins.iter().any(|l| l.contains("olle")
            && l.contains(" ok ")
            && l.contains(&format!("oidc:{MFA}"))),
        "{logins:#?}"
    );

    // Logging out ends the session here and at the provider.
    b.click("#logout").await;
    b.click("#logout-yes").await;
    b.el("#nav-login").await;
    assert!(
        b.c.current_url()
            .await
            .is_ok_and(|u| u.as_str().starts_with(&hdab_url)),
        "back at hdab after the provider's logout"
    );
    b.go("/cases").await;
    b.el("#user").await; // the login page: the session is gone
    // The provider asks again: its session ended too.
    b.go("/login/oidc").await;
    b.el("#account").await;

    // An applicant needs no second factor.
    b.provider_sign_in("anna.berg", false).await;
    assert!(b.text("#logout").await.contains("anna"));
    b.shot("oidc-03-applicant-signed-in").await;
    let _ = b.c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identity_no_user_is_linked_to_gets_no_session() {
    let Some((_driver, driver_url)) = driver_or_skip() else {
        return;
    };
    let (hdab_port, provider_port) = (free_port(), free_port());
    let hdab_url = format!("http://127.0.0.1:{hdab_port}");
    let Some(_provider) = provider(provider_port, &hdab_url) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("hdab");
    hdab(&dir, None, &["keys", "init"], None);
    hdab(
        &dir,
        None,
        &[
            "users",
            "add",
            "--id",
            "admin",
            "--org",
            "socialstyrelsen",
            "--role",
            "admin",
        ],
        None,
    );
    let _server = serve_with_provider(
        &dir,
        hdab_port,
        &format!("http://127.0.0.1:{provider_port}"),
    );
    let b = Browser::start(&driver_url, hdab_url).await;
    b.go("/login/oidc?lang=en").await;
    b.provider_sign_in("mallory", true).await;
    let refusal = b.text("#problem").await;
    assert!(refusal.contains("not linked"), "{refusal}");
    b.el("#nav-login").await;
    let _ = b.c.close().await;
}
