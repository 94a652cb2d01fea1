//! Backups of the main database (`mainstore::backup`) and the export under
//! them, against the local PostgreSQL and MySQL/MariaDB (a schema or
//! database per test; skipped without the server, failing with `CI=true`).

mod common;

use common::{calls, position, quarantine_item};
use journal::Position;
use mainstore::backup::{self, BackupError};
use mainstore::{ExportSink, MainStore, QuarantineRow, Quarantined};
use mysql::prelude::Queryable;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use store::CdrRow;

const NO_POSITIONS: &[(&str, Position)] = &[];

/// A database of the test's own, on either engine, with a plain client
/// for what the test checks.
enum Db {
    Postgres(Box<common::Schema>),
    Mysql(common::Database),
}

type Call = (
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
type Kept =
    (i64, String, String, String, i64, i64, String, Vec<u8>, Option<Vec<u8>>, i64, Option<i64>);

/// Every row of the three tables but the quarantine's own ids, in key
/// order.
#[derive(Debug, PartialEq)]
struct Dump {
    calls: Vec<Call>,
    kept: Vec<Kept>,
    positions: Vec<(String, i64, i64)>,
}

const DUMP_CALLS: &str = "SELECT start_s, dedup, pbx_id, extension_id, department_id, calling, \
                          dialled, rec, charge FROM cdr ORDER BY start_s, dedup";

impl Db {
    fn postgres(test: &str) -> Option<Db> {
        common::schema(test).map(|s| Db::Postgres(Box::new(s)))
    }

    fn mysql(test: &str) -> Option<Db> {
        common::database(test).map(Db::Mysql)
    }

    fn url(&self) -> &str {
        match self {
            Db::Postgres(s) => &s.url,
            Db::Mysql(d) => &d.url,
        }
    }

    fn store(&self) -> MainStore {
        MainStore::connect(self.url()).unwrap()
    }

    /// Runs a statement; returns the rows it changed.
    fn exec(&self, sql: &str) -> u64 {
        match self {
            Db::Postgres(s) => postgres::Client::connect(&s.url, postgres::NoTls)
                .unwrap()
                .execute(sql, &[])
                .unwrap(),
            Db::Mysql(d) => {
                let mut conn = mysql::Conn::new(mysql::Opts::from_url(&d.url).unwrap()).unwrap();
                conn.query_drop(sql).unwrap();
                conn.affected_rows()
            }
        }
    }

    fn dump(&self) -> Dump {
        let kept = "SELECT received_at, pbx, format, source, position, is_offset, reason, raw, \
                    header, raw_hash, released_at FROM quarantine \
                    ORDER BY pbx, source, position, raw_hash";
        let positions = "SELECT source, segment, \"offset\" FROM journal_position ORDER BY source";
        match self {
            Db::Postgres(s) => {
                let mut c = postgres::Client::connect(&s.url, postgres::NoTls).unwrap();
                let calls = c.query(DUMP_CALLS, &[]).unwrap();
                let calls = calls.iter().map(|r| {
                    (
                        r.get(0),
                        r.get(1),
                        r.get(2),
                        r.get(3),
                        r.get(4),
                        r.get(5),
                        r.get(6),
                        r.get(7),
                        r.get(8),
                    )
                });
                let kept = c.query(kept, &[]).unwrap();
                let kept = kept.iter().map(|r| {
                    let is_offset: bool = r.get(5);
                    (
                        r.get(0),
                        r.get(1),
                        r.get(2),
                        r.get(3),
                        r.get(4),
                        i64::from(is_offset),
                        r.get(6),
                        r.get(7),
                        r.get(8),
                        r.get(9),
                        r.get(10),
                    )
                });
                let positions = c.query(positions, &[]).unwrap();
                let positions = positions.iter().map(|r| (r.get(0), r.get(1), r.get(2)));
                Dump {
                    calls: calls.collect(),
                    kept: kept.collect(),
                    positions: positions.collect(),
                }
            }
            Db::Mysql(d) => {
                let mut c = mysql::Conn::new(mysql::Opts::from_url(&d.url).unwrap()).unwrap();
                let positions = positions.replace('"', "`");
                Dump {
                    calls: c.query(DUMP_CALLS).unwrap(),
                    kept: c.query(kept).unwrap(),
                    positions: c.query(positions).unwrap(),
                }
            }
        }
    }
}

/// `n` calls (in batches), 25 quarantined records of which two are
/// released, and the positions of two sources.
fn fill(db: &Db, n: usize) {
    let mut main = db.store();
    main.migrate().unwrap();
    for batch in calls(0, n).chunks(5000) {
        main.write(batch, &[], NO_POSITIONS).unwrap();
    }
    let items: Vec<_> = (0..25).map(quarantine_item).collect();
    let kept: Vec<_> = items
        .iter()
        .enumerate()
        .map(|(i, item)| Quarantined { item, received_at: 1_750_000_000 + i as i64 })
        .collect();
    let positions = [("avaya-hq", position(3, 4096)), ("cucm-1", position(1, 28))];
    main.write(&[], &kept, &positions).unwrap();
    let released =
        db.exec("UPDATE quarantine SET released_at = 1750000999 WHERE position IN (1003, 1007)");
    assert_eq!(released, 2);
}

fn partial(file: &Path) -> std::path::PathBuf {
    file.with_file_name(format!("{}.partial", file.file_name().unwrap().to_string_lossy()))
}

/// A backup of `a` restored into `b` (empty, not even migrated) gives the
/// same rows; restored again, nothing changes.
fn round_trip(a: &Db, b: &Db) {
    fill(a, 12_345);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.backup");
    let mut source = a.store();
    let done = backup::backup(&mut source, &file).unwrap();
    let m = &done.meta;
    assert_eq!((m.calls, m.quarantined, m.positions), (12_345, 25, 2));
    assert_eq!((m.format_version, m.schema_version), (1, 1));
    assert_eq!(m.engine, source.engine());
    assert_eq!(m.database, source.target());
    assert!(done.bytes > 12_345 * 80, "{}", done.bytes);
    assert!(!partial(&file).exists());
    assert_eq!(backup::check(&file).unwrap(), done.meta);

    let mut target = b.store();
    let r = backup::restore(&mut target, &file).unwrap();
    assert_eq!((r.calls_stored, r.calls_present), (12_345, 0));
    assert_eq!((r.quarantined_kept, r.quarantined_present, r.released), (25, 0, 2));
    assert_eq!((r.positions_set, r.positions_kept), (2, 0));
    let original = a.dump();
    assert_eq!(original.calls.len(), 12_345);
    assert_eq!(b.dump(), original);
    assert_eq!(target.quarantine_count().unwrap(), 23);

    let r = backup::restore(&mut target, &file).unwrap();
    assert_eq!((r.calls_stored, r.calls_present), (0, 12_345));
    assert_eq!((r.quarantined_kept, r.quarantined_present, r.released), (0, 25, 0));
    assert_eq!((r.positions_set, r.positions_kept), (0, 2));
    assert_eq!(b.dump(), original);
}

#[test]
fn a_postgres_backup_restores_into_an_empty_database_exactly_and_twice_changes_nothing() {
    let (Some(a), Some(b)) = (Db::postgres("round trip a"), Db::postgres("round trip b")) else {
        return;
    };
    round_trip(&a, &b);
}

#[test]
fn a_mysql_backup_restores_into_an_empty_database_exactly_and_twice_changes_nothing() {
    let (Some(a), Some(b)) = (Db::mysql("round trip a"), Db::mysql("round trip b")) else {
        return;
    };
    round_trip(&a, &b);
}

#[test]
fn a_postgres_backup_restores_into_mysql_and_back() {
    let (Some(pg), Some(my)) = (Db::postgres("across a"), Db::mysql("across b")) else {
        return;
    };
    round_trip(&pg, &my);
    let Some(pg_again) = Db::postgres("across c") else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("from-mysql.backup");
    backup::backup(&mut my.store(), &file).unwrap();
    backup::restore(&mut pg_again.store(), &file).unwrap();
    assert_eq!(pg_again.dump(), pg.dump());
}

/// Counts what it is handed; at the first call, writes another batch
/// from a connection of its own and commits it.
struct WritesDuring {
    url: String,
    calls: u64,
    quarantined: u64,
    positions: Vec<(String, Position)>,
}

impl ExportSink for WritesDuring {
    type Error = mainstore::Error;

    fn call(&mut self, _: &CdrRow) -> Result<(), mainstore::Error> {
        if self.calls == 0 {
            let item = quarantine_item(99);
            let kept = [Quarantined { item: &item, received_at: 1 }];
            let mut other = MainStore::connect(&self.url)?;
            let w = other.write(&calls(100_000, 3000), &kept, &[("avaya-hq", position(9, 0))])?;
            assert_eq!(w.stored, 3000);
        }
        self.calls += 1;
        Ok(())
    }

    fn quarantined(&mut self, _: &QuarantineRow) -> Result<(), mainstore::Error> {
        self.quarantined += 1;
        Ok(())
    }

    fn position(&mut self, source: &str, position: Position) -> Result<(), mainstore::Error> {
        self.positions.push((source.to_owned(), position));
        Ok(())
    }
}

/// Batch A stored, the export begun, batch B committed by another
/// connection while it reads: the export holds A only.
fn snapshot_holds_what_was_committed_before_it(db: &Db) {
    fill(db, 7000);
    let mut sink =
        WritesDuring { url: db.url().to_owned(), calls: 0, quarantined: 0, positions: vec![] };
    let snapshot = db.store().export(&mut sink).unwrap();
    assert_eq!((snapshot.calls, snapshot.quarantined, snapshot.positions), (7000, 25, 2));
    assert_eq!((sink.calls, sink.quarantined), (7000, 25));
    let expected =
        vec![("avaya-hq".to_owned(), position(3, 4096)), ("cucm-1".to_owned(), position(1, 28))];
    assert_eq!(sink.positions, expected);
    // B is stored all the same.
    let mut main = db.store();
    assert_eq!(main.cdr_count().unwrap(), 10_000);
    assert_eq!(main.journal_position("avaya-hq").unwrap(), Some(position(9, 0)));
}

#[test]
fn a_postgres_export_holds_what_its_snapshot_held_while_another_connection_writes() {
    let Some(db) = Db::postgres("snapshot") else { return };
    snapshot_holds_what_was_committed_before_it(&db);
}

#[test]
fn a_mysql_export_holds_what_its_snapshot_held_while_another_connection_writes() {
    let Some(db) = Db::mysql("snapshot") else { return };
    snapshot_holds_what_was_committed_before_it(&db);
}

/// A writer commits batches of 1,000 calls, each with the source's
/// position after it, all through the backup: the file holds whole
/// batches only, and the position of the last of them.
fn backup_under_a_steady_writer(db: &Db) {
    const BATCH: usize = 1000;
    let mut main = db.store();
    main.migrate().unwrap();
    let write_batch = |main: &mut MainStore, k: u64| {
        let rows = calls((k as usize * BATCH) as i64, BATCH);
        main.write(&rows, &[], &[("live", position(0, k))]).unwrap();
    };
    for k in 0..20 {
        write_batch(&mut main, k);
    }
    let (stop, written) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(20)));
    let writer = {
        let (stop, written, url) = (stop.clone(), written.clone(), db.url().to_owned());
        std::thread::spawn(move || {
            let mut main = MainStore::connect(&url).unwrap();
            while !stop.load(Ordering::Relaxed) {
                let k = written.load(Ordering::Relaxed);
                write_batch(&mut main, k);
                written.store(k + 1, Ordering::Relaxed);
            }
        })
    };
    while written.load(Ordering::Relaxed) < 22 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("live.backup");
    let done = backup::backup(&mut db.store(), &file).unwrap();
    let batches = done.meta.calls / BATCH as u64;
    // The writer commits at least once more after the snapshot.
    while written.load(Ordering::Relaxed) <= batches + 1 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(batches >= 22, "{batches}");
    assert_eq!(done.meta.calls % BATCH as u64, 0, "{:?}", done.meta);
    let file = rusqlite::Connection::open(&file).unwrap();
    let held: (i64, i64, i64, i64) = file
        .query_row(
            "SELECT (SELECT count(*) FROM cdr), (SELECT count(DISTINCT start_s) FROM cdr), \
             segment, \"offset\" FROM journal_position WHERE source = 'live'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let calls_held = done.meta.calls as i64;
    assert_eq!(held, (calls_held, calls_held, 0, batches as i64 - 1));
    let (max,): (i64,) =
        file.query_row("SELECT max(start_s) FROM cdr", [], |r| Ok((r.get(0)?,))).unwrap();
    assert_eq!(max, calls(done.meta.calls as i64 - 1, 1)[0].start_s);
    assert!(db.store().cdr_count().unwrap() > done.meta.calls);
}

