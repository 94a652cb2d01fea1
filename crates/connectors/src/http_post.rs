//! The HTTP intake: FreeSWITCH's `mod_json_cdr` POSTs one call leg's
//! document per request to a path of the server's HTTP port. This module
//! knows nothing of the HTTP framework: the server hands each request's
//! peer, `Authorization` and `Content-Type` headers and body to
//! [`HttpIntake::accept`] and sends back the [`Reply`].
//!
//! What is accepted follows mod_json_cdr's documented parameters and its
//! source (there is no other specification):
//! - `encode` = `true` posts `cdr=<document>` with the document
//!   percent-encoded (`switch_url_encode`), as
//!   `application/x-www-form-urlencoded`; `encode` = `base64` posts
//!   `cdr=<document in base64>` as `application/x-www-form-base64-encoded`;
//!   `encode` = `false` posts the document itself as `application/json`.
//!   The document is printed unformatted (one line). The body's shape
//!   decides, so a document sent by hand with the wrong content type is
//!   still read: a body starting with `{` is the document, anything else a
//!   form whose `cdr` field holds it (in base64 when the content type says
//!   so).
//! - `cred` = `user:pass` is sent as HTTP Basic authentication (with the
//!   default `auth-scheme` = `basic`, on the first request). Basic is
//!   accepted when its password is the token, whoever the user; so is
//!   `Authorization: Bearer <token>`. With `auth-scheme` = `any` curl first
//!   asks without credentials and answers the 401's challenge: that works
//!   too, but counts an error per call, so `basic` is the setting to use.
//! - Any 2xx is success; otherwise FreeSWITCH tries again `retries` times
//!   `delay` seconds apart, then, with `log-errors-to-disk` (the default),
//!   writes the document to its error directory. So a POST is answered 200
//!   only once its record is synced to the journal, and 503 when the
//!   server is stopping: FreeSWITCH keeps the record and sends it again
//!   (the store deduplicates a record sent twice).
//!
//! The journal holds one record per POST, one line ending in `\n`, since
//! the processing stage cuts entries into records at `\n`: the document
//! itself (the FreeSWITCH parser reads a document, not the `cdr=` form),
//! with any raw CR or LF turned into a space (in valid JSON they can only
//! be whitespace between tokens, so the document means the same). A body
//! that is not a JSON object is journaled all the same, as one line, so
//! that it is quarantined with its bytes, and answered 400; an empty body
//! is answered 400 and leaves only its opening and closing in the journal.
//! A POST without valid credentials is answered 401, counted as an error
//! and not journaled; a body over [`MAX_BODY`] is answered 413, counted,
//! and not journaled (FreeSWITCH keeps it in its error directory).
//!
//! Form decoding follows the HTML form rules (`+` is a space): FreeSWITCH
//! always writes a `+` as `%2B`, so nothing it sends is changed by that.
//! Bytes of the form that are not UTF-8 are replaced by U+FFFD, as a
//! JSON document must be UTF-8.

use crate::event::What;
use crate::feed::Feed;
use crate::state::ConnectorState;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// The largest body accepted. A mod_json_cdr document is a few to a few
/// tens of KiB, even with a long app log and call flow; the server's HTTP
/// layer must let bodies this large through.
pub const MAX_BODY: usize = 1 << 20;

/// What to answer a POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// A short plain-text body saying what happened.
    pub text: String,
    /// The `WWW-Authenticate` header to send, with a 401.
    pub challenge: Option<&'static str>,
}

impl Reply {
    fn new(status: u16, text: impl Into<String>) -> Reply {
        Reply { status, text: text.into(), challenge: None }
    }
}

/// Receives the POSTs of one `[[pbx]]` with the `http` connector. Cheap to
/// clone; every clone hands on to the same feed.
#[derive(Clone)]
pub struct HttpIntake {
    inner: Arc<Inner>,
}

struct Inner {
    /// Taken out once the server stops: the journal stage ends only when
    /// every sender to it is gone, and the HTTP side may outlive the stop
    /// while a connection lingers.
    feed: Mutex<Option<Feed>>,
    state: Arc<ConnectorState>,
    stop: watch::Receiver<bool>,
    token: Vec<u8>,
}

