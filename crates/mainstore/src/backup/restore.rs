//! A backup file written back into a main database (see the module
//! above).
//!
//! Calls go through [`MainStore::write`] 10,000 at a time, quarantined
//! records 1,000 at a time: each batch is one transaction, and one stored
//! already is counted as present, not stored again. Records released in the
//! backup are marked released again (unless the database released them
//! already). Journal positions come last, once every row is in: `write`
//! overwrites a source's position, so each source's position is read first
//! and written only when the database has none or an earlier one; a later
//! one (the server went on after the backup) is kept. A restore cut short
//! can be run again.

use super::BackupError;
use super::file::{Meta, open_checked};
use crate::export::Released;
use crate::{MainStore, Quarantined};
use journal::Position;
use rusqlite::{Connection, Row};
use std::path::Path;
use store::{CdrRow, QuarantineItem};

const CALLS_PER_BATCH: usize = 10_000;
const QUARANTINED_PER_BATCH: usize = 1_000;

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The backup's own description.
    pub meta: Meta,
    /// Calls stored, and calls the database held already.
    pub calls_stored: u64,
    pub calls_present: u64,
    /// Quarantined records kept, and those the database held already.
    pub quarantined_kept: u64,
    pub quarantined_present: u64,
    /// Quarantined records marked released again.
    pub released: u64,
    /// Journal positions written, and those left as they were because the
    /// database's were as far or further.
    pub positions_set: u64,
    pub positions_kept: u64,
}

/// Checks the backup file `from` (see [`super::check`]), brings the
/// database's schema up to date, and writes the file's rows into it.
pub fn restore(store: &mut MainStore, from: &Path) -> Result<Restored, BackupError> {
    let (conn, meta) = open_checked(from)?;
    store.migrate()?;
    let mut done = Restored {
        meta,
        calls_stored: 0,
        calls_present: 0,
        quarantined_kept: 0,
        quarantined_present: 0,
        released: 0,
        positions_set: 0,
        positions_kept: 0,
    };
    let read_error = |e: rusqlite::Error| {
        BackupError::File(format!("{}: cannot read the backup: {e}", from.display()))
    };
    restore_calls(store, &conn, &mut done).map_err(|e| e.or_file(read_error))?;
    restore_quarantine(store, &conn, &mut done).map_err(|e| e.or_file(read_error))?;
    restore_positions(store, &conn, &mut done).map_err(|e| e.or_file(read_error))?;
    Ok(done)
}

/// A failure of the file (SQLite) or of the main database.
enum Failure {
    File(rusqlite::Error),
    Backup(BackupError),
}

impl Failure {
    fn or_file(self, file: impl Fn(rusqlite::Error) -> BackupError) -> BackupError {
        match self {
            Failure::File(e) => file(e),
            Failure::Backup(e) => e,
        }
    }
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Failure {
        Failure::File(e)
    }
}

impl From<crate::Error> for Failure {
    fn from(e: crate::Error) -> Failure {
        Failure::Backup(e.into())
    }
}

fn restore_calls(
    store: &mut MainStore,
    conn: &Connection,
    done: &mut Restored,
) -> Result<(), Failure> {
    let mut select = conn.prepare(
        "SELECT start_s, dedup, pbx_id, extension_id, department_id, calling, dialled, rec, \
         charge FROM cdr ORDER BY rowid",
    )?;
    let mut rows = select.query([])?;
    let mut batch = Vec::with_capacity(CALLS_PER_BATCH);
    let mut flush = |batch: &mut Vec<CdrRow>| -> Result<(), Failure> {
        let written = store.write::<&str>(batch, &[], &[])?;
        done.calls_stored += written.stored;
        done.calls_present += written.duplicates;
        batch.clear();
        Ok(())
    };
    while let Some(row) = rows.next()? {
        batch.push(call(row)?);
        if batch.len() == CALLS_PER_BATCH {
            flush(&mut batch)?;
        }
    }
    if !batch.is_empty() {
        flush(&mut batch)?;
    }
    Ok(())
}

