//! `bluewhale backup` and `restore` with a main database (`--config`
//! naming a `[storage] url`): a consistent export taken while the server
//! stores into PostgreSQL, and written back into it after rows were lost.
//!
//! The test starts a PostgreSQL of its own; it is skipped (with a message)
//! where none can be started, except in CI (`CI=true`), where it fails.

mod common;

use common::arg;
use common::main_db::{acknowledged, metric, prepared, simulate, throwaway, wait_until};
use common::server::{Server, start};
use mainstore::MainStore;
use std::time::Duration;

fn stored(server: &Server) -> u64 {
    metric(server, "bluewhale_records_total{outcome=\"stored\"}")
}

fn wait_stored(server: &Server, n: u64) {
    wait_until(&format!("{n} calls stored"), Duration::from_secs(60), || stored(server) >= n);
}

/// The number before `word` in `text` ("… 5000 calls …").
fn number_before(text: &str, word: &str) -> u64 {
    let words: Vec<&str> = text.split_whitespace().collect();
    let i = words.iter().position(|w| w.trim_end_matches(',') == word).unwrap_or_else(|| {
        panic!("no {word:?} in {text}");
    });
    words[i - 1].parse().unwrap_or_else(|_| panic!("no number before {word:?} in {text}"))
}

#[test]
fn a_main_database_backed_up_while_the_server_stores_gets_back_what_it_lost() {
    let Some(pg) = throwaway() else { return };
    let url = pg.url();
    let (bw, port) = prepared(&url);
    let config = arg(&bw.data.path().join("server.toml"));
    let server = start(&bw);
    assert_eq!(acknowledged(simulate(&bw, port, &["--rate", "0", "--count", "5000"])), 5000);
    wait_stored(&server, 5000);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let first: Vec<(i64, i64)> = client
        .query("SELECT start_s, dedup FROM cdr", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(first.len(), 5000);

    // Taken while the server stores another 20,000 calls.
    let sender = simulate(&bw, port, &["--rate", "10000", "--count", "20000", "--seed", "7"]);
    wait_stored(&server, 6000);
    let file = bw.data.path().join("main.backup");
    let out = bw.ok(&["backup", "--to", &arg(&file), "--config", &config]);
    assert!(out.contains(&format!("of {}", MainStore::connect(&url).unwrap().target())), "{out}");
    let in_backup = number_before(&out, "calls");
    assert!((6000..=25_000).contains(&in_backup), "{out}");
    assert_eq!(number_before(&out, "journal"), 1, "{out}");
    // Never over an existing file.
    let again = bw.fails(&["backup", "--to", &arg(&file), "--config", &config]);
    assert!(again.contains("already exists; not overwritten"), "{again}");
    // Restoring needs the server stopped.
    let refused = bw.fails(&["restore", "--from", &arg(&file), "--config", &config]);
    assert!(refused.contains("in use"), "{refused}");
    assert_eq!(acknowledged(sender), 20_000);
    wait_stored(&server, 25_000);
    server.stop();
    assert_eq!(MainStore::connect(&url).unwrap().cdr_count().unwrap(), 25_000);

    // A thousand calls that were in the backup are lost.
    let mut lost = 0;
    for (start_s, dedup) in &first[..1000] {
        lost += client
            .execute("DELETE FROM cdr WHERE start_s = $1 AND dedup = $2", &[start_s, dedup])
            .unwrap();
    }
    assert_eq!(lost, 1000);
    let out = bw.ok(&["restore", "--from", &arg(&file), "--config", &config]);
    assert!(
        out.contains(&format!("calls: 1000 restored, {} already there", in_backup - 1000)),
        "{out}"
    );
    // The server went on after the backup: its position is kept.
    assert!(out.contains("journal positions: 0 set, 1 left as they were"), "{out}");
    assert_eq!(MainStore::connect(&url).unwrap().cdr_count().unwrap(), 25_000);
    // Twice changes nothing.
    let out = bw.ok(&["restore", "--from", &arg(&file), "--config", &config]);
    assert!(out.contains(&format!("calls: 0 restored, {in_backup} already there")), "{out}");
    assert_eq!(MainStore::connect(&url).unwrap().cdr_count().unwrap(), 25_000);
    // The embedded store was not touched, and does not take the file.
    assert_eq!(bw.store().cdr_count().unwrap(), 0);
    let refused = bw.fails(&["restore", "--from", &arg(&file)]);
    assert!(refused.contains("is a backup of a main database"), "{refused}");
}
