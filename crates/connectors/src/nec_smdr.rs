//! NEC SMDR over TCP (NEAX2400 IMX, UNIVERGE SV8100/SV9100/SV8500/SV9500,
//! NEAX2000 IPS "built-in SMDR on IP"). The PBX is the server (port 60010
//! on most systems) and keeps call records in its buffer; the collector
//! (NEC's "SMDR terminal") connects, polls, and acknowledges each block
//! of records, which the PBX then drops from its buffer. A block is
//! acknowledged here only once it is durable in the journal
//! ([`Feed::send_durable`]), so a crash or a lost link at any point at
//! worst has the PBX send the block again (stored once: see dedup).
//!
//! # The exchange
//!
//! Every message ("text") is `SYN kind length body parity`: SYN is 16H,
//! `kind` one ASCII digit, `length` five ASCII digits counting the body,
//! `parity` one byte, the exclusive OR of every byte from `kind` to the
//! end of the body. Every body starts with the device number, two ASCII
//! digits (`00` unless the PBX is programmed otherwise). The texts:
//!
//! | kind | from | body after the device number | meaning |
//! |---|---|---|---|
//! | `1` | collector | — | request: send the next block |
//! | `2` | PBX | sequence digit, records | a block of records |
//! | `3` | PBX | status digit: `1` buffer empty, `2` normal | answer to a request (nothing to send) or to a status monitor |
//! | `4` | collector | sequence digit, ACK (06H) | the block with that sequence is received |
//! | `5` | collector | `00`, ACK | status monitor: keeps the link alive |
//! | `6` | collector | ACK | link release: the PBX closes the link |
//!
//! Each record of a block is `STX SA UA K… ETX` (SA the station address,
//! an ASCII digit, UA `!`): the message `format-nec` parses. Records are
//! handed on as lines, without STX and ETX: `0!KK…\n`.
//!
//! The session: a status monitor on connecting and then every
//! [`Settings::status_every`]; a request; a block is handed on, acknowledged
//! once durable, and the next request follows at once (the PBX may hold
//! more); "buffer empty" waits [`Settings::poll`] before the next request.
//! No answer within [`Settings::answer_timeout`] ends the link (the
//! connector reconnects). When the server stops, the exchange under way is
//! finished and the link released.
//!
//! Bytes that are not a well-formed text (garbage before a SYN, a header
//! that is not digits, an unknown kind) are reported on the connector's
//! state and handed on as a record, to be quarantined; decoding starts
//! again at the next SYN. A record of a block that is not `STX … ETX` is
//! reported and handed on as it is (the parser decides). A text cut by
//! the end of the link is not handed on: it was not acknowledged, so the
//! PBX sends it again (the reason in `Closed` says so).
//!
//! # Sources, and what is verified
//!
//! NEC's own documents are not public; this is built from:
//! - NEC NEAX2000 IPS "Request for Proposal (RFP) Reference Guide"
//!   (NDA-24349), *MP built-in SMDR on IP*: TCP stream, port 60010 fixed,
//!   one connection, client = SMDR terminal, server = PBX, 7-bit ASCII; a
//!   link is made on the terminal's request, "one message is sent each
//!   time a request is received", the link ends when it is closed or on
//!   the status monitoring text.
//! - NEC's adapter documentation for NEC-SV-SMDR (UNIVERGE SV): the
//!   collector keeps the link with periodic status monitor texts; a data
//!   request is answered with a block of records and a sequence value; a
//!   data acknowledge with that value clears the block from the PBX's
//!   buffer; an unacknowledged block is sent again; the PBX disconnects
//!   after five requests in a row without an acknowledgement; a collector
//!   that stops sends a link release and waits for the PBX to close.
//! - NEC NEAX2400 IMX *Message Center Interface* manual (ND-70428), *MCI
//!   for LAN*, a sibling interface: a text is SYN (16H), text identifier,
//!   data length, device number, sequence number, message and parity,
//!   the parity being the exclusive OR over the text.
//! - The public collector zombat/NEC-SMDR-Collector (Node.js; read, not
//!   copied), which talks to an SV9500: the bytes of its request, status
//!   monitor, acknowledge and link release; where it reads the kind,
//!   device, sequence and status in the PBX's texts; status `1` = buffer
//!   empty, `2` = normal; its PBX emulator, which writes the length as the
//!   body's size and ends a text with one more byte. Its hand-made parity
//!   tables for the acknowledge (sequences 0–9) and status monitor
//!   (devices 0, 1) equal the exclusive OR from `kind` to the end of the
//!   body. Its test records are `samples/nec/K?record.smdr`.
//!
//! Not verified, for want of a capture from a PBX:
//! - that each record of a block is framed `STX … ETX` (that collector
//!   splits blocks on a control character lost from its published source,
//!   and its parser expects one byte before `0!`); records without STX
//!   are accepted and reported.
//! - the PBX's parity: it is not checked (TCP checks the bytes, and a PBX
//!   with parity off appears to send NUL there).
//! - the parity of the request and link release: exclusive OR as for the
//!   other texts; that collector sends 06H in both, which a PBX with
//!   parity off evidently ignores.
//! - what `00` means in the status monitor (sent as that collector does),
//!   and the PBX's timers (how long it waits for a status monitor; the
//!   defaults here poll every 5 s, as that collector does, and send a
//!   status monitor every 30 s).
//! - the device number: the `device` key of the `tcp-connect` entry
//!   ([`Settings::device`], 0–99, `00` by default as in that collector) is
//!   sent in the collector's texts; the acknowledge repeats the device of
//!   the block.
//! - sequence numbers are one digit, 0–9, as that collector reads them.

