//! Storing into a main database (PostgreSQL or MySQL/MariaDB, see
//! `mainstore`) with the offline store behind it.
//!
//! While the main database answers, each batch is written to it directly,
//! with the journal positions it reached, in one transaction. When it
//! cannot be reached, batches are kept in the offline store instead, in
//! order, and every later batch joins them there, so that the main
//! database always receives batches in journal order. Every `RETRY` the
//! writer tries to connect again; once it can, it writes the kept
//! batches oldest first, letting go of each once the main database holds
//! it, then goes back to writing directly. A batch written twice (the
//! database went away before saying whether it committed, or the server
//! stopped between the main commit and letting go of the batch) stores
//! nothing twice: the main database skips calls and quarantined records
//! it holds.
//!
//! Quality records (CUCM CMR) stay in the embedded store, as do the
//! directory and the tariffs.

use crate::offline::{Backlog, Kept, OfflineStore};
use crate::processing::Source;
use crate::sink::{Pending, Sink};
use crate::stats::Stats;
use ingest::{Context, Counts, Item};
use journal::Position;
use mainstore::{MainStore, Quarantined, Written};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use store::Store;

/// How long after a failure the main database is tried again.
const RETRY: Duration = Duration::from_secs(2);
/// Calls per transaction at most: a batch is also what goes to the offline
/// store and comes back from it at once.
const CALLS_PER_TRANSACTION: usize = 262_144;

pub(crate) struct MainSink<'s> {
    url: String,
    /// The connection, while the main database answers.
    main: Option<MainStore>,
    /// When to try connecting again.
    retry_at: Instant,
    offline: OfflineStore,
    backlog: Backlog,
    /// For quality records.
    local: &'s mut Store,
    stats: &'s Stats,
    /// Whether the current outage has been reported.
    outage_said: bool,
}

