//! `MysqlStore` (and `MainStore` over it) against the shared local
//! MySQL/MariaDB, a database per test.

mod common;

use common::{calls, database, position, quarantine_item};
use mainstore::{Error, MainStore, MysqlStore, Quarantined, Written};
use mysql::prelude::Queryable;
use std::sync::mpsc;
use std::time::Duration;

const NO_POSITIONS: &[(&str, journal::Position)] = &[];

fn migrated(url: &str) -> MysqlStore {
    let mut store = MysqlStore::connect(url).unwrap();
    store.migrate().unwrap();
    store
}

#[test]
fn migrations_run_once_even_from_two_servers_at_once() {
    let Some(db) = database("migrations") else { return };
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || MysqlStore::connect(&url).unwrap().migrate().unwrap())
        })
        .collect();
    let applied: usize = runs.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(applied, 1);
    let mut store = MysqlStore::connect(&db.url).unwrap();
    assert_eq!(store.migrate().unwrap(), 0);
    assert_eq!(store.schema_version().unwrap(), 1);
}

#[test]
fn a_schema_newer_than_the_program_is_refused() {
    let Some(mut db) = database("newer schema") else { return };
    let mut store = migrated(&db.url);
    db.admin
        .query_drop(format!(
            "INSERT INTO {}.schema_migrations (version, name) VALUES (99, 'future')",
            db.name
        ))
        .unwrap();
    let error = store.migrate().unwrap_err();
    assert!(matches!(error, Error::Config { .. }), "{error}");
    assert!(error.to_string().contains("schema version 99 is newer"), "{error}");
}

#[test]
fn writes_count_new_and_duplicate_calls() {
    let Some(db) = database("duplicates") else { return };
    let mut store = migrated(&db.url);
    let w = store.write(&calls(0, 3000), &[], NO_POSITIONS).unwrap();
    assert_eq!(w, Written { stored: 3000, duplicates: 0, quarantined: 0 });
    let mut second = calls(2500, 1000);
    second.push(second[0].clone());
    let w = store.write(&second, &[], NO_POSITIONS).unwrap();
    assert_eq!(w, Written { stored: 500, duplicates: 501, quarantined: 0 });
    assert_eq!(store.cdr_count().unwrap(), 3500);
    let last = &second[999];
    assert!(store.contains(last.start_s, last.dedup).unwrap());
    assert!(!store.contains(last.start_s + 1, last.dedup).unwrap());
}

#[test]
fn calls_are_stored_column_for_column() {
    let Some(mut db) = database("columns") else { return };
    let mut store = migrated(&db.url);
    let rows = calls(0, 12);
    store.write(&rows, &[], NO_POSITIONS).unwrap();
    type Stored = (
        i64,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<String>,
        Vec<u8>,
        Option<Vec<u8>>,
    );
    let stored: Vec<Stored> = db
        .admin
        .query(format!(
            "SELECT start_s, dedup, pbx_id, extension_id, department_id, calling, dialled, rec, charge
             FROM {}.cdr ORDER BY start_s",
            db.name
        ))
        .unwrap();
    assert_eq!(stored.len(), rows.len());
    let text = |t: &str| (!t.is_empty()).then(|| t.to_owned());
    for (s, r) in stored.into_iter().zip(&rows) {
        let expected = (
            r.start_s,
            r.dedup,
            r.pbx_id,
            r.extension_id,
            r.department_id,
            text(&r.calling),
            text(&r.dialled),
            r.rec.clone(),
            r.charge.clone(),
        );
        assert_eq!(s, expected);
    }
}

#[test]
fn the_same_batch_written_twice_stores_nothing_twice() {
    let Some(db) = database("replay") else { return };
    let mut store = migrated(&db.url);
    let rows = calls(0, 300);
    let items: Vec<_> = (0..4).map(quarantine_item).collect();
    let quarantined: Vec<_> =
        items.iter().map(|item| Quarantined { item, received_at: 1_750_000_000 }).collect();
    let positions = [("avaya-hq", position(3, 4096)), ("cucm-1", position(1, 28))];
    let w = store.write(&rows, &quarantined, &positions).unwrap();
    assert_eq!(w, Written { stored: 300, duplicates: 0, quarantined: 4 });
    let w = store.write(&rows, &quarantined, &positions).unwrap();
    assert_eq!(w, Written { stored: 0, duplicates: 300, quarantined: 0 });
    assert_eq!(store.cdr_count().unwrap(), 300);
    assert_eq!(store.quarantine_count().unwrap(), 4);
    assert_eq!(store.journal_position("avaya-hq").unwrap(), Some(position(3, 4096)));
    assert_eq!(store.journal_position("cucm-1").unwrap(), Some(position(1, 28)));
}

#[test]
fn positions_are_upserted_and_the_last_of_a_source_wins() {
    let Some(db) = database("positions") else { return };
    let mut store = migrated(&db.url);
    assert_eq!(store.journal_position("a").unwrap(), None);
    store.write(&[], &[], &[("a", position(1, 100))]).unwrap();
    let positions = [("a", position(1, 900)), ("b", position(7, 0)), ("a", position(2, 16))];
    store.write(&calls(0, 3), &[], &positions).unwrap();
    assert_eq!(store.journal_position("a").unwrap(), Some(position(2, 16)));
    assert_eq!(store.journal_position("b").unwrap(), Some(position(7, 0)));
}

