//! Opening a source directory after a clean stop or a crash.
//!
//! Rules, in order:
//! 1. Temporary files (`*.tmp`: a compression or a metadata write cut
//!    short) are deleted.
//! 2. A segment present both as `.seg` and `.seg.zst` was being compressed:
//!    the `.seg` is kept and the `.zst` deleted.
//! 3. The last segment is the open one. It is scanned entry by entry; at the
//!    first entry that is cut short, has a bad header or a bad CRC, the
//!    file is truncated (and fsynced). Every entry `sync` returned for was
//!    fdatasynced before, so it lies before that point and is kept. A
//!    segment header cut short or zero-filled (a crash while the segment
//!    was being created, before anything in it could be synced) is written
//!    anew. Its side index, if any (the segment was closed, then the crash
//!    came before the next one existed), is deleted: it will be appended to.
//! 4. Closed segments are not scanned: a damaged entry in one is reported
//!    by the reader that reaches it, with the file and offset.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::files::{
    SegmentFile, TMP_SUFFIX, parse_segment_file_name, remove_if_present, segment_path,
};
use crate::format::{SEGMENT_HEADER_LEN, SegmentHeader, to_micros};
use crate::index::Span;
use crate::reader::{SegmentCursor, Step};
use crate::source::{OpenSegment, SourceShared, SourceState, read_consumed, read_source_name};
use crate::writer::create_segment;

/// What recovery cut from the end of a source's open segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    pub source: String,
    pub path: PathBuf,
    /// Length of the segment after recovery: the end of its last valid entry.
    pub valid_end: u64,
    pub bytes_cut: u64,
    /// Why the bytes at `valid_end` were not an entry.
    pub reason: String,
}

/// A source directory as found on disk, repaired.
pub(crate) struct LoadedSource {
    pub shared: SourceShared,
    pub recovered: Option<Recovered>,
    /// Closed segments still uncompressed.
    pub uncompressed: Vec<u64>,
}

pub(crate) fn load_source(dir: &Path) -> Result<LoadedSource> {
    let name = read_source_name(dir)?;
    let segments = tidy_segment_files(dir)?;
    let consumed = read_consumed(dir)?;
    let (open, recovered) = match segments.last_key_value() {
        Some((&number, SegmentFile::Plain)) => recover_open_segment(dir, &name, number)?,
        // No segment, or the last one already compressed (it was closed):
        // append to a new one, numbered after everything ever referred to.
        last => {
            let after = last.map_or(0, |(&number, _)| number).max(consumed.segment);
            (new_open_segment(dir, after + 1)?, None)
        }
    };
    let closed: BTreeMap<u64, _> =
        segments.range(..open.number).map(|(&number, _)| (number, None)).collect();
    let uncompressed = segments
        .range(..open.number)
        .filter(|(_, role)| **role == SegmentFile::Plain)
        .map(|(&number, _)| number)
        .collect();
    let state = SourceState { closed, open, consumed };
    Ok(LoadedSource {
        shared: SourceShared::new(name, dir.to_path_buf(), state),
        recovered,
        uncompressed,
    })
}

/// Applies rules 1 and 2; returns each segment with the file that holds it.
fn tidy_segment_files(dir: &Path) -> Result<BTreeMap<u64, SegmentFile>> {
    let mut found: BTreeMap<SegmentFile, BTreeSet<u64>> = BTreeMap::new();
    for entry in fs::read_dir(dir).map_err(Error::io(dir, "list"))? {
        let entry = entry.map_err(Error::io(dir, "list"))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if name.ends_with(TMP_SUFFIX) {
            remove_if_present(&entry.path())?;
        } else if let Some((number, role)) = parse_segment_file_name(&name) {
            found.entry(role).or_default().insert(number);
        }
    }
    let plain = found.remove(&SegmentFile::Plain).unwrap_or_default();
    let compressed = found.remove(&SegmentFile::Compressed).unwrap_or_default();
    let indexes = found.remove(&SegmentFile::Index).unwrap_or_default();
    for number in plain.intersection(&compressed) {
        remove_if_present(&segment_path(dir, *number, SegmentFile::Compressed))?;
    }
    let mut segments: BTreeMap<u64, SegmentFile> =
        compressed.iter().map(|&number| (number, SegmentFile::Compressed)).collect();
    segments.extend(plain.iter().map(|&number| (number, SegmentFile::Plain)));
    for number in indexes.iter().filter(|n| !segments.contains_key(n)) {
        remove_if_present(&segment_path(dir, *number, SegmentFile::Index))?;
    }
    Ok(segments)
}

