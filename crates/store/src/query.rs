//! Reading stored calls back.
//!
//! A stored call that is a leg of a logical call (it has a `call_leg` row)
//! belongs to its payer, not to the owner it was filed under: calls read by
//! owner are those billed to the owner (see [`Store::owner_call_keys`]),
//! and each call read carries its leg's outcome ([`StoredCall::leg`]): the
//! calls of a period merged with the legs of the period (both read in key
//! order), a call read by its key joined on `call_leg`'s primary key.

use crate::call_leg::{JOINED_LEG_COLUMNS, LegsInOrder, joined_leg};
use crate::{CallRecord, CdrRow, LegBilling, Result, Store};
use rusqlite::{Connection, OptionalExtension, Row};
use std::collections::{HashMap, HashSet};

/// Which calls to read: a period (UTC seconds, `from` inclusive, `to`
/// exclusive) and optional filters.
#[derive(Debug, Clone, Default)]
pub struct CdrQuery {
    pub from_s: i64,
    pub to_s: i64,
    /// Calls billed to any of these directory extensions (0: to none).
    pub extension_ids: Option<Vec<i64>>,
    /// Calls attributed to this number (known to the directory or not),
    /// legs billed to a directory extension left out.
    pub extension_number: Option<String>,
    /// Calls billed to any of these departments (0: to none).
    pub department_ids: Option<Vec<i64>>,
    pub limit: Option<u64>,
}

/// A stored call with the names of what it is attributed to.
#[derive(Debug, Clone)]
pub struct StoredCall {
    pub record: CallRecord,
    pub pbx: String,
    pub department: Option<String>,
    pub user: Option<String>,
    pub source: Option<String>,
    /// Its outcome as a leg of a logical call, when correlation made it
    /// one: who pays for it and whether it is the leg the call counts by.
    pub leg: Option<LegBilling>,
}

impl StoredCall {
    /// Who it is billed to, (department, extension): a leg's payer (both
    /// `None` when nobody pays), otherwise the owner it was filed under.
    pub fn billed_to(&self) -> (Option<i64>, Option<i64>) {
        match &self.leg {
            Some(leg) => match leg.payer {
                Some((extension, department)) => (department, Some(extension)),
                None => (None, None),
            },
            None => (self.record.department_id, self.record.extension_id),
        }
    }

    /// Whether it counts as a call: a leg counts only if its logical call
    /// is counted by it, a call of its own always.
    pub fn counted(&self) -> bool {
        self.leg.as_ref().is_none_or(|leg| leg.counted)
    }
}

pub(crate) const COLUMNS: &str =
    "start_s, dedup, pbx_id, extension_id, department_id, calling, dialled, rec, charge";

/// [`COLUMNS`] of `cdr` (alias `c`), then [`JOINED_LEG_COLUMNS`] of its
/// `call_leg` row if it has one: [`row`] reads the first, [`joined_leg`]
/// (from column [`LEG_COLUMN`]) the others.
const SELECT_CALLS: &str = "SELECT c.start_s, c.dedup, c.pbx_id, c.extension_id, c.department_id,
    c.calling, c.dialled, c.rec, c.charge, ";
const CALLS_JOINED: &str =
    "FROM cdr c LEFT JOIN call_leg l ON l.start_s = c.start_s AND l.dedup = c.dedup";
const LEG_COLUMN: usize = 9;

/// A call and its leg's outcome from a `SELECT_CALLS … CALLS_JOINED` row.
fn joined_row(r: &Row) -> rusqlite::Result<(CdrRow, Option<LegBilling>)> {
    let call = row(r)?;
    let leg = joined_leg(r, LEG_COLUMN, (call.start_s, call.dedup))?;
    Ok((call, leg))
}

pub(crate) fn row(r: &Row) -> rusqlite::Result<CdrRow> {
    let text = |i| -> rusqlite::Result<cdr::Text> {
        Ok(r.get::<_, Option<String>>(i)?.map(cdr::Text::from).unwrap_or_default())
    };
    Ok(CdrRow {
        start_s: r.get(0)?,
        dedup: r.get(1)?,
        pbx_id: r.get(2)?,
        extension_id: r.get(3)?,
        department_id: r.get(4)?,
        calling: text(5)?,
        dialled: text(6)?,
        rec: r.get(7)?,
        charge: r.get(8)?,
        ..CdrRow::default()
    })
}

