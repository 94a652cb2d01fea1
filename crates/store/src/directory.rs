//! Persisting the directory. Loading is an upsert keyed by natural keys,
//! so loading the same file twice changes nothing (but the reference
//! generation, which every load bumps: see `settings`).

use crate::{Error, Result, Store};
use directory::{
    Department, Directory, DirectoryFile, Extension, ExtensionRow, OrganisationDef, PaidNumber,
    Pbx, Site, Trunk, User, department_levels, normalise_department_path, read_extensions_csv,
};
use rusqlite::{OptionalExtension, Transaction, params};
use std::collections::HashMap;
use std::path::Path;

/// What a directory load touched.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoadSummary {
    pub sites: u64,
    pub pbxs: u64,
    pub trunks: u64,
    pub departments: u64,
    pub users: u64,
    pub extensions: u64,
}

/// Name → id lookups kept for the length of one load.
struct Loader<'t, 'c> {
    tx: &'t Transaction<'c>,
    sites: HashMap<String, i64>,
    departments: HashMap<String, i64>,
    users: HashMap<String, (i64, Option<i64>)>,
}

impl Loader<'_, '_> {
    fn site(&mut self, name: &str) -> Result<i64> {
        if let Some(id) = self.sites.get(name) {
            return Ok(*id);
        }
        let id = self
            .tx
            .query_row("SELECT id FROM site WHERE name = ?1", [name], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::Invalid(format!("unknown site {name:?}")))?;
        self.sites.insert(name.to_string(), id);
        Ok(id)
    }

    /// The department at `path`, created with its parents if needed.
    fn department(&mut self, path: &str) -> Result<i64> {
        let path = normalise_department_path(path);
        if path.is_empty() {
            return Err(Error::Invalid("empty department path".into()));
        }
        if let Some(id) = self.departments.get(&path) {
            return Ok(*id);
        }
        let mut parent: Option<i64> = None;
        let mut so_far = String::new();
        for level in department_levels(&path) {
            if !so_far.is_empty() {
                so_far.push('\\');
            }
            so_far.push_str(level);
            if let Some(id) = self.departments.get(&so_far) {
                parent = Some(*id);
                continue;
            }
            self.tx.execute(
                "INSERT INTO department(parent_id, name, path) VALUES (?1, ?2, ?3)
                 ON CONFLICT(path) DO NOTHING",
                params![parent, level, so_far],
            )?;
            let id: i64 =
                self.tx.query_row("SELECT id FROM department WHERE path = ?1", [&so_far], |r| {
                    r.get(0)
                })?;
            self.departments.insert(so_far.clone(), id);
            parent = Some(id);
        }
        Ok(parent.expect("a non-empty path has a level"))
    }

