//! Versioned schema migrations: each file of `migrations/mysql` runs once
//! and is recorded in `schema_migrations`, under a named lock so that
//! servers starting at the same time take turns. MySQL commits DDL
//! statement by statement, so the files are written to run again: a
//! migration cut short is completed by the next run.

use super::checked;
use super::classify::classify;
use crate::error::{Error, Result};
use mysql::Conn;
use mysql::prelude::Queryable;

/// (version, name, SQL), in version order.
const MIGRATIONS: &[(i32, &str, &str)] =
    &[(1, "initial", include_str!("../../migrations/mysql/0001_initial.sql"))];

/// The newest version this program knows.
pub(super) fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Migrations hold this named lock (server-wide), so servers starting at
/// the same time take turns.
const MIGRATION_LOCK: &str = "bluewhale.migrate";
/// Seconds to wait for it.
const MIGRATION_LOCK_WAIT_S: i64 = 600;

/// Runs the migrations not run yet (under the migration lock).
pub(super) fn migrate(conn: &mut Conn, target: &str) -> Result<usize> {
    let err = |doing: String| move |e: mysql::Error| classify(&e, target, &doing);
    conn.query_drop(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INT NOT NULL PRIMARY KEY,
            name VARCHAR(255) NOT NULL,
            applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
         ) ENGINE = InnoDB",
    )
    .map_err(err("creating schema_migrations".to_owned()))?;
    let current = current_version(conn).map_err(err("reading the schema version".to_owned()))?;
    let latest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > latest {
        return Err(Error::Config {
            target: target.to_owned(),
            message: format!(
                "schema version {current} is newer than this program knows ({latest}): \
                 upgrade the program"
            ),
        });
    }
    let mut applied = 0;
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let doing = format!("migration {version:04}_{name}");
        conn.query_drop(sql).map_err(err(doing.clone()))?;
        conn.exec_drop(
            "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
            (version, name),
        )
        .map_err(err(doing))?;
        applied += 1;
    }
    Ok(applied)
}

/// Runs `f` holding the migration lock.
pub(super) fn locked<T>(
    conn: &mut Conn,
    target: &str,
    f: impl FnOnce(&mut Conn) -> Result<T>,
) -> Result<T> {
    let got: Option<Option<i64>> = conn
        .exec_first_opt("SELECT GET_LOCK(?, ?)", (MIGRATION_LOCK, MIGRATION_LOCK_WAIT_S))
        .and_then(checked)
        .map_err(|e| classify(&e, target, "waiting for the migration lock"))?;
    if got.flatten() != Some(1) {
        return Err(Error::Unavailable {
            target: target.to_owned(),
            message: format!(
                "waiting for the migration lock: another server held it for \
                 {MIGRATION_LOCK_WAIT_S} s"
            ),
        });
    }
    let result = f(conn);
    let released = conn
        .exec_drop("DO RELEASE_LOCK(?)", (MIGRATION_LOCK,))
        .map_err(|e| classify(&e, target, "releasing the migration lock"));
    let value = result?;
    released?;
    Ok(value)
}

pub(super) fn current_version(conn: &mut Conn) -> mysql::Result<i32> {
    let v: Option<Option<i32>> =
        conn.query_first_opt("SELECT MAX(version) FROM schema_migrations").and_then(checked)?;
    Ok(v.flatten().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_match_their_files() {
        crate::assert_migrations_match_files("mysql", MIGRATIONS);
    }
}
