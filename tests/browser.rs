//! The web pages in a real headless Chromium, driven over WebDriver by clicking and typing:
//! a holder registers a dataset and uploads its data, an applicant applies, an officer
//! returns the application, the applicant completes it, a decision maker approves it
//! narrower, the officer runs the extraction, and the applicant sees the delivery.
//!
//! Needs Debian's `chromium` and `chromium-driver` (installed by `.ci/run`, which sets
//! HDAB_BROWSER_TESTS=1). Without that variable and without a chromedriver, it says so and
//! passes nothing off as tested. Screenshots go to HDAB_SCREENSHOTS (default
//! target/screenshots).

mod accessibility;
mod harness;
mod oidc;
mod outputs;

use harness::{Browser, PASSWORD, driver_or_skip, hdab, repo, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permit_goes_from_registration_to_delivery_by_clicking_and_typing() {
    let Some((_driver, driver_url)) = driver_or_skip() else {
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
    for (id, org, role) in [
        ("sara", "socialstyrelsen", "data_holder"),
        ("anna", "karolinska-institutet", "applicant"),
        ("olle", "socialstyrelsen", "case_officer"),
        ("dora", "socialstyrelsen", "decision_maker"),
    ] {
        hdab(
            &dir,
            Some("admin"),
            &["users", "add", "--id", id, "--org", org, "--role", role],
            None,
        );
        hdab(
            &dir,
            Some("admin"),
            &["users", "password", "--id", id],
            Some(&format!("{PASSWORD}\n")),
        );
    }
    let (_server, base) = serve(&dir);
    let b = Browser::start(&driver_url, base).await;

    // The public pages.
    b.go("/").await;
    b.shot("01-home").await;
    b.go("/optout?lang=sv").await;
    assert!(b.page().await.contains("Du kan säga nej"));
    assert!(b.page().await.contains("<html lang=\"sv\">"));
    b.shot("02-optout").await;
    b.click("#language").await;
    assert!(
        b.page().await.contains("opt out"),
        "the switch turns the page into English"
    );
    assert!(b.page().await.contains("<html lang=\"en\">"));
    b.shot("02-optout-en").await;

    // A data holder registers the in-patient register and uploads its data.
    b.login("sara").await;
    b.click("#new-dataset").await;
    let description = std::fs::read_to_string(repo().join("catalog/slutenvard.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    b.type_into("#description", &description).await;
    b.click("#save-description").await;
    assert!(b.text("#notice").await.contains("saved"));
    b.type_into("#reference_date", "2024-03-31").await;
    let csv = repo().join("sample-data/slutenvard.csv");
    b.el("#file")
        .await
        .send_keys(&csv.canonicalize().unwrap_or(csv).display().to_string())
        .await
        .unwrap_or_else(|e| panic!("choosing the file: {e}"));
    b.click("#upload").await;
    assert!(b.text("#notice").await.contains("passed its checks"));
    assert!(
        b.text("#uploads").await.contains("4010"),
        "the upload's rows are shown"
    );
    b.shot("03-holder-dataset-uploaded").await;
    b.click("#profile").await;
    assert!(
        b.page().await.contains("<svg"),
        "the profile draws its charts"
    );
    b.shot("03b-holder-upload-profile").await;
    b.go("/catalog/slutenvard").await;
    b.shot("04-catalogue-dataset").await;
    b.logout().await;

    // An applicant applies, choosing the dataset and variables from the catalogue.
    b.login("anna").await;
    b.click("#new-application").await;
    b.type_into("#title", "Readmissions after myocardial infarction")
        .await;
    b.type_into(
        "#intended_use",
        "Describe readmissions within a year of a first infarction by sex and age.",
    )
    .await;
    b.type_into(
        "#expected_benefit",
        "Evidence for follow-up care after discharge.",
    )
    .await;
    b.type_into(
        "#why_not_anonymised",
        "Admissions must be linked per person over time.",
    )
    .await;
    b.tick("#ds-slutenvard").await;
    for v in ["KON", "ALDER", "INDATUM", "HDIA", "LAN"] {
        b.tick(&format!("#var-slutenvard-{v}")).await;
    }
    b.type_into("#codes-slutenvard", "I21, I22").await;
    b.type_into("#code-columns-slutenvard", "HDIA, DIA1").await;
    b.shot("05-application-form").await;
    b.click("#save-application").await;
    // The draft says what is missing before it can be submitted.
    assert!(b.text("#problems").await.contains("ethics"));
    b.click("#edit-application").await;
    b.type_into("#ethics_reference", "Dnr 2026-04567-01").await;
    b.click("#save-application").await;
    b.click("#do-submit").await;
    assert_eq!(b.text("#state").await, "submitted");
    let case_url = b.c.current_url().await.unwrap_or_else(|e| panic!("{e}"));
    let case_path = case_url.path().to_string();
    b.logout().await;

    // A case officer takes it from the queue and returns it.
    b.login("olle").await;
    b.go("/cases").await;
    b.shot("06-queue").await;
    b.click(&format!("#queue a[href='{case_path}']")).await;
    b.click("#do-take").await;
    b.type_into(
        "#comment-return",
        "Describe the safeguards for the analysis environment.",
    )
    .await;
    b.click("#do-return").await;
    assert_eq!(b.text("#state").await, "returned for completion");
    b.logout().await;

    // The applicant completes it and submits it again.
    b.login("anna").await;
    b.go(&case_path).await;
    assert!(b.text("#events").await.contains("safeguards"));
    b.click("#edit-application").await;
    b.type_into(
        "#safeguards",
        "Analysis only inside the SPE; output checked before release.",
    )
    .await;
    b.click("#save-application").await;
    b.click("#do-submit").await;
    assert_eq!(b.text("#state").await, "submitted");
    b.logout().await;

    // The officer resumes the review of the completed case.
    b.login("olle").await;
    b.go(&case_path).await;
    b.click("#do-take").await;
    assert_eq!(b.text("#state").await, "under review");
    // Both versions received are listed, in the page (not in its title).
    assert!(b.text("#versions").await.contains("Version 2"));
    // Before the decision the officer measures how identifying the request is: with the
    // admission date nearly everyone is unique; unticking it lowers the share.
    b.click("#measure-risk").await;
    let percent = |text: String| -> f64 {
        text.trim_end_matches('%')
            .parse()
            .unwrap_or_else(|_| panic!("{text}"))
    };
    let asked = percent(b.text("#risk-unique-slutenvard").await);
    assert!(
        b.text("#risk-slutenvard")
            .await
            .contains("persons are unique"),
        "{}",
        b.text("#risk-slutenvard").await
    );
    b.shot("06b-risk-preview").await;
    b.tick("#risk-keep-slutenvard-INDATUM").await;
    b.click("#measure-risk").await;
    let without_date = percent(b.text("#risk-unique-slutenvard").await);
    assert!(
        without_date < asked,
        "unique persons {without_date}% without the admission date, {asked}% with it"
    );
    assert!(!b.text("#risk-slutenvard").await.contains("INDATUM"));
    b.logout().await;

    // A decision maker, who did not prepare the case, approves it without the county.
    b.login("dora").await;
    b.go(&case_path).await;
    b.shot("07-case-page").await;
    // Asked pseudonymised: the decision maker could grant anonymised data instead.
    assert!(b.page().await.contains("approve-as-anonymised"));
    b.tick("#keep-slutenvard-LAN").await;
    b.type_into(
        "#comment-approve",
        "Approved without county: not needed for the stated aim.",
    )
    .await;
    b.click("#do-approve").await;
    let permit_url = b.c.current_url().await.unwrap_or_else(|e| panic!("{e}"));
    let permit_path = permit_url.path().to_string();
    assert!(permit_path.starts_with("/permits/P-"), "{permit_path}");
    let granted = b.text("#granted").await;
    assert!(
        !granted.contains("LAN") && granted.contains("HDIA"),
        "{granted}"
    );
    b.logout().await;

    // The grant ordered the data from its holder, due in three months: before the holder
    // fulfils the order the extraction is refused, naming it.
    b.login("olle").await;
    b.go(&permit_path).await;
    b.click("#run-extraction").await;
    let refused = b.page().await;
    assert!(refused.contains("DO-2026-0001"), "{refused}");
    b.go("/orders").await;
    assert!(b.text("#orders").await.contains("DO-2026-0001"));
    b.shot("07b-orders-officer").await;
    b.logout().await;
    b.login("sara").await;
    b.click("#nav-orders").await;
    b.click("a[href='/orders/DO-2026-0001']").await;
    assert!(b.text("#order-state").await.contains("open"));
    b.type_into("#reference_date", "2024-03-31").await;
    let csv = repo().join("sample-data/slutenvard.csv");
    b.el("#file")
        .await
        .send_keys(&csv.canonicalize().unwrap_or(csv).display().to_string())
        .await
        .unwrap_or_else(|e| panic!("choosing the file: {e}"));
    b.click("#order-upload").await;
    assert!(b.text("#notice").await.contains("fulfils the order"));
    assert!(b.text("#order-state").await.contains("fulfilled"));
    assert!(
        b.text("#order-history")
            .await
            .contains("fulfilled by upload")
    );
    b.shot("07c-order-fulfilled").await;
    b.logout().await;

    // The officer runs the extraction.
    b.login("olle").await;
    b.go(&permit_path).await;
    b.click("#run-extraction").await;
    assert!(b.text("#notice").await.contains("delivered"));
    b.logout().await;

    // The applicant sees the delivery.
    b.login("anna").await;
    b.click("#nav-permits").await;
    b.click(&format!("#permits a[href='{permit_path}']")).await;
    let delivery = b.text("#delivery-slutenvard").await;
    b.shot("08-permit-delivery").await;
    assert!(
        delivery.contains("part-0.parquet") || delivery.contains(".parquet"),
        "{delivery}"
    );
    assert!(
        !delivery.contains("LAN"),
        "the narrowed-away variable is not delivered: {delivery}"
    );
    let delivered: u64 = b
        .text("#delivery-slutenvard td.delivered")
        .await
        .trim()
        .parse()
        .unwrap_or(0);
    assert!(delivered > 0, "rows were delivered");
    // And it is really there, in the SPE folder the manifest names.
    let permit_id = permit_path.trim_start_matches("/permits/");
    let manifest =
        std::fs::read_to_string(dir.join(format!("spe/{permit_id}/slutenvard/manifest.json")))
            .unwrap_or_else(|e| panic!("the delivery's manifest: {e}"));
    let m: serde_json::Value = serde_json::from_str(&manifest).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m["rows"]["delivered"].as_u64(), Some(delivered));
    b.go("/register").await;
    assert!(b.text("#register").await.contains("approved"));
    b.shot("09-register").await;
    let _ = b.c.close().await;
}