fn call(row: &Row<'_>) -> rusqlite::Result<CdrRow> {
    let text = |i: usize| -> rusqlite::Result<cdr::Text> {
        Ok(row.get::<_, Option<String>>(i)?.unwrap_or_default().into())
    };
    Ok(CdrRow {
        start_s: row.get(0)?,
        dedup: row.get(1)?,
        pbx_id: row.get(2)?,
        extension_id: row.get(3)?,
        department_id: row.get(4)?,
        calling: text(5)?,
        dialled: text(6)?,
        rec: row.get(7)?,
        charge: row.get(8)?,
        ..CdrRow::default()
    })
}

/// A quarantined record of the file: when it was received, what it is,
/// and when it was released.
type Record = (i64, QuarantineItem, Option<i64>);

fn restore_quarantine(
    store: &mut MainStore,
    conn: &Connection,
    done: &mut Restored,
) -> Result<(), Failure> {
    let mut select = conn.prepare(
        "SELECT received_at, pbx, format, source, position, is_offset, reason, raw, header, \
         released_at FROM quarantine ORDER BY id",
    )?;
    let mut rows = select.query([])?;
    let mut batch: Vec<Record> = Vec::with_capacity(QUARANTINED_PER_BATCH);
    let mut flush = |batch: &mut Vec<Record>| -> Result<(), Failure> {
        let items: Vec<Quarantined<'_>> = batch
            .iter()
            .map(|(received_at, item, _)| Quarantined { item, received_at: *received_at })
            .collect();
        let written = store.write::<&str>(&[], &items, &[])?;
        done.quarantined_kept += written.quarantined;
        done.quarantined_present += batch.len() as u64 - written.quarantined;
        let released: Vec<Released> = batch
            .iter()
            .filter_map(|(_, item, released_at)| {
                Some(Released {
                    pbx: item.pbx.clone(),
                    raw_hash: cdr::whole_record("quarantine", &item.raw) as i64,
                    source: item.location.source.clone(),
                    position: i64::try_from(item.location.position).ok()?,
                    released_at: (*released_at)?,
                })
            })
            .collect();
        if !released.is_empty() {
            done.released += store.set_released(&released)?;
        }
        batch.clear();
        Ok(())
    };
    while let Some(row) = rows.next()? {
        batch.push(quarantined(row)?);
        if batch.len() == QUARANTINED_PER_BATCH {
            flush(&mut batch)?;
        }
    }
    if !batch.is_empty() {
        flush(&mut batch)?;
    }
    Ok(())
}

fn quarantined(row: &Row<'_>) -> rusqlite::Result<Record> {
    let position: i64 = row.get(4)?;
    let position = u64::try_from(position)
        .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(4, position))?;
    let item = QuarantineItem {
        pbx: row.get(1)?,
        format: row.get(2)?,
        location: cdr::Location { source: row.get(3)?, position, is_offset: row.get(5)? },
        reason: row.get(6)?,
        raw: row.get(7)?,
        header: row.get(8)?,
    };
    Ok((row.get(0)?, item, row.get(9)?))
}

fn restore_positions(
    store: &mut MainStore,
    conn: &Connection,
    done: &mut Restored,
) -> Result<(), Failure> {
    let mut select =
        conn.prepare("SELECT source, segment, \"offset\" FROM journal_position ORDER BY source")?;
    let positions = select
        .query_map([], |row| {
            let half = |i: usize| -> rusqlite::Result<u64> {
                let n: i64 = row.get(i)?;
                u64::try_from(n).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(i, n))
            };
            Ok((row.get::<_, String>(0)?, Position::new(half(1)?, half(2)?)))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut later = Vec::new();
    for (source, position) in positions {
        match store.journal_position(&source)? {
            Some(held) if held >= position => done.positions_kept += 1,
            _ => later.push((source, position)),
        }
    }
    if !later.is_empty() {
        store.write(&[], &[], &later)?;
        done.positions_set = later.len() as u64;
    }
    Ok(())
}
