//! The backup file: a SQLite database with the main database's three
//! tables as they were in the snapshot, and a `meta` table that says what
//! the file is. SQLite because it is one file, checkable (`PRAGMA
//! integrity_check`), readable by anyone with `sqlite3`, and holds the
//! packed `rec` and `charge` blobs as they are.
//!
//! Format 1:
//! - `PRAGMA application_id` = [`APPLICATION_ID`] ("BWMB"); `PRAGMA
//!   user_version` stays 0, so that the embedded store's restore refuses
//!   the file instead of taking it for a store;
//! - `meta (key, value)`: `format` ([`FORMAT`]), `format_version` (1),
//!   `engine` (`postgres` or `mysql`), `database` (its URL without
//!   password), `schema_version` (the main database's), `taken_at` (RFC
//!   3339, when the snapshot began), and the rows of each table: `calls`,
//!   `quarantined`, `positions`;
//! - `cdr`, `quarantine` and `journal_position` with the main database's
//!   columns (SQLite's types; empty texts as NULL, as the database holds
//!   them). `cdr` has no key: the rows are in the order the database
//!   read them.

use super::BackupError;
use crate::export::{ExportSink, QuarantineRow};
use journal::Position;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::Path;
use store::CdrRow;

/// `PRAGMA application_id` of a backup file: "BWMB" in ASCII.
pub const APPLICATION_ID: i32 = 0x4257_4d42;
/// `meta.format` of a backup file.
pub const FORMAT: &str = "bluewhale main database backup";
/// The format this program writes, and the newest it reads.
pub const FORMAT_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE cdr (
    start_s INTEGER NOT NULL,
    dedup INTEGER NOT NULL,
    pbx_id INTEGER NOT NULL,
    extension_id INTEGER,
    department_id INTEGER,
    calling TEXT,
    dialled TEXT,
    rec BLOB NOT NULL,
    charge BLOB
);
CREATE TABLE quarantine (
    id INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    pbx TEXT NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    position INTEGER NOT NULL,
    is_offset INTEGER NOT NULL,
    reason TEXT NOT NULL,
    raw BLOB NOT NULL,
    header BLOB,
    raw_hash INTEGER NOT NULL,
    released_at INTEGER
);
CREATE TABLE journal_position (
    source TEXT PRIMARY KEY,
    segment INTEGER NOT NULL,
    \"offset\" INTEGER NOT NULL
);
";

/// What a backup file says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub format_version: i64,
    /// `postgres` or `mysql`.
    pub engine: String,
    /// The database backed up (its URL without password).
    pub database: String,
    pub schema_version: i64,
    /// When the snapshot began (RFC 3339).
    pub taken_at: String,
    pub calls: u64,
    pub quarantined: u64,
    pub positions: u64,
}

/// Rows of each table, as written or as counted in a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub calls: u64,
    pub quarantined: u64,
    pub positions: u64,
}

fn file_error(path: &Path, doing: &str, e: impl std::fmt::Display) -> BackupError {
    BackupError::File(format!("{}: {doing}: {e}", path.display()))
}

/// A backup file being written: one SQLite transaction, no rollback
/// journal (a file cut short is thrown away, never read).
pub struct Writer<'a> {
    path: &'a Path,
    conn: Connection,
    pub counts: Counts,
}

impl<'a> Writer<'a> {
    /// Creates the file `path`, which must not exist.
    pub fn create(path: &'a Path) -> Result<Writer<'a>, BackupError> {
        let err = |e: rusqlite::Error| file_error(path, "cannot create the backup", e);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let conn = Connection::open_with_flags(path, flags).map_err(err)?;
        conn.execute_batch(
            "PRAGMA page_size = 65536; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;",
        )
        .map_err(err)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID).map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        conn.execute_batch("BEGIN").map_err(err)?;
        Ok(Writer { path, conn, counts: Counts::default() })
    }

    /// Writes `meta` and commits.
    pub fn finish(self, meta: &Meta) -> Result<(), BackupError> {
        let err = |e: rusqlite::Error| file_error(self.path, "cannot finish the backup", e);
        let entries: [(&str, String); 9] = [
            ("format", FORMAT.to_owned()),
            ("format_version", meta.format_version.to_string()),
            ("engine", meta.engine.clone()),
            ("database", meta.database.clone()),
            ("schema_version", meta.schema_version.to_string()),
            ("taken_at", meta.taken_at.clone()),
            ("calls", meta.calls.to_string()),
            ("quarantined", meta.quarantined.to_string()),
            ("positions", meta.positions.to_string()),
        ];
        for (key, value) in entries {
            self.conn
                .execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![key, value])
                .map_err(err)?;
        }
        self.conn.execute_batch("COMMIT").map_err(err)?;
        self.conn.close().map_err(|(_, e)| err(e))
    }

    fn write_error(&self, e: rusqlite::Error) -> BackupError {
        file_error(self.path, "cannot write the backup", e)
    }
}

/// Empty text as NULL, as the main database holds it.
fn text(t: &str) -> Option<&str> {
    if t.is_empty() { None } else { Some(t) }
}

