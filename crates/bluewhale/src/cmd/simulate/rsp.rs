//! `rsp://HOST:PORT`: each connection is an Avaya Communication Manager
//! CDR link speaking the Reliable Session Protocol, in the framing of
//! `connectors::rsp` (whose module doc describes it, and what of it is
//! Avaya's): it opens a session, sends its records in numbered blocks
//! with up to a window of them unacknowledged, answers and sends
//! keep-alives, and after a broken link reconnects and resends every block
//! not acknowledged, from the first the adjunct does not know durable.
//!
//! A record counts as sent (`records`) when the block holding it is first
//! written whole, and as acknowledged (`acknowledged` in the summary) when
//! the adjunct acknowledges its block: acknowledged records are the ones
//! the adjunct has promised to keep. `--drop-every` cuts the link in the
//! middle of the block holding the record, which is then resent whole;
//! `--garbage-every` puts its line inside a block, before the record.
//!
//! The timers are shorter than CM's defaults (60 s idle before a
//! keep-alive, 30 s for an answer) so that a test sees a dead link in
//! seconds rather than minutes.

use super::faults::Faults;
use super::rate::{Grant, MonotonicClock, Pacer};
use super::source::Source;
use super::stats::Stats;
use super::target::{Patience, Run, RunFuture, Target};
use super::tcp::{check_stream_target, join_connections, stream_chunk_records};
use anyhow::{Context, Result, anyhow, bail};
use connectors::rsp::wire::{Decoded, Decoder, Frame, Kind, encode_frame};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use synth::RecordChunk;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// Unacknowledged blocks a link sends ahead at most (fewer if the adjunct
/// says so).
const WINDOW: usize = 16;
/// Most records in a block.
const BLOCK_RECORDS: usize = 32;
/// Most bytes of records in a block (a record is never split).
const BLOCK_BYTES: usize = 16 * 1024;
/// A link idle this long is probed (CM's `Connectivity Timer`).
const IDLE: Duration = Duration::from_secs(10);
/// How long an answer may take (CM's `Packet Resp Timer`).
const ANSWER_WITHIN: Duration = Duration::from_secs(10);
/// Unanswered connects or probes before the link is dropped (CM's
/// `Session Connect Message Cntr` and `SPDU Cntr`).
const TRIES: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub struct RspTarget {
    address: String,
    connections: usize,
    patience: Patience,
    acknowledged: Arc<AtomicU64>,
}

impl RspTarget {
    pub fn new(address: &str, connections: usize, patience: Patience) -> Result<Self> {
        check_stream_target("rsp", address, connections)?;
        let acknowledged = Arc::new(AtomicU64::new(0));
        Ok(RspTarget { address: address.to_string(), connections, patience, acknowledged })
    }
}

impl Target for RspTarget {
    fn connections(&self) -> Option<usize> {
        Some(self.connections)
    }

    fn chunk_records(&self, count: Option<u64>, rate: u64) -> usize {
        stream_chunk_records(self.connections, count, rate)
    }

    fn acknowledged(&self) -> Option<Arc<AtomicU64>> {
        Some(Arc::clone(&self.acknowledged))
    }

    fn run(self: Box<Self>, run: Run) -> RunFuture {
        Box::pin(async move {
            let address = tokio::net::lookup_host(&self.address)
                .await
                .with_context(|| format!("cannot resolve rsp://{}", self.address))?
                .next()
                .ok_or_else(|| anyhow!("rsp://{} resolves to no address", self.address))?;
            let run = Arc::new(run);
            let period = Duration::from_secs(self.connections as u64);
            let sessions = session_ids();
            let mut links = JoinSet::new();
            for id in 0..self.connections {
                let pacer = Pacer::new(MonotonicClock::new(), run.rate, period);
                let cm = Cm::new(id, sessions.wrapping_add(id as u64), address, &self, &run);
                links.spawn(cm.send_all(pacer, Arc::clone(&run)));
            }
            join_connections(links, "rsp", &self.address).await
        })
    }
}