impl std::fmt::Debug for HttpIntake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpIntake")
            .field("pbx", &self.inner.state.pbx)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl HttpIntake {
    /// An intake whose token is read from the environment variable
    /// `token_env`; an error if it is unset, empty or not usable.
    pub fn new(feed: Feed, token_env: &str) -> Result<HttpIntake, String> {
        let token = std::env::var(token_env).map_err(|e| match e {
            std::env::VarError::NotPresent => {
                format!(
                    "environment variable {token_env} (the http connector's token_env) is not set"
                )
            }
            std::env::VarError::NotUnicode(_) => {
                format!(
                    "environment variable {token_env} (the http connector's token_env) is not UTF-8"
                )
            }
        })?;
        HttpIntake::with_token(feed, &token)
            .map_err(|e| format!("environment variable {token_env}: {e}"))
    }

    /// An intake with the token given.
    pub fn with_token(feed: Feed, token: &str) -> Result<HttpIntake, String> {
        if token.is_empty() {
            return Err("the token is empty".to_string());
        }
        if token.trim() != token {
            // A stray newline from a secrets file would otherwise make
            // every request fail authentication, with no clue why.
            return Err("the token starts or ends with whitespace".to_string());
        }
        let state = feed.state.clone();
        let stop = feed.stop.clone();
        let inner = Inner { feed: Mutex::new(Some(feed)), state, stop, token: token.into() };
        Ok(HttpIntake { inner: Arc::new(inner) })
    }

    /// Takes one POST: checks its credentials, journals its record and
    /// answers once the record is durable. `peer` is the client's address.
    pub async fn accept(
        &self,
        peer: &str,
        authorization: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Reply {
        let state = &self.inner.state;
        if !credentials::allowed(authorization, &self.inner.token) {
            state.error(format!("{peer}: refused a POST without valid credentials"));
            return Reply {
                challenge: Some(credentials::CHALLENGE),
                ..Reply::new(401, "missing or wrong credentials")
            };
        }
        let Some(feed) = self.feed() else {
            return Reply::new(503, "server stopping: not received, send again later");
        };
        if body.len() > MAX_BODY {
            let message = format!("body of {} bytes is over the limit of {MAX_BODY}", body.len());
            state.error(format!("{peer}: refused a POST: {message}"));
            return Reply::new(413, message);
        }
        let decoded = body::decode(content_type, body);
        if let Some(problem) = &decoded.problem {
            state.error(format!("{peer}: {problem}"));
        }
        let kept = !decoded.record.is_empty();
        if journal(&feed, peer, decoded.record, decoded.problem.as_deref()).await.is_err() {
            return Reply::new(503, "server stopping: not received, send again later");
        }
        match decoded.problem {
            None => Reply::new(200, "received"),
            Some(problem) if kept => Reply::new(400, format!("{problem}; kept in quarantine")),
            Some(problem) => Reply::new(400, problem),
        }
    }

    /// Lets go of the feed once the server stops, so that the journal
    /// stage can finish even while an HTTP connection stays open. Spawn it
    /// next to the route; later POSTs are answered 503.
    pub async fn release_on_stop(&self) {
        let mut stop = self.inner.stop.clone();
        // An error means the stop signal itself is gone: stopped too.
        let _ = stop.wait_for(|stopping| *stopping).await;
        if let Ok(mut feed) = self.inner.feed.lock() {
            *feed = None;
        }
    }

    /// The feed, unless the server is stopping.
    fn feed(&self) -> Option<Feed> {
        let mut slot = self.inner.feed.lock().ok()?;
        if slot.as_ref().is_some_and(Feed::stopping) {
            *slot = None;
        }
        slot.clone()
    }
}

/// Hands on one POST as its own connection, and waits until it is
/// durable.
///
/// Each POST is a connection of its own (opened with its peer, its record,
/// closed) rather than all POSTs sharing one long-lived connection: every
/// journaled record then carries the address of the FreeSWITCH that sent
/// it (several may post to one path), concurrent POSTs never share a
/// connection, no connection is left open across a stop or crash, and an
/// empty or rejected POST leaves its reason in the journal. The two extra
/// entries per call cost little, as the journal stage syncs in groups.
async fn journal(
    feed: &Feed,
    peer: &str,
    record: Vec<u8>,
    problem: Option<&str>,
) -> Result<(), crate::Stopped> {
    let state = &feed.state;
    let connection = feed.ids.next();
    state.connected(peer);
    let sent = async {
        feed.send(connection, What::Opened { peer: peer.to_string() }).await?;
        if !record.is_empty() {
            let bytes = record.len() as u64;
            feed.send(connection, What::Records(record)).await?;
            state.received(1, bytes);
        }
        let reason = match problem {
            None => "request complete".to_string(),
            Some(problem) => format!("request rejected: {problem}"),
        };
        // Items of a feed are journaled in order: once the close is
        // durable, so is the record.
        let closed = What::Closed { partial: Vec::new(), reason };
        feed.send_durable(connection, closed).await?.wait().await
    };
    let result = sent.await;
    state.disconnected();
    result
}

/// Who may post: the bearer token, or Basic credentials whose password is
/// the token.
mod credentials {
    use base64::Engine;
    use subtle::ConstantTimeEq;

    /// The challenge sent with a 401, for clients that wait for one before
    /// sending credentials (curl with `auth-scheme` = `any`).
    pub(super) const CHALLENGE: &str = "Basic realm=\"bluewhale\", charset=\"UTF-8\"";

    pub(super) fn allowed(authorization: Option<&str>, token: &[u8]) -> bool {
        let Some(value) = authorization else { return false };
        let value = value.trim();
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        let rest = rest.trim();
        let presented = if scheme.eq_ignore_ascii_case("bearer") {
            rest.as_bytes().to_vec()
        } else if scheme.eq_ignore_ascii_case("basic") {
            match super::body::BASE64.decode(rest) {
                Ok(pair) => match pair.iter().position(|&b| b == b':') {
                    Some(colon) => pair[colon + 1..].to_vec(),
                    None => return false,
                },
                Err(_) => return false,
            }
        } else {
            return false;
        };
        // Constant time, so the comparison does not tell how much of a
        // guess was right.
        bool::from(presented.ct_eq(token))
    }
}

/// A POST's body as the record to journal.
mod body {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::{Engine, alphabet};
    use std::borrow::Cow;

    /// Standard base64, with or without padding.
    pub(super) const BASE64: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );

    /// What a body becomes in the journal.
    pub(super) struct Decoded {
        /// One line ending in `\n`; empty when there is nothing to keep.
        pub record: Vec<u8>,
        /// Why the body is not a mod_json_cdr document, if it is not.
        pub problem: Option<String>,
    }

    pub(super) fn decode(content_type: Option<&str>, body: &[u8]) -> Decoded {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Decoded { record: Vec::new(), problem: Some("empty body".to_string()) };
        }
        let document = if body.trim_ascii_start().starts_with(b"{") {
            Ok(Cow::Borrowed(body))
        } else {
            form_document(body, is_base64(content_type))
        };
        match document {
            Ok(document) => {
                let problem = check(&document).err();
                Decoded { record: one_line(&document), problem }
            }
            // Undecodable: the body as received is what is kept.
            Err(problem) => Decoded { record: one_line(body), problem: Some(problem) },
        }
    }

    /// Whether the content type is mod_json_cdr's `encode` = `base64`.
    fn is_base64(content_type: Option<&str>) -> bool {
        content_type
            .and_then(|t| t.split(';').next())
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-base64-encoded"))
    }

    /// The document in a form's `cdr` field.
    fn form_document(body: &[u8], base64: bool) -> Result<Cow<'static, [u8]>, String> {
        let value = form_urlencoded::parse(body)
            .find(|(name, _)| name == "cdr")
            .map(|(_, value)| value)
            .ok_or("neither a JSON document nor a form with a cdr field")?;
        if !base64 {
            return Ok(Cow::Owned(value.into_owned().into_bytes()));
        }
        // Form decoding made any `+` of the base64 text a space; base64
        // has no spaces, so each one was a `+`.
        let text: String = value.trim().chars().map(|c| if c == ' ' { '+' } else { c }).collect();
        BASE64
            .decode(text.as_bytes())
            .map(Cow::Owned)
            .map_err(|e| format!("the cdr field is not base64: {e}"))
    }

    /// Whether the document is a JSON object; the error says where not.
    fn check(document: &[u8]) -> Result<(), String> {
        type Object = std::collections::BTreeMap<String, serde::de::IgnoredAny>;
        // Checked first: skipping a value does not check its text.
        let document = std::str::from_utf8(document).map_err(|e| format!("not UTF-8: {e}"))?;
        serde_json::from_str::<Object>(document)
            .map(|_| ())
            .map_err(|e| format!("not a JSON object: {e}"))
    }

    /// The document as one line: raw CR and LF become spaces (in valid
    /// JSON they are whitespace between tokens), ends trimmed, `\n` added.
    fn one_line(document: &[u8]) -> Vec<u8> {
        let mut line: Vec<u8> = document
            .trim_ascii()
            .iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
            .collect();
        line.push(b'\n');
        line
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn bodies_become_one_line_records() {
            let doc = r#"{"variables":{"uuid":"a b+c"}}"#;
            let cases: &[(Option<&str>, &str, &str, Option<&str>)] = &[
                (Some("application/json"), doc, doc, None),
                (None, "\r\n{\"a\":\r\n 1}\n", "{\"a\":   1}", None),
                (
                    Some("application/x-www-form-urlencoded"),
                    "cdr=%7B%22variables%22%3A%7B%22uuid%22%3A%22a%20b%2Bc%22%7D%7D",
                    doc,
                    None,
                ),
                // HTML form encoding: a `+` is a space.
                (None, "cdr=%7B%22v%22:%22a+b%22%7D", r#"{"v":"a b"}"#, None),
                // A document sent with the wrong content type is read.
                (Some("application/x-www-form-urlencoded"), doc, doc, None),
                (
                    Some("application/x-www-form-base64-encoded; charset=utf-8"),
                    "cdr=eyJ2IjoiPz4+In0=",
                    r#"{"v":"?>>"}"#,
                    None,
                ),
                (
                    Some("application/x-www-form-base64-encoded"),
                    "cdr=eyJ2IjoiPz4+In0",
                    r#"{"v":"?>>"}"#,
                    None,
                ),
                (
                    Some("application/x-www-form-base64-encoded"),
                    "cdr=eyJ2IjoiPz4 In0=",
                    r#"{"v":"?>>"}"#,
                    None,
                ),
                (
                    None,
                    "uuid=1&x=2",
                    "uuid=1&x=2",
                    Some("neither a JSON document nor a form with a cdr field"),
                ),
                (
                    Some("application/x-www-form-base64-encoded"),
                    "cdr=!!",
                    "cdr=!!",
                    Some("the cdr field is not base64: Invalid symbol 33, offset 0."),
                ),
                (
                    None,
                    "{\"a\":\n",
                    "{\"a\":",
                    Some("not a JSON object: EOF while parsing a value at line 2 column 0"),
                ),
                (
                    None,
                    "cdr=%5B1%5D",
                    "[1]",
                    Some(
                        "not a JSON object: invalid type: sequence, expected a map at line 1 column 0",
                    ),
                ),
            ];
            for &(content_type, body, record, problem) in cases {
                let decoded = decode(content_type, body.as_bytes());
                let expected = format!("{record}\n");
                assert_eq!(String::from_utf8_lossy(&decoded.record), expected, "{body:?}");
                assert_eq!(decoded.problem.as_deref(), problem, "{body:?}");
            }
        }

        #[test]
        fn an_empty_body_has_nothing_to_keep() {
            for body in ["", " \r\n"] {
                let decoded = decode(Some("application/json"), body.as_bytes());
                assert!(decoded.record.is_empty());
                assert_eq!(decoded.problem.as_deref(), Some("empty body"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::credentials::allowed;
    use base64::Engine;

    #[test]
    fn bearer_or_basic_with_the_token_as_password() {
        let basic = |pair: &str| format!("Basic {}", super::body::BASE64.encode(pair));
        let cases = [
            (Some("Bearer s3cret".to_string()), true),
            (Some("bearer   s3cret ".to_string()), true),
            (Some(basic("freeswitch:s3cret")), true),
            (Some(basic(":s3cret")), true),
            (Some(basic("any:s3cret")), true),
            (Some(basic("s3cret:wrong")), false),
            (Some(basic("s3cret")), false),
            (Some("Basic !!!".to_string()), false),
            (Some("Bearer s3cre".to_string()), false),
            (Some("Bearer s3crets".to_string()), false),
            (Some("Bearer".to_string()), false),
            (Some("s3cret".to_string()), false),
            (Some("Digest s3cret".to_string()), false),
            (None, false),
        ];
        for (authorization, expected) in cases {
            assert_eq!(allowed(authorization.as_deref(), b"s3cret"), expected, "{authorization:?}");
        }
    }
}
