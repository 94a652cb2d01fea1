//! The main database on PostgreSQL, through the synchronous `postgres`
//! client (the writer is a plain thread).
//!
//! A write is one transaction. The calls go by binary `COPY`, by one of
//! two paths:
//! - first, straight into `cdr`, inside a savepoint: the quickest way in
//!   (PostgreSQL inserts copied rows in bulk), taken while batches hold
//!   new calls only;
//! - when the primary key refuses one (a call stored already or twice in
//!   the batch), the savepoint is rolled back and the calls go into a
//!   temporary staging table (one per connection, emptied at each commit),
//!   then into `cdr` by `INSERT … SELECT … ON CONFLICT DO NOTHING`, whose
//!   row count tells the new calls from the duplicates. The batch after
//!   one with duplicates takes this path at once (replaying a backlog
//!   meets many), until a batch has none.
//!
//! A duplicate stored by another writer at the same time is caught the
//! same way: the key refuses it once the other commits. The quarantined
//! records and the journal positions follow, each as one statement over
//! arrays. Writing the same batch again stores nothing twice, which is
//! what makes replaying batches kept while the database was away safe.

mod calls;
mod classify;
mod export;
mod migrate;
mod params;

use crate::error::{Error, Result, chain};
use crate::{Quarantined, Written};
use calls::{CREATE_STAGING, INSERT_STAGED, copy_calls, copy_new_calls};
use classify::classify;
use journal::Position;
use params::Rows;
use postgres::config::Host;
use postgres::{Client, Config, NoTls, Statement};
use std::str::FromStr;
use std::time::Duration;
use store::CdrRow;

/// How long establishing the TCP connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long sent data may stay unacknowledged before the connection is
/// taken for dead (Linux `TCP_USER_TIMEOUT`): a vanished server fails a
/// write instead of hanging it.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);
/// Keepalive probes notice a vanished server while waiting for an answer.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(15);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(5);
const KEEPALIVE_RETRIES: u32 = 3;

/// Session settings: the staging table of a ~65k-call batch fits in the
/// temporary buffers instead of spilling to files. (Must come before the
/// session first touches a temporary table.)
const SESSION_SETUP: &str = "SET temp_buffers = '64MB'";

/// Statements a connection prepares once, with its staging table.
struct Prepared {
    insert_calls: Statement,
    insert_quarantine: Statement,
    upsert_positions: Statement,
}

/// A connection to the main database on PostgreSQL.
pub struct PgStore {
    config: Config,
    /// How errors name the database (no password).
    target: String,
    client: Client,
    /// None until the connection's first write (and after a reconnect).
    prepared: Option<Prepared>,
    /// Whether the last batch held calls stored already: the next one
    /// then goes straight to the path that skips them.
    expect_duplicates: bool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("target", &self.target).finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/dbname`,
    /// or the `key=value` form), giving up after a few seconds. TLS is not
    /// supported: `sslmode` must be `disable` or `prefer`.
    pub fn connect(url: &str) -> Result<PgStore> {
        let mut config = Config::from_str(url).map_err(|e| Error::Config {
            target: "postgres".to_owned(),
            message: format!("not a PostgreSQL URL: {}", chain(&e)),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        config
            .keepalives(true)
            .keepalives_idle(KEEPALIVE_IDLE)
            .keepalives_interval(KEEPALIVE_INTERVAL)
            .keepalives_retries(KEEPALIVE_RETRIES);
        if config.get_application_name().is_none() {
            config.application_name("bluewhale");
        }
        let target = describe(&config);
        let client = open(&config, &target)?;
        Ok(PgStore { config, target, client, prepared: None, expect_duplicates: false })
    }

    /// The database as errors name it: `postgres://user@host:port/dbname`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Whether the connection answers a trivial query within `timeout`.
    pub fn is_alive(&mut self, timeout: Duration) -> bool {
        !self.client.is_closed() && self.client.is_valid(timeout).is_ok()
    }

    /// Replaces the connection with a new one. Writes reconnect by
    /// themselves when the connection is known to be closed; this is for a
    /// caller that saw [`Error::Unavailable`] and wants to know when the
    /// database is back.
    pub fn reconnect(&mut self) -> Result<()> {
        self.client = open(&self.config, &self.target)?;
        self.prepared = None;
        Ok(())
    }

    /// Brings the schema to the latest version this program knows;
    /// returns how many migrations ran (0 when it was current). Safe to
    /// run from several servers at once.
    pub fn migrate(&mut self) -> Result<usize> {
        self.reconnect_if_closed()?;
        migrate::migrate(&mut self.client, &self.target)
    }

