//! The processing stage: reads each source's raw journal from where the
//! store ends, parses, prices and stores the records, and records in the
//! same transaction how far it has read (`journal_position`), so a
//! restart after any crash resumes exactly there: nothing stored twice,
//! nothing skipped. Journal entries hold whole records (the connectors
//! frame them), so reading can start at any entry.
//!
//! Three kinds of thread, joined by bounded queues:
//! - the *reader* takes runs of entries from the journal as they become
//!   durable; each run (a *unit*, numbered) is one source's, contiguous;
//! - *parse workers* parse and price; a connection's entries always go to
//!   the same worker, in order, so a parser that keeps state between
//!   records (a CUCM header) sees them all; a unit whose connections are
//!   spread over several workers is cut into parts;
//! - the *writer* (the calling thread) puts the parts back in unit order
//!   and stores them, many units per transaction, with each source's
//!   position after its last unit.

use crate::journaling::DurableEnds;
use crate::reference::Reference;
use crate::sink::{Pending, Sink};
use crate::stats::{Stage, Stats};
use api::live::LiveFeed;
use cdr::{Location, ParserContext, RecordParser, Timestamp};
use correlate::Leg;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use directory::PbxInfo;
use ingest::{Counts, Item, Origin};
use journal::{Entry, EntryKind, Journal, Position, SourceReader};
use parsers::Format;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use store::CdrRow;

/// Records per unit at most (about): what a worker parses at a time.
const RECORDS_PER_UNIT: usize = 4096;
/// A transaction is committed once it holds as many calls as the sink
/// takes at once, or once its oldest record has waited `MAX_DELAY`: large
/// transactions under load (with the embedded store, 500 ms instead of
/// 2 s cost about 15 % of the throughput), a short wait when traffic is
/// light. Durability does not depend on it: what is not stored yet is in
/// the journal.
const MAX_DELAY: Duration = Duration::from_millis(2000);
/// How long the writer waits when it holds nothing.
const IDLE_WAIT: Duration = Duration::from_secs(3600);
/// Units queued for each worker.
const QUEUE: usize = 16;
/// Parts queued for the writer (up to about 4,096 records each): room for
/// the workers to go on parsing about half a million records while the
/// writer commits, rather than stopping a few parts in.
const WRITER_QUEUE: usize = 128;
/// How long the reader waits for new entries before looking again.
const POLL: Duration = Duration::from_millis(200);

/// One configured PBX as the processing stage reads it. Its directory
/// entry (`PbxInfo`) is reference data, which may change while the server
/// runs: see `reference`.
pub struct Source {
    /// The PBX's name: its journal source and directory entry.
    pub name: String,
    pub format: Format,
    /// `source.id` of the stream in the store.
    pub source_id: i64,
}

/// A run of one source's entries, or the part of it for one worker.
struct Unit {
    seq: u64,
    source: usize,
    /// Parts the unit was cut into.
    parts: usize,
    /// The position after the unit's last entry.
    upto: Position,
    entries: Vec<Entry>,
}

/// A part parsed.
pub(crate) struct Parsed {
    seq: u64,
    source: usize,
    parts: usize,
    upto: Position,
    pub(crate) calls: Vec<CdrRow>,
    pub(crate) others: Vec<Item>,
    /// The calls' legs, for correlation (none when it is off).
    pub(crate) legs: Vec<Leg>,
}

impl Parsed {
    /// Nothing parsed yet, outside any unit (for `replay`).
    pub(crate) fn empty() -> Parsed {
        Parsed {
            seq: 0,
            source: 0,
            parts: 1,
            upto: Position::BEGIN,
            calls: Vec::new(),
            others: Vec::new(),
            legs: Vec::new(),
        }
    }
}

