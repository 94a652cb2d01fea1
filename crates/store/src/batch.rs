//! One write transaction: calls, quality records and quarantined records.

use crate::call_leg::{LEGS_PER_INSERT, insert_new_legs_sql, record_leg_sql};
use crate::months::{BUFFER_LIMIT, MonthBuffer, fold};
use crate::raw::{Binder, RawStatement};
use crate::rollup::{Agg, Bucket, Sums};
use crate::{CdrRow, Error, QuarantineItem, Result};
use cdr::QualityRecord;
use rusqlite::{Connection, Statement, params};
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::ffi::c_int;

/// Outcome of inserting one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    Stored,
    Duplicate,
}

/// One call key, filed under its owner, to be written to `cdr_owner` at
/// commit, with what it adds to the rollups.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Posting {
    /// (day, department or 0, extension or 0, start, dedup): the sort order.
    pub key: (i64, i64, i64, i64, i64),
    pub month: i64,
    pub bucket: Bucket,
    pub sums: Sums,
    /// Whether it belongs in the day's `cdr_owner` row (key and sums).
    pub day_row: bool,
    /// Whether its key is listed in that row (the call is the owner's);
    /// unlisted, only its sums count there (a contribution moved to
    /// another owner, see [`Batch::move_contribution`]).
    pub listed: bool,
    /// Whether its sums go into the month rollup.
    pub month_row: bool,
}

impl Posting {
    fn owner(&self) -> (i64, i64, i64) {
        (self.key.0, self.key.1, self.key.2)
    }
}

/// A stored call's contribution to the rollups moved from one owner to
/// another (see [`Batch::move_contribution`]). Owners are (department,
/// extension); `None` is "none", as a call without one is filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    /// The call's local day and month (as [`CdrRow::day`], [`CdrRow::month`]).
    pub day: i64,
    pub month: i64,
    pub bucket: Bucket,
    pub from: (Option<i64>, Option<i64>),
    /// What `from` gives up (its sums of the call as filed).
    pub taken: Sums,
    pub to: (Option<i64>, Option<i64>),
    /// What `to` receives (the same, or without the call counted).
    pub given: Sums,
}

/// Calls stored by one execution of the multi-row insert: one statement
/// per call costs SQLite a statement start and finish (and rusqlite a
/// copy of every value) per row, which is most of an insert's cost.
const CALLS_PER_INSERT: usize = 16;
/// Columns bound per call.
const CDR_COLUMNS: usize = 9;

fn insert_cdr_sql(rows: usize) -> String {
    let values = vec!["(?,?,?,?,?,?,?,?,?)"; rows].join(",");
    format!(
        "INSERT OR IGNORE INTO cdr (start_s, dedup, pbx_id, extension_id, department_id,
         calling, dialled, rec, charge) VALUES {values}"
    )
}

/// Binds one call as the `n`th row of an insert.
fn bind_cdr<'d>(b: &mut Binder<'d>, n: usize, r: &'d CdrRow) {
    let at = (n * CDR_COLUMNS) as c_int;
    b.int(at + 1, r.start_s);
    b.int(at + 2, r.dedup);
    b.int(at + 3, r.pbx_id);
    b.opt_int(at + 4, r.extension_id);
    b.opt_int(at + 5, r.department_id);
    b.text_or_null(at + 6, &r.calling);
    b.text_or_null(at + 7, &r.dialled);
    b.blob(at + 8, &r.rec);
    match &r.charge {
        Some(charge) => b.blob(at + 9, charge),
        None => b.null(at + 9),
    }
}

/// A write transaction with its hot statements prepared once (looking a
/// statement up in a cache costs more than binding a narrow row).
pub struct Batch<'c> {
    conn: &'c Connection,
    months: &'c RefCell<MonthBuffer>,
    scratch: &'c RefCell<Scratch>,
    insert_cdr: RawStatement<'c>,
    insert_cdrs: RawStatement<'c>,
    /// Legs' outcomes (`call_leg`), one and several at a time.
    pub(crate) record_leg: RawStatement<'c>,
    pub(crate) insert_new_legs: RawStatement<'c>,
    cdr_exists: Statement<'c>,
    /// Taken from `scratch` for the transaction, given back after.
    postings: Vec<Posting>,
    open: bool,
}