/// Session ids for this run's links, unlike those of any earlier run: a
/// new run is a PBX that kept nothing from before.
fn session_ids() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (nanos ^ u64::from(std::process::id()).rotate_left(40)) & !0xFFFF
}

/// One block of records, kept until acknowledged.
struct Block {
    seq: u64,
    /// The whole `data` frame.
    frame: Vec<u8>,
    records: u64,
    garbage_lines: u64,
    /// Written whole at least once (its records counted as sent).
    sent_before: bool,
    /// Its first sending is cut in the middle (`--drop-every`).
    cut: bool,
}

/// Why a link ended.
enum Ended {
    /// The run's records are all acknowledged: the session was closed.
    Done,
    /// The link broke, was cut or was closed by the adjunct (why):
    /// reconnect.
    Down(String),
}

/// One CM link: its session, its blocks, its connection when up.
struct Cm {
    id: usize,
    name: String,
    session: u64,
    address: SocketAddr,
    patience: Patience,
    stats: Arc<Stats>,
    acknowledged: Arc<AtomicU64>,
    faults: Faults,
    /// Blocks not acknowledged, oldest first.
    unacked: VecDeque<Block>,
    /// How many of `unacked` have been written on the current link.
    written: usize,
    next_seq: u64,
    /// The chunk of records being cut into blocks.
    work: Option<Work>,
    /// No more records will be taken (all claimed, or the deadline).
    exhausted: bool,
    connected_before: bool,
    backoff: Duration,
    /// Since when the link has failed to come up; `None` while it works.
    failing_since: Option<Instant>,
    /// The last link failed: wait `backoff` before trying again.
    wait_first: bool,
    /// Why the last link ended, for the error if the link never returns.
    last_down: Option<String>,
}

/// A claimed chunk and the first of its records not yet in a block.
struct Work {
    chunk: RecordChunk,
    next: usize,
}

impl Cm {
    fn new(id: usize, session: u64, address: SocketAddr, target: &RspTarget, run: &Run) -> Cm {
        Cm {
            id,
            name: format!("simulate-cdr{}", id + 1),
            session,
            address,
            patience: target.patience,
            stats: Arc::clone(&run.stats),
            acknowledged: Arc::clone(&target.acknowledged),
            faults: run.faults,
            unacked: VecDeque::new(),
            written: 0,
            next_seq: 1,
            work: None,
            exhausted: false,
            connected_before: false,
            backoff: FIRST_BACKOFF,
            failing_since: None,
            wait_first: false,
            last_down: None,
        }
    }

    /// Sends every record of this link's lane until each is acknowledged.
    async fn send_all(mut self, mut pacer: Pacer<MonotonicClock>, run: Arc<Run>) -> Result<()> {
        loop {
            let mut link = self.connect().await?;
            let ended = self.serve(&mut link, &mut pacer, &run).await;
            self.stats.connections_up.fetch_sub(1, Relaxed);
            match ended {
                Ended::Done => {
                    let _ = link.send(&Frame::Disconnect { reason: "end of run".into() }).await;
                    let _ = link.write.shutdown().await;
                    return Ok(());
                }
                // What was not acknowledged goes again on the next link.
                Ended::Down(why) => self.last_down = Some(why),
            }
        }
    }

    /// Connects and opens the session, retrying with backoff; fails once
    /// the link has been failing for longer than the patience allows.
    async fn connect(&mut self) -> Result<Link> {
        loop {
            if self.wait_first {
                tokio::time::sleep(self.backoff).await;
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
            }
            self.wait_first = true;
            let failure = match TcpStream::connect(self.address).await {
                Ok(stream) => match self.open(stream).await {
                    Ok(link) => return Ok(link),
                    Err(why) => why,
                },
                Err(error) => format!("refused: {error}"),
            };
            let since = *self.failing_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= self.patience.give_up_after {
                let before = match &self.last_down {
                    Some(why) => format!(" (the last link ended: {why})"),
                    None => String::new(),
                };
                bail!(
                    "connection {} to {}: no session for {} s: {failure}{before}",
                    self.id,
                    self.address,
                    since.elapsed().as_secs()
                );
            }
        }
    }

