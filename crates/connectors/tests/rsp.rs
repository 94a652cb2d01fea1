//! The RSP connector against a PBX played by the test, frame by frame,
//! with the journal stage emulated: the test receives what the connector
//! hands on and says when each item is durable.

use connectors::rsp::wire::{Decoded, Decoder, Frame};
use connectors::rsp::{self, Timers};
use connectors::testing::TestFeed;
use connectors::{ConnectorState, Received, What};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// Only guards against a hang; nothing is timed with it.
const HANG: Duration = Duration::from_secs(10);

struct Adjunct {
    address: SocketAddr,
    journal: mpsc::Receiver<Received>,
    stopping: watch::Sender<bool>,
    state: Arc<ConnectorState>,
    server: JoinHandle<()>,
}

async fn start(timers: Timers) -> Adjunct {
    let listener = rsp::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let address = listener.local_addr().unwrap();
    let TestFeed { feed, received: journal, stopping, state } = TestFeed::lines("cm", "rsp", 3, 64);
    let server = tokio::spawn(rsp::serve_with(listener, feed, timers));
    Adjunct { address, journal, stopping, state, server }
}

impl Adjunct {
    /// The next item handed on.
    async fn item(&mut self) -> Received {
        let item = tokio::time::timeout(HANG, self.journal.recv()).await;
        let item = item.expect("nothing handed on").expect("the connector is gone");
        assert_eq!(item.source, 3);
        item
    }

    /// The next records handed on (skipping openings and closings), with
    /// what tells the connector they are durable.
    async fn records(&mut self) -> (Vec<u8>, oneshot::Sender<()>) {
        loop {
            let item = self.item().await;
            if let What::Records(records) = item.what {
                return (records, item.durable.expect("records handed on durably"));
            }
        }
    }

    /// Takes every item from now on as durable at once; returns what was
    /// handed on, once the connector has stopped.
    fn journal_everything(
        mut self,
    ) -> (JoinHandle<Vec<What>>, watch::Sender<bool>, Arc<ConnectorState>, SocketAddr) {
        let journal = tokio::spawn(async move {
            let mut whats = Vec::new();
            while let Some(item) = self.journal.recv().await {
                if let Some(durable) = item.durable {
                    let _ = durable.send(());
                }
                whats.push(item.what);
            }
            whats
        });
        drop(self.server);
        (journal, self.stopping, self.state, self.address)
    }
}

/// Every record handed on, in order.
fn all_records(whats: &[What]) -> Vec<u8> {
    whats
        .iter()
        .filter_map(|w| if let What::Records(r) = w { Some(r.as_slice()) } else { None })
        .flatten()
        .copied()
        .collect()
}

/// Waits until every connection has closed.
async fn all_closed(state: &ConnectorState) {
    let closed = async {
        while state.snapshot().connections > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(HANG, closed).await.expect("a connection stays open");
}

fn closing_reasons(whats: &[What]) -> Vec<String> {
    whats
        .iter()
        .filter_map(
            |w| if let What::Closed { reason, .. } = w { Some(reason.clone()) } else { None },
        )
        .collect()
}

/// The PBX end of a connection.
struct Pbx {
    stream: TcpStream,
    decoder: Decoder,
}

impl Pbx {
    async fn connect(address: SocketAddr) -> Pbx {
        Pbx { stream: TcpStream::connect(address).await.unwrap(), decoder: Decoder::new() }
    }

    /// Connects and opens session `session`; returns the link and the
    /// block the adjunct said was durable.
    async fn open(address: SocketAddr, session: u64) -> (Pbx, u64) {
        let mut pbx = Pbx::connect(address).await;
        pbx.send(&Frame::Connect { session, window: 8, name: "cm1".into() }).await;
        match pbx.next().await {
            Some(Frame::Accept { resume_after, window, .. }) => {
                assert_eq!(window, rsp::WINDOW);
                (pbx, resume_after)
            }
            other => panic!("expected accept, got {other:?}"),
        }
    }

    async fn send(&mut self, frame: &Frame) {
        self.stream.write_all(&frame.to_bytes()).await.unwrap();
    }

    async fn data(&mut self, seq: u64, records: &[u8]) {
        self.send(&Frame::Data { seq, records: records.to_vec() }).await;
    }

    /// The next frame from the adjunct; `None` once it has closed.
    async fn next(&mut self) -> Option<Frame> {
        tokio::time::timeout(HANG, self.next_unguarded()).await.expect("the adjunct said nothing")
    }

    async fn next_unguarded(&mut self) -> Option<Frame> {
        let mut buffer = [0u8; 4096];
        loop {
            match self.decoder.decode() {
                Some(Decoded::Frame(frame)) => return Some(frame),
                Some(other) => panic!("the adjunct sent {other:?}"),
                None => {}
            }
            match self.stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.decoder.push(&buffer[..n]),
            }
        }
    }

    /// Whether the adjunct sends anything within a moment. Only ever
    /// asserted false: a slow machine cannot make it fail wrongly.
    async fn says_something_soon(&mut self) -> bool {
        tokio::time::timeout(Duration::from_millis(150), self.next_unguarded()).await.is_ok()
    }

    /// The frames until the adjunct closes.
    async fn rest(&mut self) -> Vec<Frame> {
        let mut frames = Vec::new();
        while let Some(frame) = self.next().await {
            frames.push(frame);
        }
        frames
    }
}

