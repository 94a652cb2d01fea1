//! `bluewhale import`: files are read and parsed on their own threads (see
//! `parse`) and stored on this one, joined by a bounded queue of batches,
//! so parsing and SQLite work in parallel and memory stays bounded
//! whatever the input size. Stored rows go back to the parse side to be
//! reused.

use crate::context::Context;
use crate::correlation::{Beside, Correlating};
use crate::input;
use crate::plan::{Request, plan_file};
use crate::record::Item;
use crate::writer::DedupWriter;
use correlate::Leg;
use crossbeam_channel::{Receiver, Sender, bounded};
use directory::DirectoryIndex;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use store::{Batch, CdrRow, Store};

/// Batches in flight between the parse side and the writer.
const QUEUE: usize = 4;

/// Where every record read went: `records = stored + duplicates + quarantined`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub records: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub quarantined: u64,
}

impl Counts {
    pub fn balanced(&self) -> bool {
        self.records == self.stored + self.duplicates + self.quarantined
    }
}

#[derive(Debug, Default, Clone)]
pub struct ImportSummary {
    pub counts: Counts,
    pub files: usize,
    pub seconds: f64,
    /// Files that could not be read at all, with the reason.
    pub failed: Vec<String>,
    /// Records the Bloom filter could not rule out (went to the exact check).
    pub exact_checks: u64,
}

impl ImportSummary {
    pub fn per_second(&self) -> f64 {
        if self.seconds > 0.0 { self.counts.records as f64 / self.seconds } else { 0.0 }
    }
}

/// Receives progress as the import goes.
pub trait Progress: Send {
    fn start(&mut self, total_bytes: u64);
    fn update(&mut self, bytes_read: u64, counts: &Counts);
    fn finish(&mut self);
}

/// No progress display.
pub struct Silent;

impl Progress for Silent {
    fn start(&mut self, _: u64) {}
    fn update(&mut self, _: u64, _: &Counts) {}
    fn finish(&mut self) {}
}

/// A batch read by the parse side: its calls in sorted runs (one per
/// chunk parsed) and the order that reads them all by key (so the writer
/// fills the clustered B-tree front to back), and its other items in file
/// order. The runs are never moved or concatenated: each goes back to the
/// parse side, whole, when stored (see [`Recycler`]).
pub(crate) struct Records {
    runs: Vec<Vec<CdrRow>>,
    /// Every call of `runs` in key order, then file order: the run's
    /// number in the high 32 bits, the index in it in the low 32.
    order: Vec<u64>,
    others: Vec<Item>,
    /// The legs of the calls, for correlation (none when it is off), in
    /// the chunks they were made in (appending moves no leg).
    pub(crate) legs: Vec<Vec<Leg>>,
}

/// A call's place in [`Records::order`].
fn place(run: usize, index: usize) -> u64 {
    ((run as u64) << 32) | index as u64
}

impl Records {
    pub(crate) fn new(calls: Vec<CdrRow>) -> Self {
        Records { runs: vec![calls], order: Vec::new(), others: Vec::new(), legs: Vec::new() }
    }

    fn calls(&self) -> usize {
        self.runs.iter().map(Vec::len).sum()
    }

    pub(crate) fn len(&self) -> usize {
        self.calls() + self.others.len()
    }

    /// Adds `more` (read after these) to these records.
    pub(crate) fn append(&mut self, mut more: Records) {
        self.runs.retain(|run| !run.is_empty());
        self.runs.extend(more.runs.into_iter().filter(|run| !run.is_empty()));
        self.others.append(&mut more.others);
        self.legs.append(&mut more.legs);
    }

    /// Works out the order of the calls of all runs, each sorted: a merge
    /// of the runs (an earlier run first among equal keys).
    pub(crate) fn merged(mut self) -> Self {
        let mut next = vec![0usize; self.runs.len()];
        let mut order = Vec::with_capacity(self.calls());
        loop {
            let mut first: Option<(usize, (i64, i64))> = None;
            for (run, rows) in self.runs.iter().enumerate() {
                if let Some(r) = rows.get(next[run]) {
                    let key = (r.start_s, r.dedup);
                    if first.is_none_or(|(_, k)| key < k) {
                        first = Some((run, key));
                    }
                }
            }
            let Some((run, _)) = first else { break };
            order.push(place(run, next[run]));
            next[run] += 1;
        }
        self.order = order;
        self
    }

    /// The calls in key order (see [`Records::merged`]).
    fn in_order(&self) -> impl Iterator<Item = &CdrRow> {
        self.order
            .iter()
            .filter_map(|&at| self.runs.get((at >> 32) as usize)?.get(at as u32 as usize))
    }