/// Buffers a store's write transactions reuse from one to the next. A
/// large import transaction files hundreds of thousands of postings: in
/// fresh memory, growing them cost more (page faults, copies on growth)
/// than everything done with them, so they are kept, emptied, between
/// transactions.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    postings: Vec<Posting>,
    owners: OwnerRows,
}

fn already_stored() -> Error {
    Error::Invalid(
        "a call taken for new was already stored (another import running at the same time?); \
         nothing of this batch was kept: import again"
            .into(),
    )
}

/// Errors of a write on `conn`, with a full disk said as such and the
/// database file named (see [`Error::naming_full_disk`]).
fn full_disk<E: Into<Error>>(conn: &Connection) -> impl Fn(E) -> Error + '_ {
    move |e| e.into().naming_full_disk(conn)
}

/// Empty text is stored as NULL: it costs one byte and reads back empty.
fn text(t: &str) -> Option<&str> {
    if t.is_empty() { None } else { Some(t) }
}

impl<'c> Batch<'c> {
    pub(crate) fn begin(
        conn: &'c Connection,
        months: &'c RefCell<MonthBuffer>,
        scratch: &'c RefCell<Scratch>,
    ) -> Result<Self> {
        let insert_cdr = RawStatement::prepare(conn, &insert_cdr_sql(1))?;
        let insert_cdrs = RawStatement::prepare(conn, &insert_cdr_sql(CALLS_PER_INSERT))?;
        let record_leg = RawStatement::prepare(conn, &record_leg_sql())?;
        let insert_new_legs = RawStatement::prepare(conn, &insert_new_legs_sql(LEGS_PER_INSERT))?;
        let cdr_exists = conn.prepare("SELECT 1 FROM cdr WHERE start_s = ?1 AND dedup = ?2")?;
        conn.execute_batch("BEGIN IMMEDIATE").map_err(full_disk(conn))?;
        let mut postings = std::mem::take(&mut scratch.borrow_mut().postings);
        postings.clear();
        Ok(Batch {
            conn,
            months,
            scratch,
            insert_cdr,
            insert_cdrs,
            record_leg,
            insert_new_legs,
            cdr_exists,
            postings,
            open: true,
        })
    }

    /// Files a stored call under its owner (see [`Batch::commit`]).
    fn post(&mut self, r: &CdrRow) {
        let owner = (r.department_id.unwrap_or(0), r.extension_id.unwrap_or(0));
        self.postings.push(Posting {
            key: (r.day, owner.0, owner.1, r.start_s, r.dedup),
            month: r.month,
            bucket: r.bucket,
            sums: r.sums,
            day_row: true,
            listed: true,
            month_row: true,
        });
    }

    /// Moves what a stored call adds to the rollups of its day and month:
    /// `from` gives up `taken`, `to` receives `given`, both in the call's
    /// `bucket`. The call stays listed under the owner it was stored with
    /// (searches find it there); only the sums move. For a leg that another
    /// extension pays for, or that is not counted as a call of its own.
    /// Idempotence is the caller's: moving twice moves twice.
    pub fn move_contribution(&mut self, moved: &Moved) {
        let owner = |o: (Option<i64>, Option<i64>)| (o.0.unwrap_or(0), o.1.unwrap_or(0));
        for (who, sums) in
            [(owner(moved.from), moved.taken.negated()), (owner(moved.to), moved.given)]
        {
            self.postings.push(Posting {
                key: (moved.day, who.0, who.1, 0, 0),
                month: moved.month,
                bucket: moved.bucket,
                sums,
                day_row: true,
                listed: false,
                month_row: true,
            });
        }
    }

    /// Stores a call unless one with the same key is already stored.
    pub fn insert_cdr(&mut self, r: &CdrRow) -> Result<Insert> {
        let full = full_disk(self.conn);
        if self.insert_cdr.execute(|b| bind_cdr(b, 0, r)).map_err(full)? == 0 {
            return Ok(Insert::Duplicate);
        }
        self.post(r);
        Ok(Insert::Stored)
    }

