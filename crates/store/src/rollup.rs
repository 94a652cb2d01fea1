//! Rollups: what calls add up to per owner (department, extension), per
//! call type and carrier — calls, seconds, cost, reference cost and
//! unrated calls — for each local day (`cdr_owner.agg`) and month
//! (`rollup_month.agg`). Reports read these instead of the calls.
//!
//! An [`Agg`] is a short sorted list of entries, packed into a blob. Sums
//! are signed so that re-rating can apply "new − old" as one merge; an
//! entry whose sums all reach zero disappears. `rollup_month` is merged in
//! place by the SQL function `agg_merge(old, new)`, registered on every
//! connection, so an upsert needs no read-back.

use crate::codec::{Reader, Writer};
use crate::money::Amount;
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

/// What one call or many add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    pub calls: i64,
    /// Talk seconds.
    pub seconds: i64,
    pub cost: Amount,
    /// What the calls would have cost on the reference (PSTN) tariff.
    pub reference: Amount,
    /// Calls that could not be priced (their cost counts as zero).
    pub unrated: i64,
}

impl Sums {
    pub fn add(&mut self, other: &Sums) {
        self.calls += other.calls;
        self.seconds += other.seconds;
        self.cost = self.cost + other.cost;
        self.reference = self.reference + other.reference;
        self.unrated += other.unrated;
    }

    pub fn negated(&self) -> Sums {
        Sums {
            calls: -self.calls,
            seconds: -self.seconds,
            cost: Amount(-self.cost.0),
            reference: Amount(-self.reference.0),
            unrated: -self.unrated,
        }
    }

    fn is_zero(&self) -> bool {
        *self == Sums::default()
    }
}

/// Which column of a rollup a call falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bucket {
    /// The call type's code (the classifier's order).
    pub call_type: u8,
    /// `carrier.id`, 0 when the call used none.
    pub carrier_id: i64,
}

/// Sums per bucket, sorted by bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Agg {
    entries: Vec<(Bucket, Sums)>,
}

const AGG_VERSION: u8 = 1;

impl Agg {
    pub fn entries(&self) -> &[(Bucket, Sums)] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn add(&mut self, bucket: Bucket, sums: &Sums) {
        match self.entries.binary_search_by(|(b, _)| b.cmp(&bucket)) {
            Ok(i) => {
                self.entries[i].1.add(sums);
                if self.entries[i].1.is_zero() {
                    self.entries.remove(i);
                }
            }
            Err(i) if !sums.is_zero() => self.entries.insert(i, (bucket, *sums)),
            Err(_) => {}
        }
    }

    pub fn merge(&mut self, other: &Agg) {
        for (bucket, sums) in &other.entries {
            self.add(*bucket, sums);
        }
    }

    /// All buckets together.
    pub fn total(&self) -> Sums {
        let mut total = Sums::default();
        for (_, sums) in &self.entries {
            total.add(sums);
        }
        total
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut blob = Vec::with_capacity(2 + self.entries.len() * 12);
        self.encode_into(&mut blob);
        blob
    }

    /// [`Agg::encode`], appended to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let mut w = Writer(std::mem::take(out));
        w.u8(AGG_VERSION);
        w.uint(self.entries.len() as u64);
        for (bucket, sums) in &self.entries {
            w.u8(bucket.call_type);
            w.int(bucket.carrier_id);
            for n in [sums.calls, sums.seconds, sums.cost.0, sums.reference.0, sums.unrated] {
                w.int(n);
            }
        }
        *out = w.0;
    }

    pub fn decode(blob: &[u8]) -> Result<Agg, String> {
        let mut r = Reader(blob);
        let version = r.u8()?;
        if version != AGG_VERSION {
            return Err(format!("rollup version {version} is unknown"));
        }
        let n = r.uint()?;
        let mut agg = Agg::default();
        for _ in 0..n {
            let bucket = Bucket { call_type: r.u8()?, carrier_id: r.int()? };
            let sums = Sums {
                calls: r.int()?,
                seconds: r.int()?,
                cost: Amount(r.int()?),
                reference: Amount(r.int()?),
                unrated: r.int()?,
            };
            agg.add(bucket, &sums);
        }
        Ok(agg)
    }
}

