//! The web pages in a real browser: headless Chromium driven over WebDriver
//! (chromedriver) with fantoccini, against the built binary and the fakes. The request
//! form with a file and a refused submission, My activity through the emailed sign-in
//! link, the status page with an adapter down and an incident, and the Korean
//! interface.
//!
//! Chromium and chromedriver must be installed (`apt-get install chromium
//! chromium-driver`); `RELAYDESK_CHROMIUM` and `RELAYDESK_CHROMEDRIVER` name other
//! binaries. With `RELAYDESK_SCREENSHOTS=<dir>` the tests save the pages the README
//! shows into that folder.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use relaydesk_fakes::smtp::{FakeSmtp, Received};
use serde_json::json;

use crate::fake_slack::FakeSlack;
use crate::helpers::{Console, Workspace, WAIT};
use crate::slack::{self, Bot};

const INSTALL: &str = "install them with `apt-get install chromium chromium-driver` \
     (or name them with RELAYDESK_CHROMIUM and RELAYDESK_CHROMEDRIVER)";

/// A binary named by `var`, or `default`; the test fails when it is not there.
fn binary(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.is_file(),
        "{} is missing: the browser tests need Chromium and chromedriver; {INSTALL}",
        path.display()
    );
    path
}

/// A chromedriver on a free port of 127.0.0.1; killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts chromedriver on a port that was free a moment ago; should another
    /// process take it meanwhile, chromedriver exits and another port is tried.
    fn start() -> Driver {
        let program = binary("RELAYDESK_CHROMEDRIVER", "/usr/bin/chromedriver");
        for _ in 0..5 {
            if let Some(driver) = Driver::try_start(&program) {
                return driver;
            }
        }
        panic!(
            "{} exited at start five times; {INSTALL}",
            program.display()
        );
    }

    fn try_start(program: &std::path::Path) -> Option<Driver> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL}", program.display()));
        let mut driver = Driver { child, port };
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(_)) = driver.child.try_wait() {
                return None;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver never listened on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(driver)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Headless Chromium in English at 1280×900, driven from synchronous tests: each call
/// runs on the browser's own small runtime, so the console helpers may block between
/// calls.
struct Browser {
    client: Option<Client>,
    runtime: tokio::runtime::Runtime,
    /// Where the page's relative paths go: `http://127.0.0.1:PORT`.
    base: String,
    _driver: Driver,
}

impl Browser {
    const WIDTH: u32 = 1280;
    const HEIGHT: u32 = 900;

    /// A new browser session against the web server at `addr`.
    fn start(addr: &str) -> Browser {
        let chromium = binary("RELAYDESK_CHROMIUM", "/usr/bin/chromium");
        let driver = Driver::start();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the browser");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    format!("--window-size={},{}", Self::WIDTH, Self::HEIGHT),
                    "--lang=en-US", "--hide-scrollbars",
                ],
                "prefs": {"intl.accept_languages": "en-US,en"},
            }),
        );
        let url = format!("http://127.0.0.1:{}", driver.port);
        let client = runtime
            .block_on(
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(caps)
                    .connect(&url),
            )
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}; {INSTALL}"));
        Browser {
            client: Some(client),
            runtime,
            base: format!("http://{addr}"),
            _driver: driver,
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("session open")
    }

    fn run<T>(&self, what: &str, f: impl std::future::Future<Output = Result<T, CmdError>>) -> T {
        self.runtime
            .block_on(f)
            .unwrap_or_else(|e| panic!("browser: {what}: {e}"))
    }

    /// Opens `path` on the web server.
    fn open(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.run(&format!("open {url}"), self.client().goto(&url));
    }

    /// The element `css` matches, waiting for it to appear.
    fn find(&self, css: &str) -> Element {
        let found = self
            .client()
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css));
        self.runtime.block_on(found).unwrap_or_else(|e| {
            panic!(
                "no element {css:?} on {}: {e}\n{}",
                self.url(),
                self.body_text()
            )
        })
    }

    /// Whether anything matches `css` now.
    fn has(&self, css: &str) -> bool {
        let all = self.client().find_all(Locator::Css(css));
        !self.run("find all", all).is_empty()
    }

    fn url(&self) -> String {
        self.run("current url", self.client().current_url())
            .to_string()
    }

    /// The page's visible text.
    fn body_text(&self) -> String {
        self.text("body").unwrap_or_default()
    }

    /// The visible text of `css` now; `None` when nothing matches.
    fn text(&self, css: &str) -> Option<String> {
        let text = async { self.client().find(Locator::Css(css)).await?.text().await };
        self.runtime.block_on(text).ok()
    }

    /// The visible text of `css`, once it contains `needle`: the page may still be on
    /// its way (a redirect, a form coming back).
    fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(text) = self.text(css).filter(|t| t.contains(needle)) {
                return text;
            }
            if Instant::now() > deadline {
                panic!(
                    "{css:?} never showed {needle:?} on {}; the page says:\n{}",
                    self.url(),
                    self.body_text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Types `text` into the field `css`.
    fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css);
        self.run(&format!("type into {css}"), field.send_keys(text));
    }

    /// Empties the field `css`.
    fn clear(&self, css: &str) {
        let field = self.find(css);
        self.run(&format!("clear {css}"), field.clear());
    }

    /// Picks the option whose value is `value` in the select `css`.
    fn select(&self, css: &str, value: &str) {
        let field = self.find(css);
        self.run(
            &format!("select {value} in {css}"),
            field.select_by_value(value),
        );
    }

    fn click(&self, css: &str) {
        let element = self.find(css);
        self.run(&format!("click {css}"), element.click());
    }

    /// A form field's current value.
    fn value(&self, css: &str) -> String {
        let field = self.find(css);
        self.run(&format!("value of {css}"), field.prop("value"))
            .unwrap_or_default()
    }

    fn attr(&self, css: &str, name: &str) -> Option<String> {
        let element = self.find(css);
        self.run(&format!("{name} of {css}"), element.attr(name))
    }

    /// Saves the whole page as `<RELAYDESK_SCREENSHOTS>/<name>` when that is set: the
    /// window grows to the page's height for the shot, then comes back.
    fn screenshot(&self, name: &str) {
        self.save_screenshot(name, true);
    }

    /// [`Browser::screenshot`] of what the window shows: for a page too long to show
    /// whole.
    fn screenshot_window(&self, name: &str) {
        self.save_screenshot(name, false);
    }

    fn save_screenshot(&self, name: &str, whole: bool) {
        let Some(dir) = std::env::var_os("RELAYDESK_SCREENSHOTS") else {
            return;
        };
        let client = self.client();
        // No focus ring on the field typed last; the window's height holds the
        // browser's own frame besides the page.
        let measured = self.run(
            "page height",
            client.execute(
                "if (document.activeElement) document.activeElement.blur();
                 return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight];",
                vec![],
            ),
        );
        if whole {
            let number = |i: usize| measured.get(i).and_then(|v| v.as_u64()).unwrap_or(0) as u32;
            let height = (number(0) + number(1)).clamp(Self::HEIGHT, 4000);
            self.run("resize", client.set_window_size(Self::WIDTH, height));
        }
        let png = self.run("screenshot", client.screenshot());
        if whole {
            self.run("resize", client.set_window_size(Self::WIDTH, Self::HEIGHT));
        }
        let dir = Path::new(&dir);
        std::fs::create_dir_all(dir).expect("make the screenshots folder");
        std::fs::write(dir.join(name), png).expect("write a screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
    }
}

