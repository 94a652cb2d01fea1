//! What connectors hand on: whole records, and when connections open and
//! close. The journal stage writes these as they come (see `journal`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The index of a PBX in the server's configuration.
pub type SourceId = u32;

/// One thing received from a PBX.
#[derive(Debug)]
pub struct Received {
    pub source: SourceId,
    /// Unique to the connection (see [`ConnectionIds`]).
    pub connection: u64,
    pub at: SystemTime,
    pub what: What,
    /// Told once the item is synced to the journal (see `Feed::send_durable`).
    pub durable: Option<tokio::sync::oneshot::Sender<()>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    Opened {
        peer: String,
    },
    /// One or more whole records, each with its terminator, as received.
    Records(Vec<u8>),
    /// The connection ended; `partial` is an incomplete last record (to be
    /// quarantined), `reason` why it ended.
    Closed {
        partial: Vec<u8>,
        reason: String,
    },
}

/// Hands out connection ids that do not repeat across restarts: the
/// process start time in the high bits, a counter in the low ones.
#[derive(Debug)]
pub struct ConnectionIds {
    next: AtomicU64,
}

impl ConnectionIds {
    pub fn new() -> ConnectionIds {
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        ConnectionIds { next: AtomicU64::new(started << 24) }
    }

    pub fn next(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }
}

impl Default for ConnectionIds {
    fn default() -> Self {
        ConnectionIds::new()
    }
}
