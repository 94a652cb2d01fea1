//! Correlation's outcome for a stored call that is a leg of a logical call
//! (`call_leg`): the call it is part of, who pays for it and whether it is
//! the leg the call is counted by. Writing one moves the leg's sums in the
//! rollups from what was in force (the previous outcome, or the call as
//! filed: its owner pays, it counts) to the new one, so writing the same
//! outcome again changes nothing and a changed one corrects the rollups.

use crate::batch::Moved;
use crate::charge::Charge;
use crate::days::{day_number, month_number};
use crate::query::{COLUMNS, row};
use crate::raw::Binder;
use crate::rollup::{Bucket, Sums};
use crate::{Batch, CdrRow, Error, Result, Store, UNCLASSIFIED};
use cdr::Text;
use jiff::tz::TimeZone;
use rusqlite::{OptionalExtension, params};
use std::ffi::c_int;

/// One leg's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegBilling {
    /// The leg: a stored call's key.
    pub start_s: i64,
    pub dedup: i64,
    /// The logical call: its first leg's key.
    pub call: (i64, i64),
    /// The leg's part (`transferred`, `conference_leg`, …). Short texts
    /// (these are) are held inline: no allocation per outcome.
    pub part: Text,
    /// The call's features, comma-separated.
    pub features: Text,
    /// (extension, its department) that pays; `None`: nobody.
    pub payer: Option<(i64, Option<i64>)>,
    pub counted: bool,
    /// Why it is billed so: a reason's code, or (stored by earlier
    /// versions) its sentence.
    pub reason: Text,
}

/// Who a leg's sums are filed under, and whether it counts as a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InForce {
    /// (department, extension).
    owner: (Option<i64>, Option<i64>),
    counted: bool,
}

impl InForce {
    /// As a call is filed: its owner pays, it counts.
    fn filed(department: Option<i64>, extension: Option<i64>) -> InForce {
        InForce { owner: (department, extension), counted: true }
    }

    /// As `leg` says.
    fn of(leg: &LegBilling) -> InForce {
        InForce {
            owner: match leg.payer {
                Some((extension, department)) => (department, Some(extension)),
                None => (None, None),
            },
            counted: leg.counted,
        }
    }
}

/// Outcomes written by one execution of the multi-row insert (see
/// `batch::CALLS_PER_INSERT`).
pub(crate) const LEGS_PER_INSERT: usize = 16;
/// Columns bound per leg.
const LEG_COLUMNS: usize = 10;

/// Writes outcomes, over those recorded if any.
pub(crate) fn record_leg_sql() -> String {
    format!(
        "INSERT INTO call_leg ({LEG_COLUMN_NAMES}) VALUES (?,?,?,?,?,?,?,?,?,?)
         ON CONFLICT (start_s, dedup) DO UPDATE SET
             call_start_s = excluded.call_start_s, call_dedup = excluded.call_dedup,
             part = excluded.part, features = excluded.features,
             payer_extension_id = excluded.payer_extension_id,
             payer_department_id = excluded.payer_department_id,
             counted = excluded.counted, reason = excluded.reason"
    )
}

/// Writes `legs` new outcomes at once, leaving any recorded already as it
/// is (an upsert or a REPLACE of several rows would keep a statement
/// journal, which costs more than the rows).
pub(crate) fn insert_new_legs_sql(legs: usize) -> String {
    let values = vec!["(?,?,?,?,?,?,?,?,?,?)"; legs].join(",");
    format!("INSERT OR IGNORE INTO call_leg ({LEG_COLUMN_NAMES}) VALUES {values}")
}

const LEG_COLUMN_NAMES: &str = "start_s, dedup, call_start_s, call_dedup, part, features,
    payer_extension_id, payer_department_id, counted, reason";

/// Binds one outcome as the `n`th row of [`record_leg_sql`].
fn bind_leg<'d>(b: &mut Binder<'d>, n: usize, leg: &'d LegBilling) {
    let at = (n * LEG_COLUMNS) as c_int;
    let now = InForce::of(leg);
    b.int(at + 1, leg.start_s);
    b.int(at + 2, leg.dedup);
    b.int(at + 3, leg.call.0);
    b.int(at + 4, leg.call.1);
    b.text(at + 5, &leg.part);
    b.text(at + 6, &leg.features);
    b.opt_int(at + 7, now.owner.1);
    b.opt_int(at + 8, now.owner.0);
    b.int(at + 9, i64::from(leg.counted));
    b.text(at + 10, &leg.reason);
}