    /// Adds an item read after the others (a call to the last run).
    pub(crate) fn push(&mut self, item: Item) {
        match item {
            Item::Call(row) => match self.runs.last_mut() {
                Some(run) => run.push(row),
                None => self.runs.push(vec![row]),
            },
            other => self.others.push(other),
        }
    }

    /// Sorts each run by key.
    pub(crate) fn sorted(mut self) -> Self {
        for run in &mut self.runs {
            run.sort_unstable_by_key(|r| (r.start_s, r.dedup));
        }
        self
    }
}

pub(crate) enum Msg {
    Records(Records),
    Failed(String),
}

/// What the storing side gives back to the parse side once used, emptied
/// (the parse side refills it instead of allocating anew: these are large,
/// and memory freed on another thread than the one that took it is slow
/// to be reused).
pub(crate) enum Spare {
    /// A run of rows stored (their `rec` buffers are kept too).
    Rows(Vec<CdrRow>),
    /// A vector of legs correlated.
    Legs(Vec<Leg>),
}

/// Rows the writer has stored, and vectors of legs correlated, go back to
/// the parse side: freed by the thread that allocated them (the allocator
/// then takes no lock, and the writer, the busier thread, spends nothing on
/// them) and, better, their buffers packed again for the next rows: the
/// `rec` buffers and the vectors themselves (fresh memory costs a page
/// fault and a zeroed page on first touch, more than reusing warm memory).
pub(crate) struct Recycler {
    returned: Receiver<Spare>,
    /// Emptied `rec` buffers, handed to new rows.
    pub(crate) spare: Vec<Vec<u8>>,
    /// Emptied vectors of rows.
    empty: Vec<Vec<CdrRow>>,
    /// Emptied vectors of legs.
    empty_legs: Vec<Vec<Leg>>,
}

/// Emptied vectors a recycler keeps of each kind (more are freed).
const EMPTY_KEPT: usize = 4;

impl Recycler {
    pub(crate) fn new(returned: Receiver<Spare>) -> Self {
        Recycler { returned, spare: Vec::new(), empty: Vec::new(), empty_legs: Vec::new() }
    }

    /// An empty vector for about `n` calls, taking back what the writer
    /// returned meanwhile.
    pub(crate) fn calls(&mut self, n: usize) -> Vec<CdrRow> {
        self.take_returned(n);
        let mut rows = self.empty.pop().unwrap_or_default();
        rows.reserve(n);
        rows
    }

    /// An empty vector for `n` legs.
    pub(crate) fn legs(&mut self, n: usize) -> Vec<Leg> {
        self.take_returned(n);
        let mut legs = self.empty_legs.pop().unwrap_or_default();
        // At once: legs are large, and regrown by doubling they cost more
        // in copies and fresh pages than making them.
        legs.reserve_exact(n);
        legs
    }

    fn take_returned(&mut self, n: usize) {
        while let Ok(returned) = self.returned.try_recv() {
            match returned {
                Spare::Rows(mut rows) => {
                    if self.spare.len() < 2 * n {
                        self.spare.extend(rows.drain(..).map(|r| r.rec));
                    }
                    rows.clear();
                    if self.empty.len() < EMPTY_KEPT {
                        self.empty.push(rows);
                    }
                }
                Spare::Legs(legs) => {
                    debug_assert!(legs.is_empty());
                    if self.empty_legs.len() < EMPTY_KEPT {
                        self.empty_legs.push(legs);
                    }
                }
            }
        }
    }
}

/// Imports `paths` into `store`.
pub fn import(
    store: &mut Store,
    paths: &[PathBuf],
    req: &Request,
    progress: &mut dyn Progress,
) -> Result<ImportSummary, String> {
    let started = Instant::now();
    let files = input::expand(paths).map_err(|e| e.to_string())?;
    let mut index = DirectoryIndex::build(&store.directory().map_err(|e| e.to_string())?);
    let mut failed = Vec::new();
    let mut plans = Vec::new();
    for path in &files {
        match plan_file(store, &mut index, req, path.clone()) {
            Ok(plan) => plans.push(plan),
            Err(e) => failed.push(e),
        }
    }
    let total_bytes = files.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    progress.start(total_bytes);
    let now = jiff::Timestamp::now().as_second();
    let names = files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join("\n");
    let run = store.start_import_run(&names, now).map_err(|e| e.to_string())?;

    let bytes_read = Arc::new(AtomicU64::new(0));
    let (tx, rx) = bounded::<Msg>(QUEUE);
    let (give_back, returned) = bounded::<Spare>(2 * QUEUE + 4);
    let context = Arc::new(Context::with_index(store, index)?);
    let settlement = crate::rerate::settlement_start(store, &context)?;
    let reader = {
        let (bytes_read, context) = (bytes_read.clone(), context.clone());
        std::thread::Builder::new()
            .name("parse".into())
            .spawn(move || crate::parse::read_all(&plans, &context, &bytes_read, &tx, &returned))
            .map_err(|e| e.to_string())?
    };
    let written = write_all(store, &context, &rx, &give_back, &bytes_read, progress);
    // Stop the reader early if writing failed: dropping the receiver makes
    // its sends fail.
    drop(rx);
    let _ = reader.join();
    let (counts, mut more_failed, exact_checks) = written?;
    failed.append(&mut more_failed);
    // Volume tiers and bundles: the months just written, priced in order.
    crate::rerate::settle_import(store, &context, settlement)?;
    progress.finish();
    let finished = jiff::Timestamp::now().as_second();
    let c = counts;
    store
        .finish_import_run(run, finished, [c.records, c.stored, c.duplicates, c.quarantined])
        .map_err(|e| e.to_string())?;
    Ok(ImportSummary {
        counts,
        files: files.len(),
        seconds: started.elapsed().as_secs_f64(),
        failed,
        exact_checks,
    })
}