    /// Stores calls the caller knows are not stored (its dedup filter ruled
    /// them out), several per statement. Should one be stored after all
    /// (the caller was wrong, e.g. another writer slipped in), nothing is
    /// guessed: the error aborts the transaction, which then stores none
    /// of them.
    pub fn insert_new_cdrs(&mut self, rows: &[&CdrRow]) -> Result<()> {
        let full = full_disk(self.conn);
        let mut groups = rows.chunks_exact(CALLS_PER_INSERT);
        for group in &mut groups {
            let stored = self
                .insert_cdrs
                .execute(|b| {
                    for (n, r) in group.iter().enumerate() {
                        bind_cdr(b, n, r);
                    }
                })
                .map_err(&full)?;
            if stored != group.len() as u64 {
                return Err(already_stored());
            }
        }
        for r in groups.remainder() {
            if self.insert_cdr.execute(|b| bind_cdr(b, 0, r)).map_err(&full)? != 1 {
                return Err(already_stored());
            }
        }
        // At once, not by doubling: half a million postings regrown step
        // by step cost more in copies and page faults than filing them.
        self.postings.reserve(rows.len());
        for r in rows {
            self.post(r);
        }
        Ok(())
    }

    /// The exact duplicate check: is a call with this key stored (or
    /// inserted earlier in this transaction)?
    pub fn cdr_exists(&mut self, start_s: i64, dedup: i64) -> Result<bool> {
        Ok(self.cdr_exists.exists([start_s, dedup])?)
    }

    /// Dedup keys of the calls that started on `day` (days since the
    /// epoch, UTC), read inside this transaction, to seed that day's Bloom
    /// filter.
    pub fn dedup_keys_of_day(&self, day: i64, each: &mut dyn FnMut(i64, i64)) -> Result<()> {
        crate::dedup_keys_of_day(self.conn, day, each)
    }

    /// See [`crate::Store::data_version`], read inside this transaction.
    pub fn data_version(&self) -> Result<i64> {
        crate::data_version(self.conn)
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
             jitter_ms, latency_ms, metrics, source_id, source_pos, extras)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        let n = stmt
            .execute(params![
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
                crate::codec::encode_pairs(&q.extras),
            ])
            .map_err(full_disk(self.conn))?;
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
        let n = stmt
            .execute(params![
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
            ])
            .map_err(full_disk(self.conn))?;
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

    /// Files this transaction's call keys and sums in `cdr_owner`, keeps
    /// their month sums for a later fold (see `months`); then commits.
    pub fn commit(mut self) -> Result<()> {
        let full = full_disk(self.conn);
        let mut months = self.months.borrow_mut();
        let mut scratch = self.scratch.borrow_mut();
        let owners = &mut scratch.owners;
        if let Some(seqs) = file_postings(self.conn, &mut self.postings, owners, &mut |key, agg| {
            months.aggs.entry(key).or_default().merge(agg)
        })
        .map_err(&full)?
        {
            months.seqs.extend(seqs);
        }
        if months.aggs.len() > BUFFER_LIMIT {
            fold(self.conn, &mut months).map_err(&full)?;
        }
        drop((months, scratch));
        // Most often where a full disk shows: the WAL is written here.
        self.conn.execute_batch("COMMIT").map_err(full_disk(self.conn))?;
        self.open = false;
        Ok(())
    }
}

