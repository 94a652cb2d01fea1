//! Editing the directory one entity at a time (the API's directory
//! endpoints; loading whole files is `directory`). Writes run on the
//! connection [`Store::audited`] hands its change, so a change and its
//! audit entry commit together or not at all.
//!
//! Each change bumps the reference generation with it (see `settings`),
//! and is made as one even on a connection in no transaction.
//!
//! Stored calls are never touched here: a call keeps the extension,
//! department and site it was attributed to until it is re-rated. That is
//! why an entity stored calls refer to cannot be deleted, and why a number
//! changes owner by a new validity period rather than by rewriting the one
//! its earlier calls fall in.

use crate::settings::writing_reference;
use crate::{Error, Result, Store};
use directory::{Department, Extension, Pbx, Site, Trunk, User, department_levels};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// Reads and writes of single directory entities on one connection.
pub struct DirectoryEdit<'c>(&'c Connection);

impl Store {
    /// Single directory entities, read on this store's connection.
    pub fn directory_edit(&self) -> DirectoryEdit<'_> {
        DirectoryEdit(self.connection())
    }
}

/// Names (up to this many) shown of what still refers to an entity.
const NAMES_SHOWN: usize = 3;

fn site_row(r: &Row) -> rusqlite::Result<Site> {
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
}

fn pbx_row(r: &Row) -> rusqlite::Result<Pbx> {
    Ok(Pbx {
        id: r.get(0)?,
        name: r.get(1)?,
        format: r.get(2)?,
        site_id: r.get(3)?,
        time_zone: r.get::<_, Option<String>>(4)?.filter(|z| !z.is_empty()),
    })
}

fn trunk_row(r: &Row) -> rusqlite::Result<Trunk> {
    Ok(Trunk {
        id: r.get(0)?,
        pbx_id: r.get(1)?,
        code: r.get(2)?,
        name: r.get(3)?,
        carrier: r.get(4)?,
    })
}

fn department_row(r: &Row) -> rusqlite::Result<Department> {
    Ok(Department { id: r.get(0)?, parent_id: r.get(1)?, name: r.get(2)?, path: r.get(3)? })
}

fn user_row(r: &Row) -> rusqlite::Result<User> {
    Ok(User { id: r.get(0)?, key: r.get(1)?, name: r.get(2)?, department_id: r.get(3)? })
}

fn extension_row(r: &Row) -> rusqlite::Result<Extension> {
    Ok(Extension {
        id: r.get(0)?,
        site_id: r.get(1)?,
        number: r.get(2)?,
        user_id: r.get(3)?,
        department_id: r.get(4)?,
        valid_from: r.get(5)?,
        valid_to: r.get(6)?,
    })
}

const SITE: &str =
    "SELECT id, name, time_zone, country_code, area_code, carrier, reference_carrier,
    holidays FROM site WHERE id = ?1";
const PBX: &str = "SELECT id, name, format, site_id, time_zone FROM pbx WHERE id = ?1";
const TRUNK: &str = "SELECT id, pbx_id, code, name, carrier FROM trunk WHERE id = ?1";
const DEPARTMENT: &str = "SELECT id, parent_id, name, path FROM department WHERE id = ?1";
const USER: &str = "SELECT id, key, name, department_id FROM person WHERE id = ?1";
const EXTENSION: &str = "SELECT id, site_id, number, person_id, department_id, valid_from, valid_to
    FROM extension";

/// `value` trimmed, or an error naming `field` when nothing is left.
fn required(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::Invalid(format!("{field}: must not be empty")));
    }
    Ok(value.to_string())
}

fn known_zone(field: &str, zone: &str) -> Result<()> {
    jiff::tz::TimeZone::get(zone)
        .map(|_| ())
        .map_err(|_| Error::Invalid(format!("{field}: unknown time zone {zone:?}")))
}

/// A unique key already in use, said as such.
fn unique(e: rusqlite::Error, what: impl FnOnce() -> String) -> Error {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            Error::Conflict(format!("{} already exists", what()))
        }
        _ => e.into(),
    }
}

/// What still refers to an entity, gathered before a delete.
struct Referrers<'c> {
    conn: &'c Connection,
    id: i64,
    found: Vec<String>,
}