fn new_open_segment(dir: &Path, number: u64) -> Result<OpenSegment> {
    let created_us = to_micros(SystemTime::now())?;
    create_segment(dir, number, created_us)?;
    Ok(OpenSegment { number, created_us, length: SEGMENT_HEADER_LEN, entries: 0, span: None })
}

/// Rule 3: finds the end of the last valid entry and truncates after it.
fn recover_open_segment(
    dir: &Path,
    source: &str,
    number: u64,
) -> Result<(OpenSegment, Option<Recovered>)> {
    let path = segment_path(dir, number, SegmentFile::Plain);
    remove_if_present(&segment_path(dir, number, SegmentFile::Index))?;
    let file_len = fs::metadata(&path).map_err(Error::io(&path, "stat"))?.len();
    if segment_header_is_torn(&path)? {
        fs::remove_file(&path).map_err(Error::io(&path, "remove torn segment"))?;
        let open = new_open_segment(dir, number)?;
        let recovered = Recovered {
            source: source.to_owned(),
            path,
            valid_end: 0,
            bytes_cut: file_len,
            reason: "segment header cut short or zero-filled".to_owned(),
        };
        return Ok((open, Some(recovered)));
    }
    let scan = scan_valid_prefix(dir, number, file_len)?;
    let recovered = scan.invalid.map(|reason| Recovered {
        source: source.to_owned(),
        path: path.clone(),
        valid_end: scan.open.length,
        bytes_cut: file_len - scan.open.length,
        reason,
    });
    if recovered.is_some() {
        truncate(&path, scan.open.length)?;
    }
    Ok((scan.open, recovered))
}

/// A crash while the segment was being created can leave its header short
/// or (on some file systems) zero-filled; any other bad header is not ours
/// to repair and fails the open.
fn segment_header_is_torn(path: &Path) -> Result<bool> {
    let mut header = Vec::with_capacity(SEGMENT_HEADER_LEN as usize);
    fs::File::open(path)
        .and_then(|file| file.take(SEGMENT_HEADER_LEN).read_to_end(&mut header))
        .map_err(Error::io(path, "read segment header"))?;
    Ok(header.len() < SEGMENT_HEADER_LEN as usize || header.iter().all(|&b| b == 0))
}

struct PrefixScan {
    open: OpenSegment,
    /// Why scanning stopped before the end of the file, if it did.
    invalid: Option<String>,
}

fn scan_valid_prefix(dir: &Path, number: u64, file_len: u64) -> Result<PrefixScan> {
    let mut cursor = SegmentCursor::open(dir, number, None)?;
    let header: SegmentHeader = cursor.header();
    let (mut entries, mut span) = (0u64, None);
    let invalid = loop {
        match cursor.step(file_len)? {
            Step::Entry { header, .. } => {
                entries += 1;
                span = Some(Span::extend(span, header.received_us));
            }
            Step::End => break None,
            Step::Invalid { reason, .. } => break Some(reason),
        }
    };
    let open = OpenSegment {
        number,
        created_us: header.created_us,
        length: cursor.offset(),
        entries,
        span,
    };
    Ok(PrefixScan { open, invalid })
}

fn truncate(path: &Path, length: u64) -> Result<()> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(Error::io(path, "open for truncation"))?;
    file.set_len(length).map_err(Error::io_at(path, length, "truncate"))?;
    file.sync_all().map_err(Error::io(path, "fsync after truncation"))
}
