//! `bluewhale import`: files are read and parsed on one thread and stored
//! on another, joined by a bounded queue of batches, so parsing and SQLite
//! work in parallel and memory stays bounded whatever the input size.

use crate::dedup::DedupFilter;
use crate::input;
use crate::plan::{FilePlan, Request, plan_file};
use crate::record::{Item, Origin};
use cdr::Location;
use crossbeam_channel::{Receiver, Sender, bounded};
use directory::DirectoryIndex;
use parsers::RecordReader;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use store::{CdrRow, Insert, Store};

/// Records per batch handed from the parser to the writer; also the size
/// of one write transaction.
const BATCH: usize = 32_768;
/// Batches in flight between the two threads.
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

enum Msg {
    Items(Vec<Item>),
    Failed(String),
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
    let index = Arc::new(index);
    let reader = {
        let (bytes_read, index) = (bytes_read.clone(), index.clone());
        std::thread::Builder::new()
            .name("parse".into())
            .spawn(move || read_all(plans, &index, &bytes_read, &tx))
            .map_err(|e| e.to_string())?
    };
    let written = write_all(store, &rx, &bytes_read, progress);
    // Stop the reader early if writing failed: dropping the receiver makes
    // its sends fail.
    drop(rx);
    let _ = reader.join();
    let (counts, mut more_failed, exact_checks) = written?;
    failed.append(&mut more_failed);
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

/// The parsing side: reads every file, sends batches of items.
fn read_all(
    plans: Vec<FilePlan>,
    index: &DirectoryIndex,
    bytes: &Arc<AtomicU64>,
    tx: &Sender<Msg>,
) {
    for plan in plans {
        if let Err(e) = read_file(&plan, index, bytes, tx) {
            if tx.send(Msg::Failed(format!("{}: {e}", plan.source))).is_err() {
                return;
            }
        }
    }
}

fn read_file(
    plan: &FilePlan,
    index: &DirectoryIndex,
    bytes: &Arc<AtomicU64>,
    tx: &Sender<Msg>,
) -> std::io::Result<()> {
    let input = input::open(&plan.path, bytes.clone())?;
    let mut parser = plan.format.parser(&plan.ctx);
    let mut reader = RecordReader::new(input, parser.framing());
    let format_name = plan.format.name();
    let origin = Origin {
        pbx_name: &plan.pbx_name,
        pbx: plan.pbx.as_ref(),
        format_name: &format_name,
        source_id: plan.source_id,
        index,
    };
    let mut raw = Vec::with_capacity(1024);
    let mut items = Vec::with_capacity(BATCH);
    while let Some(line) = reader.next_record(&mut raw)? {
        let parsed = parser.parse(&raw);
        let location = Location::line(plan.source.as_str(), line);
        if let Some(item) = origin.item(parsed, &raw, location, parser.header()) {
            items.push(item);
        }
        if items.len() >= BATCH {
            let full = std::mem::replace(&mut items, Vec::with_capacity(BATCH));
            if tx.send(Msg::Items(full)).is_err() {
                return Ok(());
            }
        }
    }
    if !items.is_empty() {
        let _ = tx.send(Msg::Items(items));
    }
    Ok(())
}

/// Calls per write transaction: large enough that the per-commit work
/// (WAL frames, `cdr_owner` postings) is spread thin.
const ROWS_PER_TRANSACTION: u64 = 262_144;

/// The storing side: dedups and writes batches, committing every
/// [`ROWS_PER_TRANSACTION`] records and at the end.
fn write_all(
    store: &mut Store,
    rx: &Receiver<Msg>,
    bytes: &AtomicU64,
    progress: &mut dyn Progress,
) -> Result<(Counts, Vec<String>, u64), String> {
    let mut counts = Counts::default();
    let mut failed = Vec::new();
    let mut dedup = DedupFilter::new();
    let err = |e: store::Error| e.to_string();
    let mut batch = store.batch().map_err(err)?;
    let mut in_transaction = 0u64;
    for msg in rx {
        let items = match msg {
            Msg::Items(items) => items,
            Msg::Failed(f) => {
                failed.push(f);
                continue;
            }
        };
        let now = jiff::Timestamp::now().as_second();
        let mut calls = Vec::with_capacity(items.len());
        for item in items {
            counts.records += 1;
            let outcome = match item {
                Item::Call(row) => {
                    calls.push(row);
                    continue;
                }
                Item::Quality { record, pbx_id, source_id } => {
                    batch.insert_quality(&record, pbx_id, source_id).map_err(err)?
                }
                Item::Bad(q) => {
                    batch.quarantine(&q, now).map_err(err)?;
                    counts.quarantined += 1;
                    continue;
                }
            };
            count(&mut counts, outcome);
        }
        // Key order: the clustered B-tree is then written front to back.
        // (Sorting references: the rows themselves are large to move.)
        let mut order: Vec<&CdrRow> = calls.iter().collect();
        order.sort_unstable_by_key(|r| (r.start_s, r.dedup));
        for row in order {
            let day = row.start_s.div_euclid(86_400);
            let maybe = dedup
                .check_and_insert(row.start_s, row.dedup, |each| batch.dedup_keys_of_day(day, each))
                .map_err(err)?;
            let outcome = if maybe && batch.cdr_exists(row.start_s, row.dedup).map_err(err)? {
                Insert::Duplicate
            } else {
                batch.insert_cdr(row).map_err(err)?
            };
            count(&mut counts, outcome);
        }
        in_transaction += calls.len() as u64;
        if in_transaction >= ROWS_PER_TRANSACTION {
            batch.commit().map_err(err)?;
            batch = store.batch().map_err(err)?;
            in_transaction = 0;
        }
        progress.update(bytes.load(Ordering::Relaxed), &counts);
    }
    batch.commit().map_err(err)?;
    Ok((counts, failed, dedup.exact_checks))
}

fn count(counts: &mut Counts, outcome: Insert) {
    match outcome {
        Insert::Stored => counts.stored += 1,
        Insert::Duplicate => counts.duplicates += 1,
    }
}