#[test]
fn a_postgres_backup_under_a_steady_writer_holds_whole_batches_and_their_position() {
    let Some(db) = Db::postgres("steady writer") else { return };
    backup_under_a_steady_writer(&db);
}

#[test]
fn a_mysql_backup_under_a_steady_writer_holds_whole_batches_and_their_position() {
    let Some(db) = Db::mysql("steady writer") else { return };
    backup_under_a_steady_writer(&db);
}

/// The database lost calls and a quarantined record, one source's
/// journal moved on and another's went back: the restore brings back
/// the lost rows only, keeps the later position and sets the earlier one
/// back.
fn restore_into_a_database_that_moved_on(db: &Db) {
    fill(db, 5000);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.backup");
    backup::backup(&mut db.store(), &file).unwrap();
    let before = db.dump();
    assert_eq!(db.exec("DELETE FROM cdr WHERE start_s < 1750000100"), 100);
    assert_eq!(db.exec("DELETE FROM quarantine WHERE position = 1003"), 1);
    db.exec("UPDATE journal_position SET segment = 9 WHERE source = 'avaya-hq'");
    db.exec("UPDATE journal_position SET segment = 0 WHERE source = 'cucm-1'");
    let mut main = db.store();
    let r = backup::restore(&mut main, &file).unwrap();
    assert_eq!((r.calls_stored, r.calls_present), (100, 4900));
    assert_eq!((r.quarantined_kept, r.quarantined_present, r.released), (1, 24, 1));
    assert_eq!((r.positions_set, r.positions_kept), (1, 1));
    assert_eq!(main.journal_position("avaya-hq").unwrap(), Some(position(9, 4096)));
    assert_eq!(main.journal_position("cucm-1").unwrap(), Some(position(1, 28)));
    let mut after = db.dump();
    assert_eq!(after.positions[0], ("avaya-hq".to_owned(), 9, 4096));
    after.positions[0].1 = 3;
    assert_eq!(after, before);
}

