//! The parsing side of an import, on several threads.
//!
//! One thread reads each file and cuts it into records (the framing, which
//! must see the bytes in order); chunks of raw records go round-robin to
//! [`WORKERS`] threads that parse, attribute and pack them; a last thread
//! takes the results back in file order and hands them to the writer. So
//! records, quarantine entries and failures reach the writer in exactly
//! the order a single thread would produce.
//!
//! A parser may carry state from record to record, but only what its
//! [`RecordParser::header`] line gives it: that is the rule that lets a
//! quarantined record be parsed again on its own, and it is what makes
//! parsing a chunk apart from the rest sound. A worker's parser is fresh
//! and fed the header known when the chunk was cut (the reader learns it
//! from the first chunk of the file, which it waits for). The merging
//! thread checks, chunk after chunk, that this header is the one the
//! previous chunk ended with; if a header changed meanwhile (a second
//! header line inside the file), it parses the chunk again itself, in
//! order, so no record is ever read with the wrong columns.
//!
//! [`RecordParser::header`]: cdr::RecordParser::header

use crate::context::Context;
use crate::input;
use crate::pipeline::{Msg, Records, Recycler, Spare};
use crate::plan::FilePlan;
use crate::record::Origin;
use cdr::Location;
use crossbeam_channel::{Receiver, Sender, bounded};
use parsers::RecordReader;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

/// Parsing threads. Two: the machine the importer must keep up on has two
/// cores, shared with the writer, and a parse thread left waiting costs
/// nothing.
const WORKERS: usize = 2;
/// Raw records per chunk (a few in tests, so that small files span many).
const CHUNK: usize = if cfg!(test) { 3 } else { 8_192 };
/// Records per batch handed to the writer.
const BATCH: usize = 32_768;

type Header = Option<Arc<[u8]>>;

/// Raw records cut from one file, in order.
struct Chunk {
    plan: usize,
    /// The first chunk of its file (its parser starts fresh).
    first: bool,
    /// The header line the chunk's parser is fed before its records.
    primer: Header,
    /// The records' bytes, one after the other, and where each ends.
    bytes: Vec<u8>,
    ends: Vec<usize>,
    lines: Vec<u64>,
}

impl Chunk {
    fn records(&self) -> impl Iterator<Item = (&[u8], u64)> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .zip(&self.lines)
            .map(|((s, e), &line)| (self.bytes.get(s..e).unwrap_or_default(), line))
    }
}

enum Job {
    Chunk(Chunk),
    Failed(String),
}

/// A parsed chunk on its way to the merging thread.
enum Done {
    Parsed { chunk: Chunk, records: Records, header: Header },
    Failed(String),
}

fn origin<'a>(plan: &'a FilePlan, format_name: &'a str, context: &'a Context) -> Origin<'a> {
    Origin::new(&plan.pbx_name, plan.pbx.as_ref(), format_name, plan.source_id, context)
}

/// Parses `chunk` with a fresh parser fed `primer` first; returns its
/// records (calls sorted) and the header its parser ended with.
fn parse_chunk(
    plans: &[FilePlan],
    context: &Context,
    chunk: &Chunk,
    primer: &Header,
    recycler: &mut Recycler,
) -> (Records, Header) {
    let plan = &plans[chunk.plan];
    let mut parser = plan.format.parser(&plan.ctx);
    if let Some(h) = primer {
        // Only its effect on the parser matters (as for a retry).
        let _ = parser.parse(h);
    }
    let format_name = plan.format.name();
    let origin = origin(plan, &format_name, context);
    let mut records = Records::new(recycler.calls(chunk.ends.len()));
    let mut legs = if origin.correlates() { recycler.legs(chunk.ends.len()) } else { Vec::new() };
    for (raw, line) in chunk.records() {
        let parsed = parser.parse(raw);
        let location = Location::line(plan.source.as_str(), line);
        let header = parser.header();
        let spare = &mut recycler.spare;
        if let Some(item) = origin.item_in(parsed, raw, location, header, spare, &mut legs) {
            records.push(item);
        }
    }
    records.legs.push(legs);
    let header = parser.header().map(Arc::from);
    (records.sorted(), header)
}

