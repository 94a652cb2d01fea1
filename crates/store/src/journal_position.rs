//! How far the live server has read each source's raw journal (see the
//! `journal` crate): two integers per source, written in the same
//! transaction as the records read, so the store and the position never
//! disagree.

use crate::{Batch, Result, Store};
use rusqlite::OptionalExtension;

impl Batch<'_> {
    /// Records that everything of `source`'s journal before (`segment`,
    /// `offset`) is stored, as part of this transaction.
    pub fn set_journal_position(&self, source: &str, segment: u64, offset: u64) -> Result<()> {
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.connection().execute(
            "INSERT INTO journal_position (source, segment, offset) VALUES (?1, ?2, ?3)
             ON CONFLICT(source) DO UPDATE SET segment = excluded.segment, offset = excluded.offset",
            rusqlite::params![source, as_i64(segment), as_i64(offset)],
        )
        .map_err(|e| crate::Error::from(e).naming_full_disk(self.connection()))?;
        Ok(())
    }
}

impl Store {
    /// Where reading `source`'s journal resumes: (segment, offset), None
    /// when nothing of it was stored yet.
    pub fn journal_position(&self, source: &str) -> Result<Option<(u64, u64)>> {
        let found = self
            .connection()
            .query_row(
                "SELECT segment, offset FROM journal_position WHERE source = ?1",
                [source],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()?;
        Ok(found.map(|(s, o)| (s.max(0) as u64, o.max(0) as u64)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_is_kept_only_when_its_transaction_commits() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.journal_position("pbx").unwrap(), None);
        let batch = store.batch().unwrap();
        batch.set_journal_position("pbx", 3, 1200).unwrap();
        drop(batch);
        assert_eq!(store.journal_position("pbx").unwrap(), None);
        let batch = store.batch().unwrap();
        batch.set_journal_position("pbx", 3, 1200).unwrap();
        batch.commit().unwrap();
        let batch = store.batch().unwrap();
        batch.set_journal_position("pbx", 4, 28).unwrap();
        batch.commit().unwrap();
        assert_eq!(store.journal_position("pbx").unwrap(), Some((4, 28)));
    }
}
