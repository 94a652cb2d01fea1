//! One connection of a PBX: the session set-up, then blocks of records
//! handed on in order and acknowledged once durable, keep-alives answered,
//! a silent link closed.
//!
//! Three tasks share the connection. The reader decodes frames, hands
//! records on (without waiting for them to be durable, so that many
//! blocks share one journal sync) and queues each block's acknowledgement;
//! the acknowledger waits for durability in block order and queues `Ack`
//! frames; the writer owns the socket's write half and writes whatever is
//! queued (acknowledgements, keep-alive replies, the set-up answer).

use super::Timers;
use super::resume::{Resume, Sessions};
use super::wire::{Decoded, Decoder, Frame, Leftover};
use crate::event::What;
use crate::feed::{Durable, Feed};
use crate::framer::LineFramer;
use crate::state::ConnectorState;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Bytes read from a socket at a time.
const READ_BUFFER: usize = 64 * 1024;
/// Unacknowledged blocks the adjunct takes (told to the PBX in `Accept`);
/// also how many acknowledgements may wait for durability at once.
pub const WINDOW: u16 = 64;
/// Frames waiting for the writer.
const OUT_QUEUE: usize = 256;
/// Most bytes the writer gathers into one write.
const WRITE_BATCH: usize = 16 * 1024;
/// Once the server stops, how long what was handed on may take to become
/// durable before the connection gives up acknowledging it.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// Serves one connection until it closes, the server stops or the session
/// fails.
pub(crate) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    feed: Feed,
    sessions: Arc<Sessions>,
    timers: Timers,
) {
    let peer = peer.to_string();
    let connection = feed.ids.next();
    feed.state.connected(&peer);
    if feed.send(connection, What::Opened { peer: peer.clone() }).await.is_err() {
        feed.state.disconnected();
        return;
    }
    // Acknowledgements go out as soon as they are due.
    let _ = stream.set_nodelay(true);
    let (mut read, write) = stream.into_split();
    let (out, frames) = mpsc::channel(OUT_QUEUE);
    let writer = tokio::spawn(write_frames(
        write,
        frames,
        timers.silent_after,
        feed.state.clone(),
        peer.clone(),
    ));
    let framer = LineFramer::new(feed.framing, feed.max_record);
    let mut link = Link {
        feed: &feed,
        connection,
        peer: &peer,
        sessions: &sessions,
        timers,
        out,
        decoder: Decoder::new(),
        framer,
        open: None,
        in_garbage: false,
    };
    let end = link.read_all(&mut read).await;
    let partial = link.framer.finish();
    let _ = feed.send(connection, What::Closed { partial, reason: end.reason }).await;
    // What was handed on is acknowledged before the link closes, so that
    // the PBX need not resend it.
    if let Some(open) = link.open.take() {
        drop(open.acks);
        let _ = open.acknowledger.await;
    }
    if let Some(reason) = end.tell {
        let _ = link.out.send(Frame::Disconnect { reason }).await;
    }
    drop(link);
    let _ = writer.await;
    feed.state.disconnected();
}

/// Why a connection ended, and what the PBX is told (in a `Disconnect`).
struct End {
    reason: String,
    tell: Option<String>,
}

impl End {
    fn quiet(reason: String) -> End {
        End { reason, tell: None }
    }

    fn told(reason: String) -> End {
        End { tell: Some(reason.clone()), reason }
    }

    fn stopping() -> End {
        End::told("server stopping".to_string())
    }
}

/// A block's acknowledgement, waiting for the block to be durable.
struct PendingAck {
    /// Blocks `first..=last` of the session.
    first: u64,
    last: u64,
    wait: Wait,
}

enum Wait {
    /// Their last bytes were handed on by this connection.
    Durable(Durable),
    /// Handed on before, by an earlier connection of the session.
    HandedBefore,
}

