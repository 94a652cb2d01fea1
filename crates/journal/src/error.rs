//! Errors of the journal: each names the file and, where it matters, the
//! byte offset in the (uncompressed) segment.

use std::io;
use std::path::PathBuf;

use crate::Position;

/// The journal's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in the journal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O operation on a file or directory failed.
    #[error("{}: {op}: {source}", path.display())]
    Io {
        path: PathBuf,
        op: &'static str,
        #[source]
        source: io::Error,
    },
    /// An I/O operation at a known offset of a segment failed.
    #[error("{} at offset {offset}: {op}: {source}", path.display())]
    IoAt {
        path: PathBuf,
        offset: u64,
        op: &'static str,
        #[source]
        source: io::Error,
    },
    /// Bytes on disk are not what the journal wrote (bad magic, bad CRC,
    /// an entry cut short in a closed segment, ...).
    #[error("{} at offset {offset}: corrupt journal: {reason}", path.display())]
    Corrupt { path: PathBuf, offset: u64, reason: String },
    /// A small metadata file (source name, consumed marker) cannot be read.
    #[error("{}: invalid metadata: {reason}", path.display())]
    BadMetadata { path: PathBuf, reason: String },
    /// `Journal::writer` was called while another writer of the source lives.
    #[error("source {0:?}: a writer is already open")]
    WriterTaken(String),
    /// The source has never been written to this journal.
    #[error("unknown source {0:?}")]
    UnknownSource(String),
    /// The source name cannot be used (empty, too long, control characters).
    #[error("invalid source name {name:?}: {reason}")]
    InvalidSourceName { name: String, reason: &'static str },
    /// Two different source names map to the same directory.
    #[error("{}: directory already holds source {existing:?}, not {wanted:?}", path.display())]
    SourceCollision { path: PathBuf, existing: String, wanted: String },
    /// One append carried more bytes than an entry may hold.
    #[error(
        "source {source_name:?}: payload of {len} bytes exceeds the entry limit of {limit} bytes"
    )]
    PayloadTooLarge { source_name: String, len: usize, limit: usize },
    /// A receive time that microseconds since 1970 in an i64 cannot hold.
    #[error("receive time out of range (more than 292,000 years from 1970)")]
    TimeOutOfRange,
    /// An earlier write or fsync failed, so what is on disk after the
    /// durable end is unknown: the journal must be reopened (recovery
    /// truncates the unknown tail).
    #[error("{}: writer unusable after an earlier I/O error; reopen the journal", path.display())]
    WriterPoisoned { path: PathBuf },
    /// A position after the durable end was given where only durable
    /// positions make sense.
    #[error("source {source_name:?}: position {position} is beyond the durable end {end}")]
    BeyondEnd { source_name: String, position: Position, end: Position },
}

impl Error {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        op: &'static str,
    ) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, op, source }
    }

    pub(crate) fn io_at(
        path: impl Into<PathBuf>,
        offset: u64,
        op: &'static str,
    ) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::IoAt { path, offset, op, source }
    }

    pub(crate) fn corrupt(
        path: impl Into<PathBuf>,
        offset: u64,
        reason: impl Into<String>,
    ) -> Error {
        Error::Corrupt { path: path.into(), offset, reason: reason.into() }
    }
}
