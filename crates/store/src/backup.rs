//! Backup and restore of the embedded store.
//!
//! A backup is taken while the server runs: `VACUUM INTO` copies the
//! database as one read transaction sees it (a consistent snapshot in WAL
//! mode), without stopping writers and without starting over when they
//! commit, as the page-by-page backup API would under steady writes. It
//! is written under a temporary name and renamed once checked, so a file
//! with the backup's name is always a whole backup.
//!
//! A restore replaces the database of a stopped server; the database it
//! replaces is kept aside, not deleted. Everything the store knows is in
//! the one file: calls, quarantine, directory, tariffs, and how far the
//! server had read each PBX's raw journal, so a server started on a
//! restored store reads again what the journal still holds from after the
//! backup, and deduplication stores only what is missing.

use crate::{Error, Result, database_path, migrate};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// What a backup or restore copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub calls: u64,
    pub bytes: u64,
    /// Restore: where the database it replaced was put.
    pub kept_aside: Option<PathBuf>,
}

fn invalid(message: String) -> Error {
    Error::Invalid(message)
}

/// Writes a consistent copy of the store in `data_dir` to `to`, which
/// must not exist.
pub fn backup(data_dir: &Path, to: &Path) -> Result<Copied> {
    if to.exists() {
        return Err(invalid(format!("{} already exists; not overwritten", to.display())));
    }
    let database = database_path(data_dir);
    if !database.exists() {
        return Err(invalid(format!("no store in {}", data_dir.display())));
    }
    let partial = with_suffix(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    let source = Connection::open_with_flags(&database, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|source| Error::Open { path: database.display().to_string(), source })?;
    source.busy_timeout(std::time::Duration::from_secs(30))?;
    let target = partial.to_str().ok_or_else(|| {
        invalid(format!("{}: only UTF-8 paths can be written to", partial.display()))
    })?;
    source.execute("VACUUM INTO ?1", [target]).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        invalid(format!("cannot write the backup to {}: {e}", to.display()))
    })?;
    let copied = check(&partial).inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })?;
    std::fs::rename(&partial, to).map_err(|e| {
        invalid(format!("cannot rename {} to {}: {e}", partial.display(), to.display()))
    })?;
    Ok(copied)
}

/// Replaces the store in `data_dir` (whose server is stopped) with the
/// backup `from`; the database replaced is renamed aside.
pub fn restore(data_dir: &Path, from: &Path) -> Result<Copied> {
    let mut copied = check(from)?;
    std::fs::create_dir_all(data_dir)
        .map_err(|e| invalid(format!("cannot create {}: {e}", data_dir.display())))?;
    let database = database_path(data_dir);
    let incoming = with_suffix(&database, ".restoring");
    std::fs::copy(from, &incoming)
        .and_then(|_| std::fs::File::open(&incoming)?.sync_all())
        .map_err(|e| {
            invalid(format!("cannot copy {} into {}: {e}", from.display(), data_dir.display()))
        })?;
    if database.exists() {
        let stamp = jiff::Timestamp::now().as_second();
        let aside = with_suffix(&database, &format!(".before-restore-{stamp}"));
        // The WAL goes with its database: the pair is the database.
        for suffix in ["", "-wal", "-shm"] {
            let (from, to) = (with_suffix(&database, suffix), with_suffix(&aside, suffix));
            if from.exists() {
                std::fs::rename(&from, &to)
                    .map_err(|e| invalid(format!("cannot move {} aside: {e}", from.display())))?;
            }
        }
        copied.kept_aside = Some(aside);
    }
    std::fs::rename(&incoming, &database)
        .map_err(|e| invalid(format!("cannot put the restored database in place: {e}")))?;
    Ok(copied)
}

/// Checks that `path` is a whole bluewhale store this program can open;
/// returns its calls and size.
fn check(path: &Path) -> Result<Copied> {
    let named =
        |e: rusqlite::Error| invalid(format!("{}: not a bluewhale store: {e}", path.display()));
    if !path.is_file() {
        return Err(invalid(format!("{}: no such file", path.display())));
    }
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(named)?;
    let verdict: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(named)?;
    if verdict != "ok" {
        return Err(invalid(format!("{}: damaged: {verdict}", path.display())));
    }
    let version = migrate::version(&conn)?;
    if version == 0 || version > migrate::known() {
        return Err(invalid(format!(
            "{}: not a bluewhale store this version can read (schema {version})",
            path.display()
        )));
    }
    let calls: i64 = conn.query_row("SELECT count(*) FROM cdr", [], |r| r.get(0)).map_err(named)?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(Copied { calls: calls as u64, bytes, kept_aside: None })
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn store_with_setting(dir: &Path, value: &str) {
        let store = Store::open(dir).unwrap();
        store.set_setting("test.marker", value).unwrap();
    }

    fn setting(dir: &Path) -> Option<String> {
        Store::open(dir).unwrap().setting("test.marker").unwrap()
    }

    #[test]
    fn a_backup_restores_what_was_there_and_keeps_the_replaced_store_aside() {
        let (a, b, files) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        store_with_setting(a.path(), "from a");
        let file = files.path().join("a.backup");
        let copied = backup(a.path(), &file).unwrap();
        assert_eq!(copied.calls, 0);
        assert!(copied.bytes > 0);
        // Never overwritten.
        let again = backup(a.path(), &file).unwrap_err().to_string();
        assert!(again.contains("already exists"), "{again}");
        store_with_setting(b.path(), "from b");
        let restored = restore(b.path(), &file).unwrap();
        assert_eq!(setting(b.path()).as_deref(), Some("from a"));
        let aside = restored.kept_aside.unwrap();
        let kept = Connection::open(&aside).unwrap();
        let marker: String = kept
            .query_row("SELECT value FROM setting WHERE key = 'test.marker'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(marker, "from b");
    }

    #[test]
    fn what_is_not_a_whole_store_is_refused_and_changes_nothing() {
        let (dir, files) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        store_with_setting(dir.path(), "kept");
        let junk = files.path().join("junk");
        std::fs::write(&junk, b"not a database at all").unwrap();
        let cases =
            [(junk, "not a bluewhale store"), (files.path().join("missing"), "no such file")];
        for (path, expected) in cases {
            let error = restore(dir.path(), &path).unwrap_err().to_string();
            assert!(error.contains(expected), "{error}");
            assert_eq!(setting(dir.path()).as_deref(), Some("kept"));
        }
        let empty = files.path().join("empty.sqlite");
        Connection::open(&empty).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
        let error = restore(dir.path(), &empty).unwrap_err().to_string();
        assert!(error.contains("schema 0"), "{error}");
    }
}