/// Processes journal entries until the journal stage has finished and
/// everything durable is stored; returns the counts. Records are parsed,
/// attributed and priced with the reference data in force when their unit
/// is taken up (see `reference`).
pub(crate) fn run(
    sink: &mut dyn Sink,
    reference: &Reference,
    journal: &Journal,
    sources: &[Source],
    ends: &DurableEnds,
    stats: &Stats,
    live: &LiveFeed,
) -> Result<Counts, String> {
    let readers = sources
        .iter()
        .map(|source| {
            let from = sink.resume_position(&source.name)?.unwrap_or(Position::BEGIN);
            journal.reader(&source.name, from).map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).max(1);
    let writer_stopped = &AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (to_writer, parsed) = bounded::<Parsed>(WRITER_QUEUE);
        let mut to_workers = Vec::new();
        for n in 0..workers {
            let (to_worker, units) = bounded::<Unit>(QUEUE);
            to_workers.push(to_worker);
            let to_writer = to_writer.clone();
            std::thread::Builder::new()
                .name(format!("parse-{n}"))
                .spawn_scoped(scope, move || parse_units(&units, &to_writer, sources, reference))
                .map_err(|e| format!("cannot start a parse worker: {e}"))?;
        }
        drop(to_writer);
        let reader = std::thread::Builder::new()
            .name("journal-read".into())
            .spawn_scoped(scope, move || {
                read_units(readers, ends, &to_workers, stats, writer_stopped)
            })
            .map_err(|e| format!("cannot start the journal reader: {e}"))?;
        let (to_free, freed) = (bounded::<Vec<Vec<u8>>>(1), bounded::<Vec<Vec<u8>>>(1));
        let freeing = std::thread::Builder::new()
            .name("free".into())
            .spawn_scoped(scope, move || free_buffers(&to_free.1, &freed.0))
            .map_err(|e| format!("cannot start the freeing thread: {e}"))?;
        let recycle = Recycle { to_free: to_free.0, freed: freed.1 };
        let written = sink.start().and_then(|()| {
            write_units(sink, &parsed, reference, sources, journal, stats, &recycle, live)
        });
        drop(recycle);
        let _ = freeing.join();
        let finished = sink.finish();
        // A writer failure stops the reader at its next send, or, when
        // nothing more arrives to be sent (the PBXs are quiet), at its next
        // look at the journal: joining it must not wait for traffic.
        writer_stopped.store(true, Ordering::Release);
        drop(parsed);
        let read = reader.join().map_err(|_| "the journal reader failed".to_string())?;
        let counts = written?;
        read?;
        finished?;
        Ok(counts)
    })
}

/// The reader: cuts what is durable into units and hands each one's
/// entries to the workers of their connections.
fn read_units(
    mut readers: Vec<SourceReader>,
    ends: &DurableEnds,
    to_workers: &[Sender<Unit>],
    stats: &Stats,
    writer_stopped: &AtomicBool,
) -> Result<(), String> {
    let mut seq = 0;
    loop {
        if writer_stopped.load(Ordering::Acquire) {
            return Ok(());
        }
        let seen: Vec<Position> = readers.iter().map(SourceReader::position).collect();
        let (durable, finished) = ends.wait_past(&seen, POLL);
        let mut read_any = false;
        for (source, reader) in readers.iter_mut().enumerate() {
            while reader.position() < durable[source] {
                let entries = read_run(reader)?;
                if entries.is_empty() {
                    break;
                }
                read_any = true;
                let upto = reader.position();
                if !dispatch(seq, source, upto, entries, to_workers) {
                    return Ok(());
                }
                seq += 1;
                stats.set_queue(Stage::Parse, to_workers.iter().map(Sender::len).sum());
            }
        }
        let caught_up = readers.iter().zip(&durable).all(|(r, end)| r.position() >= *end);
        if finished && caught_up && !read_any {
            return Ok(());
        }
    }
}

/// Entries of one source up to a unit's worth of records.
fn read_run(reader: &mut SourceReader) -> Result<Vec<Entry>, String> {
    let (mut entries, mut records) = (Vec::new(), 0);
    while records < RECORDS_PER_UNIT {
        let Some(entry) = reader.next().map_err(|e| e.to_string())? else { break };
        records += entry.payload.iter().filter(|&&b| b == b'\n').count().max(1);
        entries.push(entry);
    }
    Ok(entries)
}

