//! The offline store: where rated batches wait, in a local SQLite file
//! (`<data>/offline.db`), while the main database cannot be reached.
//! Each batch keeps its calls, its quarantined records (with when they
//! were first received) and the journal positions it reached, so that
//! writing it to the main database later is exactly the write that could
//! not happen. Batches are taken back oldest first, which keeps the main
//! database's journal positions moving forward.
//!
//! It also remembers how far the main database is known to have read
//! each journal (`shipped`), so a server started while the main database
//! is down knows where to resume. That copy can lag the main database's
//! own (it is written after the main commit): resuming from it reads some
//! entries again, which the main database's duplicate check absorbs.

use cdr::{Location, Text};
use journal::Position;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use store::{CdrRow, QuarantineItem};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS batch (
    id INTEGER PRIMARY KEY,
    -- rowids of its calls: a batch's calls are inserted in one transaction
    -- by the only writer, so they are contiguous.
    first_call INTEGER NOT NULL,
    last_call INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    kept_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_position (
    batch INTEGER NOT NULL,
    source TEXT NOT NULL,
    segment INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    PRIMARY KEY (batch, source)
);
CREATE TABLE IF NOT EXISTS call (
    start_s INTEGER NOT NULL,
    dedup INTEGER NOT NULL,
    pbx_id INTEGER NOT NULL,
    extension_id INTEGER,
    department_id INTEGER,
    calling TEXT NOT NULL,
    dialled TEXT NOT NULL,
    rec BLOB NOT NULL,
    charge BLOB
);
CREATE TABLE IF NOT EXISTS quarantined (
    batch INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    pbx TEXT NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    position INTEGER NOT NULL,
    is_offset INTEGER NOT NULL,
    reason TEXT NOT NULL,
    raw BLOB NOT NULL,
    header BLOB
);
CREATE INDEX IF NOT EXISTS quarantined_batch ON quarantined (batch);
CREATE TABLE IF NOT EXISTS shipped (
    source TEXT PRIMARY KEY,
    segment INTEGER NOT NULL,
    offset INTEGER NOT NULL
);
";

/// A batch as kept: what one write to the main database carries.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Kept {
    pub calls: Vec<CdrRow>,
    /// Quarantined records with when they were received.
    pub quarantined: Vec<(QuarantineItem, i64)>,
    /// Per journal source, the position after the batch's last entry.
    pub positions: Vec<(String, Position)>,
}

/// How much waits in the offline store.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub batches: u64,
    pub calls: u64,
}

pub struct OfflineStore {
    conn: Connection,
    path: PathBuf,
}

type Result<T> = std::result::Result<T, String>;

impl OfflineStore {
    /// Opens (or creates) `<data_dir>/offline.db`.
    pub fn open(data_dir: &Path) -> Result<OfflineStore> {
        let path = data_dir.join("offline.db");
        let conn = Connection::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let store = OfflineStore { conn, path };
        store
            .conn
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .map_err(|e| store.error("cannot open", e))?;
        store.conn.execute_batch(SCHEMA).map_err(|e| store.error("cannot create", e))?;
        Ok(store)
    }

    fn error(&self, doing: &str, e: rusqlite::Error) -> String {
        format!("offline store {}: {doing}: {e}", self.path.display())
    }