/// Writes postings: new `cdr_owner` rows per (day, department, extension)
/// under fresh commit numbers, with the keys and the day's sums, in key
/// order so the B-tree is walked front to back; and the month sums, into
/// `buffer` for a later fold, or merged into `rollup_month` at once
/// without one. Sums may be negative (re-rating takes a call's old
/// contribution back). Returns the last commit number used, if any.
pub(crate) fn write_postings(
    conn: &Connection,
    mut postings: Vec<Posting>,
    buffer: Option<&mut MonthBuffer>,
) -> Result<Option<i64>> {
    let mut months: FxHashMap<(i64, i64, i64), Agg> = FxHashMap::default();
    let mut owners = OwnerRows::default();
    let Some(seqs) = file_postings(conn, &mut postings, &mut owners, &mut |key, agg| {
        months.entry(key).or_default().merge(agg)
    })?
    else {
        return Ok(None);
    };
    let seq = *seqs.end();
    match buffer {
        Some(buffer) => {
            buffer.seqs.extend(seqs);
            for (key, agg) in months {
                buffer.aggs.entry(key).or_default().merge(&agg);
            }
        }
        None => merge_months(conn, months)?,
    }
    Ok(Some(seq))
}

/// Keys in one `cdr_owner` row at most. An owner with more calls in one
/// commit gets several rows. One large row would hold its keys in overflow
/// pages, and SQLite copies a whole overflowing record (overflow pages
/// included) each time a B-tree seek compares a key with it: the calls
/// with no extension, about a tenth of them, made rows of up to a
/// megabyte, and commits slowed from 0.3 s to 3–7 s as they piled up. 512
/// keys (8 KiB) stay well within what a 64 KiB page holds in place.
pub(crate) const KEYS_PER_OWNER_ROW: usize = 512;

/// The `cdr_owner` rows of one commit, built in two buffers that are
/// reused from commit to commit rather than a pair of vectors per row.
#[derive(Debug, Default)]
struct OwnerRows {
    rows: Vec<OwnerRowEnds>,
    keys: Vec<u8>,
    aggs: Vec<u8>,
}

impl OwnerRows {
    fn clear(&mut self) {
        self.rows.clear();
        self.keys.clear();
        self.aggs.clear();
    }

    /// Each row's owner, part number, keys and encoded sums.
    fn iter(&self) -> impl Iterator<Item = OwnerRow<'_>> {
        let mut at = (0, 0);
        self.rows.iter().map(move |&(owner, part, keys_end, agg_end)| {
            let row = (owner, part, &self.keys[at.0..keys_end], &self.aggs[at.1..agg_end]);
            at = (keys_end, agg_end);
            row
        })
    }

    /// Files one owner's keys (16 bytes each, from `keys_from` in `keys`)
    /// and sums as rows of at most [`KEYS_PER_OWNER_ROW`] keys, the sums
    /// in the first and empty sums in the others. Returns its rows.
    fn push_owner(&mut self, owner: (i64, i64, i64), keys_from: usize, agg: &Agg) -> i64 {
        let keys_end = self.keys.len();
        let mut part = 0;
        let mut from = keys_from;
        // Sums without any key listed (moved contributions): one row, no keys.
        let sums_alone = keys_from == keys_end && !agg.is_empty();
        while from < keys_end || (sums_alone && part == 0) {
            let end = (from + 16 * KEYS_PER_OWNER_ROW).min(keys_end);
            if part == 0 {
                agg.encode_into(&mut self.aggs);
            } else {
                Agg::default().encode_into(&mut self.aggs);
            }
            self.rows.push((owner, part, end, self.aggs.len()));
            part += 1;
            from = end;
        }
        part
    }
}

/// (day, department, extension), which of the owner's rows it is (its
/// part), end of its keys, end of its sums.
type OwnerRowEnds = ((i64, i64, i64), i64, usize, usize);

/// (day, department, extension), part, keys and encoded sums.
type OwnerRow<'a> = ((i64, i64, i64), i64, &'a [u8], &'a [u8]);

/// Takes an owner's sums of one month: (month, department, extension).
type MonthSink<'a> = dyn FnMut((i64, i64, i64), &Agg) + 'a;

