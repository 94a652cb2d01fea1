//! What the tests share: a schema of their own on the local PostgreSQL, a
//! database of their own on the local MySQL/MariaDB, and batches of
//! made-up calls.

#![allow(dead_code)]

use journal::Position;
use std::sync::atomic::{AtomicU32, Ordering};
use store::{CdrRow, QuarantineItem};

/// The shared server tests use, unless `BLUEWHALE_TEST_PG_URL` names another.
const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A fresh schema on the shared server, dropped at the end of the test, so
/// that tests (and test runs) running at the same time do not meet.
pub struct Schema {
    admin: postgres::Client,
    name: String,
    /// Connects with the schema first on the search path.
    pub url: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = self.admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

/// A schema of the test's own on the shared PostgreSQL; None (with a
/// message) when that server cannot be reached, except in CI (`CI=true`),
/// where the test fails instead.
pub fn schema(test: &str) -> Option<Schema> {
    let base = std::env::var("BLUEWHALE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let mut admin = match postgres::Client::connect(&base, postgres::NoTls) {
        Ok(client) => client,
        Err(e) => {
            let e = causes(&e);
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{test}: PostgreSQL at {base} is needed in CI: {e}");
            }
            eprintln!("{test}: skipped: no PostgreSQL at {base}: {e}");
            return None;
        }
    };
    let name = format!("mainstore_test_{}", unique());
    admin.batch_execute(&format!("CREATE SCHEMA {name}")).unwrap();
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{name}");
    Some(Schema { admin, name, url })
}

/// The shared MySQL/MariaDB server tests use, unless
/// `BLUEWHALE_TEST_MYSQL_URL` names another.
const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// A fresh database on the shared MySQL/MariaDB server, dropped at the end
/// of the test.
pub struct Database {
    pub admin: mysql::Conn,
    pub name: String,
    pub url: String,
}

impl Drop for Database {
    fn drop(&mut self) {
        use mysql::prelude::Queryable;
        let _ = self.admin.query_drop(format!("DROP DATABASE IF EXISTS {}", self.name));
    }
}

/// A database of the test's own on the shared MySQL/MariaDB; None (with
/// a message) when that server cannot be reached, except in CI.
pub fn database(test: &str) -> Option<Database> {
    use mysql::prelude::Queryable;
    let base =
        std::env::var("BLUEWHALE_TEST_MYSQL_URL").unwrap_or_else(|_| DEFAULT_MYSQL_URL.to_owned());
    let mut admin =
        match mysql::Opts::from_url(&base).map_err(mysql::Error::from).and_then(mysql::Conn::new) {
            Ok(conn) => conn,
            Err(e) => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("{test}: MySQL/MariaDB at {base} is needed in CI: {e}");
                }
                eprintln!("{test}: skipped: no MySQL/MariaDB at {base}: {e}");
                return None;
            }
        };
    let name = format!("mainstore_test_{}", unique());
    admin.query_drop(format!("CREATE DATABASE {name}")).unwrap();
    let server = base.rsplit_once('/').map_or(base.as_str(), |(server, _)| server);
    let url = format!("{server}/{name}");
    Some(Database { admin, name, url })
}

/// An error with its causes.
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    text
}

/// A name no other test (of this run or another) uses.
fn unique() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    format!("{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// `n` calls with keys from `first`, one second apart, each with a packed
/// record and charge of typical sizes.
pub fn calls(first: i64, n: usize) -> Vec<CdrRow> {
    (0..n as i64)
        .map(|i| {
            let k = first + i;
            CdrRow {
                start_s: 1_750_000_000 + k,
                dedup: k.wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as i64),
                pbx_id: 1 + k % 3,
                extension_id: (k % 5 != 0).then_some(100 + k % 400),
                department_id: (k % 7 != 0).then_some(10 + k % 20),
                calling: format!("{}", 2000 + k % 400).into(),
                dialled: if k % 11 == 0 {
                    "".into()
                } else {
                    format!("0044207{:07}", k % 9_999_999).into()
                },
                rec: (0..80).map(|b| (b as i64 ^ k) as u8).collect(),
                charge: (k % 4 != 0).then(|| (0..40).map(|b| (b as i64 + k) as u8).collect()),
                ..CdrRow::default()
            }
        })
        .collect()
}

pub fn quarantine_item(n: u64) -> QuarantineItem {
    QuarantineItem {
        pbx: "avaya-hq".into(),
        format: "avaya".into(),
        location: cdr::Location {
            source: "avaya-hq@journal".into(),
            position: 1000 + n,
            is_offset: true,
        },
        reason: format!("field duration: not a number: \"x{n}\""),
        raw: format!("garbage {n}\n").into_bytes(),
        header: n.is_multiple_of(2).then(|| b"h1,h2\n".to_vec()),
    }
}

pub fn position(segment: u64, offset: u64) -> Position {
    Position::new(segment, offset)
}