    fn user(&mut self, key: &str) -> Result<(i64, Option<i64>)> {
        if let Some(u) = self.users.get(key) {
            return Ok(*u);
        }
        let u = self
            .tx
            .query_row("SELECT id, department_id FROM person WHERE key = ?1", [key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .ok_or_else(|| Error::Invalid(format!("unknown user {key:?}")))?;
        self.users.insert(key.to_string(), u);
        Ok(u)
    }

    fn extension(&mut self, e: &ExtensionRow) -> Result<()> {
        let site = e.site.as_deref().map(|s| self.site(s)).transpose()?;
        let user = e.user.as_deref().map(|u| self.user(u)).transpose()?;
        let department = match &e.department {
            Some(d) => Some(self.department(d)?),
            None => user.and_then(|(_, d)| d),
        };
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO extension(site_id, number, person_id, department_id, valid_from,
             valid_to, site_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(site_key, number, valid_from) DO UPDATE SET
             person_id = excluded.person_id, department_id = excluded.department_id,
             valid_to = excluded.valid_to",
        )?;
        stmt.execute(params![
            site,
            e.number,
            user.map(|u| u.0),
            department,
            e.valid_from,
            e.valid_to,
            site.unwrap_or(0)
        ])?;
        Ok(())
    }
}

/// Stores the `[organisation]` settings. The reporting zone decides which
/// local day and month every stored call is filed under, so it cannot
/// change once calls are stored.
fn organisation_settings(tx: &Transaction<'_>, org: &OrganisationDef) -> Result<()> {
    if let Some(zone) = &org.time_zone {
        jiff::tz::TimeZone::get(zone)
            .map_err(|_| Error::Invalid(format!("organisation: unknown time zone {zone:?}")))?;
        let current = crate::settings::get(tx, crate::settings::TIME_ZONE)?;
        if current.as_deref().unwrap_or("UTC") != zone {
            let calls: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM cdr)", [], |r| r.get(0))?;
            if calls {
                return Err(Error::Invalid(format!(
                    "organisation: the reporting time zone is {:?} and calls are stored under \
                     its days; it cannot become {zone:?}",
                    current.as_deref().unwrap_or("UTC")
                )));
            }
        }
        crate::settings::set(tx, crate::settings::TIME_ZONE, zone)?;
    }
    if let Some(carrier) = &org.carrier {
        crate::settings::set(tx, crate::settings::CARRIER, carrier)?;
    }
    if let Some(carrier) = &org.reference_carrier {
        crate::settings::set(tx, crate::settings::REFERENCE_CARRIER, carrier)?;
    }
    Ok(())
}

impl Store {
    /// Loads a directory file (and the extension CSVs it names, relative to
    /// `file_path`) in one transaction.
    pub fn load_directory(
        &mut self,
        file: &DirectoryFile,
        file_path: &Path,
    ) -> Result<LoadSummary> {
        let tx = self.conn.transaction()?;
        let mut sum = LoadSummary::default();
        let mut l = Loader {
            tx: &tx,
            sites: HashMap::new(),
            departments: HashMap::new(),
            users: HashMap::new(),
        };
        for s in &file.site {
            jiff::tz::TimeZone::get(&s.time_zone).map_err(|_| {
                Error::Invalid(format!("site {:?}: unknown time zone {:?}", s.name, s.time_zone))
            })?;
            tx.execute(
                "INSERT INTO site(name, time_zone, country_code, area_code, carrier,
                 reference_carrier, holidays) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(name) DO UPDATE SET time_zone = excluded.time_zone,
                 country_code = excluded.country_code, area_code = excluded.area_code,
                 carrier = excluded.carrier, reference_carrier = excluded.reference_carrier,
                 holidays = excluded.holidays",
                params![
                    s.name,
                    s.time_zone,
                    s.country_code,
                    s.area_code,
                    s.carrier,
                    s.reference_carrier,
                    s.holidays
                ],
            )?;
            sum.sites += 1;
        }
        for p in &file.pbx {
            let site = p.site.as_deref().map(|s| l.site(s)).transpose()?;
            if let Some(z) = &p.time_zone {
                jiff::tz::TimeZone::get(z).map_err(|_| {
                    Error::Invalid(format!("pbx {:?}: unknown time zone {z:?}", p.name))
                })?;
            }
            tx.execute(
                "INSERT INTO pbx(name, format, site_id, time_zone) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(name) DO UPDATE SET format = excluded.format,
                 site_id = excluded.site_id, time_zone = excluded.time_zone",
                params![p.name, p.format, site, p.time_zone],
            )?;
            sum.pbxs += 1;
        }
        for t in &file.trunk {
            let pbx: i64 = tx
                .query_row("SELECT id FROM pbx WHERE name = ?1", [&t.pbx], |r| r.get(0))
                .optional()?
                .ok_or_else(|| {
                    Error::Invalid(format!("trunk {:?}: unknown pbx {:?}", t.code, t.pbx))
                })?;
            tx.execute(
                "INSERT INTO trunk(pbx_id, code, name, carrier) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(pbx_id, code) DO UPDATE SET name = excluded.name,
                 carrier = excluded.carrier",
                params![pbx, t.code, t.name, t.carrier],
            )?;
            sum.trunks += 1;
        }
        for n in &file.paid_number {
            tx.execute(
                "INSERT INTO paid_number(number, carrier) VALUES (?1, ?2)
                 ON CONFLICT(number) DO UPDATE SET carrier = excluded.carrier",
                params![n.number, n.carrier],
            )?;
        }
        if let Some(org) = &file.organisation {
            organisation_settings(&tx, org)?;
        }
        for d in &file.department {
            l.department(&d.path)?;
            sum.departments += 1;
        }
        for u in &file.user {
            let dept = u.department.as_deref().map(|d| l.department(d)).transpose()?;
            tx.execute(
                "INSERT INTO person(key, name, department_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET name = excluded.name,
                 department_id = excluded.department_id",
                params![u.key, u.name, dept],
            )?;
            l.users.remove(&u.key);
            sum.users += 1;
        }
        for e in file.extension_rows(file_path).map_err(|e| Error::Invalid(e.to_string()))? {
            l.extension(&e)
                .map_err(|err| Error::Invalid(format!("extension {:?}: {err}", e.number)))?;
            sum.extensions += 1;
        }
        let base = file_path.parent().unwrap_or(Path::new("."));
        for csv in &file.extensions_csv {
            let path = base.join(csv);
            sum.extensions += read_extensions_csv(
                &path,
                |site| file.site_zone(site),
                |row| l.extension(&row).map_err(|e| e.to_string()),
            )
            .map_err(|e| Error::Invalid(e.to_string()))?;
        }
        drop(l);
        crate::settings::bump_reference_generation(&tx)?;
        tx.commit()?;
        Ok(sum)
    }

