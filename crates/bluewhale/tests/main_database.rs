//! `bluewhale serve` with a main database (`[storage] url`): calls go to
//! PostgreSQL or MySQL/MariaDB; while it is away they wait in the offline
//! store and are written, once, when it is back.
//!
//! The outage test starts a PostgreSQL of its own and stops it for 60 s
//! while PBXs send; it is skipped (with a message) where no PostgreSQL
//! can be started, except in CI (`CI=true`), where it fails.

mod common;

use common::main_db::{acknowledged, metric, prepared, simulate, throwaway, wait_until};
use common::server::start;
use mainstore::MainStore;
use std::time::{Duration, Instant};

#[test]
fn the_main_database_stopped_for_a_minute_under_load_loses_nothing_and_stores_nothing_twice() {
    let Some(mut pg) = throwaway() else { return };
    let url = pg.url();
    let (bw, port) = prepared(&url);
    let server = start(&bw);
    assert_eq!(metric(&server, "bluewhale_main_database_up"), 1);
    // 2,000 calls a second from 4 PBX links for 75 s.
    let sender = simulate(&bw, port, &["--rate", "2000", "--connections", "4", "--duration", "75"]);
    let stored = "bluewhale_records_total{outcome=\"stored\"}";
    wait_until("calls stored in PostgreSQL", Duration::from_secs(60), || {
        metric(&server, stored) > 0
    });
    pg.stop().unwrap();
    let stopped = Instant::now();
    // The server notices and keeps batches in the offline store.
    server.wait_for("batches wait in the offline store");
    wait_until("a backlog in the offline store", Duration::from_secs(30), || {
        metric(&server, "bluewhale_offline_backlog_calls") > 0
    });
    assert_eq!(metric(&server, "bluewhale_main_database_up"), 0);
    std::thread::sleep(Duration::from_secs(60).saturating_sub(stopped.elapsed()));
    let backlog = metric(&server, "bluewhale_offline_backlog_calls");
    assert!(backlog > 50_000, "only {backlog} calls kept during a minute at 2,000 a second");
    pg.start().unwrap();
    server.wait_for("written in");
    wait_until("the backlog drained", Duration::from_secs(60), || {
        metric(&server, "bluewhale_offline_backlog_batches") == 0
    });
    assert_eq!(metric(&server, "bluewhale_main_database_up"), 1);
    let sent = acknowledged(sender);
    assert!(sent > 100_000, "{sent}");
    let summary = server.stop();
    assert!(summary.contains("stored"), "{summary}");
    // Every acknowledged call is in PostgreSQL, once (the key is the call:
    // a second copy would be refused, so what must hold is the count).
    let mut main = MainStore::connect(&url).unwrap();
    assert_eq!(main.cdr_count().unwrap(), sent);
    assert_eq!(main.quarantine_count().unwrap(), 0);
    // Nothing went into the embedded store's call table.
    assert_eq!(bw.store().cdr_count().unwrap(), 0);
}

#[test]
fn a_server_started_while_the_main_database_is_down_keeps_calls_offline_and_writes_them_later() {
    let Some(mut pg) = throwaway() else { return };
    let url = pg.url();
    pg.stop().unwrap();
    let (bw, port) = prepared(&url);
    let server = start(&bw);
    assert_eq!(metric(&server, "bluewhale_main_database_up"), 0);
    let sender = simulate(&bw, port, &["--rate", "0", "--count", "20000"]);
    let sent = acknowledged(sender);
    assert_eq!(sent, 20_000);
    wait_until("everything kept offline", Duration::from_secs(60), || {
        metric(&server, "bluewhale_offline_backlog_calls") == 20_000
    });
    // Stopped and started again while the database is still down: the
    // kept batches wait, nothing is read twice from the journal.
    server.stop();
    let server = start(&bw);
    assert_eq!(metric(&server, "bluewhale_offline_backlog_calls"), 20_000);
    pg.start().unwrap();
    wait_until("the backlog drained", Duration::from_secs(60), || {
        metric(&server, "bluewhale_offline_backlog_batches") == 0
    });
    server.stop();
    let mut main = MainStore::connect(&url).unwrap();
    assert_eq!(main.cdr_count().unwrap(), 20_000);
}

