//! Rewriting one local day of calls in place (re-rating): new attribution
//! and charges, the day's `cdr_owner` rows written afresh, and the month
//! rollups corrected by the difference — all in one transaction, so an
//! interrupted re-rating leaves every day either as it was or rewritten.

use crate::batch::{Posting, write_postings};
use crate::charge::Charge;
use crate::query::{COLUMNS, row};
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
/// them (nothing else can write the day in between).
pub struct DayRewrite<'c> {
    conn: &'c Connection,
    day: i64,
    month: i64,
    /// The day's calls as stored, in start order.
    pub rows: Vec<CdrRow>,
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
        let mut rewrite = DayRewrite { conn, day, month, rows: Vec::new(), open: true };
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM cdr WHERE start_s >= ?1 AND start_s < ?2 ORDER BY start_s, dedup"
        ))?;
        let mut rows = stmt.query([from_s, to_s])?;
        while let Some(r) = rows.next()? {
            rewrite.rows.push(row(r)?);
        }
        Ok(rewrite)
    }
}

/// A stored call's rollup contribution: owner, bucket, sums.
fn contribution(row: &CdrRow, duration_s: u32) -> Result<((i64, i64), Bucket, Sums)> {
    let owner = (row.department_id.unwrap_or(0), row.extension_id.unwrap_or(0));
    Ok(match &row.charge {
        Some(blob) => {
            let charge = Charge::decode(blob).map_err(crate::Error::Invalid)?;
            (owner, charge.bucket(), charge.sums(duration_s))
        }
        None => (
            owner,
            Bucket { call_type: UNCLASSIFIED, carrier_id: 0 },
            Sums { calls: 1, seconds: i64::from(duration_s), ..Sums::default() },
        ),
    })
}

impl DayRewrite<'_> {
    /// Replaces the day: `new[i]` is the new state of `rows[i]` (None:
    /// kept as it is), with its talk seconds. Calls whose state did not
    /// change are not rewritten.
    pub fn commit(mut self, new: &[(Option<Recharge>, u32)]) -> Result<RewriteOutcome> {
        if new.len() != self.rows.len() {
            return Err(crate::Error::Invalid("rewrite: one new state per call expected".into()));
        }
        let mut update = self.conn.prepare_cached(
            "UPDATE cdr SET extension_id = ?3, department_id = ?4, charge = ?5
             WHERE start_s = ?1 AND dedup = ?2",
        )?;
        let mut postings = Vec::with_capacity(self.rows.len() + 16);
        let mut outcome = RewriteOutcome::default();
        for (row, (recharge, duration_s)) in self.rows.iter().zip(new) {
            outcome.calls += 1;
            let (old_owner, old_bucket, old_sums) = contribution(row, *duration_s)?;
            let Some(recharge) = recharge else {
                postings.push(Posting {
                    key: (self.day, old_owner.0, old_owner.1, row.start_s, row.dedup),
                    month: self.month,
                    bucket: old_bucket,
                    sums: old_sums,
                    day_row: true,
                    month_row: false,
                });
                continue;
            };
            let blob = recharge.charge.encode();
            let changed = row.extension_id != recharge.extension_id
                || row.department_id != recharge.department_id
                || row.charge.as_deref() != Some(blob.as_slice());
            let owner = (recharge.department_id.unwrap_or(0), recharge.extension_id.unwrap_or(0));
            let key = (self.day, owner.0, owner.1, row.start_s, row.dedup);
            postings.push(Posting {
                key,
                month: self.month,
                bucket: recharge.charge.bucket(),
                sums: recharge.charge.sums(*duration_s),
                day_row: true,
                month_row: changed,
            });
            if changed {
                outcome.changed += 1;
                update.execute(rusqlite::params![
                    row.start_s,
                    row.dedup,
                    recharge.extension_id,
                    recharge.department_id,
                    blob
                ])?;
                postings.push(Posting {
                    key: (self.day, old_owner.0, old_owner.1, row.start_s, row.dedup),
                    month: self.month,
                    bucket: old_bucket,
                    sums: old_sums.negated(),
                    day_row: false,
                    month_row: true,
                });
            }
        }
        self.conn.execute("DELETE FROM cdr_owner WHERE day = ?1", [self.day])?;
        write_postings(self.conn, postings)?;
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(outcome)
    }
}

impl Drop for DayRewrite<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
