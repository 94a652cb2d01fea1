//! The TCP client connector streaming lines, against a PBX played by a
//! listener in the test: records cut across reads, a link cut in the
//! middle of a record, a PBX that is not there at first, and stopping
//! while the connector waits to reconnect.

use connectors::config::ClientProtocol;
use connectors::tcp_connect::{self, Backoff, Options};
use connectors::testing::TestFeed;
use connectors::{ConnectorState, Received, What};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Only a guard against hanging: nothing here is expected to take long.
const HANG_GUARD: Duration = Duration::from_secs(20);

struct Collector {
    received: mpsc::Receiver<Received>,
    stop: watch::Sender<bool>,
    state: Arc<ConnectorState>,
    task: JoinHandle<()>,
}

fn start(connect: String, backoff: Backoff) -> Collector {
    let TestFeed { feed, received, stopping: stop, state } =
        TestFeed::lines("pbx", "tcp-connect", 3, 16);
    let options = Options { backoff, ..Options::default() };
    let task = tokio::spawn(tcp_connect::serve_with(connect, ClientProtocol::Lines, feed, options));
    Collector { received, stop, state, task }
}

fn quick() -> Backoff {
    Backoff {
        first: Duration::from_millis(20),
        max: Duration::from_millis(100),
        reset_after: Duration::from_secs(60),
    }
}

/// An address nothing listens on (yet).
async fn free_address() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

async fn next(received: &mut mpsc::Receiver<Received>) -> Received {
    let item = tokio::time::timeout(HANG_GUARD, received.recv()).await;
    let item = item.expect("nothing handed on").expect("the connector ended");
    assert_eq!(item.source, 3);
    item
}

async fn accept(listener: &TcpListener) -> TcpStream {
    let accepted = tokio::time::timeout(HANG_GUARD, listener.accept()).await;
    accepted.expect("the connector did not connect").unwrap().0
}

/// What one connection handed on: its id, its records, how it closed.
async fn one_connection(received: &mut mpsc::Receiver<Received>) -> (u64, Vec<u8>, What) {
    let opened = next(received).await;
    assert!(matches!(opened.what, What::Opened { .. }), "{:?}", opened.what);
    let mut records = Vec::new();
    loop {
        let item = next(received).await;
        assert_eq!(item.connection, opened.connection);
        match item.what {
            What::Records(r) => records.extend(r),
            closed @ What::Closed { .. } => return (opened.connection, records, closed),
            other => panic!("{other:?}"),
        }
    }
}

async fn write_slowly(pbx: &mut TcpStream, parts: &[&str]) {
    for part in parts {
        pbx.write_all(part.as_bytes()).await.unwrap();
        pbx.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for_errors(state: &ConnectorState, errors: u64) {
    let waited = tokio::time::timeout(HANG_GUARD, async {
        while state.snapshot().errors < errors {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    waited.await.expect("no failure reported");
}

async fn stop_and_join(collector: Collector) -> mpsc::Receiver<Received> {
    // The connector may have ended already (and dropped its side).
    let _ = collector.stop.send(true);
    let joined = tokio::time::timeout(HANG_GUARD, collector.task).await;
    joined.expect("the connector did not stop").unwrap();
    collector.received
}

#[tokio::test]
async fn a_cut_link_hands_on_its_partial_record_and_the_connector_reconnects() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut collector = start(listener.local_addr().unwrap().to_string(), quick());

    let mut pbx = accept(&listener).await;
    write_slowly(&mut pbx, &["0301 0001 ", "first\r\n0301 00", "02 second\r\n0301 0003 thi"]).await;
    drop(pbx);
    let (first, records, closed) = one_connection(&mut collector.received).await;
    assert_eq!(records, b"0301 0001 first\r\n0301 0002 second\r\n");
    let partial = b"0301 0003 thi".to_vec();
    assert_eq!(closed, What::Closed { partial, reason: "closed by the PBX".into() });

    let mut pbx = accept(&listener).await;
    write_slowly(&mut pbx, &["0301 0004 fou", "rth\r\n"]).await;
    collector.stop.send(true).unwrap();
    let (second, records, closed) = one_connection(&mut collector.received).await;
    assert_ne!(first, second);
    assert_eq!(records, b"0301 0004 fourth\r\n");
    assert_eq!(closed, What::Closed { partial: Vec::new(), reason: "server stopping".into() });

    let state = collector.state.clone();
    let mut received = stop_and_join(collector).await;
    assert!(received.recv().await.is_none(), "no third connection");
    let snapshot = state.snapshot();
    assert_eq!((snapshot.records, snapshot.connections, snapshot.errors), (3, 0, 1));
    let error = snapshot.last_error.unwrap();
    assert!(error.contains("ended: closed by the PBX; connecting again in"), "{error}");
}

#[tokio::test]
async fn a_pbx_not_there_at_first_is_tried_again_until_it_is() {
    let address = free_address().await;
    // A host name, resolved at each attempt.
    let mut collector = start(format!("localhost:{}", address.port()), quick());
    wait_for_errors(&collector.state, 2).await;
    let error = collector.state.snapshot().last_error.unwrap();
    assert!(
        error.starts_with(&format!("cannot connect to localhost:{}", address.port())),
        "{error}"
    );

    let listener = TcpListener::bind(address).await.unwrap();
    let mut pbx = accept(&listener).await;
    pbx.write_all(b"0301 0001 first\r\n").await.unwrap();
    let opened = next(&mut collector.received).await;
    assert_eq!(opened.what, What::Opened { peer: address.to_string() });
    let mut records = Vec::new();
    while records.len() < 17 {
        match next(&mut collector.received).await.what {
            What::Records(r) => records.extend(r),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(records, b"0301 0001 first\r\n");
    assert_eq!(collector.state.snapshot().connections, 1);
    stop_and_join(collector).await;
}

#[tokio::test]
async fn stopping_while_waiting_to_reconnect_ends_at_once() {
    let address = free_address().await;
    let backoff = Backoff { first: Duration::from_secs(3600), ..Backoff::default() };
    let collector = start(address.to_string(), backoff);
    wait_for_errors(&collector.state, 1).await;
    let mut received = stop_and_join(collector).await;
    assert!(received.recv().await.is_none());
}

#[tokio::test]
async fn stopping_takes_what_the_pbx_already_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut collector = start(listener.local_addr().unwrap().to_string(), quick());
    let mut pbx = accept(&listener).await;
    pbx.write_all(b"whole\nhal").await.unwrap();
    assert!(matches!(next(&mut collector.received).await.what, What::Opened { .. }));
    assert_eq!(next(&mut collector.received).await.what, What::Records(b"whole\n".to_vec()));
    collector.stop.send(true).unwrap();
    let closed = next(&mut collector.received).await.what;
    assert_eq!(closed, What::Closed { partial: b"hal".to_vec(), reason: "server stopping".into() });
    let state = collector.state.clone();
    let mut received = stop_and_join(collector).await;
    assert!(received.recv().await.is_none());
    assert_eq!(state.snapshot().errors, 0);
}
