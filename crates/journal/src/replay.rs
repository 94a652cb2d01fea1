//! Entries received in a period, for `bluewhale replay`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::Result;
use crate::format::{SEGMENT_HEADER_LEN, to_micros};
use crate::index::closed_segment_index;
use crate::position::Position;
use crate::reader::{Entry, SourceReader};
use crate::source::SourceShared;

/// Iterator over the entries of one source received in `[from, to)`.
pub(crate) struct EntriesBetween {
    reader: SourceReader,
    from: SystemTime,
    to: SystemTime,
    /// Segments whose receive-time range overlaps the period, in order.
    segments: VecDeque<u64>,
    /// The candidate segment being read.
    current: Option<u64>,
    done: bool,
}

impl EntriesBetween {
    pub fn new(
        source: Arc<SourceShared>,
        from: SystemTime,
        to: SystemTime,
    ) -> Result<EntriesBetween> {
        let segments = overlapping_segments(&source, to_micros(from)?, to_micros(to)?)?;
        Ok(EntriesBetween {
            reader: SourceReader::new(source, Position::BEGIN)?,
            from,
            to,
            segments,
            current: None,
            done: false,
        })
    }

    fn in_period(&self, entry: &Entry) -> bool {
        self.from <= entry.received && entry.received < self.to
    }

    /// Whether an entry the reader returned belongs to a candidate segment
    /// (the reader runs on into the segment after the current one).
    fn on_candidate(&mut self, entry: &Entry) -> bool {
        let segment = entry.position.segment;
        if self.current == Some(segment) {
            return true;
        }
        if self.segments.front() == Some(&segment) {
            self.current = self.segments.pop_front();
            return true;
        }
        self.current = None;
        false
    }

    fn next_result(&mut self) -> Result<Option<Entry>> {
        loop {
            if self.current.is_none() {
                let Some(segment) = self.segments.pop_front() else {
                    return Ok(None);
                };
                self.reader.seek(Position::new(segment, SEGMENT_HEADER_LEN));
                self.current = Some(segment);
            }
            let Some(entry) = self.reader.next()? else {
                return Ok(None);
            };
            if self.on_candidate(&entry) && self.in_period(&entry) {
                return Ok(Some(entry));
            }
        }
    }
}

impl Iterator for EntriesBetween {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        if self.done {
            return None;
        }
        let item = self.next_result().transpose();
        // Stop after the end or an error (the reader would repeat it).
        self.done = !matches!(item, Some(Ok(_)));
        item
    }
}

/// Segments that may hold entries received in `[from_us, to_us)`, judged by
/// their side index (closed) or the writer's running range (open).
fn overlapping_segments(source: &SourceShared, from_us: i64, to_us: i64) -> Result<VecDeque<u64>> {
    let mut segments = VecDeque::new();
    if from_us >= to_us {
        return Ok(segments);
    }
    for number in source.closed_numbers() {
        let index = closed_segment_index(source, number)?;
        if index.span.is_some_and(|span| span.overlaps(from_us, to_us)) {
            segments.push_back(number);
        }
    }
    let open = source.open_segment();
    if open.span.is_some_and(|span| span.overlaps(from_us, to_us)) {
        segments.push_back(open.number);
    }
    Ok(segments)
}