    /// The schema version (0 before [`PgStore::migrate`]).
    pub fn schema_version(&mut self) -> Result<i32> {
        self.reconnect_if_closed()?;
        migrate::version(&mut self.client, &self.target)
    }

    /// Stores `calls` (those already stored are counted as duplicates),
    /// keeps `quarantined` (each once), and records how far each source's
    /// journal is read, all in one transaction: either all of it is
    /// stored or none of it. Writing the same batch again stores nothing
    /// twice. A source named twice in `positions` keeps its last position.
    ///
    /// Positions are overwritten, not compared, as in the embedded store:
    /// batches of one source must be written in journal order (replay a
    /// backlog before writing newer batches).
    ///
    /// PostgreSQL's text cannot hold NUL: a call whose calling or dialled
    /// number holds one makes the batch [`Error::Rejected`]. (In a
    /// quarantined record's texts, NUL is shown as U+FFFD; its bytes are
    /// kept as they are.)
    pub fn write<S: AsRef<str>>(
        &mut self,
        calls: &[CdrRow],
        quarantined: &[Quarantined<'_>],
        positions: &[(S, Position)],
    ) -> Result<Written> {
        let rows = Rows::new(quarantined, positions)
            .map_err(|message| self.rejected("the batch", message))?;
        let reused = !self.client.is_closed();
        match self.write_once(calls, &rows) {
            // The connection was ended while idle (a database restart
            // between two batches): the client learns it only now. Once
            // more on a new one; a batch may always be written again.
            Err(Error::Unavailable { .. }) if reused && self.client.is_closed() => {
                self.reconnect()?;
                self.write_once(calls, &rows)
            }
            result => result,
        }
    }

    fn write_once(&mut self, calls: &[CdrRow], rows: &Rows<'_>) -> Result<Written> {
        self.ready()?;
        let target = self.target.as_str();
        let Some(prepared) = self.prepared.as_ref() else {
            return Err(self.rejected("the batch", "no prepared statements".to_owned()));
        };
        let err = |doing: &'static str| move |e: postgres::Error| classify(&e, target, doing);
        let mut tx = self.client.transaction().map_err(err("beginning a transaction"))?;
        let mut stored = 0;
        if !calls.is_empty() {
            let direct = if self.expect_duplicates {
                None
            } else {
                copy_new_calls(&mut tx, calls).map_err(err("storing the calls"))?
            };
            stored = match direct {
                Some(stored) => stored,
                None => {
                    let stored = copy_calls(&mut tx, &prepared.insert_calls, calls)
                        .map_err(err("storing the calls"))?;
                    self.expect_duplicates = stored < calls.len() as u64;
                    stored
                }
            };
        }
        let mut kept = 0;
        let q = &rows.quarantine;
        if !q.pbx.is_empty() {
            kept = tx
                .execute(
                    &prepared.insert_quarantine,
                    &[
                        &q.received_at,
                        &q.pbx,
                        &q.format,
                        &q.source,
                        &q.position,
                        &q.is_offset,
                        &q.reason,
                        &q.raw,
                        &q.header,
                        &q.raw_hash,
                    ],
                )
                .map_err(err("keeping quarantined records"))?;
        }
        if !rows.positions.0.is_empty() {
            let (sources, segments, offsets) = &rows.positions;
            tx.execute(&prepared.upsert_positions, &[sources, segments, offsets])
                .map_err(err("recording journal positions"))?;
        }
        tx.commit().map_err(err("committing"))?;
        Ok(Written { stored, duplicates: calls.len() as u64 - stored, quarantined: kept })
    }

    /// Where reading `source`'s journal resumes, None when nothing of it
    /// was stored yet.
    pub fn journal_position(&mut self, source: &str) -> Result<Option<Position>> {
        self.reconnect_if_closed()?;
        let err = |e: postgres::Error| classify(&e, &self.target, "reading a journal position");
        let row = self
            .client
            .query_opt(
                "SELECT segment, \"offset\" FROM journal_position WHERE source = $1",
                &[&source],
            )
            .map_err(err)?;
        let Some(row) = row else { return Ok(None) };
        let segment: i64 = row.try_get(0).map_err(err)?;
        let offset: i64 = row.try_get(1).map_err(err)?;
        let unsigned = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(Some(Position::new(unsigned(segment), unsigned(offset))))
    }

    /// Number of stored calls.
    pub fn cdr_count(&mut self) -> Result<u64> {
        self.count("SELECT count(*) FROM cdr", "counting calls")
    }

    /// Number of quarantined records not released.
    pub fn quarantine_count(&mut self) -> Result<u64> {
        self.count(
            "SELECT count(*) FROM quarantine WHERE released_at IS NULL",
            "counting quarantined records",
        )
    }

    /// Whether the call with this key is stored.
    pub fn contains(&mut self, start_s: i64, dedup: i64) -> Result<bool> {
        self.reconnect_if_closed()?;
        let row = self
            .client
            .query_opt("SELECT 1 FROM cdr WHERE start_s = $1 AND dedup = $2", &[&start_s, &dedup])
            .map_err(|e| classify(&e, &self.target, "looking a call up"))?;
        Ok(row.is_some())
    }

    fn count(&mut self, sql: &str, doing: &str) -> Result<u64> {
        self.reconnect_if_closed()?;
        let n: i64 = self
            .client
            .query_one(sql, &[])
            .and_then(|row| row.try_get(0))
            .map_err(|e| classify(&e, &self.target, doing))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn rejected(&self, doing: &str, message: String) -> Error {
        Error::Rejected { target: self.target.clone(), doing: doing.to_owned(), message }
    }

    fn reconnect_if_closed(&mut self) -> Result<()> {
        if self.client.is_closed() { self.reconnect() } else { Ok(()) }
    }

    /// A live connection with its staging table and statements.
    fn ready(&mut self) -> Result<()> {
        self.reconnect_if_closed()?;
        if self.prepared.is_some() {
            return Ok(());
        }
        let target = self.target.as_str();
        let err = |e: postgres::Error| {
            let mut error = classify(&e, target, "preparing to write");
            if let Error::Rejected { message, .. } = &mut error {
                message.push_str(" (is the schema migrated?)");
            }
            error
        };
        self.client.batch_execute(CREATE_STAGING).map_err(err)?;
        let insert_calls = self.client.prepare(INSERT_STAGED).map_err(err)?;
        let insert_quarantine = self
            .client
            .prepare(
                "INSERT INTO quarantine (received_at, pbx, format, source, position, is_offset,
                 reason, raw, header, raw_hash)
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[],
                 $5::bigint[], $6::boolean[], $7::text[], $8::bytea[], $9::bytea[], $10::bigint[])
                 ON CONFLICT (pbx, raw_hash, source, position) DO NOTHING",
            )
            .map_err(err)?;
        let upsert_positions = self
            .client
            .prepare(
                "INSERT INTO journal_position (source, segment, \"offset\")
                 SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
                 ON CONFLICT (source) DO UPDATE
                 SET segment = excluded.segment, \"offset\" = excluded.\"offset\"",
            )
            .map_err(err)?;
        self.prepared = Some(Prepared { insert_calls, insert_quarantine, upsert_positions });
        Ok(())
    }
}