/// Reads, parses and hands over every file's records, in order.
pub(crate) fn read_all(
    plans: &[FilePlan],
    context: &Context,
    bytes: &Arc<AtomicU64>,
    tx: &Sender<Msg>,
    returned: &Receiver<Spare>,
) {
    let latest_header: Mutex<Header> = Mutex::new(None);
    let (first_done, first_merged) = bounded::<()>(1);
    // Chunks merged go back to the reading thread, which refills them: a
    // chunk's buffer is megabytes, grown as it fills, and one freed on the
    // merging thread is slow to be reused by the reading one.
    let (chunks_back, used_chunks) = bounded::<Chunk>(2 * WORKERS + 2);
    std::thread::scope(|scope| {
        let mut jobs = Vec::new();
        let mut results = Vec::new();
        for n in 0..WORKERS {
            let (job_tx, job_rx) = bounded::<Job>(2);
            let (done_tx, done_rx) = bounded::<Done>(2);
            jobs.push(job_tx);
            results.push(done_rx);
            let returned = returned.clone();
            std::thread::Builder::new()
                .name(format!("parse-{n}"))
                .spawn_scoped(scope, move || {
                    let mut recycler = Recycler::new(returned);
                    for job in job_rx {
                        let done = match job {
                            Job::Chunk(chunk) => {
                                let primer = chunk.primer.clone();
                                let (records, header) =
                                    parse_chunk(plans, context, &chunk, &primer, &mut recycler);
                                Done::Parsed { chunk, records, header }
                            }
                            Job::Failed(e) => Done::Failed(e),
                        };
                        if done_tx.send(done).is_err() {
                            return;
                        }
                    }
                })
                .expect("spawning a parse thread");
        }
        let latest = &latest_header;
        let merger = std::thread::Builder::new()
            .name("merge".into())
            .spawn_scoped(scope, move || {
                let reuse = Reuse { returned, chunks: &chunks_back };
                merge(plans, context, &results, tx, latest, &first_done, reuse)
            })
            .expect("spawning the merge thread");
        cut(plans, bytes, &jobs, &latest_header, &first_merged, &used_chunks);
        drop(jobs);
        let _ = merger.join();
    });
}

/// The reading thread: cuts every file into chunks, dealt round-robin.
fn cut(
    plans: &[FilePlan],
    bytes: &Arc<AtomicU64>,
    jobs: &[Sender<Job>],
    latest_header: &Mutex<Header>,
    first_merged: &Receiver<()>,
    used_chunks: &Receiver<Chunk>,
) {
    let mut next = 0usize;
    let mut deal = |job: Job| {
        let sent = jobs[next % jobs.len()].send(job).is_ok();
        next += 1;
        sent
    };
    for (n, plan) in plans.iter().enumerate() {
        let read = cut_file(n, plan, bytes, &mut deal, latest_header, first_merged, used_chunks);
        if let Err(e) = read
            && !deal(Job::Failed(format!("{}: {e}", plan.source)))
        {
            return;
        }
    }
}

fn cut_file(
    n: usize,
    plan: &FilePlan,
    bytes: &Arc<AtomicU64>,
    deal: &mut dyn FnMut(Job) -> bool,
    latest_header: &Mutex<Header>,
    first_merged: &Receiver<()>,
    used_chunks: &Receiver<Chunk>,
) -> std::io::Result<()> {
    let input = input::open(&plan.path, bytes.clone())?;
    let framing = plan.format.parser(&plan.ctx).framing();
    let mut reader = RecordReader::new(input, framing);
    let mut raw = Vec::with_capacity(1024);
    let new_chunk = |first: bool| {
        let primer =
            if first { None } else { latest_header.lock().map(|h| h.clone()).unwrap_or(None) };
        match used_chunks.try_recv() {
            Ok(mut used) => {
                used.bytes.clear();
                used.ends.clear();
                used.lines.clear();
                Chunk { plan: n, first, primer, ..used }
            }
            Err(_) => Chunk {
                plan: n,
                first,
                primer,
                bytes: Vec::with_capacity(CHUNK * 128),
                ends: Vec::with_capacity(CHUNK),
                lines: Vec::with_capacity(CHUNK),
            },
        }
    };
    let mut chunk = new_chunk(true);
    loop {
        let next = reader.next_record(&mut raw);
        if let Ok(Some(line)) = next {
            chunk.bytes.extend_from_slice(&raw);
            chunk.ends.push(chunk.bytes.len());
            chunk.lines.push(line);
        }
        let finished = !matches!(next, Ok(Some(_)));
        // (A read error ends the file too: what was read is dealt first.)
        if chunk.ends.len() >= CHUNK || (finished && !chunk.ends.is_empty()) {
            let first = chunk.first;
            let full = std::mem::replace(&mut chunk, new_chunk(false));
            if !deal(Job::Chunk(full)) {
                return Ok(());
            }
            if first {
                // The file's header (if it has one) is in its first chunk:
                // wait for it, so that the next chunks' parsers know it.
                if first_merged.recv().is_err() {
                    return Ok(());
                }
                chunk = new_chunk(false);
            }
        }
        if finished {
            return next.map(|_| ());
        }
    }
}

