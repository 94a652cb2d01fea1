//! The MySQL/MariaDB side of an export (see `crate::export`): one
//! `REPEATABLE READ` transaction started `WITH CONSISTENT SNAPSHOT, READ
//! ONLY` (InnoDB takes the snapshot at once), each table streamed row by
//! row as the server sends it. And, for a restore, released quarantined
//! records marked released again.

use super::classify::classify;
use super::migrate::latest;
use super::{MysqlStore, checked};
use crate::error::{Error, Result};
use crate::export::{
    CALLS, ExportSink, QUARANTINE, QuarantineRow, Released, Snapshot, check_version, count,
    position,
};
use mysql::prelude::{FromValue, Queryable};
use mysql::{Conn, Row};
use store::{CdrRow, QuarantineItem};

const BEGIN: [&str; 2] = [
    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
];
const COUNTS: &str = "SELECT (SELECT COUNT(*) FROM cdr), (SELECT COUNT(*) FROM quarantine), \
                      (SELECT COUNT(*) FROM journal_position)";
const POSITIONS: &str = "SELECT source, segment, `offset` FROM journal_position ORDER BY source";

impl MysqlStore {
    /// As [`crate::PgStore::export`]: every row of one snapshot handed to
    /// `sink`; returns what the snapshot held. Writers are not held up.
    pub fn export<S: ExportSink>(&mut self, sink: &mut S) -> Result<Snapshot, S::Error> {
        let schema_version = self.schema_version()?;
        check_version(schema_version, latest(), &self.target)?;
        let result = snapshot(&mut self.conn, &self.target, schema_version, sink);
        if result.is_err() {
            // Mid-way through a result or a transaction: the next
            // operation starts on a new connection.
            self.broken = true;
        }
        result
    }

    /// As [`crate::PgStore::set_released`].
    pub fn set_released(&mut self, records: &[Released]) -> Result<u64> {
        self.reconnect_if_broken()?;
        let target = self.target.as_str();
        let err = |e: mysql::Error| classify(&e, target, "marking records released");
        let result = (|| {
            let mut tx = self.conn.start_transaction(mysql::TxOpts::default()).map_err(err)?;
            let mut marked = 0;
            for r in records {
                tx.exec_drop(
                    "UPDATE quarantine SET released_at = ? WHERE pbx = ? AND raw_hash = ? \
                     AND source = ? AND position = ? AND released_at IS NULL",
                    (r.released_at, &r.pbx, r.raw_hash, &r.source, r.position),
                )
                .map_err(err)?;
                marked += tx.affected_rows();
            }
            tx.commit().map_err(err)?;
            Ok(marked)
        })();
        self.note(result)
    }
}

fn snapshot<S: ExportSink>(
    conn: &mut Conn,
    target: &str,
    schema_version: i32,
    sink: &mut S,
) -> Result<Snapshot, S::Error> {
    let err = |doing: &'static str| move |e: mysql::Error| classify(&e, target, doing);
    for statement in BEGIN {
        conn.query_drop(statement).map_err(err("beginning the snapshot"))?;
    }
    let counts: Option<(i64, i64, i64)> = conn
        .query_first_opt(COUNTS)
        .and_then(checked)
        .map_err(err("counting the snapshot's rows"))?;
    let (calls, quarantined, positions) = counts.unwrap_or_default();
    let snapshot = Snapshot {
        schema_version,
        calls: count(calls),
        quarantined: count(quarantined),
        positions: count(positions),
    };
    for row in conn.query_iter(CALLS).map_err(err("reading calls"))? {
        let mut row = row.map_err(err("reading calls"))?;
        let call = call(&mut row).map_err(|m| rejected(target, "reading calls", m))?;
        sink.call(&call)?;
    }
    for row in conn.query_iter(QUARANTINE).map_err(err("reading quarantined records"))? {
        let mut row = row.map_err(err("reading quarantined records"))?;
        let record = quarantined_row(&mut row)
            .map_err(|m| rejected(target, "reading quarantined records", m))?;
        sink.quarantined(&record)?;
    }
    for row in conn.query_iter(POSITIONS).map_err(err("reading journal positions"))? {
        let mut row = row.map_err(err("reading journal positions"))?;
        let read = |row: &mut Row| -> Result<_, String> {
            let source: String = take(row, 0)?;
            let at = position(&source, take(row, 1)?, take(row, 2)?)?;
            Ok((source, at))
        };
        let (source, at) =
            read(&mut row).map_err(|m| rejected(target, "reading journal positions", m))?;
        sink.position(&source, at)?;
    }
    conn.query_drop("COMMIT").map_err(err("ending the snapshot"))?;
    Ok(snapshot)
}

fn rejected(target: &str, doing: &str, message: String) -> Error {
    Error::Rejected { target: target.to_owned(), doing: doing.to_owned(), message }
}

/// Column `i` of `row` as a `T`.
fn take<T: FromValue>(row: &mut Row, i: usize) -> Result<T, String> {
    let name = |row: &Row| {
        row.columns_ref().get(i).map_or_else(|| format!("column {i}"), |c| c.name_str().into())
    };
    match row.take_opt::<T, usize>(i) {
        Some(Ok(value)) => Ok(value),
        Some(Err(e)) => Err(format!("{}: unexpected value {:?}", name(row), e.0)),
        None => Err(format!("{}: missing", name(row))),
    }
}

fn call(row: &mut Row) -> Result<CdrRow, String> {
    let text = |row: &mut Row, i| -> Result<_, String> {
        Ok(take::<Option<String>>(row, i)?.unwrap_or_default().into())
    };
    Ok(CdrRow {
        start_s: take(row, 0)?,
        dedup: take(row, 1)?,
        pbx_id: take(row, 2)?,
        extension_id: take(row, 3)?,
        department_id: take(row, 4)?,
        calling: text(row, 5)?,
        dialled: text(row, 6)?,
        rec: take(row, 7)?,
        charge: take(row, 8)?,
        ..CdrRow::default()
    })
}

fn quarantined_row(row: &mut Row) -> Result<QuarantineRow, String> {
    let source: String = take(row, 4)?;
    let stored_position: i64 = take(row, 5)?;
    let position = u64::try_from(stored_position)
        .map_err(|_| format!("record at {source}: position {stored_position} is negative"))?;
    Ok(QuarantineRow {
        id: take(row, 0)?,
        received_at: take(row, 1)?,
        item: QuarantineItem {
            pbx: take(row, 2)?,
            format: take(row, 3)?,
            location: cdr::Location { source, position, is_offset: take::<i64>(row, 6)? != 0 },
            reason: take(row, 7)?,
            raw: take(row, 8)?,
            header: take(row, 9)?,
        },
        raw_hash: take(row, 10)?,
        released_at: take(row, 11)?,
    })
}
