//! Organisation-wide settings, one text value per key, and the
//! generation of the reference data.
//!
//! # The reference generation
//!
//! What turns records into priced, attributed calls (the directory, the
//! tariff book, the dial plans, the default carriers, the reporting zone
//! and the correlation rules) is read once into a context, which a running
//! server keeps. So that it knows when to read it again, every write of
//! that data adds one
//! to the setting [`REFERENCE_GENERATION`] in the same transaction as the
//! write: a write rolled back bumps nothing, and a generation read sees
//! either the change and the bump or neither.
//!
//! - The directory and the reference settings ([`REFERENCE_SETTINGS`]) are
//!   written only through this crate's functions, which bump once per
//!   transaction: `Store::load_directory`, `Store::load_extensions_csv`,
//!   `Store::ensure_pbx` (when it adds one), every change of
//!   [`crate::directory_edit::DirectoryEdit`], [`Store::set_setting`] and
//!   [`Store::remove_setting`] of those keys.
//! - The tariff book's files (`tariff_file`) are also written with plain
//!   SQL (the API's tariff import, inside its audited transaction), so
//!   every connection [`Store::open`] makes carries temporary triggers
//!   (this connection's only, nothing in the database's schema) that bump
//!   on any write of that table. A book is a few rows; a trigger costs some
//!   15–25 µs a row (measured on an extension upsert), which is why the
//!   directory tables, loaded by the hundred thousand rows, have none.
//!
//! Not reference data: `carrier`, which only gives carriers named in the
//! directory and the book their stable ids and currencies, and is filled
//! in as a context is built (so building one must not bump); calls,
//! quarantine, accounts and the other settings.

use crate::{Result, Store};
use rusqlite::{Connection, OptionalExtension};

/// IANA zone of the reporting days and months (default UTC).
pub const TIME_ZONE: &str = "time_zone";
/// Carrier of outside calls whose trunk and site name none.
pub const CARRIER: &str = "carrier";
/// Reference carrier of sites that name none.
pub const REFERENCE_CARRIER: &str = "reference_carrier";
/// The dial-plan file's text.
pub const DIAL_PLANS: &str = "dial_plans";
/// Whether and how stored calls are correlated into logical calls: `off`,
/// or the attribution rules as JSON (absent: on, with the default rules).
pub const CORRELATION: &str = "correlation";
/// The reference data's generation (see the module doc); absent is 0.
pub const REFERENCE_GENERATION: &str = "reference_generation";

/// Settings that are reference data: a change to one of them is a change
/// of the reference data.
pub const REFERENCE_SETTINGS: [&str; 5] =
    [TIME_ZONE, CARRIER, REFERENCE_CARRIER, DIAL_PLANS, CORRELATION];

/// Adds one to the generation (the row is made at the first bump).
const BUMP: &str = "INSERT INTO setting(key, value) VALUES ('reference_generation', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;";

/// Adds one to the reference generation, in the transaction `conn` is in.
pub(crate) fn bump_reference_generation(conn: &Connection) -> Result<()> {
    conn.prepare_cached(BUMP)?.execute([])?;
    Ok(())
}

/// Runs `write`, a write of the reference data on `conn`, and bumps the
/// generation if it changed any row, as one: inside the transaction `conn`
/// is in, or as a transaction of its own when it is in none. When `write`
/// fails, nothing of it stays.
pub(crate) fn writing_reference<T>(
    conn: &Connection,
    write: impl FnOnce() -> Result<T>,
) -> Result<T> {
    conn.execute_batch("SAVEPOINT reference_write")?;
    let before = conn.total_changes();
    let done = write().and_then(|value| {
        if conn.total_changes() != before {
            bump_reference_generation(conn)?;
        }
        conn.execute_batch("RELEASE reference_write")?;
        Ok(value)
    });
    if done.is_err() {
        let _ = conn.execute_batch("ROLLBACK TO reference_write; RELEASE reference_write");
    }
    done
}

