//! A real browser for the UI tests: headless Chromium (Debian's `chromium`) driven over the
//! DevTools protocol, one per test with a fresh profile, and helpers to fill forms by label,
//! click, wait for the next page and save screenshots.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::page::{Page, ScreenshotParams};
use futures::StreamExt;

/// Where Debian installs the browser (its `/usr/bin/chromium` wrapper only adds flags).
const CHROMIUM: [&str; 2] = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

/// The flags the project starts it with; the library adds `--headless`, `--no-sandbox`,
/// `--user-data-dir` and the debugging port (and takes flags without their dashes).
const FLAGS: [&str; 5] = [
    "disable-gpu",
    "no-first-run",
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
];

/// Generous: seeding the demo on a busy 2-core machine takes several seconds.
const WAIT: Duration = Duration::from_secs(60);

/// CDP's `Browser.grantPermissions`, which chromiumoxide's generated protocol leaves out.
#[derive(Debug, serde::Serialize)]
struct GrantPermissions {
    origin: String,
    permissions: Vec<&'static str>,
}

impl chromiumoxide::Method for GrantPermissions {
    fn identifier(&self) -> chromiumoxide::types::MethodId {
        "Browser.grantPermissions".into()
    }
}

impl chromiumoxide::Command for GrantPermissions {
    type Response = serde_json::Value;
}

/// A running browser and the page the test drives; closed (and its processes gone) on `close`
/// or, failing that, on drop.
pub struct TestBrowser {
    browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    pub page: Page,
    shots: PathBuf,
    _profile: tempfile::TempDir,
}

impl std::fmt::Debug for TestBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestBrowser")
            .field("shots", &self.shots)
            .finish_non_exhaustive()
    }
}

/// The browser binary, if installed (`RECKON_TEST_CHROMIUM` names another).
pub fn chromium() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("RECKON_TEST_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    CHROMIUM.iter().map(PathBuf::from).find(|p| p.exists())
}

impl TestBrowser {
    /// Starts the browser on `url`; screenshots go to `shots` (created).
    pub async fn launch(binary: &Path, url: &str, shots: PathBuf) -> TestBrowser {
        std::fs::create_dir_all(&shots).expect("the screenshot folder");
        let profile = tempfile::Builder::new()
            .prefix("reckon-chromium-")
            .tempdir()
            .expect("a profile directory");
        let tmp = profile.path().join("tmp");
        std::fs::create_dir(&tmp).expect("a temp directory");
        let config = BrowserConfig::builder()
            .chrome_executable(binary)
            .no_sandbox()
            .user_data_dir(profile.path().join("profile"))
            .env("TMPDIR", tmp.display().to_string())
            .args(FLAGS)
            .window_size(1280, 900)
            .viewport(None)
            .launch_timeout(WAIT)
            .request_timeout(WAIT)
            .build()
            .expect("a browser configuration");
        let (browser, mut events) = Browser::launch(config).await.expect("chromium starts");
        // The protocol's events must be read for any call to return; stop at the first error
        // (the browser is gone) so calls fail rather than hang.
        let handler = tokio::spawn(async move {
            while let Some(event) = events.next().await {
                if event.is_err() {
                    break;
                }
            }
        });
        let page = browser.new_page(url).await.expect("the first page");
        TestBrowser {
            browser,
            handler,
            page,
            shots,
            _profile: profile,
        }
    }

