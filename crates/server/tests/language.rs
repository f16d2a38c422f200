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
        assert!(plain.body.contains(sv), "{path} in Swedish");
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
        for call in ["chrome.t(\"", "chrome.t1(\""] {
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
