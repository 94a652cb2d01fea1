//! Versioned schema migrations. Each file in `migrations/` upgrades the
//! schema by one version; `PRAGMA user_version` records where a database
//! is, so a newer program upgrades an older database in place.

use crate::{Error, Result};
use rusqlite::Connection;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_initial", include_str!("../migrations/0001_initial.sql")),
    ("0002_rating", include_str!("../migrations/0002_rating.sql")),
    ("0003_journal", include_str!("../migrations/0003_journal.sql")),
    ("0004_accounts", include_str!("../migrations/0004_accounts.sql")),
    ("0005_correlation", include_str!("../migrations/0005_correlation.sql")),
    ("0006_call_leg_index", include_str!("../migrations/0006_call_leg_index.sql")),
];

/// The schema version this program writes.
pub fn known() -> i64 {
    MIGRATIONS.len() as i64
}

pub fn version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

pub fn upgrade(conn: &Connection) -> Result<()> {
    let known = known();
    let found = version(conn)?;
    if found > known {
        return Err(Error::TooNew { found, known });
    }
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let target = i as i64 + 1;
        conn.execute_batch(&format!("BEGIN; {sql}\nPRAGMA user_version = {target}; COMMIT;"))
            .map_err(|e| Error::Invalid(format!("migration {name} failed: {e}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrades_once_and_refuses_newer_databases() {
        let conn = Connection::open_in_memory().unwrap();
        upgrade(&conn).unwrap();
        assert_eq!(version(&conn).unwrap(), MIGRATIONS.len() as i64);
        upgrade(&conn).unwrap(); // idempotent
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        assert!(matches!(upgrade(&conn), Err(Error::TooNew { found: 99, .. })));
    }
}
