//! Accounts of the console and the API, their login sessions and API
//! tokens, and the audit log. Only hashes of secrets are stored: the
//! password's argon2id PHC string, the SHA-256 of session cookies and API
//! tokens (the callers compute them; this module never sees a secret).
//!
//! `foreign_keys` is off for the bulk writers' sake, so deleting an account
//! deletes its sessions, tokens and department links here, explicitly.

use crate::{Error, Result, Store};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// What an account may do (the API's role matrix decides per endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Everything.
    Admin,
    /// Configuration, but not accounts.
    Operator,
    /// Reads everything, runs reports.
    Finance,
    /// The calls and reports of its departments (subtrees included).
    Manager,
    /// The calls of its own extensions.
    User,
}

impl Role {
    pub const ALL: [Role; 5] =
        [Role::Admin, Role::Operator, Role::Finance, Role::Manager, Role::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Finance => "finance",
            Role::Manager => "manager",
            Role::User => "user",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// An account as stored (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Role `user`: whose extensions.
    pub person_id: Option<i64>,
    /// Role `manager`: which departments (each with its subtree).
    pub department_ids: Vec<i64>,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub cert_subject: Option<String>,
    pub created_at: i64,
    pub password_changed_at: i64,
}

/// A new account, or the new state of one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFields {
    pub username: String,
    pub display_name: String,
    pub role: Option<Role>,
    pub person_id: Option<i64>,
    pub department_ids: Vec<i64>,
    pub disabled: bool,
    pub cert_subject: Option<String>,
}

/// A login session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub account_id: i64,
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// An API token as listed (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// One change, as the audit log keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    /// What was done, `entity.verb` (`account.create`).
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    /// The entity before and after, as JSON; None where it did not exist.
    pub before: Option<String>,
    pub after: Option<String>,
    pub peer: Option<String>,
}

/// Which audit entries to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub actor: Option<String>,
    pub entity: Option<String>,
    /// Entries older than this id (paging).
    pub before_id: Option<i64>,
    pub limit: u32,
}

const ACCOUNT_COLUMNS: &str = "id, username, display_name, role, person_id, disabled, \
    failed_logins, locked_until, cert_subject, created_at, password_changed_at";

fn account_row(r: &Row) -> rusqlite::Result<Account> {
    let role: String = r.get(3)?;
    Ok(Account {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::User),
        person_id: r.get(4)?,
        department_ids: Vec::new(),
        disabled: r.get::<_, i64>(5)? != 0,
        failed_logins: r.get(6)?,
        locked_until: r.get(7)?,
        cert_subject: r.get(8)?,
        created_at: r.get(9)?,
        password_changed_at: r.get(10)?,
    })
}

fn with_departments(conn: &Connection, mut account: Account) -> Result<Account> {
    let mut stmt = conn.prepare_cached(
        "SELECT department_id FROM account_department WHERE account_id = ?1 ORDER BY department_id",
    )?;
    account.department_ids =
        stmt.query_map([account.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(account)
}

fn one_account(
    conn: &Connection,
    filter: &str,
    value: &dyn rusqlite::ToSql,
) -> Result<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM account WHERE {filter}");
    match conn.query_row(&sql, [value], account_row).optional()? {
        Some(a) => Ok(Some(with_departments(conn, a)?)),
        None => Ok(None),
    }
}

fn check_fields(f: &AccountFields) -> Result<Role> {
    let name = f.username.trim();
    if name.is_empty()
        || name.len() > 64
        || name.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Error::Invalid(format!(
            "username {:?}: 1 to 64 characters, no spaces or control characters",
            f.username
        )));
    }
    let role = f.role.ok_or_else(|| Error::Invalid("an account needs a role".into()))?;
    if role == Role::Manager && f.department_ids.is_empty() {
        return Err(Error::Invalid("a manager account needs at least one department".into()));
    }
    if role == Role::User && f.person_id.is_none() {
        return Err(Error::Invalid(
            "a user account needs the directory user whose calls it sees (person_id)".into(),
        ));
    }
    Ok(role)
}

fn set_departments(conn: &Connection, account_id: i64, ids: &[i64]) -> Result<()> {
    conn.execute("DELETE FROM account_department WHERE account_id = ?1", [account_id])?;
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO account_department VALUES (?1, ?2)")?;
    let mut known = conn.prepare_cached("SELECT 1 FROM department WHERE id = ?1")?;
    for &id in ids {
        if !known.exists([id])? {
            return Err(Error::Invalid(format!("unknown department id {id}")));
        }
        insert.execute([account_id, id])?;
    }
    Ok(())
}