impl Referrers<'_> {
    /// Rows of `from` (a table and a condition on `?1`), counted, with the
    /// first names `name` gives.
    fn rows(&mut self, what: &str, from: &str, name: &str) -> Result<()> {
        let count: i64 =
            self.conn
                .query_row(&format!("SELECT count(*) FROM {from}"), [self.id], |r| r.get(0))?;
        if count == 0 {
            return Ok(());
        }
        let names: Vec<String> = self
            .conn
            .prepare(&format!("SELECT {name} FROM {from} ORDER BY 1 LIMIT {NAMES_SHOWN}"))?
            .query_map([self.id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let more = if count as usize > names.len() { ", …" } else { "" };
        self.found.push(format!("{what}: {count} ({}{more})", names.join(", ")));
        Ok(())
    }

    /// Stored calls of an owner, read from the month rollup and the day
    /// rows not folded into it yet: a few index reads, never the calls.
    fn calls(&mut self, owner_column: &str) -> Result<()> {
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM rollup_month WHERE {owner_column} = ?1)
                 OR EXISTS (SELECT 1 FROM cdr_owner WHERE {owner_column} = ?1
                            AND seq > (SELECT months_seq FROM cdr_owner_seq WHERE id = 1))"
        );
        if self.conn.query_row(&sql, [self.id], |r| r.get::<_, bool>(0))? {
            self.found.push("stored calls".into());
        }
        Ok(())
    }

    fn refuse(self, subject: impl FnOnce() -> String) -> Result<()> {
        if self.found.is_empty() {
            return Ok(());
        }
        Err(Error::Conflict(format!(
            "{} is still referred to by {}",
            subject(),
            self.found.join("; ")
        )))
    }
}

impl<'c> DirectoryEdit<'c> {
    /// On the connection of a transaction (the one [`Store::audited`]
    /// hands its change).
    pub fn on(conn: &'c Connection) -> DirectoryEdit<'c> {
        DirectoryEdit(conn)
    }

    fn one<T>(&self, sql: &str, id: i64, f: fn(&Row) -> rusqlite::Result<T>) -> Result<Option<T>> {
        Ok(self.0.query_row(sql, [id], f).optional()?)
    }

    fn exists(&self, table: &str, id: i64) -> Result<bool> {
        Ok(self.0.prepare_cached(&format!("SELECT 1 FROM {table} WHERE id = ?1"))?.exists([id])?)
    }

    /// Err naming `field` unless `id` (when given) is a row of `table`.
    fn known(&self, field: &str, table: &str, what: &str, id: Option<i64>) -> Result<()> {
        match id {
            Some(id) if !self.exists(table, id)? => {
                Err(Error::Invalid(format!("{field}: no {what} {id}")))
            }
            _ => Ok(()),
        }
    }

    fn referrers(&self, id: i64) -> Referrers<'c> {
        Referrers { conn: self.0, id, found: Vec::new() }
    }

    pub fn site(&self, id: i64) -> Result<Option<Site>> {
        self.one(SITE, id, site_row)
    }

    pub fn pbx(&self, id: i64) -> Result<Option<Pbx>> {
        self.one(PBX, id, pbx_row)
    }

    pub fn trunk(&self, id: i64) -> Result<Option<Trunk>> {
        self.one(TRUNK, id, trunk_row)
    }

    pub fn department(&self, id: i64) -> Result<Option<Department>> {
        self.one(DEPARTMENT, id, department_row)
    }

    pub fn user(&self, id: i64) -> Result<Option<User>> {
        self.one(USER, id, user_row)
    }

    pub fn extension(&self, id: i64) -> Result<Option<Extension>> {
        self.one(&format!("{EXTENSION} WHERE id = ?1"), id, extension_row)
    }

