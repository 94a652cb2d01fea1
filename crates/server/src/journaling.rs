//! The journal stage: writes what the connectors hand on to the raw
//! journal, many entries per sync (group commit), and tells the
//! processing stage how far each source is durable. It runs on its own
//! thread; the connectors wait on its bounded queue when it is behind,
//! which slows the PBXs down through TCP instead of growing memory.

use crate::stats::{Stage, Stats};
use connectors::{Received, What};
use journal::{EntryKind, Journal, Position, SourceWriter};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc;

/// Entries appended between two syncs at most, and their bytes: a sync
/// acknowledges many records at once, but not so many that a slow disk
/// holds the connectors back for long.
const BATCH_ENTRIES: usize = 4096;
const BATCH_BYTES: usize = 8 << 20;
/// How often open segments are checked for their age.
const ROTATION_CHECK: Duration = Duration::from_secs(1);

/// How far each source's journal is durable, for the processing stage.
pub struct DurableEnds {
    state: Mutex<Ends>,
    changed: Condvar,
}

struct Ends {
    ends: Vec<Position>,
    /// The journal stage has stopped: no end moves any more.
    finished: bool,
}

impl DurableEnds {
    pub fn new(ends: Vec<Position>) -> DurableEnds {
        DurableEnds { state: Mutex::new(Ends { ends, finished: false }), changed: Condvar::new() }
    }

    fn lock(&self) -> MutexGuard<'_, Ends> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn advance(&self, source: usize, end: Position) {
        let mut state = self.lock();
        if let Some(e) = state.ends.get_mut(source) {
            *e = (*e).max(end);
        }
        self.changed.notify_all();
    }

    /// No end will move any more.
    pub fn finish(&self) {
        self.lock().finished = true;
        self.changed.notify_all();
    }

    /// Waits (at most `timeout`) until some source's end is past `seen`
    /// or the stage finished; returns the ends and whether it finished.
    pub fn wait_past(&self, seen: &[Position], timeout: Duration) -> (Vec<Position>, bool) {
        let state = self.lock();
        let ahead = |s: &Ends| s.finished || s.ends.iter().zip(seen).any(|(end, seen)| end > seen);
        let (state, _) = self
            .changed
            .wait_timeout_while(state, timeout, |s| !ahead(s))
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (state.ends.clone(), state.finished)
    }
}

/// What the stage wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Journaled {
    pub entries: u64,
    pub bytes: u64,
    pub syncs: u64,
}

/// The writers of `sources`, in order (connector source id `i` is
/// `sources[i]`); made before anything reads, so every source exists.
pub fn writers(journal: &Journal, sources: &[String]) -> Result<Vec<SourceWriter>, String> {
    sources
        .iter()
        .map(|s| journal.writer(s).map_err(|e| format!("journal of {s:?}: {e}")))
        .collect()
}

/// Journals everything received until every connector has hung up, then
/// finishes `ends`.
pub fn run(
    received: &mut mpsc::Receiver<Received>,
    writers: Vec<SourceWriter>,
    ends: &DurableEnds,
    stats: &Stats,
) -> Result<Journaled, String> {
    let result = journal_all(received, writers, ends, stats);
    ends.finish();
    result
}

fn journal_all(
    received: &mut mpsc::Receiver<Received>,
    mut writers: Vec<SourceWriter>,
    ends: &DurableEnds,
    stats: &Stats,
) -> Result<Journaled, String> {
    let mut dirty = vec![false; writers.len()];
    // Told once their items are synced (see `connectors::Feed`).
    let mut waiting: Vec<tokio::sync::oneshot::Sender<()>> = Vec::new();
    let mut done = Journaled::default();
    let mut rotation_checked = Instant::now();
    while let Some(first) = received.blocking_recv() {
        let (mut entries, mut bytes) = (0, 0);
        let mut next = Some(first);
        while let Some(mut item) = next {
            let writer = writers
                .get_mut(item.source as usize)
                .ok_or_else(|| format!("no journal for source {}", item.source))?;
            bytes += append(writer, &item)?;
            dirty[item.source as usize] = true;
            waiting.extend(item.durable.take());
            entries += 1;
            next = if entries < BATCH_ENTRIES && bytes < BATCH_BYTES {
                received.try_recv().ok()
            } else {
                None
            };
        }
        let syncs_before = done.syncs;
        for (i, writer) in writers.iter_mut().enumerate() {
            if std::mem::take(&mut dirty[i]) {
                let end =
                    writer.sync().map_err(|e| format!("journal of {:?}: {e}", writer.source()))?;
                ends.advance(i, end);
                done.syncs += 1;
            }
        }
        for tell in waiting.drain(..) {
            let _ = tell.send(());
        }
        done.entries += entries as u64;
        done.bytes += bytes as u64;
        stats.add_journaled(entries as u64, bytes as u64, done.syncs - syncs_before);
        stats.set_queue(Stage::Journal, received.len());
        if rotation_checked.elapsed() >= ROTATION_CHECK {
            rotation_checked = Instant::now();
            for writer in &mut writers {
                writer.rotate_if_due(SystemTime::now()).map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(done)
}

/// Appends one received item; returns the payload bytes written. An
/// incomplete record left when a connection closed is journaled as data
/// before the close, so the reader sees it without its end.
fn append(writer: &mut SourceWriter, item: &Received) -> Result<usize, String> {
    let mut write = |kind: EntryKind, payload: &[u8]| {
        writer
            .append(kind, item.connection, item.at, payload)
            .map(|_| payload.len())
            .map_err(|e| format!("journal of {:?}: {e}", writer.source()))
    };
    match &item.what {
        What::Opened { peer } => write(EntryKind::Open, peer.as_bytes()),
        What::Records(records) => write(EntryKind::Data, records),
        What::Closed { partial, reason } => {
            let data = if partial.is_empty() { 0 } else { write(EntryKind::Data, partial)? };
            Ok(data + write(EntryKind::Close, reason.as_bytes())?)
        }
    }
}
