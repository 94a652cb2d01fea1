//! One source (a PBX): its directory, its name, what is known of its
//! segments, its consumed marker, and the claim of its single writer.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::{Error, Result};
use crate::files::write_atomically;
use crate::format::SEGMENT_HEADER_LEN;
use crate::index::{SegmentIndex, Span};
use crate::position::Position;

/// File holding the source's real name (UTF-8), in its directory.
pub(crate) const NAME_FILE: &str = "source.name";
/// File holding the consumed position, in the source's directory.
pub(crate) const CONSUMED_FILE: &str = "consumed";
/// Longest sanitised name kept in a directory name (a hash follows it).
const DIR_NAME_PREFIX_MAX: usize = 40;
/// Longest source name accepted, in bytes.
const SOURCE_NAME_MAX: usize = 1024;

/// The segment being appended to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OpenSegment {
    pub number: u64,
    pub created_us: i64,
    /// Durable length (everything `sync` returned for).
    pub length: u64,
    pub entries: u64,
    pub span: Option<Span>,
}

impl OpenSegment {
    pub fn index(&self) -> SegmentIndex {
        SegmentIndex {
            number: self.number,
            created_us: self.created_us,
            entries: self.entries,
            span: self.span,
            length: self.length,
        }
    }
}

/// What is known of a source's segments.
pub(crate) struct SourceState {
    /// Closed segments on disk, oldest first, with their index once loaded.
    pub closed: BTreeMap<u64, Option<SegmentIndex>>,
    /// The last segment, the only one appended to.
    pub open: OpenSegment,
    pub consumed: Position,
}

/// A source as shared by the journal, its writer, readers and the
/// background compressor.
pub(crate) struct SourceShared {
    pub name: String,
    pub dir: PathBuf,
    state: Mutex<SourceState>,
    writer_taken: AtomicBool,
    /// Held while segment files are renamed or removed (compression,
    /// retention), so the two never interleave on one segment.
    files: Mutex<()>,
}

/// Locks a mutex whose data stay consistent even if a holder panicked
/// (every update under these locks is a plain assignment).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SourceShared {
    pub fn new(name: String, dir: PathBuf, state: SourceState) -> SourceShared {
        SourceShared {
            name,
            dir,
            state: Mutex::new(state),
            writer_taken: AtomicBool::new(false),
            files: Mutex::new(()),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, SourceState> {
        lock(&self.state)
    }

    pub fn files_lock(&self) -> MutexGuard<'_, ()> {
        lock(&self.files)
    }

    /// Position after the last entry `sync` returned for.
    pub fn durable_end(&self) -> Position {
        let state = self.state();
        Position::new(state.open.number, state.open.length)
    }

    /// First entry position of the oldest segment on disk.
    pub fn start(&self) -> Position {
        let state = self.state();
        let first = state.closed.keys().next().copied().unwrap_or(state.open.number);
        Position::new(first, SEGMENT_HEADER_LEN)
    }

    /// A position no earlier than the oldest entry on disk and never
    /// inside a segment header.
    pub fn clamp_to_start(&self, position: Position) -> Position {
        let start = self.start();
        if position < start {
            start
        } else if position.offset < SEGMENT_HEADER_LEN {
            Position::new(position.segment, SEGMENT_HEADER_LEN)
        } else {
            position
        }
    }

    pub fn open_segment(&self) -> OpenSegment {
        self.state().open
    }

    pub fn cached_index(&self, number: u64) -> Option<SegmentIndex> {
        self.state().closed.get(&number).copied().flatten()
    }

    pub fn cache_index(&self, index: SegmentIndex) {
        if let Some(slot) = self.state().closed.get_mut(&index.number) {
            *slot = Some(index);
        }
    }

    pub fn closed_numbers(&self) -> Vec<u64> {
        self.state().closed.keys().copied().collect()
    }

    /// Claims the single writer; false if another writer holds it.
    pub fn claim_writer(&self) -> bool {
        self.writer_taken.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    pub fn release_writer(&self) {
        self.writer_taken.store(false, Ordering::Release);
    }

    pub fn consumed(&self) -> Position {
        self.state().consumed
    }

    /// Records the consumed position durably (temporary file, fsync,
    /// rename, fsync of the directory) before it is used by retention.
    pub fn set_consumed(&self, upto: Position) -> Result<()> {
        let path = self.dir.join(CONSUMED_FILE);
        let text = format!("{} {}\n", upto.segment, upto.offset);
        // One temporary file per source: concurrent marks take turns.
        let _files = self.files_lock();
        write_atomically(&path, text.as_bytes(), true)?;
        self.state().consumed = upto;
        Ok(())
    }
}

/// Reads the consumed marker; no file means nothing consumed yet.
pub(crate) fn read_consumed(dir: &Path) -> Result<Position> {
    let path = dir.join(CONSUMED_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Position::BEGIN),
        Err(err) => return Err(Error::io(&path, "read")(err)),
    };
    parse_consumed(&text).ok_or_else(|| Error::BadMetadata {
        path,
        reason: format!("expected \"SEGMENT OFFSET\", found {text:?}"),
    })
}