/// Names of directory entities, looked up once per query.
#[derive(Default)]
struct Names {
    cache: HashMap<(&'static str, i64), Option<String>>,
}

impl Names {
    fn get(
        &mut self,
        conn: &Connection,
        sql: &'static str,
        id: Option<i64>,
    ) -> Result<Option<String>> {
        let Some(id) = id else { return Ok(None) };
        if let Some(v) = self.cache.get(&(sql, id)) {
            return Ok(v.clone());
        }
        let v: Option<String> = conn.query_row(sql, [id], |r| r.get(0)).optional()?;
        self.cache.insert((sql, id), v.clone());
        Ok(v)
    }

    fn call(
        &mut self,
        conn: &Connection,
        (row, leg): (CdrRow, Option<LegBilling>),
    ) -> Result<StoredCall> {
        let record = row.decode().map_err(crate::Error::Invalid)?;
        Ok(StoredCall {
            leg,
            pbx: self
                .get(conn, "SELECT name FROM pbx WHERE id = ?1", Some(record.pbx_id))?
                .unwrap_or_default(),
            department: self.get(
                conn,
                "SELECT path FROM department WHERE id = ?1",
                record.department_id,
            )?,
            user: self.get(conn, "SELECT name FROM person WHERE id = ?1", record.user_id)?,
            source: self.get(
                conn,
                "SELECT name FROM source WHERE id = ?1",
                Some(record.source_id),
            )?,
            record,
        })
    }
}

impl Store {
    /// Calls matching `q`, in start order, handed to `each` one at a time
    /// (a long period never sits in memory at once).
    pub fn query_cdrs(
        &self,
        q: &CdrQuery,
        mut each: impl FnMut(StoredCall) -> Result<()>,
    ) -> Result<()> {
        self.walk_cdrs(q, |call| each(call).map(|()| true))
    }