impl Batch<'_> {
    /// Records `leg`'s outcome and moves its sums in the rollups (see the
    /// module doc); `zone` is the reporting zone its day is taken in.
    /// Returns whether the rollups changed. A leg whose call is not stored
    /// (removed since it was correlated) has nothing to bill: nothing is
    /// written and it returns false.
    pub fn bill_leg(&mut self, leg: &LegBilling, zone: &TimeZone) -> Result<bool> {
        let conn = self.connection();
        let stored = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM cdr WHERE start_s = ?1 AND dedup = ?2"
            ))?
            .query_row(params![leg.start_s, leg.dedup], row)
            .optional()?;
        let Some(stored) = stored else { return Ok(false) };
        let previous: Option<InForce> = conn
            .prepare_cached(
                "SELECT payer_department_id, payer_extension_id, counted FROM call_leg
                 WHERE start_s = ?1 AND dedup = ?2",
            )?
            .query_row(params![leg.start_s, leg.dedup], |r| {
                Ok(InForce { owner: (r.get(0)?, r.get(1)?), counted: r.get::<_, i64>(2)? != 0 })
            })
            .optional()?;
        let was = previous.unwrap_or(InForce::filed(stored.department_id, stored.extension_id));
        let now = InForce::of(leg);
        self.record_leg(leg)?;
        if was == now {
            return Ok(false);
        }
        let record = stored.decode_for_rating().map_err(Error::Invalid)?;
        let (bucket, sums) = match &stored.charge {
            Some(blob) => {
                let charge = Charge::decode(blob).map_err(Error::Invalid)?;
                (charge.bucket(), charge.sums(record.duration_s))
            }
            None => (
                Bucket { call_type: UNCLASSIFIED, carrier_id: 0 },
                Sums { calls: 1, seconds: i64::from(record.duration_s), ..Sums::default() },
            ),
        };
        let date = jiff::Timestamp::from_second(leg.start_s)
            .map(|t| zone.to_datetime(t).date())
            .map_err(|e| Error::Invalid(format!("call start {}: {e}", leg.start_s)))?;
        self.move_leg(day_number(date), month_number(date), bucket, sums, was, now);
        Ok(true)
    }

    /// [`Batch::bill_leg`] of legs whose calls this transaction has just
    /// stored (so no outcome of them is recorded yet), each with its row:
    /// its day, sums and owner are the row's, nothing is read back, and
    /// the outcomes are written several per statement. Returns how many
    /// moved the rollups.
    pub fn bill_new_legs(&mut self, legs: &[(LegBilling, &CdrRow)]) -> Result<u64> {
        let mut moved = 0;
        for (leg, stored) in legs {
            debug_assert_eq!((leg.start_s, leg.dedup), (stored.start_s, stored.dedup));
            let was = InForce::filed(stored.department_id, stored.extension_id);
            let now = InForce::of(leg);
            if was != now {
                self.move_leg(stored.day, stored.month, stored.bucket, stored.sums, was, now);
                moved += 1;
            }
        }
        // In key order: each lands at or near the B-tree's right edge,
        // rather than in the middle of a full page. The keys are sorted,
        // not the outcomes (a batch's are megabytes: sorting them in place
        // moved them through the processor's caches many times over).
        let mut order: Vec<(i64, i64, u32)> = legs
            .iter()
            .enumerate()
            .map(|(n, (leg, _))| (leg.start_s, leg.dedup, n as u32))
            .collect();
        order.sort_unstable();
        let leg = |&(_, _, n): &(i64, i64, u32)| &legs[n as usize].0;
        let mut groups = order.chunks_exact(LEGS_PER_INSERT);
        for group in &mut groups {
            let inserted = self.insert_new_legs.execute(|b| {
                for (n, at) in group.iter().enumerate() {
                    bind_leg(b, n, leg(at));
                }
            })?;
            if inserted != group.len() as u64 {
                // An outcome left by a call since removed: written over.
                for at in group {
                    self.record_leg(leg(at))?;
                }
            }
        }
        for at in groups.remainder() {
            self.record_leg(leg(at))?;
        }
        Ok(moved)
    }

    /// Writes `leg`'s outcome, over the one recorded if any.
    fn record_leg(&mut self, leg: &LegBilling) -> Result<()> {
        self.record_leg.execute(|b| bind_leg(b, 0, leg))?;
        Ok(())
    }

    /// Moves a leg's sums (`sums`, as filed) on its day from what was in
    /// force to what is now.
    fn move_leg(
        &mut self,
        day: i64,
        month: i64,
        bucket: Bucket,
        sums: Sums,
        was: InForce,
        now: InForce,
    ) {
        let as_counted = |counted: bool| {
            if counted { sums } else { Sums { calls: 0, unrated: 0, ..sums } }
        };
        self.move_contribution(&Moved {
            day,
            month,
            bucket,
            from: was.owner,
            taken: as_counted(was.counted),
            to: now.owner,
            given: as_counted(now.counted),
        });
    }
}