/// Opens a connection and sets the session up.
fn open(config: &Config, target: &str) -> Result<Client> {
    let mut client = config.connect(NoTls).map_err(|e| classify(&e, target, "connecting"))?;
    client.batch_execute(SESSION_SETUP).map_err(|e| classify(&e, target, "setting up"))?;
    Ok(client)
}

/// `postgres://user@host:port/dbname`, from what the configuration says.
fn describe(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let port = config.get_ports().get(i).or(config.get_ports().first()).unwrap_or(&5432);
            match host {
                Host::Tcp(name) if name.contains(':') => format!("[{name}]:{port}"),
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(path) => format!("{}:{port}", path.display()),
            }
        })
        .collect();
    let hosts = if hosts.is_empty() { "localhost:5432".to_owned() } else { hosts.join(",") };
    let user = config.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    let dbname = config.get_dbname().or(config.get_user()).unwrap_or("");
    format!("postgres://{user}{hosts}/{dbname}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_host_port_and_database_but_no_password() {
        for (url, expected) in [
            ("postgres://bw:secret@db.example:6543/calls", "postgres://bw@db.example:6543/calls"),
            ("postgres://127.0.0.1/test", "postgres://127.0.0.1:5432/test"),
            ("host=h1,h2 port=1,2 user=u password=p dbname=d", "postgres://u@h1:1,h2:2/d"),
            ("postgres://u@[::1]:5433/d", "postgres://u@[::1]:5433/d"),
        ] {
            let config = Config::from_str(url).unwrap();
            assert_eq!(describe(&config), expected, "{url}");
        }
    }
}