use crate::event::What;
use crate::feed::Feed;
use crate::tcp_connect::{DRAIN_LIMIT, Ended, stopped};
use std::convert::Infallible;
use std::time::Duration;
use text::{Decoded, Decoder, Leftover, Status, Text};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

/// Bytes read from the socket at a time.
const READ_BUFFER: usize = 16 * 1024;
/// How long writing one text may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for the PBX to close the link after a release.
const RELEASE_WAIT: Duration = Duration::from_secs(2);

/// How the collector runs the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The SMDR device number the PBX is programmed with, 0–99.
    pub device: u8,
    /// Wait between requests while the PBX's buffer is empty.
    pub poll: Duration,
    /// A status monitor is sent this often.
    pub status_every: Duration,
    /// The link is given up when the PBX has not answered a text by then.
    pub answer_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            device: 0,
            poll: Duration::from_secs(5),
            status_every: Duration::from_secs(30),
            answer_timeout: Duration::from_secs(30),
        }
    }
}

/// Runs the exchange on one link until it ends or the server stops.
pub(crate) async fn session(
    stream: TcpStream,
    peer: &str,
    connection: u64,
    feed: &Feed,
    settings: &Settings,
) -> Ended {
    let mut link = Link {
        stream,
        peer,
        connection,
        feed,
        decoder: Decoder::new(feed.max_record),
        buffer: vec![0u8; READ_BUFFER],
        stop: feed.stop.clone(),
        stopping: false,
    };
    let end = match link.converse(settings).await {
        Ok(never) => match never {},
        Err(end) => end,
    };
    let (mut reason, stopped) = match end {
        End::Stopped => ("server stopping".to_string(), true),
        End::ClosedByPbx => ("closed by the PBX".to_string(), false),
        End::Released => ("link released by the PBX".to_string(), false),
        End::Read(e) => (format!("read error: {e}"), false),
        End::Write(e) => (format!("write error: {e}"), false),
        End::NoAnswer(wait) => {
            (format!("no answer from the PBX within {:.1}s", wait.as_secs_f64()), false)
        }
    };
    if link.stopping && !stopped {
        reason = format!("server stopping; {reason}");
    }
    let partial = match link.decoder.finish() {
        Leftover::Nothing => Vec::new(),
        Leftover::CutText(n) => {
            reason.push_str(&format!(
                "; a text cut after {n} bytes was left to the PBX, which sends it again"
            ));
            Vec::new()
        }
        Leftover::Garbage(bytes) => {
            link.report(&bytes, "bytes outside a text at the end of the link");
            bytes
        }
    };
    Ended { reason, partial, stopped: stopped || link.stopping }
}

/// Why a link ended.
enum End {
    Stopped,
    ClosedByPbx,
    Released,
    Read(std::io::Error),
    Write(std::io::Error),
    NoAnswer(Duration),
}

/// What the PBX answered.
enum Answer {
    /// A block was handed on and acknowledged: there may be more.
    Block,
    /// Nothing to send, or a status.
    Idle,
}

struct Link<'a> {
    stream: TcpStream,
    peer: &'a str,
    connection: u64,
    feed: &'a Feed,
    decoder: Decoder,
    buffer: Vec<u8>,
    stop: watch::Receiver<bool>,
    /// The server is stopping: finish the exchange under way, then release.
    stopping: bool,
}

