//! Helpers shared by the journal's tests.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use journal::{Entry, EntryKind, Journal, JournalConfig, Position};

/// A fixed instant plus `secs` seconds, so tests do not depend on the clock.
pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

/// Small segments so tests rotate often; compression as asked.
pub fn small(max_segment_bytes: u64, compress: bool) -> JournalConfig {
    JournalConfig { max_segment_bytes, compress, ..JournalConfig::default() }
}

/// Deterministic payload bytes of varying length for entry `i`.
pub fn payload(i: usize) -> Vec<u8> {
    let line = format!("{i:08},2026-11-22 10:{:02}:00,3001,0145678900,{}\r\n", i % 60, i * 7);
    line.into_bytes().into_iter().cycle().take(40 + i % 90).collect()
}

/// What one append was given, to compare with what is read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub position: Position,
    pub kind: EntryKind,
    pub connection: u64,
    pub received: SystemTime,
    pub payload: Vec<u8>,
}

impl Appended {
    pub fn matches(&self, entry: &Entry) -> bool {
        self.position == entry.position
            && self.kind == entry.kind
            && self.connection == entry.connection
            && self.received == entry.received
            && self.payload == entry.payload
    }
}

/// Appends entries `range` (Data on connection i % 3, received at(i)).
pub fn append_range(
    writer: &mut journal::SourceWriter,
    range: std::ops::Range<usize>,
) -> Vec<Appended> {
    range
        .map(|i| {
            let (kind, connection, received, payload) =
                (EntryKind::Data, (i % 3) as u64, at(i as u64), payload(i));
            let position = writer.append(kind, connection, received, &payload).unwrap();
            Appended { position, kind, connection, received, payload }
        })
        .collect()
}

/// A journal in `dir` whose source "pbx" holds entries `range`, synced,
/// then closed (as a server that stopped leaves it).
pub fn written(dir: &Path, config: JournalConfig, range: std::ops::Range<usize>) -> Vec<Appended> {
    let journal = Journal::open(dir, config).unwrap();
    let mut writer = journal.writer("pbx").unwrap();
    let appended = append_range(&mut writer, range);
    writer.sync().unwrap();
    appended
}

/// Every entry of `source` from the start, failing the test on an error.
pub fn read_all(journal: &Journal, source: &str) -> Vec<Entry> {
    let mut reader = journal.reader(source, Position::BEGIN).unwrap();
    let mut entries = Vec::new();
    while let Some(entry) = reader.next().unwrap() {
        entries.push(entry);
    }
    entries
}

pub fn assert_same(appended: &[Appended], read: &[Entry]) {
    assert_eq!(appended.len(), read.len(), "entry count");
    for (i, (want, got)) in appended.iter().zip(read).enumerate() {
        assert!(want.matches(got), "entry {i}: appended {want:?}, read {got:?}");
    }
}

/// The only source directory of a journal.
pub fn source_dir(journal_dir: &Path) -> PathBuf {
    let mut dirs: Vec<PathBuf> = fs::read_dir(journal_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.remove(0)
}

/// Names of the files in a directory, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

pub fn segment_file(dir: &Path, number: u64, suffix: &str) -> PathBuf {
    dir.join(format!("{number:012}{suffix}"))
}

/// Copies a flat-by-level directory tree (journal dir / source dirs / files).
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}