fn acks(seqs: std::ops::RangeInclusive<u64>) -> Vec<Frame> {
    seqs.map(|seq| Frame::Ack { seq }).collect()
}

#[tokio::test]
async fn blocks_are_handed_on_and_each_acknowledged_in_order() {
    let (journal, stopping, state, address) = start(Timers::default()).await.journal_everything();
    let (mut pbx, resume_after) = Pbx::open(address, 1).await;
    assert_eq!(resume_after, 0);
    let blocks: [&[u8]; 3] = [b"r1\r\nr2\r\n", b"r3\r\n", b"r4\r\nr5\r\n"];
    for (seq, block) in (1..).zip(blocks) {
        pbx.data(seq, block).await;
    }
    for expected in acks(1..=3) {
        assert_eq!(pbx.next().await, Some(expected));
    }
    pbx.send(&Frame::Disconnect { reason: "done".into() }).await;
    assert_eq!(pbx.rest().await, []);
    all_closed(&state).await;
    drop(stopping);
    let whats = journal.await.unwrap();
    assert!(matches!(&whats[0], What::Opened { .. }));
    assert_eq!(all_records(&whats), blocks.concat());
    assert_eq!(
        whats.last().unwrap(),
        &What::Closed { partial: Vec::new(), reason: "closed by the PBX: done".into() }
    );
    let snapshot = state.snapshot();
    assert_eq!((snapshot.records, snapshot.errors), (5, 0));
}

#[tokio::test]
async fn no_block_is_acknowledged_before_it_is_durable() {
    let mut adjunct = start(Timers::default()).await;
    let (mut pbx, _) = Pbx::open(adjunct.address, 1).await;
    pbx.data(1, b"r1\r\n").await;
    let (records, durable) = adjunct.records().await;
    assert_eq!(records, b"r1\r\n");
    // The link is alive and answering, yet says nothing of block 1.
    pbx.send(&Frame::KeepAlive { probe: 5 }).await;
    assert_eq!(pbx.next().await, Some(Frame::KeepAliveReply { probe: 5 }));
    assert!(!pbx.says_something_soon().await, "acknowledged before durable");
    durable.send(()).unwrap();
    assert_eq!(pbx.next().await, Some(Frame::Ack { seq: 1 }));
}

#[tokio::test]
async fn blocks_are_handed_on_without_waiting_for_earlier_ones_to_be_durable() {
    let mut adjunct = start(Timers::default()).await;
    let (mut pbx, _) = Pbx::open(adjunct.address, 1).await;
    for seq in 1..=5 {
        pbx.data(seq, format!("r{seq}\r\n").as_bytes()).await;
    }
    // All five are handed on while none is durable: they can share a sync.
    let mut waiting = Vec::new();
    for seq in 1..=5 {
        let (records, durable) = adjunct.records().await;
        assert_eq!(records, format!("r{seq}\r\n").as_bytes());
        waiting.push(durable);
    }
    assert!(!pbx.says_something_soon().await);
    for durable in waiting {
        durable.send(()).unwrap();
    }
    for expected in acks(1..=5) {
        assert_eq!(pbx.next().await, Some(expected));
    }
}

