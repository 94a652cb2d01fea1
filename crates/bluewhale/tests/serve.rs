//! `bluewhale serve` end to end: the simulator streams Avaya CM records
//! over TCP to a server started as its own process, which is stopped with
//! SIGTERM or killed with SIGKILL; the store must then hold every record
//! the raw journal holds, once.

mod common;

use common::server::{api_get, free_port, get, send_lines, start, wait_for_calls};
use common::{Bw, fixture_arg};
use std::time::Duration;

/// A store with the directory, and a server configuration: the PBX on a
/// free port (returned), metrics and API on another.
fn prepared() -> (Bw, u16) {
    prepared_with("tcp-listen")
}

/// [`prepared`] with a listening connector of `kind`.
fn prepared_with(kind: &str) -> (Bw, u16) {
    let bw = Bw::new();
    bw.ok(&["load", &fixture_arg("serve/directory.toml")]);
    let (port, http) = (free_port(), free_port());
    let config = format!(
        "[server]\nhttp = \"127.0.0.1:{http}\"\n\
         [[pbx]]\nname = \"avaya-hq\"\nformat = \"avaya:avaya-97\"\n\
         connector = {{ kind = \"{kind}\", listen = \"127.0.0.1:{port}\" }}\n"
    );
    std::fs::write(bw.data.path().join("server.toml"), config).unwrap();
    (bw, port)
}

fn simulate(bw: &Bw, port: u16, extra: &[&str]) -> serde_json::Value {
    let target = format!("tcp://127.0.0.1:{port}");
    let mut args = vec!["simulate", "--target", &target, "--format", "avaya", "--rate", "0"];
    args.extend_from_slice(extra);
    args.push("--json");
    bw.json(&args)
}

/// Records in the journal of `avaya-hq`: whole lines, and pieces without
/// their end.
fn journaled(bw: &Bw) -> (u64, u64) {
    let dir = bw.data.path().join("journal");
    let journal = journal::Journal::open(&dir, journal::JournalConfig::default()).unwrap();
    let mut reader = journal.reader("avaya-hq", journal::Position::BEGIN).unwrap();
    let (mut whole, mut pieces) = (0, 0);
    while let Some(entry) = reader.next().unwrap() {
        if entry.kind == journal::EntryKind::Data {
            for piece in entry.payload.split_inclusive(|&b| b == b'\n') {
                if piece.ends_with(b"\n") {
                    whole += 1;
                } else {
                    pieces += 1;
                }
            }
        }
    }
    (whole, pieces)
}

#[test]
fn records_streamed_are_stored_once_and_sending_them_again_changes_nothing() {
    let (bw, port) = prepared();
    let server = start(&bw);
    let sent = simulate(&bw, port, &["--count", "20000", "--connections", "8"]);
    assert_eq!(sent["records"], 20000);
    // The simulator is done writing; the server journals and stores what
    // it read (a transaction waits a moment for more).
    let stored = "bluewhale_records_total{outcome=\"stored\"} 20000";
    let mut metrics = get(&server, "/metrics");
    for _ in 0..100 {
        if metrics.contains(stored) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        metrics = get(&server, "/metrics");
    }
    assert!(
        metrics.contains("bluewhale_connector_records_total{pbx=\"avaya-hq\"} 20000"),
        "{metrics}"
    );
    assert!(metrics.contains(stored), "{metrics}");
    // Each stage's queue is shown; with everything stored, the one in
    // front of the writer is empty.
    for stage in ["journal", "parse", "store"] {
        let gauge = format!("bluewhale_queue_depth{{stage=\"{stage}\"}} ");
        assert!(metrics.contains(&gauge), "{metrics}");
    }
    assert!(metrics.contains("bluewhale_queue_depth{stage=\"store\"} 0"), "{metrics}");
    // Without a main database, its metrics are not shown.
    assert!(!metrics.contains("bluewhale_offline_backlog"), "{metrics}");
    let connectors: serde_json::Value =
        serde_json::from_str(&api_get(&server, "/api/v1/connectors")).unwrap();
    assert_eq!(connectors["connectors"][0]["records"], 20000, "{connectors}");
    let summary = server.stop();
    assert!(summary.contains("20000 records read: 20000 stored"), "{summary}");
    assert_eq!(bw.store().cdr_count().unwrap(), 20000);
    // The same records again (same seed): all duplicates.
    let server = start(&bw);
    simulate(&bw, port, &["--count", "20000", "--connections", "8"]);
    std::thread::sleep(Duration::from_millis(500));
    let summary = server.stop();
    assert!(summary.contains("0 stored, 20000 duplicates"), "{summary}");
    assert_eq!(bw.store().cdr_count().unwrap(), 20000);
    // The calls are priced and attributed like imported ones.
    let calls = bw.calls("2025-01-01", "2026-12-31");
    assert!(calls.iter().all(|c| c["pbx"] == "avaya-hq" && c["charge"].is_object()));
}

