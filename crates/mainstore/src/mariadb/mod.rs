//! The main database on MySQL or MariaDB, through the synchronous `mysql`
//! client.
//!
//! A write is one InnoDB transaction: the calls go in multi-row prepared
//! `INSERT`s (of up to 2,000 rows and 4 MiB) with `ON DUPLICATE KEY
//! UPDATE` of the key to itself, which skips calls stored already (or twice
//! in the batch) and counts only the new ones as affected rows (the
//! client does not ask for `CLIENT_FOUND_ROWS`). Unlike `INSERT IGNORE`, it
//! does not turn other errors (a value too long) into warnings. The
//! quarantined records and the journal positions follow the same way.
//! Writing the same batch again stores nothing twice.

mod classify;
mod export;
mod migrate;
mod write;

use crate::error::{Error, Result};
use crate::{Quarantined, Written};
use classify::classify;
use journal::Position;
use migrate::{current_version, locked, migrate};
use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder};
use std::time::Duration;
use store::CdrRow;
use write::write;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Hang guards: a statement whose answer takes longer fails as unavailable
/// (a lock wait gives up after 50 s by default, well before).
const READ_TIMEOUT: Duration = Duration::from_secs(300);
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);
const KEEPALIVE_TIME_MS: u32 = 15_000;
const TCP_USER_TIMEOUT_MS: u32 = 30_000;

/// Session settings: strict (a value the column cannot hold is an error,
/// never truncated), and UTF-8 in full.
const SESSION_SETUP: [&str; 2] =
    ["SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'", "SET NAMES utf8mb4"];

/// A connection to the main database on MySQL or MariaDB.
pub struct MysqlStore {
    opts: Opts,
    /// How errors name the database (no password).
    target: String,
    conn: Conn,
    /// Set when an operation found the database away: the next one
    /// reconnects first (the client cannot tell a dead connection).
    broken: bool,
}

impl std::fmt::Debug for MysqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlStore").field("target", &self.target).finish_non_exhaustive()
    }
}

impl MysqlStore {
    /// Connects to `url` (`mysql://user[:password]@host[:port]/dbname`;
    /// `mariadb://` is taken as the same), giving up after a few seconds.
    pub fn connect(url: &str) -> Result<MysqlStore> {
        let url = match url.strip_prefix("mariadb://") {
            Some(rest) => format!("mysql://{rest}"),
            None => url.to_owned(),
        };
        let opts = Opts::from_url(&url).map_err(|e| Error::Config {
            target: "mysql".to_owned(),
            message: format!("not a MySQL URL: {e}"),
        })?;
        let opts: Opts = OptsBuilder::from_opts(opts)
            .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
            .read_timeout(Some(READ_TIMEOUT))
            .write_timeout(Some(WRITE_TIMEOUT))
            .tcp_keepalive_time_ms(Some(KEEPALIVE_TIME_MS))
            .tcp_user_timeout_ms(Some(TCP_USER_TIMEOUT_MS))
            .init(SESSION_SETUP.to_vec())
            .into();
        let target = describe(&opts);
        let conn = Conn::new(opts.clone()).map_err(|e| classify(&e, &target, "connecting"))?;
        Ok(MysqlStore { opts, target, conn, broken: false })
    }

    /// The database as errors name it: `mysql://user@host:port/dbname`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Whether the connection answers a ping. (The client's read timeout
    /// bounds the wait.)
    pub fn is_alive(&mut self) -> bool {
        !self.broken && self.conn.ping().is_ok()
    }

    /// Replaces the connection with a new one (writes do it by themselves
    /// after finding the database away).
    pub fn reconnect(&mut self) -> Result<()> {
        self.conn =
            Conn::new(self.opts.clone()).map_err(|e| classify(&e, &self.target, "connecting"))?;
        self.broken = false;
        Ok(())
    }

    /// Brings the schema to the latest version this program knows;
    /// returns how many migrations ran. Safe to run from several servers
    /// at once. MySQL commits DDL statement by statement: a migration cut
    /// short is completed by the next run (its statements can run again).
    pub fn migrate(&mut self) -> Result<usize> {
        self.reconnect_if_broken()?;
        let result = locked(&mut self.conn, &self.target, |conn| migrate(conn, &self.target));
        self.note(result)
    }

    /// The schema version (0 before [`MysqlStore::migrate`]).
    pub fn schema_version(&mut self) -> Result<i32> {
        self.reconnect_if_broken()?;
        let exists: Result<Option<i64>> = self
            .conn
            .query_first_opt(
                "SELECT COUNT(*) FROM information_schema.tables
                 WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'",
            )
            .and_then(checked)
            .map_err(|e| classify(&e, &self.target, "reading the schema version"));
        let result = match self.note(exists)? {
            Some(n) if n > 0 => current_version(&mut self.conn)
                .map_err(|e| classify(&e, &self.target, "reading the schema version")),
            _ => Ok(0),
        };
        self.note(result)
    }

