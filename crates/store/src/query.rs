//! Reading stored calls back.

use crate::{CallRecord, CdrRow, Result, Store};
use rusqlite::{Connection, OptionalExtension, Row};
use std::collections::HashMap;

/// Which calls to read: a period (UTC seconds, `from` inclusive, `to`
/// exclusive) and optional filters.
#[derive(Debug, Clone, Default)]
pub struct CdrQuery {
    pub from_s: i64,
    pub to_s: i64,
    /// Calls attributed to any of these directory extensions.
    pub extension_ids: Option<Vec<i64>>,
    /// Calls attributed to this number (known to the directory or not).
    pub extension_number: Option<String>,
    /// Calls of any of these departments.
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
}

pub(crate) const COLUMNS: &str =
    "start_s, dedup, pbx_id, extension_id, department_id, calling, dialled, rec, charge";

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

    fn call(&mut self, conn: &Connection, row: CdrRow) -> Result<StoredCall> {
        let record = row.decode().map_err(crate::Error::Invalid)?;
        Ok(StoredCall {
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
            let keys = self.owner_keys(q)?;
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
        let mut rows = stmt.query([q.from_s, q.to_s])?;
        while let Some(r) = rows.next()? {
            if left == 0 {
                break;
            }
            let call = names.call(conn, row(r)?)?;
            if let Some(n) = &q.extension_number
                && call.record.extension != n.as_str()
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
            "SELECT {COLUMNS} FROM cdr WHERE start_s = ?1 AND dedup = ?2"
        ))?;
        for (s, d) in keys {
            if let Some(r) = stmt.query_row([s, d], row).optional()?
                && !each(names.call(conn, r)?)?
            {
                break;
            }
        }
        Ok(())
    }

    /// Keys (start second, dedup) of the calls of the extensions or
    /// departments `q` names in its period, sorted; from `cdr_owner` alone.
    pub fn owner_call_keys(&self, q: &CdrQuery) -> Result<Vec<(i64, i64)>> {
        self.owner_keys(q)
    }

    /// The start second of the latest call that started before `before_s`.
    pub fn latest_start_before(&self, before_s: i64) -> Result<Option<i64>> {
        Ok(self
            .connection()
            .prepare_cached("SELECT max(start_s) FROM cdr WHERE start_s < ?1")?
            .query_row([before_s], |r| r.get(0))?)
    }

    /// Start seconds (UTC) of the calls of the extensions or departments `q`
    /// names in its period, sorted; read from `cdr_owner` alone.
    pub fn owner_call_starts(&self, q: &CdrQuery) -> Result<Vec<i64>> {
        Ok(self.owner_keys(q)?.into_iter().map(|(s, _)| s).collect())
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

    /// Keys of the calls of the extensions or departments `q` names, in the
    /// period, sorted: one `cdr_owner` seek per day and owner.
    fn owner_keys(&self, q: &CdrQuery) -> Result<Vec<(i64, i64)>> {
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
