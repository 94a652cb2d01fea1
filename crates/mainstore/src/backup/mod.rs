//! Backup and restore of the main database.
//!
//! A backup is a consistent logical export taken while servers write
//! ([`MainStore::export`]: one snapshot, rows streamed) into a SQLite file
//! of its own format (see the `file` module). As with the embedded store's
//! backups, it is written under `FILE.partial`, checked (the rows of each
//! table equal what the snapshot counted and what the meta says; `PRAGMA
//! integrity_check`), synced and only then renamed, so a file with the
//! backup's name is always a whole backup; an existing file is never
//! overwritten.
//!
//! A restore ([`restore`]) writes the file's rows back through the
//! idempotent [`MainStore::write`], in batches: calls the database holds
//! already are counted, not stored twice, so restoring into a database
//! that lost some calls stores only those, and restoring twice changes
//! nothing. The file may come from the other engine.

mod file;
mod restore;

use crate::export::Snapshot;
use crate::{Error, MainStore};
use std::path::{Path, PathBuf};

pub use file::{APPLICATION_ID, Counts, FORMAT, FORMAT_VERSION, Meta, is_main_backup};
pub use restore::{Restored, restore};

/// An error of a backup or restore: the main database's, or the file's.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Database(#[from] Error),
    #[error("{0}")]
    File(String),
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackedUp {
    pub meta: Meta,
    /// Size of the file.
    pub bytes: u64,
}

/// Writes a consistent export of the main database `store` to `to`,
/// which must not exist.
pub fn backup(store: &mut MainStore, to: &Path) -> Result<BackedUp, BackupError> {
    if to.exists() {
        return Err(BackupError::File(format!("{} already exists; not overwritten", to.display())));
    }
    let partial = with_suffix(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    let meta = write_checked(store, &partial).inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })?;
    if to.exists() {
        let _ = std::fs::remove_file(&partial);
        return Err(BackupError::File(format!("{} already exists; not overwritten", to.display())));
    }
    std::fs::rename(&partial, to).map_err(|e| {
        BackupError::File(format!("cannot rename {} to {}: {e}", partial.display(), to.display()))
    })?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename itself, durable (best effort: not every system can
        // sync a directory).
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    Ok(BackedUp { meta, bytes })
}

/// Exports into `partial`, checks it and syncs it.
fn write_checked(store: &mut MainStore, partial: &Path) -> Result<Meta, BackupError> {
    let taken_at = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
        .map_or_else(|_| String::new(), |t| t.to_string());
    let mut writer = file::Writer::create(partial)?;
    let snapshot = store.export(&mut writer)?;
    let written = writer.counts;
    if written != counts(&snapshot) {
        let held = counts(&snapshot);
        return Err(BackupError::File(format!(
            "{}: the snapshot held {} calls, {} quarantined records and {} journal positions, \
             the export wrote {}, {} and {}",
            store.target(),
            held.calls,
            held.quarantined,
            held.positions,
            written.calls,
            written.quarantined,
            written.positions
        )));
    }
    let meta = Meta {
        format_version: FORMAT_VERSION,
        engine: store.engine().to_owned(),
        database: store.target().to_owned(),
        schema_version: i64::from(snapshot.schema_version),
        taken_at,
        calls: written.calls,
        quarantined: written.quarantined,
        positions: written.positions,
    };
    writer.finish(&meta)?;
    let (_, checked) = file::open_checked(partial)?;
    std::fs::File::open(partial).and_then(|f| f.sync_all()).map_err(|e| {
        BackupError::File(format!("{}: cannot sync the backup: {e}", partial.display()))
    })?;
    Ok(checked)
}

/// Checks the backup file `path` whole (see [`restore`]) and returns its
/// meta.
pub fn check(path: &Path) -> Result<Meta, BackupError> {
    file::open_checked(path).map(|(_, meta)| meta)
}

fn counts(s: &Snapshot) -> Counts {
    Counts { calls: s.calls, quarantined: s.quarantined, positions: s.positions }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
