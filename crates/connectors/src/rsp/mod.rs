//! Avaya's Reliable Session Protocol (RSP), adjunct side: Communication
//! Manager connects, opens a session, sends numbered blocks of CDR records
//! and gets each acknowledged once it is safe; after a broken link it
//! reconnects and resends what was not acknowledged.
//!
//! # What is public, and what this is
//!
//! Avaya does not publish the protocol. What is known from public sources:
//!
//! - RSP is a session-layer protocol Avaya designed for CDR over IP
//!   (introduced with call processing release 9.5): it labels data with
//!   sequence numbers so that none is lost, and keeps the link alive with
//!   a timer and a counter; the receiving application must speak it too.
//!   Its specification ships only inside Avaya's "Reliable Data Transport
//!   Tool" (RDTT) package, with a reference client and server. (Avaya's
//!   RSP presentation, as quoted on tek-tips.com, thread 419535.)
//! - Communication Manager is the client: on `change ip-services` a CDR
//!   link has local port 0 and the adjunct's address and port (5101 is
//!   recommended for CDR1); the "Session Layer Timers" page sets, per link,
//!   `Reliable Protocol` (y/n), `Packet Resp Timer` (default 30 s),
//!   `Session Connect Message Cntr` (3), `SPDU Cntr` (3) and `Connectivity
//!   Timer` (60 s). (Avaya installation guides; VMware Smart Assurance's
//!   CDR link instructions.) When a CDR link's setup fails, CM retries it
//!   every 30 s (the PRI-CDR maintenance object's documentation).
//! - A reverse-engineered description of RDTT's traffic
//!   (chema.solaresmaldonado.com, "The RDT protocol"; the `jsolares/AvayaRDT`
//!   sample server): the PBX opens with a 17-byte packet that the adjunct
//!   answers with an 11-byte one; data packets start with byte `0x80` and
//!   carry a one-byte counter in their fourth byte, which the adjunct
//!   returns, plus one, in a 5-byte packet; a one-byte `0x50` is answered
//!   with `0x51`. It gives no length field and treats each TCP read as one
//!   packet, so it is not enough to frame a stream.
//!
//! So this module implements the documented behaviour (session set-up,
//! sequence-numbered blocks, an acknowledgement per block, keep-alives,
//! resending unacknowledged blocks after a reconnect) over a framing of
//! its own, described below. **It is not wire-compatible with
//! Communication Manager and has not been tested against one**: it is
//! verified against its own PBX side (`bluewhale simulate --target
//! rsp://`), which uses the same codec ([`wire`]). Speaking to a real CM
//! means replacing [`wire`] with the framing of Avaya's specification;
//! the session logic is meant to stay.
//!
//! # Frames
//!
//! Every frame, either way, is a 20-byte header, a payload, and a 4-byte
//! trailer; integers are big-endian:
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 2 | magic `A5 D2` (high bits set: never CDR text) |
//! | 2 | 1 | version, 1 |
//! | 3 | 1 | kind |
//! | 4 | 4 | payload length *n*, at most 1 MiB |
//! | 8 | 8 | number: its meaning depends on the kind |
//! | 16 | 4 | CRC-32 (IEEE) of bytes 0‥16 |
//! | 20 | *n* | payload |
//! | 20+*n* | 4 | CRC-32 of the payload |
//!
//! The kinds, with their number and payload:
//!
//! | kind | code | from | number | payload |
//! |---|---|---|---|---|
//! | connect | `01` | PBX | session id | window (u16), PBX name (UTF-8, ≤ 64 bytes) |
//! | accept | `02` | adjunct | last block known durable (0: none) | window (u16), silence timeout in s (u16) |
//! | refuse | `03` | adjunct | 0 | reason (UTF-8) |
//! | data | `10` | PBX | block number, from 1 | records: lines ending in CR LF |
//! | ack | `11` | adjunct | block number | empty |
//! | keep-alive | `20` | either | probe | empty |
//! | keep-alive reply | `21` | either | the probe answered | empty |
//! | disconnect | `30` | either | 0 | reason (UTF-8, may be empty) |
//!
//! # The session
//!
//! - The PBX connects and sends `connect` with its name and session id.
//!   The session id stays the same across reconnects for as long as the
//!   PBX keeps its unacknowledged blocks (a PBX that restarts without them
//!   takes a new one); block numbers go on across reconnects of a session.
//! - The adjunct answers `accept`, saying which block it knows durable:
//!   the PBX forgets blocks up to it and resends the others, in order.
//! - The PBX sends `data` blocks, one number more each, with up to the
//!   smaller of both windows unacknowledged. A record may continue in the
//!   next block; the adjunct cuts the stream of blocks into whole records.
//! - The adjunct sends `ack` for each block, in order, once the block's
//!   records are in the raw journal and synced. An ack also acknowledges
//!   every block before it. Blocks are handed on as they come, so many of
//!   them share one journal sync.
//! - Keep-alives: either side may probe; the other answers at once. The
//!   PBX probes when the link has been idle (CM's `Connectivity Timer`)
//!   and drops the link after unanswered probes (`Packet Resp Timer`,
//!   `SPDU Cntr`). The adjunct closes a link on which nothing arrived for
//!   [`Timers::silent_after`] (told to the PBX in `accept`).
//! - `disconnect` ends the session cleanly; the adjunct sends it with the
//!   reason when it closes a link itself (stopping, silence, a breach of
//!   the protocol), after the acks that were due.
//!
//! # What the connector does with what it gets
//!
//! - A block already handed on (the PBX resends blocks whose acks were
//!   lost with the link) is acknowledged again once durable, and not
//!   handed on twice. The connector remembers sessions in memory only:
//!   after a restart the PBX resends its unacknowledged blocks and the
//!   pipeline's deduplication keeps one copy of each record.
//! - Bytes that are no frame (garbage, or a PBX sending raw lines to this
//!   port) are reported on the connector's state and handed on as records
//!   (ending in `\n`, added if missing) so that they are quarantined; the
//!   decoder resynchronises on the next sound header.
//! - A frame with a sound header but a corrupt payload, a frame of the
//!   wrong kind or out of turn, or a block that skips a number on one
//!   connection, ends the session (reported, and told to the PBX): the
//!   blocks concerned are unacknowledged, so the PBX resends them on its
//!   next connection. A corrupt block's bytes are not handed on: cut into
//!   lines downstream, a damaged line could be taken for a call.
//! - A link that breaks in the middle of a frame leaves that block
//!   unacknowledged (the PBX resends it); a record cut short at the end of
//!   the last block is handed on as the connection's partial record.
//! - A first block on a reconnect that skips numbers the session has not
//!   had (the PBX gave up on blocks) is reported; the session goes on.

