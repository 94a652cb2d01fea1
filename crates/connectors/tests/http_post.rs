//! The HTTP intake as the server drives it: POSTs as mod_json_cdr sends
//! them, the journal stage emulated by receiving what is handed on and
//! telling each durable item synced.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cdr::{Parsed, ParserContext, RecordParser};
use connectors::http_post::{HttpIntake, MAX_BODY, Reply};
use connectors::testing::TestFeed;
use connectors::{ConnectorState, Received, What};
use format_freeswitch::FreeswitchJsonParser;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const TOKEN: &str = "fs-token-1";
const ANSWERED: &str = include_str!("../../format-freeswitch/tests/fixtures/json/answered.json");
const ENCODED: &str =
    include_str!("../../format-freeswitch/tests/fixtures/json/unanswered_encoded.json");
/// A hang guard only: nothing here should take more than a moment.
const GUARD: Duration = Duration::from_secs(20);

struct Harness {
    intake: HttpIntake,
    received: mpsc::Receiver<Received>,
    stopping: watch::Sender<bool>,
    state: Arc<ConnectorState>,
}

fn harness() -> Harness {
    let TestFeed { mut feed, received, stopping, state } = TestFeed::lines("fs", "http", 3, 16);
    feed.max_record = 64 * 1024;
    let intake = HttpIntake::with_token(feed, TOKEN).unwrap();
    Harness { intake, received, stopping, state }
}

fn bearer() -> Option<String> {
    Some(format!("Bearer {TOKEN}"))
}

/// `cred` = `user:token`, as curl sends it.
fn basic(user: &str, password: &str) -> Option<String> {
    Some(format!("Basic {}", STANDARD.encode(format!("{user}:{password}"))))
}

/// What cJSON_PrintUnformatted writes: the document on one line.
fn unformatted(document: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(document).unwrap();
    serde_json::to_string(&value).unwrap()
}

