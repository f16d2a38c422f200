//! Results out of the SPE in the browser, on the demo's pseudonymised permit: the
//! researcher submits files from the permit page and sees each finding with its rule and
//! cell, justifies one; the requester and a permit member are offered no review; one
//! checker's approval does not release; a second checker's does; the release is in the
//! public register without its contents; a revoked permit offers no way out.

use super::harness::{Browser, PASSWORD, driver_or_skip, hdab, repo, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_leave_only_after_two_independent_checkers_by_clicking() {
    let Some((_driver, driver_url)) = driver_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let source = repo();
    let (d, s) = (dir.to_str().unwrap(), source.to_str().unwrap());
    hdab(&dir, None, &["demo", "--dir", d, "--source", s], None);
    let permit = "P-2026-0001";
    hdab(
        &dir,
        Some("admin"),
        &[
            "users",
            "add",
            "--id",
            "bo",
            "--org",
            "socialstyrelsen",
            "--role",
            "applicant",
            "--role",
            "output_checker",
        ],
        None,
    );
    hdab(
        &dir,
        Some("dora"),
        &[
            "permit",
            "amend",
            permit,
            "--reason",
            "colleague",
            "--add-user",
            "bo",
        ],
        None,
    );
    for id in ["anna", "bo", "cia", "ture"] {
        hdab(
            &dir,
            Some("admin"),
            &["users", "password", "--id", id],
            Some(&format!("{PASSWORD}\n")),
        );
    }
    let pseudonym = crate::support::delivered_rows(
        &dir.join("spe").join(permit).join("slutenvard"),
    )[0]["pseudonym"]
        .clone();
    let table = tmp.path().join("by_county.csv");
    std::fs::write(&table, "county,women,men\nStockholm,120,3\nUppsala,45,52\n").unwrap();
    let figure = tmp.path().join("residuals.svg");
    std::fs::write(
        &figure,
        format!("<svg xmlns='http://www.w3.org/2000/svg'><text>{pseudonym}</text></svg>"),
    )
    .unwrap();
    let (_server, base) = serve(&dir);
    let b = Browser::start(&driver_url, base).await;

    // The researcher asks for a table and a figure to leave.
    b.login("anna").await;
    b.go(&format!("/permits/{permit}")).await;
    let files = format!("{}\n{}", table.display(), figure.display());
    b.el("#output-files").await.send_keys(&files).await.unwrap();
    b.type_into(
        "#output-description",
        "Admissions by county and sex; residuals of the model",
    )
    .await;
    b.click("#submit-output").await;
    assert!(b.text("#notice").await.contains("two output checkers"));
    let url = b.c.current_url().await.unwrap().to_string();
    let request = url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let page = b.text("main").await;
    assert!(
        page.contains("small count") && page.contains("row 1 (Stockholm), column men"),
        "{page}"
    );
    assert!(
        page.contains("pseudonym") && page.contains("SVG document"),
        "{page}"
    );
    assert!(!page.contains(&pseudonym), "the page repeats the pseudonym");
    assert!(
        b.c.find(fantoccini::Locator::Css("#review-approve"))
            .await
            .is_err(),
        "the requester may not review"
    );
    b.shot("20-output-request-findings").await;
    b.logout().await;

    // A member of the permit who is an output checker is not offered a review either.
    b.login("bo").await;
    b.go(&format!("/outputs/{request}")).await;
    assert!(
        b.c.find(fantoccini::Locator::Css("#review-approve"))
            .await
            .is_err(),
        "a permit member may not review"
    );
    b.logout().await;

    // The first checker can only return it: a pseudonym never leaves.
    b.login("cia").await;
    b.click("#nav-outputs").await;
    b.click(&format!("a[href='/outputs/{request}']")).await;
    assert!(b.text("#blocking").await.contains("may never leave"));
    assert!(
        b.c.find(fantoccini::Locator::Css("#review-approve"))
            .await
            .is_err()
    );
    b.type_into("#reason-return", "remove the figure; cell of 3")
        .await;
    b.click("#review-return").await;
    assert_eq!(b.text("#output-state").await, "returned");
    b.logout().await;

    // The researcher sends the table alone again, and justifies its small cell.
    hdab(
        &dir,
        Some("anna"),
        &[
            "output",
            "resubmit",
            &request,
            table.to_str().unwrap(),
            "--description",
            "the table alone",
        ],
        None,
    );
    b.login("anna").await;
    b.go(&format!("/outputs/{request}")).await;
    b.type_into("#justification", "the 3 are a published national total")
        .await;
    b.click("#justify").await;
    assert!(
        b.text("main")
            .await
            .contains("the 3 are a published national total")
    );
    b.logout().await;

    // Two checkers: one approval does not release, the second does.
    b.login("cia").await;
    b.go(&format!("/outputs/{request}")).await;
    b.click("#review-approve").await;
    assert_eq!(b.text("#output-state").await, "under review");
    assert!(
        b.c.find(fantoccini::Locator::Css("#release"))
            .await
            .is_err(),
        "one approval is not enough"
    );
    b.logout().await;
    b.login("ture").await;
    b.go(&format!("/outputs/{request}")).await;
    b.click("#review-approve").await;
    assert_eq!(b.text("#output-state").await, "approved");
    b.click("#release").await;
    assert!(b.text("#notice").await.contains("Released"));
    b.shot("21-output-released").await;
    b.logout().await;

    // The public register: the release and its checksum, never the contents.
    b.go("/register").await;
    let releases = b.text("#releases").await;
    assert!(
        releases.contains(&request) && releases.contains("SHA-256"),
        "{releases}"
    );
    assert!(
        !b.page().await.contains("Stockholm,120"),
        "contents in the register"
    );
    b.shot("22-register-releases").await;

    // A revoked permit offers no way out any more.
    hdab(
        &dir,
        Some("dora"),
        &["permit", "revoke", permit, "--reason", "ended early"],
        None,
    );
    b.login("anna").await;
    b.go(&format!("/permits/{permit}")).await;
    b.el("h1").await;
    assert!(
        b.c.find(fantoccini::Locator::Css("#output-form"))
            .await
            .is_err(),
        "a revoked permit takes no output request"
    );
    b.logout().await;
}
