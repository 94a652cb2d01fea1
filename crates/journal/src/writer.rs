//! Appending to a source: buffered appends, group commit by `sync`,
//! rotation into a new segment.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::files::{SegmentFile, segment_path, sync_dir};
use crate::format::{
    ENTRY_HEADER_LEN, EntryKind, MAX_PAYLOAD, SEGMENT_HEADER_LEN, SegmentHeader, encode_entry,
    from_micros, to_micros,
};
use crate::index::{Span, write_index};
use crate::journal::Inner;
use crate::position::Position;
use crate::source::{OpenSegment, SourceShared};

/// Buffered bytes handed to the OS in one `write` once they reach this.
const FLUSH_AT: usize = 1 << 20;

/// Creates segment `number` with its header, durably (file and directory
/// entry), and returns it open for appending. A leftover file of that
/// number (a rotation that failed half-way) is replaced: segments after
/// the open one hold nothing that was ever synced.
pub(crate) fn create_segment(dir: &Path, number: u64, created_us: i64) -> Result<File> {
    let path = segment_path(dir, number, SegmentFile::Plain);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(Error::io(&path, "create segment"))?;
    let header = SegmentHeader { number, created_us };
    file.write_all(&header.encode()).map_err(Error::io_at(&path, 0, "write segment header"))?;
    file.sync_data().map_err(Error::io(&path, "fdatasync"))?;
    sync_dir(dir)?;
    Ok(file)
}

/// The single writer of a source (see [`crate::Journal::writer`]).
///
/// [`SourceWriter::append`] only buffers; [`SourceWriter::sync`] writes and
/// fdatasyncs, and only then are the entries durable and visible to
/// readers. Entries appended after the last `sync` were never promised:
/// the next writer of the source in this process cuts the file back to the
/// durable end, while after a crash those the OS had already been given
/// may survive recovery (they are valid entries). After a failed write or fsync the writer refuses further work:
/// drop it and take a new one, which starts again from the durable end.
pub struct SourceWriter {
    journal: Arc<Inner>,
    source: Arc<SourceShared>,
    file: File,
    path: PathBuf,
    number: u64,
    created_us: i64,
    /// Bytes of the segment that `sync` made durable.
    durable: u64,
    /// Bytes of the segment handed to the OS.
    written: u64,
    buffer: Vec<u8>,
    /// Entries and receive-time span of the segment, appended ones included.
    entries: u64,
    span: Option<Span>,
    poisoned: bool,
}

impl SourceWriter {
    /// Opens the source's open segment for appending, cut back to its
    /// durable end. The caller has claimed the source's writer.
    pub(crate) fn new(journal: Arc<Inner>, source: Arc<SourceShared>) -> Result<SourceWriter> {
        let open = source.open_segment();
        let path = segment_path(&source.dir, open.number, SegmentFile::Plain);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(Error::io(&path, "open segment for appending"))?;
        file.set_len(open.length).map_err(Error::io_at(
            &path,
            open.length,
            "cut back to the durable end",
        ))?;
        Ok(SourceWriter {
            journal,
            source,
            file,
            path,
            number: open.number,
            created_us: open.created_us,
            durable: open.length,
            written: open.length,
            buffer: Vec::with_capacity(FLUSH_AT + 64 * 1024),
            entries: open.entries,
            span: open.span,
            poisoned: false,
        })
    }

