//! `tcp://HOST:PORT`: each connection is one PBX streaming its records as
//! lines, as Avaya CM (raw, without its session protocol), NEC SMDR or an
//! Asterisk CSV feed would.
//!
//! A connection takes chunks of the record stream from its own lane, so no two connections
//! send the same record, and writes them in batches (one write of up to
//! [`MAX_BATCH_BYTES`] at a time) as its share of `--rate` allows. When a
//! write fails the connection reconnects with backoff (100 ms doubling up
//! to 5 s) and goes on from the first record not written whole; the run
//! fails if a connection cannot connect for `--give-up-after` (30 s).
//! A write that returned is not a record received: bytes still in the
//! kernel's buffers when a link fails may be lost, and only an
//! acknowledged protocol (such as RSP) can tell.

use super::faults::Faults;
use super::rate::{Grant, MonotonicClock, Pacer};
use super::source::Source;
use super::stats::Stats;
use super::target::{Patience, Run, RunFuture, Target};
use anyhow::{Context, Result, anyhow, bail};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use synth::RecordChunk;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Most records a connection writes at once.
const MAX_BATCH_RECORDS: usize = 1024;
/// Most bytes a connection writes at once (a record is never split).
const MAX_BATCH_BYTES: usize = 128 * 1024;
/// Most records a connection claims at once.
const MAX_CHUNK_RECORDS: usize = 1024;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub struct TcpTarget {
    address: String,
    connections: usize,
    patience: Patience,
}

impl TcpTarget {
    pub fn new(address: &str, connections: usize, patience: Patience) -> Result<Self> {
        check_stream_target("tcp", address, connections)?;
        Ok(TcpTarget { address: address.to_string(), connections, patience })
    }
}

/// Checks the `HOST:PORT` and the connection count of a `scheme://`
/// target whose connections each stream records (tcp://, rsp://).
pub(super) fn check_stream_target(scheme: &str, address: &str, connections: usize) -> Result<()> {
    let port = address.rsplit_once(':').map(|(_, port)| port);
    if port.is_none_or(|port| port.parse::<u16>().is_err()) {
        bail!("--target {scheme}://{address}: expected {scheme}://HOST:PORT");
    }
    if connections == 0 {
        bail!("--connections must be at least 1");
    }
    Ok(())
}

/// Records a streaming connection claims at once: small enough that every
/// connection gets a share of a short run, or about a second of its share
/// of a paced one.
pub(super) fn stream_chunk_records(connections: usize, count: Option<u64>, rate: u64) -> usize {
    let share = match count {
        Some(count) => count / (connections as u64 * 4),
        None if rate > 0 => rate / connections as u64,
        None => MAX_CHUNK_RECORDS as u64,
    };
    usize::try_from(share).unwrap_or(MAX_CHUNK_RECORDS).clamp(1, MAX_CHUNK_RECORDS)
}

/// Waits for every connection of a `scheme://address` target; the first
/// to fail (or panic) stops the others and is the run's error.
pub(super) async fn join_connections(
    mut connections: JoinSet<Result<()>>,
    scheme: &str,
    address: &str,
) -> Result<()> {
    while let Some(ended) = connections.join_next().await {
        let failed = match ended {
            Ok(result) => result.err(),
            Err(panic) => Some(anyhow!("a connection's task failed: {panic}")),
        };
        if let Some(error) = failed {
            connections.abort_all();
            return Err(error.context(format!("{scheme}://{address}")));
        }
    }
    Ok(())
}

impl Target for TcpTarget {
    fn connections(&self) -> Option<usize> {
        Some(self.connections)
    }

    fn chunk_records(&self, count: Option<u64>, rate: u64) -> usize {
        stream_chunk_records(self.connections, count, rate)
    }

    fn run(self: Box<Self>, run: Run) -> RunFuture {
        Box::pin(async move {
            let address = resolve(&self.address).await?;
            let run = Arc::new(run);
            let period = Duration::from_secs(self.connections as u64);
            let mut senders = JoinSet::new();
            for id in 0..self.connections {
                // Each connection's share: `rate` records every
                // `connections` seconds.
                let pacer = Pacer::new(MonotonicClock::new(), run.rate, period);
                let link = Link::new(id, address, self.patience, Arc::clone(&run.stats));
                senders.spawn(send_all(link, pacer, Arc::clone(&run)));
            }
            join_connections(senders, "tcp", &self.address).await
        })
    }
}