/// A write transaction ends after this many calls or this many bytes of
/// calls, whichever comes first. Large, because each commit files its
/// calls under their owners (`cdr_owner`, one row per owner and day), and
/// the more calls a commit holds the more each of those rows carries; but
/// bounded in bytes so that a transaction fits the page cache and the WAL
/// (see `store::WAL_HARD_LIMIT_BYTES`) whatever the size of the records.
const ROWS_PER_TRANSACTION: u64 = 1_048_576;
const BYTES_PER_TRANSACTION: u64 = 64 << 20;

/// The storing side: dedups and writes batches, committing every
/// [`ROWS_PER_TRANSACTION`] records and at the end. WAL checkpoints run on
/// a background thread meanwhile.
fn write_all(
    store: &mut Store,
    context: &Context,
    rx: &Receiver<Msg>,
    give_back: &Sender<Spare>,
    bytes: &AtomicU64,
    progress: &mut dyn Progress,
) -> Result<(Counts, Vec<String>, u64), String> {
    let err = |e: store::Error| e.to_string();
    store.start_background_checkpoints().map_err(err)?;
    let written = write_batches(store, context, rx, give_back, bytes, progress);
    store.stop_background_checkpoints();
    written
}

fn write_batches(
    store: &mut Store,
    context: &Context,
    rx: &Receiver<Msg>,
    give_back: &Sender<Spare>,
    bytes: &AtomicU64,
    progress: &mut dyn Progress,
) -> Result<(Counts, Vec<String>, u64), String> {
    let correlating = Correlating::resume(store, context)?;
    std::thread::scope(|scope| {
        let legs_back = give_back.clone();
        let give_back_legs = move |legs| {
            let _ = legs_back.try_send(Spare::Legs(legs));
        };
        let beside =
            correlating.map(|c| Beside::start(scope, c, context, give_back_legs)).transpose()?;
        Writing { context, give_back, beside, waiting: VecDeque::new() }
            .write(store, rx, bytes, progress)
    })
}

/// Batches whose calls are stored and whose legs' outcomes are not
/// recorded yet, at most: the correlator joins one while the writer stores
/// the next.
const WAITING_FOR_OUTCOMES: usize = 1;

/// The writer's side of [`write_batches`].
struct Writing<'a, 'scope> {
    context: &'a Context,
    give_back: &'a Sender<Spare>,
    /// The correlator, when calls are correlated.
    beside: Option<Beside<'scope>>,
    /// Batches handed to it, oldest first, kept until their outcomes are
    /// recorded (those of their calls stored now are billed from them).
    waiting: VecDeque<Records>,
}

impl Writing<'_, '_> {
    fn write(
        mut self,
        store: &mut Store,
        rx: &Receiver<Msg>,
        bytes: &AtomicU64,
        progress: &mut dyn Progress,
    ) -> Result<(Counts, Vec<String>, u64), String> {
        let mut counts = Counts::default();
        let mut failed = Vec::new();
        let err = |e: store::Error| e.to_string();
        let mut batch = store.batch().map_err(err)?;
        let mut writer = DedupWriter::new(&batch).map_err(err)?;
        let (mut in_transaction, mut bytes_in_transaction) = (0u64, 0u64);
        for msg in rx {
            let mut records = match msg {
                Msg::Records(records) => records,
                Msg::Failed(f) => {
                    failed.push(f);
                    continue;
                }
            };
            let calls = records.order.len() as u64;
            writer
                .store(&mut batch, &records.others, records.in_order(), &mut counts)
                .map_err(err)?;
            in_transaction += calls;
            bytes_in_transaction += records.in_order().map(CdrRow::stored_size).sum::<u64>();
            match &mut self.beside {
                Some(beside) => {
                    beside.send(std::mem::take(&mut records.legs), writer.stored_keys())?;
                    self.waiting.push_back(records);
                    while self.waiting.len() > WAITING_FOR_OUTCOMES {
                        self.record_oldest(&mut batch)?;
                    }
                }
                None => self.return_runs(records),
            }
            if in_transaction >= ROWS_PER_TRANSACTION
                || bytes_in_transaction >= BYTES_PER_TRANSACTION
            {
                // Every call's outcome in the transaction that stores it.
                while !self.waiting.is_empty() {
                    self.record_oldest(&mut batch)?;
                }
                batch.commit().map_err(err)?;
                batch = store.batch().map_err(err)?;
                writer.next_transaction(&batch).map_err(err)?;
                (in_transaction, bytes_in_transaction) = (0, 0);
            }
            progress.update(bytes.load(Ordering::Relaxed), &counts);
        }
        while !self.waiting.is_empty() {
            self.record_oldest(&mut batch)?;
        }
        batch.commit().map_err(err)?;
        store.fold_months().map_err(err)?;
        Ok((counts, failed, writer.exact_checks()))
    }