fn check_person(conn: &Connection, person_id: Option<i64>) -> Result<()> {
    if let Some(id) = person_id
        && !conn.prepare_cached("SELECT 1 FROM person WHERE id = ?1")?.exists([id])?
    {
        return Err(Error::Invalid(format!("unknown directory user id {id}")));
    }
    Ok(())
}

fn unique(e: rusqlite::Error, what: &str) -> Error {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            Error::Conflict(format!("{what} is already taken"))
        }
        _ => e.into(),
    }
}

/// Account writes, on a connection inside the caller's transaction (see
/// [`Store::audited`]).
pub struct AccountWriter<'c>(&'c Connection);

impl AccountWriter<'_> {
    pub fn create(&self, f: &AccountFields, password_hash: &str, now: i64) -> Result<i64> {
        let role = check_fields(f)?;
        check_person(self.0, f.person_id)?;
        self.0
            .execute(
                "INSERT INTO account (username, display_name, role, password_hash, person_id,
                 disabled, cert_subject, created_at, password_changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                params![
                    f.username.trim(),
                    f.display_name,
                    role.as_str(),
                    password_hash,
                    f.person_id,
                    f.disabled,
                    f.cert_subject,
                    now
                ],
            )
            .map_err(|e| {
                unique(e, &format!("username {:?} or its certificate subject", f.username))
            })?;
        let id = self.0.last_insert_rowid();
        set_departments(self.0, id, &f.department_ids)?;
        Ok(id)
    }

    /// Replaces an account's fields (not its password); false if none.
    pub fn update(&self, id: i64, f: &AccountFields) -> Result<bool> {
        let role = check_fields(f)?;
        check_person(self.0, f.person_id)?;
        let changed = self
            .0
            .execute(
                "UPDATE account SET username = ?2, display_name = ?3, role = ?4, person_id = ?5,
                 disabled = ?6, cert_subject = ?7 WHERE id = ?1",
                params![
                    id,
                    f.username.trim(),
                    f.display_name,
                    role.as_str(),
                    f.person_id,
                    f.disabled,
                    f.cert_subject
                ],
            )
            .map_err(|e| {
                unique(e, &format!("username {:?} or its certificate subject", f.username))
            })?;
        if changed == 0 {
            return Ok(false);
        }
        set_departments(self.0, id, &f.department_ids)?;
        if f.disabled {
            self.0.execute("DELETE FROM login_session WHERE account_id = ?1", [id])?;
        }
        Ok(true)
    }

    /// Deletes an account with its sessions, tokens and departments.
    pub fn delete(&self, id: i64) -> Result<bool> {
        for table in ["login_session", "api_token", "account_department"] {
            self.0.execute(&format!("DELETE FROM {table} WHERE account_id = ?1"), [id])?;
        }
        Ok(self.0.execute("DELETE FROM account WHERE id = ?1", [id])? > 0)
    }

    /// Sets a new password hash; every session of the account ends
    /// except `keep_session` (the one that changed it).
    pub fn set_password(
        &self,
        id: i64,
        hash: &str,
        now: i64,
        keep_session: Option<&[u8]>,
    ) -> Result<bool> {
        let changed = self.0.execute(
            "UPDATE account SET password_hash = ?2, password_changed_at = ?3,
             failed_logins = 0, locked_until = NULL WHERE id = ?1",
            params![id, hash, now],
        )?;
        self.0.execute(
            "DELETE FROM login_session WHERE account_id = ?1 AND token_hash IS NOT ?2",
            params![id, keep_session],
        )?;
        Ok(changed > 0)
    }

    pub fn create_token(
        &self,
        account_id: i64,
        name: &str,
        token_hash: &[u8],
        prefix: &str,
        now: i64,
        expires_at: Option<i64>,
    ) -> Result<i64> {
        if name.trim().is_empty() {
            return Err(Error::Invalid("a token needs a name".into()));
        }
        self.0.execute(
            "INSERT INTO api_token (account_id, name, token_hash, prefix, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![account_id, name.trim(), token_hash, prefix, now, expires_at],
        )?;
        Ok(self.0.last_insert_rowid())
    }

    /// Deletes a token of `account_id` (any account's with None).
    pub fn delete_token(&self, id: i64, account_id: Option<i64>) -> Result<bool> {
        Ok(self.0.execute(
            "DELETE FROM api_token WHERE id = ?1 AND (?2 IS NULL OR account_id = ?2)",
            params![id, account_id],
        )? > 0)
    }
}