impl Link<'_> {
    async fn converse(&mut self, settings: &Settings) -> Result<Infallible, End> {
        let device = settings.device;
        let mut monitored: Option<Instant> = None;
        loop {
            if self.stopping || self.feed.stopping() {
                self.stopping = true;
                return Err(self.release(device).await);
            }
            if monitored.is_none_or(|at| at.elapsed() >= settings.status_every) {
                self.send(&Text::StatusMonitor { device }).await?;
                self.answer(settings).await?;
                monitored = Some(Instant::now());
                continue;
            }
            self.send(&Text::Request { device }).await?;
            if let Answer::Block = self.answer(settings).await? {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(settings.poll) => {}
                _ = stopped(&mut self.stop) => self.stopping = true,
            }
        }
    }

    /// Takes the PBX's answer to the text just sent.
    async fn answer(&mut self, settings: &Settings) -> Result<Answer, End> {
        match self.receive(settings.answer_timeout).await? {
            Text::Data { device, sequence, block } => {
                self.take_block(device, sequence, &block).await?;
                Ok(Answer::Block)
            }
            Text::Status { status: Status::BufferEmpty | Status::Normal, .. } => Ok(Answer::Idle),
            Text::Status { status: Status::Other(other), .. } => {
                self.feed.state.error(format!(
                    "{}: unknown status from the PBX: {:?}",
                    self.peer,
                    char::from(other)
                ));
                Ok(Answer::Idle)
            }
            Text::Release { .. } => Err(End::Released),
            unexpected => {
                self.feed
                    .state
                    .error(format!("{}: unexpected text from the PBX: {unexpected:?}", self.peer));
                Ok(Answer::Idle)
            }
        }
    }

    /// Hands a block on, waits until it is durable, then acknowledges it.
    async fn take_block(&mut self, device: u8, sequence: u8, block: &[u8]) -> Result<(), End> {
        let records = text::records(block);
        for problem in &records.problems {
            self.feed.state.error(format!("{}: block {sequence}: {problem}", self.peer));
        }
        if !records.lines.is_empty() {
            let bytes = records.lines.len() as u64;
            self.feed.state.received(records.count, bytes);
            let what = What::Records(records.lines);
            let durable =
                self.feed.send_durable(self.connection, what).await.map_err(|_| End::Stopped)?;
            // Not acknowledged unless durable: the PBX keeps the block.
            durable.wait().await.map_err(|_| End::Stopped)?;
        }
        self.send(&Text::Ack { device, sequence }).await
    }

    /// The next text from the PBX; garbage on the way is handed on.
    async fn receive(&mut self, wait: Duration) -> Result<Text, End> {
        let mut deadline = Instant::now() + wait;
        if self.stopping {
            deadline = deadline.min(Instant::now() + DRAIN_LIMIT);
        }
        loop {
            while let Some(decoded) = self.decoder.decode() {
                match decoded {
                    Decoded::Text(text) => return Ok(text),
                    Decoded::Garbage { bytes, reason } => {
                        self.hand_on_garbage(bytes, &reason).await?
                    }
                }
            }
            let read = tokio::select! {
                read = tokio::time::timeout_at(deadline, self.stream.read(&mut self.buffer)) => read,
                _ = stopped(&mut self.stop), if !self.stopping => {
                    // The answer to what was sent is still taken.
                    self.stopping = true;
                    deadline = deadline.min(Instant::now() + DRAIN_LIMIT);
                    continue;
                }
            };
            match read {
                Err(_) => return Err(End::NoAnswer(wait)),
                Ok(Ok(0)) => return Err(End::ClosedByPbx),
                Ok(Ok(n)) => self.decoder.push(&self.buffer[..n]),
                Ok(Err(e)) => return Err(End::Read(e)),
            }
        }
    }

    async fn send(&mut self, text: &Text) -> Result<(), End> {
        match tokio::time::timeout(WRITE_TIMEOUT, self.stream.write_all(&text.encode())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(End::Write(e)),
            Err(_) => Err(End::Write(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the PBX took no text for {}s", WRITE_TIMEOUT.as_secs()),
            ))),
        }
    }

    /// Asks the PBX to close the link and waits a moment until it does, so
    /// that it does not log an SMDR device failure.
    async fn release(&mut self, device: u8) -> End {
        if self.send(&Text::Release { device }).await.is_err() {
            return End::Stopped;
        }
        let deadline = Instant::now() + RELEASE_WAIT;
        // Whatever still comes is not acknowledged: the PBX keeps it.
        while let Ok(Ok(n)) =
            tokio::time::timeout_at(deadline, self.stream.read(&mut self.buffer)).await
        {
            if n == 0 {
                break;
            }
        }
        End::Stopped
    }

    /// Reports bytes that are not a text and hands them on as a record,
    /// so they are quarantined rather than lost.
    async fn hand_on_garbage(&mut self, mut bytes: Vec<u8>, reason: &str) -> Result<(), End> {
        self.report(&bytes, reason);
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        self.feed.state.received(1, bytes.len() as u64);
        self.feed.send(self.connection, What::Records(bytes)).await.map_err(|_| End::Stopped)
    }

    fn report(&self, bytes: &[u8], reason: &str) {
        self.feed.state.error(format!("{}: {reason}: {}", self.peer, text::preview(bytes)));
    }
}

/// The texts of the exchange, as bytes on the wire: both sides' encoder
/// and decoder.
pub mod text {
    /// Opens every text.
    pub const SYN: u8 = 0x16;
    /// Frames each record of a block.
    pub const STX: u8 = 0x02;
    pub const ETX: u8 = 0x03;
    /// Ends the collector's acknowledge, status monitor and release.
    pub const ACK: u8 = 0x06;
    /// The length field has five digits.
    pub const MAX_BODY: usize = 99_999;
    /// SYN, kind, five digits of length.
    const HEADER: usize = 7;