/// The shipped `bot.toml` (its question types and product areas), mailing through
/// `smtp`, with agents' replies emailed after a one-second batch window.
fn mailing_workspace(smtp: &FakeSmtp) -> Workspace {
    let ws = Workspace::new();
    let shipped = std::fs::read_to_string(ws.path().join("bot.toml")).expect("read bot.toml");
    let toml = format!(
        "{shipped}\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"Support <support@example.com>\"\n\n[notify]\nbatch_window = \"1s\"\n",
        smtp.port()
    );
    std::fs::write(ws.path().join("bot.toml"), toml).expect("write bot.toml");
    ws
}

/// `relaydesk console` in `ws`, logging the web server's address.
fn console(ws: &Workspace) -> Console {
    let mut cmd = ws.command(&["console"]);
    cmd.env("RUST_LOG", "info");
    ws.console_with(cmd)
}

/// A small PNG (a 1×1 pixel) in `dir`, as a file someone would attach.
fn png_file(dir: &Path) -> PathBuf {
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
        0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    let path = dir.join("calendar-error.png");
    std::fs::write(&path, PNG).expect("write the attachment");
    path
}

/// Fills in the request form's fields but the subject and the attachments.
fn fill_request(browser: &Browser) {
    browser.type_into("#email", "ada@example.com");
    browser.select("#question_type", "technical");
    browser.type_into(
        "#description",
        "Since this morning the calendar shows every meeting twice.",
    );
    browser.select("#business_impact", "high");
    browser.select("#product_area", "calendar");
}