    /// Opens the session on a new connection: `connect`, then `accept`.
    async fn open(&mut self, stream: TcpStream) -> Result<Link, String> {
        // Blocks go out as soon as they are written, as a PBX's would.
        let _ = stream.set_nodelay(true);
        let mut link = Link::new(stream);
        let connect = Frame::Connect {
            session: self.session,
            window: WINDOW as u16,
            name: self.name.clone(),
        };
        for _ in 0..TRIES {
            link.send(&connect).await?;
            let deadline = Instant::now() + ANSWER_WITHIN;
            loop {
                let event = tokio::time::timeout_at(deadline, link.events.recv()).await;
                match event {
                    Err(_) => break,
                    Ok(None) => return Err("the adjunct closed the link".into()),
                    Ok(Some(Event::Frame(Frame::Accept { resume_after, window, .. }))) => {
                        self.opened(&mut link, resume_after, window);
                        return Ok(link);
                    }
                    Ok(Some(Event::Frame(Frame::KeepAlive { probe }))) => {
                        link.send(&Frame::KeepAliveReply { probe }).await?;
                    }
                    Ok(Some(Event::Frame(Frame::Refuse { reason }))) => {
                        return Err(format!("session refused: {reason}"));
                    }
                    Ok(Some(Event::Frame(other))) => {
                        return Err(format!("{} frame before accept", other.kind().name()));
                    }
                    Ok(Some(Event::Broken(why))) => return Err(why),
                }
            }
        }
        Err(format!("no answer to {TRIES} connects"))
    }

    /// The session is open: blocks the adjunct knows durable are
    /// acknowledged; the rest go again, oldest first.
    fn opened(&mut self, link: &mut Link, resume_after: u64, window: u16) {
        link.window = usize::from(window).clamp(1, WINDOW);
        self.written = 0;
        self.acknowledge(resume_after);
        if self.connected_before {
            Stats::add(&self.stats.reconnects, 1);
        }
        self.connected_before = true;
        Stats::add(&self.stats.connections_up, 1);
        self.failing_since = None;
        self.backoff = FIRST_BACKOFF;
        self.wait_first = false;
    }

    /// Blocks up to `seq` are acknowledged.
    fn acknowledge(&mut self, seq: u64) {
        while let Some(block) = self.unacked.front() {
            if block.seq > seq {
                break;
            }
            self.acknowledged.fetch_add(block.records, Relaxed);
            self.unacked.pop_front();
            self.written = self.written.saturating_sub(1);
        }
    }

    /// Runs the open session until every record is acknowledged or the
    /// link ends.
    async fn serve(
        &mut self,
        link: &mut Link,
        pacer: &mut Pacer<MonotonicClock>,
        run: &Run,
    ) -> Ended {
        loop {
            let wake = match self.send_ahead(link, pacer, run).await {
                Ok(wake) => wake,
                Err(why) => return Ended::Down(why),
            };
            if self.exhausted && self.unacked.is_empty() {
                return Ended::Done;
            }
            let probe_at = link.probe_due(!self.unacked.is_empty());
            let next = wake.map_or(probe_at, |wake| wake.min(probe_at));
            tokio::select! {
                event = link.events.recv() => {
                    let result = match event {
                        Some(event) => self.take(link, event).await,
                        None => Err("the link's reader stopped".to_string()),
                    };
                    if let Err(why) = result {
                        return Ended::Down(why);
                    }
                }
                _ = tokio::time::sleep_until(next) => {
                    if Instant::now() >= probe_at
                        && let Err(why) = link.probe().await {
                            return Ended::Down(why);
                        }
                }
            }
        }
    }

