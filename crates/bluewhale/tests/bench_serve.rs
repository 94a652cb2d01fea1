//! `bluewhale bench serve`: short runs of the server and the simulator as
//! child processes, into the embedded store and into a PostgreSQL main
//! database (skipped, with a message, where no PostgreSQL can be started,
//! except in CI).

use assert_cmd::Command;
use mainstore::testing::ThrowawayPostgres;
use serde_json::Value;

fn bench_serve(args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("bluewhale").unwrap();
    cmd.args(["bench", "serve", "--connections", "8", "--extensions", "2000"]).args(args);
    cmd
}

fn figures(args: &[&str]) -> Value {
    let out = bench_serve(args).arg("--json").assert().success().get_output().clone();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn number(v: &Value, field: &str) -> f64 {
    v[field].as_f64().unwrap_or_else(|| panic!("no {field} in {v}"))
}

#[test]
fn a_short_run_stores_every_record_sent_once_and_reports_its_figures() {
    let v = figures(&["--count", "20000"]);
    assert_eq!(v["timed_until"], "all stored", "{v}");
    for field in ["sent", "stored", "rows"] {
        assert_eq!(v[field], 20000, "{field}: {v}");
    }
    assert_eq!(v["duplicates"], 0, "{v}");
    assert_eq!(v["quarantined"], 0, "{v}");
    let seconds = number(&v, "seconds");
    assert!(seconds > 0.0, "{v}");
    // The rate is what was stored over the time taken.
    assert!((number(&v, "cdr_per_s") * seconds / 20000.0 - 1.0).abs() < 0.01, "{v}");
    let max = number(&v, "rss_max_mib");
    assert!(max >= number(&v, "rss_idle_mib") && max > 0.0, "{v}");
    assert!(number(&v, "rss_first_minute_max_mib") <= max, "{v}");
    assert!(number(&v, "rss_last_minute_max_mib") <= max, "{v}");
    assert!(number(&v, "rss_samples") >= 1.0, "{v}");
    assert!(number(&v, "server_cpu_seconds") > 0.0, "{v}");
}

#[test]
fn a_comparison_runs_the_server_with_correlation_on_and_off_and_gives_the_medians() {
    let v = figures(&["--count", "5000", "--compare-correlation", "1"]);
    for side in ["on", "off"] {
        assert_eq!(v[side]["runs"], 1, "{v}");
        for field in ["cdr_per_s", "cpu_seconds", "peak_rss_mib"] {
            assert!(number(&v[side], field) > 0.0, "{side} {field}: {v}");
        }
    }
    let cost = 100.0 * (1.0 - number(&v["on"], "cdr_per_s") / number(&v["off"], "cdr_per_s"));
    assert!((number(&v, "cost_percent") - cost).abs() < 0.01, "{v}");
    assert_eq!(v["pair_cost_percent"].as_array().map(Vec::len), Some(1), "{v}");

    let none = bench_serve(&["--count", "10", "--compare-correlation", "0"]).assert().failure();
    let stderr = String::from_utf8_lossy(&none.get_output().stderr).into_owned();
    assert!(stderr.contains("at least one pair"), "{stderr}");
}

#[test]
fn a_work_dir_that_holds_a_data_directory_is_refused() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("data")).unwrap();
    let out = bench_serve(&["--count", "10", "--work-dir", &work.path().display().to_string()])
        .assert()
        .failure()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the benchmark needs a fresh data directory"), "{stderr}");
}

#[test]
fn a_run_into_postgresql_fills_an_empty_database_and_refuses_one_that_holds_calls() {
    let pg = match ThrowawayPostgres::start_new() {
        Ok(pg) => pg,
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("a throw-away PostgreSQL is needed in CI: {e}")
        }
        Err(e) => {
            eprintln!("skipped: no throw-away PostgreSQL: {e}");
            return;
        }
    };
    let url = pg.url();
    let v = figures(&["--count", "5000", "--storage-url", &url, "--stop-when-sent"]);
    assert_eq!(v["timed_until"], "server stopped", "{v}");
    assert_eq!(v["stored"], 5000, "{v}");
    assert_eq!(v["rows"], 5000, "{v}");
    assert!(v["storage"].as_str().is_some_and(|s| s.contains("postgres://")), "{v}");
    assert_eq!(mainstore::MainStore::connect(&url).unwrap().cdr_count().unwrap(), 5000);
    // A second run would count those calls too: refused.
    let out = bench_serve(&["--count", "10", "--storage-url", &url]).assert().failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("is not empty (5000 calls"), "{stderr}");
    assert!(stderr.contains("give the URL of an empty database"), "{stderr}");
}
