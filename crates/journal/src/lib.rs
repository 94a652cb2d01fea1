//! The raw journal of the CDR collection server.
//!
//! # What and why
//!
//! `bluewhale serve` receives CDR bytes from many PBXs. Every byte received
//! is appended to this journal, and made durable, *before* it is
//! acknowledged to the PBX; parsing and storing read the journal
//! afterwards. The journal is therefore
//!
//! - the durability point: nothing acknowledged is lost, even on `kill -9`
//!   or power loss, provided the connector acknowledges only after
//!   [`SourceWriter::sync`] returned;
//! - the buffer that absorbs bursts: the pipeline tails it with a
//!   [`SourceReader`] at its own pace;
//! - an audit trail kept for the retention period and replayable by
//!   position ([`Journal::reader`]) or by receive time
//!   ([`Journal::entries_between`]).
//!
//! # Model
//!
//! A journal is a directory with one sub-directory per *source* (a PBX).
//! The directory name is the source name with unsafe characters replaced
//! and a hash of the real name appended (`pbx-paris-1f0c…`); the real name
//! is kept in `source.name`. A source's journal is a sequence of
//! *segments* `000000000001.seg`, `000000000002.seg`, …; only the last
//! one is appended to. The [`SourceWriter`] closes it (rotation) when it
//! would exceed [`JournalConfig::max_segment_bytes`] or, in
//! [`SourceWriter::rotate_if_due`], once it is older than
//! [`JournalConfig::max_segment_age`]. A closed segment gets a side index
//! `N.idx` (entry count, receive-time range, length) and is compressed by a
//! background thread into `N.seg.zst`. [`Journal::enforce_retention`]
//! deletes closed segments that are older than the retention *and* wholly
//! before the position recorded with [`Journal::mark_consumed`] (kept in
//! the file `consumed` as `SEGMENT OFFSET`, replaced atomically).
//!
//! A [`Position`] is a segment number and an offset in the uncompressed
//! segment; positions are totally ordered and stored as two integers.
//!
//! # File format
//!
//! All integers little-endian. A segment starts with a 32-byte header:
//!
//! | bytes | content |
//! |---|---|
//! | 0..6 | magic `BWJSEG` |
//! | 6..8 | version (1) |
//! | 8..16 | segment number |
//! | 16..24 | creation time, µs since 1970-01-01 UTC (i64) |
//! | 24..28 | reserved (0) |
//! | 28..32 | CRC32 of bytes 0..28 |
//!
//! Then entries, back to back, each a 28-byte header and the payload:
//!
//! | bytes | content |
//! |---|---|
//! | 0..2 | magic `JE` |
//! | 2 | version (1) |
//! | 3 | kind: 1 `Data`, 2 `Open`, 3 `Close` |
//! | 4..8 | payload length (at most 16 MiB) |
//! | 8..16 | receive time, **microseconds** since 1970-01-01 UTC (i64) |
//! | 16..24 | connection id |
//! | 24..28 | CRC32 (crc32fast) of header bytes 0..24 followed by the payload |
//!
//! `Data` payloads are bytes as received, not aligned on records. `Open`
//! carries the peer description (UTF-8). `Close` says the connection ended:
//! bytes of that connection after its last complete record are an
//! incomplete record the consumer must quarantine.
//!
//! The side index `N.idx` is 60 bytes: magic `BWJIDX`, version, then the
//! segment number, creation time, entry count, smallest and largest
//! receive time, uncompressed length, and a CRC32. It is a cache: when
//! missing or damaged it is rebuilt by reading the segment.
//!
//! # Durability
//!
//! [`SourceWriter::append`] only encodes into a buffer (handed to the OS
//! in 1 MiB writes). [`SourceWriter::sync`] writes the rest and calls
//! fdatasync once: group commit. Readers see entries only up to the
//! durable end. Creating a segment or a source fsyncs the file and its
//! directory; metadata files are written to a temporary file, fsynced and
//! renamed.
//!
//! # Recovery rules
//!
//! [`Journal::open`] repairs each source (see the `recovery` module):
//! temporary files are deleted; a segment present as both `.seg` and
//! `.seg.zst` (a crash during compression) keeps the `.seg` and loses the
//! `.zst`; the last segment is scanned and truncated (and fsynced) after
//! its last valid entry — a torn header, short payload or bad CRC ends
//! it — and what was cut is reported by [`Journal::recovered`]. Since every
//! entry `sync` returned for was fdatasynced, it precedes any torn bytes
//! and survives. Closed segments are not scanned at open: a damaged entry
//! in one is an [`Error::Corrupt`] with the file and offset when a reader
//! reaches it, never skipped.
//!
//! One process at a time may use a journal directory.

mod compress;
mod error;
mod files;
mod format;
mod index;
mod journal;
mod position;
mod reader;
mod recovery;
mod replay;
mod retention;
mod source;
mod writer;

pub use error::{Error, Result};
pub use format::{ENTRY_HEADER_LEN, EntryKind, MAX_PAYLOAD, SEGMENT_HEADER_LEN};
pub use journal::{Journal, JournalConfig};
pub use position::Position;
pub use reader::{Entry, SourceReader};
pub use recovery::Recovered;
pub use retention::RetentionReport;
pub use writer::SourceWriter;