/// The session, once the PBX's `Connect` has been accepted.
struct Open {
    name: String,
    resume: Arc<Resume>,
    acks: mpsc::Sender<PendingAck>,
    acknowledger: JoinHandle<()>,
    /// The last block received on this connection.
    last: Option<u64>,
    /// Blocks of this connection put into the framer whose bytes are not
    /// all handed on yet (a record continues in a later block), with where
    /// each ends in the bytes put into the framer.
    unfinished: VecDeque<(u64, u64)>,
    /// Bytes put into the framer on this connection.
    pushed: u64,
}

/// The reading side of a connection.
struct Link<'a> {
    feed: &'a Feed,
    connection: u64,
    peer: &'a str,
    sessions: &'a Sessions,
    timers: Timers,
    out: mpsc::Sender<Frame>,
    decoder: Decoder,
    framer: LineFramer,
    open: Option<Open>,
    /// The last thing decoded was garbage (reported once per run of it).
    in_garbage: bool,
}

impl Link<'_> {
    async fn read_all(&mut self, read: &mut OwnedReadHalf) -> End {
        let mut buffer = vec![0u8; READ_BUFFER];
        let mut stop = self.feed.stop.clone();
        loop {
            while let Some(decoded) = self.decoder.decode() {
                if let Err(end) = self.take(decoded).await {
                    return end;
                }
            }
            if self.feed.stopping() {
                return End::stopping();
            }
            let read = tokio::select! {
                read = tokio::time::timeout(self.timers.silent_after, read.read(&mut buffer)) => read,
                // A dropped sender is a server gone: stopping as well.
                _ = stop.changed() => return End::stopping(),
                _ = self.out.closed() => return End::quiet("cannot write to the PBX".to_string()),
            };
            match read {
                Err(_) => {
                    let reason = format!(
                        "nothing received for {} s (no data, no keep-alive)",
                        self.timers.silent_after.as_secs_f64()
                    );
                    self.error(&reason);
                    return End::told(reason);
                }
                Ok(Ok(0)) => return self.closed_by_peer().await,
                Ok(Ok(n)) => self.decoder.push(&buffer[..n]),
                Ok(Err(e)) => {
                    self.error(&format!("read failed: {e}"));
                    return End::quiet(format!("read error: {e}"));
                }
            }
        }
    }

    fn error(&self, message: &str) {
        self.feed.state.error(format!("{}: {message}", self.peer));
    }

    /// Ends the session on a breach of the protocol.
    fn breach(&self, message: String) -> End {
        self.error(&message);
        End::told(message)
    }

    async fn closed_by_peer(&mut self) -> End {
        match self.decoder.finish() {
            Leftover::Nothing => End::quiet("closed by peer".to_string()),
            Leftover::Truncated { kind, number, have, need } => End::quiet(format!(
                "closed by peer in the middle of a {} frame ({number}): {have} of {need} bytes; \
                 not acknowledged, so the PBX still holds it and resends it",
                kind.name()
            )),
            Leftover::Garbage(bytes) => {
                match self.garbage(bytes, "bytes that are no frame").await {
                    Ok(()) => End::quiet("closed by peer".to_string()),
                    Err(end) => end,
                }
            }
        }
    }

    async fn take(&mut self, decoded: Decoded) -> Result<(), End> {
        match decoded {
            Decoded::Frame(frame) => {
                self.in_garbage = false;
                self.frame(frame).await
            }
            Decoded::Garbage { bytes, why } => self.garbage(bytes, &why).await,
            // Its bytes are not handed on: the records in it would be cut
            // into lines downstream and one damaged line could be taken
            // for a call. The block is unacknowledged, so the PBX resends
            // it whole on its next connection.
            Decoded::Corrupt { kind, number, payload_len, why } => Err(self.breach(format!(
                "{} frame ({number}, {payload_len} bytes of payload) is corrupt: {why}; not \
                 acknowledged, so the PBX resends it",
                kind.name()
            ))),
        }
    }

    /// Hands on bytes that are not frames, to be quarantined: never
    /// dropped, whatever they are. Each piece ends in `\n` (added if
    /// missing) so that it is a record of its own.
    async fn garbage(&mut self, bytes: Vec<u8>, why: &str) -> Result<(), End> {
        if !self.in_garbage {
            self.error(&format!(
                "{} bytes that are not session protocol frames ({why}); handed on to be \
                 quarantined",
                bytes.len()
            ));
            self.in_garbage = true;
        }
        for piece in bytes.chunks(self.feed.max_record.max(1)) {
            let mut record = piece.to_vec();
            if !record.ends_with(b"\n") {
                record.push(b'\n');
            }
            let lines = record.iter().filter(|&&b| b == b'\n').count() as u64;
            self.feed.state.received(lines, record.len() as u64);
            if let Err(stopped) = self.feed.send(self.connection, What::Records(record)).await {
                return Err(End::quiet(stopped.to_string()));
            }
        }
        Ok(())
    }

    async fn frame(&mut self, frame: Frame) -> Result<(), End> {
        match frame {
            Frame::Connect { session, window: _, name } => {
                if let Some(open) = &self.open {
                    return Err(self.breach(format!(
                        "a second connect (session {session} of {name:?}) in the session {:?}",
                        open.name
                    )));
                }
                self.open(session, name).await
            }
            Frame::Data { seq, records } => {
                if self.open.is_none() {
                    return Err(self.breach(format!("data block {seq} before connect")));
                }
                self.data(seq, records).await
            }
            Frame::KeepAlive { probe } => self.send(Frame::KeepAliveReply { probe }).await,
            Frame::KeepAliveReply { .. } => Ok(()),
            Frame::Disconnect { reason } if reason.is_empty() => {
                Err(End::quiet("closed by the PBX".to_string()))
            }
            Frame::Disconnect { reason } => Err(End::quiet(format!("closed by the PBX: {reason}"))),
            other @ (Frame::Accept { .. } | Frame::Refuse { .. } | Frame::Ack { .. }) => {
                Err(self.breach(format!("{} frame from the PBX", other.kind().name())))
            }
        }
    }

    async fn send(&self, frame: Frame) -> Result<(), End> {
        self.out.send(frame).await.map_err(|_| End::quiet("cannot write to the PBX".into()))
    }

    /// Opens the session: tells the PBX what is known durable, so that it
    /// resends only what follows.
    async fn open(&mut self, session: u64, name: String) -> Result<(), End> {
        let resume = self.sessions.get(&name, session);
        let resume_after = resume.durable();
        let (acks, pending) = mpsc::channel(usize::from(WINDOW));
        let acknowledger = tokio::spawn(acknowledge(
            pending,
            resume.clone(),
            self.out.clone(),
            self.feed.stop.clone(),
        ));
        self.open = Some(Open {
            name,
            resume,
            acks,
            acknowledger,
            last: None,
            unfinished: VecDeque::new(),
            pushed: 0,
        });
        let silent_after_s = u16::try_from(self.timers.silent_after.as_secs()).unwrap_or(u16::MAX);
        self.send(Frame::Accept { resume_after, window: WINDOW, silent_after_s }).await
    }

    /// Block `seq`: handed on unless it was before, acknowledged once
    /// durable.
    async fn data(&mut self, seq: u64, records: Vec<u8>) -> Result<(), End> {
        let Some(open) = self.open.as_mut() else {
            return Ok(());
        };
        let first_here = open.last.is_none();
        if let Some(last) = open.last
            && seq != last + 1
        {
            let message = format!("block {seq} after block {last} on one connection");
            return Err(self.breach(message));
        }
        open.last = Some(seq);
        let resume = open.resume.clone();
        let mut handed = resume.handed.lock().await;
        if seq <= *handed {
            drop(handed);
            let ack = PendingAck { first: seq, last: seq, wait: Wait::HandedBefore };
            return self.queue(ack).await;
        }
        if first_here && *handed > 0 && seq > *handed + 1 {
            let message = format!(
                "session of {:?}: blocks {} to {} never arrived (the PBX did not resend them)",
                open.name,
                *handed + 1,
                seq - 1
            );
            self.error(&message);
        }
        let Some(open) = self.open.as_mut() else {
            return Ok(());
        };
        open.pushed += records.len() as u64;
        open.unfinished.push_back((seq, open.pushed));
        let whole = self.framer.push(&records);
        let handed_up_to = open.pushed - self.framer.pending_len() as u64;
        let mut covered: Option<(u64, u64)> = None;
        while let Some(&(block, end)) = open.unfinished.front() {
            if end > handed_up_to {
                break;
            }
            open.unfinished.pop_front();
            covered = Some((covered.map_or(block, |(first, _)| first), block));
        }
        if whole.is_empty() {
            // The block ends inside a record: it is acknowledged with the
            // block that ends that record.
            return Ok(());
        }
        let lines = whole.iter().filter(|&&b| b == b'\n').count().max(1) as u64;
        self.feed.state.received(lines, whole.len() as u64);
        let durable = match self.feed.send_durable(self.connection, What::Records(whole)).await {
            Ok(durable) => durable,
            Err(stopped) => return Err(End::quiet(stopped.to_string())),
        };
        let Some((first, last)) = covered else {
            // Records of no block completed here: their durability is
            // covered by the next item (items are journaled in order).
            return Ok(());
        };
        *handed = last;
        drop(handed);
        self.queue(PendingAck { first, last, wait: Wait::Durable(durable) }).await
    }

    async fn queue(&self, ack: PendingAck) -> Result<(), End> {
        let Some(open) = &self.open else {
            return Ok(());
        };
        open.acks.send(ack).await.map_err(|_| End::quiet("acknowledgements stopped".into()))
    }
}

