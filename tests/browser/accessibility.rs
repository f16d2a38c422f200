//! Accessibility in a real Chromium: every swept page (home, catalogue, a dataset, the
//! register, opting out, log in, the case queue, a case, a permit, the application form)
//! passes axe-core's WCAG 2.1 A and AA rules in Swedish and in English; the opt-out page
//! and the application form work with the keyboard alone. axe-core comes from npm
//! (`tests/browser/a11y`, installed by `.ci/run` with `npm ci`) and is injected through
//! WebDriver, so hdab's pages keep their policy of no scripts.

use super::harness::{Browser, PASSWORD, driver_or_skip, hdab, repo, serve};
use fantoccini::key::Key;

/// axe-core's source, or `None` (with a word) when it is not installed and the browser tests
/// are not required.
fn axe_source() -> Option<String> {
    let path = repo().join("tests/browser/a11y/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(e) => {
            let required = std::env::var("HDAB_BROWSER_TESTS").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "HDAB_BROWSER_TESTS=1 but axe-core is missing ({}: {e}); run `npm ci --prefix tests/browser/a11y`",
                path.display()
            );
            eprintln!("skipped: axe-core not installed (npm ci --prefix tests/browser/a11y)");
            None
        }
    }
}

impl Browser {
    /// axe-core's WCAG 2.1 A/AA violations on the page now, a line each.
    pub(crate) async fn axe(&self, axe: &str) -> Vec<String> {
        self.c
            .execute(&format!("{axe}\nreturn typeof axe;"), vec![])
            .await
            .unwrap_or_else(|e| panic!("injecting axe-core: {e}"));
        let run = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
              .then(r => done(r.violations.map(v =>
                  v.id + ' (' + v.impact + '): ' + v.help + ' at ' +
                  v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
              .catch(e => done(['axe failed: ' + e]));
        "#;
        let found = self
            .c
            .execute_async(run, vec![])
            .await
            .unwrap_or_else(|e| panic!("running axe-core: {e}"));
        serde_json::from_value(found).unwrap_or_else(|e| panic!("axe's answer: {e}"))
    }

    /// Presses keys on the keyboard, in order (each down, then up), wherever the focus is.
    pub(crate) async fn keys(&self, keys: &[char]) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".into());
        for &k in keys {
            actions = actions
                .then(KeyAction::Down { value: k })
                .then(KeyAction::Up { value: k });
        }
        self.c
            .perform_actions(actions)
            .await
            .unwrap_or_else(|e| panic!("pressing keys: {e}"));
    }

    /// Holds `modifier` while pressing `key` (Ctrl+A).
    pub(crate) async fn chord(&self, modifier: Key, key: char) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down {
                value: modifier.into(),
            })
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key })
            .then(KeyAction::Up {
                value: modifier.into(),
            });
        self.c
            .perform_actions(actions)
            .await
            .unwrap_or_else(|e| panic!("pressing keys: {e}"));
    }

    pub(crate) async fn press(&self, key: Key) {
        self.keys(&[key.into()]).await;
    }

    /// Types text where the focus is, key by key.
    pub(crate) async fn type_here(&self, text: &str) {
        self.keys(&text.chars().collect::<Vec<_>>()).await;
    }

    /// Waits for the next page after a key press that leaves this one.
    pub(crate) async fn press_and_wait(&self, key: Key) {
        let before = self.c.find(fantoccini::Locator::Css("html")).await.ok();
        self.press(key).await;
        if let Some(old) = before {
            for _ in 0..200 {
                if old.tag_name().await.is_err() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
        }
    }

    /// The id of the element that has the focus.
    pub(crate) async fn focused_id(&self) -> String {
        self.c
            .execute("return document.activeElement.id;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// What has the focus: its tag, id and text (`a#language "In English"`).
    pub(crate) async fn focused(&self) -> String {
        let v = self
            .c
            .execute(
                "const e = document.activeElement; return e ? (e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' \"' + (e.innerText || e.value || '').trim().slice(0, 40) + '\"') : '';",
                vec![],
            )
            .await
            .unwrap_or_default();
        v.as_str().unwrap_or_default().to_string()
    }

    /// Whether the focused element shows that it has the focus (an outline or a shadow).
    pub(crate) async fn focus_is_visible(&self) -> bool {
        self.c
            .execute(
                "const s = getComputedStyle(document.activeElement); return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    /// Presses Tab until the element matching `css` has the focus (as a keyboard user
    /// would), at most 300 times; returns the presses and what had the focus on the way.
    pub(crate) async fn tab_to(&self, css: &str) -> (usize, Vec<String>) {
        let mut path = Vec::new();
        for presses in 1..=300 {
            self.press(Key::Tab).await;
            path.push(self.focused().await);
            let here = self
                .c
                .execute(
                    "return document.activeElement.matches(arguments[0]);",
                    vec![serde_json::json!(css)],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if here {
                return (presses, path);
            }
        }
        panic!("{css} is not reachable with Tab; the focus went through {path:#?}")
    }
}

/// The demo, with passwords for the people the tests sign in as and one application
/// waiting in the queue; `hdab serve` on it.
fn demo_with_an_open_case(dir: &std::path::Path) -> String {
    let source = repo();
    let (d, s) = (
        dir.to_str().unwrap_or_default(),
        source.to_str().unwrap_or_default(),
    );
    hdab(dir, None, &["demo", "--dir", d, "--source", s], None);
    for id in ["anna", "olle"] {
        hdab(
            dir,
            Some("admin"),
            &["users", "password", "--id", id],
            Some(&format!("{PASSWORD}\n")),
        );
    }
    let application = repo().join("pipelines/demo-application.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hdab"))
        .env("HDAB_DATA_DIR", dir)
        .env("HDAB_LANG", "en")
        .args(["--as", "anna", "apply", "create"])
        .arg(&application)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!id.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    hdab(dir, Some("anna"), &["apply", "submit", &id], None);
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_swept_page_passes_axe_core_in_swedish_and_in_english() {
    let Some((_driver, driver_url)) = driver_or_skip() else {
        return;
    };
    let Some(axe) = axe_source() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("demo");
    let open_case = demo_with_an_open_case(&dir);
    let (_server, base) = serve(&dir);
    let b = Browser::start(&driver_url, base).await;

    let mut violations = Vec::new();
    let mut sweep = |page: String, found: Vec<String>| {
        for v in found {
            violations.push(format!("{page}: {v}"));
        }
    };
    let public = [
        "/",
        "/catalog",
        "/catalog/slutenvard",
        "/register",
        "/optout",
        "/login",
        "/report/activity",
    ];
    let officer = [
        "/cases".to_string(),
        format!("/applications/{open_case}"),
        "/applications/A-2026-0001".into(),
        "/permits/P-2026-0001".into(),
        "/orders".into(),
        "/orders/DO-2026-0001".into(),
    ];
    for lang in ["sv", "en"] {
        for path in public {
            b.go(&format!("{path}?lang={lang}")).await;
            assert!(
                b.page().await.contains(&format!("<html lang=\"{lang}\">")),
                "{path} in {lang}"
            );
            sweep(format!("{path}?lang={lang}"), b.axe(&axe).await);
        }
    }
    b.login("olle").await;
    for lang in ["sv", "en"] {
        for path in &officer {
            b.go(&format!("{path}?lang={lang}")).await;
            assert!(
                b.page().await.contains(&format!("<html lang=\"{lang}\">")),
                "{path} in {lang}"
            );
            sweep(format!("{path}?lang={lang} (officer)"), b.axe(&axe).await);
        }
    }
    b.logout().await;
    b.login("anna").await;
    for lang in ["sv", "en"] {
        for path in ["/applications", "/applications/new", "/permits/P-2026-0001"] {
            b.go(&format!("{path}?lang={lang}")).await;
            sweep(
                format!("{path}?lang={lang} (researcher)"),
                b.axe(&axe).await,
            );
        }
    }
    // The check can fail: an image without a text alternative, put into the page, is found.
    b.c.execute(
        "const i = document.createElement('img'); i.src = 'data:,'; document.querySelector('main').appendChild(i);",
        vec![],
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let planted = b.axe(&axe).await;
    assert!(
        planted.iter().any(|v| v.starts_with("image-alt")),
        "axe-core did not find the planted violation: {planted:?}"
    );
    let _ = b.c.close().await;
    assert!(
        violations.is_empty(),
        "axe-core found {} WCAG 2.1 A/AA violation(s):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_opt_out_page_and_the_application_form_work_with_the_keyboard_alone() {
    let Some((_driver, driver_url)) = driver_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("demo");
    demo_with_an_open_case(&dir);
    let (_server, base) = serve(&dir);
    let b = Browser::start(&driver_url, base).await;

    // The opt-out page: the first Tab reaches the skip link, which takes the focus to the
    // content; every link there is reached, each showing that it has the focus; the
    // language switch works with Enter.
    b.go("/optout?lang=sv").await;
    b.press(Key::Tab).await;
    assert_eq!(b.focused_id().await, "skip", "{}", b.focused().await);
    assert!(b.focus_is_visible().await, "the skip link shows its focus");
    b.press(Key::Enter).await;
    assert_eq!(
        b.focused_id().await,
        "main",
        "the skip link moves the focus to the content"
    );
    let (_, path) = b.tab_to("main a[href='/register']").await;
    assert!(
        b.focus_is_visible().await,
        "a link in the text shows its focus"
    );
    assert!(
        path.iter().all(|p| !p.starts_with("body")),
        "the focus never falls back to the page: {path:?}"
    );
    b.go("/optout?lang=sv").await;
    let (_, through) = b.tab_to("#language").await;
    assert!(
        through
            .iter()
            .any(|p| p.contains("nav-login") || p.contains("Logga in"))
            || through.len() > 3,
        "{through:?}"
    );
    assert!(
        b.focus_is_visible().await,
        "the language switch shows its focus"
    );
    b.press_and_wait(Key::Enter).await;
    assert!(
        b.page().await.contains("<html lang=\"en\">"),
        "Enter on the switch"
    );
    b.shot("a11y-optout-keyboard").await;

    // Signing in and writing an application, by the keyboard alone (in Swedish again: the
    // switch saved English as this reader's choice).
    b.go("/language?to=sv&back=/login").await;
    b.tab_to("#user").await;
    b.type_here("anna").await;
    b.press(Key::Tab).await;
    assert_eq!(b.focused_id().await, "password");
    b.type_here(PASSWORD).await;
    b.press_and_wait(Key::Enter).await;
    b.el("#logout").await;
    b.go("/applications?lang=sv").await;
    b.tab_to("#new-application").await;
    b.press_and_wait(Key::Enter).await;
    b.el("#application-form").await;

    // Tab visits the form's controls in the order they are written, none skipped.
    let order: Vec<String> = serde_json::from_value(
        b.c.execute(
            "return Array.from(document.querySelectorAll('#application-form input:not([type=hidden]), #application-form select, #application-form textarea, #application-form button')).map(e => e.id);",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // (A date field takes a Tab per part — day, month, year, the calendar — as Chromium
    // draws it; its id is counted once.)
    b.tab_to("#title").await;
    let mut visited = vec![b.focused_id().await];
    for _ in 0..order.len() * 5 {
        if visited.last() == order.last() {
            break;
        }
        b.press(Key::Tab).await;
        let id = b.focused_id().await;
        if visited.last() != Some(&id) {
            visited.push(id);
        }
    }
    assert_eq!(visited, order, "the tab order is the form's order");

    b.go("/applications/new?lang=sv").await;
    b.tab_to("#title").await;
    b.type_here("Återinläggningar efter hjärtinfarkt").await;
    b.tab_to("#intended_use").await;
    b.type_here("Beskriva återinläggningar inom ett år.").await;
    b.tab_to("#expected_benefit").await;
    b.type_here("Underlag för uppföljning efter utskrivning.")
        .await;
    b.tab_to("#why_not_anonymised").await;
    b.type_here("Vårdtillfällen måste kopplas per person.")
        .await;
    b.tab_to("#ethics_reference").await;
    b.type_here("Dnr 2026-04567-01").await;
    // A study population that does not read: the error is tied to its field.
    b.tab_to("#population").await;
    b.type_here("index_dataset = [").await;
    b.tab_to("#ds-slutenvard").await;
    b.press(Key::Space).await;
    for v in ["KON", "ALDER", "HDIA"] {
        b.tab_to(&format!("#var-slutenvard-{v}")).await;
        b.press(Key::Space).await;
    }
    b.tab_to("#save-application").await;
    b.press_and_wait(Key::Enter).await;
    let summary = b.text("#form-errors").await;
    assert!(
        summary.contains("Studiepopulationen kunde inte läsas"),
        "{summary}"
    );
    let tied = b
        .c
        .execute(
            "const p = document.getElementById('population'); return [p.getAttribute('aria-invalid'), p.getAttribute('aria-describedby'), document.getElementById('population-error').innerText];",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tied[0], "true", "{tied}");
    assert!(
        tied[1]
            .as_str()
            .is_some_and(|d| d.split(' ').any(|id| id == "population-error")),
        "the field names its error: {tied}"
    );
    // What was typed is kept.
    let title =
        b.c.execute("return document.getElementById('title').value;", vec![])
            .await
            .unwrap_or_default();
    assert_eq!(title, "Återinläggningar efter hjärtinfarkt");
    assert!(
        b.c.execute(
            "return document.getElementById('var-slutenvard-HDIA').checked;",
            vec![]
        )
        .await
        .unwrap_or_default()
        .as_bool()
        .unwrap_or(false),
        "ticked boxes stay ticked"
    );
    b.shot("a11y-application-error").await;
    // The summary's link leads to the field; the applicant empties it and saves.
    b.tab_to("#form-errors a").await;
    b.press(Key::Enter).await;
    b.tab_to("#population").await;
    b.chord(Key::Control, 'a').await;
    b.press(Key::Backspace).await;
    b.tab_to("#save-application").await;
    b.press_and_wait(Key::Enter).await;
    let notice = b.text("#notice").await;
    assert!(notice.contains("Ansökan sparades"), "{notice}");
    assert!(
        b.page()
            .await
            .contains("Återinläggningar efter hjärtinfarkt")
    );
    let _ = b.c.close().await;
}