#[tokio::test]
async fn a_record_continued_in_the_next_block_is_acknowledged_with_it() {
    let mut adjunct = start(Timers::default()).await;
    let (mut pbx, _) = Pbx::open(adjunct.address, 1).await;
    pbx.data(1, b"r1\r\nr").await;
    let (records, durable) = adjunct.records().await;
    assert_eq!(records, b"r1\r\n");
    // (The connector waits for what completes block 1 instead.)
    let _ = durable.send(());
    // Block 1 is not all on disk: its last record is not whole yet.
    assert!(!pbx.says_something_soon().await, "block 1 acknowledged with a record missing");
    pbx.data(2, b"2\r\nr3\r\n").await;
    let (records, durable) = adjunct.records().await;
    assert_eq!(records, b"r2\r\nr3\r\n");
    durable.send(()).unwrap();
    for expected in acks(1..=2) {
        assert_eq!(pbx.next().await, Some(expected));
    }
}

#[tokio::test]
async fn a_reconnect_resends_unacknowledged_blocks_and_none_is_handed_on_twice() {
    let mut adjunct = start(Timers::default()).await;
    let (mut first, resume_after) = Pbx::open(adjunct.address, 77).await;
    assert_eq!(resume_after, 0);
    for seq in 1..=3 {
        first.data(seq, format!("r{seq}\r\n").as_bytes()).await;
    }
    let mut durables = Vec::new();
    for _ in 1..=3 {
        durables.push(adjunct.records().await.1);
    }
    let third = durables.pop().unwrap();
    for durable in durables {
        durable.send(()).unwrap();
    }
    for expected in acks(1..=2) {
        assert_eq!(first.next().await, Some(expected));
    }
    // The link breaks with block 3 handed on, not yet durable.
    drop(first);
    let (mut second, resume_after) = Pbx::open(adjunct.address, 77).await;
    assert_eq!(resume_after, 2);
    second.data(3, b"r3\r\n").await;
    second.data(4, b"r4\r\n").await;
    // Only block 4 is new.
    let (records, fourth) = adjunct.records().await;
    assert_eq!(records, b"r4\r\n");
    assert!(!second.says_something_soon().await, "block 3 acknowledged before durable");
    third.send(()).unwrap();
    assert_eq!(second.next().await, Some(Frame::Ack { seq: 3 }));
    fourth.send(()).unwrap();
    assert_eq!(second.next().await, Some(Frame::Ack { seq: 4 }));
    // Another session of the same PBX (it restarted) starts afresh.
    let (_third_link, resume_after) = Pbx::open(adjunct.address, 78).await;
    assert_eq!(resume_after, 0);
}

#[tokio::test]
async fn keep_alives_are_answered_before_and_after_set_up() {
    let adjunct = start(Timers::default()).await;
    let mut pbx = Pbx::connect(adjunct.address).await;
    pbx.send(&Frame::KeepAlive { probe: 1 }).await;
    assert_eq!(pbx.next().await, Some(Frame::KeepAliveReply { probe: 1 }));
    pbx.send(&Frame::Connect { session: 9, window: 4, name: "cm".into() }).await;
    assert!(matches!(pbx.next().await, Some(Frame::Accept { .. })));
    pbx.send(&Frame::KeepAlive { probe: u64::MAX }).await;
    assert_eq!(pbx.next().await, Some(Frame::KeepAliveReply { probe: u64::MAX }));
}

#[tokio::test]
async fn a_silent_link_is_closed_and_told_why() {
    let timers = Timers { silent_after: Duration::from_millis(300) };
    let (journal, stopping, state, address) = start(timers).await.journal_everything();
    let (mut pbx, _) = Pbx::open(address, 1).await;
    match pbx.rest().await.as_slice() {
        [Frame::Disconnect { reason }] => assert!(reason.contains("nothing received"), "{reason}"),
        other => panic!("{other:?}"),
    }
    drop(stopping);
    let reasons = closing_reasons(&journal.await.unwrap());
    assert!(reasons[0].contains("nothing received for 0.3 s"), "{reasons:?}");
    assert_eq!(state.snapshot().errors, 1);
}

#[tokio::test]
async fn garbage_between_frames_is_handed_on_to_be_quarantined_and_the_session_goes_on() {
    let (journal, stopping, state, address) = start(Timers::default()).await.journal_everything();
    let (mut pbx, _) = Pbx::open(address, 1).await;
    pbx.data(1, b"r1\r\n").await;
    pbx.stream.write_all(b"\x00\xFFjunk\r\n\xA5").await.unwrap();
    pbx.data(2, b"r2\r\n").await;
    for expected in acks(1..=2) {
        assert_eq!(pbx.next().await, Some(expected));
    }
    drop(pbx);
    all_closed(&state).await;
    drop(stopping);
    let whats = journal.await.unwrap();
    // The garbage is handed on as it came, a `\n` ending its last piece.
    assert_eq!(all_records(&whats), b"r1\r\n\x00\xFFjunk\r\n\xA5\nr2\r\n");
    let snapshot = state.snapshot();
    assert_eq!(snapshot.errors, 1);
    assert!(snapshot.last_error.unwrap().contains("quarantined"));
}

