//! The main database whichever engine the URL names.

use crate::error::Error;
use crate::export::{ExportSink, Released, Snapshot};
use crate::{MysqlStore, PgStore, Quarantined, Result, Written};
use journal::Position;
use std::time::Duration;
use store::CdrRow;

/// A connection to the main database: PostgreSQL or MySQL/MariaDB.
#[derive(Debug)]
pub enum MainStore {
    /// Boxed: the PostgreSQL client is large.
    Postgres(Box<PgStore>),
    Mysql(MysqlStore),
}

/// Forwards a call to the store of either engine.
macro_rules! each {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            MainStore::Postgres($s) => $e,
            MainStore::Mysql($s) => $e,
        }
    };
}

impl MainStore {
    /// Connects to the database `url` names by its scheme:
    /// `postgres://` or `postgresql://`, `mysql://` or `mariadb://`.
    pub fn connect(url: &str) -> Result<MainStore> {
        let scheme = url.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("postgres" | "postgresql") => {
                PgStore::connect(url).map(|s| MainStore::Postgres(Box::new(s)))
            }
            Some("mysql" | "mariadb") => MysqlStore::connect(url).map(MainStore::Mysql),
            _ => Err(Error::Config {
                target: scheme.map_or_else(|| "?".to_owned(), |s| format!("{s}://…")),
                message: "not a database URL: expected postgres://… or mysql://…".to_owned(),
            }),
        }
    }

    /// The database as errors name it (no password).
    pub fn target(&self) -> &str {
        each!(self, s => s.target())
    }

    /// Whether the connection answers within `timeout` (MySQL: within the
    /// client's read timeout, which it cannot change per call).
    pub fn is_alive(&mut self, timeout: Duration) -> bool {
        match self {
            MainStore::Postgres(s) => s.is_alive(timeout),
            MainStore::Mysql(s) => s.is_alive(),
        }
    }

    /// See [`PgStore::reconnect`].
    pub fn reconnect(&mut self) -> Result<()> {
        each!(self, s => s.reconnect())
    }

    /// See [`PgStore::migrate`].
    pub fn migrate(&mut self) -> Result<usize> {
        each!(self, s => s.migrate())
    }

    pub fn schema_version(&mut self) -> Result<i32> {
        each!(self, s => s.schema_version())
    }

    /// See [`PgStore::write`].
    pub fn write<S: AsRef<str>>(
        &mut self,
        calls: &[CdrRow],
        quarantined: &[Quarantined<'_>],
        positions: &[(S, Position)],
    ) -> Result<Written> {
        each!(self, s => s.write(calls, quarantined, positions))
    }

    pub fn journal_position(&mut self, source: &str) -> Result<Option<Position>> {
        each!(self, s => s.journal_position(source))
    }

    pub fn cdr_count(&mut self) -> Result<u64> {
        each!(self, s => s.cdr_count())
    }

    pub fn quarantine_count(&mut self) -> Result<u64> {
        each!(self, s => s.quarantine_count())
    }

    pub fn contains(&mut self, start_s: i64, dedup: i64) -> Result<bool> {
        each!(self, s => s.contains(start_s, dedup))
    }

    /// See [`PgStore::export`].
    pub fn export<S: ExportSink>(&mut self, sink: &mut S) -> Result<Snapshot, S::Error> {
        each!(self, s => s.export(sink))
    }

    /// See [`PgStore::set_released`].
    pub fn set_released(&mut self, records: &[Released]) -> Result<u64> {
        each!(self, s => s.set_released(records))
    }

    /// The engine, as backups name it: `postgres` or `mysql`.
    pub fn engine(&self) -> &'static str {
        match self {
            MainStore::Postgres(_) => "postgres",
            MainStore::Mysql(_) => "mysql",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_other_schemes_are_configuration_errors() {
        for url in ["sqlite://x.db", "./bluewhale-data", "redis://h"] {
            let error = MainStore::connect(url).unwrap_err();
            assert!(matches!(error, Error::Config { .. }), "{url}: {error}");
        }
    }
}
