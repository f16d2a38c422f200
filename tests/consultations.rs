//! Consultations: an officer asks for opinions before deciding; the answers land in the case;
//! the deadline runs on; the case is not decided while one is open, unless it is closed with
//! a reason.

use crate::support::{Hdab, repo};

fn due_line(hdab: &Hdab, id: &str) -> String {
    let shown = hdab.ok_as("olle", &["apply", "show", id]);
    shown
        .lines()
        .find(|l| l.contains("decision due"))
        .unwrap_or_else(|| panic!("{shown}"))
        .to_string()
}

#[test]
fn an_open_consultation_holds_the_decision_but_not_the_deadline() {
    let hdab = Hdab::demo();
    let id = hdab.apply_and_take("anna", &repo().join("pipelines/demo-application.toml"));
    let deadline = due_line(&hdab, &id);
    let due = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();

    // Only an officer asks; a question needs words and a date not yet passed.
    hdab.fails_as(
        "anna",
        &[
            "consult",
            "ask",
            &id,
            "--kind",
            "ethics",
            "--to",
            "EPM",
            "--question",
            "q",
            "--due",
            &due,
        ],
    );
    hdab.fails_as(
        "olle",
        &[
            "consult",
            "ask",
            &id,
            "--kind",
            "ethics",
            "--to",
            "EPM",
            "--question",
            "q",
            "--due",
            "2020-01-01",
        ],
    );
    let ethics = hdab
        .ok_as(
            "olle",
            &[
                "consult",
                "ask",
                &id,
                "--kind",
                "ethics",
                "--to",
                "Etikprövningsmyndigheten",
                "--question",
                "Does the approval cover the linkage?",
                "--due",
                &due,
            ],
        )
        .trim()
        .to_string();
    let holder = hdab
        .ok_as(
            "olle",
            &[
                "consult",
                "ask",
                &id,
                "--kind",
                "data_holder",
                "--to",
                "socialstyrelsen",
                "--question",
                "Can LAN be delivered at county level?",
                "--due",
                &due,
            ],
        )
        .trim()
        .to_string();
    // The deadline clock is not paused by consultations.
    assert_eq!(due_line(&hdab, &id), deadline);

    // No decision either way while they are open; the refusal names them.
    for command in ["approve", "reject"] {
        let err = hdab.fails_as("dora", &["case", command, &id, "--reason", "x"]);
        assert!(err.contains(&ethics) && err.contains(&holder), "{err}");
    }

    // The holder asked answers itself; it cannot answer the ethics question.
    hdab.fails_as("sara", &["consult", "answer", &ethics, "--answer", "yes"]);
    hdab.ok_as(
        "sara",
        &[
            "consult",
            "answer",
            &holder,
            "--answer",
            "Yes, LAN is kept at county level.",
        ],
    );
    hdab.fails_as("sara", &["consult", "answer", &holder, "--answer", "again"]);
    let err = hdab.fails_as("dora", &["case", "approve", &id, "--reason", "x"]);
    assert!(err.contains(&ethics) && !err.contains(&holder), "{err}");

    // Closing needs a reason and an officer.
    hdab.fails_as(
        "sara",
        &["consult", "close", &ethics, "--reason", "no answer"],
    );
    hdab.fails_as("olle", &["consult", "close", &ethics, "--reason", " "]);
    hdab.ok_as(
        "olle",
        &[
            "consult",
            "close",
            &ethics,
            "--reason",
            "No answer within the deadline; the approval's scope is clear.",
        ],
    );
    let listed = hdab.ok_as("anna", &["consult", "list", &id]);
    assert!(listed.contains("answered: Yes, LAN is kept"), "{listed}");
    assert!(
        listed.contains("closed: No answer within the deadline"),
        "{listed}"
    );
    hdab.ok_as("dora", &["case", "approve", &id, "--reason", "as asked"]);
    // Outsiders learn nothing of the case's consultations.
    hdab.fails_as("stig", &["consult", "list", &id]);
    hdab.ok(&["audit", "verify"]);
}