/// Acknowledges blocks in order, each once it is durable. Goes on after
/// the link is gone, so that the session knows what became durable.
async fn acknowledge(
    mut pending: mpsc::Receiver<PendingAck>,
    resume: Arc<Resume>,
    out: mpsc::Sender<Frame>,
    stop: watch::Receiver<bool>,
) {
    while let Some(ack) = pending.recv().await {
        let durable = async {
            match ack.wait {
                Wait::Durable(durable) => durable.wait().await.is_ok(),
                Wait::HandedBefore => {
                    resume.wait_durable(ack.last).await;
                    true
                }
            }
        };
        let durable = tokio::select! {
            durable = durable => durable,
            _ = stopped_a_while(stop.clone()) => false,
        };
        if !durable {
            // Never acknowledged: the PBX resends it.
            return;
        }
        resume.durable_up_to(ack.last);
        for seq in ack.first..=ack.last {
            if out.is_closed() {
                break;
            }
            let _ = out.send(Frame::Ack { seq }).await;
        }
    }
}

/// Resolves `DRAIN_LIMIT` after the server starts stopping.
async fn stopped_a_while(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
    tokio::time::sleep(DRAIN_LIMIT).await;
}

/// Writes queued frames, several to a write; a write that makes no
/// progress for `patience` ends the connection (the PBX is not reading).
async fn write_frames(
    mut write: OwnedWriteHalf,
    mut frames: mpsc::Receiver<Frame>,
    patience: Duration,
    state: Arc<ConnectorState>,
    peer: String,
) {
    let mut bytes = Vec::new();
    while let Some(frame) = frames.recv().await {
        bytes.clear();
        frame.encode(&mut bytes);
        while bytes.len() < WRITE_BATCH {
            match frames.try_recv() {
                Ok(frame) => frame.encode(&mut bytes),
                Err(_) => break,
            }
        }
        let failed = match tokio::time::timeout(patience, write.write_all(&bytes)).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(format!("write failed: {e}")),
            Err(_) => Some(format!("the PBX read nothing for {} s", patience.as_secs_f64())),
        };
        if let Some(failed) = failed {
            state.error(format!("{peer}: {failed}"));
            return;
        }
    }
    let _ = write.shutdown().await;
}