#[test]
fn after_a_kill_the_restarted_server_stores_everything_journaled_exactly_once() {
    let (bw, port) = prepared();
    let server = start(&bw);
    simulate(&bw, port, &["--count", "200000", "--connections", "8"]);
    // Killed while it still reads and stores (or just after).
    std::thread::sleep(Duration::from_millis(200));
    server.kill();
    let stored_before = bw.store().cdr_count().unwrap();
    let summary = start(&bw).stop();
    let (whole, pieces) = journaled(&bw);
    let store = bw.store();
    assert!(whole > 0 && whole <= 200_000, "{whole}");
    assert_eq!(store.cdr_count().unwrap(), whole, "{summary}; {stored_before} before the kill");
    assert_eq!(store.quarantine_count().unwrap(), pieces);
    // A restart finds nothing left to do.
    let summary = start(&bw).stop();
    assert!(summary.contains("0 records read"), "{summary}");
}

#[test]
fn garbage_and_links_dropped_mid_record_are_quarantined_and_the_rest_stored() {
    let (bw, port) = prepared();
    let server = start(&bw);
    let sent = simulate(
        &bw,
        port,
        &["--count", "5000", "--connections", "4", "--garbage-every", "500", "--drop-every", "700"],
    );
    std::thread::sleep(Duration::from_millis(500));
    let summary = server.stop();
    let (garbage, cuts) = (sent["garbage_lines"].as_u64().unwrap(), sent["cuts"].as_u64().unwrap());
    assert!(garbage > 0 && cuts > 0, "{sent}");
    let store = bw.store();
    assert_eq!(store.cdr_count().unwrap(), 5000, "{summary}");
    assert_eq!(store.quarantine_count().unwrap(), garbage + cuts, "{summary}");
}

#[test]
fn replay_feeds_a_period_back_from_the_journal_storing_only_what_is_missing() {
    let (bw, port) = prepared();
    let server = start(&bw);
    simulate(&bw, port, &["--count", "5000", "--connections", "4"]);
    // The server holds the data directory: a replay now is refused.
    let refused = bw.fails(&["replay", "--pbx", "avaya-hq", "--from", "today", "--to", "today"]);
    assert!(refused.contains("in use (bluewhale serve"), "{refused}");
    let summary = server.stop();
    assert!(summary.contains("5000 stored"), "{summary}");
    // Everything is stored: replaying the day finds only duplicates.
    let replayed = bw.ok(&["replay", "--pbx", "avaya-hq", "--from", "today", "--to", "today"]);
    assert!(replayed.contains("5000 records read: 0 stored, 5000 duplicates"), "{replayed}");
    // Calls lost downstream (deleted here) come back, and only they.
    let lost = {
        let store = bw.store();
        let median: i64 = store
            .connection()
            .query_row("SELECT start_s FROM cdr ORDER BY start_s LIMIT 1 OFFSET 2500", [], |r| {
                r.get(0)
            })
            .unwrap();
        store.connection().execute("DELETE FROM cdr WHERE start_s < ?1", [median]).unwrap()
    };
    assert!(lost > 2000, "{lost}");
    let replayed = bw.ok(&["replay", "--pbx", "avaya-hq", "--from", "yesterday", "--to", "today"]);
    let expected = format!("5000 records read: {lost} stored, {} duplicates", 5000 - lost);
    assert!(replayed.contains(&expected), "{replayed}");
    assert_eq!(bw.store().cdr_count().unwrap(), 5000);
    // A period when nothing was received replays nothing.
    let replayed =
        bw.ok(&["replay", "--pbx", "avaya-hq", "--from", "2020-01-01", "--to", "2020-01-31"]);
    assert!(replayed.contains("replayed 0 journal entries"), "{replayed}");
}

