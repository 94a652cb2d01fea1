//! Reading entries back: a cursor over one segment (plain or compressed)
//! and the tailing [`SourceReader`] over a source's segments.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::files::{SegmentFile, segment_path};
use crate::format::{
    ENTRY_HEADER_LEN, EntryHeader, EntryKind, SEGMENT_HEADER_LEN, SegmentHeader, from_micros,
};
use crate::position::Position;
use crate::source::SourceShared;

/// Bytes read from a segment at a time.
const READ_CHUNK: usize = 256 * 1024;

/// One entry as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Where the entry starts.
    pub position: Position,
    /// Where the entry after it starts: mark this consumed once the entry
    /// is dealt with.
    pub next: Position,
    pub kind: EntryKind,
    /// The connection the bytes came from (as numbered by the connector).
    pub connection: u64,
    /// When the server received the bytes (microsecond precision, UTC).
    pub received: SystemTime,
    pub payload: Vec<u8>,
}

/// What the cursor found at its offset.
pub(crate) enum Step {
    /// A valid entry starting at `offset`; its payload is
    /// [`SegmentCursor::payload`] until the next step.
    Entry { offset: u64, header: EntryHeader },
    /// No more bytes (end of file, or the limit).
    End,
    /// Bytes that are not a valid entry start at `offset`.
    Invalid { offset: u64, reason: String },
}

enum ByteSource {
    Plain(File),
    Compressed(Box<zstd::stream::read::Decoder<'static, BufReader<File>>>),
}

/// Reads the entries of one segment in order, from a given offset.
pub(crate) struct SegmentCursor {
    path: PathBuf,
    header: SegmentHeader,
    bytes: ByteSource,
    buf: Vec<u8>,
    /// Index in `buf` of the byte at `offset`.
    start: usize,
    /// Offset in the uncompressed segment of the next entry.
    offset: u64,
    payload: Range<usize>,
}

impl SegmentCursor {
    /// Opens segment `number` (the plain file, else the compressed one)
    /// positioned at `at` (default: its first entry), or `None` when
    /// neither file exists.
    pub fn open(dir: &Path, number: u64, at: Option<u64>) -> Result<SegmentCursor> {
        Self::try_open(dir, number, at)?.ok_or_else(|| {
            let path = segment_path(dir, number, SegmentFile::Plain);
            Error::corrupt(path, 0, "segment file missing")
        })
    }

    /// Like [`SegmentCursor::open`], `None` when the segment does not exist.
    pub fn try_open(dir: &Path, number: u64, at: Option<u64>) -> Result<Option<SegmentCursor>> {
        let Some((path, bytes)) = open_segment_bytes(dir, number)? else {
            return Ok(None);
        };
        let mut cursor = SegmentCursor {
            path,
            header: SegmentHeader { number, created_us: 0 },
            bytes,
            buf: Vec::with_capacity(READ_CHUNK),
            start: 0,
            offset: 0,
            payload: 0..0,
        };
        cursor.header = cursor.read_segment_header(number)?;
        cursor.skip_to(at.unwrap_or(SEGMENT_HEADER_LEN).max(SEGMENT_HEADER_LEN))?;
        Ok(Some(cursor))
    }

    pub fn header(&self) -> SegmentHeader {
        self.header
    }

