//! A prepared statement driven through the C API, for the one hot loop
//! that rusqlite's safe binding slows down: values are bound without
//! copying (`SQLITE_STATIC`), which is sound only because every method
//! that binds also steps and resets before it returns, so SQLite never
//! reads a bound pointer after the borrow it came from ends.

use crate::{Error, Result};
use rusqlite::{Connection, ffi};
use std::ffi::{CStr, CString, c_int};
use std::marker::PhantomData;

pub(crate) struct RawStatement<'c> {
    db: *mut ffi::sqlite3,
    stmt: *mut ffi::sqlite3_stmt,
    _conn: PhantomData<&'c Connection>,
}

/// The error SQLite reported on `db`, as a store error.
fn last_error(db: *mut ffi::sqlite3, code: c_int) -> Error {
    // SAFETY: `db` is a live connection; the message is copied at once.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }.to_string_lossy().into_owned();
    Error::Sql(rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some(message)))
}

impl<'c> RawStatement<'c> {
    pub(crate) fn prepare(conn: &'c Connection, sql: &str) -> Result<Self> {
        let sql = CString::new(sql).map_err(|_| Error::Invalid("NUL in SQL".into()))?;
        // SAFETY: the handle stays valid for 'c, the lifetime of this value.
        let db = unsafe { conn.handle() };
        let mut stmt = std::ptr::null_mut();
        // SAFETY: valid connection, NUL-terminated SQL, out pointer.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                db,
                sql.as_ptr(),
                -1,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK || stmt.is_null() {
            return Err(last_error(db, rc));
        }
        Ok(RawStatement { db, stmt, _conn: PhantomData })
    }

    /// Runs the statement with the parameters `bind` sets, then resets it.
    /// Returns the number of rows changed. Bound values borrow for `'d`,
    /// which the caller picks and so outlives this call: every pointer
    /// bound without copying is valid while SQLite reads it.
    pub(crate) fn execute<'d>(&mut self, bind: impl FnOnce(&mut Binder<'d>)) -> Result<u64> {
        let mut binder = Binder { stmt: self.stmt, failed: ffi::SQLITE_OK, _data: PhantomData };
        bind(&mut binder);
        let failed = binder.failed;
        // SAFETY: `stmt` is a live prepared statement of `db`; every bound
        // pointer is borrowed by the caller for the duration of this call.
        unsafe {
            // Bindings are cleared on every way out, so a borrowed pointer
            // can never be read by a later execution that forgot to bind.
            if failed != ffi::SQLITE_OK {
                ffi::sqlite3_reset(self.stmt);
                ffi::sqlite3_clear_bindings(self.stmt);
                return Err(last_error(self.db, failed));
            }
            let rc = ffi::sqlite3_step(self.stmt);
            if rc != ffi::SQLITE_DONE {
                let e = last_error(self.db, ffi::sqlite3_reset(self.stmt));
                ffi::sqlite3_clear_bindings(self.stmt);
                return Err(e);
            }
            ffi::sqlite3_reset(self.stmt);
            ffi::sqlite3_clear_bindings(self.stmt);
            Ok(ffi::sqlite3_changes64(self.db) as u64)
        }
    }
}

impl Drop for RawStatement<'_> {
    fn drop(&mut self) {
        // SAFETY: finalized once; the connection outlives 'c.
        unsafe { ffi::sqlite3_finalize(self.stmt) };
    }
}

/// Binds the parameters of one execution (1-based, as SQL numbers them).
pub(crate) struct Binder<'d> {
    stmt: *mut ffi::sqlite3_stmt,
    failed: c_int,
    _data: PhantomData<&'d [u8]>,
}

impl<'d> Binder<'d> {
    fn check(&mut self, rc: c_int) {
        if rc != ffi::SQLITE_OK && self.failed == ffi::SQLITE_OK {
            self.failed = rc;
        }
    }

    pub(crate) fn int(&mut self, i: c_int, v: i64) {
        // SAFETY: live statement.
        let rc = unsafe { ffi::sqlite3_bind_int64(self.stmt, i, v) };
        self.check(rc);
    }

    pub(crate) fn opt_int(&mut self, i: c_int, v: Option<i64>) {
        // SAFETY: live statement.
        let rc = unsafe {
            match v {
                Some(v) => ffi::sqlite3_bind_int64(self.stmt, i, v),
                None => ffi::sqlite3_bind_null(self.stmt, i),
            }
        };
        self.check(rc);
    }

    pub(crate) fn null(&mut self, i: c_int) {
        // SAFETY: live statement.
        let rc = unsafe { ffi::sqlite3_bind_null(self.stmt, i) };
        self.check(rc);
    }

    /// Text, NULL when empty; not copied (see the module comment).
    pub(crate) fn text_or_null(&mut self, i: c_int, v: &'d str) {
        if v.is_empty() { self.null(i) } else { self.text(i, v) }
    }

    /// Text, empty as empty text (not NULL); not copied (see the module
    /// comment).
    pub(crate) fn text(&mut self, i: c_int, v: &'d str) {
        let Ok(len) = c_int::try_from(v.len()) else {
            self.check(ffi::SQLITE_TOOBIG);
            return;
        };
        // SAFETY: live statement; `v` outlives the step (see `execute`).
        let rc = unsafe {
            ffi::sqlite3_bind_text(self.stmt, i, v.as_ptr().cast(), len, ffi::SQLITE_STATIC())
        };
        self.check(rc);
    }

    /// A blob, not copied (see the module comment).
    pub(crate) fn blob(&mut self, i: c_int, v: &'d [u8]) {
        let Ok(len) = c_int::try_from(v.len()) else {
            self.check(ffi::SQLITE_TOOBIG);
            return;
        };
        // SAFETY: live statement; `v` outlives the step (see `execute`).
        let rc = unsafe {
            ffi::sqlite3_bind_blob(self.stmt, i, v.as_ptr().cast(), len, ffi::SQLITE_STATIC())
        };
        self.check(rc);
    }
}
