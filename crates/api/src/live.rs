//! The live feed: calls as they are stored, for the console's live page.
//!
//! The pipeline's writer publishes each stored batch here, but only while
//! someone watches (a batch is built only when there are subscribers, so
//! the feed costs nothing under load with nobody looking). A batch carries
//! every call's owner and cost (for counts and sums) and a sample of the
//! newest calls, decoded: at thousands of calls a second nobody reads
//! each one, so the page shows the newest and says how many went by.

use std::sync::Arc;
use store::{Amount, CallRecord, CdrRow};
use tokio::sync::broadcast;

/// Newest calls decoded per batch at most.
pub const SAMPLE: usize = 200;
/// Batches kept for a slow subscriber before it skips ahead.
const CAPACITY: usize = 64;

/// One call's owner and price, for the feed's counts and sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub department_id: i64,
    pub extension_id: i64,
    pub call_type: u8,
    pub cost: Amount,
}

/// What one commit of the pipeline stored.
#[derive(Debug, Clone, Default)]
pub struct LiveBatch {
    /// Every call of the batch.
    pub tallies: Vec<Tally>,
    /// The newest calls (at most [`SAMPLE`]), oldest first.
    pub sample: Vec<CallRecord>,
}

impl LiveBatch {
    /// The batch of stored `rows`; the sample is taken from the end (the
    /// writer stores calls in start order).
    pub fn of(rows: &[CdrRow]) -> LiveBatch {
        let tallies = rows
            .iter()
            .map(|r| Tally {
                department_id: r.department_id.unwrap_or(0),
                extension_id: r.extension_id.unwrap_or(0),
                call_type: r.bucket.call_type,
                cost: r.sums.cost,
            })
            .collect();
        let from = rows.len().saturating_sub(SAMPLE);
        let sample = rows[from..].iter().filter_map(|r| r.decode().ok()).collect();
        LiveBatch { tallies, sample }
    }
}

/// Where stored batches are published and the feed's pages subscribe.
#[derive(Clone)]
pub struct LiveFeed {
    sender: broadcast::Sender<Arc<LiveBatch>>,
}

impl Default for LiveFeed {
    fn default() -> Self {
        LiveFeed { sender: broadcast::channel(CAPACITY).0 }
    }
}

impl LiveFeed {
    /// Whether anyone watches (publishers skip building batches otherwise).
    pub fn watched(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    /// Publishes the calls just stored, if anyone watches.
    pub fn publish(&self, rows: &[CdrRow]) {
        if self.watched() && !rows.is_empty() {
            let _ = self.sender.send(Arc::new(LiveBatch::of(rows)));
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveBatch>> {
        self.sender.subscribe()
    }
}