impl Store {
    /// The outcome recorded for the leg `(start_s, dedup)`, if any.
    pub fn leg_billing(&self, start_s: i64, dedup: i64) -> Result<Option<LegBilling>> {
        let found = self
            .connection()
            .prepare_cached(&format!("{SELECT_LEG} WHERE start_s = ?1 AND dedup = ?2"))?
            .query_row(params![start_s, dedup], leg_billing)
            .optional()?;
        Ok(found)
    }

    /// Every leg recorded for the logical call whose first leg is `call`,
    /// in key order.
    pub fn legs_of_call(&self, call: (i64, i64)) -> Result<Vec<LegBilling>> {
        let mut statement = self.connection().prepare_cached(&format!(
            "SELECT {LEG_COLUMN_NAMES} FROM ({LEGS_OF_CALL}) ORDER BY start_s, dedup"
        ))?;
        let legs = statement.query_map(params![call.0, call.1], leg_billing)?;
        Ok(legs.collect::<rusqlite::Result<_>>()?)
    }
}

/// A text column as [`Text`] (inline when short, as outcomes' are).
fn text(r: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<Text> {
    Ok(r.get_ref(column)?.as_str()?.into())
}

/// The `call_leg` rows of the logical call `(?1, ?2)`: its first leg by
/// its own key, the others by the index by call, which holds only them
/// (its condition is repeated word for word: SQLite uses a partial index
/// only for a query that states it).
const LEGS_OF_CALL: &str = "SELECT * FROM call_leg
    WHERE start_s = ?1 AND dedup = ?2 AND call_start_s = ?1 AND call_dedup = ?2
    UNION ALL
    SELECT * FROM call_leg WHERE call_start_s = ?1 AND call_dedup = ?2
        AND (start_s != call_start_s OR dedup != call_dedup)";

const SELECT_LEG: &str = "SELECT start_s, dedup, call_start_s, call_dedup, part, features,
    payer_extension_id, payer_department_id, counted, reason FROM call_leg";

fn leg_billing(r: &rusqlite::Row<'_>) -> rusqlite::Result<LegBilling> {
    let payer: Option<i64> = r.get(6)?;
    let department: Option<i64> = r.get(7)?;
    Ok(LegBilling {
        start_s: r.get(0)?,
        dedup: r.get(1)?,
        call: (r.get(2)?, r.get(3)?),
        part: text(r, 4)?,
        features: text(r, 5)?,
        payer: payer.map(|extension| (extension, department)),
        counted: r.get::<_, i64>(8)? != 0,
        reason: text(r, 9)?,
    })
}

/// A leg of a logical call as it is shown: its outcome, the numbers of its
/// stored call and who pays for it by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegDetail {
    pub billing: LegBilling,
    /// The stored call's calling and dialled numbers (empty if the call is
    /// no longer stored).
    pub calling: String,
    pub dialled: String,
    /// The paying extension's number, and its department's path, as the
    /// directory has them; `None` when nobody pays or the id is unknown.
    pub payer_number: Option<String>,
    pub payer_department: Option<String>,
}