    /// Every period of `number` (at any site), oldest first.
    pub fn extension_periods(&self, number: &str) -> Result<Vec<Extension>> {
        let mut stmt =
            self.0.prepare(&format!("{EXTENSION} WHERE number = ?1 ORDER BY valid_from, id"))?;
        let rows = stmt.query_map([number.trim()], extension_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // Sites ------------------------------------------------------------

    fn checked_site(&self, s: &Site) -> Result<Site> {
        known_zone("time_zone", &s.time_zone)?;
        Ok(Site {
            name: required("name", &s.name)?,
            time_zone: s.time_zone.trim().to_string(),
            country_code: s.country_code.trim().to_string(),
            area_code: s.area_code.trim().to_string(),
            carrier: s.carrier.trim().to_string(),
            reference_carrier: s.reference_carrier.trim().to_string(),
            holidays: s.holidays.trim().to_string(),
            ..s.clone()
        })
    }

    /// Adds a site (`s.id` is ignored); returns its id.
    pub fn create_site(&self, s: &Site) -> Result<i64> {
        writing_reference(self.0, || {
            let s = self.checked_site(s)?;
            self.0
                .execute(
                    "INSERT INTO site (name, time_zone, country_code, area_code, carrier,
                 reference_carrier, holidays) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        s.name,
                        s.time_zone,
                        s.country_code,
                        s.area_code,
                        s.carrier,
                        s.reference_carrier,
                        s.holidays
                    ],
                )
                .map_err(|e| unique(e, || format!("a site named {:?}", s.name)))?;
            Ok(self.0.last_insert_rowid())
        })
    }

    /// Replaces a site's fields; false when there is no site `id`.
    pub fn update_site(&self, id: i64, s: &Site) -> Result<bool> {
        writing_reference(self.0, || {
            let s = self.checked_site(s)?;
            let n = self
                .0
                .execute(
                    "UPDATE site SET name = ?2, time_zone = ?3, country_code = ?4, area_code = ?5,
                 carrier = ?6, reference_carrier = ?7, holidays = ?8 WHERE id = ?1",
                    params![
                        id,
                        s.name,
                        s.time_zone,
                        s.country_code,
                        s.area_code,
                        s.carrier,
                        s.reference_carrier,
                        s.holidays
                    ],
                )
                .map_err(|e| unique(e, || format!("a site named {:?}", s.name)))?;
            Ok(n > 0)
        })
    }

    /// Deletes a site no PBX or extension names (Conflict otherwise);
    /// false when there is no site `id`.
    pub fn delete_site(&self, id: i64) -> Result<bool> {
        writing_reference(self.0, || {
            let Some(site) = self.site(id)? else { return Ok(false) };
            let mut refs = self.referrers(id);
            refs.rows("PBXs", "pbx WHERE site_id = ?1", "name")?;
            refs.rows("extension periods", "extension WHERE site_id = ?1", "number")?;
            refs.refuse(|| format!("site {id} ({})", site.name))?;
            Ok(self.0.execute("DELETE FROM site WHERE id = ?1", [id])? > 0)
        })
    }

    // PBXs -------------------------------------------------------------

    fn checked_pbx(&self, p: &Pbx) -> Result<Pbx> {
        self.known("site_id", "site", "site", p.site_id)?;
        let time_zone = p.time_zone.as_deref().map(str::trim).filter(|z| !z.is_empty());
        if let Some(zone) = time_zone {
            known_zone("time_zone", zone)?;
        }
        Ok(Pbx {
            id: p.id,
            name: required("name", &p.name)?,
            format: required("format", &p.format)?,
            site_id: p.site_id,
            time_zone: time_zone.map(str::to_string),
        })
    }

    /// Adds a PBX (`p.id` is ignored); returns its id.
    pub fn create_pbx(&self, p: &Pbx) -> Result<i64> {
        writing_reference(self.0, || {
            let p = self.checked_pbx(p)?;
            self.0
                .execute(
                    "INSERT INTO pbx (name, format, site_id, time_zone) VALUES (?1, ?2, ?3, ?4)",
                    params![p.name, p.format, p.site_id, p.time_zone],
                )
                .map_err(|e| unique(e, || format!("a PBX named {:?}", p.name)))?;
            Ok(self.0.last_insert_rowid())
        })
    }

    pub fn update_pbx(&self, id: i64, p: &Pbx) -> Result<bool> {
        writing_reference(self.0, || {
            let p = self.checked_pbx(p)?;
            let n = self
            .0
            .execute(
                "UPDATE pbx SET name = ?2, format = ?3, site_id = ?4, time_zone = ?5 WHERE id = ?1",
                params![id, p.name, p.format, p.site_id, p.time_zone],
            )
            .map_err(|e| unique(e, || format!("a PBX named {:?}", p.name)))?;
            Ok(n > 0)
        })
    }

    /// Whether any stored call came from PBX `id`. Calls have no index by
    /// PBX, so this reads the calls until it finds one (all of them when
    /// there is none): run it outside a write transaction, where it holds
    /// up no writer.
    pub fn pbx_has_calls(&self, id: i64) -> Result<bool> {
        Ok(self
            .0
            .query_row("SELECT EXISTS (SELECT 1 FROM cdr WHERE pbx_id = ?1)", [id], |r| r.get(0))?)
    }