impl ExportSink for Writer<'_> {
    type Error = BackupError;

    fn call(&mut self, c: &CdrRow) -> Result<(), BackupError> {
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT INTO cdr (start_s, dedup, pbx_id, extension_id, department_id, calling,
                 dialled, rec, charge) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(|e| self.write_error(e))?;
        insert
            .execute(params![
                c.start_s,
                c.dedup,
                c.pbx_id,
                c.extension_id,
                c.department_id,
                text(&c.calling),
                text(&c.dialled),
                c.rec,
                c.charge,
            ])
            .map_err(|e| self.write_error(e))?;
        self.counts.calls += 1;
        Ok(())
    }

    fn quarantined(&mut self, r: &QuarantineRow) -> Result<(), BackupError> {
        let i = &r.item;
        let position = i64::try_from(i.location.position).map_err(|_| {
            BackupError::File(format!(
                "quarantined record at {}: position out of range",
                i.location.source
            ))
        })?;
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT INTO quarantine (id, received_at, pbx, format, source, position,
                 is_offset, reason, raw, header, raw_hash, released_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .map_err(|e| self.write_error(e))?;
        insert
            .execute(params![
                r.id,
                r.received_at,
                i.pbx,
                i.format,
                i.location.source,
                position,
                i.location.is_offset,
                i.reason,
                i.raw,
                i.header,
                r.raw_hash,
                r.released_at,
            ])
            .map_err(|e| self.write_error(e))?;
        self.counts.quarantined += 1;
        Ok(())
    }

    fn position(&mut self, source: &str, position: Position) -> Result<(), BackupError> {
        let (segment, offset) = position.to_pair();
        let (Ok(segment), Ok(offset)) = (i64::try_from(segment), i64::try_from(offset)) else {
            return Err(BackupError::File(format!(
                "journal position of {source}: {position:?} out of range"
            )));
        };
        self.conn
            .execute(
                "INSERT INTO journal_position (source, segment, \"offset\") VALUES (?1, ?2, ?3)",
                params![source, segment, offset],
            )
            .map_err(|e| self.write_error(e))?;
        self.counts.positions += 1;
        Ok(())
    }
}

/// Whether `path` is a backup file of a main database (of any format
/// version), whole or not.
pub fn is_main_backup(path: &Path) -> bool {
    let Ok(conn) = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return false;
    };
    conn.query_row("PRAGMA application_id", [], |r| r.get::<_, i32>(0))
        .is_ok_and(|id| id == APPLICATION_ID)
}

/// Opens the backup file `path` read-only and checks it whole: a backup
/// file of a format this program reads, undamaged (`PRAGMA
/// integrity_check`), its meta complete, and each table holding the rows
/// its meta counts.
pub fn open_checked(path: &Path) -> Result<(Connection, Meta), BackupError> {
    let not_backup = |e: &dyn std::fmt::Display| {
        BackupError::File(format!("{}: not a backup of a main database: {e}", path.display()))
    };
    if !path.is_file() {
        return Err(BackupError::File(format!("{}: no such file", path.display())));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| not_backup(&e))?;
    let id: i32 =
        conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(|e| not_backup(&e))?;
    if id != APPLICATION_ID {
        return Err(not_backup(
            &"no bluewhale mark (a backup of the embedded store is restored without a main \
              database configured)",
        ));
    }
    let verdict: String =
        conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| not_backup(&e))?;
    if verdict != "ok" {
        return Err(BackupError::File(format!("{}: damaged: {verdict}", path.display())));
    }
    let meta = read_meta(&conn, path)?;
    let counted = count_rows(&conn).map_err(|e| file_error(path, "cannot count its rows", e))?;
    let said =
        Counts { calls: meta.calls, quarantined: meta.quarantined, positions: meta.positions };
    if counted != said {
        return Err(BackupError::File(format!(
            "{}: incomplete: its meta says {} calls, {} quarantined records and {} journal \
             positions, it holds {}, {} and {}",
            path.display(),
            said.calls,
            said.quarantined,
            said.positions,
            counted.calls,
            counted.quarantined,
            counted.positions
        )));
    }
    Ok((conn, meta))
}

fn count_rows(conn: &Connection) -> rusqlite::Result<Counts> {
    let count = |table: &str| -> rusqlite::Result<u64> {
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    Ok(Counts {
        calls: count("cdr")?,
        quarantined: count("quarantine")?,
        positions: count("journal_position")?,
    })
}

fn read_meta(conn: &Connection, path: &Path) -> Result<Meta, BackupError> {
    let bad = |message: String| BackupError::File(format!("{}: {message}", path.display()));
    let get = |key: &str| -> Result<String, BackupError> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| bad(format!("cannot read its meta: {e}")))?
            .ok_or_else(|| bad(format!("incomplete: no {key} in its meta")))
    };
    let number = |key: &str| -> Result<i64, BackupError> {
        let value = get(key)?;
        value.parse().map_err(|_| bad(format!("meta {key}: {value:?} is not a number")))
    };
    let unsigned = |key: &str| -> Result<u64, BackupError> {
        u64::try_from(number(key)?).map_err(|_| bad(format!("meta {key}: negative")))
    };
    let format = get("format")?;
    if format != FORMAT {
        return Err(bad(format!("not a backup of a main database (format {format:?})")));
    }
    let format_version = number("format_version")?;
    if !(1..=FORMAT_VERSION).contains(&format_version) {
        return Err(bad(format!(
            "backup format {format_version}: this version of bluewhale reads format \
             {FORMAT_VERSION} and older"
        )));
    }
    Ok(Meta {
        format_version,
        engine: get("engine")?,
        database: get("database")?,
        schema_version: number("schema_version")?,
        taken_at: get("taken_at")?,
        calls: unsigned("calls")?,
        quarantined: unsigned("quarantined")?,
        positions: unsigned("positions")?,
    })
}