#[test]
fn a_backup_taken_while_the_server_stores_restores_and_the_journal_fills_in_the_rest() {
    let (bw, port) = prepared();
    let server = start(&bw);
    simulate(&bw, port, &["--count", "20000", "--connections", "4"]);
    let file = bw.data.path().join("store.backup");
    // Taken while the server runs: whatever it holds is consistent.
    let out = bw.ok(&["backup", "--to", &common::arg(&file)]);
    assert!(out.contains("backed up"), "{out}");
    let in_backup: u64 = out.split_whitespace().nth(2).unwrap().parse().unwrap();
    // Restoring needs the server stopped.
    let refused = bw.fails(&["restore", "--from", &common::arg(&file)]);
    assert!(refused.contains("in use"), "{refused}");
    simulate(&bw, port, &["--count", "5000", "--connections", "2", "--seed", "99"]);
    let summary = server.stop();
    assert!(summary.contains("25000 stored"), "{summary}");
    let out = bw.ok(&["restore", "--from", &common::arg(&file)]);
    assert!(out.contains(&format!("restored {in_backup} calls")), "{out}");
    assert_eq!(bw.store().cdr_count().unwrap(), in_backup);
    // The restarted server reads from where the backup had got to: what
    // came after is stored again from the journal, once.
    let server = start(&bw);
    let summary = server.stop();
    let expected = format!("{} stored, 0 duplicates", 25000 - in_backup);
    assert!(summary.contains(&expected), "{summary}");
    assert_eq!(bw.store().cdr_count().unwrap(), 25000);
    // A backup also restores into a data directory that does not exist yet.
    let elsewhere = tempfile::tempdir().unwrap();
    let fresh = elsewhere.path().join("new-data");
    let restored = std::process::Command::new(assert_cmd::cargo::cargo_bin("bluewhale"))
        .args(["--data-dir", &common::arg(&fresh), "restore", "--from", &common::arg(&file)])
        .output()
        .unwrap();
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    assert_eq!(store::Store::open(&fresh).unwrap().cdr_count().unwrap(), in_backup);
}

