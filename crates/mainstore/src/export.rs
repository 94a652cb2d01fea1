//! A consistent export of the main database: every call, quarantined
//! record and journal position as one snapshot sees them, handed row by
//! row to an [`ExportSink`] (nothing is held in memory beyond a fetch of a
//! few thousand rows). PostgreSQL reads inside `REPEATABLE READ READ ONLY`
//! through a portal; MySQL/MariaDB inside `START TRANSACTION WITH
//! CONSISTENT SNAPSHOT, READ ONLY`, streaming each result. Writers go on
//! meanwhile; what they commit after the snapshot is not in the export.

use crate::Error;
use journal::Position;
use store::{CdrRow, QuarantineItem};

/// Where an export's rows go, table by table: calls, then quarantined
/// records, then journal positions. An error of the sink ends the export
/// (the snapshot is let go).
pub trait ExportSink {
    /// The sink's own errors, and the database's converted.
    type Error: From<Error>;

    fn call(&mut self, call: &CdrRow) -> Result<(), Self::Error>;
    fn quarantined(&mut self, record: &QuarantineRow) -> Result<(), Self::Error>;
    fn position(&mut self, source: &str, position: Position) -> Result<(), Self::Error>;
}

/// A quarantined record as the main database holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRow {
    /// The database's own id (not kept by a restore, which lets the
    /// database number the records again).
    pub id: i64,
    pub received_at: i64,
    pub item: QuarantineItem,
    /// The identity of `item.raw`, as the writer computed it.
    pub raw_hash: i64,
    pub released_at: Option<i64>,
}

/// What the snapshot held, counted inside it before the rows were read: a
/// sink that received other counts lost or gained rows on the way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The schema version of the database exported.
    pub schema_version: i32,
    pub calls: u64,
    pub quarantined: u64,
    pub positions: u64,
}

/// The key of a quarantined record that was released, for setting
/// `released_at` again after a restore (see `MainStore::set_released`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    pub pbx: String,
    pub raw_hash: i64,
    pub source: String,
    pub position: i64,
    pub released_at: i64,
}

/// Rows fetched per round trip.
pub(crate) const FETCH_ROWS: usize = 5000;

/// The calls, in the column order both databases' row readers take.
pub(crate) const CALLS: &str = "SELECT start_s, dedup, pbx_id, extension_id, department_id, \
                                calling, dialled, rec, charge FROM cdr";
/// The quarantined records, in the column order both row readers take.
pub(crate) const QUARANTINE: &str = "SELECT id, received_at, pbx, format, source, position, \
                                     is_offset, reason, raw, header, raw_hash, released_at \
                                     FROM quarantine ORDER BY id";

/// A count read from the database as unsigned.
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A journal position read from the database; negative halves are
/// refused.
pub(crate) fn position(source: &str, segment: i64, offset: i64) -> Result<Position, String> {
    match (u64::try_from(segment), u64::try_from(offset)) {
        (Ok(segment), Ok(offset)) => Ok(Position::new(segment, offset)),
        _ => Err(format!("journal position of {source}: ({segment}, {offset}) is negative")),
    }
}

/// Refuses a schema this program cannot read all of (a newer one may
/// hold columns an export would leave out), or none at all.
pub(crate) fn check_version(version: i32, latest: i32, target: &str) -> Result<(), Error> {
    let message = if version == 0 {
        "no bluewhale tables (the schema is not migrated)".to_owned()
    } else if version > latest {
        format!(
            "schema version {version} is newer than this program knows ({latest}): upgrade the program"
        )
    } else {
        return Ok(());
    };
    Err(Error::Config { target: target.to_owned(), message })
}