impl Store {
    /// Every leg of the logical call whose first leg is `call`, in key
    /// order, with its stored call's numbers and its payer's names.
    pub fn leg_details(&self, call: (i64, i64)) -> Result<Vec<LegDetail>> {
        let mut statement = self.connection().prepare_cached(&format!(
            "SELECT l.start_s, l.dedup, l.call_start_s, l.call_dedup, l.part, l.features,
                 l.payer_extension_id, l.payer_department_id, l.counted, l.reason,
                 c.calling, c.dialled, e.number, d.path
             FROM ({LEGS_OF_CALL}) l
             LEFT JOIN cdr c ON c.start_s = l.start_s AND c.dedup = l.dedup
             LEFT JOIN extension e ON e.id = l.payer_extension_id
             LEFT JOIN department d ON d.id = l.payer_department_id
             ORDER BY l.start_s, l.dedup"
        ))?;
        let legs = statement.query_map(params![call.0, call.1], |r| {
            let text = |i| -> rusqlite::Result<String> {
                Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
            };
            Ok(LegDetail {
                billing: leg_billing(r)?,
                calling: text(10)?,
                dialled: text(11)?,
                payer_number: r.get(12)?,
                payer_department: r.get(13)?,
            })
        })?;
        Ok(legs.collect::<rusqlite::Result<_>>()?)
    }
}

/// The outcomes of the legs that started in a period, read in key order
/// alongside the period's calls read in the same order: a merge of two
/// range scans of primary keys, rather than a lookup per call.
pub(crate) struct LegsInOrder<'s> {
    rows: rusqlite::Rows<'s>,
    next: Option<LegBilling>,
}

impl<'s> LegsInOrder<'s> {
    /// The statement to prepare for [`LegsInOrder::new`].
    pub(crate) const SQL: &'static str = "SELECT start_s, dedup, call_start_s, call_dedup, part,
        features, payer_extension_id, payer_department_id, counted, reason FROM call_leg
        WHERE start_s >= ?1 AND start_s < ?2 ORDER BY start_s, dedup";

    /// The legs of `[from_s, to_s)`, read with `statement` (prepared from
    /// [`LegsInOrder::SQL`]).
    pub(crate) fn new(
        statement: &'s mut rusqlite::Statement<'_>,
        from_s: i64,
        to_s: i64,
    ) -> rusqlite::Result<LegsInOrder<'s>> {
        let mut rows = statement.query([from_s, to_s])?;
        let next = rows.next()?.map(leg_billing).transpose()?;
        Ok(LegsInOrder { rows, next })
    }

    /// The outcome of the call `key`, if it has one. Keys must be asked
    /// for in increasing order.
    pub(crate) fn of(&mut self, key: (i64, i64)) -> rusqlite::Result<Option<LegBilling>> {
        while self.next.as_ref().is_some_and(|leg| (leg.start_s, leg.dedup) < key) {
            self.advance()?;
        }
        if self.next.as_ref().is_none_or(|leg| (leg.start_s, leg.dedup) != key) {
            return Ok(None);
        }
        let found = self.next.take();
        self.advance()?;
        Ok(found)
    }

    fn advance(&mut self) -> rusqlite::Result<()> {
        self.next = self.rows.next()?.map(leg_billing).transpose()?;
        Ok(())
    }
}

/// The `call_leg` columns (table alias `l`) that readers of calls join to
/// each `cdr` row, read back by [`joined_leg`].
pub(crate) const JOINED_LEG_COLUMNS: &str = "l.call_start_s, l.call_dedup, l.part, l.features,
    l.payer_extension_id, l.payer_department_id, l.counted, l.reason";

