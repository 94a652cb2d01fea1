//! The NEC SMDR exchange against a PBX played by the test with
//! `nec_smdr::pbx_side`, serving the records of `samples/nec`: blocks are
//! handed on and acknowledged only once the journal side says they are
//! durable (the test plays the journal stage by firing the `durable`
//! senders), an acknowledgement that is lost has the block sent again,
//! and garbage from the PBX is handed on to be quarantined while the
//! exchange goes on.

use cdr::{Parsed, ParserContext, RecordParser};
use connectors::config::ClientProtocol;
use connectors::nec_smdr::Settings;
use connectors::nec_smdr::pbx_side::{Pbx, Reply};
use connectors::nec_smdr::text::{Decoded, Decoder, Text};
use connectors::tcp_connect::{self, Backoff, Options};
use connectors::testing::TestFeed;
use connectors::{ConnectorState, Received, What};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Only a guard against hanging: nothing here is expected to take long.
const HANG_GUARD: Duration = Duration::from_secs(20);

fn samples() -> Vec<Vec<u8>> {
    ["KKrecord.smdr", "KLrecord.smdr", "KMrecord.smdr"]
        .iter()
        .map(|name| {
            let path = format!("{}/../../samples/nec/{name}", env!("CARGO_MANIFEST_DIR"));
            std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        })
        .collect()
}

/// What the PBX heard, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Heard {
    Link(usize),
    Text(Text),
}

/// How the played PBX misbehaves.
#[derive(Debug, Default)]
struct Script {
    /// Acknowledgements to ignore.
    lose_acks: usize,
    /// Acknowledgements on which to drop the link instead.
    drop_link_on_acks: usize,
    /// Bytes sent before the answer to the next request.
    garbage_before_answer: Vec<u8>,
}

struct PlayedPbx {
    pbx: Arc<Mutex<Pbx>>,
    heard: mpsc::UnboundedReceiver<Heard>,
    address: String,
}

async fn play_pbx(pbx: Pbx, script: Script) -> PlayedPbx {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let pbx = Arc::new(Mutex::new(pbx));
    let (tell, heard) = mpsc::unbounded_channel();
    tokio::spawn(serve_links(listener, pbx.clone(), script, tell));
    PlayedPbx { pbx, heard, address }
}

/// The PBX's side of each link, one link at a time as a PBX takes them.
async fn serve_links(
    listener: TcpListener,
    pbx: Arc<Mutex<Pbx>>,
    mut script: Script,
    heard: mpsc::UnboundedSender<Heard>,
) {
    let mut links = 0;
    while let Ok((mut stream, _)) = listener.accept().await {
        links += 1;
        let _ = heard.send(Heard::Link(links));
        pbx.lock().unwrap().link_lost();
        let mut decoder = Decoder::new(1024);
        let mut buffer = [0u8; 4096];
        'link: loop {
            let n = match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            decoder.push(&buffer[..n]);
            while let Some(decoded) = decoder.decode() {
                let Decoded::Text(text) = decoded else { panic!("the collector sent {decoded:?}") };
                let _ = heard.send(Heard::Text(text.clone()));
                if let Text::Ack { .. } = text {
                    if script.drop_link_on_acks > 0 {
                        script.drop_link_on_acks -= 1;
                        break 'link;
                    }
                    if script.lose_acks > 0 {
                        script.lose_acks -= 1;
                        continue;
                    }
                }
                let reply = pbx.lock().unwrap().handle(&text);
                let mut out = Vec::new();
                if let Text::Request { .. } = text {
                    out.append(&mut script.garbage_before_answer);
                }
                match reply {
                    Reply::Send(answer) => out.extend(answer.encode()),
                    Reply::Close => break 'link,
                    Reply::Nothing => {}
                }
                if !out.is_empty() && stream.write_all(&out).await.is_err() {
                    break 'link;
                }
            }
        }
    }
}

struct Collector {
    received: mpsc::Receiver<Received>,
    stop: watch::Sender<bool>,
    state: Arc<ConnectorState>,
    task: JoinHandle<()>,
}

fn start_collector(address: &str) -> Collector {
    let TestFeed { feed, received, stopping: stop, state } =
        TestFeed::lines("nec", "tcp-connect", 5, 16);
    let options = Options {
        backoff: Backoff {
            first: Duration::from_millis(20),
            max: Duration::from_millis(100),
            reset_after: Duration::from_secs(60),
        },
        nec: Settings {
            device: 0,
            poll: Duration::from_millis(50),
            status_every: Duration::from_secs(60),
            answer_timeout: Duration::from_secs(10),
        },
    };
    let connect = address.to_string();
    let task =
        tokio::spawn(tcp_connect::serve_with(connect, ClientProtocol::NecSmdr, feed, options));
    Collector { received, stop, state, task }
}

