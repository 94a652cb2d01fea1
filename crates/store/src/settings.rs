//! Organisation-wide settings, one text value per key.

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

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        set(self.connection(), key, value)
    }

    pub fn remove_setting(&self, key: &str) -> Result<()> {
        self.connection().execute("DELETE FROM setting WHERE key = ?1", [key])?;
        Ok(())
    }

    /// The reporting zone (see [`TIME_ZONE`]).
    pub fn reporting_zone(&self) -> Result<jiff::tz::TimeZone> {
        let name = self.setting(TIME_ZONE)?.unwrap_or_else(|| "UTC".into());
        jiff::tz::TimeZone::get(&name)
            .map_err(|_| crate::Error::Invalid(format!("setting time_zone: unknown zone {name:?}")))
    }
}
