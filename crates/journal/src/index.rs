//! The side index of a closed segment: how many entries, the range of their
//! receive times, its uncompressed length. Written at rotation, rebuilt by
//! scanning the segment when missing or damaged (it is never the only copy
//! of anything), so replay by time and retention need not decompress
//! segments.

use std::fs;

use crate::error::Result;
use crate::files::{SegmentFile, segment_path, write_atomically};
use crate::reader::SegmentCursor;
use crate::source::SourceShared;

const INDEX_MAGIC: [u8; 6] = *b"BWJIDX";
const INDEX_VERSION: u16 = 1;
const INDEX_LEN: usize = 60;

/// The smallest and largest receive time of a segment's entries
/// (microseconds since 1970, UTC). Entries of several connections
/// interleave, so receive times need not be in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub min_us: i64,
    pub max_us: i64,
}

impl Span {
    pub fn extend(span: Option<Span>, micros: i64) -> Span {
        match span {
            None => Span { min_us: micros, max_us: micros },
            Some(span) => Span { min_us: span.min_us.min(micros), max_us: span.max_us.max(micros) },
        }
    }

    /// Whether some time in `[from_us, to_us)` may be in the span.
    pub fn overlaps(&self, from_us: i64, to_us: i64) -> bool {
        self.min_us < to_us && self.max_us >= from_us
    }
}

/// What the side index of one segment holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentIndex {
    pub number: u64,
    pub created_us: i64,
    pub entries: u64,
    pub span: Option<Span>,
    /// Uncompressed length of the segment, header included.
    pub length: u64,
}

impl SegmentIndex {
    /// The time that decides retention: the newest receive time, or the
    /// creation time of a segment without entries.
    pub fn newest_us(&self) -> i64 {
        self.span.map_or(self.created_us, |span| span.max_us)
    }

    fn encode(&self) -> [u8; INDEX_LEN] {
        let (min_us, max_us) =
            self.span.map_or((i64::MAX, i64::MIN), |span| (span.min_us, span.max_us));
        let mut bytes = [0u8; INDEX_LEN];
        bytes[0..6].copy_from_slice(&INDEX_MAGIC);
        bytes[6..8].copy_from_slice(&INDEX_VERSION.to_le_bytes());
        let words = [
            self.number,
            self.created_us as u64,
            self.entries,
            min_us as u64,
            max_us as u64,
            self.length,
        ];
        for (slot, word) in bytes[8..56].chunks_exact_mut(8).zip(words) {
            slot.copy_from_slice(&word.to_le_bytes());
        }
        let crc = crc32fast::hash(&bytes[..56]);
        bytes[56..60].copy_from_slice(&crc.to_le_bytes());
        bytes
    }

    fn decode(bytes: &[u8]) -> Option<SegmentIndex> {
        if bytes.len() != INDEX_LEN || bytes[0..6] != INDEX_MAGIC {
            return None;
        }
        let crc = u32::from_le_bytes(bytes[56..60].try_into().ok()?);
        if u16::from_le_bytes([bytes[6], bytes[7]]) != INDEX_VERSION
            || crc32fast::hash(&bytes[..56]) != crc
        {
            return None;
        }
        let word = |i: usize| {
            let at = 8 + 8 * i;
            bytes[at..at + 8].try_into().ok().map(u64::from_le_bytes)
        };
        let entries = word(2)?;
        let span =
            (entries > 0).then_some(Span { min_us: word(3)? as i64, max_us: word(4)? as i64 });
        Some(SegmentIndex {
            number: word(0)?,
            created_us: word(1)? as i64,
            entries,
            span,
            length: word(5)?,
        })
    }
}

/// Writes the side index of a segment (not fsynced: it can be rebuilt).
pub(crate) fn write_index(source: &SourceShared, index: &SegmentIndex) -> Result<()> {
    let path = segment_path(&source.dir, index.number, SegmentFile::Index);
    write_atomically(&path, &index.encode(), false)
}

/// The index of a closed segment: cached, else read from its file, else
/// rebuilt by scanning the segment (and written back).
pub(crate) fn closed_segment_index(source: &SourceShared, number: u64) -> Result<SegmentIndex> {
    if let Some(index) = source.cached_index(number) {
        return Ok(index);
    }
    let index = match read_index_file(source, number) {
        Some(index) => index,
        None => {
            let index = scan_segment(source, number)?;
            write_index(source, &index)?;
            index
        }
    };
    source.cache_index(index);
    Ok(index)
}

fn read_index_file(source: &SourceShared, number: u64) -> Option<SegmentIndex> {
    let path = segment_path(&source.dir, number, SegmentFile::Index);
    let bytes = fs::read(path).ok()?;
    SegmentIndex::decode(&bytes).filter(|index| index.number == number)
}

/// Reads a whole closed segment to rebuild its index. A damaged entry is
/// an error: the segment is closed, so every byte of it was synced.
fn scan_segment(source: &SourceShared, number: u64) -> Result<SegmentIndex> {
    let mut cursor = SegmentCursor::open(&source.dir, number, None)?;
    let created_us = cursor.header().created_us;
    let (mut entries, mut span) = (0u64, None);
    while let Some(entry) = cursor.next_entry_strict(u64::MAX)? {
        entries += 1;
        span = Some(Span::extend(span, entry.received_us));
    }
    Ok(SegmentIndex { number, created_us, entries, span, length: cursor.offset() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_round_trips_with_and_without_entries() {
        for span in [None, Some(Span { min_us: -3, max_us: 9 })] {
            let index = SegmentIndex {
                number: 3,
                created_us: 77,
                entries: u64::from(span.is_some()),
                span,
                length: 4096,
            };
            assert_eq!(SegmentIndex::decode(&index.encode()), Some(index));
        }
    }
}
