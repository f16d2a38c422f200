//! People are told what happened: each listed event sends exactly one e-mail to each
//! recipient who wants one (to a real SMTP server on loopback, PyPI's aiosmtpd, read back
//! with Python's own e-mail parser), worded in the recipient's language, and exactly one
//! POST to each webhook, signed with HMAC-SHA-256 of the body (checked here with ring) —
//! a receiver that fails three times still gets it, and in order per case. Every attempt is
//! in the administrator's log.
//!
//! Needs a Python with aiosmtpd: `HDAB_TEST_PYTHON` (CI sets it to its virtual
//! environment, where tests/python/requirements.txt installs aiosmtpd); without it the test
//! says so and passes nothing off as tested, unless `HDAB_NOTIFY_TESTS=1` requires it.

use crate::support::{Hdab, repo};
use chrono::{Duration, Utc};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python() -> Option<String> {
    let python = std::env::var("HDAB_TEST_PYTHON").ok().filter(|p| {
        Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success())
    });
    if python.is_none() {
        let required = std::env::var("HDAB_NOTIFY_TESTS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "HDAB_NOTIFY_TESTS=1 but HDAB_TEST_PYTHON names no Python with aiosmtpd"
        );
        eprintln!("skipped: no Python with aiosmtpd (set HDAB_TEST_PYTHON; .ci/run does)");
    }
    python
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// aiosmtpd on `port`, writing every message into the Maildir `dir`.
fn smtp_sink(python: &str, port: u16, dir: &std::path::Path) -> Killed {
    // Killed (and waited for) when the test ends, however it ends.
    let sink = Killed(
        Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting aiosmtpd: {e}")),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return sink;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("aiosmtpd did not listen");
}

/// What the webhook receiver saw.
#[derive(Default)]
struct Received {
    /// Requests answered 500 so far (the first three are).
    refused: usize,
    /// (event id, type, object) of every request answered 200, in order.
    accepted: Vec<(String, String, String)>,
    /// Requests whose signature did not verify.
    forged: usize,
}

/// A webhook receiver on loopback that refuses the first three requests, then accepts,
/// checking each signature with the secret (set once hdab has handed it out).
fn receiver(secret: Arc<Mutex<String>>) -> (u16, Arc<Mutex<Received>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let seen = Arc::new(Mutex::new(Received::default()));
    let state = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut headers = HashMap::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let len: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; len];
            let _ = reader.read_exact(&mut body);
            let secret = secret.lock().map(|s| s.clone()).unwrap_or_default();
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
            let expected = format!("sha256={}", hex(ring::hmac::sign(&key, &body).as_ref()));
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            if headers.get("x-hdab-signature") != Some(&expected) {
                s.forged += 1;
            }
            let status = if s.refused < 3 {
                s.refused += 1;
                "500 Internal Server Error"
            } else {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                s.accepted.push((
                    v["id"].as_str().unwrap_or_default().to_string(),
                    v["type"].as_str().unwrap_or_default().to_string(),
                    v["object"].as_str().unwrap_or_default().to_string(),
                ));
                "200 OK"
            };
            drop(s);
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (port, seen)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `hdab` with the mail server set (and any further variables).
fn hdab_env(hdab: &Hdab, smtp: u16, user: &str, args: &[&str]) -> String {
    let out = hdab
        .command()
        .env("HDAB_SMTP_URL", format!("smtp://127.0.0.1:{smtp}"))
        .env("HDAB_MAIL_FROM", "Hälsodataorganet <noreply@hdab.example>")
        .env("HDAB_PUBLIC_URL", "https://hdab.example")
        .args(["--as", user])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "hdab {args:?}: {stderr}");
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn each_event_sends_one_mail_in_the_recipients_language_and_one_signed_webhook_in_order() {
    let Some(python) = python() else {
        return;
    };
    let hdab = Hdab::demo();
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let maildir = tmp.path().join("mail");
    let smtp = free_port();
    let _sink = smtp_sink(&python, smtp, &maildir);
    let run = |user: &str, args: &[&str]| hdab_env(&hdab, smtp, user, args);
    let send_at = |minutes: i64| {
        let at = (Utc::now() + Duration::minutes(minutes)).to_rfc3339();
        run("admin", &["notify", "send", "--now", &at])
    };

    // Who is told in which language.
    let people = [
        ("anna", "anna@ki.example", "sv"),
        ("olle", "olle@socialstyrelsen.example", "en"),
        ("sara", "sara@socialstyrelsen.example", "sv"),
        ("stig", "stig@scb.example", "en"),
    ];
    for (id, email, lang) in people {
        run(
            "admin",
            &[
                "users",
                "set",
                "--id",
                id,
                "--email",
                email,
                "--language",
                lang,
            ],
        );
    }
    // The receiver, given the secret hdab hands out once.
    let secret = Arc::new(Mutex::new(String::new()));
    let (port, seen) = receiver(secret.clone());
    let added = run(
        "admin",
        &[
            "webhook",
            "add",
            "--url",
            &format!("http://127.0.0.1:{port}/hook"),
        ],
    );
    let handed_out = added.lines().nth(1).unwrap_or_default().to_string();
    assert_eq!(handed_out.len(), 64, "{added}");
    *secret.lock().unwrap_or_else(|e| e.into_inner()) = handed_out;

    // A: received, and the first POST of it refused three times while later ones wait.
    let application = repo().join("pipelines/demo-application.toml");
    let a = run(
        "anna",
        &["apply", "create", application.to_str().unwrap_or_default()],
    )
    .trim()
    .to_string();
    run("anna", &["apply", "submit", &a]);
    send_at(0);
    run("olle", &["case", "take", &a]);
    run(
        "olle",
        &["case", "return", &a, "--reason", "describe the safeguards"],
    );
    send_at(2);
    send_at(5);
    run("anna", &["apply", "submit", &a]);
    run("olle", &["case", "take", &a]);
    run("dora", &["case", "approve", &a, "--reason", "as asked"]);
    // B: open long enough for the delay notice, then near its deadline.
    let b = run(
        "anna",
        &["apply", "create", application.to_str().unwrap_or_default()],
    )
    .trim()
    .to_string();
    run("anna", &["apply", "submit", &b]);
    run("olle", &["case", "take", &b]);
    // An output released.
    let table = tmp.path().join("by_county.csv");
    std::fs::write(
        &table,
        "county,women,men\nStockholm,120,30\nUppsala,45,52\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let submitted = run(
        "anna",
        &[
            "output",
            "submit",
            "P-2026-0001",
            table.to_str().unwrap_or_default(),
            "--description",
            "Admissions by county",
        ],
    );
    let output = submitted
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    run("cia", &["output", "review", &output, "--approve"]);
    run("ture", &["output", "review", &output, "--approve"]);
    run("ture", &["output", "release", &output]);
    // What time brings: the delay notice (75 of B's 90 days), the officer's reminder (14
    // days left), the yearly confirmations due (in 30 days) and overdue.
    for days in [76, 80, 80, 340, 380] {
        let at = (Utc::now() + Duration::days(days)).to_rfc3339();
        run("admin", &["notify", "sweep", "--now", &at]);
    }
    // Send until everything is out (the back-off grows to an hour; at most 12 hours), the
    // clock past the last sweep.
    for minutes in [10, 30, 60, 120, 180, 240, 300] {
        send_at(381 * 24 * 60 + minutes);
    }

    let log: serde_json::Value = serde_json::from_str(&run(
        "admin",
        &["notify", "log", "--limit", "1000", "--json"],
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let log = log.as_array().cloned().unwrap_or_default();
    let kinds: Vec<&str> = log
        .iter()
        .filter_map(|v| v["notification"]["kind"].as_str())
        .collect();
    for kind in [
        "application.received",
        "application.returned",
        "application.decided",
        "case.delayed",
        "case.deadline_near",
        "description.confirmation_due",
        "description.confirmation_overdue",
        "output.released",
    ] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    // Nothing is left unsent (the demo's own notices, raised before anyone had an e-mail
    // address, were skipped: visibly).
    for v in &log {
        let n = &v["notification"];
        let ok = n["status"] == "sent" || (n["status"] == "skipped" && n["channel"] == "email");
        assert!(ok, "{n}");
    }

    // Mail: exactly one per e-mail notification, to its recipient, in their language.
    let out = Command::new(&python)
        .arg(repo().join("tests/python/read_maildir.py"))
        .arg(&maildir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let mails: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_default())
        .collect();
    let emails: Vec<&serde_json::Value> = log
        .iter()
        .map(|v| &v["notification"])
        .filter(|n| n["channel"] == "email" && n["status"] == "sent")
        .collect();
    assert_eq!(
        mails.len(),
        emails.len(),
        "one mail per e-mail notification sent"
    );
    for n in &emails {
        let id = n["id"].as_str().unwrap_or_default();
        let matching: Vec<_> = mails
            .iter()
            .filter(|m| m["message_id"].as_str().is_some_and(|x| x.contains(id)))
            .collect();
        assert_eq!(matching.len(), 1, "{n}");
        let mail = matching[0];
        let (_, email, lang) = people
            .iter()
            .find(|(u, _, _)| *u == n["target"].as_str().unwrap_or_default())
            .unwrap_or_else(|| panic!("mail to an unexpected user: {n}"));
        assert!(
            mail["to"].as_str().unwrap_or_default().contains(email),
            "{mail}"
        );
        assert_eq!(mail["language"], *lang, "{mail}");
        let subject = mail["subject"].as_str().unwrap_or_default();
        if n["kind"] == "application.received" {
            let expected = if *lang == "sv" {
                "Ansökan mottagen"
            } else {
                "Application received"
            };
            assert!(subject.contains(expected), "{subject}");
            assert!(
                subject.contains("2026/"),
                "the registration number: {subject}"
            );
        }
        if n["kind"] == "case.delayed" {
            assert!(
                mail["body"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("förvaltningslagen"),
                "{mail}"
            );
        }
    }

    // Webhooks: every event once, signed, in order per object, after three refusals.
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(seen.refused, 3);
    assert_eq!(seen.forged, 0, "every POST carried a valid signature");
    let hooks: Vec<&serde_json::Value> = log
        .iter()
        .map(|v| &v["notification"])
        .filter(|n| n["channel"] == "webhook")
        .collect();
    assert_eq!(
        seen.accepted.len(),
        hooks.len(),
        "one accepted POST per event"
    );
    let mut ids: Vec<&str> = seen.accepted.iter().map(|(id, _, _)| id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), seen.accepted.len(), "no event twice");
    // In order per object: the accepted events of A are in the order raised.
    let order: Vec<i64> = seen
        .accepted
        .iter()
        .filter(|(_, _, object)| *object == a)
        .map(|(id, _, _)| {
            hooks
                .iter()
                .find(|n| n["event_id"] == *id)
                .and_then(|n| n["event_seq"].as_i64())
                .unwrap_or(-1)
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "A's events arrived in the order raised");
    assert_eq!(
        order.len(),
        4,
        "received, returned, received again, decided"
    );
    // The administrator sees the three failed attempts before the one that got through.
    let first = log
        .iter()
        .find(|v| {
            v["notification"]["channel"] == "webhook"
                && v["notification"]["object_id"] == a.as_str()
                && v["attempts"].as_array().is_some_and(|a| a.len() == 4)
        })
        .unwrap_or_else(|| panic!("no webhook of {a} with four attempts"));
    let outcomes: Vec<&str> = first["attempts"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["outcome"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(outcomes, ["failed", "failed", "failed", "sent"]);
}
