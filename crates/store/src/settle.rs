//! Which months new calls went into, for settling them afterwards: an
//! import prices each call at its list price, and the months of calls on
//! carriers with volume tiers or bundles are then priced again in start
//! order (`ingest::rerate`). Every commit files its calls under a new
//! posting number (`cdr_owner.seq`), so the months posted after a number
//! are exactly what to settle, even after a crash between the import's
//! commits and its settlement.

use crate::{Result, Store};
use std::collections::BTreeSet;

/// Setting: the posting number after which calls await settlement (an
/// import that did not finish settling leaves it behind).
pub const SETTLE_AFTER_SEQ: &str = "settle_after_seq";

impl Store {
    /// The posting number of the last commit.
    pub fn posting_seq(&self) -> Result<i64> {
        Ok(self
            .connection()
            .query_row("SELECT seq FROM cdr_owner_seq WHERE id = 1", [], |r| r.get(0))?)
    }

    /// The months (see `days::month_of_day`) of the calls posted by
    /// commits after posting number `seq`.
    pub fn months_posted_after(&self, seq: i64) -> Result<BTreeSet<i64>> {
        let mut stmt = self.connection().prepare(
            "SELECT DISTINCT day FROM cdr_owner INDEXED BY cdr_owner_by_seq WHERE seq > ?1",
        )?;
        let days = stmt.query_map([seq], |r| r.get::<_, i64>(0))?;
        let mut months = BTreeSet::new();
        for day in days {
            months.insert(crate::days::month_of_day(day?));
        }
        Ok(months)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_store_has_posted_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.posting_seq().unwrap(), 0);
        assert!(store.months_posted_after(0).unwrap().is_empty());
    }
}