    /// Deletes a PBX without trunks (Conflict otherwise; see
    /// [`DirectoryEdit::pbx_has_calls`] for its calls).
    pub fn delete_pbx(&self, id: i64) -> Result<bool> {
        writing_reference(self.0, || {
            let Some(pbx) = self.pbx(id)? else { return Ok(false) };
            let mut refs = self.referrers(id);
            refs.rows("trunks", "trunk WHERE pbx_id = ?1", "code")?;
            refs.refuse(|| format!("PBX {id} ({})", pbx.name))?;
            Ok(self.0.execute("DELETE FROM pbx WHERE id = ?1", [id])? > 0)
        })
    }

    // Trunks -----------------------------------------------------------

    fn checked_trunk(&self, t: &Trunk) -> Result<Trunk> {
        self.known("pbx_id", "pbx", "PBX", Some(t.pbx_id))?;
        Ok(Trunk {
            id: t.id,
            pbx_id: t.pbx_id,
            code: required("code", &t.code)?,
            name: t.name.trim().to_string(),
            carrier: t.carrier.trim().to_string(),
        })
    }

    /// Adds a trunk (`t.id` is ignored); returns its id.
    pub fn create_trunk(&self, t: &Trunk) -> Result<i64> {
        writing_reference(self.0, || {
            let t = self.checked_trunk(t)?;
            self.0
                .execute(
                    "INSERT INTO trunk (pbx_id, code, name, carrier) VALUES (?1, ?2, ?3, ?4)",
                    params![t.pbx_id, t.code, t.name, t.carrier],
                )
                .map_err(|e| unique(e, || format!("trunk {:?} of PBX {}", t.code, t.pbx_id)))?;
            Ok(self.0.last_insert_rowid())
        })
    }

    pub fn update_trunk(&self, id: i64, t: &Trunk) -> Result<bool> {
        writing_reference(self.0, || {
            let t = self.checked_trunk(t)?;
            let n = self
            .0
            .execute(
                "UPDATE trunk SET pbx_id = ?2, code = ?3, name = ?4, carrier = ?5 WHERE id = ?1",
                params![id, t.pbx_id, t.code, t.name, t.carrier],
            )
            .map_err(|e| unique(e, || format!("trunk {:?} of PBX {}", t.code, t.pbx_id)))?;
            Ok(n > 0)
        })
    }

    /// Deletes a trunk. Calls that used it keep its id; re-rating them
    /// finds no trunk and takes the site's carrier.
    pub fn delete_trunk(&self, id: i64) -> Result<bool> {
        writing_reference(self.0, || {
            Ok(self.0.execute("DELETE FROM trunk WHERE id = ?1", [id])? > 0)
        })
    }

    // Departments ------------------------------------------------------

    /// The path of a department named `name` under `parent_id`.
    fn department_path(&self, parent_id: Option<i64>, name: &str) -> Result<(String, String)> {
        let name = required("name", name)?;
        if department_levels(&name) != [name.as_str()] {
            return Err(Error::Invalid(format!(
                "name: {name:?} is one level of a path: no \\ or / in it"
            )));
        }
        let path = match parent_id {
            None => name.clone(),
            Some(parent) => {
                let parent = self
                    .department(parent)?
                    .ok_or_else(|| Error::Invalid(format!("parent_id: no department {parent}")))?;
                format!("{}\\{name}", parent.path)
            }
        };
        Ok((name, path))
    }

    /// Adds a department named `name` under `parent_id` (at the top when
    /// None); returns its id.
    pub fn create_department(&self, parent_id: Option<i64>, name: &str) -> Result<i64> {
        writing_reference(self.0, || {
            let (name, path) = self.department_path(parent_id, name)?;
            self.0
                .execute(
                    "INSERT INTO department (parent_id, name, path) VALUES (?1, ?2, ?3)",
                    params![parent_id, name, path],
                )
                .map_err(|e| unique(e, || format!("department {path:?}")))?;
            Ok(self.0.last_insert_rowid())
        })
    }

