//! What the running server has done so far, for `/metrics` and the
//! console: counters the stages bump as they go, and each connector's
//! state.

use connectors::ConnectorState;
use ingest::Counts;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Stats {
    pub journal_entries: AtomicU64,
    pub journal_bytes: AtomicU64,
    pub journal_syncs: AtomicU64,
    pub records: AtomicU64,
    pub stored: AtomicU64,
    pub duplicates: AtomicU64,
    pub quarantined: AtomicU64,
    pub transactions: AtomicU64,
    /// With a main database: 1 while it answers.
    pub main_up: AtomicU64,
    /// Times the main database could not be reached.
    pub main_failures: AtomicU64,
    /// Batches and calls waiting in the offline store.
    pub offline_batches: AtomicU64,
    pub offline_calls: AtomicU64,
    /// Items waiting before each stage, as last seen by the stage.
    pub queued: [AtomicU64; Stage::ALL.len()],
}

/// A stage of the pipeline, by the queue in front of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Received items waiting to be journaled.
    Journal,
    /// Journal units waiting for a parse worker.
    Parse,
    /// Parsed parts waiting for the writer.
    Store,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Journal, Stage::Parse, Stage::Store];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Journal => "journal",
            Stage::Parse => "parse",
            Stage::Store => "store",
        }
    }
}

impl Stats {
    /// Adds what one transaction stored.
    pub fn add_counts(&self, before: &Counts, after: &Counts) {
        let add =
            |c: &AtomicU64, a: u64, b: u64| c.fetch_add(b.saturating_sub(a), Ordering::Relaxed);
        add(&self.records, before.records, after.records);
        add(&self.stored, before.stored, after.stored);
        add(&self.duplicates, before.duplicates, after.duplicates);
        add(&self.quarantined, before.quarantined, after.quarantined);
        self.transactions.fetch_add(1, Ordering::Relaxed);
    }

    pub fn set_queue(&self, stage: Stage, depth: usize) {
        self.queued[stage as usize].store(depth as u64, Ordering::Relaxed);
    }

    pub fn add_journaled(&self, entries: u64, bytes: u64, syncs: u64) {
        self.journal_entries.fetch_add(entries, Ordering::Relaxed);
        self.journal_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.journal_syncs.fetch_add(syncs, Ordering::Relaxed);
    }
}

/// Everything the HTTP side shows.
pub struct Observed {
    pub stats: Arc<Stats>,
    /// Whether calls go to a main database (its metrics are shown).
    pub main_database: bool,
    pub connectors: Vec<Arc<ConnectorState>>,
}
