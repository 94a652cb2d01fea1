//! Where the processing stage's writer stores what it has put back in
//! order: the embedded store ([`EmbeddedSink`]) or a main database with
//! the offline store behind it (`main_sink::MainSink`). Either one records
//! each source's journal position with the records it stored, so a
//! restart resumes where storing ended.

use crate::main_sink::MainSink;
use crate::processing::Source;
use crate::stats::Stats;
use correlate::Leg;
use ingest::{Beside, Context, Correlating, Counts, DedupWriter, Item};
use journal::Position;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use store::{Batch, CdrRow, Store};

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
    /// [`CALLS_PER_PART`], but in tests.
    calls_per_part: usize,
}

impl<'s> EmbeddedSink<'s> {
    pub(crate) fn new(store: &'s mut Store) -> EmbeddedSink<'s> {
        EmbeddedSink { store, writer: None, correlating: None, calls_per_part: CALLS_PER_PART }
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

/// Calls stored per part of a write when its calls are correlated: the
/// correlator joins one part's legs while the writer stores the next.
const CALLS_PER_PART: usize = 65_536;

/// How a write whose calls are correlated is stored.
struct Parts<'c> {
    /// Calls per part.
    calls: usize,
    correlating: Correlating,
    context: &'c Context,
}

impl Parts<'_> {
    /// Stores `pending`'s calls (sorted) in `batch` part by part, their
    /// legs correlated beside on a thread (`ingest::Beside`) and every
    /// outcome recorded in `batch`; gives the correlator back.
    fn store(
        self,
        batch: &mut Batch<'_>,
        writer: &mut DedupWriter,
        pending: &mut Pending,
        counts: &mut Counts,
    ) -> Result<Correlating, String> {
        let Parts { calls: per_part, correlating, context } = self;
        let calls = &pending.calls;
        if calls.is_empty() {
            writer.store(batch, &pending.others, calls.iter(), counts).map_err(err)?;
            return Ok(correlating);
        }
        // Each leg goes with its call's part (a leg's key is its call's).
        let last_keys: Vec<(i64, i64)> =
            calls.chunks(per_part).map(|part| part[part.len() - 1].key()).collect();
        // At most a leg per call, sized at once: regrown by doubling, half
        // a million legs cost the writer more in copies and fresh pages
        // than storing their calls.
        let mut legs_of: Vec<Vec<Leg>> =
            calls.chunks(per_part).map(|part| Vec::with_capacity(part.len())).collect();
        for leg in pending.legs.drain(..).flatten() {
            let key = (leg.start.as_second(), leg.id as i64);
            let part = last_keys.partition_point(|last| *last < key).min(last_keys.len() - 1);
            legs_of[part].push(leg);
        }
        let row = |start_s, dedup| {
            let at = calls.binary_search_by_key(&(start_s, dedup), CdrRow::key);
            at.ok().map(|at| &calls[at])
        };
        std::thread::scope(|scope| {
            let mut beside = Beside::start(scope, correlating, context, drop)?;
            let mut waiting = 0;
            for (n, (part, legs)) in calls.chunks(per_part).zip(legs_of).enumerate() {
                let others: &[Item] = if n == 0 { &pending.others } else { &[] };
                writer.store(batch, others, part.iter(), counts).map_err(err)?;
                beside.send(vec![legs], writer.stored_keys())?;
                waiting += 1;
                if waiting > 1 {
                    beside.take_outcomes()?.record(batch, row, context).map_err(err)?;
                    waiting -= 1;
                }
            }
            for _ in 0..waiting {
                beside.take_outcomes()?.record(batch, row, context).map_err(err)?;
            }
            beside.finish()
        })
    }
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
        // Taken out while storing: should storing fail, the transaction is
        // rolled back and the correlator, which joined its legs, is resumed
        // from the store at the next write.
        match self.correlating.take() {
            Some(correlating) => {
                let parts = Parts { calls: self.calls_per_part, correlating, context };
                self.correlating = Some(parts.store(&mut batch, writer, pending, counts)?);
            }
            None => {
                let calls = pending.calls.iter();
                writer.store(&mut batch, &pending.others, calls, counts).map_err(err)?;
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use cdr::{Location, ParserContext};
    use directory::DirectoryFile;
    use ingest::Origin;
    use std::path::PathBuf;
    use store::{LegBilling, Sums};

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../bluewhale/tests/fixtures/correlate")
            .join(name)
    }

    fn store_with_directory(dir: &Path) -> Store {
        let mut store = Store::open(dir).unwrap();
        let path = fixture("directory.toml");
        store.load_directory(&DirectoryFile::read(&path).unwrap(), &path).unwrap();
        store
    }

    /// Records of the fixture given twice.
    const DUP: usize = 1;

    /// The records of the CUCM conference fixture (Cisco's documented
    /// example, six legs), the first [`DUP`] twice, as the writer gets
    /// them.
    fn pending(context: &Context) -> Pending {
        let text = std::fs::read_to_string(fixture("conference.csv")).unwrap();
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let pbx = context.index.pbx("cucm-hq").unwrap();
        let format = parsers::Format::by_name("cucm").unwrap();
        let received = cdr::Timestamp::now();
        let mut parser =
            format.parser(&ParserContext { time_zone: pbx.time_zone.clone(), received });
        for header in lines.by_ref().take(2) {
            let _ = parser.parse(header.as_bytes());
        }
        let records: Vec<&str> = lines.collect();
        assert_eq!(records.len(), 6);
        let origin = Origin::new("cucm-hq", Some(pbx), "cucm", 1, context);
        let mut pending = Pending::default();
        let mut legs = Vec::new();
        for (n, record) in records.iter().chain(&records[..DUP]).enumerate() {
            let parsed = parser.parse(record.as_bytes());
            let location = Location::line("conference.csv", n as u64 + 3);
            match origin.item(parsed, record.as_bytes(), location, parser.header(), &mut legs) {
                Some(Item::Call(row)) => pending.calls.push(row),
                other => panic!("not a call: {:?}", other.is_some()),
            }
        }
        pending.legs.push(legs);
        pending
    }

    /// Each stored call's outcome, and every (department, extension)'s sums.
    type Outcomes = (Vec<Option<LegBilling>>, Vec<(i64, i64, Sums)>);

    fn outcomes(store: &Store) -> Outcomes {
        let mut keys = Vec::new();
        store
            .each_call_since(0, &mut |call| {
                keys.push((call.start_s, call.dedup));
                Ok(())
            })
            .unwrap();
        keys.sort_unstable();
        let legs = keys.iter().map(|&(s, d)| store.leg_billing(s, d).unwrap()).collect();
        let mut sums = Vec::new();
        let (first, last) = (0, 100_000);
        store
            .rollups(first, last, |department, extension, agg| {
                sums.push((department, extension, agg.total()));
                Ok(())
            })
            .unwrap();
        (legs, sums)
    }

    /// Written in one part, and in parts of two calls (the duplicate of
    /// the first record in another part than its original, the legs of
    /// the conference spread over three parts), the conference is the same
    /// one call: every leg's outcome, every owner's sums.
    #[test]
    fn a_write_stored_in_parts_correlates_as_a_write_stored_whole() {
        let mut results = Vec::new();
        for calls_per_part in [CALLS_PER_PART, 2] {
            let dir = tempfile::tempdir().unwrap();
            let mut store = store_with_directory(dir.path());
            let context = Context::load(&store).unwrap();
            assert!(context.correlation.is_some(), "correlation is on by default");
            let mut pending = pending(&context);
            pending.calls.sort_unstable_by_key(CdrRow::key);
            let mut counts = Counts::default();
            {
                let mut sink = EmbeddedSink::new(&mut store);
                sink.calls_per_part = calls_per_part;
                sink.write(&mut pending, &[], &context, &mut counts).unwrap();
            }
            assert_eq!((counts.stored, counts.duplicates), (6, DUP as u64));
            results.push(outcomes(&store));
        }
        let (legs, sums) = &results[0];
        assert_eq!(legs.len(), 6);
        assert!(legs.iter().all(Option::is_some), "every leg has its outcome: {legs:?}");
        let counted = legs.iter().flatten().filter(|leg| leg.counted).count();
        assert_eq!(counted, 1, "the conference counts once");
        assert_eq!(sums.iter().map(|(_, _, s)| s.calls).sum::<i64>(), 1);
        assert_eq!(results[1], results[0]);
    }
}