/// Sorts `postings` and files them (see [`write_postings`]): the day rows
/// into `cdr_owner` under fresh commit numbers, and each owner's month
/// sums to `month`. An owner's rows are numbered from the first new
/// number on (see [`KEYS_PER_OWNER_ROW`]), so a commit takes as many
/// numbers as its largest owner has rows; returns them (none when there
/// is nothing to file). Empties `postings`, keeping its allocation.
fn file_postings(
    conn: &Connection,
    postings: &mut Vec<Posting>,
    owners: &mut OwnerRows,
    month: &mut MonthSink<'_>,
) -> Result<Option<std::ops::RangeInclusive<i64>>> {
    if postings.is_empty() {
        return Ok(None);
    }
    postings.sort_unstable_by_key(|p| p.key);
    owners.clear();
    let mut parts = 1;
    for group in postings.chunk_by(|a, b| a.owner() == b.owner()) {
        let owner = group[0].owner();
        let mut agg = Agg::default();
        let keys_before = owners.keys.len();
        for p in group.iter().filter(|p| p.day_row) {
            if p.listed {
                owners.keys.extend_from_slice(&p.key.3.to_le_bytes());
                owners.keys.extend_from_slice(&p.key.4.to_le_bytes());
            }
            agg.add(p.bucket, &p.sums);
        }
        parts = parts.max(owners.push_owner(owner, keys_before, &agg));
        month_sums(group, &agg, month);
    }
    postings.clear();
    let last: i64 = conn.query_row(
        "UPDATE cdr_owner_seq SET seq = seq + ?1 WHERE id = 1 RETURNING seq",
        [parts],
        |r| r.get(0),
    )?;
    let seq = last - parts + 1;
    let mut one = RawStatement::prepare(conn, &insert_owner_sql(1))?;
    let mut many = RawStatement::prepare(conn, &insert_owner_sql(OWNERS_PER_INSERT))?;
    let mut filed = 0;
    let mut rows = owners.iter();
    let full_groups = owners.rows.len() / OWNERS_PER_INSERT;
    for _ in 0..full_groups {
        filed += many.execute(|b| {
            for (n, row) in rows.by_ref().take(OWNERS_PER_INSERT).enumerate() {
                bind_owner(b, n, seq, row);
            }
        })?;
    }
    for row in rows {
        filed += one.execute(|b| bind_owner(b, 0, seq, row))?;
    }
    // `OR IGNORE` only spares SQLite a statement journal (a multi-row
    // insert that may fail must be able to undo itself); the fresh `seq`
    // leaves nothing to ignore, and if something were, the transaction is
    // abandoned rather than lose keys.
    if filed != owners.rows.len() as u64 {
        return Err(Error::Invalid("cdr_owner: commit number reused".into()));
    }
    Ok(Some(seq..=last))
}

/// Hands `month` the month sums of one owner's postings of one day; `day`
/// is their day-row sums, which they are when every posting counts in
/// both (as every import's do).
fn month_sums(group: &[Posting], day: &Agg, month: &mut MonthSink<'_>) {
    let (_, dept, ext) = group[0].owner();
    if group.iter().all(|p| p.day_row && p.month_row && p.month == group[0].month) {
        if !day.is_empty() {
            month((group[0].month, dept, ext), day);
        }
        return;
    }
    for p in group.iter().filter(|p| p.month_row) {
        let mut agg = Agg::default();
        agg.add(p.bucket, &p.sums);
        month((p.month, dept, ext), &agg);
    }
}

/// A `rollup_month` row to merge: (month, department, extension) and sums.
pub(crate) type MonthRow = ((i64, i64, i64), Vec<u8>);

/// Merges month sums into `rollup_month`, in key order.
pub(crate) fn merge_months(
    conn: &Connection,
    aggs: impl IntoIterator<Item = ((i64, i64, i64), Agg)>,
) -> Result<()> {
    let mut months: Vec<MonthRow> = aggs.into_iter().map(|(k, agg)| (k, agg.encode())).collect();
    months.sort_unstable_by_key(|(k, _)| *k);
    upsert_months(conn, &months)
}

/// Merges month rows, sorted by key, into `rollup_month`.
fn upsert_months(conn: &Connection, months: &[MonthRow]) -> Result<()> {
    let mut one = RawStatement::prepare(conn, &upsert_month_sql(1))?;
    let mut many = RawStatement::prepare(conn, &upsert_month_sql(OWNERS_PER_INSERT))?;
    let mut groups = months.chunks_exact(OWNERS_PER_INSERT);
    for group in &mut groups {
        many.execute(|b| group.iter().enumerate().for_each(|(n, m)| bind_month(b, n, m)))?;
    }
    for m in groups.remainder() {
        one.execute(|b| bind_month(b, 0, m))?;
    }
    Ok(())
}