#[tokio::test]
async fn a_corrupt_block_ends_the_session_and_is_resent_on_the_next() {
    let (journal, stopping, state, address) = start(Timers::default()).await.journal_everything();
    let (mut pbx, _) = Pbx::open(address, 5).await;
    pbx.data(1, b"r1\r\n").await;
    let mut corrupt = Frame::Data { seq: 2, records: b"r2\r\n".to_vec() }.to_bytes();
    corrupt[21] = b'9';
    pbx.stream.write_all(&corrupt).await.unwrap();
    match pbx.rest().await.as_slice() {
        [Frame::Ack { seq: 1 }, Frame::Disconnect { reason }] => {
            assert!(reason.contains("payload checksum mismatch"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let (mut pbx, resume_after) = Pbx::open(address, 5).await;
    assert_eq!(resume_after, 1);
    pbx.data(2, b"r2\r\n").await;
    assert_eq!(pbx.next().await, Some(Frame::Ack { seq: 2 }));
    drop(pbx);
    all_closed(&state).await;
    drop(stopping);
    assert_eq!(all_records(&journal.await.unwrap()), b"r1\r\nr2\r\n");
    assert_eq!(state.snapshot().errors, 1);
}

#[tokio::test]
async fn breaches_of_the_protocol_end_the_session_with_a_reason() {
    let (_journal, _stopping, _state, address) =
        start(Timers::default()).await.journal_everything();
    let cases: Vec<(Vec<Frame>, &str)> = vec![
        (vec![Frame::Data { seq: 1, records: b"r\r\n".to_vec() }], "data block 1 before connect"),
        (
            vec![
                Frame::Connect { session: 1, window: 1, name: "cm".into() },
                Frame::Data { seq: 1, records: b"r\r\n".to_vec() },
                Frame::Data { seq: 3, records: b"r\r\n".to_vec() },
            ],
            "block 3 after block 1",
        ),
        (
            vec![
                Frame::Connect { session: 2, window: 1, name: "cm".into() },
                Frame::Connect { session: 2, window: 1, name: "cm".into() },
            ],
            "a second connect",
        ),
        (vec![Frame::Ack { seq: 1 }], "ack frame from the PBX"),
    ];
    for (frames, why) in cases {
        let mut pbx = Pbx::connect(address).await;
        for frame in &frames {
            pbx.send(frame).await;
        }
        let last = pbx.rest().await.pop();
        match last {
            Some(Frame::Disconnect { reason }) => assert!(reason.contains(why), "{reason}"),
            other => panic!("{why}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_link_cut_in_the_middle_of_a_block_leaves_it_to_be_resent() {
    let (journal, stopping, state, address) = start(Timers::default()).await.journal_everything();
    let (mut pbx, _) = Pbx::open(address, 1).await;
    pbx.data(1, b"r1\r\n").await;
    assert_eq!(pbx.next().await, Some(Frame::Ack { seq: 1 }));
    let second = Frame::Data { seq: 2, records: b"r2\r\n".to_vec() }.to_bytes();
    pbx.stream.write_all(&second[..22]).await.unwrap();
    drop(pbx);
    all_closed(&state).await;
    drop(stopping);
    let whats = journal.await.unwrap();
    assert_eq!(all_records(&whats), b"r1\r\n");
    let reasons = closing_reasons(&whats);
    assert!(
        reasons[0].contains("in the middle of a data frame (2): 22 of 28 bytes"),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn stopping_acknowledges_what_is_durable_then_says_so() {
    let (journal, stopping, _state, address) = start(Timers::default()).await.journal_everything();
    let (mut pbx, _) = Pbx::open(address, 1).await;
    pbx.data(1, b"r1\r\n").await;
    assert_eq!(pbx.next().await, Some(Frame::Ack { seq: 1 }));
    stopping.send(true).unwrap();
    assert_eq!(pbx.rest().await, [Frame::Disconnect { reason: "server stopping".into() }]);
    let whats = tokio::time::timeout(HANG, journal).await.unwrap().unwrap();
    assert_eq!(closing_reasons(&whats), ["server stopping"]);
}
