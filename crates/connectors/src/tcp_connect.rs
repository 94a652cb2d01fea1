//! The TCP client connector: the server connects out to the PBX (Mitel
//! SMDR, Panasonic, any PBX that streams lines to whoever connects, and
//! NEC's SMDR, which is polled: see [`crate::nec_smdr`]).
//!
//! Each TCP connection is one connection of the [`Feed`]: `Opened`, whole
//! records, `Closed` with the incomplete last record. When the link
//! cannot be made or breaks, every failure is reported on the connector's
//! state and the connector tries again after a delay that doubles from
//! [`Backoff::first`] up to [`Backoff::max`], each wait drawn between half
//! the delay and the whole of it so that collectors restarted together do
//! not knock on the PBX together. A connection that lasted
//! [`Backoff::reset_after`] starts the delays again from the first. The
//! host name is resolved again at every attempt (a PBX may move).
//!
//! A PBX that streams lines sends nothing while no call ends, so a link
//! that died without a FIN (the PBX rebooted, a firewall forgot the
//! connection) would look idle forever: TCP keepalive probes find it out
//! within a few minutes and the connector reconnects.
//!
//! When the server stops, the connector stops at once if it is waiting to
//! reconnect; on a live link it first takes what the PBX already sent
//! (lines), or finishes the exchange under way and releases the link (NEC).

use crate::config::ClientProtocol;
use crate::event::What;
use crate::feed::Feed;
use crate::framer::LineFramer;
use crate::nec_smdr;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

/// Bytes read from a socket at a time.
const READ_BUFFER: usize = 64 * 1024;
/// How long one attempt to connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle time before TCP starts probing a silent link, and between probes.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(60);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// When the server stops, a link is still read until it has been idle
/// this long (or for at most `DRAIN_LIMIT`), so that records already sent
/// are not lost in its socket buffer.
pub(crate) const DRAIN_IDLE: Duration = Duration::from_millis(200);
pub(crate) const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// How long to wait before connecting again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay after the first failure.
    pub first: Duration,
    /// The delay stops doubling here.
    pub max: Duration,
    /// A connection that lasted this long was a working one: the next
    /// failure waits `first` again.
    pub reset_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(60),
            reset_after: Duration::from_secs(60),
        }
    }
}

/// What a client connector can be tuned with; [`serve`] uses the defaults.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub backoff: Backoff,
    /// The NEC exchange (used with [`ClientProtocol::NecSmdr`]).
    pub nec: nec_smdr::Settings,
}

/// How one connection ended.
pub(crate) struct Ended {
    /// Why, as handed on in `Closed` and reported.
    pub(crate) reason: String,
    /// An incomplete last record, handed on in `Closed`.
    pub(crate) partial: Vec<u8>,
    /// The server is stopping: do not reconnect.
    pub(crate) stopped: bool,
}

impl Ended {
    pub(crate) fn stopping(partial: Vec<u8>) -> Ended {
        Ended { reason: "server stopping".to_string(), partial, stopped: true }
    }
}

/// Connects to `connect` (`host:port`) and keeps connecting until the
/// server stops; reads each connection with `protocol`.
pub async fn serve(connect: String, protocol: ClientProtocol, feed: Feed) {
    serve_with(connect, protocol, feed, Options::default()).await
}

/// [`serve`] with other delays or NEC settings.
pub async fn serve_with(connect: String, protocol: ClientProtocol, feed: Feed, options: Options) {
    let mut stop = feed.stop.clone();
    let mut delays = Delays::new(options.backoff);
    loop {
        if feed.stopping() {
            return;
        }
        // `connect` on a string resolves it each time it is called.
        let attempt = tokio::select! {
            attempt = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(connect.as_str())) => attempt,
            _ = stopped(&mut stop) => return,
        };
        let failure = match attempt {
            Ok(Ok(stream)) => {
                let began = Instant::now();
                let ended = connection(stream, &connect, protocol, &feed, &options).await;
                if ended.stopped {
                    return;
                }
                if began.elapsed() >= options.backoff.reset_after {
                    delays.reset();
                }
                format!("link to {connect} ended: {}", ended.reason)
            }
            Ok(Err(e)) => format!("cannot connect to {connect}: {e}"),
            Err(_) => format!(
                "cannot connect to {connect}: no answer within {}s",
                CONNECT_TIMEOUT.as_secs()
            ),
        };
        let wait = delays.next();
        feed.state.error(format!("{failure}; connecting again in {:.1}s", wait.as_secs_f64()));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stopped(&mut stop) => return,
        }
    }
}