/// Owners filed by one execution of the multi-row `cdr_owner` insert.
const OWNERS_PER_INSERT: usize = 16;
const OWNER_COLUMNS: usize = 6;

/// Binds one owner's keys and sums as the `n`th row of a `cdr_owner` insert.
fn bind_owner<'d>(
    b: &mut Binder<'d>,
    n: usize,
    seq: i64,
    ((day, dept, ext), part, keys, agg): OwnerRow<'d>,
) {
    let at = (n * OWNER_COLUMNS) as c_int;
    b.int(at + 1, day);
    b.int(at + 2, dept);
    b.int(at + 3, ext);
    b.int(at + 4, seq + part);
    b.blob(at + 5, keys);
    b.blob(at + 6, agg);
}

fn insert_owner_sql(rows: usize) -> String {
    let values = vec!["(?,?,?,?,?,?)"; rows].join(",");
    format!(
        "INSERT OR IGNORE INTO cdr_owner (day, department_id, extension_id, seq, keys, agg)
         VALUES {values}"
    )
}

const MONTH_COLUMNS: usize = 4;

fn bind_month<'d>(b: &mut Binder<'d>, n: usize, row: &'d MonthRow) {
    let ((month, dept, ext), agg) = row;
    let at = (n * MONTH_COLUMNS) as c_int;
    b.int(at + 1, *month);
    b.int(at + 2, *dept);
    b.int(at + 3, *ext);
    b.blob(at + 4, agg);
}

fn upsert_month_sql(rows: usize) -> String {
    let values = vec!["(?,?,?,?)"; rows].join(",");
    format!(
        "INSERT INTO rollup_month (month, department_id, extension_id, agg) VALUES {values}
         ON CONFLICT DO UPDATE SET agg = agg_merge(agg, excluded.agg)"
    )
}

