//! Rewriting one local day of calls in place (re-rating): new attribution
//! and charges, the day's `cdr_owner` rows written afresh, and the month
//! rollups corrected by the difference — all in one transaction, so an
//! interrupted re-rating leaves every day either as it was or rewritten.

use crate::batch::{Posting, write_postings};
use crate::charge::Charge;
use crate::query::{COLUMNS, row};
use crate::raw::RawStatement;
use crate::rollup::{Bucket, Sums};
use crate::{CdrRow, Result, Store, UNCLASSIFIED};
use rusqlite::Connection;

/// A call's new owner and charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recharge {
    pub extension_id: Option<i64>,
    pub department_id: Option<i64>,
    pub charge: Charge,
}

/// One day's calls, read inside the write transaction that will replace
/// them (nothing else can write the day in between), then their changes
/// applied one by one in row order and committed.
pub struct DayRewrite<'c> {
    conn: &'c Connection,
    day: i64,
    month: i64,
    from_s: i64,
    to_s: i64,
    /// Calls read so far.
    read: usize,
    /// Changes applied so far.
    applied: usize,
    /// `UPDATE cdr …`, prepared at the first changed call.
    update: Option<RawStatement<'c>>,
    /// The day's new `cdr_owner` postings and the month differences.
    postings: Vec<Posting>,
    outcome: RewriteOutcome,
    open: bool,
}

/// What a rewrite changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RewriteOutcome {
    pub calls: u64,
    pub changed: u64,
}

impl Store {
    /// Starts rewriting local day `day` (month `month`), whose calls start
    /// in `[from_s, to_s)`.
    pub fn rewrite_day(
        &self,
        day: i64,
        month: i64,
        from_s: i64,
        to_s: i64,
    ) -> Result<DayRewrite<'_>> {
        let conn = self.connection();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        // The month differences below apply to an up-to-date rollup.
        if let Err(e) = crate::months::fold(conn, &mut self.months.borrow_mut()) {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
        Ok(DayRewrite {
            conn,
            day,
            month,
            from_s,
            to_s,
            read: 0,
            applied: 0,
            update: None,
            postings: Vec::new(),
            outcome: RewriteOutcome::default(),
            open: true,
        })
    }
}

impl DayRewrite<'_> {
    /// The next `limit` calls of the day as stored, in start order, after
    /// the call with key `after` (from the start of the day when None).
    /// Each read is a statement of its own, finished when it returns, so
    /// changes can be applied between reads while the next calls are
    /// being worked on.
    pub fn read_chunk(&mut self, after: Option<(i64, i64)>, limit: usize) -> Result<Vec<CdrRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM cdr WHERE start_s >= ?1 AND start_s < ?2
             AND (start_s, dedup) > (?3, ?4) ORDER BY start_s, dedup LIMIT ?5"
        ))?;
        let (after_start, after_dedup) = after.unwrap_or((i64::MIN, i64::MIN));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let params = [self.from_s, self.to_s, after_start, after_dedup, limit];
        let rows = stmt.query_map(params, row)?.collect::<rusqlite::Result<Vec<CdrRow>>>()?;
        self.read += rows.len();
        Ok(rows)
    }
}

/// What a call adds to its rollups: owner (department, extension), bucket
/// and sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contribution {
    owner: (i64, i64),
    bucket: Bucket,
    sums: Sums,
}

/// A stored call's rollup contribution, as stored.
fn contribution(row: &CdrRow, charge: Option<&Charge>, duration_s: u32) -> Contribution {
    let owner = (row.department_id.unwrap_or(0), row.extension_id.unwrap_or(0));
    match charge {
        Some(charge) => {
            Contribution { owner, bucket: charge.bucket(), sums: charge.sums(duration_s) }
        }
        None => Contribution {
            owner,
            bucket: Bucket { call_type: UNCLASSIFIED, carrier_id: 0 },
            sums: Sums { calls: 1, seconds: i64::from(duration_s), ..Sums::default() },
        },
    }
}

/// One call's part in a day's rewrite, worked out apart from the
/// transaction (on any thread): its contribution before and after, and
/// the new column values when anything changed.
#[derive(Debug, Clone)]
pub struct RowChange {
    start_s: i64,
    dedup: i64,
    old: Contribution,
    new: Contribution,
    /// (extension, department, charge blob), when the row changes.
    update: Option<(Option<i64>, Option<i64>, Vec<u8>)>,
}