    /// As [`crate::PgStore::write`]: calls, quarantined records and journal
    /// positions in one transaction, none of it twice.
    pub fn write<S: AsRef<str>>(
        &mut self,
        calls: &[CdrRow],
        quarantined: &[Quarantined<'_>],
        positions: &[(S, Position)],
    ) -> Result<Written> {
        let positions = last_positions(positions).map_err(|message| Error::Rejected {
            target: self.target.clone(),
            doing: "the batch".to_owned(),
            message,
        })?;
        let reused = !self.broken;
        self.reconnect_if_broken()?;
        let result = write(&mut self.conn, &self.target, calls, quarantined, &positions);
        match self.note(result) {
            // The connection was ended while idle (a database restart
            // between two batches): the client learns it only now. Once
            // more on a new one; a batch may always be written again.
            Err(Error::Unavailable { .. }) if reused => {
                self.reconnect()?;
                let result = write(&mut self.conn, &self.target, calls, quarantined, &positions);
                self.note(result)
            }
            result => result,
        }
    }

    /// Where reading `source`'s journal resumes, None when nothing of it
    /// was stored yet.
    pub fn journal_position(&mut self, source: &str) -> Result<Option<Position>> {
        self.reconnect_if_broken()?;
        let row: Result<Option<(i64, i64)>> = self
            .conn
            .exec_first_opt(
                "SELECT segment, `offset` FROM journal_position WHERE source = ?",
                (source,),
            )
            .and_then(checked)
            .map_err(|e| classify(&e, &self.target, "reading a journal position"));
        let unsigned = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(self.note(row)?.map(|(s, o)| Position::new(unsigned(s), unsigned(o))))
    }

    /// Number of stored calls.
    pub fn cdr_count(&mut self) -> Result<u64> {
        self.count("SELECT COUNT(*) FROM cdr", "counting calls")
    }

    /// Number of quarantined records not released.
    pub fn quarantine_count(&mut self) -> Result<u64> {
        self.count(
            "SELECT COUNT(*) FROM quarantine WHERE released_at IS NULL",
            "counting quarantined records",
        )
    }

    /// Whether the call with this key is stored.
    pub fn contains(&mut self, start_s: i64, dedup: i64) -> Result<bool> {
        self.reconnect_if_broken()?;
        let found: Result<Option<i64>> = self
            .conn
            .exec_first_opt("SELECT 1 FROM cdr WHERE start_s = ? AND dedup = ?", (start_s, dedup))
            .and_then(checked)
            .map_err(|e| classify(&e, &self.target, "looking a call up"));
        Ok(self.note(found)?.is_some())
    }

    fn count(&mut self, sql: &str, doing: &str) -> Result<u64> {
        self.reconnect_if_broken()?;
        let n: Result<Option<i64>> = self
            .conn
            .query_first_opt(sql)
            .and_then(checked)
            .map_err(|e| classify(&e, &self.target, doing));
        Ok(self.note(n)?.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    fn reconnect_if_broken(&mut self) -> Result<()> {
        if self.broken { self.reconnect() } else { Ok(()) }
    }

    /// Passes a result on, remembering whether it found the database away.
    fn note<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(Error::Unavailable { .. }) = &result {
            self.broken = true;
        }
        result
    }
}

/// A row converted to `T`: a conversion error is an error, not a panic.
pub(super) fn checked<T>(row: Option<Result<T, mysql::FromRowError>>) -> mysql::Result<Option<T>> {
    row.transpose().map_err(mysql::Error::from)
}

/// The last position of each source, as it is stored.
fn last_positions<S: AsRef<str>>(
    positions: &[(S, Position)],
) -> Result<Vec<(&str, i64, i64)>, String> {
    let mut last: Vec<(&str, i64, i64)> = Vec::with_capacity(positions.len());
    for (source, position) in positions {
        let source = source.as_ref();
        let (segment, offset) = position.to_pair();
        let (Ok(segment), Ok(offset)) = (i64::try_from(segment), i64::try_from(offset)) else {
            return Err(format!("journal position of {source}: {position:?} out of range"));
        };
        match last.iter_mut().find(|p| p.0 == source) {
            Some(slot) => *slot = (source, segment, offset),
            None => last.push((source, segment, offset)),
        }
    }
    Ok(last)
}

/// `mysql://user@host:port/dbname`.
fn describe(opts: &Opts) -> String {
    let user = opts.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    let host = opts.get_ip_or_hostname();
    let host = if host.contains(':') { format!("[{host}]") } else { host.into_owned() };
    let db = opts.get_db_name().unwrap_or("");
    format!("mysql://{user}{host}:{}/{db}", opts.get_tcp_port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_host_port_and_database_but_no_password() {
        for (url, expected) in [
            ("mysql://bw:secret@db.example:3307/calls", "mysql://bw@db.example:3307/calls"),
            ("mysql://root@127.0.0.1/test", "mysql://root@127.0.0.1:3306/test"),
        ] {
            assert_eq!(describe(&Opts::from_url(url).unwrap()), expected, "{url}");
        }
    }

    #[test]
    fn a_source_named_twice_keeps_its_last_position() {
        let positions =
            [("a", Position::new(1, 10)), ("b", Position::new(2, 5)), ("a", Position::new(1, 20))];
        assert_eq!(last_positions(&positions).unwrap(), vec![("a", 1, 20), ("b", 2, 5)]);
        let error = last_positions(&[("a", Position::new(0, u64::MAX))]).unwrap_err();
        assert!(error.contains("journal position of a"), "{error}");
    }
}