async fn next(received: &mut mpsc::Receiver<Received>) -> Received {
    let item = tokio::time::timeout(HANG_GUARD, received.recv()).await;
    let item = item.expect("nothing handed on").expect("the connector ended");
    assert_eq!(item.source, 5);
    item
}

/// The next handed-on records, with what tells they are durable.
async fn next_records(
    received: &mut mpsc::Receiver<Received>,
) -> (Vec<u8>, Option<tokio::sync::oneshot::Sender<()>>) {
    match next(received).await {
        Received { what: What::Records(records), durable, .. } => (records, durable),
        other => panic!("{other:?}"),
    }
}

/// What the PBX hears until `wanted`, `wanted` included.
async fn hear_until(heard: &mut mpsc::UnboundedReceiver<Heard>, wanted: &Heard) -> Vec<Heard> {
    let mut all = Vec::new();
    let listened = tokio::time::timeout(HANG_GUARD, async {
        while let Some(h) = heard.recv().await {
            all.push(h.clone());
            if h == *wanted {
                return;
            }
        }
    });
    listened.await.unwrap_or_else(|_| panic!("the PBX never heard {wanted:?}; it heard {all:?}"));
    all
}

fn ack(sequence: u8) -> Heard {
    Heard::Text(Text::Ack { device: 0, sequence })
}

fn lines(records: &[Vec<u8>]) -> Vec<u8> {
    records.concat()
}

async fn stop(collector: Collector) -> Vec<What> {
    let Collector { mut received, stop, task, .. } = collector;
    let _ = stop.send(true);
    tokio::time::timeout(HANG_GUARD, task).await.expect("the connector did not stop").unwrap();
    let mut rest = Vec::new();
    while let Some(item) = received.recv().await {
        rest.push(item.what);
    }
    rest
}

#[tokio::test]
async fn the_samples_are_handed_on_and_each_block_acknowledged_only_once_durable() {
    let samples = samples();
    let mut pbx = Pbx::new(0, 2);
    for sample in &samples {
        pbx.push(sample).unwrap();
    }
    let mut played = play_pbx(pbx, Script::default()).await;
    let mut collector = start_collector(&played.address);

    let opened = next(&mut collector.received).await;
    assert!(matches!(opened.what, What::Opened { .. }));
    let (records, durable) = next_records(&mut collector.received).await;
    assert_eq!(records, lines(&samples[..2]));
    let mut handed_on = records;
    let durable = durable.expect("a block is handed on durably");
    let heard = hear_until(&mut played.heard, &Heard::Text(Text::Request { device: 0 })).await;
    let monitor = Heard::Text(Text::StatusMonitor { device: 0 });
    assert_eq!(heard, [Heard::Link(1), monitor, Heard::Text(Text::Request { device: 0 })]);
    // Not durable yet: nothing is acknowledged, however long we wait.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(played.heard.try_recv().is_err(), "the collector spoke before the block was durable");
    assert_eq!(played.pbx.lock().unwrap().unacknowledged(), 3);
    durable.send(()).unwrap();
    assert_eq!(hear_until(&mut played.heard, &ack(0)).await, [ack(0)]);

    let (records, durable) = next_records(&mut collector.received).await;
    assert_eq!(records, lines(&samples[2..]));
    handed_on.extend(records);
    durable.unwrap().send(()).unwrap();
    hear_until(&mut played.heard, &ack(1)).await;
    // Then the collector polls an empty buffer.
    hear_until(&mut played.heard, &Heard::Text(Text::Request { device: 0 })).await;
    assert_eq!(played.pbx.lock().unwrap().unacknowledged(), 0);

    let state = collector.state.clone();
    let rest = stop(collector).await;
    let closed = What::Closed { partial: Vec::new(), reason: "server stopping".into() };
    assert_eq!(rest, [closed]);
    let release = Heard::Text(Text::Release { device: 0 });
    hear_until(&mut played.heard, &release).await;
    let snapshot = state.snapshot();
    assert_eq!((snapshot.records, snapshot.errors, snapshot.connections), (3, 0, 0));

    // What is handed on is what the NEC parser reads.
    let mut parser = format_nec::NecParser::new(ParserContext::default());
    let handed_on: Vec<&[u8]> =
        handed_on.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    assert_eq!(handed_on.len(), 3);
    for line in handed_on {
        assert!(matches!(parser.parse(line), Ok(Parsed::Cdr(_))), "{line:?}");
    }
}

