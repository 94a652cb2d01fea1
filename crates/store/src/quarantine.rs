//! Reading the quarantine: records that could not be stored, kept with
//! their bytes, place and reason until a retry stores them.

use crate::{Result, Store};
use cdr::Location;
use rusqlite::{OptionalExtension, Row};

/// A record to quarantine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineItem {
    pub pbx: String,
    pub format: String,
    pub location: Location,
    pub reason: String,
    pub raw: Vec<u8>,
    /// The line that gives the record its meaning (a CUCM header), if any.
    pub header: Option<Vec<u8>>,
}

/// A quarantined record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineEntry {
    pub id: i64,
    pub received_at: i64,
    pub item: QuarantineItem,
    pub released_at: Option<i64>,
}

const COLUMNS: &str =
    "id, received_at, pbx, format, source, position, is_offset, reason, raw, header, released_at";

fn entry(r: &Row) -> rusqlite::Result<QuarantineEntry> {
    Ok(QuarantineEntry {
        id: r.get(0)?,
        received_at: r.get(1)?,
        item: QuarantineItem {
            pbx: r.get(2)?,
            format: r.get(3)?,
            location: Location {
                source: r.get(4)?,
                position: r.get::<_, i64>(5)? as u64,
                is_offset: r.get(6)?,
            },
            reason: r.get(7)?,
            raw: r.get(8)?,
            header: r.get(9)?,
        },
        released_at: r.get(10)?,
    })
}

impl Store {
    /// Held (not yet released) records, oldest first; all with `all`.
    pub fn quarantine_list(&self, all: bool, limit: usize) -> Result<Vec<QuarantineEntry>> {
        let filter = if all { "" } else { "WHERE released_at IS NULL" };
        let mut stmt = self
            .connection()
            .prepare(&format!("SELECT {COLUMNS} FROM quarantine {filter} ORDER BY id LIMIT ?1"))?;
        let rows = stmt.query_map([limit as i64], entry)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn quarantine_get(&self, id: i64) -> Result<Option<QuarantineEntry>> {
        Ok(self
            .connection()
            .query_row(&format!("SELECT {COLUMNS} FROM quarantine WHERE id = ?1"), [id], entry)
            .optional()?)
    }

    /// Number of records held in quarantine.
    pub fn quarantine_count(&self) -> Result<u64> {
        let n: i64 = self.connection().query_row(
            "SELECT count(*) FROM quarantine WHERE released_at IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }
}
