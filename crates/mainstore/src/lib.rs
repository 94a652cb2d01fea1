//! The main database of a live server, PostgreSQL ([`PgStore`]) or
//! MySQL/MariaDB ([`MysqlStore`]), either opened from its URL as a
//! [`MainStore`]: the writer sends it rated calls, quarantined records and
//! how far each source's raw journal is read, all in one transaction per
//! batch.
//!
//! The schema is the embedded store's (`crates/store/migrations`) for the
//! tables the live writer fills: `cdr` (the same narrow row, with `rec` and
//! `charge` in the same packed layouts), `quarantine`, `source` and
//! `journal_position`. The directory, the tariff book and the rollups stay
//! in the embedded store for now.
//!
//! Errors say what the caller does next (see [`Error`]): on
//! [`Error::Unavailable`] it keeps the batch elsewhere and writes it again
//! later, which is safe because a write stores nothing twice; on anything
//! else it stops.
//!
//! [`backup`] writes a consistent export of the database (one snapshot,
//! rows streamed, see [`MainStore::export`]) into a checked SQLite file,
//! and writes such a file back through the same idempotent writes.
//!
//! The feature `testing` adds `testing::ThrowawayPostgres`, a PostgreSQL
//! server of a test's own. The crate's tests use the local servers
//! (PostgreSQL at 127.0.0.1:5432, database `test`; MariaDB at
//! 127.0.0.1:3306, database `test`; or `BLUEWHALE_TEST_PG_URL` and
//! `BLUEWHALE_TEST_MYSQL_URL`), each test in a schema or database of its
//! own; they skip when a server cannot be reached, but fail with `CI=true`.

pub mod backup;
mod error;
mod export;
mod main_store;
mod mariadb;
mod pg;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, Result};
pub use export::{ExportSink, QuarantineRow, Released, Snapshot};
pub use main_store::MainStore;
pub use mariadb::MysqlStore;
pub use pg::PgStore;

use store::QuarantineItem;

/// A record to quarantine, with when it was received (seconds since the
/// epoch): kept from the first attempt when a batch is written again.
#[derive(Debug, Clone, Copy)]
pub struct Quarantined<'a> {
    pub item: &'a QuarantineItem,
    pub received_at: i64,
}

/// What one write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Calls stored by this write.
    pub stored: u64,
    /// Calls that were already stored (or twice in the batch).
    pub duplicates: u64,
    /// Quarantined records kept by this write (those already kept are not
    /// counted).
    pub quarantined: u64,
}

/// Checks that `migrations` lists every file of `migrations/<folder>`,
/// under the version and name its file name gives, numbered from 1 in order.
#[cfg(test)]
pub(crate) fn assert_migrations_match_files(folder: &str, migrations: &[(i32, &str, &str)]) {
    let dir = format!("{}/migrations/{folder}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let listed: Vec<String> =
        migrations.iter().map(|(v, name, _)| format!("{v:04}_{name}.sql")).collect();
    assert_eq!(files, listed);
    for (i, (version, _, _)) in migrations.iter().enumerate() {
        assert_eq!(*version as usize, i + 1);
    }
}