    /// Renames a department and/or moves it under another parent; the
    /// paths of every department below it follow. False when there is no
    /// department `id`.
    pub fn update_department(&self, id: i64, parent_id: Option<i64>, name: &str) -> Result<bool> {
        writing_reference(self.0, || {
            let Some(current) = self.department(id)? else { return Ok(false) };
            let (name, path) = self.department_path(parent_id, name)?;
            let below = format!("{}\\", current.path);
            // Only a parent in its own subtree (or itself) puts it below itself.
            if path.starts_with(&below) {
                return Err(Error::Invalid(format!(
                    "parent_id: department {id} cannot move under itself or a department below it"
                )));
            }
            let taken = || format!("department {path:?}");
            self.0
                .execute(
                    "UPDATE department SET parent_id = ?2, name = ?3, path = ?4 WHERE id = ?1",
                    params![id, parent_id, name, path],
                )
                .map_err(|e| unique(e, taken))?;
            self.0
                .execute(
                    "UPDATE department SET path = ?2 || substr(path, length(?1) + 1)
                 WHERE substr(path, 1, length(?1)) = ?1",
                    params![below, format!("{path}\\")],
                )
                .map_err(|e| unique(e, taken))?;
            Ok(true)
        })
    }

    /// Deletes a department nothing refers to: no department below it, no
    /// user, extension period or manager account, no stored call
    /// (Conflict naming them otherwise).
    pub fn delete_department(&self, id: i64) -> Result<bool> {
        writing_reference(self.0, || {
            let Some(department) = self.department(id)? else { return Ok(false) };
            let mut refs = self.referrers(id);
            refs.rows("departments below it", "department WHERE parent_id = ?1", "path")?;
            refs.rows("users", "person WHERE department_id = ?1", "key")?;
            refs.rows("extension periods", "extension WHERE department_id = ?1", "number")?;
            refs.rows(
            "manager accounts",
            "account WHERE id IN (SELECT account_id FROM account_department WHERE department_id = ?1)",
            "username",
        )?;
            refs.calls("department_id")?;
            refs.refuse(|| format!("department {id} ({})", department.path))?;
            Ok(self.0.execute("DELETE FROM department WHERE id = ?1", [id])? > 0)
        })
    }

    // Users ------------------------------------------------------------

    fn checked_user(&self, u: &User) -> Result<User> {
        self.known("department_id", "department", "department", u.department_id)?;
        Ok(User {
            id: u.id,
            key: required("key", &u.key)?,
            name: required("name", &u.name)?,
            department_id: u.department_id,
        })
    }

    /// Adds a user (a person; `u.id` is ignored); returns its id.
    pub fn create_user(&self, u: &User) -> Result<i64> {
        writing_reference(self.0, || {
            let u = self.checked_user(u)?;
            self.0
                .execute(
                    "INSERT INTO person (key, name, department_id) VALUES (?1, ?2, ?3)",
                    params![u.key, u.name, u.department_id],
                )
                .map_err(|e| unique(e, || format!("a user with key {:?}", u.key)))?;
            Ok(self.0.last_insert_rowid())
        })
    }

    pub fn update_user(&self, id: i64, u: &User) -> Result<bool> {
        writing_reference(self.0, || {
            let u = self.checked_user(u)?;
            let n = self
                .0
                .execute(
                    "UPDATE person SET key = ?2, name = ?3, department_id = ?4 WHERE id = ?1",
                    params![id, u.key, u.name, u.department_id],
                )
                .map_err(|e| unique(e, || format!("a user with key {:?}", u.key)))?;
            Ok(n > 0)
        })
    }

    /// Deletes a user no extension period or account refers to.
    pub fn delete_user(&self, id: i64) -> Result<bool> {
        writing_reference(self.0, || {
            let Some(user) = self.user(id)? else { return Ok(false) };
            let mut refs = self.referrers(id);
            refs.rows("extension periods", "extension WHERE person_id = ?1", "number")?;
            refs.rows("accounts", "account WHERE person_id = ?1", "username")?;
            refs.refuse(|| format!("user {id} ({})", user.key))?;
            Ok(self.0.execute("DELETE FROM person WHERE id = ?1", [id])? > 0)
        })
    }

    // Extensions -------------------------------------------------------