#[test]
fn a_postgres_restore_brings_back_what_was_lost_and_keeps_later_positions() {
    let Some(db) = Db::postgres("moved on") else { return };
    restore_into_a_database_that_moved_on(&db);
}

#[test]
fn a_mysql_restore_brings_back_what_was_lost_and_keeps_later_positions() {
    let Some(db) = Db::mysql("moved on") else { return };
    restore_into_a_database_that_moved_on(&db);
}

fn file_error(result: Result<impl std::fmt::Debug, BackupError>) -> String {
    match result {
        Err(BackupError::File(message)) => message,
        other => panic!("expected a file error, got {other:?}"),
    }
}

#[test]
fn files_that_are_not_whole_backups_are_refused_and_change_nothing() {
    let (Some(db), Some(empty)) = (Db::postgres("checks"), Db::postgres("unmigrated")) else {
        return;
    };
    fill(&db, 500);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.backup");
    backup::backup(&mut db.store(), &file).unwrap();
    let whole = std::fs::read(&file).unwrap();

    // Never overwritten.
    let error = file_error(backup::backup(&mut db.store(), &file));
    assert!(error.contains("already exists; not overwritten"), "{error}");
    assert_eq!(std::fs::read(&file).unwrap(), whole);

    // A database without the tables: refused, nothing left behind.
    let other = dir.path().join("other.backup");
    let error = backup::backup(&mut empty.store(), &other).unwrap_err().to_string();
    assert!(error.contains("not migrated"), "{error}");
    assert!(!other.exists() && !partial(&other).exists());

    let variant = |name: &str, change: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, &whole).unwrap();
        rusqlite::Connection::open(&path).unwrap().execute_batch(change).unwrap();
        path
    };
    let junk = dir.path().join("junk");
    std::fs::write(&junk, b"not a database at all").unwrap();
    let cases = [
        (
            variant("short", "DELETE FROM cdr WHERE rowid = 7"),
            "incomplete: its meta says 500 calls",
        ),
        (
            variant("newer", "UPDATE meta SET value = '2' WHERE key = 'format_version'"),
            "backup format 2",
        ),
        (variant("unmarked", "PRAGMA application_id = 0"), "not a backup of a main database"),
        (variant("no meta", "DELETE FROM meta WHERE key = 'calls'"), "no calls in its meta"),
        (junk, "not a backup of a main database"),
        (dir.path().join("missing"), "no such file"),
    ];
    let mut main = empty.store();
    for (path, expected) in cases {
        let error = file_error(backup::restore(&mut main, &path));
        assert!(error.contains(expected), "{}: {error}", path.display());
        assert_eq!(main.schema_version().unwrap(), 0, "{}", path.display());
    }
}