fn parse_consumed(text: &str) -> Option<Position> {
    let mut words = text.split_ascii_whitespace();
    let segment = words.next()?.parse().ok()?;
    let offset = words.next()?.parse().ok()?;
    words.next().is_none().then_some(Position::new(segment, offset))
}

/// Reads the real name of the source kept in `dir`.
pub(crate) fn read_source_name(dir: &Path) -> Result<String> {
    let path = dir.join(NAME_FILE);
    let bytes = fs::read(&path).map_err(Error::io(&path, "read source name"))?;
    String::from_utf8(bytes)
        .map_err(|_| Error::BadMetadata { path, reason: "source name is not UTF-8".to_owned() })
}

/// The directory name of a source: its name with every character other
/// than ASCII letters, digits, `-`, `_` and `.` replaced by `_` (cut to 40
/// characters, no leading dot), then `-` and a hash of the whole name, so
/// two names that sanitise alike still get different directories.
pub(crate) fn directory_name(name: &str) -> Result<String> {
    validate_source_name(name)?;
    let mut readable: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
            _ => '_',
        })
        .take(DIR_NAME_PREFIX_MAX)
        .collect();
    if readable.starts_with('.') {
        readable.replace_range(0..1, "_");
    }
    Ok(format!("{readable}-{:016x}", fnv1a64(name.as_bytes())))
}

fn validate_source_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "empty"
    } else if name.len() > SOURCE_NAME_MAX {
        "longer than 1024 bytes"
    } else if name.chars().any(char::is_control) {
        "contains control characters"
    } else {
        return Ok(());
    };
    Err(Error::InvalidSourceName { name: name.to_owned(), reason })
}

/// FNV-1a, 64 bits: stable across versions and platforms, unlike std's
/// hasher, which matters for a name on disk.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_names_are_safe_and_distinct() {
        let cases = [
            ("pbx-paris", "pbx-paris-"),
            ("../etc/passwd", "_._etc_passwd-"),
            ("Zürich PBX #2", "Z_rich_PBX__2-"),
            (".hidden", "_hidden-"),
        ];
        for (name, prefix) in cases {
            let dir = directory_name(name).unwrap();
            assert!(dir.starts_with(prefix), "{name} -> {dir}");
            assert!(!dir.contains('/'));
        }
        assert_ne!(directory_name("a/b").unwrap(), directory_name("a_b").unwrap());
        assert!(directory_name("").is_err());
        assert!(directory_name("a\nb").is_err());
    }

    #[test]
    fn consumed_marker_text_parses_strictly() {
        assert_eq!(parse_consumed("3 4096\n"), Some(Position::new(3, 4096)));
        assert_eq!(parse_consumed("3"), None);
        assert_eq!(parse_consumed("3 4 5"), None);
        assert_eq!(parse_consumed("x 4"), None);
    }
}
