//! One server per data directory: the store has one writer, and the raw
//! journal is repaired at open (torn tails cut), which must never happen
//! under a running server's feet. The server, `replay` and `restore` hold
//! an exclusive lock on `<data>/server.lock` while they run; the lock goes
//! with the process, however it ends.

use rustix::fs::{FlockOperation, flock};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

/// Held while the data directory is in use.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Takes the lock on `data_dir` for `what` (written in the lock file, so
/// the next one to try can say who holds it).
pub fn lock_data_dir(data_dir: &Path, what: &str) -> Result<DataDirLock, String> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let path = data_dir.join("server.lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    if flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        let holder = holder.trim();
        return Err(format!(
            "{} is in use ({}); stop it first",
            data_dir.display(),
            if holder.is_empty() { "by another process" } else { holder }
        ));
    }
    let held = format!("{what}, process {}", std::process::id());
    let written =
        file.set_len(0).and_then(|()| file.rewind()).and_then(|()| file.write_all(held.as_bytes()));
    written.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(DataDirLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock_data_dir(dir.path(), "bluewhale serve").unwrap();
        let refused = lock_data_dir(dir.path(), "bluewhale replay").unwrap_err();
        assert!(refused.contains("in use (bluewhale serve, process"), "{refused}");
        drop(held);
        lock_data_dir(dir.path(), "bluewhale replay").unwrap();
    }
}