    /// Loads a bulk extension CSV on its own; dates are read in each
    /// extension's site zone as stored.
    pub fn load_extensions_csv(&mut self, path: &Path) -> Result<u64> {
        let zones: HashMap<String, String> = self
            .conn
            .prepare("SELECT name, time_zone FROM site")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let tx = self.conn.transaction()?;
        let mut l = Loader {
            tx: &tx,
            sites: HashMap::new(),
            departments: HashMap::new(),
            users: HashMap::new(),
        };
        let zone_of = |site: Option<&str>| {
            site.and_then(|s| zones.get(s))
                .and_then(|z| jiff::tz::TimeZone::get(z).ok())
                .unwrap_or(jiff::tz::TimeZone::UTC)
        };
        let n =
            read_extensions_csv(path, zone_of, |row| l.extension(&row).map_err(|e| e.to_string()))
                .map_err(|e| Error::Invalid(e.to_string()))?;
        drop(l);
        if n > 0 {
            crate::settings::bump_reference_generation(&tx)?;
        }
        tx.commit()?;
        Ok(n)
    }

    /// The PBX's id; a PBX not yet in the directory is added with `format`
    /// (a change of the reference data).
    pub fn ensure_pbx(&self, name: &str, format: &str) -> Result<i64> {
        crate::settings::writing_reference(&self.conn, || {
            self.conn.execute(
                "INSERT OR IGNORE INTO pbx(name, format) VALUES (?1, ?2)",
                params![name, format],
            )?;
            Ok(self.conn.query_row("SELECT id FROM pbx WHERE name = ?1", [name], |r| r.get(0))?)
        })
    }

    /// The whole directory.
    pub fn directory(&self) -> Result<Directory> {
        let c = &self.conn;
        let opt = |s: Option<String>| s.filter(|v| !v.is_empty());
        Ok(Directory {
            sites: c
                .prepare(
                    "SELECT id, name, time_zone, country_code, area_code, carrier,
                     reference_carrier, holidays FROM site",
                )?
                .query_map([], |r| {
                    Ok(Site {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        time_zone: r.get(2)?,
                        country_code: r.get(3)?,
                        area_code: r.get(4)?,
                        carrier: r.get(5)?,
                        reference_carrier: r.get(6)?,
                        holidays: r.get(7)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?,
            pbxs: c
                .prepare("SELECT id, name, format, site_id, time_zone FROM pbx")?
                .query_map([], |r| {
                    Ok(Pbx {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        format: r.get(2)?,
                        site_id: r.get(3)?,
                        time_zone: opt(r.get(4)?),
                    })
                })?
                .collect::<rusqlite::Result<_>>()?,
            trunks: c
                .prepare("SELECT id, pbx_id, code, name, carrier FROM trunk")?
                .query_map([], |r| {
                    Ok(Trunk {
                        id: r.get(0)?,
                        pbx_id: r.get(1)?,
                        code: r.get(2)?,
                        name: r.get(3)?,
                        carrier: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?,
            departments: c
                .prepare("SELECT id, parent_id, name, path FROM department")?
                .query_map([], |r| {
                    Ok(Department {
                        id: r.get(0)?,
                        parent_id: r.get(1)?,
                        name: r.get(2)?,
                        path: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?,
            users: c
                .prepare("SELECT id, key, name, department_id FROM person")?
                .query_map([], |r| {
                    Ok(User {
                        id: r.get(0)?,
                        key: r.get(1)?,
                        name: r.get(2)?,
                        department_id: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?,
            extensions: c
                .prepare(
                    "SELECT id, site_id, number, person_id, department_id, valid_from, valid_to
                     FROM extension",
                )?
                .query_map([], |r| {
                    Ok(Extension {
                        id: r.get(0)?,
                        site_id: r.get(1)?,
                        number: r.get(2)?,
                        user_id: r.get(3)?,
                        department_id: r.get(4)?,
                        valid_from: r.get(5)?,
                        valid_to: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?,
            paid_numbers: c
                .prepare("SELECT number, carrier FROM paid_number ORDER BY number")?
                .query_map([], |r| Ok(PaidNumber { number: r.get(0)?, carrier: r.get(1)? }))?
                .collect::<rusqlite::Result<_>>()?,
        })
    }

    /// Ids of the department at `path` and of every department below it.
    pub fn department_subtree(&self, path: &str) -> Result<Vec<i64>> {
        let path = normalise_department_path(path);
        let mut stmt = self.conn.prepare(
            "SELECT id FROM department WHERE path = ?1 OR substr(path, 1, length(?1) + 1) = ?1 || '\\'",
        )?;
        let ids = stmt.query_map([&path], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
        if ids.is_empty() {
            return Err(Error::Invalid(format!("unknown department {path:?}")));
        }
        Ok(ids)
    }

    /// Ids of every period of extension `number` (at any site).
    pub fn extension_ids(&self, number: &str) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare("SELECT id FROM extension WHERE number = ?1")?;
        Ok(stmt.query_map([number], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }
}