impl Drop for Batch<'_> {
    /// A batch dropped without commit (an error on the way) leaves nothing.
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        let mut postings = std::mem::take(&mut self.postings);
        postings.clear();
        if let Ok(mut scratch) = self.scratch.try_borrow_mut() {
            scratch.postings = postings;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{CdrQuery, CdrRow, Error, Insert, Store};

    fn row(start_s: i64, dedup: i64, extension_id: Option<i64>) -> CdrRow {
        let cdr = cdr::Cdr {
            start: cdr::Timestamp::from_second(start_s).unwrap(),
            end: cdr::Timestamp::from_second(start_s + 5).unwrap(),
            ..Default::default()
        };
        let a = directory::Attribution { extension_id, ..Default::default() };
        let mut r = CdrRow::new(&cdr, dedup, 1, 1, &a);
        r.department_id = Some(0);
        r
    }

    #[test]
    fn calls_taken_for_new_are_stored_in_bulk_but_never_twice() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let rows: Vec<CdrRow> = (0..40).map(|i| row(86_400 + i, i, Some(5))).collect();
        let refs: Vec<&CdrRow> = rows.iter().collect();
        let mut batch = store.batch().unwrap();
        batch.insert_new_cdrs(&refs).unwrap();
        batch.commit().unwrap();
        assert_eq!(store.cdr_count().unwrap(), 40);
        // One of them again among new ones: refused, and nothing of the
        // transaction stays.
        let more: Vec<CdrRow> = (40..60).map(|i| row(86_400 + i, i, Some(5))).collect();
        let mut refs: Vec<&CdrRow> = more.iter().collect();
        refs.push(&rows[3]);
        let mut batch = store.batch().unwrap();
        assert!(batch.insert_new_cdrs(&refs).is_err());
        drop(batch);
        assert_eq!(store.cdr_count().unwrap(), 40);
    }

    #[test]
    fn a_full_disk_is_an_error_naming_the_database_and_keeps_nothing_of_the_batch() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let first: Vec<CdrRow> = (0..10).map(|i| row(86_400 + i, i, Some(5))).collect();
        let mut batch = store.batch().unwrap();
        first.iter().for_each(|r| assert_eq!(batch.insert_cdr(r).unwrap(), Insert::Stored));
        batch.commit().unwrap();
        // The database may not grow: SQLite says SQLITE_FULL, as it does
        // when the file system is full.
        let pages: i64 =
            store.connection().query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
        store.connection().execute_batch(&format!("PRAGMA max_page_count = {pages}")).unwrap();
        let more: Vec<CdrRow> = (0..5000).map(|i| row(2 * 86_400 + i, i, Some(5))).collect();
        let refs: Vec<&CdrRow> = more.iter().collect();
        let error = {
            let mut batch = store.batch().unwrap();
            match batch.insert_new_cdrs(&refs) {
                Err(error) => error,
                Ok(()) => batch.commit().unwrap_err(),
            }
        };
        let message = error.to_string();
        let path = dir.path().join("bluewhale.sqlite").display().to_string();
        assert!(matches!(error, Error::DiskFull { .. }), "{message}");
        assert!(message.contains(&path) && message.contains("disk is full"), "{message}");
        store.connection().execute_batch("PRAGMA max_page_count = 4294967294").unwrap();
        assert_eq!(store.cdr_count().unwrap(), 10);
        let check: String =
            store.connection().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok");
    }

    #[test]
    fn an_owner_finds_its_calls_of_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        for commit in 0..3 {
            let rows: Vec<CdrRow> =
                (0..5).map(|i| row(86_400 + commit * 10 + i, commit * 10 + i, Some(5))).collect();
            let mut batch = store.batch().unwrap();
            for r in &rows {
                batch.insert_cdr(r).unwrap();
            }
            batch.commit().unwrap();
        }
        let kinds: Vec<String> = store
            .connection()
            .prepare("SELECT DISTINCT typeof(keys) FROM cdr_owner")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kinds, ["blob"]);
        let q = CdrQuery {
            from_s: 0,
            to_s: 3 * 86_400,
            // (Department 0: calls of extensions in none.)
            department_ids: Some(vec![0]),
            ..Default::default()
        };
        let mut n = 0;
        store
            .query_cdrs(&q, |_| {
                n += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(n, 15);
    }

    /// Calls per owner: (extension, number of its calls in the commit).
    fn commit_calls(store: &mut Store, first_key: i64, owners: &[(i64, i64)]) {
        let mut key = first_key;
        let mut rows = Vec::new();
        for &(extension, calls) in owners {
            for _ in 0..calls {
                rows.push(row(86_400 + key % 80_000, key, Some(extension)));
                key += 1;
            }
        }
        let refs: Vec<&CdrRow> = rows.iter().collect();
        let mut batch = store.batch().unwrap();
        batch.insert_new_cdrs(&refs).unwrap();
        batch.commit().unwrap();
    }

    #[test]
    fn an_owner_with_many_calls_in_one_commit_gets_rows_of_bounded_size() {
        use super::KEYS_PER_OWNER_ROW as MAX;
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let many = 2 * MAX as i64 + 7;
        commit_calls(&mut store, 0, &[(5, many), (6, 3)]);
        commit_calls(&mut store, 10_000, &[(5, MAX as i64), (6, 1)]);
        let rows: Vec<(i64, i64, i64)> = store
            .connection()
            .prepare("SELECT extension_id, seq, length(keys) / 16 FROM cdr_owner ORDER BY 1, 2")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        // The first commit takes numbers 1–3 (its largest owner has three
        // rows), the second number 4.
        let max = MAX as i64;
        assert_eq!(rows, [(5, 1, max), (5, 2, max), (5, 3, 7), (5, 4, max), (6, 1, 3), (6, 4, 1)]);
        let seq: (i64, i64) = store
            .connection()
            .query_row("SELECT seq, months_seq FROM cdr_owner_seq", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(seq, (4, 0));
        let calls_of = |store: &Store, first: i64, last: i64| {
            let mut calls = std::collections::BTreeMap::new();
            store
                .rollups(first, last, |_, extension, agg| {
                    *calls.entry(extension).or_insert(0) += agg.total().calls;
                    Ok(())
                })
                .unwrap();
            calls.into_iter().collect::<Vec<(i64, i64)>>()
        };
        // Day rows: the sums are counted once, not once per row.
        assert_eq!(calls_of(&store, 1, 1), [(5, many + max), (6, 4)]);
        // Folded into the month with the buffer of this writer's commits.
        store.fold_months().unwrap();
        assert_eq!(calls_of(&store, 0, 30), [(5, many + max), (6, 4)]);
        let mut found = 0;
        let q = CdrQuery {
            from_s: 0,
            to_s: 3 * 86_400,
            department_ids: Some(vec![0]),
            ..Default::default()
        };
        store
            .query_cdrs(&q, |_| {
                found += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(found, many + max + 4);
    }

    #[test]
    fn a_moved_contribution_changes_the_rollups_not_the_owner_of_the_call() {
        use crate::{Moved, Sums};
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut call = row(86_400 + 60, 1, Some(5));
        call.sums = Sums { calls: 1, seconds: 30, cost: crate::Amount(1_200), ..Sums::default() };
        let mut batch = store.batch().unwrap();
        batch.insert_cdr(&call).unwrap();
        batch.commit().unwrap();
        // Extension 6 (department 2) pays for it; it is not counted as a call.
        let moved = Moved {
            day: call.day,
            month: call.month,
            bucket: call.bucket,
            from: (call.department_id, call.extension_id),
            taken: call.sums,
            to: (Some(2), Some(6)),
            given: Sums { calls: 0, ..call.sums },
        };
        let mut batch = store.batch().unwrap();
        batch.move_contribution(&moved);
        batch.commit().unwrap();
        let sums_of = |store: &Store, first: i64, last: i64| {
            let mut sums = std::collections::BTreeMap::new();
            store
                .rollups(first, last, |department, extension, agg| {
                    let t = agg.total();
                    let e = sums.entry((department, extension)).or_insert((0, 0, 0));
                    *e = (e.0 + t.calls, e.1 + t.seconds, e.2 + t.cost.0);
                    Ok(())
                })
                .unwrap();
            sums.into_iter().filter(|(_, s)| *s != (0, 0, 0)).collect::<Vec<_>>()
        };
        assert_eq!(sums_of(&store, call.day, call.day), [((2, 6), (0, 30, 1_200))]);
        store.fold_months().unwrap();
        let month = (crate::days::first_day_of_month(call.month), call.day + 40);
        assert_eq!(sums_of(&store, month.0, month.1), [((2, 6), (0, 30, 1_200))]);
        // The call is still listed where it was filed, not under the payer.
        let listed = |department: i64| {
            let q = CdrQuery {
                from_s: 0,
                to_s: 3 * 86_400,
                department_ids: Some(vec![department]),
                ..Default::default()
            };
            let mut found = 0;
            store
                .query_cdrs(&q, |_| {
                    found += 1;
                    Ok(())
                })
                .unwrap();
            found
        };
        assert_eq!((listed(0), listed(2)), (1, 0));
    }

    #[test]
    fn the_month_rollup_is_refolded_from_rows_split_by_owner_size() {
        use super::KEYS_PER_OWNER_ROW as MAX;
        let dir = tempfile::tempdir().unwrap();
        let many = 3 * MAX as i64 + 1;
        {
            let mut store = Store::open(dir.path()).unwrap();
            commit_calls(&mut store, 0, &[(5, many), (6, 2)]);
            // Gone without folding its buffer, as in a crash.
            std::mem::forget(store);
        }
        let mut store = Store::open(dir.path()).unwrap();
        commit_calls(&mut store, 50_000, &[(5, 1)]);
        store.fold_months().unwrap();
        let mut calls = 0;
        store
            .rollups(0, 30, |_, _, agg| {
                calls += agg.total().calls;
                Ok(())
            })
            .unwrap();
        assert_eq!(calls, many + 3);
    }
}