    /// One text. Device numbers are 0–99, sequences 0–9.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Text {
        /// `1`, collector: send the next block.
        Request { device: u8 },
        /// `2`, PBX: a block of records (`STX record ETX` each, see
        /// [`block`] and [`records`]).
        Data { device: u8, sequence: u8, block: Vec<u8> },
        /// `3`, PBX: nothing to send, or the answer to a status monitor.
        Status { device: u8, status: Status },
        /// `4`, collector: the block `sequence` is received.
        Ack { device: u8, sequence: u8 },
        /// `5`, collector: keeps the link alive.
        StatusMonitor { device: u8 },
        /// `6`, collector: the PBX closes the link.
        Release { device: u8 },
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Status {
        /// `1`: the PBX holds no records.
        BufferEmpty,
        /// `2`: the answer to a status monitor.
        Normal,
        Other(u8),
    }

    impl Status {
        fn byte(self) -> u8 {
            match self {
                Status::BufferEmpty => b'1',
                Status::Normal => b'2',
                Status::Other(b) => b,
            }
        }

        fn from_byte(b: u8) -> Status {
            match b {
                b'1' => Status::BufferEmpty,
                b'2' => Status::Normal,
                other => Status::Other(other),
            }
        }
    }

    impl Text {
        /// The text on the wire. A data block must be at most
        /// [`MAX_BODY`] − 3 bytes (the length has five digits).
        pub fn encode(&self) -> Vec<u8> {
            let mut body = Vec::new();
            let kind = match self {
                Text::Request { device } => {
                    body.extend_from_slice(&two_digits(*device));
                    b'1'
                }
                Text::Data { device, sequence, block } => {
                    body.extend_from_slice(&two_digits(*device));
                    body.push(digit(*sequence));
                    body.extend_from_slice(block);
                    b'2'
                }
                Text::Status { device, status } => {
                    body.extend_from_slice(&two_digits(*device));
                    body.push(status.byte());
                    b'3'
                }
                Text::Ack { device, sequence } => {
                    body.extend_from_slice(&two_digits(*device));
                    body.extend_from_slice(&[digit(*sequence), ACK]);
                    b'4'
                }
                Text::StatusMonitor { device } => {
                    body.extend_from_slice(&two_digits(*device));
                    body.extend_from_slice(&[b'0', b'0', ACK]);
                    b'5'
                }
                Text::Release { device } => {
                    body.extend_from_slice(&two_digits(*device));
                    body.push(ACK);
                    b'6'
                }
            };
            let mut out = Vec::with_capacity(HEADER + body.len() + 1);
            out.extend_from_slice(&[SYN, kind]);
            out.extend_from_slice(format!("{:05}", body.len()).as_bytes());
            out.extend_from_slice(&body);
            out.push(parity(&out[1..]));
            out
        }
    }

    /// The exclusive OR of the bytes from the kind to the end of the body.
    pub fn parity(bytes: &[u8]) -> u8 {
        bytes.iter().fold(0, |p, b| p ^ b)
    }

    fn digit(n: u8) -> u8 {
        b'0' + n % 10
    }

    fn two_digits(n: u8) -> [u8; 2] {
        [digit(n / 10), digit(n)]
    }

    /// The block of a data text holding `records` (each without STX/ETX).
    pub fn block<R: AsRef<[u8]>>(records: &[R]) -> Vec<u8> {
        let mut out = Vec::new();
        for record in records {
            out.push(STX);
            out.extend_from_slice(record.as_ref());
            out.push(ETX);
        }
        out
    }

    /// A block's records as lines to hand on.
    #[derive(Debug, Default, PartialEq, Eq)]
    pub struct Records {
        /// Each record without STX and ETX, ending in `\n`.
        pub lines: Vec<u8>,
        pub count: u64,
        /// What was not framed as it should be (the record is in `lines`).
        pub problems: Vec<String>,
    }

    /// Cuts a block into records. Filler between records (NUL, CR, LF,
    /// blanks) is skipped; a record without STX or ETX is kept and
    /// reported.
    pub fn records(block: &[u8]) -> Records {
        let mut out = Records::default();
        let mut pieces = block.split(|&b| b == ETX).peekable();
        while let Some(piece) = pieces.next() {
            let unended = pieces.peek().is_none();
            let start = piece.iter().position(|b| !matches!(b, 0 | b'\r' | b'\n' | b' ' | b'\t'));
            let Some(start) = start else { continue };
            let piece = &piece[start..];
            let record = match piece.strip_prefix(&[STX]) {
                Some(record) => record,
                None => {
                    out.problems.push(format!("a record without STX: {}", preview(piece)));
                    piece
                }
            };
            if unended {
                out.problems.push(format!("a record without ETX: {}", preview(piece)));
            }
            if record.contains(&STX) {
                out.problems.push(format!("STX inside a record: {}", preview(piece)));
            }
            if record.is_empty() {
                continue;
            }
            out.lines.extend_from_slice(record);
            out.lines.push(b'\n');
            out.count += 1;
        }
        out
    }

