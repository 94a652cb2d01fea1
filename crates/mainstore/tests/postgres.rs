//! `PgStore` against a real PostgreSQL: the shared local server (a schema
//! per test) and, for stopping the database under a writer, a throw-away
//! server of the test's own.

mod common;

use common::{calls, position, quarantine_item, schema};
use mainstore::testing::ThrowawayPostgres;
use mainstore::{Error, PgStore, Quarantined, Written};
use std::sync::mpsc;
use std::time::Duration;

/// Generous hang guard: an operation that should fail fast must not hang.
const HANG_GUARD: Duration = Duration::from_secs(120);

fn migrated(url: &str) -> PgStore {
    let mut store = PgStore::connect(url).unwrap();
    store.migrate().unwrap();
    store
}

/// Runs `f` on a thread; panics if it has not returned within the guard.
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HANG_GUARD)
        .unwrap_or_else(|_| panic!("{what}: still running after {HANG_GUARD:?}"))
}

const NO_POSITIONS: &[(&str, journal::Position)] = &[];

#[test]
fn migrations_run_once_even_from_two_servers_at_once() {
    let Some(schema) = schema("migrations") else { return };
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let url = schema.url.clone();
            std::thread::spawn(move || PgStore::connect(&url).unwrap().migrate().unwrap())
        })
        .collect();
    let applied: usize = runs.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(applied, 1);
    let mut store = PgStore::connect(&schema.url).unwrap();
    assert_eq!(store.migrate().unwrap(), 0);
    assert_eq!(store.schema_version().unwrap(), 1);
}

#[test]
fn a_schema_newer_than_the_program_is_refused() {
    let Some(schema) = schema("newer schema") else { return };
    let mut store = migrated(&schema.url);
    let mut client = postgres::Client::connect(&schema.url, postgres::NoTls).unwrap();
    client
        .execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'future')", &[])
        .unwrap();
    let error = store.migrate().unwrap_err();
    assert!(matches!(error, Error::Config { .. }), "{error}");
    assert!(error.to_string().contains("schema version 99 is newer"), "{error}");
}

#[test]
fn writes_count_new_and_duplicate_calls() {
    let Some(schema) = schema("duplicates") else { return };
    let mut store = migrated(&schema.url);
    let first = calls(0, 1000);
    let w = store.write(&first, &[], NO_POSITIONS).unwrap();
    assert_eq!(w, Written { stored: 1000, duplicates: 0, quarantined: 0 });
    // Half stored already, and one call twice in the batch.
    let mut second = calls(500, 1000);
    second.push(second[0].clone());
    let w = store.write(&second, &[], NO_POSITIONS).unwrap();
    assert_eq!(w, Written { stored: 500, duplicates: 501, quarantined: 0 });
    // After a batch with duplicates the next goes the duplicate-skipping
    // way, and the one after that the direct way again: both count alike.
    for first in [1500, 2500] {
        let w = store.write(&calls(first, 1000), &[], NO_POSITIONS).unwrap();
        assert_eq!(w, Written { stored: 1000, duplicates: 0, quarantined: 0 });
    }
    assert_eq!(store.cdr_count().unwrap(), 3500);
    let last = &second[999];
    assert!(store.contains(last.start_s, last.dedup).unwrap());
    assert!(!store.contains(last.start_s + 1, last.dedup).unwrap());
}

/// Two servers storing the same calls at the same time (a PBX sending to
/// both): each call is stored once, and counted new by one of them.
#[test]
fn two_writers_of_the_same_calls_store_each_once() {
    let Some(schema) = schema("two writers") else { return };
    migrated(&schema.url);
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let url = schema.url.clone();
            std::thread::spawn(move || {
                let mut store = PgStore::connect(&url).unwrap();
                let rows = calls(0, 20_000);
                (0..3).map(|_| store.write(&rows, &[], NO_POSITIONS).unwrap().stored).sum::<u64>()
            })
        })
        .collect();
    let stored: u64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(stored, 20_000);
    assert_eq!(PgStore::connect(&schema.url).unwrap().cdr_count().unwrap(), 20_000);
}