/// The outcome of the call `key` from [`JOINED_LEG_COLUMNS`] read at
/// column `first` on; `None` when the call has no `call_leg` row (a
/// LEFT JOIN found none: its logical call column is NULL).
pub(crate) fn joined_leg(
    r: &rusqlite::Row<'_>,
    first: usize,
    key: (i64, i64),
) -> rusqlite::Result<Option<LegBilling>> {
    let Some(call_start_s) = r.get::<_, Option<i64>>(first)? else { return Ok(None) };
    let payer: Option<i64> = r.get(first + 4)?;
    let department: Option<i64> = r.get(first + 5)?;
    Ok(Some(LegBilling {
        start_s: key.0,
        dedup: key.1,
        call: (call_start_s, r.get(first + 1)?),
        part: text(r, first + 2)?,
        features: text(r, first + 3)?,
        payer: payer.map(|extension| (extension, department)),
        counted: r.get::<_, i64>(first + 6)? != 0,
        reason: text(r, first + 7)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Amount, CdrRow};

    /// A call of extension 5 (department 1), 30 s for 12.00, keyed `dedup`.
    fn sample_call(dedup: i64) -> CdrRow {
        let cdr = cdr::Cdr {
            start: cdr::Timestamp::from_second(86_400 + 60).unwrap(),
            end: cdr::Timestamp::from_second(86_400 + 90).unwrap(),
            duration_s: 30,
            ..Default::default()
        };
        let attribution = directory::Attribution {
            extension_id: Some(5),
            department_id: Some(1),
            ..Default::default()
        };
        let mut call = CdrRow::new(&cdr, dedup, 1, 1, &attribution);
        let charge = Charge { cost: Amount(1_200), ..Charge::default() };
        call.set_charge(&charge, 30);
        call
    }

    fn stored_call(store: &mut Store) -> CdrRow {
        let call = sample_call(7);
        let mut batch = store.batch().unwrap();
        batch.insert_cdr(&call).unwrap();
        batch.commit().unwrap();
        call
    }

    /// (department, extension) and its (calls, seconds, cost).
    type OwnerSums = ((i64, i64), (i64, i64, i64));

    /// What each owner has on the call's day, owners whose sums are all
    /// zero left out.
    fn sums(store: &Store, day: i64) -> Vec<OwnerSums> {
        let mut sums = std::collections::BTreeMap::new();
        store
            .rollups(day, day, |department, extension, agg| {
                let t = agg.total();
                let e = sums.entry((department, extension)).or_insert((0, 0, 0));
                *e = (e.0 + t.calls, e.1 + t.seconds, e.2 + t.cost.0);
                Ok(())
            })
            .unwrap();
        sums.into_iter().filter(|(_, s)| *s != (0, 0, 0)).collect()
    }

    fn bill(store: &mut Store, leg: &LegBilling) -> bool {
        let mut batch = store.batch().unwrap();
        let moved = batch.bill_leg(leg, &TimeZone::UTC).unwrap();
        batch.commit().unwrap();
        moved
    }

    /// `call` as a transferred leg: extension 6 (department 2) pays, not
    /// counted.
    fn transferred(call: &CdrRow) -> LegBilling {
        LegBilling {
            start_s: call.start_s,
            dedup: call.dedup,
            call: (call.start_s - 60, 3),
            part: "transferred".into(),
            features: "transfer".into(),
            payer: Some((6, Some(2))),
            counted: false,
            reason: "after the transfer: the extension that transferred it".into(),
        }
    }

    #[test]
    fn billing_a_leg_moves_its_sums_once_and_back_when_it_changes_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let call = stored_call(&mut store);
        let day = call.start_s.div_euclid(86_400);
        assert_eq!(sums(&store, day), [((1, 5), (1, 30, 1_200))]);

        let mut leg = transferred(&call);
        assert!(bill(&mut store, &leg));
        assert_eq!(sums(&store, day), [((2, 6), (0, 30, 1_200))]);
        assert_eq!(store.leg_billing(call.start_s, call.dedup).unwrap().as_ref(), Some(&leg));
        assert_eq!(store.legs_of_call(leg.call).unwrap(), [leg.clone()]);

        // The same again: nothing moves.
        assert!(!bill(&mut store, &leg));
        assert_eq!(sums(&store, day), [((2, 6), (0, 30, 1_200))]);

        // Back to its owner, counted: the rollups are as they were.
        leg.payer = Some((5, Some(1)));
        leg.counted = true;
        assert!(bill(&mut store, &leg));
        assert_eq!(sums(&store, day), [((1, 5), (1, 30, 1_200))]);

        // Nobody pays (a recording leg): filed under no extension.
        leg.payer = None;
        leg.counted = false;
        assert!(bill(&mut store, &leg));
        assert_eq!(sums(&store, day), [((0, 0), (0, 30, 1_200))]);
        // Folded into the month rollup, the same.
        store.fold_months().unwrap();
        let first = crate::days::first_day_of_month(call.month);
        let last = crate::days::first_day_of_month(call.month + 1) - 1;
        let mut month = Sums::default();
        store
            .rollups(first, last, |department, extension, agg| {
                let total = agg.total();
                if total != Sums::default() {
                    assert_eq!((department, extension), (0, 0), "only no extension has sums");
                }
                month.add(&total);
                Ok(())
            })
            .unwrap();
        assert_eq!((month.calls, month.seconds, month.cost), (0, 30, Amount(1_200)));
    }

    #[test]
    fn legs_billed_as_they_are_stored_move_what_billing_them_later_moves() {
        // More than one multi-row insert holds, and a remainder; every
        // other leg is billed to its own owner (moves nothing).
        let calls: Vec<CdrRow> =
            (0..LEGS_PER_INSERT as i64 + 3).map(|n| sample_call(100 + n)).collect();
        let leg = |(n, call): (usize, &CdrRow)| {
            let mut leg = transferred(call);
            if n % 2 == 1 {
                leg.payer = Some((5, Some(1)));
                leg.counted = true;
            }
            leg
        };
        let later = tempfile::tempdir().unwrap();
        let mut later = Store::open(later.path()).unwrap();
        let mut batch = later.batch().unwrap();
        for call in &calls {
            batch.insert_cdr(call).unwrap();
        }
        batch.commit().unwrap();
        let mut moved_later = 0;
        for billed in calls.iter().enumerate().map(leg) {
            moved_later += u64::from(bill(&mut later, &billed));
        }

        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut batch = store.batch().unwrap();
        for call in &calls {
            batch.insert_cdr(call).unwrap();
        }
        let legs: Vec<(LegBilling, &CdrRow)> =
            calls.iter().enumerate().map(|c| (leg(c), c.1)).rev().collect();
        assert_eq!(batch.bill_new_legs(&legs).unwrap(), moved_later);
        batch.commit().unwrap();
        assert_eq!(moved_later, (LEGS_PER_INSERT as u64 + 3).div_ceil(2));
        let day = calls[0].start_s.div_euclid(86_400);
        assert_eq!(sums(&store, day), sums(&later, day));
        for (billed, call) in &legs {
            let stored = store.leg_billing(call.start_s, call.dedup).unwrap();
            assert_eq!(stored.as_ref(), Some(billed));
            assert_eq!(stored, later.leg_billing(call.start_s, call.dedup).unwrap());
        }
    }

    #[test]
    fn a_leg_that_is_not_stored_is_not_billed() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let leg = LegBilling {
            start_s: 86_400,
            dedup: 1,
            call: (86_400, 1),
            part: "ordinary".into(),
            features: Text::default(),
            payer: None,
            counted: true,
            reason: Text::default(),
        };
        let mut batch = store.batch().unwrap();
        assert!(!batch.bill_leg(&leg, &TimeZone::UTC).unwrap());
        batch.commit().unwrap();
        assert_eq!(store.leg_billing(86_400, 1).unwrap(), None);
    }

    #[test]
    fn the_legs_of_a_call_are_its_first_leg_and_those_the_index_holds() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let calls: Vec<CdrRow> = (0..3).map(|n| sample_call(200 + n)).collect();
        let mut batch = store.batch().unwrap();
        for call in &calls {
            batch.insert_cdr(call).unwrap();
        }
        batch.commit().unwrap();
        let of = |call: &CdrRow, first: &CdrRow| LegBilling {
            call: (first.start_s, first.dedup),
            ..transferred(call)
        };
        // The first leg is the call's key; the others point at it.
        let legs: Vec<LegBilling> = calls.iter().map(|c| of(c, &calls[0])).collect();
        legs.iter().for_each(|l| _ = bill(&mut store, l));
        assert_eq!(store.legs_of_call(legs[0].call).unwrap(), legs);
        let details = store.leg_details(legs[0].call).unwrap();
        assert_eq!(details.iter().map(|d| d.billing.clone()).collect::<Vec<_>>(), legs);
        // An earlier leg arrives: the call's key is now another leg's, and
        // the leg that was first is found through the index.
        let moved: Vec<LegBilling> = calls.iter().map(|c| of(c, &calls[2])).collect();
        moved.iter().for_each(|l| _ = bill(&mut store, l));
        assert_eq!(store.legs_of_call(moved[0].call).unwrap(), moved);
        assert_eq!(store.legs_of_call(legs[0].call).unwrap(), []);
        // Read by the primary key and the partial index, nothing scanned.
        let steps = crate::query::tests::plan(&store, LEGS_OF_CALL);
        let searches: Vec<&String> =
            steps.iter().filter(|s| s.starts_with("SEARCH") || s.starts_with("SCAN")).collect();
        assert_eq!(
            searches,
            [
                "SEARCH call_leg USING PRIMARY KEY (start_s=? AND dedup=?)",
                "SEARCH call_leg USING INDEX call_leg_by_call (call_start_s=? AND call_dedup=?)",
            ],
            "{steps:?}"
        );
    }
}