#[tokio::test]
async fn a_lost_acknowledgement_has_the_same_block_sent_and_taken_again() {
    let samples = samples();
    let mut pbx = Pbx::new(0, 3);
    for sample in &samples {
        pbx.push(sample).unwrap();
    }
    let script = Script { lose_acks: 1, ..Script::default() };
    let mut played = play_pbx(pbx, script).await;
    let mut collector = start_collector(&played.address);

    assert!(matches!(next(&mut collector.received).await.what, What::Opened { .. }));
    for _ in 0..2 {
        let (records, durable) = next_records(&mut collector.received).await;
        // The same records again: stored once (dedup), never lost.
        assert_eq!(records, lines(&samples));
        durable.unwrap().send(()).unwrap();
        hear_until(&mut played.heard, &ack(0)).await;
    }
    hear_until(&mut played.heard, &Heard::Text(Text::Request { device: 0 })).await;
    assert_eq!(played.pbx.lock().unwrap().unacknowledged(), 0);
    stop(collector).await;
}

#[tokio::test]
async fn a_link_lost_before_the_acknowledgement_has_the_block_sent_again_on_the_next_link() {
    let samples = samples();
    let mut pbx = Pbx::new(0, 3);
    for sample in &samples {
        pbx.push(sample).unwrap();
    }
    let script = Script { drop_link_on_acks: 1, ..Script::default() };
    let mut played = play_pbx(pbx, script).await;
    let mut collector = start_collector(&played.address);

    let first = next(&mut collector.received).await.connection;
    let (records, durable) = next_records(&mut collector.received).await;
    assert_eq!(records, lines(&samples));
    durable.unwrap().send(()).unwrap();
    let closed = next(&mut collector.received).await;
    assert_eq!(closed.connection, first);
    assert!(matches!(closed.what, What::Closed { .. }), "{:?}", closed.what);

    let opened = next(&mut collector.received).await;
    assert!(matches!(opened.what, What::Opened { .. }));
    assert_ne!(opened.connection, first);
    let (records, durable) = next_records(&mut collector.received).await;
    assert_eq!(records, lines(&samples));
    durable.unwrap().send(()).unwrap();
    hear_until(&mut played.heard, &Heard::Link(2)).await;
    hear_until(&mut played.heard, &ack(0)).await;
    hear_until(&mut played.heard, &Heard::Text(Text::Request { device: 0 })).await;
    assert_eq!(played.pbx.lock().unwrap().unacknowledged(), 0);
    assert!(collector.state.snapshot().errors >= 1);
    stop(collector).await;
}

#[tokio::test]
async fn garbage_from_the_pbx_is_handed_on_to_be_quarantined_and_the_exchange_goes_on() {
    let samples = samples();
    let mut pbx = Pbx::new(0, 3);
    for sample in &samples {
        pbx.push(sample).unwrap();
    }
    let garbage = b"HELLO\r\n\x16X?junk".to_vec();
    let script = Script { garbage_before_answer: garbage, ..Script::default() };
    let mut played = play_pbx(pbx, script).await;
    let mut collector = start_collector(&played.address);

    assert!(matches!(next(&mut collector.received).await.what, What::Opened { .. }));
    let mut quarantined = Vec::new();
    let block = loop {
        match next_records(&mut collector.received).await {
            (records, None) => quarantined.extend(records),
            (records, Some(durable)) => {
                durable.send(()).unwrap();
                break records;
            }
        }
    };
    // Handed on as lines, however the reads cut them.
    quarantined.retain(|&b| b != b'\n');
    assert_eq!(quarantined, b"HELLO\r\x16X?junk");
    assert_eq!(block, lines(&samples));
    hear_until(&mut played.heard, &ack(0)).await;
    let snapshot = collector.state.snapshot();
    assert!(snapshot.errors >= 2, "{snapshot:?}");
    let error = snapshot.last_error.unwrap();
    let reported = ["not a kind of text after SYN", "bytes outside a text"];
    assert!(reported.iter().any(|r| error.contains(r)), "{error}");
    stop(collector).await;
}