#[test]
fn calls_are_stored_column_for_column() {
    let Some(schema) = schema("columns") else { return };
    let mut store = migrated(&schema.url);
    let rows = calls(0, 12);
    store.write(&rows, &[], NO_POSITIONS).unwrap();
    let mut client = postgres::Client::connect(&schema.url, postgres::NoTls).unwrap();
    let stored = client
        .query(
            "SELECT start_s, dedup, pbx_id, extension_id, department_id, calling, dialled, rec, charge
             FROM cdr ORDER BY start_s",
            &[],
        )
        .unwrap();
    assert_eq!(stored.len(), rows.len());
    for (row, r) in stored.iter().zip(&rows) {
        assert_eq!(row.get::<_, i64>(0), r.start_s);
        assert_eq!(row.get::<_, i64>(1), r.dedup);
        assert_eq!(row.get::<_, i64>(2), r.pbx_id);
        assert_eq!(row.get::<_, Option<i64>>(3), r.extension_id);
        assert_eq!(row.get::<_, Option<i64>>(4), r.department_id);
        // Empty text is NULL, as in the embedded store.
        let text = |t: &str| (!t.is_empty()).then(|| t.to_owned());
        assert_eq!(row.get::<_, Option<String>>(5), text(&r.calling));
        assert_eq!(row.get::<_, Option<String>>(6), text(&r.dialled));
        assert_eq!(row.get::<_, Vec<u8>>(7), r.rec);
        assert_eq!(row.get::<_, Option<Vec<u8>>>(8), r.charge);
    }
}

#[test]
fn the_same_batch_written_twice_stores_nothing_twice() {
    let Some(schema) = schema("replay") else { return };
    let mut store = migrated(&schema.url);
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
    let Some(schema) = schema("positions") else { return };
    let mut store = migrated(&schema.url);
    assert_eq!(store.journal_position("a").unwrap(), None);
    store.write(&[], &[], &[("a".to_owned(), position(1, 100))]).unwrap();
    store
        .write(
            &calls(0, 3),
            &[],
            &[
                ("a".to_owned(), position(1, 900)),
                ("b".to_owned(), position(7, 0)),
                ("a".to_owned(), position(2, 16)),
            ],
        )
        .unwrap();
    assert_eq!(store.journal_position("a").unwrap(), Some(position(2, 16)));
    assert_eq!(store.journal_position("b").unwrap(), Some(position(7, 0)));
}

/// A batch the database refuses, at its first statement or its last,
/// leaves nothing behind: no call, no quarantined record, no position.
#[test]
fn a_refused_batch_stores_none_of_its_parts() {
    let Some(schema) = schema("atomic") else { return };
    let mut store = migrated(&schema.url);
    let items = [quarantine_item(1)];
    let quarantined = [Quarantined { item: &items[0], received_at: 0 }];
    // PostgreSQL's text cannot hold NUL.
    let mut bad_call = calls(0, 100);
    bad_call[60].calling = "20\u{0}1".into();
    let cases = [
        ("a call it cannot hold", bad_call, vec![("good".to_owned(), position(1, 1))]),
        (
            "a position it cannot hold, written last",
            calls(0, 100),
            vec![("good".to_owned(), position(1, 1)), ("bad\u{0}".to_owned(), position(1, 1))],
        ),
    ];
    for (case, rows, positions) in cases {
        let error = store.write(&rows, &quarantined, &positions).unwrap_err();
        assert!(matches!(error, Error::Rejected { .. }), "{case}: {error}");
        assert_eq!(store.cdr_count().unwrap(), 0, "{case}");
        assert_eq!(store.quarantine_count().unwrap(), 0, "{case}");
        assert_eq!(store.journal_position("good").unwrap(), None, "{case}");
    }
    // The connection is still good for the next batch.
    let w = store.write(&calls(0, 100), &quarantined, &[("good", position(1, 1))]).unwrap();
    assert_eq!(w, Written { stored: 100, duplicates: 0, quarantined: 1 });
}

#[test]
fn a_quarantined_record_with_nul_in_its_texts_is_kept() {
    let Some(schema) = schema("nul quarantine") else { return };
    let mut store = migrated(&schema.url);
    let mut item = quarantine_item(1);
    item.reason = "field x: not a number: \"\u{0}\"".into();
    item.raw = b"a\0b\n".to_vec();
    let w = store.write(&[], &[Quarantined { item: &item, received_at: 5 }], NO_POSITIONS).unwrap();
    assert_eq!(w.quarantined, 1);
    let mut client = postgres::Client::connect(&schema.url, postgres::NoTls).unwrap();
    let row = client.query_one("SELECT reason, raw FROM quarantine", &[]).unwrap();
    assert_eq!(row.get::<_, String>(0), "field x: not a number: \"\u{FFFD}\"");
    assert_eq!(row.get::<_, Vec<u8>>(1), b"a\0b\n");
}