impl Store {
    /// Runs `change` and records `entry` in the audit log in one
    /// transaction: a change is never kept without its audit entry, nor
    /// the entry without the change. `change` may fill in the entry (the
    /// id of what it created, the state after).
    pub fn audited<T>(
        &self,
        mut entry: AuditEntry,
        change: impl FnOnce(&AccountWriter<'_>, &Connection, &mut AuditEntry) -> Result<T>,
    ) -> Result<T> {
        let conn = self.connection();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let done = change(&AccountWriter(conn), conn, &mut entry).and_then(|value| {
            conn.execute(
                "INSERT INTO audit (at, actor, action, entity, entity_id, before, after, peer)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    entry.at,
                    entry.actor,
                    entry.action,
                    entry.entity,
                    entry.entity_id,
                    entry.before,
                    entry.after,
                    entry.peer
                ],
            )?;
            conn.execute_batch("COMMIT")?;
            Ok(value)
        });
        if done.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        done
    }

    pub fn account_count(&self) -> Result<i64> {
        Ok(self.connection().query_row("SELECT count(*) FROM account", [], |r| r.get(0))?)
    }

    pub fn account(&self, id: i64) -> Result<Option<Account>> {
        one_account(self.connection(), "id = ?1", &id)
    }

    pub fn account_by_username(&self, username: &str) -> Result<Option<Account>> {
        one_account(self.connection(), "username = ?1", &username.trim())
    }

    pub fn account_by_cert_subject(&self, subject: &str) -> Result<Option<Account>> {
        one_account(self.connection(), "cert_subject = ?1", &subject)
    }