async fn resolve(address: &str) -> Result<SocketAddr> {
    tokio::net::lookup_host(address)
        .await
        .with_context(|| format!("cannot resolve tcp://{address}"))?
        .next()
        .ok_or_else(|| anyhow!("tcp://{address} resolves to no address"))
}

/// One connection's life: claim chunks, pace, write, reconnect.
async fn send_all(mut link: Link, mut pacer: Pacer<MonotonicClock>, run: Arc<Run>) -> Result<()> {
    link.connect().await?;
    let mut batch = Batch::default();
    let mut work: Option<Work> = None;
    loop {
        if run.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            break;
        }
        let Some(current) = claim(&mut work, &run.source, link.id).await else {
            break;
        };
        let want = current.remaining().min(MAX_BATCH_RECORDS) as u64;
        let granted = match pacer.grant(want) {
            Grant::Send(granted) => granted,
            Grant::Wait(wait) => {
                let wake = Instant::now() + wait;
                tokio::time::sleep_until(run.deadline.map_or(wake, |d| d.min(wake))).await;
                continue;
            }
        };
        let covered = batch.fill(current, granted as usize, &run.faults);
        pacer.give_back(granted - covered as u64);
        link.connect().await?;
        match link.write(&batch.bytes).await {
            Ok(()) => {
                current.apply(&batch, batch.bytes.len(), &run.stats);
                if batch.ends_in_cut() {
                    link.cut().await;
                }
            }
            Err(written) => current.apply(&batch, written, &run.stats),
        }
    }
    link.close().await;
    Ok(())
}

/// The chunk being sent, or the next one if it is done; `None` when the
/// stream is exhausted.
async fn claim<'w>(
    work: &'w mut Option<Work>,
    source: &Source,
    lane: usize,
) -> Option<&'w mut Work> {
    if work.as_ref().is_none_or(|w| w.remaining() == 0) {
        *work = Some(Work::new(source.next(lane).await?));
    }
    work.as_mut()
}

/// A claimed chunk and how far it has been sent.
struct Work {
    chunk: RecordChunk,
    /// The first record (in the chunk) not yet written whole.
    next: usize,
    /// The record whose garbage line has been written.
    garbage_done: Option<u64>,
    /// The record whose first half has been written and its link cut.
    cut_done: Option<u64>,
}

impl Work {
    fn new(chunk: RecordChunk) -> Self {
        Work { chunk, next: 0, garbage_done: None, cut_done: None }
    }

    fn remaining(&self) -> usize {
        self.chunk.len() - self.next
    }

    /// Moves past what the first `written` bytes of `batch` hold whole.
    fn apply(&mut self, batch: &Batch, written: usize, stats: &Stats) {
        let whole = batch.pieces.iter().take_while(|(end, _)| *end <= written);
        let (mut records, mut garbage) = (0, 0);
        for (_, piece) in whole {
            match *piece {
                Piece::Garbage(index) => {
                    self.garbage_done = Some(index);
                    garbage += 1;
                }
                Piece::Record => {
                    self.next += 1;
                    records += 1;
                }
                Piece::Half(index) => {
                    self.cut_done = Some(index);
                    Stats::add(&stats.cuts, 1);
                }
            }
        }
        Stats::add(&stats.records, records);
        Stats::add(&stats.garbage_lines, garbage);
    }
}

/// What one write carries, in order.
#[derive(Debug, Clone, Copy)]
enum Piece {
    /// A garbage line before the record with this index.
    Garbage(u64),
    /// The next record, whole.
    Record,
    /// The first half of the record with this index; the link is cut after.
    Half(u64),
}

/// The bytes of one write and where each piece in them ends.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    pieces: Vec<(usize, Piece)>,
}

