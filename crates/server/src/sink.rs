//! Where the processing stage's writer stores what it has put back in
//! order: the embedded store ([`EmbeddedSink`]) or a main database with
//! the offline store behind it (`main_sink::MainSink`). Either one records
//! each source's journal position with the records it stored, so a
//! restart resumes where storing ended.

use crate::main_sink::MainSink;
use crate::processing::Source;
use crate::stats::Stats;
use correlate::Leg;
use ingest::{Context, Correlating, Counts, DedupWriter, Item};
use journal::Position;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use store::{CdrRow, Store};

/// What the writer has put back in order and not yet stored.
#[derive(Default)]
pub(crate) struct Pending {
    pub(crate) calls: Vec<CdrRow>,
    /// Quarantined and quality records.
    pub(crate) others: Vec<Item>,
    /// The calls' legs, for correlation (none when it is off), by unit.
    pub(crate) legs: Vec<Vec<Leg>>,
    /// Per source, the position after its last unit taken.
    pub(crate) upto: BTreeMap<usize, Position>,
}

impl Pending {
    /// Emptied, not dropped: the next transaction reuses the memory
    /// (fresh memory costs a page fault per page).
    pub(crate) fn clear(&mut self) {
        self.calls.clear();
        self.others.clear();
        self.legs.clear();
        self.upto.clear();
    }

    /// [`Pending::clear`], moving the calls' buffers to `buffers` first, so
    /// that another thread frees them: half a million calls' buffers,
    /// allocated by the parse workers, cost the writer about a tenth of
    /// its time to free.
    pub(crate) fn clear_moving_buffers(&mut self, buffers: &mut Vec<Vec<u8>>) {
        for call in &mut self.calls {
            call.take_buffers(buffers);
        }
        self.clear();
    }
}

pub(crate) trait Sink {
    /// Where reading `source`'s journal resumes.
    fn resume_position(&mut self, source: &str) -> Result<Option<Position>, String>;

    /// Calls per transaction at most.
    fn calls_per_transaction(&self) -> usize;

    /// Before the first write.
    fn start(&mut self) -> Result<(), String> {
        Ok(())
    }

    /// Stores the pending records and the positions reached, or keeps them
    /// where they will be stored from; adds what it did to `counts`.
    /// `context` is the reference data in force (correlation's rules and
    /// the directory its payers are resolved in).
    fn write(
        &mut self,
        pending: &mut Pending,
        sources: &[Source],
        context: &Context,
        counts: &mut Counts,
    ) -> Result<(), String>;

    /// Called when the writer has nothing to write: a chance to finish
    /// earlier work. Returns how soon it wants to be called again.
    fn idle(&mut self, _counts: &mut Counts) -> Result<Option<Duration>, String> {
        Ok(None)
    }

    /// After the last write.
    fn finish(&mut self) -> Result<(), String> {
        Ok(())
    }
}

/// Where calls go for `storage_url`: a main database (see
/// `main_sink::MainSink::open`), else the embedded store.
pub(crate) fn open<'s>(
    storage_url: Option<&str>,
    data_dir: &Path,
    store: &'s mut Store,
    stats: &'s Stats,
) -> Result<Box<dyn Sink + 's>, String> {
    Ok(match storage_url {
        None => Box::new(EmbeddedSink::new(store)),
        Some(url) => Box::new(MainSink::open(url, data_dir, store, stats)?),
    })
}

/// The embedded SQLite store: calls deduplicated against what it holds
/// and filed under their owners (rollups), in large transactions, their
/// legs correlated in the same transactions (see `ingest::Correlating`).
pub(crate) struct EmbeddedSink<'s> {
    store: &'s mut Store,
    writer: Option<DedupWriter>,
    /// Resumed at the first write, and again when the rules change.
    correlating: Option<Correlating>,
}

impl<'s> EmbeddedSink<'s> {
    pub(crate) fn new(store: &'s mut Store) -> EmbeddedSink<'s> {
        EmbeddedSink { store, writer: None, correlating: None }
    }

    /// The correlator for `context`'s rules, if it correlates.
    fn correlating(&mut self, context: &Context) -> Result<Option<&mut Correlating>, String> {
        let current = self.correlating.as_ref().map(Correlating::rules);
        if current != context.correlation {
            self.correlating = Correlating::resume(self.store, context)?;
        }
        Ok(self.correlating.as_mut())
    }
}

/// A transaction is committed once it holds this many calls (or once its
/// oldest record has waited long enough, see `processing`): each commit
/// also files its calls under their owners, which costs per commit.
/// Half a million with the writer's longer queue (see `processing`)
/// stores as fast as a million did with a short one, in about 30 % less
/// memory (`bench serve`: 670 MiB instead of 960 MiB at 2,000,000 records).
const EMBEDDED_CALLS_PER_TRANSACTION: usize = 524_288;

fn err(e: store::Error) -> String {
    e.to_string()
}

impl Sink for EmbeddedSink<'_> {
    fn resume_position(&mut self, source: &str) -> Result<Option<Position>, String> {
        let from = self.store.journal_position(source).map_err(err)?;
        Ok(from.map(Position::from_pair))
    }

    fn calls_per_transaction(&self) -> usize {
        EMBEDDED_CALLS_PER_TRANSACTION
    }

    fn start(&mut self) -> Result<(), String> {
        // Commits then never stop to copy the WAL back (see `store::checkpoint`).
        self.store.start_background_checkpoints().map_err(err)
    }

    fn write(
        &mut self,
        pending: &mut Pending,
        sources: &[Source],
        context: &Context,
        counts: &mut Counts,
    ) -> Result<(), String> {
        pending.calls.sort_unstable_by_key(|r| (r.start_s, r.dedup));
        self.correlating(context)?;
        let mut batch = self.store.batch().map_err(err)?;
        let writer = match &mut self.writer {
            Some(w) => {
                w.next_transaction(&batch).map_err(err)?;
                w
            }
            None => self.writer.insert(DedupWriter::new(&batch).map_err(err)?),
        };
        writer.store(&mut batch, &pending.others, pending.calls.iter(), counts).map_err(err)?;
        if let Some(correlating) = &mut self.correlating {
            let stored = writer.stored_keys();
            let calls = &pending.calls;
            let row = |start_s, dedup| {
                let at = calls.binary_search_by_key(&(start_s, dedup), |r| (r.start_s, r.dedup));
                at.ok().map(|at| &calls[at])
            };
            let legs = pending.legs.drain(..).flatten();
            correlating.correlate(&mut batch, legs, stored, row, context).map_err(err)?;
        }
        for (&source, upto) in &pending.upto {
            let name = &sources[source].name;
            batch.set_journal_position(name, upto.segment, upto.offset).map_err(err)?;
        }
        batch.commit().map_err(err)
    }

    fn finish(&mut self) -> Result<(), String> {
        self.store.stop_background_checkpoints();
        self.store.fold_months().map_err(err)
    }
}