    /// Writes blocks not yet written on this link (resent first), then new
    /// ones while the window allows; returns when to try again if the
    /// pacer holds records back.
    async fn send_ahead(
        &mut self,
        link: &mut Link,
        pacer: &mut Pacer<MonotonicClock>,
        run: &Run,
    ) -> Result<Option<Instant>, String> {
        loop {
            if self.written < self.unacked.len() && self.written < link.window {
                self.write_next(link).await?;
                continue;
            }
            if self.exhausted || self.unacked.len() >= link.window {
                return Ok(None);
            }
            if run.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                self.exhausted = true;
                return Ok(None);
            }
            let Some(remaining) = self.claim(&run.source).await.filter(|r| *r > 0) else {
                self.exhausted = true;
                return Ok(None);
            };
            let want = remaining.min(BLOCK_RECORDS) as u64;
            match pacer.grant(want) {
                Grant::Send(granted) => {
                    let block = self.cut_block(granted as usize);
                    pacer.give_back(granted - block.records);
                    self.unacked.push_back(block);
                }
                Grant::Wait(wait) => {
                    let wake = Instant::now() + wait;
                    return Ok(Some(run.deadline.map_or(wake, |d| d.min(wake))));
                }
            }
        }
    }

    /// Records left in the current chunk, claiming the next chunk if it is
    /// done; `None` when the lane is exhausted.
    async fn claim(&mut self, source: &Source) -> Option<usize> {
        if self.work.as_ref().is_none_or(|w| w.next == w.chunk.len()) {
            self.work = Some(Work { chunk: source.next(self.id).await?, next: 0 });
        }
        self.work.as_ref().map(|w| w.chunk.len() - w.next)
    }

    /// The next block: up to `count` records of the current chunk, with
    /// the garbage lines due before them.
    fn cut_block(&mut self, count: usize) -> Block {
        let mut payload = Vec::new();
        let (mut records, mut garbage_lines, mut cut) = (0, 0, false);
        if let Some(work) = self.work.as_mut() {
            let end = (work.next + count).min(work.chunk.len());
            while work.next < end {
                let index = work.chunk.first + work.next as u64;
                let record = work.chunk.record(work.next);
                if records > 0 && payload.len() + record.len() > BLOCK_BYTES {
                    break;
                }
                if self.faults.garbage_before(index) {
                    self.faults.garbage_line(index, &mut payload);
                    garbage_lines += 1;
                }
                cut |= self.faults.cuts(index);
                payload.extend_from_slice(record);
                records += 1;
                work.next += 1;
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut frame = Vec::with_capacity(payload.len() + 32);
        encode_frame(Kind::Data, seq, &payload, &mut frame);
        Block { seq, frame, records, garbage_lines, sent_before: false, cut }
    }

    /// Writes the first block not yet written on this link.
    async fn write_next(&mut self, link: &mut Link) -> Result<(), String> {
        let Some(block) = self.unacked.get_mut(self.written) else {
            return Ok(());
        };
        if block.cut && !block.sent_before {
            // Half the frame, then the link goes: the block is resent whole.
            block.cut = false;
            let half = &block.frame[..block.frame.len() / 2];
            let _ = link.write.write_all(half).await;
            let _ = link.write.shutdown().await;
            Stats::add(&self.stats.cuts, 1);
            return Err("cut on purpose".into());
        }
        link.write_bytes(&block.frame).await?;
        if !block.sent_before {
            block.sent_before = true;
            Stats::add(&self.stats.records, block.records);
            Stats::add(&self.stats.garbage_lines, block.garbage_lines);
        }
        self.written += 1;
        Ok(())
    }

    /// What the adjunct sent.
    async fn take(&mut self, link: &mut Link, event: Event) -> Result<(), String> {
        let frame = match event {
            Event::Frame(frame) => frame,
            Event::Broken(why) => return Err(why),
        };
        link.heard();
        match frame {
            Frame::Ack { seq } => {
                let unwritten = self.unacked.iter().skip(self.written).any(|b| b.seq == seq);
                if seq >= self.next_seq || unwritten {
                    return Err(format!("ack of block {seq}, which was not sent"));
                }
                self.acknowledge(seq);
                Ok(())
            }
            Frame::KeepAlive { probe } => link.send(&Frame::KeepAliveReply { probe }).await,
            Frame::KeepAliveReply { .. } => Ok(()),
            Frame::Disconnect { reason } => Err(format!("closed by the adjunct: {reason}")),
            other => Err(format!("unexpected {} frame", other.kind().name())),
        }
    }
}

/// What the reading side of a link passes on.
enum Event {
    Frame(Frame),
    /// The link is closed or speaks nonsense: why.
    Broken(String),
}

/// An open connection: its write half, and the frames its reader decodes.
struct Link {
    write: OwnedWriteHalf,
    // Unbounded, yet bounded by the protocol: the adjunct answers at most
    // a window of blocks and each probe; it must never stop the reader,
    // or a writer blocked on a full socket would deadlock with it.
    events: mpsc::UnboundedReceiver<Event>,
    reader: JoinHandle<()>,
    /// Unacknowledged blocks allowed (the smaller of both windows).
    window: usize,
    last_heard: Instant,
    last_written: Instant,
    /// The last probe sent, and when, while unanswered.
    probe: u64,
    probing_since: Option<Instant>,
    unanswered: u32,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Link {
    fn new(stream: TcpStream) -> Link {
        let (read, write) = stream.into_split();
        let (events_tx, events) = mpsc::unbounded_channel();
        let reader = tokio::spawn(read_frames(read, events_tx));
        let now = Instant::now();
        Link {
            write,
            events,
            reader,
            window: 1,
            last_heard: now,
            last_written: now,
            probe: 0,
            probing_since: None,
            unanswered: 0,
        }
    }

    async fn send(&mut self, frame: &Frame) -> Result<(), String> {
        self.write_bytes(&frame.to_bytes()).await
    }

    async fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.write.write_all(bytes).await.map_err(|e| format!("write failed: {e}"))?;
        self.last_written = Instant::now();
        Ok(())
    }

    fn heard(&mut self) {
        self.last_heard = Instant::now();
        self.probing_since = None;
        self.unanswered = 0;
    }

    /// When to probe next: after `IDLE` of silence (of the adjunct alone
    /// while acknowledgements are awaited), or `ANSWER_WITHIN` after an
    /// unanswered probe.
    fn probe_due(&self, awaiting_acks: bool) -> Instant {
        match self.probing_since {
            Some(since) => since + ANSWER_WITHIN,
            None if awaiting_acks => self.last_heard + IDLE,
            None => self.last_heard.max(self.last_written) + IDLE,
        }
    }

    /// Probes the adjunct; fails once `TRIES` probes went unanswered.
    async fn probe(&mut self) -> Result<(), String> {
        if self.probing_since.is_some() {
            self.unanswered += 1;
            if self.unanswered >= TRIES {
                return Err(format!("{TRIES} keep-alives unanswered"));
            }
        }
        self.probe += 1;
        self.probing_since = Some(Instant::now());
        let probe = self.probe;
        self.send(&Frame::KeepAlive { probe }).await
    }
}

/// Decodes what the adjunct sends until the link closes.
async fn read_frames(mut read: OwnedReadHalf, events: mpsc::UnboundedSender<Event>) {
    let mut decoder = Decoder::new();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        while let Some(decoded) = decoder.decode() {
            let event = match decoded {
                Decoded::Frame(frame) => Event::Frame(frame),
                Decoded::Garbage { why, .. } => {
                    Event::Broken(format!("the adjunct sent garbage: {why}"))
                }
                Decoded::Corrupt { why, .. } => {
                    Event::Broken(format!("the adjunct sent a corrupt frame: {why}"))
                }
            };
            if events.send(event).is_err() {
                return;
            }
        }
        let why = match read.read(&mut buffer).await {
            Ok(0) => "closed by the adjunct".to_string(),
            Ok(n) => {
                decoder.push(&buffer[..n]);
                continue;
            }
            Err(e) => format!("read failed: {e}"),
        };
        let _ = events.send(Event::Broken(why));
        return;
    }
}
