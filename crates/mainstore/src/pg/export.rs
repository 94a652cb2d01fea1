//! The PostgreSQL side of an export (see `crate::export`): one
//! `REPEATABLE READ READ ONLY` transaction, whose snapshot is taken by its
//! first statement (the counts), each table read through a portal a fetch
//! at a time. And, for a restore, released quarantined records marked
//! released again.

use super::PgStore;
use super::classify::classify;
use super::migrate;
use crate::error::{Error, Result};
use crate::export::{
    CALLS, ExportSink, FETCH_ROWS, QUARANTINE, QuarantineRow, Released, Snapshot, check_version,
    count, position,
};
use postgres::{IsolationLevel, Row, Transaction};
use store::{CdrRow, QuarantineItem};

const COUNTS: &str = "SELECT (SELECT count(*) FROM cdr), (SELECT count(*) FROM quarantine), \
                      (SELECT count(*) FROM journal_position)";
const POSITIONS: &str = "SELECT source, segment, \"offset\" FROM journal_position ORDER BY source";

impl PgStore {
    /// Hands every call, quarantined record and journal position of one
    /// snapshot to `sink` (see `crate::export`); returns what the snapshot
    /// held. Writers are not held up.
    pub fn export<S: ExportSink>(&mut self, sink: &mut S) -> Result<Snapshot, S::Error> {
        let schema_version = self.schema_version()?;
        check_version(schema_version, migrate::latest(), &self.target)?;
        let target = self.target.clone();
        let err = |doing: &'static str| {
            let target = target.clone();
            move |e: postgres::Error| classify(&e, &target, doing)
        };
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(err("beginning the snapshot"))?;
        let counts = tx.query_one(COUNTS, &[]).map_err(err("counting the snapshot's rows"))?;
        let counted = |i: usize| counts.try_get::<_, i64>(i).map(count);
        let snapshot = Snapshot {
            schema_version,
            calls: counted(0).map_err(err("counting calls"))?,
            quarantined: counted(1).map_err(err("counting quarantined records"))?,
            positions: counted(2).map_err(err("counting journal positions"))?,
        };
        each_row(&mut tx, CALLS, "reading calls", &target, |row| {
            let call = call(row).map_err(err("reading calls"))?;
            sink.call(&call)
        })?;
        each_row(&mut tx, QUARANTINE, "reading quarantined records", &target, |row| {
            let record = quarantined(row, &target)?;
            sink.quarantined(&record)
        })?;
        each_row(&mut tx, POSITIONS, "reading journal positions", &target, |row| {
            let read = |row: &Row| -> Result<(String, i64, i64), postgres::Error> {
                Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
            };
            let (source, segment, offset) = read(row).map_err(err("reading journal positions"))?;
            let at = position(&source, segment, offset).map_err(|message| Error::Rejected {
                target: target.clone(),
                doing: "reading journal positions".to_owned(),
                message,
            })?;
            sink.position(&source, at)
        })?;
        tx.commit().map_err(err("ending the snapshot"))?;
        Ok(snapshot)
    }

    /// Marks quarantined records released (those released already are
    /// left as they are), in one transaction; returns how many it marked.
    pub fn set_released(&mut self, records: &[Released]) -> Result<u64> {
        self.reconnect_if_closed()?;
        let target = self.target.clone();
        let err = move |e: postgres::Error| classify(&e, &target, "marking records released");
        let mut tx = self.client.transaction().map_err(&err)?;
        let statement = tx
            .prepare(
                "UPDATE quarantine SET released_at = $1 WHERE pbx = $2 AND raw_hash = $3 \
                 AND source = $4 AND position = $5 AND released_at IS NULL",
            )
            .map_err(&err)?;
        let mut marked = 0;
        for r in records {
            marked += tx
                .execute(&statement, &[&r.released_at, &r.pbx, &r.raw_hash, &r.source, &r.position])
                .map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        Ok(marked)
    }
}

/// Runs `f` on each row of `query`, fetched [`FETCH_ROWS`] at a time
/// through a portal.
fn each_row<E: From<Error>>(
    tx: &mut Transaction<'_>,
    query: &str,
    doing: &str,
    target: &str,
    mut f: impl FnMut(&Row) -> Result<(), E>,
) -> Result<(), E> {
    let err = |e: postgres::Error| classify(&e, target, doing);
    let portal = tx.bind(query, &[]).map_err(err)?;
    loop {
        let rows = tx.query_portal(&portal, FETCH_ROWS as i32).map_err(err)?;
        for row in &rows {
            f(row)?;
        }
        if rows.len() < FETCH_ROWS {
            return Ok(());
        }
    }
}

fn call(row: &Row) -> Result<CdrRow, postgres::Error> {
    let text = |i: usize| -> Result<_, postgres::Error> {
        Ok(row.try_get::<_, Option<&str>>(i)?.unwrap_or_default().into())
    };
    Ok(CdrRow {
        start_s: row.try_get(0)?,
        dedup: row.try_get(1)?,
        pbx_id: row.try_get(2)?,
        extension_id: row.try_get(3)?,
        department_id: row.try_get(4)?,
        calling: text(5)?,
        dialled: text(6)?,
        rec: row.try_get(7)?,
        charge: row.try_get(8)?,
        ..CdrRow::default()
    })
}

fn quarantined(row: &Row, target: &str) -> Result<QuarantineRow> {
    let err = |e: postgres::Error| classify(&e, target, "reading quarantined records");
    let source: String = row.try_get(4).map_err(err)?;
    let stored_position: i64 = row.try_get(5).map_err(err)?;
    let position = u64::try_from(stored_position).map_err(|_| Error::Rejected {
        target: target.to_owned(),
        doing: "reading quarantined records".to_owned(),
        message: format!("record at {source}: position {stored_position} is negative"),
    })?;
    Ok(QuarantineRow {
        id: row.try_get(0).map_err(err)?,
        received_at: row.try_get(1).map_err(err)?,
        item: QuarantineItem {
            pbx: row.try_get(2).map_err(err)?,
            format: row.try_get(3).map_err(err)?,
            location: cdr::Location { source, position, is_offset: row.try_get(6).map_err(err)? },
            reason: row.try_get(7).map_err(err)?,
            raw: row.try_get(8).map_err(err)?,
            header: row.try_get(9).map_err(err)?,
        },
        raw_hash: row.try_get(10).map_err(err)?,
        released_at: row.try_get(11).map_err(err)?,
    })
}
