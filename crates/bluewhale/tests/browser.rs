//! The web console in a real headless Chromium against a `bluewhale serve`
//! process: signing in, searching calls and paging through them, the CSV
//! export, a manager's narrower view, language and theme. What the console
//! shows is compared with what the API answers for the same question.
//!
//! Each test starts its own server, on free ports, with its own data
//! directory: the Paris office of `tests/fixtures/rating` (departments
//! Sales, extension 2001, and Support, extension 2002) and generated calls
//! of April 2025 priced on its tariffs. The harness is
//! `tests/common/browser.rs`; without Chromium the tests are skipped (they
//! fail under `CI=true`).
//!
//! Two tests start servers of their own: the Live feed page watched while
//! `bluewhale simulate` sends Avaya records to a `tcp-listen` PBX, and the
//! Reports page, whose download is compared with the same report from the
//! command line.

mod common;

use common::browser::{self, ApiSession, Browser, Table};
use common::server::{Server, free_port, start};
use common::{ADMIN_PASSWORD, Bw, fixture_arg};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The period of the generated calls, as the console's address gives it.
const FROM: &str = "2025-04-01T00:00:00Z";
const TO: &str = "2025-05-01T00:00:00Z";
/// Calls of extension 2001 (Sales): more than two pages of 50.
const SALES_CALLS: usize = 110;
/// Calls of extension 2002 (Support).
const SUPPORT_CALLS: usize = 40;
const SALES: &str = r"Company\Sales";

/// The generated calls in the `pipe-calls` format ("start|seconds|from|to",
/// Paris time): each at a time of its own, so the newest-first order is
/// one order, to numbers the Acme tariff prices (fixed, mobile, UK).
fn calls_file() -> String {
    let numbers = ["0155512345", "0612345678", "00441234567890"];
    let mut lines = String::new();
    for i in 0..SALES_CALLS {
        let (day, hour) = (1 + i / 5, 9 + (i % 5) * 2);
        let seconds = 20 + (i * 37) % 300;
        let number = numbers[i % numbers.len()];
        lines += &format!("{day:02}.04.2025 {hour:02}:00:00|{seconds}|2001|{number}\n");
    }
    for i in 0..SUPPORT_CALLS {
        let (day, hour) = (1 + i / 2, 10 + (i % 2) * 4);
        let seconds = 15 + (i * 53) % 400;
        let number = numbers[(i + 1) % numbers.len()];
        lines += &format!("{day:02}.04.2025 {hour:02}:30:00|{seconds}|2002|{number}\n");
    }
    lines
}

/// A server for the console, with the store seeded.
struct Seeded {
    bw: Bw,
    server: Server,
}

impl Seeded {
    fn start() -> Seeded {
        let bw = Bw::with_directory_and_tariffs("rating/directory.toml", "rating/tariffs.toml");
        let calls = bw.data.path().join("april.txt");
        std::fs::write(&calls, calls_file()).unwrap();
        let format = fixture_arg("pipe_calls.toml");
        let summary = bw.import(&["--pbx", "pbx-paris", "--format", &format], &[calls]);
        let total = SALES_CALLS + SUPPORT_CALLS;
        assert!(summary.contains(&format!("{total} stored")), "{summary}");
        // A PBX that never sends: a server with no connector stops at once.
        let config = format!(
            "[server]\nhttp = \"127.0.0.1:{}\"\n\
             [[pbx]]\nname = \"pbx-paris\"\nformat = \"{format}\"\n\
             connector = {{ kind = \"tcp-listen\", listen = \"127.0.0.1:{}\" }}\n",
            free_port(),
            free_port()
        );
        std::fs::write(bw.data.path().join("server.toml"), config).unwrap();
        let server = start(&bw);
        Seeded { bw, server }
    }

    fn base(&self) -> String {
        format!("http://{}", self.server.http)
    }

    fn admin_api(&self) -> ApiSession {
        ApiSession::sign_in(&self.base(), "admin", ADMIN_PASSWORD)
    }
}

/// The server and a browser on its console, or `None` when the test is
/// skipped for want of Chromium.
fn console() -> Option<(Seeded, Browser)> {
    let tools = browser::tools()?;
    let seeded = Seeded::start();
    let browser = Browser::start(&tools, &seeded.base());
    Some((seeded, browser))
}