    /// [`Store::query_cdrs`], stopping as soon as `each` returns false.
    pub fn walk_cdrs(
        &self,
        q: &CdrQuery,
        mut each: impl FnMut(StoredCall) -> Result<bool>,
    ) -> Result<()> {
        let conn = self.connection();
        let mut names = Names::default();
        let mut left = q.limit.unwrap_or(u64::MAX);
        if q.extension_ids.is_some() || q.department_ids.is_some() {
            let keys = self.owner_keys(q, Legs::All)?;
            return self.calls_by_keys(keys.into_iter(), |call| {
                if left == 0 {
                    return Ok(false);
                }
                left -= 1;
                each(call)
            });
        }
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM cdr WHERE start_s >= ?1 AND start_s < ?2 ORDER BY start_s, dedup"
        ))?;
        // Most calls are no leg: the period's legs are merged in, in key
        // order, rather than looked up call by call.
        let mut legs_stmt = conn.prepare_cached(LegsInOrder::SQL)?;
        let mut legs = LegsInOrder::new(&mut legs_stmt, q.from_s, q.to_s)?;
        let mut rows = stmt.query([q.from_s, q.to_s])?;
        while let Some(r) = rows.next()? {
            if left == 0 {
                break;
            }
            let call = row(r)?;
            let leg = legs.of((call.start_s, call.dedup))?;
            let call = names.call(conn, (call, leg))?;
            // A number the directory does not know: the calls filed under
            // it, but not the legs billed to a directory extension.
            if let Some(n) = &q.extension_number
                && (call.record.extension != n.as_str() || call.billed_to().1.is_some())
            {
                continue;
            }
            if !each(call)? {
                return Ok(());
            }
            left -= 1;
        }
        Ok(())
    }

    /// The stored calls with these keys (start second, dedup), in the order
    /// given (keys of no stored call are skipped), while `each` returns true.
    pub fn calls_by_keys(
        &self,
        keys: impl Iterator<Item = (i64, i64)>,
        mut each: impl FnMut(StoredCall) -> Result<bool>,
    ) -> Result<()> {
        let conn = self.connection();
        let mut names = Names::default();
        let mut stmt = conn.prepare_cached(&format!(
            "{SELECT_CALLS}{JOINED_LEG_COLUMNS} {CALLS_JOINED} WHERE c.start_s = ?1 AND c.dedup = ?2"
        ))?;
        for (s, d) in keys {
            if let Some(r) = stmt.query_row([s, d], joined_row).optional()?
                && !each(names.call(conn, r)?)?
            {
                break;
            }
        }
        Ok(())
    }

    /// Keys (start second, dedup) of the calls billed to the extensions or
    /// departments `q` names in its period, sorted: those filed under them
    /// in `cdr_owner`, less the legs billed to someone else, with the legs
    /// billed to them (`call_leg`, read over the period by primary key).
    pub fn owner_call_keys(&self, q: &CdrQuery) -> Result<Vec<(i64, i64)>> {
        self.owner_keys(q, Legs::All)
    }

    /// The start second of the latest call that started before `before_s`.
    pub fn latest_start_before(&self, before_s: i64) -> Result<Option<i64>> {
        Ok(self
            .connection()
            .prepare_cached("SELECT max(start_s) FROM cdr WHERE start_s < ?1")?
            .query_row([before_s], |r| r.get(0))?)
    }

    /// Start seconds (UTC) of the calls billed to the extensions or
    /// departments `q` names in its period that count as calls (a logical
    /// call once, by its counted leg), sorted; read from `cdr_owner` and
    /// `call_leg` alone.
    pub fn owner_call_starts(&self, q: &CdrQuery) -> Result<Vec<i64>> {
        Ok(self.owner_keys(q, Legs::Counted)?.into_iter().map(|(s, _)| s).collect())
    }

    /// How many calls started in `[from_s, to_s)` (the primary key's range,
    /// no row decoded).
    pub fn count_calls_between(&self, from_s: i64, to_s: i64) -> Result<u64> {
        let n: i64 = self
            .connection()
            .prepare_cached("SELECT count(*) FROM cdr WHERE start_s >= ?1 AND start_s < ?2")?
            .query_row([from_s, to_s], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// How many calls started in `[from_s, to_s)` as reports count them: a
    /// logical call once, by its counted leg. The stored calls less the legs
    /// not counted, both counted over their primary key's range.
    pub fn count_counted_calls_between(&self, from_s: i64, to_s: i64) -> Result<u64> {
        let not_counted: i64 = self
            .connection()
            .prepare_cached(
                "SELECT count(*) FROM call_leg WHERE start_s >= ?1 AND start_s < ?2
                 AND counted = 0",
            )?
            .query_row([from_s, to_s], |r| r.get(0))?;
        let stored = self.count_calls_between(from_s, to_s)?;
        Ok(stored.saturating_sub(not_counted as u64))
    }

    /// Keys of the calls billed to the extensions or departments `q` names,
    /// in the period, sorted (see [`Store::owner_call_keys`]); with
    /// [`Legs::Counted`], the legs not counted are left out.
    fn owner_keys(&self, q: &CdrQuery, legs: Legs) -> Result<Vec<(i64, i64)>> {
        let filed = self.filed_keys(q)?;
        let outcomes = self.leg_owners_between(q.from_s, q.to_s)?;
        if outcomes.is_empty() {
            return Ok(filed);
        }
        let set = |ids: &Option<Vec<i64>>| ids.as_ref().map(|i| i.iter().copied().collect());
        let (departments, extensions): (Option<HashSet<i64>>, Option<HashSet<i64>>) =
            (set(&q.department_ids), set(&q.extension_ids));
        let billed_here = |leg: &LegOwner| {
            departments.as_ref().is_none_or(|d| d.contains(&leg.department))
                && extensions.as_ref().is_none_or(|e| e.contains(&leg.extension))
                && (legs == Legs::All || leg.counted)
        };
        // Both in key order: merged, each leg where its outcome puts it.
        let mut keys = Vec::with_capacity(filed.len());
        let mut outcomes = outcomes.iter().peekable();
        for key in filed {
            while let Some(leg) = outcomes.next_if(|leg| leg.key < key) {
                if billed_here(leg) {
                    keys.push(leg.key);
                }
            }
            match outcomes.next_if(|leg| leg.key == key) {
                Some(leg) if !billed_here(leg) => {}
                _ => keys.push(key),
            }
        }
        keys.extend(outcomes.filter(|leg| billed_here(leg)).map(|leg| leg.key));
        Ok(keys)
    }

    /// Every leg with an outcome that started in `[from_s, to_s)`, with the
    /// owner it is billed to (0: none), in key order (`call_leg`'s primary
    /// key's range).
    fn leg_owners_between(&self, from_s: i64, to_s: i64) -> Result<Vec<LegOwner>> {
        let mut stmt = self.connection().prepare_cached(LEG_OWNERS)?;
        let legs = stmt.query_map([from_s, to_s], |r| {
            Ok(LegOwner {
                key: (r.get(0)?, r.get(1)?),
                department: r.get(2)?,
                extension: r.get(3)?,
                counted: r.get::<_, i64>(4)? != 0,
            })
        })?;
        Ok(legs.collect::<rusqlite::Result<_>>()?)
    }

    /// Keys of the calls filed under the extensions or departments `q`
    /// names, in the period, sorted: one `cdr_owner` seek per day and owner.
    fn filed_keys(&self, q: &CdrQuery) -> Result<Vec<(i64, i64)>> {
        let conn = self.connection();
        let list = |ids: &[i64]| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let departments: Vec<i64> = match (&q.department_ids, &q.extension_ids) {
            (Some(d), _) => d.clone(),
            (None, Some(e)) => {
                let mut departments: Vec<i64> = conn
                    .prepare(&format!(
                        "SELECT DISTINCT coalesce(department_id, 0) FROM extension WHERE id IN ({})",
                        list(e)
                    ))?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                // Extension 0: calls under no directory extension, so no department.
                if e.contains(&0) && !departments.contains(&0) {
                    departments.push(0);
                }
                departments
            }
            (None, None) => Vec::new(),
        };
        let mut sql = format!(
            "SELECT keys FROM cdr_owner WHERE day = ?1 AND department_id IN ({})",
            list(&departments)
        );
        if let Some(e) = &q.extension_ids {
            sql += &format!(" AND extension_id IN ({})", list(e));
        }
        let mut stmt = conn.prepare(&sql)?;
        let mut keys = Vec::new();
        // Days are local to the reporting zone, at most a day off UTC's.
        for day in q.from_s.div_euclid(86_400) - 1..=(q.to_s - 1).div_euclid(86_400) + 1 {
            let mut rows = stmt.query([day])?;
            while let Some(r) = rows.next()? {
                let blob: Vec<u8> = r.get(0)?;
                for pair in blob.chunks_exact(16) {
                    let s = i64::from_le_bytes(pair[..8].try_into().expect("8 bytes"));
                    let d = i64::from_le_bytes(pair[8..].try_into().expect("8 bytes"));
                    if (q.from_s..q.to_s).contains(&s) {
                        keys.push((s, d));
                    }
                }
            }
        }
        keys.sort_unstable();
        Ok(keys)
    }

    /// Quality records of one leg of a call.
    pub fn quality_of_leg(&self, global_call_id: &str, leg_id: &str) -> Result<Vec<QualityRow>> {
        let mut stmt = self.connection().prepare_cached(
            "SELECT leg_id, ts, directory_number, device_name, packets_sent, packets_received,
             packets_lost, jitter_ms, latency_ms, metrics, extras FROM quality
             WHERE global_call_id = ?1 AND leg_id = ?2 ORDER BY ts",
        )?;
        let rows = stmt.query_map([global_call_id, leg_id], |r| {
            Ok(QualityRow {
                leg_id: r.get(0)?,
                ts: r.get(1)?,
                directory_number: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                device_name: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                packets_sent: r.get(4)?,
                packets_received: r.get(5)?,
                packets_lost: r.get(6)?,
                jitter_ms: r.get(7)?,
                latency_ms: r.get(8)?,
                metrics: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
                extras: r.get::<_, Option<Vec<u8>>>(10)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

const LEG_OWNERS: &str = "SELECT start_s, dedup, coalesce(payer_department_id, 0),
        coalesce(payer_extension_id, 0), counted
    FROM call_leg WHERE start_s >= ?1 AND start_s < ?2 ORDER BY start_s, dedup";

/// Which legs of logical calls a selection by owner keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Legs {
    /// Every leg billed to the owners.
    All,
    /// Only the legs their logical call is counted by.
    Counted,
}

/// A leg's outcome as a selection by owner needs it.
struct LegOwner {
    key: (i64, i64),
    /// Who it is billed to (0: nobody).
    department: i64,
    extension: i64,
    counted: bool,
}

/// A stored quality record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityRow {
    pub leg_id: String,
    pub ts: i64,
    pub directory_number: String,
    pub device_name: String,
    pub packets_sent: Option<i64>,
    pub packets_received: Option<i64>,
    pub packets_lost: Option<i64>,
    pub jitter_ms: Option<i64>,
    pub latency_ms: Option<i64>,
    pub metrics: String,
    /// The other vendor fields, packed (see [`QualityRow::extras`]).
    extras: Option<Vec<u8>>,
}

impl QualityRow {
    /// The vendor fields the record had beyond the ones above.
    pub fn extras(&self) -> Result<Vec<(cdr::Text, cdr::Text)>, String> {
        crate::codec::decode_pairs(self.extras.as_deref())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{Amount, Charge, LegBilling};
    use jiff::tz::TimeZone;

    const DAY: i64 = 86_400;

    /// A call at `DAY + at`, filed under `owner` (extension, department)
    /// or, with `None`, under the number 9999 the directory does not know.
    fn stored(store: &mut Store, at: i64, key: i64, owner: Option<(i64, i64)>) -> (i64, i64) {
        let cdr = cdr::Cdr {
            start: cdr::Timestamp::from_second(DAY + at).unwrap(),
            end: cdr::Timestamp::from_second(DAY + at + 30).unwrap(),
            duration_s: 30,
            ..Default::default()
        };
        let attribution = directory::Attribution {
            extension: if owner.is_none() { "9999".into() } else { Default::default() },
            extension_id: owner.map(|o| o.0),
            department_id: owner.map(|o| o.1),
            ..Default::default()
        };
        let mut call = CdrRow::new(&cdr, key, 1, 1, &attribution);
        call.set_charge(&Charge { cost: Amount(100), ..Charge::default() }, 30);
        let mut batch = store.batch().unwrap();
        batch.insert_cdr(&call).unwrap();
        batch.commit().unwrap();
        (call.start_s, call.dedup)
    }

    fn bill(
        store: &mut Store,
        leg: (i64, i64),
        call: (i64, i64),
        payer: Option<(i64, i64)>,
        counted: bool,
    ) {
        let billing = LegBilling {
            start_s: leg.0,
            dedup: leg.1,
            call,
            part: "conference_leg".into(),
            features: "conference".into(),
            payer: payer.map(|(extension, department)| (extension, Some(department))),
            counted,
            reason: "the conference's controller".into(),
        };
        let mut batch = store.batch().unwrap();
        batch.bill_leg(&billing, &TimeZone::UTC).unwrap();
        batch.commit().unwrap();
    }

    fn query(extensions: Option<&[i64]>, departments: Option<&[i64]>) -> CdrQuery {
        CdrQuery {
            from_s: DAY,
            to_s: 2 * DAY,
            extension_ids: extensions.map(<[i64]>::to_vec),
            department_ids: departments.map(<[i64]>::to_vec),
            ..CdrQuery::default()
        }
    }

    fn listed(store: &Store, q: &CdrQuery) -> Vec<(i64, i64)> {
        let mut keys = Vec::new();
        store
            .query_cdrs(q, |c| {
                keys.push((c.record.start_s, c.record.dedup));
                Ok(())
            })
            .unwrap();
        keys
    }

    #[test]
    fn calls_read_by_owner_follow_who_pays_and_count_each_logical_call_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .connection()
            .execute_batch(
                "INSERT INTO extension (id, number, department_id, valid_from, site_key)
                 VALUES (5, '2005', 1, 0, 0), (6, '2006', 2, 0, 0)",
            )
            .unwrap();
        // A conference of extension 5 (department 1): its own leg, the leg
        // of extension 6 (department 2) it pays for, and a recording leg
        // nobody pays for; a plain call of 6; a call of an unknown number
        // and one of its legs that 5 pays for.
        let first = stored(&mut store, 10, 1, Some((5, 1)));
        let party = stored(&mut store, 20, 2, Some((6, 2)));
        let recording = stored(&mut store, 30, 3, Some((5, 1)));
        let plain = stored(&mut store, 40, 4, Some((6, 2)));
        let unknown = stored(&mut store, 50, 5, None);
        let unknown_leg = stored(&mut store, 60, 6, None);
        bill(&mut store, first, first, Some((5, 1)), true);
        bill(&mut store, party, first, Some((5, 1)), false);
        bill(&mut store, recording, first, None, false);
        bill(&mut store, unknown_leg, first, Some((5, 1)), false);

        let q = query(Some(&[5]), None);
        assert_eq!(listed(&store, &q), [first, party, unknown_leg]);
        assert_eq!(store.owner_call_keys(&q).unwrap(), [first, party, unknown_leg]);
        assert_eq!(store.owner_call_starts(&q).unwrap(), [first.0]);
        assert_eq!(listed(&store, &query(Some(&[6]), None)), [plain]);
        assert_eq!(listed(&store, &query(Some(&[0]), None)), [recording, unknown]);
        assert_eq!(listed(&store, &query(None, Some(&[1]))), [first, party, unknown_leg]);
        assert_eq!(listed(&store, &query(None, Some(&[2]))), [plain]);
        assert_eq!(listed(&store, &query(Some(&[5]), Some(&[2]))), Vec::<(i64, i64)>::new());

        // A number the directory does not know: its call, not the leg 5 pays.
        let q = CdrQuery { extension_number: Some("9999".into()), ..query(None, None) };
        assert_eq!(listed(&store, &q), [unknown]);

        // Every call carries its leg's outcome.
        let mut seen = Vec::new();
        store
            .query_cdrs(&query(None, None), |c| {
                seen.push((c.billed_to(), c.counted(), c.leg.map(|l| l.call)));
                Ok(())
            })
            .unwrap();
        let conference = Some(first);
        assert_eq!(
            seen,
            [
                ((Some(1), Some(5)), true, conference),
                ((Some(1), Some(5)), false, conference),
                ((None, None), false, conference),
                ((Some(2), Some(6)), true, None),
                ((None, None), true, None),
                ((Some(1), Some(5)), false, conference),
            ]
        );
        assert_eq!(store.count_calls_between(DAY, 2 * DAY).unwrap(), 6);
        assert_eq!(store.count_counted_calls_between(DAY, 2 * DAY).unwrap(), 3);
        assert_eq!(store.count_counted_calls_between(DAY + 20, DAY + 40).unwrap(), 0);
    }

    /// The query plan of `sql` (its parameters 1 and 2), one line per step.
    pub(crate) fn plan(store: &Store, sql: &str) -> Vec<String> {
        let mut stmt = store.connection().prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map([1, 2], |r| r.get::<_, String>(3)).unwrap();
        rows.collect::<rusqlite::Result<_>>().unwrap()
    }

    #[test]
    fn reading_calls_with_their_legs_seeks_both_primary_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // A period: the calls' and the legs' key ranges, no sort.
        let calls = plan(
            &store,
            &format!(
                "SELECT {COLUMNS} FROM cdr WHERE start_s >= ?1 AND start_s < ?2
                 ORDER BY start_s, dedup"
            ),
        );
        assert_eq!(calls, ["SEARCH cdr USING PRIMARY KEY (start_s>? AND start_s<?)"]);
        let legs = plan(&store, LegsInOrder::SQL);
        assert_eq!(legs, ["SEARCH call_leg USING PRIMARY KEY (start_s>? AND start_s<?)"]);
        // A call by its key, with its leg.
        let joined = format!("{SELECT_CALLS}{JOINED_LEG_COLUMNS} {CALLS_JOINED}");
        let one = plan(&store, &format!("{joined} WHERE c.start_s = ?1 AND c.dedup = ?2"));
        assert_eq!(
            one,
            [
                "SEARCH c USING PRIMARY KEY (start_s=? AND dedup=?)",
                "SEARCH l USING PRIMARY KEY (start_s=? AND dedup=?) LEFT-JOIN",
            ]
        );
        // The legs of a selection by owner.
        let legs = plan(&store, LEG_OWNERS);
        assert_eq!(legs, ["SEARCH call_leg USING PRIMARY KEY (start_s>? AND start_s<?)"]);
    }
}
