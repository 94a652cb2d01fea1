//! Carrier names and their stable ids (rollups refer to carriers by id),
//! and the tariff book's files.

use crate::{Result, Store};
use rusqlite::params;
use std::collections::BTreeMap;

impl Store {
    /// The id of each carrier named, creating the ones not yet known.
    pub fn ensure_carriers<'n>(
        &self,
        names: impl IntoIterator<Item = &'n str>,
    ) -> Result<BTreeMap<String, i64>> {
        let conn = self.connection();
        let mut insert = conn.prepare_cached("INSERT OR IGNORE INTO carrier(name) VALUES (?1)")?;
        let mut select = conn.prepare_cached("SELECT id FROM carrier WHERE name = ?1")?;
        let mut ids = BTreeMap::new();
        for name in names {
            if name.is_empty() || ids.contains_key(name) {
                continue;
            }
            insert.execute([name])?;
            let id: i64 = select.query_row([name], |r| r.get(0))?;
            ids.insert(name.to_string(), id);
        }
        Ok(ids)
    }

    /// Records the currency of a carrier's tariffs.
    pub fn set_carrier_currency(&self, name: &str, currency: &str) -> Result<()> {
        self.connection().execute(
            "UPDATE carrier SET currency = ?2 WHERE name = ?1 AND currency != ?2",
            [name, currency],
        )?;
        Ok(())
    }

    /// Every known carrier's currency (empty when it has no tariff yet).
    pub fn carrier_currencies(&self) -> Result<BTreeMap<i64, String>> {
        let mut stmt = self.connection().prepare("SELECT id, currency FROM carrier")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every known carrier: id → name.
    pub fn carrier_names(&self) -> Result<BTreeMap<i64, String>> {
        let mut stmt = self.connection().prepare("SELECT id, name FROM carrier")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The stored tariff book's files (name → content); empty when no
    /// tariff was imported.
    pub fn tariff_files(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut stmt =
            self.connection().prepare("SELECT name, content FROM tariff_file ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Replaces the stored tariff book's files, all at once (bumping the
    /// reference generation: see `settings`).
    pub fn replace_tariff_files(&mut self, files: &[(String, Vec<u8>)]) -> Result<()> {
        let tx = self.conn_mut().transaction()?;
        tx.execute("DELETE FROM tariff_file", [])?;
        for (name, content) in files {
            tx.execute(
                "INSERT INTO tariff_file(name, content) VALUES (?1, ?2)",
                params![name, content],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