/// Signs in through the login form; returns once the shell shows the account.
fn sign_in(browser: &Browser, username: &str, password: &str) {
    browser.open("");
    browser.type_into("login-username", username);
    browser.type_into("login-password", password);
    browser.click("login-submit");
    browser.wait_for("whoami");
}

/// Opens the Calls page on April 2025 (the address carries the period, as a
/// bookmark would) and searches for `extension` through the form.
fn search_extension(browser: &Browser, extension: &str) {
    open_april(browser);
    browser.type_into("calls-extension", extension);
    browser.click("calls-search");
}

/// Opens the Calls page on April 2025; returns once the form shows that
/// period (the page fills it when it takes the address, which would
/// overwrite anything typed before).
fn open_april(browser: &Browser) {
    browser.open(&format!("calls?from={FROM}&to={TO}"));
    browser.wait_until("the form to show April", |b| {
        let (from, to) = (b.value("calls-from"), b.value("calls-to"));
        // The browser's zone is UTC; the field may leave out zero seconds.
        if from.starts_with("2025-04-01T00:00") && to.starts_with("2025-05-01T00:00") {
            Ok(())
        } else {
            Err(format!("from {from:?}, to {to:?}"))
        }
    });
}

/// The console's query for that search (without its page size).
fn console_query(extension: &str) -> Vec<(&str, &str)> {
    vec![("from", FROM), ("to", TO), ("extension", extension), ("sort", "-start")]
}

fn ids(calls: &[Value]) -> Vec<String> {
    calls.iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

/// Waits until the calls table shows exactly `expected` (ids, in order).
fn wait_for_rows(browser: &Browser, expected: &[String]) -> Table {
    browser.wait_until(&format!("the calls table to show {} given calls", expected.len()), |b| {
        let table = b.table("calls-table");
        if table.ids() == expected { Ok(table) } else { Err(format!("{:?}", table.ids())) }
    })
}

/// Clicks "show more" until it goes away, waiting for each further page;
/// returns the table then.
fn show_all(browser: &Browser) -> Table {
    let mut pages = 1;
    while browser.is_shown("calls-next") {
        let before = browser.table("calls-table").rows.len();
        browser.click("calls-next");
        browser.wait_until("the next page of calls", |b| {
            let now = b.table("calls-table").rows.len();
            if now > before { Ok(()) } else { Err(format!("{now} rows")) }
        });
        pages += 1;
        assert!(pages < 100, "\"show more\" never went away");
    }
    browser.table("calls-table")
}

#[test]
fn admin_signs_in_through_the_form_after_a_wrong_password() {
    let Some((_seeded, browser)) = console() else { return };
    browser.open("");
    browser.wait_for("login-username");
    assert!(browser.hash().starts_with("#/login"), "{}", browser.hash());
    assert!(!browser.is_shown("login-error"));

    browser.type_into("login-username", "admin");
    browser.type_into("login-password", "not the password");
    browser.click("login-submit");
    browser.wait_for("login-error");
    // The API's message, shown as it came; still on the sign-in page.
    assert_eq!(browser.text("login-error"), "wrong username or password");
    assert!(!browser.is_shown("whoami"));
    assert!(browser.is_shown("login-submit"));

    browser.type_into("login-password", ADMIN_PASSWORD);
    browser.click("login-submit");
    browser.wait_for("dashboard-cards");
    assert_eq!(browser.hash(), "#/dashboard");
    assert!(!browser.is_shown("login-username"));
    // The account's display name, its username as the title, its role.
    assert_eq!(browser.text("whoami"), "Administrator");
    assert_eq!(browser.attribute("whoami", "title").as_deref(), Some("admin"));
    assert_eq!(browser.text("whoami-role"), "Administrator");
    // An administrator sees every page.
    for page in ["nav-dashboard", "nav-calls", "nav-connectors", "nav-users", "nav-audit"] {
        assert!(browser.is_shown(page), "{page} hidden");
    }

    // The session outlives a reload; signing out ends it.
    browser.reload();
    browser.wait_for("dashboard-cards");
    assert_eq!(browser.text("whoami"), "Administrator");
    browser.click("nav-logout");
    browser.wait_for("login-username");
    browser.wait_gone("whoami");
    assert!(browser.hash().starts_with("#/login"), "{}", browser.hash());
}

#[test]
fn the_calls_of_an_extension_are_the_ones_the_api_returns_page_by_page() {
    let Some((seeded, browser)) = console() else { return };
    let api = seeded.admin_api();
    let mut first_page = console_query("2001");
    first_page.push(("limit", "50"));
    let (status, page) = api.get("/calls", &first_page);
    assert_eq!(status, 200, "{page}");
    let first = ids(page["calls"].as_array().unwrap());
    let all = api.all_calls(&console_query("2001"));
    assert_eq!((first.len(), all.len()), (50, SALES_CALLS));
    assert!(all.iter().all(|c| c["status"] == "rated"), "seeded calls are priced");

    sign_in(&browser, "admin", ADMIN_PASSWORD);
    browser.click("nav-calls");
    browser.wait_for("calls-search");
    assert!(browser.hash().starts_with("#/calls"), "{}", browser.hash());
    search_extension(&browser, "2001");
    wait_for_rows(&browser, &first);
    let hash = browser.hash();
    assert!(hash.contains("extension=2001"), "the search is in the address: {hash}");
    assert!(browser.is_shown("calls-next"), "more than a page, and \"show more\" is offered");

    let table = show_all(&browser);
    assert_eq!(table.ids(), ids(&all), "all pages, in the API's order, once each");
    assert!(!browser.is_shown("calls-next"));
    // The cells show the API's values.
    assert!(table.column("Extension").iter().all(|e| *e == "2001"));
    assert!(table.column("Department").iter().all(|d| *d == SALES));
    let costs: Vec<String> = all
        .iter()
        .map(|c| format!("{} {}", c["cost"].as_str().unwrap(), c["currency"].as_str().unwrap()))
        .collect();
    assert_eq!(table.column("Cost"), costs);
    let dialled: Vec<&str> = all.iter().map(|c| c["dialled"].as_str().unwrap()).collect();
    assert_eq!(table.column("Dialled"), dialled);
}

#[test]
fn the_csv_export_holds_the_calls_of_the_search() {
    let Some((seeded, browser)) = console() else { return };
    let all = seeded.admin_api().all_calls(&console_query("2001"));
    sign_in(&browser, "admin", ADMIN_PASSWORD);
    search_extension(&browser, "2001");
    wait_for_rows(&browser, &ids(&all[..50]));

    // The page shows 50 of the 110; the export has them all.
    browser.click("calls-export-csv");
    let file = browser.wait_for_download("calls.csv");
    let mut reader = csv::Reader::from_path(&file).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| {
        headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name}: {headers:?}"))
    };
    let (id, extension, cost) = (column("id"), column("extension"), column("cost"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), SALES_CALLS);
    assert!(rows.iter().all(|r| &r[extension] == "2001"));
    let mut exported: Vec<(String, String)> =
        rows.iter().map(|r| (r[id].to_string(), r[cost].to_string())).collect();
    let mut searched: Vec<(String, String)> = all
        .iter()
        .map(|c| (c["id"].as_str().unwrap().into(), c["cost"].as_str().unwrap().into()))
        .collect();
    exported.sort();
    searched.sort();
    assert_eq!(exported, searched);
}