    pub fn number(&self) -> u64 {
        self.header.number
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Offset of the next entry to read.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Payload of the entry the last [`SegmentCursor::step`] returned.
    pub fn payload(&self) -> &[u8] {
        &self.buf[self.payload.clone()]
    }

    fn read_segment_header(&mut self, number: u64) -> Result<SegmentHeader> {
        let header_len = SEGMENT_HEADER_LEN as usize;
        // Only the header: of an open segment, nothing past the durable
        // end may be buffered (see `fill`).
        let available = self.fill_to(header_len, SEGMENT_HEADER_LEN)?;
        let header = SegmentHeader::decode(&self.buf[..available.min(header_len)])
            .map_err(|reason| Error::corrupt(&self.path, 0, reason))?;
        if header.number != number {
            let reason = format!("header says segment {}", header.number);
            return Err(Error::corrupt(&self.path, 0, reason));
        }
        self.start = header_len;
        self.offset = SEGMENT_HEADER_LEN;
        Ok(header)
    }

    /// Moves to `target`; in a compressed segment this decompresses and
    /// drops everything before it. A plain file is read from there on, so
    /// nothing is read ahead of the caller's limit.
    fn skip_to(&mut self, target: u64) -> Result<()> {
        if let ByteSource::Plain(_) = self.bytes {
            self.buf.clear();
            self.start = 0;
            self.offset = self.offset.max(target);
            return Ok(());
        }
        let mut remaining = target.saturating_sub(self.offset);
        while remaining > 0 {
            let buffered = (self.buf.len() - self.start) as u64;
            if buffered == 0 && self.fill(u64::MAX)? == 0 {
                let reason = format!("position {target} is past the end of the segment");
                return Err(Error::corrupt(&self.path, self.offset, reason));
            }
            let step = remaining.min((self.buf.len() - self.start) as u64);
            self.start += step as usize;
            self.offset += step;
            remaining -= step;
        }
        Ok(())
    }

    /// Reads the next entry, stopping at `limit` (the durable end of an
    /// open segment; `u64::MAX` for a closed one, read to its end).
    pub fn step(&mut self, limit: u64) -> Result<Step> {
        if self.offset >= limit {
            return Ok(Step::End);
        }
        let available = self.fill_to(ENTRY_HEADER_LEN, limit)?;
        if available == 0 {
            return Ok(Step::End);
        }
        if available < ENTRY_HEADER_LEN {
            return Ok(self.invalid(format!("entry header cut short ({available} bytes)")));
        }
        let header_bytes = &self.buf[self.start..self.start + ENTRY_HEADER_LEN];
        let header = match EntryHeader::decode(header_bytes) {
            Ok(header) => header,
            Err(reason) => return Ok(self.invalid(reason)),
        };
        let len = header.entry_len();
        if self.offset.saturating_add(len) > limit {
            return Ok(self.invalid(format!("entry of {len} bytes runs past the end")));
        }
        let available = self.fill_to(len as usize, limit)?;
        if available < len as usize {
            return Ok(self.invalid(format!("entry of {len} bytes cut short at {available}")));
        }
        let entry = &self.buf[self.start..self.start + len as usize];
        if !header.crc_matches(&entry[..ENTRY_HEADER_LEN], &entry[ENTRY_HEADER_LEN..]) {
            return Ok(self.invalid("CRC mismatch".to_owned()));
        }
        let offset = self.offset;
        self.payload = self.start + ENTRY_HEADER_LEN..self.start + len as usize;
        self.start += len as usize;
        self.offset += len;
        Ok(Step::Entry { offset, header })
    }

    /// Like [`SegmentCursor::step`], with invalid bytes as a located error.
    pub fn next_entry_strict(&mut self, limit: u64) -> Result<Option<EntryHeader>> {
        match self.step(limit)? {
            Step::Entry { header, .. } => Ok(Some(header)),
            Step::End => Ok(None),
            Step::Invalid { offset, reason } => Err(Error::corrupt(&self.path, offset, reason)),
        }
    }

    fn invalid(&self, reason: String) -> Step {
        Step::Invalid { offset: self.offset, reason }
    }

    /// Buffers at least `wanted` bytes from `offset` if the segment has
    /// them before `limit`; returns how many are buffered.
    fn fill_to(&mut self, wanted: usize, limit: u64) -> Result<usize> {
        while self.buf.len() - self.start < wanted {
            if self.fill(limit)? == 0 {
                break;
            }
        }
        Ok(self.buf.len() - self.start)
    }

    /// Reads one more chunk, never past `limit`: bytes of an open segment
    /// after its durable end may still be being written, or be cut off and
    /// replaced by the next writer of the source.
    fn fill(&mut self, limit: u64) -> Result<usize> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let file_pos = self.offset + self.buf.len() as u64;
        let room = limit.saturating_sub(file_pos).min(READ_CHUNK as u64) as usize;
        if room == 0 {
            return Ok(0);
        }
        let old_len = self.buf.len();
        self.buf.resize(old_len + room, 0);
        let read = match &mut self.bytes {
            ByteSource::Plain(file) => file.read_at(&mut self.buf[old_len..], file_pos),
            ByteSource::Compressed(decoder) => decoder.read(&mut self.buf[old_len..]),
        };
        let read = read.map_err(|err| {
            self.buf.truncate(old_len);
            Error::io_at(&self.path, file_pos, "read")(err)
        })?;
        self.buf.truncate(old_len + read);
        Ok(read)
    }
}

/// Opens a segment's bytes: the plain file if present, else the compressed
/// one. The compressor writes the `.zst` before it removes the `.seg`, so
/// when the first is missing the second is there (unless retention removed
/// the segment).
fn open_segment_bytes(dir: &Path, number: u64) -> Result<Option<(PathBuf, ByteSource)>> {
    let plain = segment_path(dir, number, SegmentFile::Plain);
    match File::open(&plain) {
        Ok(file) => return Ok(Some((plain, ByteSource::Plain(file)))),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(Error::io(&plain, "open")(err)),
    }
    let compressed = segment_path(dir, number, SegmentFile::Compressed);
    match File::open(&compressed) {
        Ok(file) => {
            let decoder = zstd::stream::read::Decoder::new(file)
                .map_err(Error::io(&compressed, "start decompression"))?;
            Ok(Some((compressed, ByteSource::Compressed(Box::new(decoder)))))
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io(&compressed, "open")(err)),
    }
}

/// Reads one source's entries in order from a position, up to the durable
/// end; call [`SourceReader::next`] again later to see entries synced
/// since (tailing). Entries become visible only once the writer's `sync`
/// has returned for them.
pub struct SourceReader {
    source: Arc<SourceShared>,
    position: Position,
    /// The durable end last looked up; the shared state is consulted only
    /// when the reader gets there.
    known_end: Position,
    cursor: Option<SegmentCursor>,
}

impl SourceReader {
    pub(crate) fn new(source: Arc<SourceShared>, from: Position) -> Result<SourceReader> {
        let known_end = source.durable_end();
        if from > known_end {
            return Err(Error::BeyondEnd {
                source_name: source.name.clone(),
                position: from,
                end: known_end,
            });
        }
        let position = source.clamp_to_start(from);
        Ok(SourceReader { source, position, known_end, cursor: None })
    }