/// Sends a unit's entries to the workers of their connections; false
/// when the workers are gone (the writer stopped).
fn dispatch(
    seq: u64,
    source: usize,
    upto: Position,
    entries: Vec<Entry>,
    to_workers: &[Sender<Unit>],
) -> bool {
    let worker_of = |connection: u64| (connection as usize ^ source) % to_workers.len();
    let mut parts: BTreeMap<usize, Vec<Entry>> = BTreeMap::new();
    for entry in entries {
        parts.entry(worker_of(entry.connection)).or_default().push(entry);
    }
    let count = parts.len();
    parts.into_iter().all(|(worker, entries)| {
        let unit = Unit { seq, source, parts: count, upto, entries };
        to_workers[worker].send(unit).is_ok()
    })
}

/// A worker: parses and prices units, one parser per connection, each
/// unit with the reference data in force when it is taken up.
fn parse_units(
    units: &Receiver<Unit>,
    to_writer: &Sender<Parsed>,
    sources: &[Source],
    reference: &Reference,
) {
    let mut parsers: HashMap<(usize, u64), Box<dyn RecordParser>> = HashMap::new();
    let format_names: Vec<String> = sources.iter().map(|s| s.format.name()).collect();
    for unit in units {
        let source = &sources[unit.source];
        let current = reference.current();
        let pbx = &current.pbxs[unit.source];
        let mut parsed = Parsed {
            seq: unit.seq,
            source: unit.source,
            parts: unit.parts,
            upto: unit.upto,
            calls: Vec::new(),
            others: Vec::new(),
            legs: Vec::new(),
        };
        let format_name = &format_names[unit.source];
        let origin =
            Origin::new(&source.name, Some(pbx), format_name, source.source_id, &current.context);
        for entry in &unit.entries {
            let key = (unit.source, entry.connection);
            match entry.kind {
                EntryKind::Open => {
                    parsers.insert(key, new_parser(source, pbx, entry));
                }
                EntryKind::Close => {
                    parsers.remove(&key);
                }
                EntryKind::Data => {
                    // Its opening may be before where reading resumed.
                    let parser =
                        parsers.entry(key).or_insert_with(|| new_parser(source, pbx, entry));
                    records(entry, &origin, parser.as_mut(), &mut parsed);
                }
            }
        }
        if to_writer.send(parsed).is_err() {
            return;
        }
    }
}

/// The parser of a connection opening (or first seen) at `entry`, reading
/// local times in the zone of `pbx` as it is then.
pub(crate) fn new_parser(source: &Source, pbx: &PbxInfo, entry: &Entry) -> Box<dyn RecordParser> {
    let received = Timestamp::try_from(entry.received).unwrap_or_else(|_| Timestamp::now());
    let ctx = ParserContext { time_zone: pbx.time_zone.clone(), received };
    source.format.parser(&ctx)
}

/// Parses the records of a data entry. A piece without its end of record
/// (the connection closed mid-record, or a record longer than the
/// connector accepts) is quarantined as it is.
pub(crate) fn records(
    entry: &Entry,
    origin: &Origin<'_>,
    parser: &mut dyn RecordParser,
    out: &mut Parsed,
) {
    let stream = format!("{}@journal/{}", origin.pbx_name, entry.position.segment);
    let mut offset = entry.position.offset + journal::ENTRY_HEADER_LEN as u64;
    for piece in entry.payload.split_inclusive(|&b| b == b'\n') {
        let location = Location::offset(stream.as_str(), offset);
        offset += piece.len() as u64;
        let Some(record) = piece.strip_suffix(b"\n") else {
            out.others.push(origin.bad(INCOMPLETE.to_string(), piece, location, None));
            continue;
        };
        let record = record.strip_suffix(b"\r").unwrap_or(record);
        if record.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = parser.parse(record);
        let header = parser.header();
        match origin.item(parsed, record, location, header, &mut out.legs) {
            Some(Item::Call(row)) => out.calls.push(row),
            Some(other) => out.others.push(other),
            None => {}
        }
    }
}

/// Why a piece without its end of record is quarantined.
const INCOMPLETE: &str = "incomplete record: the connection closed before its end, or it is \
                          longer than the connector accepts";

/// Parts of units that came before their turn.
struct Reorder {
    waiting: BTreeMap<u64, (usize, Parsed)>,
    next: u64,
}