/// Makes every write of the tariff book's files on `conn` bump the
/// generation (see the module doc). Temporary triggers: they live and die
/// with the connection and change nothing in the database file.
pub(crate) fn watch_tariff_files(conn: &Connection) -> rusqlite::Result<()> {
    let mut sql = String::new();
    for event in ["insert", "update", "delete"] {
        sql.push_str(&format!(
            "CREATE TEMP TRIGGER IF NOT EXISTS reference_tariff_file_{event} AFTER {event}
             ON tariff_file BEGIN {BUMP} END;\n"
        ));
    }
    conn.execute_batch(&sql)
}

pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO setting(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

impl Store {
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        get(self.connection(), key)
    }

    /// Sets a setting; one of [`REFERENCE_SETTINGS`] bumps the reference
    /// generation with it.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        let conn = self.connection();
        if REFERENCE_SETTINGS.contains(&key) {
            return writing_reference(conn, || set(conn, key, value));
        }
        set(conn, key, value)
    }

    /// Removes a setting; one of [`REFERENCE_SETTINGS`] bumps the
    /// reference generation with it.
    pub fn remove_setting(&self, key: &str) -> Result<()> {
        let conn = self.connection();
        let remove = || -> Result<()> {
            conn.execute("DELETE FROM setting WHERE key = ?1", [key])?;
            Ok(())
        };
        if REFERENCE_SETTINGS.contains(&key) {
            return writing_reference(conn, remove);
        }
        remove()
    }

    /// The generation of the reference data: it changes with every
    /// committed write of the directory, the tariff book, the dial plans,
    /// the default carriers or the reporting zone, by any connection (see
    /// the module doc). 0 before the first.
    pub fn reference_generation(&self) -> Result<i64> {
        Ok(self
            .connection()
            .query_row(
                "SELECT CAST(value AS INTEGER) FROM setting WHERE key = ?1",
                [REFERENCE_GENERATION],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    /// The reporting zone (see [`TIME_ZONE`]).
    pub fn reporting_zone(&self) -> Result<jiff::tz::TimeZone> {
        let name = self.setting(TIME_ZONE)?.unwrap_or_else(|| "UTC".into());
        jiff::tz::TimeZone::get(&name)
            .map_err(|_| crate::Error::Invalid(format!("setting time_zone: unknown zone {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::AuditEntry;
    use crate::directory_edit::DirectoryEdit;
    use crate::{CdrRow, Error};
    use directory::{DirectoryFile, Extension, Pbx, Site, Trunk, User};
    use std::path::Path;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    const DIRECTORY: &str = r#"
[organisation]
time_zone = "Europe/Paris"
carrier = "Acme"

[[site]]
name = "Paris"
time_zone = "Europe/Paris"
country_code = "33"
area_code = "1"

[[pbx]]
name = "pbx-paris"
format = "asterisk"
site = "Paris"

[[trunk]]
pbx = "pbx-paris"
code = "T1"
carrier = "Acme"

[[paid_number]]
number = "0800123456"
carrier = "Acme"

[[user]]
key = "alice"
name = "Alice"
department = 'Company\Sales'

[[extension]]
number = "2001"
site = "Paris"
user = "alice"
"#;

    fn lyon() -> Site {
        Site {
            id: 0,
            name: "Lyon".into(),
            time_zone: "Europe/Paris".into(),
            country_code: "33".into(),
            area_code: "4".into(),
            carrier: String::new(),
            reference_carrier: String::new(),
            holidays: String::new(),
        }
    }

    /// Runs `change` as the API does (with its audit entry, one
    /// transaction); returns by how much the generation moved.
    fn bumps<T>(store: &Store, change: impl FnOnce(&DirectoryEdit<'_>) -> Result<T>) -> i64 {
        let before = store.reference_generation().unwrap();
        store
            .audited(AuditEntry::default(), |_, conn, _| change(&DirectoryEdit::on(conn)))
            .unwrap();
        store.reference_generation().unwrap() - before
    }

    /// By how much `change` moves the generation.
    fn moved(store: &mut Store, change: impl FnOnce(&mut Store)) -> i64 {
        let before = store.reference_generation().unwrap();
        change(store);
        store.reference_generation().unwrap() - before
    }

    #[test]
    fn every_directory_write_bumps_the_generation() {
        let (dir, mut store) = store();
        assert_eq!(store.reference_generation().unwrap(), 0);
        let file = DirectoryFile::parse(Path::new("directory.toml"), DIRECTORY).unwrap();
        let path = dir.path().join("directory.toml");
        assert!(
            moved(&mut store, |s| {
                s.load_directory(&file, &path).unwrap();
            }) > 0
        );
        let csv = dir.path().join("extensions.csv");
        std::fs::write(&csv, "number,site,user,department,valid_from,valid_to\n2002,Paris,,,,\n")
            .unwrap();
        assert!(moved(&mut store, |s| assert_eq!(s.load_extensions_csv(&csv).unwrap(), 1)) > 0);
        // A PBX added by an import is a directory change; one known is not.
        assert!(
            moved(&mut store, |s| {
                s.ensure_pbx("pbx-lyon", "cucm").unwrap();
            }) > 0
        );
        assert_eq!(
            moved(&mut store, |s| {
                s.ensure_pbx("pbx-lyon", "cucm").unwrap();
            }),
            0
        );

        // Each entity edited one at a time, as the API does.
        let site = lyon();
        let mut site_id = 0;
        assert!(bumps(&store, |d| d.create_site(&site).map(|id| site_id = id)) > 0);
        let renamed = Site { name: "Lyon 2".into(), ..site.clone() };
        assert!(bumps(&store, |d| d.update_site(site_id, &renamed)) > 0);
        let pbx = Pbx {
            id: 0,
            name: "pbx-lyon-2".into(),
            format: "cucm".into(),
            site_id: None,
            time_zone: None,
        };
        let mut pbx_id = 0;
        assert!(bumps(&store, |d| d.create_pbx(&pbx).map(|id| pbx_id = id)) > 0);
        assert!(
            bumps(&store, |d| d.update_pbx(pbx_id, &Pbx { site_id: Some(site_id), ..pbx })) > 0
        );
        let trunk =
            Trunk { id: 0, pbx_id, code: "9".into(), name: String::new(), carrier: String::new() };
        let mut trunk_id = 0;
        assert!(bumps(&store, |d| d.create_trunk(&trunk).map(|id| trunk_id = id)) > 0);
        let trunk = Trunk { carrier: "Acme".into(), ..trunk };
        assert!(bumps(&store, |d| d.update_trunk(trunk_id, &trunk)) > 0);
        assert!(bumps(&store, |d| d.delete_trunk(trunk_id)) > 0);
        assert!(bumps(&store, |d| d.delete_pbx(pbx_id)) > 0);
        let mut department = 0;
        assert!(bumps(&store, |d| d.create_department(None, "Lab").map(|id| department = id)) > 0);
        assert!(bumps(&store, |d| d.update_department(department, None, "Labs")) > 0);
        let user = User { id: 0, key: "bob".into(), name: "Bob".into(), department_id: None };
        let mut user_id = 0;
        assert!(bumps(&store, |d| d.create_user(&user).map(|id| user_id = id)) > 0);
        let user = User { department_id: Some(department), ..user };
        assert!(bumps(&store, |d| d.update_user(user_id, &user)) > 0);
        let extension = Extension {
            id: 0,
            site_id: Some(site_id),
            number: "3001".into(),
            user_id: Some(user_id),
            department_id: None,
            valid_from: 0,
            valid_to: None,
        };
        let mut extension_id = 0;
        assert!(bumps(&store, |d| d.create_extension(&extension).map(|id| extension_id = id)) > 0);
        let extension = Extension { valid_from: 100, ..extension };
        assert!(bumps(&store, |d| d.update_extension(extension_id, &extension)) > 0);
        assert!(bumps(&store, |d| d.reassign_extension(extension_id, 1000, None, None, None)) > 0);
        let periods = store.directory_edit().extension_periods("3001").unwrap();
        assert!(bumps(&store, |d| d.delete_extension(periods[1].id)) > 0);
        assert!(bumps(&store, |d| d.delete_extension(periods[0].id)) > 0);
        assert!(bumps(&store, |d| d.delete_user(user_id)) > 0);
        assert!(bumps(&store, |d| d.delete_department(department)) > 0);
        assert!(bumps(&store, |d| d.delete_site(site_id)) > 0);
        // Reading, or changing what is not there, changes nothing.
        assert_eq!(bumps(&store, |d| d.site(site_id)), 0);
        assert_eq!(bumps(&store, |d| d.update_site(site_id, &renamed)), 0);
        assert_eq!(bumps(&store, |d| d.delete_user(user_id)), 0);
        // Outside any transaction, a change and its bump are one.
        let before = store.reference_generation().unwrap();
        let id = store.directory_edit().create_site(&site).unwrap();
        assert_eq!(store.reference_generation().unwrap(), before + 1);
        let taken = store.directory_edit().create_site(&site).unwrap_err();
        assert!(matches!(taken, Error::Conflict(_)), "{taken}");
        assert_eq!(store.reference_generation().unwrap(), before + 1);
        assert!(store.connection().is_autocommit(), "no transaction left open");
        assert!(store.directory_edit().delete_site(id).unwrap());
        assert_eq!(
            moved(&mut store, |s| {
                s.directory().unwrap();
            }),
            0
        );
    }

    #[test]
    fn a_change_refused_or_rolled_back_bumps_nothing() {
        let (_dir, store) = store();
        let site = lyon();
        bumps(&store, |d| d.create_site(&site));
        let before = store.reference_generation().unwrap();
        // The same name again: refused, the transaction rolled back.
        let refused = store.audited(AuditEntry::default(), |_, conn, _| {
            DirectoryEdit::on(conn).create_department(None, "Lab")?;
            DirectoryEdit::on(conn).create_site(&site)
        });
        assert!(matches!(refused, Err(Error::Conflict(_))), "{refused:?}");
        assert_eq!(store.reference_generation().unwrap(), before);
        assert!(store.directory().unwrap().departments.is_empty());
    }

    #[test]
    fn tariffs_and_reference_settings_bump_the_generation_and_other_settings_do_not() {
        let (_dir, mut store) = store();
        let files = vec![("tariffs.toml".to_string(), b"format = 1\n".to_vec())];
        assert!(moved(&mut store, |s| s.replace_tariff_files(&files).unwrap()) > 0);
        // Written with plain SQL on a store connection (as the API's tariff
        // import does inside its audited transaction): bumped all the same,
        // once per row.
        assert!(
            moved(&mut store, |s| {
                s.connection().execute("DELETE FROM tariff_file", []).unwrap();
            }) > 0
        );
        for key in REFERENCE_SETTINGS {
            assert!(
                moved(&mut store, |s| s.set_setting(key, "Europe/Paris").unwrap()) > 0,
                "{key}"
            );
            assert!(moved(&mut store, |s| s.set_setting(key, "UTC").unwrap()) > 0, "{key}");
            assert!(moved(&mut store, |s| s.remove_setting(key).unwrap()) > 0, "{key}");
        }
        assert_eq!(moved(&mut store, |s| s.set_setting(crate::SETTLE_AFTER_SEQ, "7").unwrap()), 0);
        assert_eq!(moved(&mut store, |s| s.remove_setting(crate::SETTLE_AFTER_SEQ).unwrap()), 0);
        // Carrier ids and currencies are filled in as a context is built:
        // not a change of the reference data.
        assert_eq!(
            moved(&mut store, |s| {
                s.ensure_carriers(["Acme", "PSTN"]).unwrap();
                s.set_carrier_currency("Acme", "EUR").unwrap();
            }),
            0
        );
    }

    #[test]
    fn another_connection_sees_the_change_and_calls_stored_bump_nothing() {
        let (dir, mut store) = store();
        let other = Store::open(dir.path()).unwrap();
        other.set_setting(DIAL_PLANS, "[[site]]\n").unwrap();
        let seen = store.reference_generation().unwrap();
        assert_eq!(seen, 1);
        let cdr = cdr::Cdr {
            start: cdr::Timestamp::from_second(86_400).unwrap(),
            end: cdr::Timestamp::from_second(86_460).unwrap(),
            ..Default::default()
        };
        let rows: Vec<CdrRow> = (0..10)
            .map(|i| CdrRow::new(&cdr, i, 1, 1, &directory::Attribution::default()))
            .collect();
        let mut batch = store.batch().unwrap();
        batch.insert_new_cdrs(&rows.iter().collect::<Vec<_>>()).unwrap();
        batch.commit().unwrap();
        store.fold_months().unwrap();
        assert_eq!(store.cdr_count().unwrap(), 10);
        assert_eq!(other.reference_generation().unwrap(), seen);
    }
}
