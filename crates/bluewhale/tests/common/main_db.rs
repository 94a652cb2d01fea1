//! For tests of a server with a main database: a PostgreSQL of the test's
//! own, a server configuration storing into a URL, and reading `/metrics`.

use super::server::{Server, free_port, get};
use super::{Bw, fixture_arg};
use mainstore::testing::ThrowawayPostgres;
use std::time::{Duration, Instant};

/// A PostgreSQL of the test's own; None (with a message) where none can be
/// started, except in CI (`CI=true`), where the test fails.
pub fn throwaway() -> Option<ThrowawayPostgres> {
    match ThrowawayPostgres::start_new() {
        Ok(pg) => Some(pg),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("a throw-away PostgreSQL is needed in CI: {e}")
        }
        Err(e) => {
            eprintln!("skipped: no throw-away PostgreSQL: {e}");
            None
        }
    }
}

/// A store with the directory, and a server that stores into `url`, with
/// an Avaya CM link (RSP: each block acknowledged once journaled) on the
/// returned port.
pub fn prepared(url: &str) -> (Bw, u16) {
    let bw = Bw::new();
    bw.ok(&["load", &fixture_arg("serve/directory.toml")]);
    let (port, http) = (free_port(), free_port());
    let config = format!(
        "[server]\nhttp = \"127.0.0.1:{http}\"\n\
         [storage]\nurl = \"{url}\"\n\
         [[pbx]]\nname = \"avaya-hq\"\nformat = \"avaya:avaya-97\"\n\
         connector = {{ kind = \"rsp\", listen = \"127.0.0.1:{port}\" }}\n"
    );
    std::fs::write(bw.data.path().join("server.toml"), config).unwrap();
    (bw, port)
}

/// A metric's value (0 when absent).
pub fn metric(server: &Server, name: &str) -> u64 {
    let metrics = get(server, "/metrics");
    metrics
        .lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

/// Waits until `done` holds, asking every 100 ms, for at most `limit`.
pub fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `bluewhale simulate` of Avaya CM links speaking RSP to `port`, with
/// `args`; its summary on standard output.
pub fn simulate(bw: &Bw, port: u16, args: &[&str]) -> std::process::Child {
    let target = format!("rsp://127.0.0.1:{port}");
    let mut all = vec!["simulate", "--target", &target, "--format", "avaya", "--json"];
    all.extend_from_slice(args);
    bw.process(&all).stdout(std::process::Stdio::piped()).spawn().unwrap()
}

/// Waits for a simulation to end; returns the records the server
/// acknowledged.
pub fn acknowledged(sender: std::process::Child) -> u64 {
    let output = sender.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    summary["acknowledged"].as_u64().unwrap()
}
