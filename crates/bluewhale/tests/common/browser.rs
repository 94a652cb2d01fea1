//! The console in a real headless Chromium, driven over WebDriver
//! (`chromedriver` and `fantoccini`), for end-to-end tests; and the API
//! signed in as an account, to compare what the console shows with what
//! the server answers.
//!
//! Every helper blocks: the WebDriver client runs on a runtime of its own,
//! so tests stay plain `#[test]` functions like the others. Waits poll the
//! page until a condition holds or a timeout passes; none sleeps a fixed
//! time hoping the page is ready.
//!
//! Downloads: the browser saves them into a temporary directory of its own
//! (Chrome's `download.default_directory` preference), and
//! [`Browser::wait_for_download`] waits for the finished file there.

use serde_json::{Value, json};
use std::future::Future;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a wait for the page lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);
/// Longest a single WebDriver command may take.
const COMMAND: Duration = Duration::from_secs(60);
/// Between two looks at the page while waiting.
const POLL: Duration = Duration::from_millis(50);

/// The Debian packages that provide the two programs.
const INSTALL: &str = "apt-get install chromium chromium-driver";

/// Where the browser and its driver are.
#[derive(Debug, Clone)]
pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// Finds `chromium` and `chromedriver` (in `/usr/bin`, else on `PATH`).
/// When either is missing: under CI (`CI=true`) the test fails saying what
/// to install; elsewhere it prints that it is skipped and why, and the
/// caller returns.
pub fn tools() -> Option<Tools> {
    let chromium = find_program("chromium");
    let chromedriver = find_program("chromedriver");
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => Some(Tools { chromium, chromedriver }),
        (chromium, chromedriver) => {
            let missing: Vec<&str> =
                [("chromium", chromium.is_none()), ("chromedriver", chromedriver.is_none())]
                    .into_iter()
                    .filter_map(|(name, gone)| gone.then_some(name))
                    .collect();
            let why = format!("{} not found (install them: {INSTALL})", missing.join(" and "));
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("the browser tests need a headless Chromium: {why}");
            }
            eprintln!("skipped: the browser tests need a headless Chromium: {why}");
            None
        }
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    let usual = Path::new("/usr/bin").join(name);
    if usual.is_file() {
        return Some(usual);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// One browser at a time per test binary: several Chromiums at once on a
/// two-core machine make every wait slow and the tests flaky.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

/// `chromedriver` on a free port, its process group killed on drop (the
/// Chromium it started is in it).
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start(tools: &Tools, log: &Path) -> Driver {
        let port = super::server::free_port();
        let log_file = std::fs::File::create(log).unwrap();
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            // The console shows local times: the same zone on every machine.
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", tools.chromedriver.display()));
        let mut driver = Driver { child, url: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!("chromedriver exited ({status}): {}", read_log(log));
            }
            assert!(Instant::now() < deadline, "chromedriver never listened: {}", read_log(log));
            std::thread::sleep(POLL);
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and any browser left behind.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

fn read_log(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// A table as the page shows it: header texts and rows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One body row: its `data-id` (if any) and each cell's text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Row {
    pub id: Option<String>,
    pub cells: Vec<String>,
}

impl Table {
    /// The rows' `data-id`s, in order.
    pub fn ids(&self) -> Vec<String> {
        self.rows.iter().map(|r| r.id.clone().unwrap_or_default()).collect()
    }

    /// The texts of the column headed `header`, one per row.
    pub fn column(&self, header: &str) -> Vec<&str> {
        let at = self
            .headers
            .iter()
            .position(|h| h == header)
            .unwrap_or_else(|| panic!("no column {header:?} in {:?}", self.headers));
        self.rows.iter().map(|r| r.cells.get(at).map(String::as_str).unwrap_or_default()).collect()
    }
}

/// A headless Chromium with a fresh profile, signed in to nothing, showing
/// the console of the server at `base`.
pub struct Browser {
    rt: tokio::runtime::Runtime,
    client: Option<fantoccini::Client>,
    /// The console's address, `http://host:port`.
    pub base: String,
    downloads: tempfile::TempDir,
    driver: Driver,
    profile: tempfile::TempDir,
    _one: MutexGuard<'static, ()>,
}

/// The CSS selector of the elements named `test`.
pub fn test_id(test: &str) -> String {
    format!("[data-test=\"{test}\"]")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium (1280×900, English),
    /// waiting first for any other browser of this test binary to close.
    pub fn start(tools: &Tools, base: &str) -> Browser {
        let one = ONE_BROWSER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let profile = tempfile::tempdir().unwrap();
        let downloads = tempfile::tempdir().unwrap();
        let driver = Driver::start(tools, &profile.path().join("chromedriver.log"));
        let mut args = vec![
            "--headless=new".to_string(),
            format!("--user-data-dir={}", profile.path().join("chromium").display()),
            "--window-size=1280,900".into(),
            "--lang=en-US".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--no-first-run".into(),
            "--no-default-browser-check".into(),
        ];
        if running_as_root() {
            // Chromium refuses to start its sandbox as root.
            args.push("--no-sandbox".into());
        }
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": tools.chromium,
                "args": args,
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                    "intl.accept_languages": "en-US,en",
                },
            },
        });
        let Value::Object(capabilities) = capabilities else { unreachable!() };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = rt
            .block_on(async {
                tokio::time::timeout(
                    COMMAND,
                    fantoccini::ClientBuilder::new(connector)
                        .capabilities(capabilities)
                        .connect(&driver.url),
                )
                .await
            })
            .unwrap_or_else(|_| panic!("Chromium did not start in {COMMAND:?}"))
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start Chromium: {e}\n{}",
                    read_log(&profile.path().join("chromedriver.log"))
                )
            });
        let browser = Browser {
            rt,
            client: Some(client),
            base: base.trim_end_matches('/').to_string(),
            downloads,
            driver,
            profile,
            _one: one,
        };
        let timeouts =
            fantoccini::wd::TimeoutConfiguration::new(Some(COMMAND), Some(COMMAND), None);
        browser.run("set timeouts", |c| async move { c.update_timeouts(timeouts).await });
        browser
    }

    fn client(&self) -> fantoccini::Client {
        self.client.clone().expect("the session is open until drop")
    }

    /// Runs one WebDriver exchange; fails the test if it errs or hangs.
    fn run<T, F, Fut>(&self, what: &str, f: F) -> T
    where
        F: FnOnce(fantoccini::Client) -> Fut,
        Fut: Future<Output = Result<T, fantoccini::error::CmdError>>,
    {
        let client = self.client();
        match self.rt.block_on(async { tokio::time::timeout(COMMAND, f(client)).await }) {
            Ok(Ok(value)) => value,
            Ok(Err(e)) => panic!("{what}: {e}"),
            Err(_) => panic!("{what}: no answer from the browser in {COMMAND:?}"),
        }
    }

    /// Loads the console at `#/route` (`""` for the start page).
    pub fn open(&self, route: &str) {
        let url = if route.is_empty() {
            format!("{}/", self.base)
        } else {
            format!("{}/#/{route}", self.base)
        };
        self.run(&format!("open {url}"), |c| async move { c.goto(&url).await });
    }

    /// Reloads the page.
    pub fn reload(&self) {
        self.run("reload", |c| async move { c.refresh().await });
    }

    /// Runs `script` in the page (`arguments[i]` are `args`); its result.
    pub fn script(&self, script: &str, args: Vec<Value>) -> Value {
        let script = script.to_string();
        self.run("script", |c| async move { c.execute(&script, args).await })
    }

    /// The address's `#…` part.
    pub fn hash(&self) -> String {
        self.script("return location.hash", vec![]).as_str().unwrap_or_default().to_string()
    }

    /// Polls `probe` until it returns `Ok`; fails the test after [`WAIT`],
    /// saying `what` it waited for and the last `Err` (what it saw).
    pub fn wait_until<T>(
        &self,
        what: &str,
        mut probe: impl FnMut(&Browser) -> Result<T, String>,
    ) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            match probe(self) {
                Ok(value) => return value,
                Err(last) if Instant::now() >= deadline => {
                    panic!("waited {WAIT:?} for {what}; last seen: {last}")
                }
                Err(_) => std::thread::sleep(POLL),
            }
        }
    }

    /// Whether the first element named `test` exists and is shown.
    pub fn is_shown(&self, test: &str) -> bool {
        let shown = self.script(
            "const e = document.querySelector(arguments[0]);
             return Boolean(e && e.checkVisibility());",
            vec![test_id(test).into()],
        );
        shown == Value::Bool(true)
    }

    /// Waits until an element named `test` is shown.
    pub fn wait_for(&self, test: &str) {
        self.wait_until(&format!("[data-test={test}] to be shown"), |b| {
            if b.is_shown(test) { Ok(()) } else { Err("not shown".into()) }
        });
    }

    /// Waits until no element named `test` is shown.
    pub fn wait_gone(&self, test: &str) {
        self.wait_until(&format!("[data-test={test}] to be hidden"), |b| {
            if b.is_shown(test) { Err("still shown".into()) } else { Ok(()) }
        });
    }

    /// Clicks the first element named `test`, once it is shown.
    pub fn click(&self, test: &str) {
        self.wait_for(test);
        let selector = test_id(test);
        self.run(&format!("click [data-test={test}]"), |c| async move {
            c.find(fantoccini::Locator::Css(&selector)).await?.click().await
        });
    }

    /// Replaces the text of the field named `test` with `text`, typed key
    /// by key.
    pub fn type_into(&self, test: &str, text: &str) {
        self.wait_for(test);
        let selector = test_id(test);
        let text = text.to_string();
        self.run(&format!("type into [data-test={test}]"), |c| async move {
            let field = c.find(fantoccini::Locator::Css(&selector)).await?;
            field.clear().await?;
            field.send_keys(&text).await
        });
    }

    /// Sets the value of the field or list named `test` as a person choosing
    /// it would (the page hears `input` and `change`). For dates and lists,
    /// whose typing differs from one locale to another.
    pub fn set_value(&self, test: &str, value: &str) {
        self.wait_for(test);
        let set = self.script(
            "const e = document.querySelector(arguments[0]);
             e.value = arguments[1];
             e.dispatchEvent(new Event('input', { bubbles: true }));
             e.dispatchEvent(new Event('change', { bubbles: true }));
             return e.value;",
            vec![test_id(test).into(), value.into()],
        );
        assert_eq!(set.as_str(), Some(value), "[data-test={test}] does not take {value:?}");
    }

    /// The text of the first element named `test` (empty if none).
    pub fn text(&self, test: &str) -> String {
        let text = self.script(
            "const e = document.querySelector(arguments[0]);
             return e ? e.textContent.trim() : '';",
            vec![test_id(test).into()],
        );
        text.as_str().unwrap_or_default().to_string()
    }

    /// The value of the first field named `test` (empty if none).
    pub fn value(&self, test: &str) -> String {
        let value = self.script(
            "const e = document.querySelector(arguments[0]);
             return e ? e.value : '';",
            vec![test_id(test).into()],
        );
        value.as_str().unwrap_or_default().to_string()
    }

    /// An attribute of the first element named `test`.
    pub fn attribute(&self, test: &str, name: &str) -> Option<String> {
        let value = self.script(
            "const e = document.querySelector(arguments[0]);
             return e ? e.getAttribute(arguments[1]) : null;",
            vec![test_id(test).into(), name.into()],
        );
        value.as_str().map(str::to_string)
    }

    /// The table named `test` as shown now (no rows when there is none),
    /// read in one go so a page redrawing it cannot tear the reading.
    pub fn table(&self, test: &str) -> Table {
        let table = self.script(
            "const t = document.querySelector(arguments[0]);
             const text = (n) => n.textContent.replace(/\\s+/g, ' ').trim();
             if (!t) return { headers: [], rows: [] };
             return {
               headers: [...t.querySelectorAll('thead th')].map(text),
               rows: [...t.querySelectorAll('tbody tr')].map((tr) => ({
                 id: tr.dataset.id ?? null,
                 cells: [...tr.cells].map(text),
               })),
             };",
            vec![test_id(test).into()],
        );
        serde_json::from_value(table).unwrap()
    }

    /// Waits for the browser to finish downloading `name`; its path.
    pub fn wait_for_download(&self, name: &str) -> PathBuf {
        let path = self.downloads.path().join(name);
        let dir = self.downloads.path().to_path_buf();
        self.wait_until(&format!("the download of {name}"), |_| {
            // Chrome writes `….crdownload` and renames it once complete.
            let entries: Vec<String> = std::fs::read_dir(&dir)
                .map_err(|e| e.to_string())?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            let partial = entries.iter().any(|n| n.ends_with(".crdownload"));
            if path.is_file() && !partial { Ok(()) } else { Err(format!("files: {entries:?}")) }
        });
        path
    }

    /// The PNG of the window, for a look when a test goes wrong.
    pub fn screenshot(&self, path: &Path) {
        let png = self.run("screenshot", |c| async move { c.screenshot().await });
        std::fs::write(path, png).unwrap();
    }

    /// The end of chromedriver's log.
    pub fn driver_log(&self) -> String {
        read_log(&self.profile.path().join("chromedriver.log"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let close =
                async { tokio::time::timeout(Duration::from_secs(10), client.close()).await };
            let _ = self.rt.block_on(close);
        }
        // Then the fields drop: the driver's process group is killed.
    }
}