impl Batch {
    /// Up to `count` records of `work` from its next one, with the faults
    /// due before and in them; returns how many records it covers (a cut
    /// record ends the batch and is not covered).
    fn fill(&mut self, work: &Work, count: usize, faults: &Faults) -> usize {
        self.bytes.clear();
        self.pieces.clear();
        let mut covered = 0;
        for k in work.next..work.next + count {
            let index = work.chunk.first + k as u64;
            let record = work.chunk.record(k);
            if covered > 0 && self.bytes.len() + record.len() > MAX_BATCH_BYTES {
                break;
            }
            if faults.garbage_before(index) && work.garbage_done != Some(index) {
                faults.garbage_line(index, &mut self.bytes);
                self.pieces.push((self.bytes.len(), Piece::Garbage(index)));
            }
            if faults.cuts(index) && work.cut_done != Some(index) {
                self.bytes.extend_from_slice(&record[..record.len() / 2]);
                self.pieces.push((self.bytes.len(), Piece::Half(index)));
                break;
            }
            self.bytes.extend_from_slice(record);
            self.pieces.push((self.bytes.len(), Piece::Record));
            covered += 1;
        }
        covered
    }

    fn ends_in_cut(&self) -> bool {
        matches!(self.pieces.last(), Some((_, Piece::Half(_))))
    }
}

/// A connection to the target that comes back when it fails.
struct Link {
    id: usize,
    address: SocketAddr,
    patience: Patience,
    stats: Arc<Stats>,
    stream: Option<TcpStream>,
    connected_before: bool,
    backoff: Duration,
    /// Since when the connection has been failing; `None` while it works.
    failing_since: Option<Instant>,
    /// The last connection failed: wait `backoff` before trying again.
    wait_first: bool,
}

impl Link {
    fn new(id: usize, address: SocketAddr, patience: Patience, stats: Arc<Stats>) -> Self {
        Link {
            id,
            address,
            patience,
            stats,
            stream: None,
            connected_before: false,
            backoff: FIRST_BACKOFF,
            failing_since: None,
            wait_first: false,
        }
    }

    /// Connects unless connected, retrying with backoff; fails once it has
    /// been failing for longer than the patience allows.
    async fn connect(&mut self) -> Result<()> {
        while self.stream.is_none() {
            if self.wait_first {
                tokio::time::sleep(self.backoff).await;
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
            }
            match TcpStream::connect(self.address).await {
                Ok(stream) => self.up(stream),
                Err(error) => {
                    let since = *self.failing_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= self.patience.give_up_after {
                        bail!(
                            "connection {} to {}: refused for {} s: {error}",
                            self.id,
                            self.address,
                            since.elapsed().as_secs()
                        );
                    }
                    self.wait_first = true;
                }
            }
        }
        Ok(())
    }

    fn up(&mut self, stream: TcpStream) {
        // Records go out as soon as they are written, as a PBX's would.
        let _ = stream.set_nodelay(true);
        self.stream = Some(stream);
        if self.connected_before {
            Stats::add(&self.stats.reconnects, 1);
        }
        self.connected_before = true;
        Stats::add(&self.stats.connections_up, 1);
        self.failing_since = None;
        self.backoff = FIRST_BACKOFF;
        self.wait_first = false;
    }

    /// Writes all of `bytes`, or says how many were written before the link
    /// failed (the link is then down, to be reconnected with backoff).
    async fn write(&mut self, bytes: &[u8]) -> Result<(), usize> {
        let mut written = 0;
        if let Some(stream) = self.stream.as_mut() {
            while written < bytes.len() {
                match stream.write(&bytes[written..]).await {
                    Ok(0) => break,
                    Ok(n) => written += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            if written == bytes.len() {
                return Ok(());
            }
        }
        self.down();
        self.failing_since.get_or_insert_with(Instant::now);
        self.wait_first = true;
        Err(written)
    }

    fn down(&mut self) -> Option<TcpStream> {
        let stream = self.stream.take();
        if stream.is_some() {
            self.stats.connections_up.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
        stream
    }

    /// Closes the link on purpose (after half a record); the next
    /// [`Link::connect`] reconnects at once.
    async fn cut(&mut self) {
        self.close().await;
    }

    /// Closes the link cleanly: what was written is delivered, then EOF.
    async fn close(&mut self) {
        if let Some(mut stream) = self.down() {
            let _ = stream.shutdown().await;
        }
    }
}