impl RowChange {
    /// The change of `row` (whose stored charge is `stored`, talk time
    /// `duration_s`) to `recharge`; None keeps it as it is.
    pub fn new(
        row: &CdrRow,
        stored: Option<&Charge>,
        duration_s: u32,
        recharge: Option<&Recharge>,
    ) -> RowChange {
        let old = contribution(row, stored, duration_s);
        let mut change =
            RowChange { start_s: row.start_s, dedup: row.dedup, old, new: old, update: None };
        if let Some(recharge) = recharge {
            let blob = recharge.charge.encode();
            let changed = row.extension_id != recharge.extension_id
                || row.department_id != recharge.department_id
                || row.charge.as_deref() != Some(blob.as_slice());
            if changed {
                change.new = Contribution {
                    owner: (
                        recharge.department_id.unwrap_or(0),
                        recharge.extension_id.unwrap_or(0),
                    ),
                    bucket: recharge.charge.bucket(),
                    sums: recharge.charge.sums(duration_s),
                };
                change.update = Some((recharge.extension_id, recharge.department_id, blob));
            }
        }
        change
    }

    pub fn is_change(&self) -> bool {
        self.update.is_some()
    }
}

impl DayRewrite<'_> {
    /// Applies the change of the next row read (see [`RowChange::new`]):
    /// a changed call is rewritten now, and every call's posting is kept
    /// for the day's `cdr_owner` rows and the month differences.
    pub fn apply(&mut self, change: &RowChange) -> Result<()> {
        if self.applied == self.read {
            return Err(crate::Error::Invalid("rewrite: more changes than calls read".into()));
        }
        self.applied += 1;
        self.outcome.calls += 1;
        let posting = |c: &Contribution, sums: Sums, day_row, month_row| Posting {
            key: (self.day, c.owner.0, c.owner.1, change.start_s, change.dedup),
            month: self.month,
            bucket: c.bucket,
            sums,
            day_row,
            listed: true,
            month_row,
        };
        let Some((extension_id, department_id, blob)) = &change.update else {
            self.postings.push(posting(&change.old, change.old.sums, true, false));
            return Ok(());
        };
        self.outcome.changed += 1;
        let update = match &mut self.update {
            Some(update) => update,
            // Bound without copying, like the import's inserts (`raw`).
            None => self.update.insert(RawStatement::prepare(
                self.conn,
                "UPDATE cdr SET extension_id = ?3, department_id = ?4, charge = ?5
                 WHERE start_s = ?1 AND dedup = ?2",
            )?),
        };
        let updated = update.execute(|b| {
            b.int(1, change.start_s);
            b.int(2, change.dedup);
            b.opt_int(3, *extension_id);
            b.opt_int(4, *department_id);
            b.blob(5, blob);
        })?;
        if updated != 1 {
            return Err(crate::Error::Invalid(format!(
                "rewrite: call {} vanished during the rewrite",
                crate::call_id(change.start_s, change.dedup)
            )));
        }
        self.postings.push(posting(&change.new, change.new.sums, true, true));
        self.postings.push(posting(&change.old, change.old.sums.negated(), false, true));
        Ok(())
    }

    /// Replaces the day once every row read has its change applied: the
    /// day's `cdr_owner` rows are written afresh and the month rollups
    /// corrected by the differences, in the same transaction.
    pub fn commit(mut self) -> Result<RewriteOutcome> {
        if self.applied != self.read {
            return Err(crate::Error::Invalid("rewrite: one change per call read expected".into()));
        }
        self.update = None;
        self.conn.execute("DELETE FROM cdr_owner WHERE day = ?1", [self.day])?;
        let postings = std::mem::take(&mut self.postings);
        if let Some(seq) = write_postings(self.conn, postings, None)? {
            // Folded when the rewrite began, and this commit's differences
            // are merged: the month rollup includes every commit so far.
            self.conn.execute("UPDATE cdr_owner_seq SET months_seq = ?1 WHERE id = 1", [seq])?;
        }
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(self.outcome)
    }
}

impl Drop for DayRewrite<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
