//! `bluewhale serve` end to end: the simulator streams Avaya CM records
//! over TCP to a server started as its own process, which is stopped with
//! SIGTERM or killed with SIGKILL; the store must then hold every record
//! the raw journal holds, once.

mod common;

use common::server::{free_port, get, start};
use common::{Bw, fixture_arg};
use std::time::Duration;

/// A store with the directory, and a server configuration: the PBX on a
/// free port (returned), metrics and API on another.
fn prepared() -> (Bw, u16) {
    let bw = Bw::new();
    bw.ok(&["load", &fixture_arg("serve/directory.toml")]);
    let (port, http) = (free_port(), free_port());
    let config = format!(
        "[server]\nhttp = \"127.0.0.1:{http}\"\n\
         [[pbx]]\nname = \"avaya-hq\"\nformat = \"avaya:avaya-97\"\n\
         connector = {{ kind = \"tcp-listen\", listen = \"127.0.0.1:{port}\" }}\n"
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
    let connectors: serde_json::Value =
        serde_json::from_str(&get(&server, "/api/v1/connectors")).unwrap();
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