/// Waits for an email whose subject contains `subject`.
fn mail_about(smtp: &FakeSmtp, subject: &str) -> Received {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(mail) = smtp
            .received()
            .into_iter()
            .find(|m| m.subject().contains(subject))
        {
            return mail;
        }
        if Instant::now() > deadline {
            let subjects: Vec<String> = smtp.received().iter().map(Received::subject).collect();
            panic!("no email about {subject:?} came; the subjects: {subjects:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The path and query of the sign-in link in `mail`: the link names the configured
/// public URL, and the test's server listens on a port of its own.
fn signin_path(mail: &Received) -> String {
    let text = mail.text();
    let start = text
        .find("/activity/signin?token=")
        .unwrap_or_else(|| panic!("no sign-in link in {text:?}"));
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '>' || c == '"')
        .next()
        .expect("the link")
        .to_string()
}

#[test]
fn browser_request_form_then_my_activity_by_emailed_link() {
    let smtp = FakeSmtp::start();
    let ws = mailing_workspace(&smtp);
    let mut console = console(&ws);
    let addr = console.web_addr();
    let browser = Browser::start(&addr);

    // Refused without a subject: everything typed comes back, the message by its field;
    // a file is chosen again.
    let file = png_file(ws.path());
    let file = file.to_str().expect("a UTF-8 path");
    browser.open("/support/new");
    fill_request(&browser);
    browser.type_into("#subject", "Meetings appear twice");
    browser.type_into("#attachments", file);
    browser.screenshot("form.png");
    browser.clear("#subject");
    browser.click("form button[type=submit]");
    let error = browser.wait_text("#subject-error", "Enter a subject.");
    assert_eq!(error, "Enter a subject.");
    assert_eq!(
        browser.attr("#subject", "aria-describedby").as_deref(),
        Some("subject-error")
    );
    assert!(browser.has("p.errors[role=alert]"));
    assert_eq!(browser.value("#email"), "ada@example.com");
    assert_eq!(browser.value("#question_type"), "technical");
    assert_eq!(
        browser.value("#description"),
        "Since this morning the calendar shows every meeting twice."
    );
    assert_eq!(browser.value("#business_impact"), "high");
    assert_eq!(browser.value("#product_area"), "calendar");
    assert!(!browser.has("#email-error") && !browser.has("#description-error"));
    browser.screenshot("form-refused.png");

    // Completed, with a file: the confirmation names the ticket.
    browser.type_into("#subject", "Meetings appear twice");
    browser.type_into("#attachments", file);
    browser.click("form button[type=submit]");
    browser.wait_text("h1", "Request received");
    let body = browser.body_text();
    assert!(body.contains("Your ticket number is #1."), "{body}");
    browser.screenshot("confirmation.png");

    // The agents' card, with the file; the requester's confirmation email.
    console.expect("agent[support]> Ticket #1 · support");
    console.expect("[file] calendar-error.png");
    let confirmation = mail_about(&smtp, "ticket #1");
    assert_eq!(confirmation.to, ["ada@example.com"]);

    // An agent answers, and writes a note the requester never sees.
    console.say("/agent Thanks, looking into it");
    console.say("/agent // internal: check the invoice");
    let deadline = Instant::now() + WAIT;
    while !smtp
        .received()
        .iter()
        .any(|m| m.text().contains("Thanks, looking into it"))
    {
        assert!(
            Instant::now() < deadline,
            "the agent's reply was never emailed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // My activity: the address, the emailed link, Continue.
    browser.open("/activity");
    browser.type_into("#email", "ada@example.com");
    browser.click("form button[type=submit]");
    let link = signin_path(&mail_about(&smtp, "Your sign-in link"));
    browser.open(&link);
    browser.wait_text("form button[type=submit]", "Continue");
    browser.click("form button[type=submit]");
    browser.wait_text("h1", "My activity");
    let row = browser.wait_text("table tbody", "#1");
    assert!(row.contains("Meetings appear twice"), "{row}");
    browser.screenshot("activity-list.png");

    // The ticket: the agent's reply, not the note; a reply from the browser reaches
    // the agents.
    browser.click("a[href='/activity/tickets/1']");
    let transcript = browser.wait_text("ol.messages", "Thanks, looking into it");
    assert!(!transcript.contains("check the invoice"), "{transcript}");
    assert!(transcript.contains("calendar shows every meeting twice"));
    assert!(transcript.contains("calendar-error.png"), "{transcript}");
    assert!(
        transcript.contains("Replies come by email"),
        "a web requester is told where replies go: {transcript}"
    );
    browser.type_into("textarea[name=text]", "It happens on the phone app too.");
    browser.click("form[action$='/reply'] button[type=submit]");
    browser.wait_text("ol.messages", "It happens on the phone app too.");
    browser.screenshot("activity.png");
    let relayed = console.expect("It happens on the phone app too.");
    assert!(relayed.starts_with("agent[support]>"), "{relayed}");
    drop(browser);
    console.finish();
}

#[test]
fn browser_status_page_shows_slack_down_and_the_incident() {
    let fake = FakeSlack::start();
    slack::users(&fake);
    let ws = slack::workspace(&fake, "socket", "slack:CAGENTS");
    let bot = Bot::start(&ws);
    fake.wait_connected(WAIT);
    let addr = bot.web_addr();
    const INCIDENT: &str = "Replies in chat are delayed; we are on it.";
    let opened = ws.run(&["incident", "open", INCIDENT]);
    assert!(
        opened.status.success(),
        "{}",
        String::from_utf8_lossy(&opened.stderr)
    );

    let browser = Browser::start(&addr);
    browser.open("/status");
    let incident = browser.wait_text("section.incident", INCIDENT);
    assert!(incident.contains("Incident"), "{incident}");
    let notice = browser.wait_text("aside.notice", INCIDENT);
    assert!(notice.contains("Submit a request"), "{notice}");
    let slack_badge = "tr[data-adapter=slack] .badge";
    poll_status(&browser, slack_badge, "Connected");

    // The platform goes away: the page says so once the adapter notices.
    drop(fake);
    poll_status(&browser, slack_badge, "Down");
    assert_eq!(
        browser.attr(slack_badge, "class").as_deref(),
        Some("badge down")
    );
    let reason = browser.text("tr[data-adapter=slack] .reason");
    assert!(
        reason.is_some_and(|r| r.contains("Slack")),
        "{}",
        browser.body_text()
    );
    browser.screenshot("status.png");

    let closed = ws.run(&["incident", "close"]);
    assert!(closed.status.success());
    browser.open("/status");
    browser.find("table.adapters");
    assert!(!browser.has("section.incident"), "{}", browser.body_text());
    drop(browser);
    bot.terminate();
}

/// Reloads `/status` until `css` reads `label`.
fn poll_status(browser: &Browser, css: &str, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        browser.open("/status");
        if browser.text(css).is_some_and(|t| t == label) {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "the status page never showed {label:?} at {css:?}; it says:\n{}",
                browser.body_text()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn browser_korean_interface_is_remembered() {
    let ws = Workspace::new();
    let console = console(&ws);
    let addr = console.web_addr();
    let browser = Browser::start(&addr);

    browser.open("/");
    assert_eq!(browser.attr("html", "lang").as_deref(), Some("en"));
    browser.wait_text("nav.main-nav", "Submit a request");
    browser.screenshot_window("help.png");

    browser.open("/?lang=ko");
    assert_eq!(browser.attr("html", "lang").as_deref(), Some("ko"));
    let nav = browser.wait_text("nav.main-nav", "요청 제출");
    assert!(nav.contains("내 활동") && nav.contains("상태"), "{nav}");
    browser.screenshot_window("help-ko.png");

    // The choice is remembered: the next page has no `?lang`.
    browser.click("nav.main-nav a[href='/support/new']");
    browser.wait_text("h1", "요청 제출");
    assert_eq!(browser.attr("html", "lang").as_deref(), Some("ko"));
    assert!(browser.url().ends_with("/support/new"), "{}", browser.url());
    browser.screenshot("form-ko.png");
    drop(browser);
    console.finish();
}
