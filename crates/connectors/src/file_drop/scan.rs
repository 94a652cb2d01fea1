//! Which files of the drop directory are ready to read: regular files
//! whose name matches the pattern, not dotted (temporary names of uploads
//! in progress, the connector's own state), whose size and modification
//! time have not changed for the settle time. A PBX or an FTP upload
//! writes a file over seconds or minutes; reading it before it is whole
//! would cut a record in two.
//!
//! Settling is observed, not read off the modification time against the
//! clock: uploads may set an old time on a file still being written, and
//! the writer's clock need not be ours.

use super::progress::Identity;
use glob::{MatchOptions, Pattern};
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// A file seen in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub name: OsString,
    pub path: PathBuf,
    pub size: u64,
    pub mtime: SystemTime,
}

impl Candidate {
    pub fn identity(&self) -> Identity {
        Identity::new(self.name.to_string_lossy().into_owned(), self.size, self.mtime)
    }
}

const MATCH: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: true,
};

/// Whether a file name is one to read.
pub(crate) fn wanted(name: &str, pattern: Option<&Pattern>) -> bool {
    !name.starts_with('.') && pattern.is_none_or(|p| p.matches_with(name, MATCH))
}

/// The directory's files that may be read, in no order. Entries that
/// vanish while being listed are skipped.
pub(crate) fn list(dir: &Path, pattern: Option<&Pattern>) -> Result<Vec<Candidate>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = entry.file_name();
        if !wanted(&name.to_string_lossy(), pattern) {
            continue;
        }
        let path = entry.path();
        // Follows links: a link to a file is read like the file.
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if !meta.is_file() {
            continue;
        }
        let Ok(mtime) = meta.modified() else { continue };
        found.push(Candidate { name, path, size: meta.len(), mtime });
    }
    Ok(found)
}

/// What each file looked like when last seen changing.
#[derive(Debug)]
pub(crate) struct Settling {
    settle: Duration,
    seen: HashMap<OsString, (u64, SystemTime, Instant)>,
}

impl Settling {
    pub fn new(settle: Duration) -> Settling {
        Settling { settle, seen: HashMap::new() }
    }

    /// Takes a fresh listing seen at `now`; returns the files unchanged for
    /// the settle time, oldest first (modification time, then name).
    pub fn update(&mut self, listing: Vec<Candidate>, now: Instant) -> Vec<Candidate> {
        let mut present = HashMap::with_capacity(listing.len());
        let mut ready = Vec::new();
        for file in listing {
            let since = match self.seen.get(&file.name) {
                Some(&(size, mtime, since)) if size == file.size && mtime == file.mtime => since,
                _ => now,
            };
            if now.saturating_duration_since(since) >= self.settle {
                ready.push(file.clone());
            }
            present.insert(file.name, (file.size, file.mtime, since));
        }
        // Files gone from the directory are forgotten.
        self.seen = present;
        ready.sort_by(|a, b| a.mtime.cmp(&b.mtime).then_with(|| a.name.cmp(&b.name)));
        ready
    }

    /// Makes a file wait the settle time again (it changed under us).
    pub fn restart(&mut self, name: &OsString) {
        self.seen.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn file(name: &str, size: u64, mtime_s: u64) -> Candidate {
        Candidate {
            name: name.into(),
            path: PathBuf::from(name),
            size,
            mtime: UNIX_EPOCH + Duration::from_secs(mtime_s),
        }
    }

    fn names(files: &[Candidate]) -> Vec<String> {
        files.iter().map(|f| f.name.to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn a_file_is_ready_once_unchanged_for_the_settle_time() {
        let mut settling = Settling::new(Duration::from_secs(2));
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        // (seconds, size seen, ready)
        let steps = [(0, 10, false), (1, 20, false), (2, 20, false), (3, 20, true), (4, 30, false)];
        for (s, size, ready) in steps {
            let out = settling.update(vec![file("cdr", size, 100)], at(s));
            assert_eq!(!out.is_empty(), ready, "at {s} s, size {size}");
        }
        // A change of modification time alone also restarts the wait.
        assert_eq!(settling.update(vec![file("cdr", 30, 100)], at(6)).len(), 1);
        assert!(settling.update(vec![file("cdr", 30, 101)], at(7)).is_empty());
    }

    #[test]
    fn ready_files_come_oldest_first_then_by_name_and_vanished_ones_are_forgotten() {
        let mut settling = Settling::new(Duration::ZERO);
        let t0 = Instant::now();
        let listing = vec![file("c", 1, 50), file("b", 1, 10), file("a", 1, 50)];
        assert_eq!(names(&settling.update(listing, t0)), ["b", "a", "c"]);
        settling.update(vec![file("a", 1, 50)], t0);
        assert_eq!(settling.seen.len(), 1);
    }

    #[test]
    fn dotfiles_are_never_wanted_and_the_pattern_matches_whole_names() {
        let pattern = Pattern::new("cdr_*").unwrap();
        let cases = [
            ("cdr_StandAloneCluster_01_202401010000_1", Some(&pattern), true),
            ("cmr_StandAloneCluster_01_202401010000_1", Some(&pattern), false),
            ("xcdr_1", Some(&pattern), false),
            (".cdr_1.part", Some(&pattern), false),
            (".upload", None, false),
            ("Master.csv", None, true),
        ];
        for (name, pattern, expected) in cases {
            assert_eq!(wanted(name, pattern), expected, "{name}");
        }
    }
}
