//! Moving a file whose records are all durable into `done/`, without ever
//! replacing a file already there: PBXs reuse names (a counter that wraps,
//! a fixed name written again each day), and what is in `done/` is the
//! administrator's record of what was received.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Names tried before giving up: `name`, then `name.1`, `name.2`, ….
const MAX_SUFFIX: u32 = 10_000;

/// Moves `path` into `done` under its name, or the first free suffixed
/// name; returns where it went.
///
/// Only this connector writes `done/`, so checking for a free name and
/// then renaming cannot race with another writer.
pub(crate) fn move_to_done(path: &Path, done: &Path, name: &OsStr) -> Result<PathBuf, String> {
    for n in 0..=MAX_SUFFIX {
        let target = if n == 0 {
            done.join(name)
        } else {
            let mut suffixed = name.to_os_string();
            suffixed.push(format!(".{n}"));
            done.join(suffixed)
        };
        match std::fs::symlink_metadata(&target) {
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", target.display())),
        }
        return std::fs::rename(path, &target)
            .map(|()| target)
            .map_err(|e| format!("cannot move {} to {}: {e}", path.display(), done.display()));
    }
    Err(format!(
        "cannot move {} to {}: {MAX_SUFFIX} files of that name already there",
        path.display(),
        done.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_already_in_done_gets_the_next_free_suffix() {
        let dir = tempfile::tempdir().unwrap();
        let done = dir.path().join("done");
        std::fs::create_dir(&done).unwrap();
        std::fs::write(done.join("cdr_1"), "old").unwrap();
        std::fs::write(done.join("cdr_1.1"), "older").unwrap();
        for (content, expected) in [("new", "cdr_1.2"), ("newer", "cdr_1.3")] {
            let path = dir.path().join("cdr_1");
            std::fs::write(&path, content).unwrap();
            let moved = move_to_done(&path, &done, OsStr::new("cdr_1")).unwrap();
            assert_eq!(moved, done.join(expected));
            assert_eq!(std::fs::read_to_string(&moved).unwrap(), content);
            assert!(!path.exists());
        }
        assert_eq!(std::fs::read_to_string(done.join("cdr_1")).unwrap(), "old");
    }
}