#[test]
fn a_manager_sees_only_the_calls_of_its_department() {
    let Some((seeded, browser)) = console() else { return };
    let sales = seeded.bw.store().department_subtree(SALES).unwrap();
    assert_eq!(sales.len(), 1, "Sales has no departments below it");
    let admin = seeded.admin_api();
    let password = "sales manager password";
    let (status, created) = admin.post(
        "/accounts",
        &json!({
            "username": "sales-manager",
            "display_name": "Sales Manager",
            "role": "manager",
            "department_ids": sales,
            "password": password,
        }),
    );
    assert_eq!(status, 201, "{created}");
    let period = [("from", FROM), ("to", TO)];
    let support = admin.all_calls(&console_query("2002"));
    assert_eq!(support.len(), SUPPORT_CALLS);

    sign_in(&browser, "sales-manager", password);
    assert_eq!(browser.text("whoami"), "Sales Manager");
    assert_eq!(browser.text("whoami-role"), "Manager");
    assert!(!browser.is_shown("nav-users"), "a manager has no Users page");

    // The whole month, no filter: the manager's calls are Sales' only.
    let manager = ApiSession::sign_in(&seeded.base(), "sales-manager", password);
    let mut query = period.to_vec();
    query.push(("sort", "-start"));
    let visible = manager.all_calls(&query);
    assert_eq!(visible.len(), SALES_CALLS);
    open_april(&browser);
    wait_for_rows(&browser, &ids(&visible[..50]));
    let table = show_all(&browser);
    assert_eq!(table.ids(), ids(&visible));
    assert!(table.column("Department").iter().all(|d| *d == SALES));
    assert!(table.column("Extension").iter().all(|e| *e == "2001"));

    // Support's extension finds nothing, in the console and in the API.
    browser.type_into("calls-extension", "2002");
    browser.click("calls-search");
    browser.wait_for("calls-empty");
    assert!(browser.table("calls-table").rows.is_empty());
    assert!(browser.hash().contains("extension=2002"), "{}", browser.hash());
    assert!(manager.all_calls(&console_query("2002")).is_empty());
    let other = support[0]["id"].as_str().unwrap();
    let (status, body) = manager.get(&format!("/calls/{other}"), &[]);
    assert_eq!(status, 404, "{body}");
    let own = visible[0]["id"].as_str().unwrap();
    let (status, body) = manager.get(&format!("/calls/{own}"), &[]);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn the_language_switch_and_the_theme_toggle_change_the_console() {
    let Some((_seeded, browser)) = console() else { return };
    sign_in(&browser, "admin", ADMIN_PASSWORD);
    browser.wait_for("dashboard-cards");
    assert_eq!(browser.text("nav-calls"), "Calls");
    assert_eq!(browser.text("nav-dashboard"), "Dashboard");

    browser.click("lang-zh");
    browser.wait_until("the navigation in Chinese", |b| {
        let label = b.text("nav-calls");
        if label == "通话记录" { Ok(()) } else { Err(label) }
    });
    assert_eq!(browser.text("nav-dashboard"), "总览");
    assert_eq!(browser.text("nav-connectors"), "连接器");
    assert_eq!(browser.attribute("lang-zh", "aria-pressed").as_deref(), Some("true"));
    let lang = browser.script("return document.documentElement.lang", vec![]);
    assert_eq!(lang, "zh-CN");
    // Remembered: a reload keeps Chinese.
    browser.reload();
    browser.wait_for("nav-calls");
    assert_eq!(browser.text("nav-calls"), "通话记录");
    browser.click("lang-en");
    browser.wait_until("the navigation in English", |b| {
        let label = b.text("nav-calls");
        if label == "Calls" { Ok(()) } else { Err(label) }
    });

    let look = |b: &Browser| {
        let state = b.script(
            "return [document.documentElement.dataset.theme,
                     getComputedStyle(document.body).backgroundColor]",
            vec![],
        );
        (state[0].as_str().unwrap_or_default().to_string(), state[1].to_string())
    };
    let (theme, background) = look(&browser);
    assert!(theme == "light" || theme == "dark", "{theme}");
    browser.click("theme-toggle");
    let (toggled, toggled_background) = look(&browser);
    let expected = if theme == "light" { "dark" } else { "light" };
    assert_eq!(toggled, expected);
    assert_ne!(toggled_background, background, "the page's colours follow the theme");
    browser.reload();
    browser.wait_for("theme-toggle");
    assert_eq!(look(&browser).0, expected, "the theme is remembered");
    browser.click("theme-toggle");
    assert_eq!(look(&browser), (theme, background));
}

