//! How far the file being read has been handed on durably, kept in a small
//! state file so that a restart continues mid-file instead of sending a
//! large file again from its start.
//!
//! Only the file in hand is tracked: files are read one at a time, and
//! the one with recorded progress is taken first after a restart. The
//! state file is replaced atomically (written beside, synced, renamed), so
//! a crash leaves either the old progress or the new one. Losing it costs
//! only a re-send, which the pipeline's deduplication absorbs.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Which file, as it was when taken: the same name with another size or
/// modification time is another file, read from its start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Identity {
    pub name: String,
    pub size: u64,
    /// Modification time: seconds from the Unix epoch (negative before it)
    /// and nanoseconds.
    pub mtime_s: i64,
    pub mtime_ns: u32,
}

impl Identity {
    pub fn new(name: String, size: u64, mtime: SystemTime) -> Identity {
        let (mtime_s, mtime_ns) = match mtime.duration_since(UNIX_EPOCH) {
            Ok(d) => (i64::try_from(d.as_secs()).unwrap_or(i64::MAX), d.subsec_nanos()),
            Err(before) => {
                let d = before.duration();
                (-i64::try_from(d.as_secs()).unwrap_or(i64::MAX), d.subsec_nanos())
            }
        };
        Identity { name, size, mtime_s, mtime_ns }
    }
}

/// A file's progress: bytes from its start handed on and durable (always
/// at a record boundary), and whether its connection was closed durably.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Progress {
    pub offset: u64,
    pub finished: bool,
    pub file: Identity,
}

/// The state file and its temporary twin.
#[derive(Debug, Clone)]
pub(crate) struct ProgressFile {
    path: PathBuf,
    temp: PathBuf,
}

impl ProgressFile {
    pub fn new(state_dir: &Path) -> ProgressFile {
        ProgressFile {
            path: state_dir.join("file-drop.toml"),
            temp: state_dir.join("file-drop.toml.tmp"),
        }
    }

    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The recorded progress, if any.
    pub fn load(&self) -> Result<Option<Progress>, String> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", self.path.display())),
        };
        toml::from_str(&text).map(Some).map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// Replaces the recorded progress.
    pub fn save(&self, progress: &Progress) -> Result<(), String> {
        let text = toml::to_string(progress)
            .map_err(|e| format!("{}: cannot write progress: {e}", self.path.display()))?;
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&self.temp)?;
            file.write_all(text.as_bytes())?;
            // Synced before the rename so that the name never points at
            // an empty file after a power cut.
            file.sync_data()?;
            std::fs::rename(&self.temp, &self.path)
        };
        write().map_err(|e| format!("{}: {e}", self.temp.display()))
    }

    /// Forgets the progress (the file is done).
    pub fn clear(&self) -> Result<(), String> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("{}: {e}", self.path.display()))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn progress_survives_a_save_and_load_and_clear_forgets_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = ProgressFile::new(dir.path());
        assert_eq!(file.load().unwrap(), None);
        let mtime = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
        let progress = Progress {
            offset: 4096,
            finished: false,
            file: Identity::new("cdr_\"odd\" name".into(), 10_000, mtime),
        };
        file.save(&progress).unwrap();
        assert_eq!(file.load().unwrap(), Some(progress));
        file.clear().unwrap();
        file.clear().unwrap();
        assert_eq!(file.load().unwrap(), None);
    }

    #[test]
    fn a_corrupt_state_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = ProgressFile::new(dir.path());
        std::fs::write(file.path(), "offset = \"x\"").unwrap();
        let error = file.load().unwrap_err();
        assert!(error.contains("file-drop.toml"), "{error}");
    }

    #[test]
    fn times_before_the_epoch_stay_distinct() {
        let before = UNIX_EPOCH - Duration::new(5, 1);
        let after = UNIX_EPOCH + Duration::new(5, 1);
        assert_ne!(Identity::new("a".into(), 1, before), Identity::new("a".into(), 1, after));
    }
}