    /// Keeps a batch, durably, after those already kept.
    pub fn keep(&mut self, batch: &Kept, kept_at: i64) -> Result<()> {
        let tx = self.conn.transaction().map_err(|e| format!("offline store: {e}"))?;
        let kept = (|| {
            let id: i64 =
                tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM batch", [], |r| r.get(0))?;
            let mut first_call = None;
            let mut last_call = 0;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO call (start_s, dedup, pbx_id, extension_id, department_id,
                     calling, dialled, rec, charge) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?;
                for r in &batch.calls {
                    insert.execute(params![
                        r.start_s,
                        r.dedup,
                        r.pbx_id,
                        r.extension_id,
                        r.department_id,
                        r.calling.as_str(),
                        r.dialled.as_str(),
                        r.rec,
                        r.charge,
                    ])?;
                    last_call = tx.last_insert_rowid();
                    first_call.get_or_insert(last_call);
                }
            }
            tx.execute(
                "INSERT INTO batch (id, first_call, last_call, calls, kept_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, first_call.unwrap_or(1), last_call, batch.calls.len() as i64, kept_at],
            )?;
            for (q, received_at) in &batch.quarantined {
                tx.execute(
                    "INSERT INTO quarantined (batch, received_at, pbx, format, source, position,
                     is_offset, reason, raw, header)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        id,
                        received_at,
                        q.pbx,
                        q.format,
                        q.location.source,
                        q.location.position as i64,
                        q.location.is_offset,
                        q.reason,
                        q.raw,
                        q.header,
                    ],
                )?;
            }
            for (source, p) in &batch.positions {
                tx.execute(
                    "INSERT INTO batch_position (batch, source, segment, offset)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![id, source, p.segment as i64, p.offset as i64],
                )?;
            }
            Ok::<_, rusqlite::Error>(())
        })();
        kept.and_then(|()| tx.commit()).map_err(|e| self.error("cannot keep a batch", e))
    }

    /// The oldest batch kept, with its id.
    pub fn oldest(&self) -> Result<Option<(i64, Kept)>> {
        self.read_oldest().map_err(|e| self.error("cannot read a batch", e))
    }

    fn read_oldest(&self) -> rusqlite::Result<Option<(i64, Kept)>> {
        let found = self
            .conn
            .query_row(
                "SELECT id, first_call, last_call, calls FROM batch ORDER BY id LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, first_call, last_call, calls)) = found else { return Ok(None) };
        let mut kept = Kept::default();
        if calls > 0 {
            let mut select = self.conn.prepare_cached(
                "SELECT start_s, dedup, pbx_id, extension_id, department_id, calling, dialled,
                 rec, charge FROM call WHERE rowid BETWEEN ?1 AND ?2 ORDER BY rowid",
            )?;
            let rows = select.query_map([first_call, last_call], |r| {
                Ok(CdrRow {
                    start_s: r.get(0)?,
                    dedup: r.get(1)?,
                    pbx_id: r.get(2)?,
                    extension_id: r.get(3)?,
                    department_id: r.get(4)?,
                    calling: Text::from(r.get_ref(5)?.as_str()?),
                    dialled: Text::from(r.get_ref(6)?.as_str()?),
                    rec: r.get(7)?,
                    charge: r.get(8)?,
                    ..CdrRow::default()
                })
            })?;
            kept.calls = rows.collect::<rusqlite::Result<_>>()?;
        }
        let mut select = self.conn.prepare_cached(
            "SELECT received_at, pbx, format, source, position, is_offset, reason, raw, header
             FROM quarantined WHERE batch = ?1 ORDER BY rowid",
        )?;
        let rows = select.query_map([id], |r| {
            let location = Location {
                source: r.get(3)?,
                position: r.get::<_, i64>(4)? as u64,
                is_offset: r.get(5)?,
            };
            let item = QuarantineItem {
                pbx: r.get(1)?,
                format: r.get(2)?,
                location,
                reason: r.get(6)?,
                raw: r.get(7)?,
                header: r.get(8)?,
            };
            Ok((item, r.get(0)?))
        })?;
        kept.quarantined = rows.collect::<rusqlite::Result<_>>()?;
        let mut select = self.conn.prepare_cached(
            "SELECT source, segment, offset FROM batch_position WHERE batch = ?1 ORDER BY source",
        )?;
        let rows = select.query_map([id], |r| {
            Ok((r.get(0)?, Position::new(r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64)))
        })?;
        kept.positions = rows.collect::<rusqlite::Result<_>>()?;
        Ok(Some((id, kept)))
    }

    /// Lets go of batch `id` once the main database holds it, and
    /// remembers the positions it reached as shipped.
    pub fn shipped_batch(&mut self, id: i64, positions: &[(String, Position)]) -> Result<()> {
        let tx = self.conn.transaction().map_err(|e| format!("offline store: {e}"))?;
        let done = (|| {
            let range: (i64, i64) =
                tx.query_row("SELECT first_call, last_call FROM batch WHERE id = ?1", [id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            tx.execute("DELETE FROM call WHERE rowid BETWEEN ?1 AND ?2", [range.0, range.1])?;
            tx.execute("DELETE FROM quarantined WHERE batch = ?1", [id])?;
            tx.execute("DELETE FROM batch_position WHERE batch = ?1", [id])?;
            tx.execute("DELETE FROM batch WHERE id = ?1", [id])?;
            set_shipped(&tx, positions)
        })();
        done.and_then(|()| tx.commit()).map_err(|e| self.error("cannot let go of a batch", e))
    }

    /// Remembers how far the main database has read (after a direct write).
    pub fn shipped(&mut self, positions: &[(String, Position)]) -> Result<()> {
        set_shipped(&self.conn, positions).map_err(|e| self.error("cannot record positions", e))
    }

    /// Where reading `source`'s journal resumes as far as this store
    /// knows: after its newest batch kept, else where the main database
    /// was known to be.
    pub fn resume_position(&self, source: &str) -> Result<Option<Position>> {
        let position = |sql: &str| {
            self.conn
                .query_row(sql, [source], |r| {
                    Ok(Position::new(r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
                })
                .optional()
        };
        let kept = position(
            "SELECT segment, offset FROM batch_position WHERE source = ?1
             ORDER BY batch DESC LIMIT 1",
        );
        let shipped = position("SELECT segment, offset FROM shipped WHERE source = ?1");
        let (kept, shipped) = kept
            .and_then(|k| shipped.map(|s| (k, s)))
            .map_err(|e| self.error("cannot read positions", e))?;
        Ok(kept.max(shipped))
    }

    pub fn backlog(&self) -> Result<Backlog> {
        self.conn
            .query_row("SELECT COUNT(*), COALESCE(SUM(calls), 0) FROM batch", [], |r| {
                Ok(Backlog {
                    batches: r.get::<_, i64>(0)? as u64,
                    calls: r.get::<_, i64>(1)? as u64,
                })
            })
            .map_err(|e| self.error("cannot count batches", e))
    }
}

fn set_shipped(conn: &Connection, positions: &[(String, Position)]) -> rusqlite::Result<()> {
    let mut upsert = conn.prepare_cached(
        "INSERT INTO shipped (source, segment, offset) VALUES (?1, ?2, ?3)
         ON CONFLICT(source) DO UPDATE SET segment = excluded.segment, offset = excluded.offset",
    )?;
    for (source, p) in positions {
        upsert.execute(params![source, p.segment as i64, p.offset as i64])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(n: i64) -> CdrRow {
        CdrRow {
            start_s: 1_700_000_000 + n,
            dedup: n * 7,
            pbx_id: 1,
            extension_id: Some(n),
            department_id: None,
            calling: Text::from(format!("{n}")),
            dialled: Text::from(""),
            rec: vec![n as u8, 1, 2],
            charge: (n % 2 == 0).then(|| vec![9, n as u8]),
            ..CdrRow::default()
        }
    }

    fn batch(from: i64, to: i64, at: Position) -> Kept {
        let item = QuarantineItem {
            pbx: "p".into(),
            format: "f".into(),
            location: Location::offset("p@journal/1", from as u64),
            reason: "bad".into(),
            raw: vec![0, 255],
            header: None,
        };
        Kept {
            calls: (from..to).map(call).collect(),
            quarantined: vec![(item, 42)],
            positions: vec![("p".into(), at)],
        }
    }

    #[test]
    fn batches_come_back_whole_oldest_first_and_go_once_shipped() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = OfflineStore::open(dir.path()).unwrap();
        assert_eq!(store.oldest().unwrap(), None);
        let (one, two) = (batch(0, 3, Position::new(1, 10)), batch(3, 5, Position::new(1, 20)));
        store.keep(&one, 1).unwrap();
        store.keep(&two, 2).unwrap();
        assert_eq!(store.backlog().unwrap(), Backlog { batches: 2, calls: 5 });
        assert_eq!(store.resume_position("p").unwrap(), Some(Position::new(1, 20)));
        let (id, got) = store.oldest().unwrap().unwrap();
        assert_eq!(got, one);
        store.shipped_batch(id, &got.positions).unwrap();
        drop(store);
        let mut store = OfflineStore::open(dir.path()).unwrap();
        let (id, got) = store.oldest().unwrap().unwrap();
        assert_eq!(got, two);
        store.shipped_batch(id, &got.positions).unwrap();
        assert_eq!(store.oldest().unwrap(), None);
        assert_eq!(store.backlog().unwrap(), Backlog::default());
        // Emptied, it still knows where the main database got to.
        assert_eq!(store.resume_position("p").unwrap(), Some(Position::new(1, 20)));
        assert_eq!(store.resume_position("other").unwrap(), None);
    }

    #[test]
    fn an_empty_batch_keeps_its_positions() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = OfflineStore::open(dir.path()).unwrap();
        let empty = Kept { positions: vec![("p".into(), Position::new(2, 5))], ..Kept::default() };
        store.keep(&empty, 1).unwrap();
        store.keep(&batch(0, 2, Position::new(2, 9)), 1).unwrap();
        let (id, got) = store.oldest().unwrap().unwrap();
        assert_eq!(got, empty);
        store.shipped_batch(id, &got.positions).unwrap();
        let (_, got) = store.oldest().unwrap().unwrap();
        assert_eq!(got.calls.len(), 2);
    }
}
