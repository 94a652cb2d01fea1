//! Storing parsed items without storing a call twice: the part of the
//! import's writer that every path into the store shares (files, the live
//! server). Calls the Bloom filter rules out are certainly new and are
//! stored several per statement; a possible duplicate is stored alone by
//! `INSERT OR IGNORE`, whose primary key check is the exact check.

use crate::dedup::DedupFilter;
use crate::pipeline::Counts;
use crate::record::Item;
use store::{Batch, CdrRow, Insert};

/// The dedup filters of one writing connection, and what they were built
/// against.
pub struct DedupWriter {
    dedup: DedupFilter,
    /// `PRAGMA data_version` when the filters were last known current.
    version: i64,
    /// The keys of the calls the last [`DedupWriter::store`] stored, and
    /// how many it found stored already.
    stored: Vec<i64>,
    duplicates: u64,
}

impl DedupWriter {
    /// A writer whose filters start empty (they seed themselves from the
    /// store, day by day).
    pub fn new(batch: &Batch<'_>) -> store::Result<DedupWriter> {
        Ok(DedupWriter {
            dedup: DedupFilter::new(),
            version: batch.data_version()?,
            stored: Vec::new(),
            duplicates: 0,
        })
    }

    /// Stores `others` in order (quality records, quarantined records,
    /// calls kept in file order) and `calls` (sorted by key), counting
    /// each in `counts`.
    pub fn store<'r>(
        &mut self,
        batch: &mut Batch<'_>,
        others: &[Item],
        calls: impl Iterator<Item = &'r CdrRow>,
        counts: &mut Counts,
    ) -> store::Result<()> {
        let now = jiff::Timestamp::now().as_second();
        self.stored.clear();
        let duplicates_before = counts.duplicates;
        for item in others {
            counts.records += 1;
            let outcome = match item {
                Item::Call(row) => {
                    let outcome = batch.insert_cdr(row)?;
                    if outcome == Insert::Stored {
                        self.stored.push(row.dedup);
                    }
                    outcome
                }
                Item::Quality { record, pbx_id, source_id } => {
                    batch.insert_quality(record, *pbx_id, *source_id)?
                }
                Item::Bad(q) => {
                    batch.quarantine(q, now)?;
                    counts.quarantined += 1;
                    continue;
                }
            };
            count(counts, outcome);
        }
        let mut fresh = Vec::new();
        for row in calls {
            counts.records += 1;
            let day = row.start_s.div_euclid(86_400);
            if !self.dedup.knows_day(day) {
                // Seeding reads the store: it must hold what we took for new.
                self.store_fresh(batch, &mut fresh, counts)?;
            }
            let maybe = self.dedup.check_and_insert(row.start_s, row.dedup, |each| {
                batch.dedup_keys_of_day(day, each)
            })?;
            if maybe {
                // The calls before it first, so a duplicate of one of them
                // is caught.
                self.store_fresh(batch, &mut fresh, counts)?;
                let outcome = batch.insert_cdr(row)?;
                if outcome == Insert::Stored {
                    self.stored.push(row.dedup);
                }
                count(counts, outcome);
            } else {
                fresh.push(row);
            }
        }
        self.store_fresh(batch, &mut fresh, counts)?;
        self.duplicates = counts.duplicates - duplicates_before;
        Ok(())
    }

    /// The dedup keys of the calls the last [`DedupWriter::store`] stored
    /// (not those it found stored already), in no particular order, or
    /// `None` when it stored every call it was given (the common case,
    /// which needs no look-up): only a call stored now may be correlated
    /// now, as a duplicate's leg was when its original was stored.
    pub fn stored_keys(&self) -> Option<&[i64]> {
        (self.duplicates > 0).then_some(&self.stored[..])
    }

    /// Stores the calls the filter ruled out so far.
    fn store_fresh(
        &mut self,
        batch: &mut Batch<'_>,
        fresh: &mut Vec<&CdrRow>,
        counts: &mut Counts,
    ) -> store::Result<()> {
        batch.insert_new_cdrs(fresh)?;
        counts.stored += fresh.len() as u64;
        self.stored.extend(fresh.iter().map(|r| r.dedup));
        fresh.clear();
        Ok(())
    }

    /// After a commit, with the next transaction begun: the filters hold
    /// what this connection stored and read, so another writer's commit in
    /// between makes them stale.
    pub fn next_transaction(&mut self, batch: &Batch<'_>) -> store::Result<()> {
        let now = batch.data_version()?;
        if now != self.version {
            self.dedup.forget_all();
            self.version = now;
        }
        Ok(())
    }

    /// Calls the filters could not rule out (they went to the exact check).
    pub fn exact_checks(&self) -> u64 {
        self.dedup.exact_checks
    }
}

fn count(counts: &mut Counts, outcome: Insert) {
    match outcome {
        Insert::Stored => counts.stored += 1,
        Insert::Duplicate => counts.duplicates += 1,
    }
}