impl<'s> MainSink<'s> {
    /// Opens the offline store and tries the main database once. A wrong
    /// URL or a database this program cannot use is an error; one that
    /// does not answer is not (batches wait in the offline store).
    pub(crate) fn open(
        url: &str,
        data_dir: &Path,
        local: &'s mut Store,
        stats: &'s Stats,
    ) -> Result<MainSink<'s>, String> {
        let offline = OfflineStore::open(data_dir)?;
        let backlog = offline.backlog()?;
        let mut sink = MainSink {
            url: url.to_owned(),
            main: None,
            retry_at: Instant::now(),
            offline,
            backlog,
            local,
            stats,
            outage_said: false,
        };
        sink.show_backlog();
        sink.connected()?;
        Ok(sink)
    }

    /// Whether the main database answers, connecting when it is time to
    /// try again.
    fn connected(&mut self) -> Result<bool, String> {
        if self.main.is_some() {
            return Ok(true);
        }
        if Instant::now() < self.retry_at {
            return Ok(false);
        }
        let connected = MainStore::connect(&self.url).and_then(|mut main| {
            main.migrate()?;
            Ok(main)
        });
        match connected {
            Ok(main) => {
                eprintln!("main database {}: connected", main.target());
                self.main = Some(main);
                self.outage_said = false;
                self.stats.main_up.store(1, Ordering::Relaxed);
                Ok(true)
            }
            Err(e) if e.is_unavailable() => {
                self.unavailable(&e);
                Ok(false)
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn unavailable(&mut self, e: &mainstore::Error) {
        // Said once per outage, not at every retry.
        if !self.outage_said {
            eprintln!("{e}; batches wait in the offline store until it answers");
            self.outage_said = true;
        }
        self.main = None;
        self.retry_at = Instant::now() + RETRY;
        self.stats.main_up.store(0, Ordering::Relaxed);
        self.stats.main_failures.fetch_add(1, Ordering::Relaxed);
    }

    fn show_backlog(&self) {
        self.stats.offline_batches.store(self.backlog.batches, Ordering::Relaxed);
        self.stats.offline_calls.store(self.backlog.calls, Ordering::Relaxed);
    }

    /// Writes one batch to the main database. `Ok(None)`: it cannot be
    /// reached now.
    fn write_main(&mut self, batch: &Kept) -> Result<Option<Written>, String> {
        let Some(main) = &mut self.main else { return Ok(None) };
        let quarantined: Vec<Quarantined<'_>> = batch
            .quarantined
            .iter()
            .map(|(item, received_at)| Quarantined { item, received_at: *received_at })
            .collect();
        match main.write(&batch.calls, &quarantined, &batch.positions) {
            Ok(written) => Ok(Some(written)),
            Err(e) if e.is_unavailable() => {
                self.unavailable(&e);
                Ok(None)
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// Writes kept batches to the main database, oldest first, until none
    /// is left or it stops answering.
    fn drain(&mut self, counts: &mut Counts) -> Result<(), String> {
        let started = (Instant::now(), self.backlog);
        while self.backlog.batches > 0 && self.connected()? {
            let Some((id, batch)) = self.offline.oldest()? else {
                self.backlog = Backlog::default();
                break;
            };
            let Some(written) = self.write_main(&batch)? else { break };
            self.offline.shipped_batch(id, &batch.positions)?;
            add(counts, &batch, written);
            self.backlog.batches -= 1;
            self.backlog.calls = self.backlog.calls.saturating_sub(batch.calls.len() as u64);
            self.show_backlog();
        }
        if started.1.batches > 0 && self.backlog.batches == 0 {
            eprintln!(
                "main database: the offline store's {} batches ({} calls) written in {:.1} s",
                started.1.batches,
                started.1.calls,
                started.0.elapsed().as_secs_f64()
            );
        }
        Ok(())
    }
}

/// Adds one batch written to the main database to the counts.
fn add(counts: &mut Counts, batch: &Kept, written: Written) {
    counts.records += (batch.calls.len() + batch.quarantined.len()) as u64;
    counts.stored += written.stored;
    counts.duplicates += written.duplicates;
    counts.quarantined += batch.quarantined.len() as u64;
}

impl Sink for MainSink<'_> {
    fn resume_position(&mut self, source: &str) -> Result<Option<Position>, String> {
        let kept = self.offline.resume_position(source)?;
        let main = match &mut self.main {
            Some(main) => main.journal_position(source).map_err(|e| e.to_string())?,
            None => None,
        };
        Ok(kept.max(main))
    }

    fn calls_per_transaction(&self) -> usize {
        CALLS_PER_TRANSACTION
    }

    /// Calls go to the main database as they are: correlation applies to
    /// the embedded store only (see ARCHITECTURE.md), so the legs are
    /// dropped here.
    fn write(
        &mut self,
        pending: &mut Pending,
        sources: &[Source],
        _context: &Context,
        counts: &mut Counts,
    ) -> Result<(), String> {
        pending.legs.clear();
        let now = jiff::Timestamp::now().as_second();
        let mut batch = Kept {
            calls: std::mem::take(&mut pending.calls),
            quarantined: Vec::new(),
            positions: pending
                .upto
                .iter()
                .map(|(&source, &position)| (sources[source].name.clone(), position))
                .collect(),
        };
        self.store_quality(&pending.others, counts)?;
        for item in &pending.others {
            if let Item::Bad(q) = item {
                batch.quarantined.push((q.clone(), now));
            }
        }
        self.drain(counts)?;
        let written = if self.backlog.batches == 0 && self.connected()? {
            self.write_main(&batch)?
        } else {
            None
        };
        match written {
            Some(written) => {
                self.offline.shipped(&batch.positions)?;
                add(counts, &batch, written);
            }
            None => {
                self.offline.keep(&batch, now)?;
                self.backlog.batches += 1;
                self.backlog.calls += batch.calls.len() as u64;
                self.show_backlog();
            }
        }
        // Hand the memory back for the next batch.
        pending.calls = batch.calls;
        Ok(())
    }

    fn idle(&mut self, counts: &mut Counts) -> Result<Option<Duration>, String> {
        self.drain(counts)?;
        Ok((self.backlog.batches > 0).then_some(RETRY))
    }

    fn finish(&mut self) -> Result<(), String> {
        if self.backlog.batches > 0 {
            eprintln!(
                "stopping with {} batches ({} calls) in the offline store: they are written to \
                 the main database after the next start",
                self.backlog.batches, self.backlog.calls
            );
        }
        Ok(())
    }
}

impl MainSink<'_> {
    /// Quality records go to the embedded store (their table is not in
    /// the main database); storing them again after a restart is a no-op.
    fn store_quality(&mut self, others: &[Item], counts: &mut Counts) -> Result<(), String> {
        if !others.iter().any(|i| matches!(i, Item::Quality { .. })) {
            return Ok(());
        }
        let err = |e: store::Error| e.to_string();
        let batch = self.local.batch().map_err(err)?;
        for item in others {
            if let Item::Quality { record, pbx_id, source_id } = item {
                counts.records += 1;
                match batch.insert_quality(record, *pbx_id, *source_id).map_err(err)? {
                    store::Insert::Stored => counts.stored += 1,
                    _ => counts.duplicates += 1,
                }
            }
        }
        batch.commit().map_err(err)
    }
}