/// The report's lines without the one saying when it was made, which
/// differs between two runs of the same report.
fn without_generated_line(report: &str) -> Vec<&str> {
    report.lines().filter(|line| !line.starts_with("Generated")).collect()
}

#[test]
fn a_report_run_in_the_console_downloads_what_the_command_line_writes() {
    let Some((seeded, browser)) = console() else { return };
    sign_in(&browser, "admin", ADMIN_PASSWORD);
    browser.click("nav-reports");
    browser.wait_until("the report catalogue", |b| {
        let names = b.script(
            "return [...document.querySelector(arguments[0]).options].map((o) => o.value)",
            vec![browser::test_id("reports-select").into()],
        );
        let names: Vec<&str> =
            names.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if names.contains(&"extension") { Ok(()) } else { Err(format!("{names:?}")) }
    });
    // The itemised calls of Sales' extension in April, as CSV, in English.
    browser.set_value("reports-select", "extension");
    browser.set_value("reports-from", "2025-04-01");
    browser.set_value("reports-to", "2025-04-30");
    browser.set_value("reports-format", "csv");
    browser.set_value("reports-language", "en");
    browser.type_into("reports-extension", "2001");
    browser.click("reports-run");
    browser.wait_for("reports-download");
    let progress = browser.attribute("reports-progress", "value");
    assert_eq!(progress.as_deref(), Some("100"), "a finished run shows its whole bar");
    let name = browser.attribute("reports-download", "download").expect("a file name");
    assert!(name.ends_with(".csv"), "{name}");
    browser.click("reports-download");
    let downloaded = std::fs::read_to_string(browser.wait_for_download(&name)).unwrap();

    let command_line = seeded.bw.ok(&[
        "report",
        "extension",
        "--extension",
        "2001",
        "--from",
        "2025-04-01",
        "--to",
        "2025-04-30",
        "--format",
        "csv",
        "--lang",
        "en",
    ]);
    assert_eq!(without_generated_line(&downloaded), without_generated_line(&command_line));
    // And what it holds: each of the extension's calls once, as the API
    // prices them (the CSV's cost column against the API's costs).
    let calls = seeded.admin_api().all_calls(&console_query("2001"));
    assert_eq!(calls.len(), SALES_CALLS);
    let mut api_costs: Vec<&str> = calls.iter().map(|c| c["cost"].as_str().unwrap()).collect();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(downloaded.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let header = records
        .iter()
        .position(|r| r.iter().any(|f| f == "Cost"))
        .unwrap_or_else(|| panic!("no header row with a Cost column:\n{downloaded}"));
    let cost = records[header].iter().position(|f| f == "Cost").unwrap();
    let dialled = records[header].iter().position(|f| f == "Dialled" || f == "Number");
    let rows: Vec<&csv::StringRecord> = records[header + 1..]
        .iter()
        .filter(|r| dialled.is_none_or(|d| r.get(d).is_some_and(|n| !n.is_empty())))
        .collect();
    let mut report_costs: Vec<&str> = rows.iter().map(|r| &r[cost]).collect();
    api_costs.sort();
    report_costs.sort();
    assert_eq!(report_costs, api_costs, "{downloaded}");
}

/// The number a counter of the page shows ("4,000" is 4000).
fn shown_number(browser: &Browser, test: &str) -> u64 {
    let digits: String = browser.text(test).chars().filter(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

/// `bluewhale simulate` sending Avaya records to `port`, in the background.
fn simulator(bw: &Bw, port: u16, count: u64, rate: u64) -> std::process::Child {
    let target = format!("tcp://127.0.0.1:{port}");
    let (count, rate) = (count.to_string(), rate.to_string());
    let args =
        ["simulate", "--target", &target, "--format", "avaya", "--rate", &rate, "--count", &count];
    bw.process(&[&args[..], &["--json"]].concat())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the simulator; the records it sent.
fn sent(sender: std::process::Child) -> u64 {
    let output = sender.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    summary["records"].as_u64().unwrap_or_else(|| panic!("no record count: {summary}"))
}

/// A server on `bw`'s store with one PBX, `pbx`, whose records come in
/// `format` to a `tcp-listen` connector on `port`, and a browser signed in
/// to its console as the administrator.
fn signed_in_console(
    tools: &browser::Tools,
    bw: &Bw,
    pbx: &str,
    format: &str,
    port: u16,
) -> (Server, Browser) {
    let config = format!(
        "[server]\nhttp = \"127.0.0.1:{}\"\n\
         [[pbx]]\nname = \"{pbx}\"\nformat = \"{format}\"\n\
         connector = {{ kind = \"tcp-listen\", listen = \"127.0.0.1:{port}\" }}\n",
        free_port()
    );
    std::fs::write(bw.data.path().join("server.toml"), config).unwrap();
    let server = start(bw);
    let browser = Browser::start(tools, &format!("http://{}", server.http));
    sign_in(&browser, "admin", ADMIN_PASSWORD);
    (server, browser)
}

#[test]
fn the_live_feed_shows_the_calls_while_the_simulator_sends_them() {
    let Some(tools) = browser::tools() else { return };
    let bw = Bw::new();
    bw.ok(&["load", &common::fixture_arg("serve/directory.toml")]);
    let port = free_port();
    let (server, browser) = signed_in_console(&tools, &bw, "avaya-hq", "avaya:avaya-97", port);
    let base = format!("http://{}", server.http);
    browser.click("nav-live");
    browser.wait_for("live-connected");
    assert_eq!(shown_number(&browser, "live-count"), 0);
    assert!(browser.table("live-table").rows.is_empty());

    // 4,000 calls over about ten seconds: the page, updated each second,
    // shows the count growing while they come.
    const SENT: u64 = 4000;
    let sender = simulator(&bw, port, SENT, 400);
    let mut counts = BTreeSet::new();
    let mut top_rate = 0;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let count = shown_number(&browser, "live-count");
        counts.insert(count);
        top_rate = top_rate.max(shown_number(&browser, "live-rate"));
        if count >= SENT {
            break;
        }
        assert!(Instant::now() < deadline, "the count stopped at {count}; seen {counts:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(sent(sender), SENT);
    let between: Vec<&u64> = counts.iter().filter(|c| **c > 0 && **c < SENT).collect();
    assert!(between.len() >= 3, "the count grew as calls came: {counts:?}");
    // Every call counted once: nothing more comes.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(shown_number(&browser, "live-count"), SENT);
    assert!(top_rate > 0, "a rate of calls per second was shown while they came");

    // The rows are stored calls, each once, newest first, at most 200.
    let api = ApiSession::sign_in(&base, "admin", ADMIN_PASSWORD);
    let table = browser.table("live-table");
    let shown = table.ids();
    assert!(!shown.is_empty() && shown.len() <= 200, "{} rows", shown.len());
    assert_eq!(shown.iter().collect::<BTreeSet<_>>().len(), shown.len(), "a call shown twice");
    for id in shown.iter().take(5) {
        let (status, call) = api.get(&format!("/calls/{id}"), &[]);
        assert_eq!(status, 200, "{id}: {call}");
    }

    // Paused: the counters go on, the rows stay as they were.
    browser.click("live-pause");
    assert_eq!(browser.attribute("live-pause", "aria-pressed").as_deref(), Some("true"));
    assert_eq!(sent(simulator(&bw, port, 500, 0)), 500);
    browser.wait_until("the paused feed to count the new calls", |b| {
        let count = shown_number(b, "live-count");
        if count == SENT + 500 { Ok(()) } else { Err(count.to_string()) }
    });
    assert_eq!(browser.table("live-table").ids(), shown);
    // Resumed: the next calls are shown again.
    browser.click("live-pause");
    assert_eq!(sent(simulator(&bw, port, 100, 0)), 100);
    browser.wait_until("the resumed feed to show new calls", |b| {
        let now = b.table("live-table").ids();
        if now.first() != shown.first() { Ok(()) } else { Err(format!("{} rows", now.len())) }
    });
    assert_eq!(shown_number(&browser, "live-count"), SENT + 600);
    drop(browser);
    server.stop();
}

/// A call that is a leg of Cisco's ad hoc conference (the records of
/// `tests/fixtures/correlate`, imported): its details show the logical
/// call's six legs, each paid by the controller 2001, the call counted by
/// one of them; the API says the same.
#[test]
fn a_conference_call_shows_its_legs_and_who_pays_for_each() {
    let Some(tools) = browser::tools() else { return };
    let bw = Bw::new();
    bw.ok(&["load", &fixture_arg("correlate/directory.toml")]);
    let records = std::path::PathBuf::from(fixture_arg("correlate/conference.csv"));
    let summary = bw.import(&["--pbx", "cucm-hq"], &[records]);
    assert!(summary.contains("6 stored"), "{summary}");
    let (server, browser) = signed_in_console(&tools, &bw, "cucm-hq", "cucm", free_port());
    let base = format!("http://{}", server.http);
    open_april(&browser);
    browser.click("calls-search");
    browser.click("call-row");
    let legs = browser.wait_until("the conference's legs", |b| {
        let table = b.table("call-legs");
        if table.rows.len() == 6 { Ok(table) } else { Err(format!("{table:?}")) }
    });
    assert!(legs.column("Paid by").iter().all(|p| *p == "2001"), "{legs:?}");
    assert_eq!(legs.column("Counted").iter().filter(|c| **c == "yes").count(), 1, "{legs:?}");
    assert!(legs.column("Part").contains(&"Conference leg"), "{legs:?}");

    let api = ApiSession::sign_in(&base, "admin", ADMIN_PASSWORD);
    let first = &legs.ids()[0];
    let (status, call) = api.get(&format!("/calls/{first}"), &[]);
    assert_eq!(status, 200, "{call}");
    let from_api: Vec<String> =
        call["legs"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().into()).collect();
    assert_eq!(legs.ids(), from_api);
    assert_eq!(call["features"], json!(["conference"]), "{call}");
}
