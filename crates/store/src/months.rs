//! Keeping `rollup_month` up to date in bulk.
//!
//! Merging every commit's sums into the month rollup costs an upsert per
//! owner and commit, about a third of an import's time. So imports only
//! write day rows (`cdr_owner`, with their sums) and a writer keeps the
//! month sums of its own commits in memory ([`MonthBuffer`]), merging them
//! into `rollup_month` once, at the end (or when the buffer grows large).
//!
//! Correctness never depends on the buffer. `cdr_owner_seq.months_seq`
//! says which commits `rollup_month` includes (every day row with `seq` ≤
//! it); the buffer is used only if the commits after `months_seq` are
//! exactly its own, and otherwise (another writer committed in between, or
//! a crash lost a buffer) the rows after `months_seq` are read back through
//! the index on `seq` and folded ([`fold_from_rows`]). Readers add the
//! rows not folded yet (see `rollup::read`), so reports are exact at any
//! moment.

use crate::batch::merge_months;
use crate::days::month_of_day;
use crate::rollup::Agg;
use crate::{Error, Result};
use rusqlite::Connection;
use rustc_hash::FxHashMap;

/// Month sums of one writer's commits not yet in `rollup_month`.
#[derive(Debug, Default)]
pub(crate) struct MonthBuffer {
    /// (month, department, extension) → sums.
    pub aggs: FxHashMap<(i64, i64, i64), Agg>,
    /// The commits whose sums are in `aggs`, in order.
    pub seqs: Vec<i64>,
}

/// Entries beyond which a writer folds its buffer without waiting for the
/// end (bounds memory: a few hundred bytes each).
pub(crate) const BUFFER_LIMIT: usize = 120_000;

pub(crate) fn months_seq(conn: &Connection) -> Result<(i64, i64)> {
    Ok(conn.query_row("SELECT months_seq, seq FROM cdr_owner_seq WHERE id = 1", [], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?)
}

fn set_months_seq(conn: &Connection, seq: i64) -> Result<()> {
    conn.execute("UPDATE cdr_owner_seq SET months_seq = ?1 WHERE id = 1", [seq])?;
    Ok(())
}

/// Brings `rollup_month` up to date inside the caller's write
/// transaction, with `buffer` when it covers exactly the commits not yet
/// folded, from the day rows otherwise. Empties the buffer.
pub(crate) fn fold(conn: &Connection, buffer: &mut MonthBuffer) -> Result<()> {
    let (folded, last) = months_seq(conn)?;
    let exact = !buffer.seqs.is_empty() && buffer.seqs.iter().copied().eq(folded + 1..=last);
    if exact {
        merge_months(conn, buffer.aggs.drain())?;
    } else if last > folded {
        fold_from_rows(conn, folded, last)?;
    }
    buffer.aggs.clear();
    buffer.seqs.clear();
    set_months_seq(conn, last)
}

/// Folds the day rows of commits `(after, upto]` into `rollup_month`.
fn fold_from_rows(conn: &Connection, after: i64, upto: i64) -> Result<()> {
    let mut aggs: FxHashMap<(i64, i64, i64), Agg> = FxHashMap::default();
    let mut stmt = conn.prepare(
        "SELECT day, department_id, extension_id, agg FROM cdr_owner INDEXED BY cdr_owner_by_seq
         WHERE seq > ?1 AND seq <= ?2",
    )?;
    let mut rows = stmt.query([after, upto])?;
    while let Some(r) = rows.next()? {
        let blob: Option<Vec<u8>> = r.get(3)?;
        let Some(blob) = blob else { continue };
        let agg = Agg::decode(&blob).map_err(Error::Invalid)?;
        let key = (month_of_day(r.get(0)?), r.get(1)?, r.get(2)?);
        aggs.entry(key).or_default().merge(&agg);
    }
    merge_months(conn, aggs)
}

#[cfg(test)]
mod tests {
    use crate::{CdrRow, Store};

    fn row(start_s: i64, dedup: i64, extension_id: i64) -> CdrRow {
        let cdr = cdr::Cdr {
            start: cdr::Timestamp::from_second(start_s).unwrap(),
            end: cdr::Timestamp::from_second(start_s + 5).unwrap(),
            duration_s: 5,
            ..Default::default()
        };
        let a = directory::Attribution { extension_id: Some(extension_id), ..Default::default() };
        CdrRow::new(&cdr, dedup, 1, 1, &a)
    }

    fn store(store: &mut Store, rows: &[CdrRow]) {
        let mut batch = store.batch().unwrap();
        for r in rows {
            batch.insert_cdr(r).unwrap();
        }
        batch.commit().unwrap();
    }

    /// Calls and seconds of March 2025 as the month rollup (plus unfolded
    /// day rows) sees them.
    fn march(store: &Store) -> (i64, i64) {
        let first = crate::days::day_number(jiff::civil::date(2025, 3, 1));
        let last = crate::days::day_number(jiff::civil::date(2025, 3, 31));
        let mut total = (0, 0);
        store
            .rollups(first, last, |_, _, agg| {
                total.0 += agg.total().calls;
                total.1 += agg.total().seconds;
                Ok(())
            })
            .unwrap();
        total
    }

    #[test]
    fn month_rollups_are_exact_whoever_folds_and_when() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Store::open(dir.path()).unwrap();
        let mut b = Store::open(dir.path()).unwrap();
        let march_3 = 1_740_960_000;
        store(&mut a, &(0..10).map(|i| row(march_3 + i, i, 1)).collect::<Vec<_>>());
        // Not folded yet: readers add the day rows.
        assert_eq!(march(&a), (10, 50));
        // Another writer commits in between: a's buffer no longer covers
        // the unfolded commits, so a folds from the rows.
        store(&mut b, &(10..15).map(|i| row(march_3 + i, i, 2)).collect::<Vec<_>>());
        store(&mut a, &(15..20).map(|i| row(march_3 + 86_400 + i, i, 1)).collect::<Vec<_>>());
        a.fold_months().unwrap();
        assert_eq!(march(&a), (20, 100));
        // b's buffer is stale: folding it adds nothing twice.
        b.fold_months().unwrap();
        assert_eq!(march(&b), (20, 100));
        // Its own commits only: folded from the buffer.
        store(&mut a, &(20..23).map(|i| row(march_3 + i, i, 3)).collect::<Vec<_>>());
        a.fold_months().unwrap();
        let folded: i64 = a
            .connection()
            .query_row("SELECT months_seq = seq FROM cdr_owner_seq", [], |r| r.get(0))
            .unwrap();
        assert_eq!(folded, 1);
        assert_eq!(march(&a), (23, 115));
        let month_rows: i64 = a
            .connection()
            .query_row("SELECT count(*) FROM rollup_month", [], |r| r.get(0))
            .unwrap();
        assert_eq!(month_rows, 3);
    }
}