    /// The start of `bytes`, readable in a message.
    pub fn preview(bytes: &[u8]) -> String {
        const SHOWN: usize = 48;
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(SHOWN)]);
        let more = if bytes.len() > SHOWN {
            format!(" (of {} bytes)", bytes.len())
        } else {
            String::new()
        };
        format!("{shown:?}{more}")
    }

    /// What the decoder found.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Decoded {
        Text(Text),
        /// Bytes that are not a well-formed text, and why.
        Garbage {
            bytes: Vec<u8>,
            reason: String,
        },
    }

    /// What was left undecoded when the link ended.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Leftover {
        Nothing,
        /// The start of a text, this many bytes.
        CutText(usize),
        Garbage(Vec<u8>),
    }

    /// Cuts a byte stream into texts, whatever the reads.
    #[derive(Debug)]
    pub struct Decoder {
        pending: Vec<u8>,
        /// Garbage without a SYN or a line end is held until it is this
        /// long, then handed on as it is.
        max_garbage: usize,
    }

    impl Decoder {
        pub fn new(max_garbage: usize) -> Decoder {
            Decoder { pending: Vec::new(), max_garbage: max_garbage.max(1) }
        }

        /// Adds bytes just read.
        pub fn push(&mut self, bytes: &[u8]) {
            self.pending.extend_from_slice(bytes);
        }

        /// The next text or run of garbage, or `None` until more bytes come.
        pub fn decode(&mut self) -> Option<Decoded> {
            let first = *self.pending.first()?;
            if first != SYN {
                let end = match self.pending.iter().position(|&b| b == SYN) {
                    Some(syn) => syn,
                    // Cut at a line end, so garbage lines are handed on as lines.
                    None => match self.pending.iter().rposition(|&b| b == b'\n') {
                        Some(line_end) => line_end + 1,
                        None if self.pending.len() > self.max_garbage => self.pending.len(),
                        None => return None,
                    },
                };
                return Some(self.garbage(end, "bytes outside a text".to_string()));
            }
            let header = &self.pending[..self.pending.len().min(HEADER)];
            if let Some(problem) = header_problem(header) {
                // Start again at the next SYN.
                let end = self.pending[1..]
                    .iter()
                    .position(|&b| b == SYN)
                    .map_or(self.pending.len(), |i| i + 1);
                return Some(self.garbage(end, problem));
            }
            if self.pending.len() < HEADER {
                return None;
            }
            let length =
                self.pending[2..HEADER].iter().fold(0usize, |n, b| n * 10 + usize::from(b - b'0'));
            let total = HEADER + length + 1;
            if self.pending.len() < total {
                return None;
            }
            match parse_body(self.pending[1], &self.pending[HEADER..HEADER + length]) {
                Ok(text) => {
                    self.pending.drain(..total);
                    Some(Decoded::Text(text))
                }
                Err(reason) => Some(self.garbage(total, reason)),
            }
        }

        /// Bytes received and not decoded yet.
        pub fn pending_len(&self) -> usize {
            self.pending.len()
        }

        /// What is left once [`Decoder::decode`] has returned `None` and the
        /// link has ended.
        pub fn finish(&mut self) -> Leftover {
            let pending = std::mem::take(&mut self.pending);
            if pending.is_empty() {
                Leftover::Nothing
            } else if pending[0] == SYN
                && header_problem(&pending[..pending.len().min(HEADER)]).is_none()
            {
                Leftover::CutText(pending.len())
            } else {
                Leftover::Garbage(pending)
            }
        }

        fn garbage(&mut self, end: usize, reason: String) -> Decoded {
            let bytes = self.pending.drain(..end).collect();
            Decoded::Garbage { bytes, reason }
        }
    }

    /// What is wrong with the start of a text (SYN first), if anything.
    fn header_problem(header: &[u8]) -> Option<String> {
        if header.get(1).is_some_and(|b| !b.is_ascii_digit()) {
            return Some("not a kind of text after SYN".to_string());
        }
        if header.iter().skip(2).any(|b| !b.is_ascii_digit()) {
            return Some("the length of a text is not five digits".to_string());
        }
        None
    }

    fn parse_body(kind: u8, body: &[u8]) -> Result<Text, String> {
        let device = match body {
            [tens, ones, ..] if tens.is_ascii_digit() && ones.is_ascii_digit() => {
                (tens - b'0') * 10 + (ones - b'0')
            }
            _ => return Err(format!("text {:?} without a device number", char::from(kind))),
        };
        let third = body.get(2).copied();
        let sequence = || match third {
            Some(d) if d.is_ascii_digit() => Ok(d - b'0'),
            _ => Err(format!("text {:?} without a sequence number", char::from(kind))),
        };
        match kind {
            b'1' => Ok(Text::Request { device }),
            b'2' => Ok(Text::Data { device, sequence: sequence()?, block: body[3..].to_vec() }),
            b'3' => match third {
                Some(status) => Ok(Text::Status { device, status: Status::from_byte(status) }),
                None => Err("status text without a status".to_string()),
            },
            b'4' => Ok(Text::Ack { device, sequence: sequence()? }),
            b'5' => Ok(Text::StatusMonitor { device }),
            b'6' => Ok(Text::Release { device }),
            other => Err(format!("unknown kind of text {:?}", char::from(other))),
        }
    }
}