/// What mod_json_cdr's `encode` = `true` posts: every byte outside
/// printable ASCII or in switch_url_encode's unsafe set as `%XX`.
fn switch_url_encode(text: &str) -> String {
    const UNSAFE: &[u8] = b"\r\n #%&+:;<=>?@[\\]^`{|}\"";
    let mut out = String::new();
    for &b in text.as_bytes() {
        if UNSAFE.contains(&b) || !(0x20..0x7f).contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

/// Plays the journal stage for one POST: takes its items, tells each
/// durable one synced, and returns them.
async fn journal_one(received: &mut mpsc::Receiver<Received>) -> Vec<Received> {
    let mut items = Vec::new();
    while let Some(mut item) = received.recv().await {
        if let Some(tell) = item.durable.take() {
            let _ = tell.send(());
        }
        let closed = matches!(item.what, What::Closed { .. });
        items.push(item);
        if closed {
            break;
        }
    }
    items
}

/// Posts while playing the journal stage; returns the reply and what was
/// handed on.
async fn post(
    h: &mut Harness,
    authorization: Option<String>,
    content_type: Option<&str>,
    body: &[u8],
) -> (Reply, Vec<Received>) {
    let intake = h.intake.clone();
    let (authorization, content_type, body) =
        (authorization, content_type.map(str::to_string), body.to_vec());
    let task = tokio::spawn(async move {
        intake
            .accept("192.0.2.7:40112", authorization.as_deref(), content_type.as_deref(), &body)
            .await
    });
    let items = tokio::time::timeout(GUARD, journal_one(&mut h.received)).await.unwrap();
    let reply = tokio::time::timeout(GUARD, task).await.unwrap().unwrap();
    (reply, items)
}

/// The one record of a POST's items, checking they are one connection:
/// opened with the peer, the record, closed.
fn record_of(items: &[Received]) -> Vec<u8> {
    assert_eq!(items.len(), 3, "{:?}", items.iter().map(|i| &i.what).collect::<Vec<_>>());
    assert!(items.iter().all(|i| i.source == 3 && i.connection == items[0].connection));
    assert_eq!(items[0].what, What::Opened { peer: "192.0.2.7:40112".into() });
    assert!(matches!(&items[2].what, What::Closed { partial, .. } if partial.is_empty()));
    match &items[1].what {
        What::Records(record) => record.clone(),
        other => panic!("expected the record, got {other:?}"),
    }
}

fn parse(line: &[u8]) -> Result<Parsed, cdr::ParseError> {
    FreeswitchJsonParser::new(ParserContext::default()).parse(line)
}

/// The record is one line, ending in its only `\n`, that the FreeSWITCH
/// parser reads as the same call as the fixture.
fn assert_same_call(record: &[u8], fixture: &str) {
    let line = record.strip_suffix(b"\n").expect("a record ends in \\n");
    assert!(!line.contains(&b'\n') && !line.contains(&b'\r'), "one line");
    let expected = format!("{:?}", parse(fixture.as_bytes()).unwrap());
    assert_eq!(format!("{:?}", parse(line).unwrap()), expected);
}

#[tokio::test]
async fn each_encoding_mod_json_cdr_posts_is_journaled_as_one_line_of_the_document() {
    let mut h = harness();
    for fixture in [ANSWERED, ENCODED] {
        let line = unformatted(fixture);
        let url_encoded = format!("cdr={}", switch_url_encode(&line));
        let base64 = format!("cdr={}", STANDARD.encode(&line));
        let posts: [(Option<&str>, &[u8], Option<String>); 4] = [
            (Some("application/json"), line.as_bytes(), bearer()),
            (Some("application/x-www-form-urlencoded"), url_encoded.as_bytes(), bearer()),
            (Some("application/x-www-form-base64-encoded"), base64.as_bytes(), bearer()),
            // The fixture as written: a document over many lines.
            (Some("application/json"), fixture.as_bytes(), basic("freeswitch", TOKEN)),
        ];
        for (content_type, body, authorization) in posts {
            let (reply, items) = post(&mut h, authorization, content_type, body).await;
            assert_eq!((reply.status, reply.text.as_str()), (200, "received"), "{content_type:?}");
            let record = record_of(&items);
            assert_same_call(&record, fixture);
            if content_type != Some("application/json") || body == line.as_bytes() {
                // Decoded exactly: what FreeSWITCH printed, plus its end.
                assert_eq!(record, format!("{line}\n").into_bytes(), "{content_type:?}");
            }
        }
    }
    let snapshot = h.state.snapshot();
    assert_eq!((snapshot.records, snapshot.errors, snapshot.connections), (8, 0, 0));
    assert_eq!(snapshot.last_peer.as_deref(), Some("192.0.2.7:40112"));
}

#[tokio::test]
async fn a_multi_line_document_is_flattened_without_changing_its_strings() {
    let mut h = harness();
    let body = "{\r\n  \"variables\": {\"uuid\": \"a\\nb\",\r\n \"x\": \"c d\"}\n}\n";
    let (reply, items) = post(&mut h, bearer(), Some("application/json"), body.as_bytes()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        String::from_utf8(record_of(&items)).unwrap(),
        "{    \"variables\": {\"uuid\": \"a\\nb\",   \"x\": \"c d\"} }\n"
    );
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_refused_counted_and_not_journaled() {
    let mut h = harness();
    let wrong = [
        None,
        Some(format!("Bearer {TOKEN}x")),
        Some("Bearer ".to_string()),
        basic(TOKEN, "nope"),
        Some(format!("Token {TOKEN}")),
    ];
    for (i, authorization) in wrong.into_iter().enumerate() {
        let reply = h
            .intake
            .accept("192.0.2.9:1", authorization.as_deref(), None, ANSWERED.as_bytes())
            .await;
        assert_eq!((reply.status, reply.challenge.is_some()), (401, true), "{authorization:?}");
        assert_eq!(h.state.snapshot().errors, i as u64 + 1);
    }
    assert!(h.received.try_recv().is_err(), "nothing handed on");
    let last_error = h.state.snapshot().last_error.unwrap();
    assert!(
        last_error.contains("192.0.2.9:1") && last_error.contains("credentials"),
        "{last_error}"
    );
}

#[tokio::test]
async fn the_reply_waits_until_the_record_is_durable() {
    let mut h = harness();
    let intake = h.intake.clone();
    let task = tokio::spawn(async move {
        intake.accept("192.0.2.7:1", bearer().as_deref(), None, ANSWERED.as_bytes()).await
    });
    let mut waiting = Vec::new();
    loop {
        let item = tokio::time::timeout(GUARD, h.received.recv()).await.unwrap().unwrap();
        let closed = matches!(item.what, What::Closed { .. });
        waiting.push(item);
        if closed {
            break;
        }
    }
    // Everything is handed on, nothing synced: no answer yet. (The POST
    // cannot have been answered: it waits for the oneshot below.)
    tokio::task::yield_now().await;
    assert!(!task.is_finished());
    let tell = waiting.last_mut().unwrap().durable.take().expect("the close is sent durable");
    tell.send(()).unwrap();
    let reply = tokio::time::timeout(GUARD, task).await.unwrap().unwrap();
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn a_journal_that_cannot_sync_gets_the_post_sent_again() {
    let mut h = harness();
    let intake = h.intake.clone();
    let task = tokio::spawn(async move {
        intake.accept("192.0.2.7:1", bearer().as_deref(), None, ANSWERED.as_bytes()).await
    });
    // The journal stage takes the items and fails before syncing: the
    // senders of their oneshots are dropped.
    for _ in 0..3 {
        drop(tokio::time::timeout(GUARD, h.received.recv()).await.unwrap().unwrap());
    }
    let reply = tokio::time::timeout(GUARD, task).await.unwrap().unwrap();
    assert_eq!(reply.status, 503);
}

#[tokio::test]
async fn when_the_server_stops_posts_get_503_and_the_queue_is_let_go() {
    let mut h = harness();
    let releasing = tokio::spawn({
        let intake = h.intake.clone();
        async move { intake.release_on_stop().await }
    });
    h.stopping.send(true).unwrap();
    tokio::time::timeout(GUARD, releasing).await.unwrap().unwrap();
    let reply = h.intake.accept("192.0.2.7:1", bearer().as_deref(), None, b"{}").await;
    assert_eq!(reply.status, 503);
    // The intake no longer holds a sender: the journal stage can end.
    let ended = tokio::time::timeout(GUARD, h.received.recv()).await.unwrap();
    assert!(ended.is_none());
}

#[tokio::test]
async fn a_stopping_server_refuses_posts_even_before_releasing() {
    let mut h = harness();
    h.stopping.send(true).unwrap();
    let reply = h.intake.accept("192.0.2.7:1", bearer().as_deref(), None, b"{}").await;
    assert_eq!(reply.status, 503);
    assert!(h.received.try_recv().is_err(), "nothing handed on");
}

#[tokio::test]
async fn a_body_that_is_not_a_document_is_kept_for_quarantine_and_answered_400() {
    let mut h = harness();
    let cases: [(Option<&str>, &[u8], &[u8]); 3] = [
        (None, b"hello\r\nworld\n", b"hello  world\n"),
        (Some("application/x-www-form-urlencoded"), b"cdr=%7B%22a%22", b"{\"a\"\n"),
        (Some("application/json"), b"{\"a\": \"\xff\"}", b"{\"a\": \"\xff\"}\n"),
    ];
    for (i, (content_type, body, record)) in cases.into_iter().enumerate() {
        let (reply, items) = post(&mut h, bearer(), content_type, body).await;
        assert_eq!(reply.status, 400, "{body:?}");
        assert!(reply.text.ends_with("kept in quarantine"), "{}", reply.text);
        assert_eq!(record_of(&items), record);
        let What::Closed { reason, .. } = &items[2].what else { unreachable!() };
        assert!(reason.starts_with("request rejected: "), "{reason}");
        // The parser refuses it too, so it is quarantined with its bytes.
        assert!(parse(record.trim_ascii_end()).is_err());
        assert_eq!(h.state.snapshot().errors, i as u64 + 1);
    }
}

#[tokio::test]
async fn an_empty_body_is_400_and_leaves_only_its_opening_and_closing() {
    let mut h = harness();
    let (reply, items) = post(&mut h, bearer(), Some("application/json"), b"").await;
    assert_eq!((reply.status, reply.text.as_str()), (400, "empty body"));
    let whats: Vec<_> = items.into_iter().map(|i| i.what).collect();
    assert_eq!(
        whats,
        [
            What::Opened { peer: "192.0.2.7:40112".into() },
            What::Closed { partial: Vec::new(), reason: "request rejected: empty body".into() },
        ]
    );
    assert_eq!(h.state.snapshot().errors, 1);
}

#[tokio::test]
async fn an_oversized_body_is_413_counted_and_not_journaled() {
    let h = harness();
    let body = vec![b' '; MAX_BODY + 1];
    let reply = h.intake.accept("192.0.2.7:1", bearer().as_deref(), None, &body).await;
    assert_eq!(reply.status, 413);
    assert!(reply.text.contains(&MAX_BODY.to_string()), "{}", reply.text);
    assert_eq!(h.state.snapshot().errors, 1);
    let mut received = h.received;
    assert!(received.try_recv().is_err(), "nothing handed on");
}

#[test]
fn the_token_must_be_set_and_usable() {
    let TestFeed { feed, received: _received, stopping: _stopping, .. } =
        TestFeed::lines("fs", "http", 0, 1);
    let unset = HttpIntake::new(feed.clone(), "BLUEWHALE_TEST_TOKEN_NEVER_SET").unwrap_err();
    assert_eq!(
        unset,
        "environment variable BLUEWHALE_TEST_TOKEN_NEVER_SET (the http connector's token_env) is \
         not set"
    );
    for (token, error) in
        [("", "the token is empty"), ("tok\n", "the token starts or ends with whitespace")]
    {
        assert_eq!(HttpIntake::with_token(feed.clone(), token).unwrap_err(), error);
    }
    assert!(HttpIntake::with_token(feed.clone(), "t").is_ok());
    // The token is never shown.
    let shown = format!("{:?}", HttpIntake::with_token(feed, "visible?").unwrap());
    assert!(!shown.contains("visible?"), "{shown}");
}