/// What the merging thread reuses: the storing side's spares, for the
/// chunks it parses again, and the chunks it merged, handed back to the
/// reading thread.
struct Reuse<'a> {
    returned: &'a Receiver<Spare>,
    chunks: &'a Sender<Chunk>,
}

/// The merging thread: takes chunks back in the order they were dealt,
/// checks each was parsed knowing the right header (else parses it again),
/// and hands the records to the writer.
fn merge(
    plans: &[FilePlan],
    context: &Context,
    results: &[Receiver<Done>],
    tx: &Sender<Msg>,
    latest_header: &Mutex<Header>,
    first_done: &Sender<()>,
    reuse: Reuse<'_>,
) {
    let mut recycler = Recycler::new(reuse.returned.clone());
    // The header the previous chunk of the current file ended with.
    let mut expected: Header = None;
    // Chunks are gathered into batches of about `BATCH` records, read in
    // key order as one (a merge of their sorted runs, which stay where
    // they are): the writer then fills the B-tree in longer runs.
    let mut batch = Records::new(Vec::new());
    let send = |batch: &mut Records| {
        let full = std::mem::replace(batch, Records::new(Vec::new()));
        full.len() == 0 || tx.send(Msg::Records(full.merged())).is_ok()
    };
    for n in 0.. {
        let Ok(done) = results[n % results.len()].recv() else { break };
        let msg = match done {
            Done::Failed(e) => {
                if !send(&mut batch) {
                    return;
                }
                Msg::Failed(e)
            }
            Done::Parsed { chunk, records, header } => {
                let (records, header) = if chunk.first || chunk.primer == expected {
                    (records, header)
                } else {
                    // Parsed knowing the wrong header: read it again.
                    drop(records);
                    parse_chunk(plans, context, &chunk, &expected, &mut recycler)
                };
                if (header != expected || chunk.first)
                    && let Ok(mut latest) = latest_header.lock()
                {
                    latest.clone_from(&header);
                }
                expected = header;
                if chunk.first && first_done.send(()).is_err() {
                    return;
                }
                batch.append(records);
                let _ = reuse.chunks.try_send(chunk);
                if batch.len() >= BATCH && !send(&mut batch) {
                    return;
                }
                continue;
            }
        };
        if tx.send(msg).is_err() {
            return;
        }
    }
    send(&mut batch);
}

#[cfg(test)]
mod tests {
    use crate::{Request, Silent, import};
    use std::path::{Path, PathBuf};
    use store::Store;

    fn fixture(name: &str) -> String {
        let path = format!("{}/../format-cucm/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path).unwrap()
    }

    fn import_into(data: &Path, files: &[PathBuf]) -> (crate::Counts, Vec<String>) {
        let mut store = Store::open(data).unwrap();
        let req = Request { format: Some("cucm".into()), ..Default::default() };
        let summary = import(&mut store, files, &req, &mut Silent).unwrap();
        let mut ids = Vec::new();
        let q = store::CdrQuery { from_s: 0, to_s: i64::MAX, ..Default::default() };
        store
            .query_cdrs(&q, |c| {
                ids.push(c.record.id());
                Ok(())
            })
            .unwrap();
        (summary.counts, ids)
    }

    /// A second header inside a file changes the columns of the rows after
    /// it; chunks cut before the reader knew must be read again with it.
    #[test]
    fn a_header_changing_mid_file_applies_to_the_rows_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let (calls, old) = (fixture("cdr_calls.txt"), fixture("cdr_old_release.txt"));
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let one = write("one.txt", &format!("{calls}{old}{calls}"));
        let apart = [write("calls.txt", &calls), write("old.txt", &old)];
        let (together, ids_together) = import_into(&dir.path().join("a"), &[one]);
        let (separate, ids_apart) = import_into(&dir.path().join("b"), &apart);
        assert!(together.balanced());
        assert_eq!(together.quarantined, separate.quarantined);
        assert_eq!(together.stored, separate.stored);
        assert!(together.stored > 4, "{together:?}");
        // The repeated part is all duplicates.
        assert_eq!(together.duplicates, together.stored - 2);
        assert_eq!(ids_together, ids_apart);
    }
}
