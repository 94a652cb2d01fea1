//! Versioned schema migrations: each file of `migrations/postgres` runs
//! once, in its own transaction with the row that records it in
//! `schema_migrations` (PostgreSQL's DDL is transactional, so a failed
//! migration leaves nothing behind). A transaction-scoped advisory lock
//! makes servers that start at the same time take turns: the second finds
//! the work done.

use super::classify::classify;
use crate::error::{Error, Result};
use postgres::Client;

/// (version, name, SQL), in version order.
pub(crate) const MIGRATIONS: &[(i32, &str, &str)] =
    &[(1, "initial", include_str!("../../migrations/postgres/0001_initial.sql"))];

/// Key of the advisory lock migrations hold ("bluewhal" in ASCII). Advisory
/// locks are per database, so schemas of one database migrate in turn.
const LOCK_KEY: i64 = 0x626c_7565_7768_616c;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)";

/// The newest version this program knows.
pub(crate) fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Brings the schema to the latest version; returns how many migrations
/// ran.
pub(crate) fn migrate(client: &mut Client, target: &str) -> Result<usize> {
    let mut applied = 0;
    for &(version, name, sql) in MIGRATIONS {
        let doing = format!("migration {version:04}_{name}");
        let err = |e: postgres::Error| classify(&e, target, &doing);
        let mut tx = client.transaction().map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY]).map_err(err)?;
        tx.batch_execute(CREATE_TABLE).map_err(err)?;
        let current: Option<i32> = tx
            .query_one("SELECT max(version) FROM schema_migrations", &[])
            .and_then(|row| row.try_get(0))
            .map_err(err)?;
        let current = current.unwrap_or(0);
        if current > latest() {
            return Err(Error::Config {
                target: target.to_owned(),
                message: format!(
                    "schema version {current} is newer than this program knows ({}): \
                     upgrade the program",
                    latest()
                ),
            });
        }
        if current >= version {
            continue;
        }
        tx.batch_execute(sql).map_err(err)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&version, &name],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        applied += 1;
    }
    Ok(applied)
}

/// The schema version (0 before any migration).
pub(crate) fn version(client: &mut Client, target: &str) -> Result<i32> {
    let err = |e: postgres::Error| classify(&e, target, "reading the schema version");
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .and_then(|row| row.try_get(0))
        .map_err(err)?;
    if !exists {
        return Ok(0);
    }
    let current: Option<i32> = client
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .and_then(|row| row.try_get(0))
        .map_err(err)?;
    Ok(current.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_match_their_files() {
        crate::assert_migrations_match_files("postgres", MIGRATIONS);
    }
}