mod resume;
mod session;
pub mod wire;

use crate::feed::Feed;
use resume::Sessions;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Unacknowledged blocks the adjunct takes, told to the PBX in `accept`.
pub use session::WINDOW;

/// The adjunct's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// A link on which nothing (not even a keep-alive) arrives for this
    /// long is closed. Three times CM's default `Connectivity Timer`.
    pub silent_after: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers { silent_after: Duration::from_secs(180) }
    }
}

/// Binds the listening socket, with an error that names the address.
pub async fn bind(listen: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))
}

/// Accepts connections until the server stops, each a session served on
/// its own task; returns when every connection has closed.
pub async fn serve(listener: TcpListener, feed: Feed) {
    serve_with(listener, feed, Timers::default()).await;
}

/// [`serve`] with other timers.
pub async fn serve_with(listener: TcpListener, feed: Feed, timers: Timers) {
    let sessions = Arc::new(Sessions::default());
    let mut stop = feed.stop.clone();
    let mut connections = tokio::task::JoinSet::new();
    while !feed.stopping() {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let serving = session::serve(stream, peer, feed.clone(), sessions.clone(), timers);
                    connections.spawn(serving);
                }
                Err(e) => feed.state.error(format!("accept failed: {e}")),
            },
            // A dropped sender is a server gone: stopping as well.
            _ = stop.changed() => break,
        }
        // Reap finished connections as we go.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}