#[test]
fn a_storage_url_that_is_not_a_database_is_refused_at_start() {
    let (bw, _) = prepared("sqlite:///tmp/x.db");
    let config = bw.data.path().join("server.toml").display().to_string();
    let error = bw.fails(&["serve", "--config", &config]);
    assert!(error.contains("[storage] url: expected postgres://… or mysql://…"), "{error}");
}

#[test]
fn replay_with_a_main_database_fills_in_what_it_lost_and_nothing_else() {
    let Some(pg) = throwaway() else { return };
    let url = pg.url();
    let (bw, port) = prepared(&url);
    let server = start(&bw);
    assert_eq!(acknowledged(simulate(&bw, port, &["--rate", "0", "--count", "5000"])), 5000);
    let stored = "bluewhale_records_total{outcome=\"stored\"}";
    wait_until("all stored", Duration::from_secs(60), || metric(&server, stored) == 5000);
    server.stop();
    let config = bw.data.path().join("server.toml").display().to_string();
    let replay = ["replay", "--pbx", "avaya-hq", "--from", "today", "--to", "today"];
    let replay = [&replay[..], &["--config", &config]].concat();
    let replayed = bw.ok(&replay);
    assert!(replayed.contains("5000 records read: 0 stored, 5000 duplicates"), "{replayed}");
    // A thousand calls lost in the main database come back, and only they.
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let lost = "DELETE FROM cdr WHERE ctid IN (SELECT ctid FROM cdr LIMIT 1000)";
    assert_eq!(client.execute(lost, &[]).unwrap(), 1000);
    let replayed = bw.ok(&replay);
    assert!(replayed.contains("5000 records read: 1000 stored, 4000 duplicates"), "{replayed}");
    assert_eq!(MainStore::connect(&url).unwrap().cdr_count().unwrap(), 5000);
    assert_eq!(bw.store().cdr_count().unwrap(), 0);
}

/// A database of the test's own on the local MySQL/MariaDB (or
/// `BLUEWHALE_TEST_MYSQL_URL`'s server), dropped at the end.
struct MysqlDatabase {
    admin: mysql::Conn,
    name: String,
    url: String,
}

impl Drop for MysqlDatabase {
    fn drop(&mut self) {
        use mysql::prelude::Queryable;
        let _ = self.admin.query_drop(format!("DROP DATABASE IF EXISTS {}", self.name));
    }
}

fn mysql_database() -> Option<MysqlDatabase> {
    use mysql::prelude::Queryable;
    let base = std::env::var("BLUEWHALE_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned());
    let admin = mysql::Opts::from_url(&base).map_err(mysql::Error::from).and_then(mysql::Conn::new);
    let mut admin = match admin {
        Ok(conn) => conn,
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("MySQL/MariaDB at {base} is needed in CI: {e}")
        }
        Err(e) => {
            eprintln!("skipped: no MySQL/MariaDB at {base}: {e}");
            return None;
        }
    };
    let name = format!("bluewhale_serve_{}", std::process::id());
    admin.query_drop(format!("DROP DATABASE IF EXISTS {name}")).unwrap();
    admin.query_drop(format!("CREATE DATABASE {name}")).unwrap();
    let server = base.rsplit_once('/').map_or(base.as_str(), |(server, _)| server);
    let url = format!("{server}/{name}");
    Some(MysqlDatabase { admin, name, url })
}

#[test]
fn calls_streamed_to_a_server_with_a_mysql_main_database_are_stored_there_once() {
    let Some(db) = mysql_database() else { return };
    let (bw, port) = prepared(&db.url);
    let server = start(&bw);
    assert_eq!(metric(&server, "bluewhale_main_database_up"), 1);
    assert_eq!(acknowledged(simulate(&bw, port, &["--rate", "0", "--count", "20000"])), 20000);
    let stored = "bluewhale_records_total{outcome=\"stored\"}";
    wait_until("all stored", Duration::from_secs(60), || metric(&server, stored) == 20000);
    server.stop();
    // The same records again: all duplicates, nothing added.
    let server = start(&bw);
    assert_eq!(acknowledged(simulate(&bw, port, &["--rate", "0", "--count", "20000"])), 20000);
    let duplicates = "bluewhale_records_total{outcome=\"duplicate\"}";
    wait_until("all seen", Duration::from_secs(60), || metric(&server, duplicates) == 20000);
    server.stop();
    let mut main = MainStore::connect(&db.url).unwrap();
    assert_eq!(main.cdr_count().unwrap(), 20000);
    assert_eq!(bw.store().cdr_count().unwrap(), 0);
}