    /// `e` checked, with its department defaulting to its user's (as in
    /// the directory file), and no other period of the number at the site
    /// (other than `except`) overlapping it.
    fn checked_extension(&self, e: &Extension, except: Option<i64>) -> Result<Extension> {
        let number = required("number", &e.number)?;
        self.known("site_id", "site", "site", e.site_id)?;
        let user = match e.user_id {
            Some(id) => Some(
                self.user(id)?.ok_or_else(|| Error::Invalid(format!("user_id: no user {id}")))?,
            ),
            None => None,
        };
        self.known("department_id", "department", "department", e.department_id)?;
        let department_id = e.department_id.or(user.and_then(|u| u.department_id));
        if let Some(to) = e.valid_to
            && to <= e.valid_from
        {
            return Err(Error::Invalid("valid_to: must be after valid_from".into()));
        }
        let overlapping: Option<(i64, i64, Option<i64>)> = self
            .0
            .query_row(
                "SELECT id, valid_from, valid_to FROM extension
                 WHERE site_key = ?1 AND number = ?2 AND id != ?3
                   AND (valid_to IS NULL OR valid_to > ?4) AND (?5 IS NULL OR valid_from < ?5)
                 ORDER BY valid_from LIMIT 1",
                params![
                    e.site_id.unwrap_or(0),
                    number,
                    except.unwrap_or(0),
                    e.valid_from,
                    e.valid_to
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if let Some((other, from, to)) = overlapping {
            let end = to.map_or("open".to_string(), |t| t.to_string());
            return Err(Error::Conflict(format!(
                "number {number:?} at this site already has period {other} (from {from} to {end}, \
                 epoch seconds) overlapping this one"
            )));
        }
        Ok(Extension { number, department_id, ..e.clone() })
    }

    /// Adds an extension period (`e.id` is ignored); returns its id.
    pub fn create_extension(&self, e: &Extension) -> Result<i64> {
        writing_reference(self.0, || {
            let e = self.checked_extension(e, None)?;
            self.0.execute(
                "INSERT INTO extension (site_id, number, person_id, department_id, valid_from,
             valid_to, site_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    e.site_id,
                    e.number,
                    e.user_id,
                    e.department_id,
                    e.valid_from,
                    e.valid_to,
                    e.site_id.unwrap_or(0)
                ],
            )?;
            Ok(self.0.last_insert_rowid())
        })
    }

    /// Rewrites period `id` in place: calls already stored in it keep
    /// their attribution until re-rated, and then follow the new values.
    pub fn update_extension(&self, id: i64, e: &Extension) -> Result<bool> {
        writing_reference(self.0, || {
            let e = self.checked_extension(e, Some(id))?;
            let n = self.0.execute(
            "UPDATE extension SET site_id = ?2, number = ?3, person_id = ?4, department_id = ?5,
             valid_from = ?6, valid_to = ?7, site_key = ?8 WHERE id = ?1",
            params![
                id,
                e.site_id,
                e.number,
                e.user_id,
                e.department_id,
                e.valid_from,
                e.valid_to,
                e.site_id.unwrap_or(0)
            ],
        )?;
            Ok(n > 0)
        })
    }

    /// Hands the number of period `id` to another owner from `from` on:
    /// the period ends at `from`, and a new one (same number and site,
    /// owned by `user_id` / `department_id`, until `valid_to`) starts
    /// there, so calls before `from` stay with the old owner even when
    /// re-rated. Returns the new period's id; None when there is no `id`.
    pub fn reassign_extension(
        &self,
        id: i64,
        from: i64,
        user_id: Option<i64>,
        department_id: Option<i64>,
        valid_to: Option<i64>,
    ) -> Result<Option<i64>> {
        writing_reference(self.0, || {
            let Some(current) = self.extension(id)? else { return Ok(None) };
            if from <= current.valid_from || current.valid_to.is_some_and(|to| from >= to) {
                return Err(Error::Invalid(format!(
                    "owner_from: must fall inside period {id} (after its start, before its end)"
                )));
            }
            self.0.execute("UPDATE extension SET valid_to = ?2 WHERE id = ?1", [id, from])?;
            let next =
                Extension { id: 0, user_id, department_id, valid_from: from, valid_to, ..current };
            self.create_extension(&next).map(Some)
        })
    }

    /// Deletes an extension period no stored call belongs to (Conflict
    /// otherwise: end it with `valid_to` instead).
    pub fn delete_extension(&self, id: i64) -> Result<bool> {
        writing_reference(self.0, || {
            let Some(extension) = self.extension(id)? else { return Ok(false) };
            let mut refs = self.referrers(id);
            refs.calls("extension_id")?;
            refs.refuse(|| {
                format!(
                    "extension period {id} ({}; end it with valid_to instead)",
                    extension.number
                )
            })?;
            Ok(self.0.execute("DELETE FROM extension WHERE id = ?1", [id])? > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::AuditEntry;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    fn change<T>(store: &Store, f: impl FnOnce(&DirectoryEdit<'_>) -> Result<T>) -> Result<T> {
        store.audited(AuditEntry::default(), |_, conn, _| f(&DirectoryEdit::on(conn)))
    }

    fn paths(store: &Store) -> Vec<String> {
        let mut paths: Vec<String> =
            store.directory().unwrap().departments.into_iter().map(|d| d.path).collect();
        paths.sort();
        paths
    }

    #[test]
    fn a_renamed_or_moved_department_takes_its_subtree_along() {
        let (_d, store) = store();
        let (company, sales, emea, other) = change(&store, |d| {
            let company = d.create_department(None, "Company")?;
            let sales = d.create_department(Some(company), "Sales")?;
            let emea = d.create_department(Some(sales), "EMEA")?;
            let other = d.create_department(Some(company), "Salesforce")?;
            Ok((company, sales, emea, other))
        })
        .unwrap();
        change(&store, |d| d.update_department(sales, Some(company), "Sales & Marketing")).unwrap();
        assert_eq!(
            paths(&store),
            [
                r"Company",
                r"Company\Sales & Marketing",
                r"Company\Sales & Marketing\EMEA",
                r"Company\Salesforce"
            ]
        );
        change(&store, |d| d.update_department(sales, Some(other), "Sales")).unwrap();
        assert_eq!(
            store.directory_edit().department(emea).unwrap().unwrap().path,
            r"Company\Salesforce\Sales\EMEA"
        );
        let err = change(&store, |d| d.update_department(sales, Some(emea), "Sales")).unwrap_err();
        assert!(err.to_string().contains("below it"), "{err}");
        let err = change(&store, |d| d.update_department(emea, Some(company), "Salesforce"));
        assert!(matches!(err.unwrap_err(), Error::Conflict(_)), "the path is taken");
        assert_eq!(store.directory_edit().department(emea).unwrap().unwrap().name, "EMEA");
        let err = change(&store, |d| d.create_department(None, r"A\B")).unwrap_err();
        assert!(err.to_string().starts_with("name: "), "{err}");
    }

    #[test]
    fn periods_of_a_number_do_not_overlap_and_a_new_owner_starts_a_new_period() {
        let (_d, store) = store();
        let ext = |from: i64, to: Option<i64>, user: Option<i64>| Extension {
            id: 0,
            site_id: None,
            number: "1001".into(),
            user_id: user,
            department_id: None,
            valid_from: from,
            valid_to: to,
        };
        let (ann, bob) = change(&store, |d| {
            let dept = d.create_department(None, "Company")?;
            let u = |key: &str| User {
                id: 0,
                key: key.into(),
                name: key.into(),
                department_id: Some(dept),
            };
            Ok((d.create_user(&u("ann"))?, d.create_user(&u("bob"))?))
        })
        .unwrap();
        let first = change(&store, |d| d.create_extension(&ext(0, None, Some(ann)))).unwrap();
        let err = change(&store, |d| d.create_extension(&ext(100, None, Some(bob)))).unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err}");
        let second =
            change(&store, |d| d.reassign_extension(first, 1000, Some(bob), None, None)).unwrap();
        let edit = store.directory_edit();
        let periods = edit.extension_periods("1001").unwrap();
        assert_eq!(periods.len(), 2);
        assert_eq!(
            (periods[0].id, periods[0].valid_to, periods[0].user_id),
            (first, Some(1000), Some(ann))
        );
        assert_eq!(
            (Some(periods[1].id), periods[1].valid_from, periods[1].user_id),
            (second, 1000, Some(bob))
        );
        // The department defaults to the user's.
        assert!(periods[1].department_id.is_some());
        let err = change(&store, |d| d.reassign_extension(first, 1000, Some(bob), None, None));
        assert!(err.unwrap_err().to_string().starts_with("owner_from: "));
        let err = change(&store, |d| d.delete_user(ann)).unwrap_err();
        assert!(err.to_string().contains("extension periods: 1 (1001)"), "{err}");
    }
}
