//! The TCP listener connector: PBXs connect in and stream records (Avaya
//! CM, 3CX in client mode, any line stream). Each connection is read on
//! its own task, cut into whole records (`framer`) and handed on through a
//! bounded queue: when the journal stage is behind, reads stop and TCP's
//! flow control slows the PBX down, instead of memory growing.

use crate::event::What;
use crate::feed::Feed;
use crate::framer::LineFramer;
use std::net::{IpAddr, SocketAddr};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// Bytes read from a socket at a time.
const READ_BUFFER: usize = 64 * 1024;
/// When the server stops, a connection is still read until it has been
/// idle this long, so that records already sent are not lost in its
/// socket buffer.
const DRAIN_IDLE: std::time::Duration = std::time::Duration::from_millis(200);
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What a listener needs besides its socket.
#[derive(Clone)]
pub struct Listening {
    pub feed: Feed,
    /// Only these peers are accepted, if any are named.
    pub peers: Vec<IpAddr>,
}

/// Binds the listening socket, with an error that names the address.
pub async fn bind(listen: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))
}

/// Accepts connections until the server stops; each is served on its own
/// task. Returns when every connection has closed.
pub async fn serve(listener: TcpListener, config: Listening) {
    let mut stop = config.feed.stop.clone();
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if !config.peers.is_empty() && !config.peers.contains(&peer.ip()) {
                        config.feed.state.error(format!("refused connection from {peer}: not a listed peer"));
                        continue;
                    }
                    connections.spawn(read_connection(stream, peer, config.feed.clone()));
                }
                Err(e) => config.feed.state.error(format!("accept failed: {e}")),
            },
            _ = stop.changed() => break,
        }
        // Reap finished connections as we go.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

/// Reads one connection until it closes or the server stops.
async fn read_connection(mut stream: TcpStream, peer: SocketAddr, feed: Feed) {
    let state = &feed.state;
    let connection = feed.ids.next();
    state.connected(&peer.to_string());
    if feed.send(connection, What::Opened { peer: peer.to_string() }).await.is_err() {
        state.disconnected();
        return;
    }
    let mut framer = LineFramer::new(feed.framing, feed.max_record);
    let mut buffer = vec![0u8; READ_BUFFER];
    let mut stop = feed.stop.clone();
    let mut drain_until = None;
    let reason = loop {
        let read = if let Some(deadline) = drain_until {
            // Draining: what the PBX already sent is taken; the connection
            // closes once nothing more comes for a moment (or at the
            // deadline, for a PBX that never pauses).
            let idle = DRAIN_IDLE.min(deadline - tokio::time::Instant::now().min(deadline));
            match tokio::time::timeout(idle, stream.read(&mut buffer)).await {
                Ok(read) => read,
                Err(_) => break "server stopping".to_string(),
            }
        } else {
            tokio::select! {
                read = stream.read(&mut buffer) => read,
                _ = stop.changed() => {
                    drain_until = Some(tokio::time::Instant::now() + DRAIN_LIMIT);
                    continue;
                }
            }
        };
        let n = match read {
            Ok(0) => break "closed by peer".to_string(),
            Ok(n) => n,
            Err(e) => {
                state.error(format!("{peer}: {e}"));
                break format!("read error: {e}");
            }
        };
        let records = framer.push(&buffer[..n]);
        if records.is_empty() {
            continue;
        }
        let count = records.iter().filter(|&&b| b == b'\n').count().max(1) as u64;
        state.received(count, records.len() as u64);
        if let Err(stopped) = feed.send(connection, What::Records(records)).await {
            break stopped.to_string();
        }
    };
    let partial = framer.finish();
    let _ = feed.send(connection, What::Closed { partial, reason }).await;
    state.disconnected();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Received;

    use crate::state::ConnectorState;
    use crate::testing::TestFeed;
    use std::sync::Arc;
    use tokio::io::AsyncWriteExt;
    use tokio::sync::{mpsc, watch};

    async fn start(
        peers: Vec<IpAddr>,
    ) -> (SocketAddr, mpsc::Receiver<Received>, watch::Sender<bool>, Arc<ConnectorState>) {
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let address = listener.local_addr().unwrap();
        let TestFeed { feed, received, stopping, state } =
            TestFeed::lines("pbx", "tcp-listen", 7, 16);
        let config = Listening { feed, peers };
        tokio::spawn(serve(listener, config));
        (address, received, stopping, state)
    }

    /// Everything received on one connection until it closed.
    async fn one_connection(received: &mut mpsc::Receiver<Received>) -> Vec<What> {
        let mut whats = Vec::new();
        while let Some(r) = received.recv().await {
            assert_eq!(r.source, 7);
            let closed = matches!(r.what, What::Closed { .. });
            whats.push(r.what);
            if closed {
                break;
            }
        }
        whats
    }

    #[tokio::test]
    async fn records_split_across_writes_arrive_whole_and_a_cut_record_is_kept() {
        let (address, mut received, _stopping, state) = start(Vec::new()).await;
        let mut pbx = TcpStream::connect(address).await.unwrap();
        for part in ["0301 0001 ", "first\r\n0301 00", "02 second\r\n0301 0003 thi"] {
            pbx.write_all(part.as_bytes()).await.unwrap();
            pbx.flush().await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        drop(pbx);
        let whats = one_connection(&mut received).await;
        assert!(matches!(&whats[0], What::Opened { .. }));
        let records: Vec<u8> = whats
            .iter()
            .filter_map(|w| if let What::Records(r) = w { Some(r.clone()) } else { None })
            .flatten()
            .collect();
        assert_eq!(records, b"0301 0001 first\r\n0301 0002 second\r\n");
        assert_eq!(
            whats.last().unwrap(),
            &What::Closed { partial: b"0301 0003 thi".to_vec(), reason: "closed by peer".into() }
        );
        assert_eq!(state.snapshot().records, 2);
    }

    #[tokio::test]
    async fn an_unlisted_peer_is_refused_and_counted() {
        let (address, mut received, _stopping, state) =
            start(vec!["10.9.9.9".parse().unwrap()]).await;
        let mut pbx = TcpStream::connect(address).await.unwrap();
        let _ = pbx.write_all(b"x\n").await;
        let mut buf = [0u8; 1];
        // The server closes the connection without reading it.
        let _ = pbx.read(&mut buf).await;
        assert!(received.try_recv().is_err());
        assert_eq!(state.snapshot().errors, 1);
    }

    #[tokio::test]
    async fn stopping_closes_open_connections_with_their_partial_record() {
        let (address, mut received, stopping, _state) = start(Vec::new()).await;
        let mut pbx = TcpStream::connect(address).await.unwrap();
        pbx.write_all(b"whole\nhal").await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        stopping.send(true).unwrap();
        let whats = one_connection(&mut received).await;
        assert_eq!(
            whats.last().unwrap(),
            &What::Closed { partial: b"hal".to_vec(), reason: "server stopping".into() }
        );
    }
}
