//! The reader's language: Swedish by default on every page, English on request (`?lang=`,
//! the language switch's cookie, or the browser's `Accept-Language`), with the `lang`
//! attribute saying which; every message id the templates use exists in both catalogues.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hdab_app::{App, Settings};
use hdab_i18n::Lang;
use hdab_server::{ServerState, router};
use hdab_test_support::{repo, send};

fn get(path: &str, headers: &[(header::HeaderName, &str)]) -> Request<Body> {
    let mut r = Request::get(path).header(header::HOST, "hdab.test");
    for (k, v) in headers {
        r = r.header(k, *v);
    }
    r.body(Body::empty()).unwrap_or_else(|e| panic!("{e}"))
}

async fn setup() -> (tempfile::TempDir, axum::Router) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let app = App::open(Settings::under(dir.path()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = router(ServerState::new(app));
    (dir, r)
}

/// The public pages translated so far, each with a phrase of its own in each language.
const PAGES: &[(&str, &str, &str)] = &[
    (
        "/",
        "Hälsodata för forskning och folkhälsa",
        "Health data for research and public health",
    ),
    ("/optout", "Du kan säga nej", "You can say no"),
    ("/login", "Användar-id", "User id"),
    (
        "/catalog",
        "Nationell katalog över hälsodata",
        "National catalogue of health datasets",
    ),
];

#[tokio::test]
async fn pages_are_swedish_by_default_and_english_on_request() {
    let (_dir, r) = setup().await;
    for (path, sv, en) in PAGES {
        let plain = send(&r, get(path, &[])).await;
        assert_eq!(plain.status, StatusCode::OK, "{path}");
        assert!(
            plain.body.contains("<html lang=\"sv\">"),
            "{path}: {}",
            &plain.body[..200.min(plain.body.len())]
        );
        assert!(plain.body.contains(sv), "{path} in Swedish: {}", plain.body);
        assert!(!plain.body.contains(en), "{path}: no English left");
        assert!(
            plain.body.contains("Katalog"),
            "{path}: the menu in Swedish"
        );

        let sep = if path.contains('?') { '&' } else { '?' };
        let asked = send(&r, get(&format!("{path}{sep}lang=en"), &[])).await;
        assert!(asked.body.contains("<html lang=\"en\">"), "{path}?lang=en");
        assert!(asked.body.contains(en), "{path} in English");

        let browser = send(
            &r,
            get(
                path,
                &[(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9,sv;q=0.5")],
            ),
        )
        .await;
        assert!(
            browser.body.contains("<html lang=\"en\">"),
            "{path}: Accept-Language"
        );
        let swedish_browser = send(
            &r,
            get(path, &[(header::ACCEPT_LANGUAGE, "sv-SE,en;q=0.5")]),
        )
        .await;
        assert!(swedish_browser.body.contains("<html lang=\"sv\">"));

        let chosen = send(
            &r,
            get(
                path,
                &[
                    (header::COOKIE, "hdab_lang=en"),
                    (header::ACCEPT_LANGUAGE, "sv"),
                ],
            ),
        )
        .await;
        assert!(
            chosen.body.contains(en),
            "{path}: the saved choice wins over the browser"
        );
    }
}

#[tokio::test]
async fn the_language_switch_keeps_the_choice_and_returns_to_the_page() {
    let (_dir, r) = setup().await;
    let page = send(&r, get("/optout", &[])).await;
    assert!(
        page.body
            .contains("href=\"/language?to=en&#38;back=%2Foptout\""),
        "the switch links back to this page: {}",
        page.body
            .split("id=\"language\"")
            .next()
            .and_then(|s| s.rsplit("<a").next())
            .unwrap_or_default()
    );
    assert!(
        page.body
            .contains("lang=\"en\" hreflang=\"en\">In English</a>")
    );
    let asked = send(&r, get("/catalog?q=cancer&lang=sv", &[])).await;
    assert!(
        asked
            .body
            .contains("/language?to=en&#38;back=%2Fcatalog%3Fq%3Dcancer\""),
        "the page's own lang= is left out of the way back (it would outrank the choice)"
    );
    let switched = send(&r, get("/language?to=en&back=/optout", &[])).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.location, "/optout");
    for attribute in ["hdab_lang=en", "Path=/", "SameSite=Lax", "Max-Age=31536000"] {
        assert!(
            switched.cookie.contains(attribute),
            "{attribute} in {}",
            switched.cookie
        );
    }
    // Only a path on this site: no redirect elsewhere.
    for back in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
    ] {
        let url = format!(
            "/language?to=sv&back={}",
            back.replace('/', "%2F")
                .replace('\\', "%5C")
                .replace(':', "%3A")
        );
        let away = send(&r, get(&url, &[])).await;
        assert_eq!(away.location, "/", "{back}");
    }
}

#[test]
fn every_message_the_templates_use_is_in_both_catalogues() {
    let dir = repo().join("crates/server/templates");
    let mut used = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for call in ["chrome.t(\"", "chrome.t1(\"", "chrome.t2(\""] {
            for piece in text.split(call).skip(1) {
                if let Some(id) = piece.split('"').next() {
                    used.push(id.to_string());
                }
            }
        }
    }
    assert!(used.len() > 30, "{} message uses found", used.len());
    for lang in Lang::ALL {
        let ids = lang.message_ids();
        let missing: Vec<_> = used.iter().filter(|id| !ids.contains(id)).collect();
        assert!(
            missing.is_empty(),
            "missing in {}: {missing:?}",
            lang.code()
        );
    }
}