    /// Waits until an element matching `css` is on the page (after a navigation, the next
    /// page's), and returns its text.
    pub async fn wait_for(&self, css: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(element) = self.page.find_element(css).await
                && let Ok(Some(text)) = element.inner_text().await
            {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "no `{css}` on {:?}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the text of the element matching `css` is no longer `from`, and returns it.
    pub async fn wait_for_change(&self, css: &str, from: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = self.wait_for(css).await;
            if text != from {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "`{css}` still says {from:?} on {:?}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Grants the pages of `origin` the clipboard (`Browser.grantPermissions`), as a user
    /// answering the prompt would; headless, the prompt is never shown.
    pub async fn grant_clipboard(&self, origin: &str) {
        let grant = GrantPermissions {
            origin: origin.to_string(),
            permissions: vec!["clipboardReadWrite", "clipboardSanitizedWrite"],
        };
        self.browser
            .execute(grant)
            .await
            .expect("the clipboard permission granted");
    }

    /// Waits until the page's URL path is `path` (and the page has a `main`).
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = self.url().await;
            if url.split('?').next().is_some_and(|u| u.ends_with(path))
                && self.page.find_element("main, body").await.is_ok()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "still on {url}, waiting for {path}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn url(&self) -> String {
        self.page.url().await.ok().flatten().unwrap_or_default()
    }

    /// The text of the whole page.
    pub async fn text(&self) -> String {
        self.wait_for("body").await
    }

    pub async fn goto(&self, url: &str) {
        self.page.goto(url).await.expect("navigation");
    }

    /// Types into the input whose label says `label` (exactly, ignoring spacing).
    pub async fn fill(&self, label: &str, text: &str) {
        let xpath = format!(
            "//input[@id = //label[normalize-space(.)='{label}']/@for] | //label[normalize-space(.)='{label}']//input"
        );
        let input = self
            .page
            .find_xpath(xpath)
            .await
            .unwrap_or_else(|e| panic!("no input labelled {label:?}: {e}"));
        input.click().await.expect("focus the input");
        input.type_str(text).await.expect("type");
    }

    /// The `value` of the input matching `css`.
    pub async fn value_of(&self, css: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(element) = self.page.find_element(css).await
                && let Ok(Some(value)) = element.attribute("value").await
            {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "no `{css}` on {:?}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the element the XPath finds.
    pub async fn click_xpath(&self, xpath: &str) {
        let element = self
            .page
            .find_xpath(xpath)
            .await
            .unwrap_or_else(|e| panic!("nothing at {xpath}: {e}"));
        element.click().await.expect("click");
    }

    /// Clicks the button (or summary, or link) whose text is `text`.
    pub async fn click(&self, text: &str) {
        self.click_xpath(&format!(
            "//*[self::button or self::a or self::summary][normalize-space(.)='{text}']"
        ))
        .await;
    }

    /// Chooses the option of value `value` in the select matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        let script = format!(
            "(() => {{ const s = document.querySelector({css:?}); s.value = {value:?}; return s.value; }})()"
        );
        let chosen: String = self
            .page
            .evaluate(script)
            .await
            .unwrap_or_else(|e| panic!("no select {css}: {e}"))
            .into_value()
            .expect("the chosen value");
        assert_eq!(chosen, value, "no option {value:?} in {css}");
    }

    /// Makes the viewport `width` CSS pixels wide (900 high); below 700 as a phone.
    pub async fn set_width(&self, width: i64) {
        let metrics = SetDeviceMetricsOverrideParams::new(width, 900, 1.0, width < 700);
        self.page.execute(metrics).await.expect("the viewport set");
    }

    /// How many CSS pixels the page is wider than the viewport: 0 when it fits.
    pub async fn page_overflow(&self) -> i64 {
        self.page
            .evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            .await
            .expect("the page measured")
            .into_value()
            .expect("a width")
    }

    /// Saves a full-page PNG as `<shots>/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let path = self.shots.join(format!("{name}.png"));
        let params = ScreenshotParams::builder()
            .format(CaptureScreenshotFormat::Png)
            .full_page(true)
            .build();
        self.page
            .save_screenshot(params, &path)
            .await
            .unwrap_or_else(|e| panic!("screenshot {}: {e}", path.display()));
    }

    /// Closes the browser and waits for its processes (killing them if it hangs).
    pub async fn close(mut self) {
        let closed = tokio::time::timeout(Duration::from_secs(5), self.browser.close()).await;
        if !matches!(closed, Ok(Ok(_))) {
            let _ = self.browser.kill().await;
        }
        if tokio::time::timeout(Duration::from_secs(5), self.browser.wait())
            .await
            .is_err()
        {
            let _ = self.browser.kill().await;
        }
        self.handler.abort();
    }
}