/// Resolves once the server is stopping (or gone).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Serves one connection as one connection of the feed.
async fn connection(
    stream: TcpStream,
    connect: &str,
    protocol: ClientProtocol,
    feed: &Feed,
    options: &Options,
) -> Ended {
    let peer = stream.peer_addr().map_or_else(|_| connect.to_string(), |a| a.to_string());
    if let Err(e) = keep_alive(&stream) {
        feed.state.error(format!("{peer}: cannot turn TCP keepalive on: {e}"));
    }
    let id = feed.ids.next();
    feed.state.connected(&peer);
    if feed.send(id, What::Opened { peer: peer.clone() }).await.is_err() {
        feed.state.disconnected();
        return Ended::stopping(Vec::new());
    }
    let ended = match protocol {
        ClientProtocol::Lines => read_lines(stream, &peer, id, feed).await,
        ClientProtocol::NecSmdr => nec_smdr::session(stream, &peer, id, feed, &options.nec).await,
    };
    let closed = What::Closed { partial: ended.partial.clone(), reason: ended.reason.clone() };
    let _ = feed.send(id, closed).await;
    feed.state.disconnected();
    ended
}

fn keep_alive(stream: &TcpStream) -> std::io::Result<()> {
    let probes =
        socket2::TcpKeepalive::new().with_time(KEEPALIVE_IDLE).with_interval(KEEPALIVE_INTERVAL);
    socket2::SockRef::from(stream).set_tcp_keepalive(&probes)
}

/// Reads a line stream until the link ends or the server stops.
async fn read_lines(mut stream: TcpStream, peer: &str, id: u64, feed: &Feed) -> Ended {
    let state = &feed.state;
    let mut framer = LineFramer::new(feed.framing, feed.max_record);
    let mut buffer = vec![0u8; READ_BUFFER];
    let mut stop = feed.stop.clone();
    let mut drain_until = None;
    let (reason, stopping) = loop {
        let read = if let Some(deadline) = drain_until {
            // Draining: what the PBX already sent is taken; the link closes
            // once nothing more comes for a moment (or at the deadline, for
            // a PBX that never pauses).
            let idle = DRAIN_IDLE.min(deadline - Instant::now().min(deadline));
            match tokio::time::timeout(idle, stream.read(&mut buffer)).await {
                Ok(read) => read,
                Err(_) => break ("server stopping".to_string(), true),
            }
        } else {
            tokio::select! {
                read = stream.read(&mut buffer) => read,
                _ = stopped(&mut stop) => {
                    drain_until = Some(Instant::now() + DRAIN_LIMIT);
                    continue;
                }
            }
        };
        let n = match read {
            Ok(0) => break ("closed by the PBX".to_string(), drain_until.is_some()),
            Ok(n) => n,
            Err(e) => {
                state.error(format!("{peer}: {e}"));
                break (format!("read error: {e}"), drain_until.is_some());
            }
        };
        let records = framer.push(&buffer[..n]);
        if records.is_empty() {
            continue;
        }
        let count = records.iter().filter(|&&b| b == b'\n').count().max(1) as u64;
        state.received(count, records.len() as u64);
        if let Err(stopped) = feed.send(id, What::Records(records)).await {
            break (stopped.to_string(), true);
        }
    };
    Ended { reason, partial: framer.finish(), stopped: stopping }
}

/// The waits between attempts: doubling, capped, jittered.
#[derive(Debug)]
struct Delays {
    backoff: Backoff,
    next: Duration,
}

impl Delays {
    fn new(backoff: Backoff) -> Delays {
        Delays { backoff, next: backoff.first }
    }

    /// The wait before the next attempt: between half the current delay
    /// and all of it. The delay then doubles.
    fn next(&mut self) -> Duration {
        let delay = self.next;
        self.next = delay.saturating_mul(2).min(self.backoff.max.max(self.backoff.first));
        let millis = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        let half = millis / 2;
        Duration::from_millis(half + fastrand::u64(0..=millis - half))
    }

    fn reset(&mut self) {
        self.next = self.backoff.first;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_jitter_and_start_again_after_a_reset() {
        let backoff = Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(60),
            reset_after: Duration::from_secs(60),
        };
        let mut delays = Delays::new(backoff);
        let expected = [1, 2, 4, 8, 16, 32, 60, 60, 60];
        for _ in 0..50 {
            delays.reset();
            for &secs in &expected {
                let wait = delays.next();
                let full = Duration::from_secs(secs);
                assert!(wait >= full / 2 && wait <= full, "{wait:?} for a delay of {full:?}");
            }
        }
    }
}