#[test]
fn writing_before_migrating_is_refused_with_a_hint() {
    let Some(schema) = schema("unmigrated") else { return };
    let mut store = PgStore::connect(&schema.url).unwrap();
    let error = store.write(&calls(0, 1), &[], NO_POSITIONS).unwrap_err();
    assert!(matches!(error, Error::Rejected { .. }), "{error}");
    assert!(error.to_string().contains("migrated"), "{error}");
}

#[test]
fn a_database_nobody_answers_for_is_unavailable_and_named_without_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://bw:s3cret@127.0.0.1:{port}/calls");
    let error = within("connecting", move || PgStore::connect(&url).unwrap_err());
    assert!(error.is_unavailable(), "{error}");
    let message = error.to_string();
    assert!(message.contains(&format!("postgres://bw@127.0.0.1:{port}/calls")), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}

#[test]
fn a_bad_url_is_a_configuration_error() {
    let error = PgStore::connect("postgres://u@h:notaport/d").unwrap_err();
    assert!(matches!(error, Error::Config { .. }), "{error}");
}

fn throwaway() -> Option<ThrowawayPostgres> {
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

/// The database goes away under a writer and comes back: writes meanwhile
/// fail fast as unavailable, the next write after its return reconnects,
/// and what was written before is still there.
#[test]
fn writes_while_the_database_is_stopped_are_unavailable_and_resume_after() {
    let Some(mut pg) = throwaway() else { return };
    let mut store = migrated(&pg.url());
    let first = calls(0, 1000);
    store.write(&first, &[], &[("a", position(1, 10))]).unwrap();
    assert!(store.is_alive(Duration::from_secs(10)));

    pg.stop().unwrap();
    let (mut store, error) = within("writing to a stopped database", move || {
        let error = store.write(&calls(1000, 1000), &[], &[("a", position(1, 20))]).unwrap_err();
        (store, error)
    });
    assert!(error.is_unavailable(), "{error}");
    assert!(!store.is_alive(Duration::from_secs(1)));
    let (mut store, error) = within("writing again", move || {
        let error = store.write(&calls(1000, 1000), &[], &[("a", position(1, 20))]).unwrap_err();
        (store, error)
    });
    assert!(error.is_unavailable(), "{error}");
    let error = store.reconnect().unwrap_err();
    assert!(error.is_unavailable(), "{error}");

    pg.start().unwrap();
    let w = store.write(&calls(1000, 1000), &[], &[("a", position(1, 20))]).unwrap();
    assert_eq!(w.stored, 1000);
    assert_eq!(store.cdr_count().unwrap(), 2000);
    assert!(store.contains(first[0].start_s, first[0].dedup).unwrap());
    assert_eq!(store.journal_position("a").unwrap(), Some(position(1, 20)));
}

/// A server restarted between two writes: the next write finds its
/// connection ended by the shutdown and goes through on a new one.
#[test]
fn a_write_after_a_database_restart_goes_through_on_a_new_connection() {
    let Some(mut pg) = throwaway() else { return };
    let mut store = migrated(&pg.url());
    store.write(&calls(0, 10), &[], NO_POSITIONS).unwrap();
    pg.stop().unwrap();
    pg.start().unwrap();
    assert_eq!(store.write(&calls(10, 10), &[], NO_POSITIONS).unwrap().stored, 10);
    assert_eq!(store.cdr_count().unwrap(), 20);
}

/// The write rate in batches of 65,536 calls:
/// `cargo test -p mainstore --release --test postgres -- --ignored --nocapture write_rate`.
#[test]
#[ignore = "a measurement, not a check"]
fn write_rate() {
    let Some(schema) = schema("write rate") else { return };
    let mut store = migrated(&schema.url);
    const BATCH: usize = 65_536;
    const BATCHES: usize = 16;
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
    for rows in &batches[..4] {
        assert_eq!(store.write(rows, &[], NO_POSITIONS).unwrap().duplicates, BATCH as u64);
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "replayed {} calls (all duplicates) in {seconds:.2} s: {:.0} calls/s",
        4 * BATCH,
        (4 * BATCH) as f64 / seconds
    );
}

#[test]
fn the_main_store_opens_postgres_from_its_url() {
    let Some(schema) = schema("main store") else { return };
    let postgresql_url = schema.url.replacen("postgres://", "postgresql://", 1);
    for url in [schema.url.as_str(), postgresql_url.as_str()] {
        let mut store = mainstore::MainStore::connect(url).unwrap();
        assert!(matches!(store, mainstore::MainStore::Postgres(_)));
        store.migrate().unwrap();
        store.write(&calls(0, 5), &[], &[("a", position(1, 2))]).unwrap();
        assert_eq!(store.cdr_count().unwrap(), 5);
        assert!(store.is_alive(Duration::from_secs(10)));
    }
}