#[test]
fn a_kill_during_rsp_ingest_loses_no_acknowledged_record_and_stores_none_twice() {
    let (bw, port) = prepared_with("rsp");
    let server = start(&bw);
    // The PBXs send for 4 s at 100,000 records/s (dozens of busy PBXs);
    // each record is acknowledged only once it is in the raw journal. Paced
    // rather than unpaced, so that the kill finds them still sending: the
    // first commit comes at most 2 s after the first record, and unpaced
    // senders can be done by then, leaving nothing in flight to lose.
    let target = format!("rsp://127.0.0.1:{port}");
    let sender = bw
        .process(&[
            "simulate",
            "--target",
            &target,
            "--format",
            "avaya",
            "--rate",
            "100000",
            "--count",
            "400000",
            "--connections",
            "8",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Killed while records flow: some acknowledged and stored, some
    // acknowledged and not yet stored, some sent and not acknowledged.
    let metric = "bluewhale_records_total{outcome=\"stored\"}";
    for _ in 0..1000 {
        let metrics = get(&server, "/metrics");
        let stored = metrics
            .lines()
            .find(|l| l.starts_with(metric))
            .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .unwrap_or(0);
        if stored > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    server.kill();
    let stored_before = bw.store().cdr_count().unwrap();
    // Restarted, the server resumes from its journal; the PBXs reconnect
    // and send again what was not acknowledged.
    let server = start(&bw);
    let output = sender.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["acknowledged"], 400000, "{summary}");
    let summary = server.stop();
    assert!(summary.contains("stored"), "{summary}");
    assert!(0 < stored_before && stored_before < 400_000, "{stored_before} stored at the kill");
    // Every record once: the store's key is the call, so a record stored
    // twice would show as fewer duplicates than resent, never as a second
    // row; what must hold is that all 400,000 are there.
    assert_eq!(bw.store().cdr_count().unwrap(), 400_000);
}

#[test]
fn journal_segments_past_retention_are_deleted_once_stored() {
    let (bw, port) = prepared();
    let path = bw.data.path().join("server.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    let journal = "[journal]\nmax_segment_mb = 1\nretention = \"1s\"\n";
    std::fs::write(&path, format!("{journal}{config}")).unwrap();
    let server = start(&bw);
    simulate(&bw, port, &["--count", "40000", "--connections", "4"]);
    server.stop();
    // Files in the journal's source directories (segments and their indexes).
    let segments = || {
        let sources = std::fs::read_dir(bw.data.path().join("journal")).unwrap();
        let dirs = sources.map(|d| d.unwrap().path()).filter(|p| p.is_dir());
        dirs.map(|d| std::fs::read_dir(d).unwrap().count()).sum::<usize>()
    };
    let before = segments();
    std::thread::sleep(Duration::from_secs(2));
    // At its start the server applies the retention: the closed segments,
    // all stored, go; the calls stay.
    let server = start(&bw);
    let line = server.wait_for("journal retention:");
    assert!(line.contains("segments past retention deleted"), "{line}");
    server.stop();
    assert!(segments() < before, "{before} files before, {} after", segments());
    assert_eq!(bw.store().cdr_count().unwrap(), 40000);
}

#[test]
fn a_server_with_no_pbx_yet_serves_the_console_until_it_is_stopped() {
    let bw = Bw::new();
    let http = free_port();
    let config = format!("[server]\nhttp = \"127.0.0.1:{http}\"\n");
    std::fs::write(bw.data.path().join("server.toml"), config).unwrap();
    let server = start(&bw);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(get(&server, "/").contains("<!doctype html>"));
    let session: serde_json::Value =
        serde_json::from_str(&api_get(&server, "/api/v1/session")).unwrap();
    assert_eq!(session["account"]["username"], "admin");
    let summary = server.stop();
    assert!(summary.contains("0 records read"), "{summary}");
}

/// One HTTP/1.1 exchange with the server's HTTP side: the status line and
/// the body.
fn http_exchange(server: &common::server::Server, request: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&server.http).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (head.to_string(), body.to_string())
}

/// A POST to the API as the `admin` account, signed in as the console
/// does (session cookie, CSRF token); returns the status line and body.
fn api_post(
    server: &common::server::Server,
    path: &str,
    content_type: &str,
    body: &str,
) -> (String, String) {
    let login = format!(r#"{{"username":"admin","password":"{}"}}"#, common::ADMIN_PASSWORD);
    let (head, session) = http_exchange(
        server,
        &format!(
            "POST /api/v1/session HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{login}",
            login.len()
        ),
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie: {head}"))
        .to_string();
    let session: serde_json::Value = serde_json::from_str(&session).unwrap();
    let csrf = session["csrf"].as_str().unwrap();
    let (head, body) = http_exchange(
        server,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: test\r\nCookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n\
             Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    (head.lines().next().unwrap_or_default().to_string(), body)
}

#[test]
fn directory_and_tariff_changes_reach_the_running_server_for_the_calls_after_them() {
    // Paris: extension 2001 is Alice's, 2003 nobody's; Acme charges 0.06 a
    // minute for French fixed calls at peak.
    let bw = Bw::with_directory_and_tariffs("rating/directory.toml", "rating/tariffs.toml");
    let (port, http) = (free_port(), free_port());
    let config = format!(
        "[server]\nhttp = \"127.0.0.1:{http}\"\n\
         [[pbx]]\nname = \"pbx-paris\"\nformat = '{}'\n\
         connector = {{ kind = \"tcp-listen\", listen = \"127.0.0.1:{port}\" }}\n",
        fixture_arg("pipe_calls.toml")
    );
    std::fs::write(bw.data.path().join("server.toml"), config).unwrap();
    let server = start(&bw);
    // Monday 14 April 2025, peak hours in Paris; 90 s is two minutes.
    send_lines(
        port,
        &["14.04.2025 10:00:00|90|2001|0155512345", "14.04.2025 10:10:00|90|2003|0155512345"],
    );
    wait_for_calls(&bw, 2);
    let generation = || bw.store().reference_generation().unwrap();
    // Waits until the server says it has put generation `g` (or a later
    // one) in force: a few seconds at most.
    let in_force = |g: i64| loop {
        let line = server.wait_for("reference data changed (generation ");
        let said: i64 = line
            .split("(generation ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{line}"));
        if said >= g {
            break;
        }
    };
    let before = generation();

    // While it runs, the administrator makes Acme dearer (0.08 a minute)
    // through the API, as the console does.
    let dearer = std::fs::read_to_string(common::fixture("rating/acme_dearer.toml")).unwrap();
    let (status, body) = api_post(&server, "/api/v1/tariffs/import", "application/toml", &dearer);
    assert!(status.starts_with("HTTP/1.1 200"), "{status}: {body}");
    let priced = generation();
    assert!(priced > before, "{before} → {priced}");
    in_force(priced);
    send_lines(port, &["14.04.2025 10:20:00|90|2003|0155512345"]);
    wait_for_calls(&bw, 3);

    // Then gives 2003 to Bob on the command line (another process).
    let directory = bw.data.path().join("more.toml");
    std::fs::write(
        &directory,
        "[[extension]]\nnumber = \"2003\"\nsite = \"Paris\"\nuser = \"bob\"\n",
    )
    .unwrap();
    let out = bw.ok(&["load", &common::arg(&directory)]);
    assert!(out.contains("1 extensions"), "{out}");
    let attributed = generation();
    assert!(attributed > priced, "{priced} → {attributed}");
    in_force(attributed);
    send_lines(
        port,
        &["14.04.2025 11:00:00|90|2001|0155512345", "14.04.2025 11:10:00|90|2003|0155512345"],
    );
    wait_for_calls(&bw, 5);
    let summary = server.stop();
    assert!(summary.contains("5 records read: 5 stored"), "{summary}");

    let calls = bw.calls("2025-04-14", "2025-04-14");
    let call = |start: &str| {
        calls
            .iter()
            .find(|c| c["start"] == start)
            .unwrap_or_else(|| panic!("no call at {start}: {calls:#?}"))
    };
    let owner_and_cost = |start: &str| {
        let c = call(start);
        (c["user"].clone(), c["department"].clone(), c["charge"]["cost"].clone())
    };
    let alice = (serde_json::json!("Alice Martin"), serde_json::json!("Company\\Sales"));
    // Before the change: as they were stored.
    assert_eq!(
        owner_and_cost("2025-04-14T08:00:00Z"),
        (alice.0.clone(), alice.1.clone(), serde_json::json!("0.12"))
    );
    assert_eq!(
        owner_and_cost("2025-04-14T08:10:00Z"),
        (serde_json::json!(null), serde_json::json!(null), serde_json::json!("0.12"))
    );
    // After the new tariff, before the directory change.
    assert_eq!(
        owner_and_cost("2025-04-14T08:20:00Z"),
        (serde_json::json!(null), serde_json::json!(null), serde_json::json!("0.16"))
    );
    // After both: Bob's number, Acme's new price.
    assert_eq!(
        owner_and_cost("2025-04-14T09:00:00Z"),
        (alice.0, alice.1, serde_json::json!("0.16"))
    );
    assert_eq!(
        owner_and_cost("2025-04-14T09:10:00Z"),
        (
            serde_json::json!("Bob Durand"),
            serde_json::json!("Company\\Support"),
            serde_json::json!("0.16")
        )
    );
}
