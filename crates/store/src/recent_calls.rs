//! Reading back the calls stored lately, whole: what a writer that
//! correlates legs rebuilds its state from when it starts (the stored
//! rows are that state's durable copy, written in the same transactions).

use crate::query::{COLUMNS, row};
use crate::{CallRecord, Error, Result, Store};

impl Store {
    /// The start of the newest stored call, if there is one.
    pub fn newest_call_start(&self) -> Result<Option<i64>> {
        Ok(self.connection().query_row("SELECT MAX(start_s) FROM cdr", [], |r| r.get(0))?)
    }

    /// Every call stored that started at or after `from_s`, in key order,
    /// decoded whole (vendor extras too), to `each`.
    pub fn each_call_since(
        &self,
        from_s: i64,
        each: &mut dyn FnMut(CallRecord) -> Result<()>,
    ) -> Result<()> {
        let mut statement = self.connection().prepare(&format!(
            "SELECT {COLUMNS} FROM cdr WHERE start_s >= ?1 ORDER BY start_s, dedup"
        ))?;
        let mut rows = statement.query([from_s])?;
        while let Some(r) = rows.next()? {
            let stored = row(r)?;
            each(stored.decode().map_err(Error::Invalid)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{CdrRow, Store};

    #[test]
    fn calls_since_a_start_come_back_whole_in_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.newest_call_start().unwrap(), None);
        let mut batch = store.batch().unwrap();
        for (start, dedup) in [(300, 2), (100, 1), (300, 1), (200, 9)] {
            let mut cdr = cdr::Cdr {
                start: cdr::Timestamp::from_second(start).unwrap(),
                end: cdr::Timestamp::from_second(start + 30).unwrap(),
                duration_s: 30,
                ..Default::default()
            };
            cdr.correlation.global_call_id = format!("g{start}").into();
            cdr.extras = vec![("comment".into(), "ConfControllerDn=2001".into())];
            let row = CdrRow::new(&cdr, dedup, 1, 1, &directory::Attribution::default());
            batch.insert_cdr(&row).unwrap();
        }
        batch.commit().unwrap();
        assert_eq!(store.newest_call_start().unwrap(), Some(300));
        let mut seen = Vec::new();
        store
            .each_call_since(200, &mut |call| {
                let cdr = call.to_cdr("cucm").unwrap();
                assert_eq!(cdr.correlation.global_call_id, format!("g{}", call.start_s).as_str());
                assert_eq!(cdr.extra("comment"), Some("ConfControllerDn=2001"));
                assert_eq!(cdr.end.as_second(), call.start_s + 30);
                seen.push((call.start_s, call.dedup));
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, [(200, 9), (300, 1), (300, 2)]);
    }
}