/// A batch the database refuses, at its first statement or its last,
/// leaves nothing behind.
#[test]
fn a_refused_batch_stores_none_of_its_parts() {
    let Some(db) = database("atomic") else { return };
    let mut store = migrated(&db.url);
    let items = [quarantine_item(1)];
    let quarantined = [Quarantined { item: &items[0], received_at: 0 }];
    // Longer than the columns hold (TEXT: 65,535 bytes; the position's
    // source: 700 characters).
    let mut bad_call = calls(0, 100);
    bad_call[60].calling = "1".repeat(70_000).into();
    let cases = [
        ("a call it cannot hold", bad_call, vec![("good".to_owned(), position(1, 1))]),
        (
            "a position it cannot hold, written last",
            calls(0, 100),
            vec![("good".to_owned(), position(1, 1)), ("x".repeat(800), position(1, 1))],
        ),
    ];
    for (case, rows, positions) in cases {
        let error = store.write(&rows, &quarantined, &positions).unwrap_err();
        assert!(matches!(error, Error::Rejected { .. }), "{case}: {error}");
        assert_eq!(store.cdr_count().unwrap(), 0, "{case}");
        assert_eq!(store.quarantine_count().unwrap(), 0, "{case}");
        assert_eq!(store.journal_position("good").unwrap(), None, "{case}");
    }
    let w = store.write(&calls(0, 100), &quarantined, &[("good", position(1, 1))]).unwrap();
    assert_eq!(w, Written { stored: 100, duplicates: 0, quarantined: 1 });
}

#[test]
fn a_database_nobody_answers_for_is_unavailable_and_named_without_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("mysql://bw:s3cret@127.0.0.1:{port}/calls");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(MysqlStore::connect(&url).unwrap_err());
    });
    let error = rx.recv_timeout(Duration::from_secs(120)).expect("connecting hung");
    assert!(error.is_unavailable(), "{error}");
    let message = error.to_string();
    assert!(message.contains(&format!("mysql://bw@127.0.0.1:{port}/calls")), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}

/// Ends the store's connections from the server's side, as a restart
/// does.
fn kill_connections(db: &mut common::Database) {
    let ids: Vec<u64> = db
        .admin
        .exec("SELECT id FROM information_schema.processlist WHERE db = ?", (db.name.as_str(),))
        .unwrap();
    assert!(!ids.is_empty());
    for id in ids {
        db.admin.query_drop(format!("KILL {id}")).unwrap();
    }
}

/// The server ends the writer's connection: reading fails as unavailable
/// and the next operation reconnects; a write meeting an ended connection
/// goes through on a new one at once.
#[test]
fn a_connection_ended_by_the_server_is_unavailable_then_replaced() {
    let Some(mut db) = database("killed") else { return };
    let mut store = migrated(&db.url);
    store.write(&calls(0, 10), &[], NO_POSITIONS).unwrap();
    kill_connections(&mut db);
    let error = store.cdr_count().unwrap_err();
    assert!(error.is_unavailable(), "{error}");
    assert!(!store.is_alive());
    assert_eq!(store.write(&calls(10, 10), &[], NO_POSITIONS).unwrap().stored, 10);
    assert!(store.is_alive());
    kill_connections(&mut db);
    assert_eq!(store.write(&calls(20, 10), &[], NO_POSITIONS).unwrap().stored, 10);
    assert_eq!(store.cdr_count().unwrap(), 30);
}

#[test]
fn the_main_store_opens_either_engine_from_its_url() {
    let Some(db) = database("main store") else { return };
    let mariadb_url = db.url.replacen("mysql://", "mariadb://", 1);
    for url in [db.url.as_str(), mariadb_url.as_str()] {
        let mut store = MainStore::connect(url).unwrap();
        assert!(matches!(store, MainStore::Mysql(_)));
        store.migrate().unwrap();
        store.write(&calls(0, 5), &[], &[("a", position(1, 2))]).unwrap();
        assert_eq!(store.cdr_count().unwrap(), 5);
        assert!(store.is_alive(Duration::from_secs(10)));
    }
}

/// The write rate in batches of 65,536 calls:
/// `cargo test -p mainstore --release --test mysql -- --ignored --nocapture write_rate`.
#[test]
#[ignore = "a measurement, not a check"]
fn write_rate() {
    let Some(db) = database("write rate") else { return };
    let mut store = migrated(&db.url);
    const BATCH: usize = 65_536;
    const BATCHES: usize = 8;
    let batches: Vec<_> = (0..BATCHES).map(|b| calls((b * BATCH) as i64, BATCH)).collect();
    let started = std::time::Instant::now();
    for (b, rows) in batches.iter().enumerate() {
        let w = store.write(rows, &[], &[("a", position(1, b as u64))]).unwrap();
        assert_eq!(w.stored, BATCH as u64);
    }
    let seconds = started.elapsed().as_secs_f64();
    let n = BATCH * BATCHES;
    println!("wrote {n} new calls in {seconds:.2} s: {:.0} calls/s", n as f64 / seconds);
    let started = std::time::Instant::now();
    for rows in &batches[..2] {
        assert_eq!(store.write(rows, &[], NO_POSITIONS).unwrap().duplicates, BATCH as u64);
    }
    let seconds = started.elapsed().as_secs_f64();
    let n = 2 * BATCH;
    println!(
        "replayed {n} calls (all duplicates) in {seconds:.2} s: {:.0} calls/s",
        n as f64 / seconds
    );
}