    /// Records the outcomes of the oldest batch waiting for them.
    fn record_oldest(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        let (Some(beside), Some(records)) = (&mut self.beside, self.waiting.pop_front()) else {
            return Ok(());
        };
        let outcomes = beside.take_outcomes()?;
        {
            let rows: Vec<&CdrRow> = records.in_order().collect();
            // Searched apart from the rows: one cache line holds four.
            let keys: Vec<(i64, i64)> = rows.iter().map(|r| r.key()).collect();
            let row =
                |start_s, dedup| keys.binary_search(&(start_s, dedup)).ok().map(|at| rows[at]);
            outcomes.record(batch, row, self.context).map_err(|e| e.to_string())?;
        }
        self.return_runs(records);
        Ok(())
    }

    /// Each run back whole; when the parse side is behind taking them (the
    /// queue is full), dropped here.
    fn return_runs(&self, records: Records) {
        for run in records.runs {
            let _ = self.give_back.try_send(Spare::Rows(run));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Avaya CM record in the `avaya-97` layout (as the synthetic
    /// traffic writes it): end date and time, duration, calling, dialled,
    /// trunk group and circuit, condition code.
    fn avaya_line(n: u32) -> String {
        format!(
            "030325 {:02}{:02} {:05} {:<15} {:<23} {:<13} {:<4}{:<3} {:<4} {:<4}{:<3} 7 \r\n",
            1 + n / 60 % 20,
            n % 60,
            10 + n % 300,
            200_000 + n,
            format!("0564{:06}", n),
            "",
            "",
            "",
            "",
            "0101",
            "032"
        )
    }

    fn import_text(store: &mut Store, dir: &std::path::Path, text: &str) -> ImportSummary {
        let path = dir.join(format!("cdr-{}.txt", text.len()));
        std::fs::write(&path, text).unwrap();
        let req = Request { format: Some("avaya:avaya-97".into()), ..Default::default() };
        import(store, &[path], &req, &mut Silent).unwrap()
    }

    #[test]
    fn duplicates_inside_one_import_are_caught_and_counts_balance() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("data")).unwrap();
        let mut text: String = (0..40).map(avaya_line).collect();
        // Repeats of earlier records, in other chunks and batches, one of
        // them twice; and a record no parser can read.
        for n in [0, 7, 7, 39, 20] {
            text += &avaya_line(n);
        }
        text += "this is not a call record\r\n";
        let s = import_text(&mut store, dir.path(), &text);
        let c = s.counts;
        assert!(c.balanced(), "{c:?}");
        assert_eq!((c.records, c.stored, c.duplicates, c.quarantined), (46, 40, 5, 1));
        assert_eq!(store.cdr_count().unwrap(), 40);
        // Importing it again stores nothing new.
        let again = import_text(&mut store, dir.path(), &format!("{text}\n"));
        assert_eq!((again.counts.stored, again.counts.duplicates), (0, 45));
        assert_eq!(store.cdr_count().unwrap(), 40);
    }

    #[test]
    fn calls_stored_by_another_writer_meanwhile_are_still_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut store = Store::open(&data).unwrap();
        let first: String = (0..10).map(avaya_line).collect();
        import_text(&mut store, dir.path(), &first);
        // Another writer adds calls of the same day in between.
        let mut other = Store::open(&data).unwrap();
        let more: String = (10..20).map(avaya_line).collect();
        assert_eq!(import_text(&mut other, dir.path(), &more).counts.stored, 10);
        let all: String = (0..30).map(avaya_line).collect();
        let s = import_text(&mut store, dir.path(), &all);
        assert_eq!((s.counts.stored, s.counts.duplicates), (10, 20));
        assert_eq!(store.cdr_count().unwrap(), 30);
    }
}