    /// Next entry at or after the reader's position, or `None` at the
    /// current durable end (call again later to tail). Entries synced after
    /// the reader was created are seen, across rotations, and whether the
    /// segment being read has been compressed or not. A damaged entry is
    /// an error naming the file and offset; the reader stays before it.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Entry>> {
        loop {
            if self.position >= self.known_end {
                self.known_end = self.source.durable_end();
                if self.position >= self.known_end {
                    return Ok(None);
                }
            }
            let mut cursor = self.take_cursor()?;
            let limit = if cursor.number() == self.known_end.segment {
                self.known_end.offset
            } else {
                u64::MAX
            };
            let step = cursor.step(limit);
            let found = self.advance(&cursor, step?)?;
            self.cursor = Some(cursor);
            if found.is_some() {
                return Ok(found);
            }
            if self.position.segment >= self.known_end.segment {
                return Ok(None);
            }
            self.position = Position::new(self.position.segment + 1, SEGMENT_HEADER_LEN);
        }
    }

    /// Position after the last entry returned (where the reader goes on).
    pub fn position(&self) -> Position {
        self.position
    }

    /// Moves the reader (used by replay to jump between segments).
    pub(crate) fn seek(&mut self, position: Position) {
        self.position = self.source.clamp_to_start(position);
    }

    fn advance(&mut self, cursor: &SegmentCursor, step: Step) -> Result<Option<Entry>> {
        match step {
            Step::Entry { offset, header } => {
                let position = Position::new(cursor.number(), offset);
                let next = Position::new(cursor.number(), cursor.offset());
                self.position = next;
                Ok(Some(Entry {
                    position,
                    next,
                    kind: header.kind,
                    connection: header.connection,
                    received: from_micros(header.received_us),
                    payload: cursor.payload().to_vec(),
                }))
            }
            Step::End => Ok(None),
            Step::Invalid { offset, reason } => Err(Error::corrupt(cursor.path(), offset, reason)),
        }
    }

    /// The cursor at the reader's position: the current one if it is
    /// there, else a newly opened one. If the segment was removed by
    /// retention meanwhile, the reader moves to the oldest segment left.
    fn take_cursor(&mut self) -> Result<SegmentCursor> {
        if let Some(cursor) = self.cursor.take()
            && cursor.number() == self.position.segment
            && cursor.offset() == self.position.offset
        {
            return Ok(cursor);
        }
        loop {
            let Position { segment, offset } = self.position;
            if let Some(cursor) = SegmentCursor::try_open(&self.source.dir, segment, Some(offset))?
            {
                return Ok(cursor);
            }
            let clamped = self.source.clamp_to_start(self.position);
            if clamped == self.position {
                let path = segment_path(&self.source.dir, segment, SegmentFile::Plain);
                return Err(Error::corrupt(path, offset, "segment file missing"));
            }
            self.position = clamped;
        }
    }
}
