//! Deleting old, consumed segments.

use crate::error::Result;
use crate::files::{SegmentFile, remove_if_present, segment_path};
use crate::index::{SegmentIndex, closed_segment_index};
use crate::position::Position;
use crate::source::SourceShared;

/// What [`crate::Journal::enforce_retention`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub segments_deleted: u64,
    pub bytes_freed: u64,
}

impl RetentionReport {
    pub(crate) fn add(&mut self, other: RetentionReport) {
        self.segments_deleted += other.segments_deleted;
        self.bytes_freed += other.bytes_freed;
    }
}

/// Deletes the source's oldest closed segments while they are both older
/// than the cutoff and wholly consumed.
pub(crate) fn enforce_on_source(source: &SourceShared, cutoff_us: i64) -> Result<RetentionReport> {
    let mut report = RetentionReport::default();
    let consumed = source.consumed();
    for number in source.closed_numbers() {
        let index = closed_segment_index(source, number)?;
        if !may_delete(&index, cutoff_us, consumed) {
            break;
        }
        report.bytes_freed += delete_segment(source, number)?;
        report.segments_deleted += 1;
    }
    Ok(report)
}

fn may_delete(index: &SegmentIndex, cutoff_us: i64, consumed: Position) -> bool {
    let old = index.newest_us() < cutoff_us;
    let consumed_wholly = consumed >= Position::new(index.number, index.length);
    old && consumed_wholly
}

/// Forgets the segment first (new readers skip to the next one), then
/// removes its files; a reader that has it open keeps reading it.
fn delete_segment(source: &SourceShared, number: u64) -> Result<u64> {
    source.state().closed.remove(&number);
    let _files = source.files_lock();
    let mut freed = 0;
    for role in [SegmentFile::Plain, SegmentFile::Compressed, SegmentFile::Index] {
        freed += remove_if_present(&segment_path(&source.dir, number, role))?;
    }
    Ok(freed)
}