/// English words that Swedish text never holds: any of them on a Swedish page is English
/// left behind.
const ENGLISH: &[&str] = &[
    "the", "and", "of", "with", "to", "is", "are", "for", "from", "by", "this", "that", "not",
    "your", "you", "be", "at", "on", "an", "it", "has", "have", "was", "were", "which", "who",
    "what", "when", "where", "into", "out", "no", "yes", "none", "nothing", "every", "only",
    "records", "dataset", "datasets", "permit", "case", "queue", "log", "state",
];

/// The page's visible text, without tags, code and the holders' own variable descriptions
/// (free text in the language the holder wrote it).
fn visible_text(html: &str) -> String {
    let mut html = html.to_string();
    for (open, close) in [
        ("<table id=\"variables\">", "</table>"),
        ("<code", "</code>"),
        ("<title", "</title>"),
    ] {
        while let Some(start) = html.find(open) {
            let Some(len) = html[start..].find(close) else {
                break;
            };
            html.replace_range(start..start + len + close.len(), " ");
        }
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

fn english_left(html: &str) -> Vec<String> {
    let text = visible_text(html);
    // Words of letters only: checksums and ids (`be5b8f…`, `P-2026-0001`) are not words.
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().all(char::is_alphabetic))
        .collect();
    words
        .iter()
        .enumerate()
        .filter(|(_, w)| ENGLISH.contains(&w.to_lowercase().as_str()))
        .map(|(i, w)| {
            let from = i.saturating_sub(4);
            let to = (i + 5).min(words.len());
            format!("{w} in “{}”", words[from..to].join(" "))
        })
        .collect()
}

/// An installation with a dataset, an application in Swedish taken to a permit and its
/// extraction delivered; the callers' API tokens.
async fn installation() -> (tempfile::TempDir, axum::Router, String, String, String) {
    use hdab_app::CaseOptions;
    use hdab_permits::{CaseCommand, Role};
    use hdab_test_support::{read, user};
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let app = App::open(Settings::under(dir.path()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ok = |e: hdab_app::AppError| -> ! { panic!("fixture: {e}") };
    app.keys_add(None, true).await.unwrap_or_else(|e| ok(e));
    app.add_user(None, &user("admin", "socialstyrelsen", Role::Admin))
        .await
        .unwrap_or_else(|e| ok(e));
    for (id, org, role) in [
        ("sara", "socialstyrelsen", Role::DataHolder),
        ("anna", "karolinska-institutet", Role::Applicant),
        ("olle", "socialstyrelsen", Role::CaseOfficer),
        ("dora", "socialstyrelsen", Role::DecisionMaker),
    ] {
        app.add_user(Some("admin"), &user(id, org, role))
            .await
            .unwrap_or_else(|e| ok(e));
    }
    for name in ["slutenvard", "lakemedel"] {
        app.register_dataset("sara", &read(&format!("catalog/{name}.toml")))
            .await
            .unwrap_or_else(|e| ok(e));
        app.upload(
            "sara",
            name,
            &repo().join(format!("sample-data/{name}.csv")),
            chrono::NaiveDate::from_ymd_opt(2024, 3, 31),
        )
        .await
        .unwrap_or_else(|e| ok(e));
    }
    // The applicant writes in Swedish: whatever English a page shows is then hdab's own.
    let mut application: toml::Table =
        toml::from_str(&read("pipelines/demo-application.toml")).unwrap_or_else(|e| panic!("{e}"));
    for (field, text) in [
        ("title", "Sekundärprevention efter hjärtinfarkt"),
        (
            "intended_use",
            "Beskriva uttag av betablockerare efter en första hjärtinfarkt.",
        ),
        (
            "expected_benefit",
            "Underlag för regionernas kvalitetsarbete.",
        ),
        (
            "why_not_anonymised",
            "Uttagen måste kopplas till varje patients vårdtillfälle.",
        ),
        ("ethics_reference", "Dnr 2026-01234-01"),
        ("safeguards", "Analys bara i den säkra miljön."),
    ] {
        application.insert(field.into(), toml::Value::String(text.into()));
    }
    let id = app
        .create_application("anna", &toml::to_string(&application).unwrap_or_default())
        .await
        .unwrap_or_else(|e| ok(e));
    for (who, command) in [
        ("anna", CaseCommand::Submit),
        ("olle", CaseCommand::Take),
        ("dora", CaseCommand::Approve),
    ] {
        app.case_command(who, &id, command, "enligt ansökan", CaseOptions::default())
            .await
            .unwrap_or_else(|e| ok(e));
    }
    let permit = app
        .permit_of_application(&id)
        .await
        .unwrap_or_else(|e| ok(e))
        .unwrap_or_else(|| panic!("no permit"));
    // The holder fulfils the grant's data orders.
    let today = chrono::Utc::now().date_naive();
    for o in app
        .orders("olle", Some(&permit), today)
        .await
        .unwrap_or_else(|e| ok(e))
    {
        app.upload_for_order(
            "sara",
            &o.order.id,
            None,
            &repo().join(format!("sample-data/{}.csv", o.order.dataset_id)),
            chrono::NaiveDate::from_ymd_opt(2024, 3, 31),
        )
        .await
        .unwrap_or_else(|e| ok(e));
    }
    app.extract("olle", &permit, hdab_pipeline::Compression::Zstd)
        .await
        .unwrap_or_else(|e| ok(e));
    let token = app
        .create_api_token("olle", "tests")
        .await
        .unwrap_or_else(|e| ok(e));
    let r = router(ServerState::new(app));
    (dir, r, id, permit, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_swept_page_is_swedish_by_default_with_no_english_left_and_english_on_request() {
    let (_dir, r, case, permit, token) = installation().await;
    let bearer = format!("Bearer {token}");
    let pages = [
        "/".to_string(),
        "/catalog".into(),
        "/catalog/slutenvard".into(),
        "/register".into(),
        "/optout".into(),
        "/login".into(),
        "/cases".into(),
        format!("/applications/{case}"),
        format!("/permits/{permit}"),
        format!("/orders?permit={permit}"),
        "/orders/DO-2026-0001".into(),
        "/report/activity".into(),
    ];
    for path in &pages {
        let swedish = send(&r, get(path, &[(header::AUTHORIZATION, &bearer)])).await;
        assert_eq!(swedish.status, StatusCode::OK, "{path}");
        assert!(swedish.body.contains("<html lang=\"sv\">"), "{path}");
        let left = english_left(&swedish.body);
        assert!(
            left.is_empty(),
            "{path}: English left on the Swedish page: {left:#?}"
        );

        let sep = if path.contains('?') { '&' } else { '?' };
        let english = send(
            &r,
            get(
                &format!("{path}{sep}lang=en"),
                &[(header::AUTHORIZATION, &bearer)],
            ),
        )
        .await;
        assert_eq!(english.status, StatusCode::OK, "{path}?lang=en");
        assert!(
            english.body.contains("<html lang=\"en\">"),
            "{path}?lang=en"
        );
        assert!(
            !english_left(&english.body).is_empty(),
            "{path}: the English page reads as English (the detector works)"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dataset_is_shown_in_the_readers_language() {
    let (_dir, r, _, _, _) = installation().await;
    let sv = send(&r, get("/catalog/slutenvard", &[])).await;
    assert!(
        sv.body
            .contains("Patientregistret, slutenvård (syntetiskt urval)</h1>")
    );
    assert!(sv.body.contains("Vårdtillfällen i slutenvård"));
    let en = send(&r, get("/catalog/slutenvard?lang=en", &[])).await;
    assert!(
        en.body
            .contains("National Patient Register, in-patient care (synthetic sample)</h1>")
    );
    assert!(en.body.contains("In-patient episodes"));
    let list = send(&r, get("/catalog", &[])).await;
    assert!(list.body.contains("Patientregistret, slutenvård"));
}

#[tokio::test]
async fn an_error_page_speaks_the_readers_language() {
    let (_dir, r) = setup().await;
    let sv = send(&r, get("/catalog/no-such-dataset", &[])).await;
    assert_eq!(sv.status, StatusCode::NOT_FOUND);
    assert!(sv.body.contains("<html lang=\"sv\">"));
    assert!(sv.body.contains("Hittades inte"));
    let en = send(
        &r,
        get(
            "/catalog/no-such-dataset",
            &[(header::ACCEPT_LANGUAGE, "en")],
        ),
    )
    .await;
    assert!(en.body.contains("<html lang=\"en\">"));
    assert!(en.body.contains("Not found"));
}
