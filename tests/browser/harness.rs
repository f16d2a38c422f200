//! The browser tests' harness: the `hdab` binary, `hdab serve` on a free port, chromedriver
//! with Debian's Chromium, and a `Browser` that clicks, types, waits and takes screenshots.

use fantoccini::{ClientBuilder, Locator};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A child process killed when the test ends, however it ends.
pub(crate) struct Killed(Child);

impl Killed {
    pub(crate) fn new(child: Child) -> Killed {
        Killed(child)
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn hdab(dir: &Path, user: Option<&str>, args: &[&str], stdin: Option<&str>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hdab"));
    cmd.env_remove("HDAB_USER")
        .env_remove("HDAB_MASTER_KEY")
        .env("HDAB_DATA_DIR", dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(u) = user {
        cmd.args(["--as", u]);
    }
    let mut child = cmd
        .args(args)
        .spawn()
        .unwrap_or_else(|e| panic!("hdab: {e}"));
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        let _ = input.write_all(text.as_bytes());
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "hdab {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// Starts `hdab serve` on a free port and returns its base URL.
pub(crate) fn serve(dir: &Path) -> (Killed, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hdab"))
        .env("HDAB_DATA_DIR", dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("hdab serve: {e}"));
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("hdab serve printed no address: {line}"))
        .trim_end_matches('/')
        .to_string();
    (Killed(child), url)
}

/// The driver, or `None` with a word on standard error when it is not installed and the
/// browser tests are not required (HDAB_BROWSER_TESTS=1 requires them).
pub(crate) fn driver_or_skip() -> Option<(Killed, String)> {
    let required = std::env::var("HDAB_BROWSER_TESTS").is_ok_and(|v| v == "1");
    let found = chromedriver();
    if found.is_none() {
        assert!(
            !required,
            "HDAB_BROWSER_TESTS=1 but chromedriver is not installed"
        );
        eprintln!("skipped: no chromedriver (install chromium-driver, or run .ci/run)");
    }
    found
}

pub(crate) fn chromedriver() -> Option<(Killed, String)> {
    let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| Path::new(p).exists())?;
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((Killed(child), format!("http://127.0.0.1:{port}")));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

pub(crate) struct Browser {
    pub(crate) c: fantoccini::Client,
    pub(crate) base: String,
    pub(crate) shots: PathBuf,
}

impl Browser {
    pub(crate) async fn go(&self, path: &str) {
        self.c
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("opening {path}: {e}"));
    }

    pub(crate) async fn el(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .c
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => {
                self.shot("failure").await;
                let url = self
                    .c
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let text = match self.c.find(Locator::Css("main")).await {
                    Ok(m) => m.text().await.unwrap_or_default(),
                    Err(_) => String::new(),
                };
                panic!("waiting for {css} on {url}: {e}\n{text}")
            }
        }
    }

    /// Clicks and, when the click leaves the page (a link, a form), waits for the next one.
    pub(crate) async fn click(&self, css: &str) {
        let before = self.c.find(Locator::Css("html")).await.ok();
        self.el(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
        if let Some(old) = before {
            for _ in 0..200 {
                if old.tag_name().await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
    }

    /// Ticks or unticks a box (no page change).
    pub(crate) async fn tick(&self, css: &str) {
        self.el(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("ticking {css}: {e}"));
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let e = self.el(css).await;
        e.clear()
            .await
            .unwrap_or_else(|e| panic!("clearing {css}: {e}"));
        e.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        self.el(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("reading {css}: {e}"))
    }

    pub(crate) async fn page(&self) -> String {
        self.c.source().await.unwrap_or_default()
    }

    pub(crate) async fn shot(&self, name: &str) {
        if let Ok(png) = self.c.screenshot().await {
            let _ = std::fs::write(self.shots.join(format!("{name}.png")), png);
        }
    }

    pub(crate) async fn login(&self, user: &str) {
        self.go("/login").await;
        self.type_into("#user", user).await;
        self.type_into("#password", PASSWORD).await;
        self.click("#login").await;
        self.el("#logout").await;
    }

    pub(crate) async fn logout(&self) {
        self.click("#logout").await;
        self.el("#nav-login").await;
    }
}

impl Browser {
    /// Headless Chromium through the driver at `driver_url`, on the site at `base`.
    pub(crate) async fn start(driver_url: &str, base: String) -> Browser {
        let shots = std::env::var_os("HDAB_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo().join("target/screenshots"));
        std::fs::create_dir_all(&shots).unwrap_or_else(|e| panic!("{e}"));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-first-run", "--window-size=1280,1400"]
            }),
        );
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(driver_url)
            .await
            .unwrap_or_else(|e| panic!("starting Chromium through chromedriver: {e}"));
        Browser { c, base, shots }
    }
}