/// The PBX's side of the exchange, without I/O: what a PBX answers to
/// each text of the collector. For tests and the simulator.
///
/// Records wait in a buffer and go out in blocks of up to
/// `block_records`; a block is sent again on every request until it is
/// acknowledged, and after [`MAX_SENDS`](pbx_side::MAX_SENDS) sends
/// without an acknowledgement the PBX drops the link (NEC's adapter
/// documentation: "the PBX will disconnect after making a request without
/// an acknowledgement 5 times in a row"). Sequences run 0–9 and wrap.
pub mod pbx_side {
    use super::text::{self, MAX_BODY, Status, Text};
    use std::collections::VecDeque;

    /// Sends of one block without an acknowledgement before the PBX drops
    /// the link.
    pub const MAX_SENDS: u32 = 5;

    /// What the PBX does in answer to a text.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Reply {
        Send(Text),
        /// Closes the link (after a release, or too many unacknowledged
        /// sends).
        Close,
        Nothing,
    }

    #[derive(Debug)]
    pub struct Pbx {
        device: u8,
        block_records: usize,
        buffered: VecDeque<Vec<u8>>,
        pending: Option<Block>,
        next_sequence: u8,
    }

    #[derive(Debug)]
    struct Block {
        sequence: u8,
        records: Vec<Vec<u8>>,
        sends: u32,
    }

    impl Pbx {
        pub fn new(device: u8, block_records: usize) -> Pbx {
            Pbx {
                device,
                block_records: block_records.max(1),
                buffered: VecDeque::new(),
                pending: None,
                next_sequence: 0,
            }
        }

        /// Buffers one record (`0!KK…`; a trailing line end is dropped).
        pub fn push(&mut self, record: &[u8]) -> Result<(), String> {
            let end = record.iter().rposition(|b| !matches!(b, b'\r' | b'\n')).map_or(0, |i| i + 1);
            let record = &record[..end];
            if record.len() + 5 > MAX_BODY {
                return Err(format!("a record of {} bytes does not fit in a text", record.len()));
            }
            self.buffered.push_back(record.to_vec());
            Ok(())
        }

        /// Records not yet acknowledged (buffered or sent).
        pub fn unacknowledged(&self) -> usize {
            self.buffered.len() + self.pending.as_ref().map_or(0, |b| b.records.len())
        }

        /// A new link: the block in flight has not been sent on it yet.
        pub fn link_lost(&mut self) {
            if let Some(block) = &mut self.pending {
                block.sends = 0;
            }
        }

        pub fn handle(&mut self, received: &Text) -> Reply {
            let device = self.device;
            match received {
                Text::Request { .. } => self.answer_request(),
                Text::Ack { sequence, .. } => {
                    if self.pending.as_ref().is_some_and(|b| b.sequence == *sequence) {
                        self.pending = None;
                        self.next_sequence = (sequence + 1) % 10;
                    }
                    Reply::Nothing
                }
                Text::StatusMonitor { .. } => {
                    Reply::Send(Text::Status { device, status: Status::Normal })
                }
                Text::Release { .. } => Reply::Close,
                Text::Data { .. } | Text::Status { .. } => Reply::Nothing,
            }
        }

        fn answer_request(&mut self) -> Reply {
            let device = self.device;
            if self.pending.is_none() {
                let mut records = Vec::new();
                let mut size = 3;
                while records.len() < self.block_records {
                    let Some(next) = self.buffered.front() else { break };
                    if !records.is_empty() && size + next.len() + 2 > MAX_BODY {
                        break;
                    }
                    size += next.len() + 2;
                    records.extend(self.buffered.pop_front());
                }
                if records.is_empty() {
                    return Reply::Send(Text::Status { device, status: Status::BufferEmpty });
                }
                self.pending = Some(Block { sequence: self.next_sequence, records, sends: 0 });
            }
            let Some(block) = &mut self.pending else { return Reply::Nothing };
            if block.sends >= MAX_SENDS {
                return Reply::Close;
            }
            block.sends += 1;
            Reply::Send(Text::Data {
                device,
                sequence: block.sequence,
                block: text::block(&block.records),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pbx_side::{MAX_SENDS, Pbx, Reply};
    use super::text::*;

    #[test]
    fn the_collector_texts_are_the_bytes_a_pbx_accepts() {
        // The acknowledge and status monitor bytes of the public
        // NEC-SMDR-Collector, parity included; its request and release end
        // in 06H where the exclusive OR (used here) gives 03H.
        let ack = |seq: u8, parity: u8| {
            vec![0x16, b'4', b'0', b'0', b'0', b'0', b'4', b'0', b'0', b'0' + seq, 0x06, parity]
        };
        let cases: Vec<(Text, Vec<u8>)> = vec![
            (Text::Ack { device: 0, sequence: 0 }, ack(0, 0x36)),
            (Text::Ack { device: 0, sequence: 1 }, ack(1, 0x37)),
            (Text::Ack { device: 0, sequence: 2 }, ack(2, 0x34)),
            (Text::Ack { device: 0, sequence: 5 }, ack(5, 0x33)),
            (Text::Ack { device: 0, sequence: 8 }, ack(8, 0x3E)),
            (Text::Ack { device: 0, sequence: 9 }, ack(9, 0x3F)),
            (
                Text::StatusMonitor { device: 0 },
                vec![0x16, b'5', b'0', b'0', b'0', b'0', b'5', b'0', b'0', b'0', b'0', 0x06, 0x06],
            ),
            (
                Text::StatusMonitor { device: 1 },
                vec![0x16, b'5', b'0', b'0', b'0', b'0', b'5', b'0', b'1', b'0', b'0', 0x06, 0x07],
            ),
            (
                Text::Request { device: 0 },
                vec![0x16, b'1', b'0', b'0', b'0', b'0', b'2', b'0', b'0', 0x03],
            ),
            (
                Text::Release { device: 0 },
                vec![0x16, b'6', b'0', b'0', b'0', b'0', b'3', b'0', b'0', 0x06, 0x03],
            ),
        ];
        for (text, bytes) in cases {
            assert_eq!(text.encode(), bytes, "{text:?}");
            let mut decoder = Decoder::new(100);
            decoder.push(&bytes);
            assert_eq!(decoder.decode(), Some(Decoded::Text(text)));
            assert_eq!(decoder.finish(), Leftover::Nothing);
        }
    }

    #[test]
    fn a_data_text_as_the_pbx_writes_it() {
        // Length = device + sequence + records; one byte of parity after.
        let mut bytes = b"\x16200019003\x020!KM01\x03\x020!KK02\x03".to_vec();
        bytes.push(parity(&bytes[1..]));
        let text = Text::Data { device: 0, sequence: 3, block: block(&["0!KM01", "0!KK02"]) };
        assert_eq!(text.encode(), bytes);
        let mut decoder = Decoder::new(100);
        // Whatever the reads.
        for byte in &bytes {
            assert_eq!(decoder.decode(), None);
            decoder.push(&[*byte]);
        }
        assert_eq!(decoder.decode(), Some(Decoded::Text(text)));
    }

    #[test]
    fn records_of_a_block() {
        let cases: &[(&[u8], &str, &[&str])] = &[
            (b"\x020!KK1\x03\x020!KL2\x03", "0!KK1\n0!KL2\n", &[]),
            (b"\x020!KM 3 \x03\0", "0!KM 3 \n", &[]),
            (b"\r\n\x020!KK1\x03\r\n", "0!KK1\n", &[]),
            (b"", "", &[]),
            (b"0!KK1\x03", "0!KK1\n", &["a record without STX: \"0!KK1\""]),
            (b"\x020!KK1", "0!KK1\n", &["a record without ETX: \"\\u{2}0!KK1\""]),
            (b"\x02ab\x02cd\x03", "ab\x02cd\n", &["STX inside a record: \"\\u{2}ab\\u{2}cd\""]),
        ];
        for (block, lines, problems) in cases {
            let records = records(block);
            assert_eq!(String::from_utf8_lossy(&records.lines), *lines, "{block:?}");
            assert_eq!(records.count as usize, lines.matches('\n').count());
            assert_eq!(records.problems, *problems, "{block:?}");
        }
    }

    #[test]
    fn garbage_is_handed_back_and_decoding_starts_again_at_the_next_syn() {
        let good = Text::Status { device: 0, status: Status::BufferEmpty }.encode();
        let mut input = b"HELLO\r\nWOR".to_vec();
        input.extend_from_slice(&good);
        input.extend_from_slice(b"\x16X12");
        input.extend_from_slice(&good);
        input.extend_from_slice(b"\x1690000300x\0");
        input.extend_from_slice(b"\x162000");
        let mut decoder = Decoder::new(100);
        decoder.push(&input);
        let mut found = Vec::new();
        while let Some(decoded) = decoder.decode() {
            found.push(decoded);
        }
        let garbage = |bytes: &[u8], reason: &str| Decoded::Garbage {
            bytes: bytes.to_vec(),
            reason: reason.to_string(),
        };
        let status = Decoded::Text(Text::Status { device: 0, status: Status::BufferEmpty });
        assert_eq!(
            found,
            [
                garbage(b"HELLO\r\nWOR", "bytes outside a text"),
                status.clone(),
                garbage(b"\x16X12", "not a kind of text after SYN"),
                status,
                garbage(b"\x1690000300x\0", "unknown kind of text '9'"),
            ]
        );
        assert_eq!(decoder.finish(), Leftover::CutText(5));
    }

    #[test]
    fn long_garbage_without_a_line_end_is_handed_on_in_pieces() {
        let mut decoder = Decoder::new(8);
        decoder.push(b"0123");
        assert_eq!(decoder.decode(), None);
        decoder.push(b"456789");
        assert!(
            matches!(decoder.decode(), Some(Decoded::Garbage { bytes, .. }) if bytes == b"0123456789")
        );
        decoder.push(b"ab");
        assert_eq!(decoder.decode(), None);
        assert_eq!(decoder.finish(), Leftover::Garbage(b"ab".to_vec()));
    }

    /// Garbage without SYN between texts, cut into random reads: every text
    /// comes out whole, every garbage byte comes out as garbage, in order.
    #[test]
    fn any_reads_of_texts_and_garbage_decode_back() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..500 {
            let mut input = Vec::new();
            let mut texts = Vec::new();
            let mut garbage = Vec::new();
            for _ in 0..rng.usize(0..6) {
                let junk: Vec<u8> =
                    (0..rng.usize(0..20)).map(|_| rng.u8(..)).filter(|&b| b != SYN).collect();
                input.extend_from_slice(&junk);
                garbage.extend_from_slice(&junk);
                let records: Vec<Vec<u8>> =
                    (0..rng.usize(0..3)).map(|_| vec![b'7'; rng.usize(1..40)]).collect();
                let text = match rng.u8(0..4) {
                    0 => Text::Data {
                        device: rng.u8(0..100),
                        sequence: rng.u8(0..10),
                        block: block(&records),
                    },
                    1 => Text::Status { device: 0, status: Status::Normal },
                    2 => Text::Ack { device: 3, sequence: rng.u8(0..10) },
                    _ => Text::Request { device: 1 },
                };
                input.extend_from_slice(&text.encode());
                texts.push(text);
            }
            let mut decoder = Decoder::new(16);
            let (mut got_texts, mut got_garbage) = (Vec::new(), Vec::new());
            let mut rest = &input[..];
            while !rest.is_empty() {
                let (read, after) = rest.split_at(rng.usize(1..=rest.len()));
                rest = after;
                decoder.push(read);
                while let Some(decoded) = decoder.decode() {
                    match decoded {
                        Decoded::Text(text) => got_texts.push(text),
                        Decoded::Garbage { bytes, .. } => got_garbage.extend(bytes),
                    }
                }
            }
            if let Leftover::Garbage(bytes) = decoder.finish() {
                got_garbage.extend(bytes);
            }
            assert_eq!(got_texts, texts);
            assert_eq!(got_garbage, garbage);
        }
    }

    #[test]
    fn random_bytes_never_panic_and_every_byte_is_accounted_for() {
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..2000 {
            let input: Vec<u8> = (0..rng.usize(0..64))
                .map(|_| if rng.u8(0..4) == 0 { SYN } else { rng.u8(b'0'..b'9' + 3) })
                .collect();
            let mut decoder = Decoder::new(16);
            decoder.push(&input);
            let mut seen = 0;
            loop {
                let before = decoder.pending_len();
                let Some(decoded) = decoder.decode() else { break };
                let taken = before - decoder.pending_len();
                if let Decoded::Garbage { bytes, .. } = decoded {
                    assert_eq!(bytes.len(), taken);
                }
                seen += taken;
            }
            let left = match decoder.finish() {
                Leftover::Nothing => 0,
                Leftover::CutText(n) => n,
                Leftover::Garbage(bytes) => bytes.len(),
            };
            assert_eq!(seen + left, input.len(), "{input:?}");
        }
    }

    #[test]
    fn the_pbx_side_resends_a_block_until_it_is_acknowledged() {
        let mut pbx = Pbx::new(0, 2);
        for record in ["0!KK1\r\n", "0!KL2\n", "0!KM3"] {
            pbx.push(record.as_bytes()).unwrap();
        }
        let request = Text::Request { device: 0 };
        let data = |sequence, records: &[&str]| {
            Reply::Send(Text::Data { device: 0, sequence, block: block(records) })
        };
        assert_eq!(pbx.handle(&request), data(0, &["0!KK1", "0!KL2"]));
        // Not acknowledged: the same block, the same sequence.
        assert_eq!(pbx.handle(&request), data(0, &["0!KK1", "0!KL2"]));
        assert_eq!(pbx.handle(&Text::Ack { device: 0, sequence: 7 }), Reply::Nothing);
        assert_eq!(pbx.unacknowledged(), 3);
        assert_eq!(pbx.handle(&Text::Ack { device: 0, sequence: 0 }), Reply::Nothing);
        assert_eq!(pbx.unacknowledged(), 1);
        assert_eq!(pbx.handle(&request), data(1, &["0!KM3"]));
        for _ in 1..MAX_SENDS {
            assert_eq!(pbx.handle(&request), data(1, &["0!KM3"]));
        }
        assert_eq!(pbx.handle(&request), Reply::Close);
        pbx.link_lost();
        assert_eq!(pbx.handle(&request), data(1, &["0!KM3"]));
        pbx.handle(&Text::Ack { device: 0, sequence: 1 });
        let empty = Reply::Send(Text::Status { device: 0, status: Status::BufferEmpty });
        assert_eq!(pbx.handle(&request), empty);
        let normal = Reply::Send(Text::Status { device: 0, status: Status::Normal });
        assert_eq!(pbx.handle(&Text::StatusMonitor { device: 0 }), normal);
        assert_eq!(pbx.handle(&Text::Release { device: 0 }), Reply::Close);
    }
}