fn running_as_root() -> bool {
    // The owner of /proc/self is the process's effective user.
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// The API signed in as one account, as the console would be: its session
/// cookie, and its CSRF token on changes.
pub struct ApiSession {
    agent: ureq::Agent,
    base: String,
    cookie: String,
    csrf: String,
    /// The account as `POST /session` returned it.
    pub account: Value,
}

impl ApiSession {
    /// Signs in at `base` (`http://host:port`) as `username`.
    pub fn sign_in(base: &str, username: &str, password: &str) -> ApiSession {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let base = format!("{}{}", base.trim_end_matches('/'), "/api/v1");
        let body = json!({ "username": username, "password": password }).to_string();
        let mut response = agent
            .post(format!("{base}/session"))
            .content_type("application/json")
            .send(&body)
            .unwrap();
        let status = response.status().as_u16();
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.split(';').next())
            .map(str::to_string);
        let answer: Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        assert_eq!(status, 200, "signing in as {username}: {answer}");
        let cookie = cookie.unwrap_or_else(|| panic!("no session cookie for {username}"));
        let csrf = answer["csrf"].as_str().unwrap_or_default().to_string();
        ApiSession { agent, base, cookie, csrf, account: answer["account"].clone() }
    }

    /// `GET /api/v1{path}` with `query`: the status and the JSON body.
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let mut request =
            self.agent.get(format!("{}{path}", self.base)).header("Cookie", &self.cookie);
        for (name, value) in query {
            request = request.query(*name, *value);
        }
        answer(request.call().unwrap())
    }

    /// `POST /api/v1{path}` with a JSON body: the status and the JSON body.
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .header("X-CSRF-Token", &self.csrf)
            .content_type("application/json")
            .send(&body.to_string())
            .unwrap();
        answer(response)
    }

    /// Every call of `GET /calls` for `query`, following the cursor.
    pub fn all_calls(&self, query: &[(&str, &str)]) -> Vec<Value> {
        let mut calls = Vec::new();
        let mut cursor = String::new();
        loop {
            let mut page_query = query.to_vec();
            if !cursor.is_empty() {
                page_query.push(("cursor", &cursor));
            }
            let (status, page) = self.get("/calls", &page_query);
            assert_eq!(status, 200, "GET /calls {query:?}: {page}");
            calls.extend(page["calls"].as_array().unwrap().iter().cloned());
            match page["next"].as_str() {
                Some(next) => cursor = next.to_string(),
                None => return calls,
            }
        }
    }
}

fn answer(mut response: ureq::http::Response<ureq::Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
    (status, body)
}