impl Reorder {
    /// Takes a part; returns the units now complete, in order, each as
    /// its parts merged.
    fn take(&mut self, part: Parsed) -> Vec<Parsed> {
        match self.waiting.get_mut(&part.seq) {
            Some((got, unit)) => {
                *got += 1;
                unit.calls.extend(part.calls);
                unit.others.extend(part.others);
            }
            None => {
                self.waiting.insert(part.seq, (1, part));
            }
        }
        let mut ready = Vec::new();
        while let Some((got, unit)) = self.waiting.get(&self.next) {
            if *got < unit.parts {
                break;
            }
            if let Some((_, unit)) = self.waiting.remove(&self.next) {
                ready.push(unit);
            }
            self.next += 1;
        }
        ready
    }
}

/// The writer's side of the freeing thread: stored calls' buffers go
/// there to be freed, and the emptied vector comes back for the next
/// transaction's.
struct Recycle {
    to_free: Sender<Vec<Vec<u8>>>,
    freed: Receiver<Vec<Vec<u8>>>,
}

impl Recycle {
    /// Empties `pending`, handing its calls' buffers to the freeing
    /// thread (or freeing them here if it is still busy with the last).
    fn clear(&self, pending: &mut Pending) {
        let mut buffers = self.freed.try_recv().unwrap_or_default();
        pending.clear_moving_buffers(&mut buffers);
        let _ = self.to_free.try_send(buffers);
    }
}

/// The freeing thread: frees the buffers of stored calls off the writer,
/// the pipeline's busiest thread.
fn free_buffers(to_free: &Receiver<Vec<Vec<u8>>>, freed: &Sender<Vec<Vec<u8>>>) {
    for mut buffers in to_free {
        buffers.clear();
        if freed.send(buffers).is_err() {
            return;
        }
    }
}

/// The writer: stores units in order, a transaction at a time.
#[allow(clippy::too_many_arguments)]
fn write_units(
    sink: &mut dyn Sink,
    parsed: &Receiver<Parsed>,
    reference: &Reference,
    sources: &[Source],
    journal: &Journal,
    stats: &Stats,
    recycle: &Recycle,
    live: &LiveFeed,
) -> Result<Counts, String> {
    let mut counts = Counts::default();
    let mut reorder = Reorder { waiting: BTreeMap::new(), next: 0 };
    let mut pending = Pending::default();
    // When the oldest record not yet stored was taken.
    let mut oldest: Option<Instant> = None;
    // How soon the sink wants to be called again when there is nothing to
    // write; at once at the start, for work left from before.
    let mut idle_wait = Duration::ZERO;
    loop {
        let wait = oldest.map_or(idle_wait, |t| MAX_DELAY.saturating_sub(t.elapsed()));
        let ended = match parsed.recv_timeout(wait) {
            Ok(part) => {
                stats.set_queue(Stage::Store, parsed.len());
                for unit in reorder.take(part) {
                    pending.calls.extend(unit.calls);
                    pending.others.extend(unit.others);
                    pending.legs.push(unit.legs);
                    pending.upto.insert(unit.source, unit.upto);
                    oldest.get_or_insert_with(Instant::now);
                }
                let due = oldest.is_some_and(|t| t.elapsed() >= MAX_DELAY);
                if pending.calls.len() < sink.calls_per_transaction() && !due {
                    continue;
                }
                false
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        let before = counts;
        if pending.upto.is_empty() {
            idle_wait = sink.idle(&mut counts)?.unwrap_or(IDLE_WAIT);
        } else {
            sink.write(&mut pending, sources, &reference.current().context, &mut counts)?;
            // For the console's live page (nothing is built unless watched).
            live.publish(&pending.calls);
            // Stored: the journal may let go of it once it is old enough.
            for (&source, &position) in &pending.upto {
                let _ = journal.mark_consumed(&sources[source].name, position);
            }
            recycle.clear(&mut pending);
            oldest = None;
        }
        if counts != before {
            stats.add_counts(&before, &counts);
        }
        if ended {
            break;
        }
    }
    Ok(counts)
}