    /// Appends one entry and returns its position. Buffered: NOT durable
    /// until [`SourceWriter::sync`] returns. Rotates first if the entry
    /// would take the segment past `max_segment_bytes` (rotation syncs the
    /// segment it closes, so the entries appended before become durable).
    pub fn append(
        &mut self,
        kind: EntryKind,
        connection: u64,
        received: SystemTime,
        payload: &[u8],
    ) -> Result<Position> {
        self.check_usable()?;
        if payload.len() > MAX_PAYLOAD {
            return Err(Error::PayloadTooLarge {
                source_name: self.source.name.clone(),
                len: payload.len(),
                limit: MAX_PAYLOAD,
            });
        }
        let received_us = to_micros(received)?;
        let entry_len = (ENTRY_HEADER_LEN + payload.len()) as u64;
        if self.entries > 0 && self.end() + entry_len > self.journal.config.max_segment_bytes {
            self.rotate(SystemTime::now())?;
        }
        let position = Position::new(self.number, self.end());
        encode_entry(&mut self.buffer, kind, connection, received_us, payload);
        self.entries += 1;
        self.span = Some(Span::extend(self.span, received_us));
        if self.buffer.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(position)
    }

    /// Makes everything appended so far durable (write, then one
    /// fdatasync) and visible to readers; returns the durable end. Costs
    /// nothing when nothing was appended since the last sync.
    pub fn sync(&mut self) -> Result<Position> {
        self.check_usable()?;
        if self.end() > self.durable {
            self.flush()?;
            if let Err(err) = self.file.sync_data() {
                self.poisoned = true;
                return Err(Error::io(&self.path, "fdatasync")(err));
            }
            self.durable = self.written;
            self.publish();
        }
        Ok(Position::new(self.number, self.durable))
    }

    /// Rotates (syncs, closes the segment, starts the next) if the segment
    /// holds entries and is at `max_segment_bytes` or has been open for
    /// `max_segment_age` as of `now`. Returns whether it rotated.
    pub fn rotate_if_due(&mut self, now: SystemTime) -> Result<bool> {
        self.check_usable()?;
        if self.entries == 0 {
            return Ok(false);
        }
        let created = from_micros(self.created_us);
        let too_old =
            now.duration_since(created).is_ok_and(|age| age >= self.journal.config.max_segment_age);
        let too_big = self.end() >= self.journal.config.max_segment_bytes;
        if too_old || too_big {
            self.rotate(now)?;
        }
        Ok(too_old || too_big)
    }

    /// Position the next append will get (durable or not).
    pub fn end(&self) -> u64 {
        self.written + self.buffer.len() as u64
    }

    /// The source this writer appends to.
    pub fn source(&self) -> &str {
        &self.source.name
    }

    fn check_usable(&self) -> Result<()> {
        if self.poisoned {
            return Err(Error::WriterPoisoned { path: self.path.clone() });
        }
        Ok(())
    }

    /// Hands the buffer to the OS in one write.
    fn flush(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        if let Err(err) = self.file.write_all(&self.buffer) {
            self.poisoned = true;
            return Err(Error::io_at(&self.path, self.written, "write")(err));
        }
        self.written += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    fn open_segment(&self) -> OpenSegment {
        OpenSegment {
            number: self.number,
            created_us: self.created_us,
            length: self.durable,
            entries: self.entries,
            span: self.span,
        }
    }

    /// Tells readers about the new durable end.
    fn publish(&self) {
        self.source.state().open = self.open_segment();
    }

    /// Closes the current segment (synced, side index written) and starts
    /// the next; the closed one is queued for compression.
    fn rotate(&mut self, now: SystemTime) -> Result<()> {
        self.sync()?;
        let closed = self.open_segment().index();
        write_index(&self.source, &closed)?;
        let created_us = to_micros(now)?;
        let next = self.number + 1;
        let file = create_segment(&self.source.dir, next, created_us)?;
        self.file = file;
        self.path = segment_path(&self.source.dir, next, SegmentFile::Plain);
        self.number = next;
        self.created_us = created_us;
        self.durable = SEGMENT_HEADER_LEN;
        self.written = SEGMENT_HEADER_LEN;
        self.entries = 0;
        self.span = None;
        {
            let mut state = self.source.state();
            state.closed.insert(closed.number, Some(closed));
            state.open = self.open_segment();
        }
        self.journal.compress_later(&self.source, closed.number);
        Ok(())
    }
}

impl Drop for SourceWriter {
    fn drop(&mut self) {
        self.source.release_writer();
    }
}
