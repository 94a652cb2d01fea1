//! One write transaction: calls, quality records and quarantined records.

use crate::{CdrRow, QuarantineItem, Result};
use cdr::QualityRecord;
use rusqlite::{Connection, Statement, params};

/// Outcome of inserting one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    Stored,
    Duplicate,
}

/// One call key, filed under its owner, to be written to `cdr_owner` at
/// commit: (day, department or 0, extension, start, dedup).
type Posting = (i64, i64, i64, i64, i64);

/// A write transaction with its hot statements prepared once (looking a
/// statement up in a cache costs more than binding a narrow row).
pub struct Batch<'c> {
    conn: &'c Connection,
    insert_cdr: Statement<'c>,
    cdr_exists: Statement<'c>,
    postings: Vec<Posting>,
    open: bool,
}

/// Empty text is stored as NULL: it costs one byte and reads back empty.
fn text(t: &str) -> Option<&str> {
    if t.is_empty() { None } else { Some(t) }
}

impl<'c> Batch<'c> {
    pub(crate) fn begin(conn: &'c Connection) -> Result<Self> {
        let insert_cdr = conn.prepare(
            "INSERT OR IGNORE INTO cdr (start_s, dedup, pbx_id, extension_id, department_id,
             calling, dialled, rec) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let cdr_exists = conn.prepare("SELECT 1 FROM cdr WHERE start_s = ?1 AND dedup = ?2")?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Batch { conn, insert_cdr, cdr_exists, postings: Vec::new(), open: true })
    }

    /// Stores a call unless one with the same key is already stored.
    pub fn insert_cdr(&mut self, r: &CdrRow) -> Result<Insert> {
        let s = &mut self.insert_cdr;
        s.raw_bind_parameter(1, r.start_s)?;
        s.raw_bind_parameter(2, r.dedup)?;
        s.raw_bind_parameter(3, r.pbx_id)?;
        s.raw_bind_parameter(4, r.extension_id)?;
        s.raw_bind_parameter(5, r.department_id)?;
        s.raw_bind_parameter(6, text(&r.calling))?;
        s.raw_bind_parameter(7, text(&r.dialled))?;
        s.raw_bind_parameter(8, &r.rec[..])?;
        if s.raw_execute()? == 0 {
            return Ok(Insert::Duplicate);
        }
        if let Some(ext) = r.extension_id {
            let day = r.start_s.div_euclid(86_400);
            self.postings.push((day, r.department_id.unwrap_or(0), ext, r.start_s, r.dedup));
        }
        Ok(Insert::Stored)
    }

    /// The exact duplicate check: is a call with this key stored (or
    /// inserted earlier in this transaction)?
    pub fn cdr_exists(&mut self, start_s: i64, dedup: i64) -> Result<bool> {
        Ok(self.cdr_exists.exists([start_s, dedup])?)
    }

    /// Dedup keys of the calls that started on `day` (see
    /// [`crate::Store::dedup_keys_of_day`]), read inside this transaction.
    pub fn dedup_keys_of_day(&self, day: i64, each: &mut dyn FnMut(i64, i64)) -> Result<()> {
        crate::dedup_keys_of_day(self.conn, day, each)
    }

    /// Id of a named source, created on first use.
    pub fn source_id(&self, name: &str) -> Result<i64> {
        crate::source_id(self.conn, name)
    }

    /// Stores a quality record unless already stored.
    pub fn insert_quality(&self, q: &QualityRecord, pbx_id: i64, source_id: i64) -> Result<Insert> {
        let metrics =
            q.metrics.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";");
        let mut stmt = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO quality (global_call_id, leg_id, identity, pbx_id, ts,
             directory_number, device_name, packets_sent, packets_received, packets_lost,
             jitter_ms, latency_ms, metrics, source_id, source_pos)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?;
        let n = stmt.execute(params![
            q.global_call_id.as_str(),
            q.leg_id.as_str(),
            q.identity as i64,
            pbx_id,
            q.timestamp.as_second(),
            text(&q.directory_number),
            text(&q.device_name),
            q.packets_sent.map(|v| v as i64),
            q.packets_received.map(|v| v as i64),
            q.packets_lost.map(|v| v as i64),
            q.jitter_ms,
            q.latency_ms,
            text(&metrics),
            source_id,
            q.location.position as i64,
        ])?;
        Ok(if n == 1 { Insert::Stored } else { Insert::Duplicate })
    }

    /// Keeps a record that could not be stored. The same bytes from the
    /// same place are kept once, so re-importing a file adds nothing.
    /// Returns true when the record was not already held.
    pub fn quarantine(&self, q: &QuarantineItem, now_s: i64) -> Result<bool> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO quarantine (received_at, pbx, format, source, position,
             is_offset, reason, raw, header, raw_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        let n = stmt.execute(params![
            now_s,
            q.pbx,
            q.format,
            q.location.source,
            q.location.position as i64,
            q.location.is_offset,
            q.reason,
            q.raw,
            q.header,
            cdr::whole_record("quarantine", &q.raw) as i64,
        ])?;
        Ok(n == 1)
    }

    /// Marks a quarantined record as released (stored after a retry).
    pub fn release_quarantined(&self, id: i64, now_s: i64) -> Result<()> {
        self.conn.execute("UPDATE quarantine SET released_at = ?2 WHERE id = ?1", [id, now_s])?;
        Ok(())
    }

    /// The transaction's connection, for writes this module has no method for.
    pub fn connection(&self) -> &Connection {
        self.conn
    }

    /// Appends this transaction's call keys to `cdr_owner`, one row per
    /// (day, department, extension), in key order so the B-tree is walked
    /// front to back; then commits.
    pub fn commit(mut self) -> Result<()> {
        let mut postings = std::mem::take(&mut self.postings);
        postings.sort_unstable();
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO cdr_owner (day, department_id, extension_id, keys)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO UPDATE SET keys = keys || excluded.keys",
        )?;
        let mut keys = Vec::new();
        for group in postings.chunk_by(|a, b| (a.0, a.1, a.2) == (b.0, b.1, b.2)) {
            keys.clear();
            for p in group {
                keys.extend_from_slice(&p.3.to_le_bytes());
                keys.extend_from_slice(&p.4.to_le_bytes());
            }
            let (day, dept, ext, _, _) = group[0];
            stmt.execute(params![day, dept, ext, keys])?;
        }
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }
}

impl Drop for Batch<'_> {
    /// A batch dropped without commit (an error on the way) leaves nothing.
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