    /// The account's password hash (PHC string).
    pub fn password_hash(&self, account_id: i64) -> Result<Option<String>> {
        Ok(self
            .connection()
            .query_row("SELECT password_hash FROM account WHERE id = ?1", [account_id], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        let conn = self.connection();
        let mut stmt =
            conn.prepare(&format!("SELECT {ACCOUNT_COLUMNS} FROM account ORDER BY username"))?;
        let accounts: Vec<Account> =
            stmt.query_map([], account_row)?.collect::<rusqlite::Result<_>>()?;
        accounts.into_iter().map(|a| with_departments(conn, a)).collect()
    }

    /// Counts a failed sign-in; locks the account for `lock_for_s` once
    /// `lock_after` failures in a row are reached. Returns the lock's end
    /// if it is locked now.
    pub fn record_failed_login(
        &self,
        account_id: i64,
        now: i64,
        lock_after: i64,
        lock_for_s: i64,
    ) -> Result<Option<i64>> {
        let conn = self.connection();
        conn.execute(
            "UPDATE account SET failed_logins = failed_logins + 1,
             locked_until = CASE WHEN failed_logins + 1 >= ?2 THEN ?3 ELSE locked_until END
             WHERE id = ?1",
            params![account_id, lock_after, now + lock_for_s],
        )?;
        let until: Option<i64> = conn
            .query_row("SELECT locked_until FROM account WHERE id = ?1", [account_id], |r| r.get(0))
            .optional()?
            .flatten();
        Ok(until.filter(|&t| t > now))
    }

    /// A successful sign-in clears the failure count and any lock.
    pub fn record_successful_login(&self, account_id: i64) -> Result<()> {
        self.connection().execute(
            "UPDATE account SET failed_logins = 0, locked_until = NULL WHERE id = ?1",
            [account_id],
        )?;
        Ok(())
    }

    pub fn create_session(
        &self,
        token_hash: &[u8],
        account_id: i64,
        csrf: &str,
        now: i64,
        expires_at: i64,
        peer: Option<&str>,
    ) -> Result<()> {
        let conn = self.connection();
        // Expired sessions go when new ones come: the table stays small.
        conn.execute("DELETE FROM login_session WHERE expires_at <= ?1", [now])?;
        conn.execute(
            "INSERT INTO login_session (token_hash, account_id, csrf, created_at, expires_at, peer)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![token_hash, account_id, csrf, now, expires_at, peer],
        )?;
        Ok(())
    }

    /// The live session with this cookie hash.
    pub fn session(&self, token_hash: &[u8], now: i64) -> Result<Option<Session>> {
        Ok(self
            .connection()
            .prepare_cached(
                "SELECT account_id, csrf, created_at, expires_at FROM login_session
                 WHERE token_hash = ?1 AND expires_at > ?2",
            )?
            .query_row(params![token_hash, now], |r| {
                Ok(Session {
                    account_id: r.get(0)?,
                    csrf: r.get(1)?,
                    created_at: r.get(2)?,
                    expires_at: r.get(3)?,
                })
            })
            .optional()?)
    }

    pub fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        self.connection()
            .execute("DELETE FROM login_session WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    /// The live token with this hash: (token id, account id). Marks it used.
    pub fn use_token(&self, token_hash: &[u8], now: i64) -> Result<Option<(i64, i64)>> {
        let conn = self.connection();
        let found: Option<(i64, i64, Option<i64>)> = conn
            .prepare_cached(
                "SELECT id, account_id, last_used_at FROM api_token
                 WHERE token_hash = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
            )?
            .query_row(params![token_hash, now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((id, account, last_used)) = found else { return Ok(None) };
        // Once a minute at most: a busy integration must not write per request.
        if last_used.is_none_or(|t| now - t >= 60) {
            conn.execute("UPDATE api_token SET last_used_at = ?2 WHERE id = ?1", params![id, now])?;
        }
        Ok(Some((id, account)))
    }

    pub fn tokens(&self, account_id: Option<i64>) -> Result<Vec<ApiToken>> {
        let conn = self.connection();
        let mut stmt = conn.prepare(
            "SELECT id, account_id, name, prefix, created_at, expires_at, last_used_at
             FROM api_token WHERE ?1 IS NULL OR account_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([account_id], |r| {
            Ok(ApiToken {
                id: r.get(0)?,
                account_id: r.get(1)?,
                name: r.get(2)?,
                prefix: r.get(3)?,
                created_at: r.get(4)?,
                expires_at: r.get(5)?,
                last_used_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let conn = self.connection();
        let mut stmt = conn.prepare(
            "SELECT id, at, actor, action, entity, entity_id, before, after, peer FROM audit
             WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2)
               AND (?3 IS NULL OR actor = ?3) AND (?4 IS NULL OR entity = ?4)
               AND (?5 IS NULL OR id < ?5)
             ORDER BY id DESC LIMIT ?6",
        )?;
        let rows = stmt.query_map(
            params![q.from, q.to, q.actor, q.entity, q.before_id, q.limit.max(1)],
            |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    entity: r.get(4)?,
                    entity_id: r.get(5)?,
                    before: r.get(6)?,
                    after: r.get(7)?,
                    peer: r.get(8)?,
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ids of `department_ids` and every department under them.
    pub fn department_subtrees(&self, department_ids: &[i64]) -> Result<Vec<i64>> {
        let conn = self.connection();
        let mut ids = Vec::new();
        let mut stmt = conn.prepare_cached(
            "SELECT d.id FROM department d, department top WHERE top.id = ?1
             AND (d.id = top.id OR substr(d.path, 1, length(top.path) + 1) = top.path || '\\')",
        )?;
        for &top in department_ids {
            for id in stmt.query_map([top], |r| r.get(0))? {
                ids.push(id?);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Ids of the extension periods with this number (at any site).
    pub fn extension_ids_of_number(&self, number: &str) -> Result<Vec<i64>> {
        let mut stmt = self
            .connection()
            .prepare_cached("SELECT id FROM extension WHERE number = ?1 ORDER BY id")?;
        let ids = stmt.query_map([number.trim()], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    /// Ids of the extensions (every validity period) of a directory user.
    pub fn extensions_of_person(&self, person_id: i64) -> Result<Vec<i64>> {
        let mut stmt = self
            .connection()
            .prepare_cached("SELECT id FROM extension WHERE person_id = ?1 ORDER BY id")?;
        let ids = stmt.query_map([person_id], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    fn entry(action: &str) -> AuditEntry {
        AuditEntry {
            at: 100,
            actor: "admin".into(),
            action: action.into(),
            entity: "account".into(),
            ..Default::default()
        }
    }

    fn fields(username: &str, role: Role) -> AccountFields {
        AccountFields { username: username.into(), role: Some(role), ..Default::default() }
    }

    fn create(store: &Store, f: &AccountFields) -> Result<i64> {
        store.audited(entry("account.create"), |w, _, e| {
            let id = w.create(f, "$argon2id$fake", 100)?;
            e.entity_id = Some(id.to_string());
            Ok(id)
        })
    }

    #[test]
    fn an_account_is_created_with_its_audit_entry_and_found_by_name_in_any_case() {
        let (_d, store) = store();
        let id = create(&store, &fields("Alice", Role::Finance)).unwrap();
        let a = store.account_by_username("alice").unwrap().unwrap();
        assert_eq!((a.id, a.role, a.username.as_str()), (id, Role::Finance, "Alice"));
        assert_eq!(store.password_hash(id).unwrap().as_deref(), Some("$argon2id$fake"));
        let log = store.audit_entries(&AuditQuery { limit: 10, ..Default::default() }).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].entity_id.as_deref(), Some(id.to_string().as_str()));
        let err = create(&store, &fields("ALICE", Role::User)).unwrap_err();
        assert!(err.to_string().contains("needs the directory user"), "{err}");
        let err = create(&store, &fields("ALICE", Role::Admin)).unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err}");
        // The failed creations left no audit entry.
        let log = store.audit_entries(&AuditQuery { limit: 10, ..Default::default() }).unwrap();
        assert_eq!(log.len(), 1);
    }

    #[test]
    fn a_manager_needs_known_departments_and_sees_their_subtrees() {
        let (_d, store) = store();
        let conn = store.connection();
        conn.execute_batch(
            "INSERT INTO department (id, parent_id, name, path) VALUES
               (1, NULL, 'Company', 'Company'), (2, 1, 'Sales', 'Company\\Sales'),
               (3, 2, 'EMEA', 'Company\\Sales\\EMEA'), (4, 1, 'Salesforce', 'Company\\Salesforce');",
        )
        .unwrap();
        let mut f = fields("boss", Role::Manager);
        assert!(create(&store, &f).is_err());
        f.department_ids = vec![9];
        assert!(create(&store, &f).unwrap_err().to_string().contains("unknown department id 9"));
        f.department_ids = vec![2];
        let id = create(&store, &f).unwrap();
        assert_eq!(store.account(id).unwrap().unwrap().department_ids, vec![2]);
        // "Company\Salesforce" shares a prefix with "Company\Sales" but is not under it.
        assert_eq!(store.department_subtrees(&[2]).unwrap(), vec![2, 3]);
        assert_eq!(store.department_subtrees(&[1]).unwrap(), vec![1, 2, 3, 4]);
    }

    #[test]
    fn failed_logins_lock_the_account_and_a_success_clears_them() {
        let (_d, store) = store();
        let id = create(&store, &fields("bob", Role::Admin)).unwrap();
        for _ in 0..4 {
            assert_eq!(store.record_failed_login(id, 1000, 5, 900).unwrap(), None);
        }
        assert_eq!(store.record_failed_login(id, 1000, 5, 900).unwrap(), Some(1900));
        assert_eq!(store.account(id).unwrap().unwrap().locked_until, Some(1900));
        store.record_successful_login(id).unwrap();
        let a = store.account(id).unwrap().unwrap();
        assert_eq!((a.failed_logins, a.locked_until), (0, None));
    }

    #[test]
    fn sessions_expire_and_end_with_a_password_change_except_the_changing_one() {
        let (_d, store) = store();
        let id = create(&store, &fields("carol", Role::Operator)).unwrap();
        store.create_session(b"one", id, "c1", 100, 200, Some("1.2.3.4")).unwrap();
        store.create_session(b"two", id, "c2", 100, 300, None).unwrap();
        assert_eq!(store.session(b"one", 150).unwrap().unwrap().csrf, "c1");
        assert!(store.session(b"one", 200).unwrap().is_none(), "expired at 200");
        store
            .audited(entry("account.password"), |w, _, _| {
                w.set_password(id, "new", 150, Some(b"two"))
            })
            .unwrap();
        assert!(store.session(b"one", 150).unwrap().is_none());
        assert!(store.session(b"two", 150).unwrap().is_some());
        store.delete_session(b"two").unwrap();
        assert!(store.session(b"two", 150).unwrap().is_none());
    }

    #[test]
    fn tokens_are_found_by_hash_until_they_expire_or_go_with_their_account() {
        let (_d, store) = store();
        let id = create(&store, &fields("dave", Role::Finance)).unwrap();
        let token = store
            .audited(entry("token.create"), |w, _, _| {
                w.create_token(id, "erp", b"hash", "bw_abcd", 100, Some(1000))
            })
            .unwrap();
        assert_eq!(store.use_token(b"hash", 500).unwrap(), Some((token, id)));
        assert_eq!(store.tokens(Some(id)).unwrap()[0].last_used_at, Some(500));
        assert_eq!(store.use_token(b"hash", 1000).unwrap(), None, "expired");
        store.audited(entry("account.delete"), |w, _, _| w.delete(id)).unwrap();
        assert!(store.tokens(None).unwrap().is_empty());
        assert!(store.account(id).unwrap().is_none());
    }
}
