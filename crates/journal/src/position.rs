//! Positions in a source's journal.

use std::fmt;

/// A place in one source's journal: a segment number and a byte offset in
/// that segment's uncompressed bytes (the segment header included, so the
/// first entry of a segment is at [`crate::SEGMENT_HEADER_LEN`]).
///
/// Positions are totally ordered (segment first, then offset) and are two
/// plain integers, so the pipeline can store the consumed position in its
/// database in the same transaction as the calls it produced.
/// `Position::BEGIN` (0, 0) is before everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    pub segment: u64,
    pub offset: u64,
}

impl Position {
    /// Before any entry of any segment.
    pub const BEGIN: Position = Position { segment: 0, offset: 0 };

    pub const fn new(segment: u64, offset: u64) -> Position {
        Position { segment, offset }
    }

    /// The two integers, for storage.
    pub const fn to_pair(self) -> (u64, u64) {
        (self.segment, self.offset)
    }

    /// Back from the two stored integers.
    pub const fn from_pair((segment, offset): (u64, u64)) -> Position {
        Position { segment, offset }
    }
}

impl From<(u64, u64)> for Position {
    fn from(pair: (u64, u64)) -> Position {
        Position::from_pair(pair)
    }
}

impl From<Position> for (u64, u64) {
    fn from(position: Position) -> (u64, u64) {
        position.to_pair()
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.segment, self.offset)
    }
}