/// Registers `agg_merge(a, b)`: the rollup blob of `a` plus `b` (either
/// may be NULL). Deterministic, so SQLite may use it in upserts.
pub(crate) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "agg_merge",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let decode = |i: usize| -> rusqlite::Result<Agg> {
                match ctx.get_raw(i).as_blob_or_null() {
                    Ok(Some(blob)) => {
                        Agg::decode(blob).map_err(|e| rusqlite::Error::UserFunctionError(e.into()))
                    }
                    Ok(None) => Ok(Agg::default()),
                    Err(e) => Err(rusqlite::Error::UserFunctionError(e.into())),
                }
            };
            let mut merged = decode(0)?;
            merged.merge(&decode(1)?);
            Ok(merged.encode())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(calls: i64, cost: i64) -> Sums {
        Sums {
            calls,
            seconds: calls * 10,
            cost: Amount(cost),
            reference: Amount(cost * 2),
            unrated: 0,
        }
    }

    #[test]
    fn entries_stay_sorted_and_vanish_at_zero() {
        let national = Bucket { call_type: 3, carrier_id: 1 };
        let mobile = Bucket { call_type: 4, carrier_id: 1 };
        let mut agg = Agg::default();
        agg.add(mobile, &sums(1, 5));
        agg.add(national, &sums(2, 7));
        agg.add(mobile, &sums(1, 5));
        assert_eq!(agg.entries(), &[(national, sums(2, 7)), (mobile, sums(2, 10))]);
        assert_eq!(Agg::decode(&agg.encode()).unwrap(), agg);
        agg.add(national, &sums(2, 7).negated());
        assert_eq!(agg.entries(), &[(mobile, sums(2, 10))]);
        assert_eq!(agg.total(), sums(2, 10));
    }

    #[test]
    fn the_sql_function_merges_blobs_and_nulls() {
        let conn = Connection::open_in_memory().unwrap();
        register_functions(&conn).unwrap();
        let mut a = Agg::default();
        a.add(Bucket { call_type: 2, carrier_id: 3 }, &sums(1, 100));
        let merged: Vec<u8> =
            conn.query_row("SELECT agg_merge(?1, ?1)", [a.encode()], |r| r.get(0)).unwrap();
        assert_eq!(Agg::decode(&merged).unwrap().total(), sums(2, 200));
        let from_null: Vec<u8> =
            conn.query_row("SELECT agg_merge(NULL, ?1)", [a.encode()], |r| r.get(0)).unwrap();
        assert_eq!(Agg::decode(&from_null).unwrap(), a);
        let bad = conn.query_row("SELECT agg_merge(x'05', NULL)", [], |r| r.get::<_, Vec<u8>>(0));
        assert!(bad.unwrap_err().to_string().contains("rollup version 5 is unknown"));
    }
}

/// Reading rollups over a period of local days.
mod read {
    use super::Agg;
    use crate::days::{first_day_of_month, month_of_day};
    use crate::{Error, Result, Store};

    impl Store {
        /// The sums of every owner (department or 0, extension or 0) over
        /// the local days `first..=last`: whole months from `rollup_month`,
        /// the other days from the day rows. `each` may see an owner more
        /// than once; the caller adds.
        pub fn rollups(
            &self,
            first: i64,
            last: i64,
            mut each: impl FnMut(i64, i64, Agg) -> Result<()>,
        ) -> Result<()> {
            let conn = self.connection();
            let mut months = conn.prepare_cached(
                "SELECT department_id, extension_id, agg FROM rollup_month WHERE month = ?1",
            )?;
            let mut days = conn.prepare_cached(
                "SELECT department_id, extension_id, agg, length(keys) FROM cdr_owner
                 WHERE day >= ?1 AND day <= ?2",
            )?;
            // Day rows of commits not folded into the month rollup yet.
            let (folded, _) = crate::months::months_seq(conn)?;
            let mut pending = conn.prepare_cached(
                "SELECT department_id, extension_id, agg FROM cdr_owner INDEXED BY cdr_owner_by_seq
                 WHERE seq > ?1 AND day >= ?2 AND day <= ?3",
            )?;
            let mut day = first;
            while day <= last {
                let month = month_of_day(day);
                let next_month = first_day_of_month(month + 1);
                if day == first_day_of_month(month) && next_month - 1 <= last {
                    let mut rows = months.query([month])?;
                    while let Some(r) = rows.next()? {
                        let blob: Vec<u8> = r.get(2)?;
                        let agg = Agg::decode(&blob).map_err(Error::Invalid)?;
                        each(r.get(0)?, r.get(1)?, agg)?;
                    }
                    let mut rows = pending.query([folded, day, next_month - 1])?;
                    while let Some(r) = rows.next()? {
                        let blob: Option<Vec<u8>> = r.get(2)?;
                        if let Some(blob) = blob {
                            let agg = Agg::decode(&blob).map_err(Error::Invalid)?;
                            each(r.get(0)?, r.get(1)?, agg)?;
                        }
                    }
                    day = next_month;
                    continue;
                }
                let until = (next_month - 1).min(last);
                let mut rows = days.query([day, until])?;
                while let Some(r) = rows.next()? {
                    let blob: Option<Vec<u8>> = r.get(2)?;
                    let agg = match blob {
                        Some(blob) => Agg::decode(&blob).map_err(Error::Invalid)?,
                        // Written before rollups existed: the calls, unclassified.
                        None => {
                            let mut agg = Agg::default();
                            let calls = r.get::<_, i64>(3)? / 16;
                            let sums = super::Sums { calls, ..super::Sums::default() };
                            agg.add(
                                super::Bucket { call_type: crate::UNCLASSIFIED, carrier_id: 0 },
                                &sums,
                            );
                            agg
                        }
                    };
                    each(r.get(0)?, r.get(1)?, agg)?;
                }
                day = until + 1;
            }
            Ok(())
        }
    }
}
