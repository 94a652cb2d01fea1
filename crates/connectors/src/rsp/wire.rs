//! The frame codec of the session protocol: what each frame holds, how it
//! is written, and how a byte stream is cut back into frames, with the
//! bytes that are not frames set apart (see the module doc of `rsp` for
//! the layout). The PBX side (`bluewhale simulate --target rsp://`) uses
//! the same codec, so both ends agree by construction.

/// The two bytes every frame starts with. Both have the high bit set, so
/// CDR text (ASCII) never looks like the start of a frame.
pub const MAGIC: [u8; 2] = [0xA5, 0xD2];
pub const VERSION: u8 = 1;
/// Magic, version, kind, payload length, number, header checksum.
pub const HEADER_LEN: usize = 20;
/// The payload's checksum.
pub const TRAILER_LEN: usize = 4;
/// Longest payload accepted: a block of records is far smaller.
pub const MAX_PAYLOAD: usize = 1 << 20;
/// Longest PBX name in a `Connect`.
pub const MAX_NAME: usize = 64;
/// Longest reason in a `Refuse` or `Disconnect`.
pub const MAX_REASON: usize = 1024;

/// What a frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Connect,
    Accept,
    Refuse,
    Data,
    Ack,
    KeepAlive,
    KeepAliveReply,
    Disconnect,
}

impl Kind {
    pub fn code(self) -> u8 {
        match self {
            Kind::Connect => 0x01,
            Kind::Accept => 0x02,
            Kind::Refuse => 0x03,
            Kind::Data => 0x10,
            Kind::Ack => 0x11,
            Kind::KeepAlive => 0x20,
            Kind::KeepAliveReply => 0x21,
            Kind::Disconnect => 0x30,
        }
    }

    pub fn from_code(code: u8) -> Option<Kind> {
        Some(match code {
            0x01 => Kind::Connect,
            0x02 => Kind::Accept,
            0x03 => Kind::Refuse,
            0x10 => Kind::Data,
            0x11 => Kind::Ack,
            0x20 => Kind::KeepAlive,
            0x21 => Kind::KeepAliveReply,
            0x30 => Kind::Disconnect,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Connect => "connect",
            Kind::Accept => "accept",
            Kind::Refuse => "refuse",
            Kind::Data => "data",
            Kind::Ack => "ack",
            Kind::KeepAlive => "keep-alive",
            Kind::KeepAliveReply => "keep-alive reply",
            Kind::Disconnect => "disconnect",
        }
    }
}

/// One frame, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// PBX → adjunct, first on every connection: who the PBX is, its
    /// session (the same across reconnects until the PBX loses what it
    /// had not had acknowledged), and how many blocks it sends ahead.
    Connect {
        session: u64,
        window: u16,
        name: String,
    },
    /// Adjunct → PBX: the session is open. Blocks up to `resume_after` are
    /// known durable (0: none known); the PBX resends its unacknowledged
    /// blocks after that. `window` is how many unacknowledged blocks the
    /// adjunct takes; `silent_after_s` how long it keeps a silent link.
    Accept {
        resume_after: u64,
        window: u16,
        silent_after_s: u16,
    },
    /// Adjunct → PBX: the session is refused; the link closes.
    Refuse {
        reason: String,
    },
    /// PBX → adjunct: block `seq` (from 1, one more per block) of records.
    Data {
        seq: u64,
        records: Vec<u8>,
    },
    /// Adjunct → PBX: block `seq`, and every block before it, is durable.
    Ack {
        seq: u64,
    },
    /// Either way: are you there? Answered with the same `probe`.
    KeepAlive {
        probe: u64,
    },
    KeepAliveReply {
        probe: u64,
    },
    /// Either way: the sender closes the link after this frame.
    Disconnect {
        reason: String,
    },
}

impl Frame {
    pub fn kind(&self) -> Kind {
        match self {
            Frame::Connect { .. } => Kind::Connect,
            Frame::Accept { .. } => Kind::Accept,
            Frame::Refuse { .. } => Kind::Refuse,
            Frame::Data { .. } => Kind::Data,
            Frame::Ack { .. } => Kind::Ack,
            Frame::KeepAlive { .. } => Kind::KeepAlive,
            Frame::KeepAliveReply { .. } => Kind::KeepAliveReply,
            Frame::Disconnect { .. } => Kind::Disconnect,
        }
    }

    /// Appends the frame's bytes to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut small = Vec::new();
        let (number, payload): (u64, &[u8]) = match self {
            Frame::Connect { session, window, name } => {
                small.extend_from_slice(&window.to_be_bytes());
                small.extend_from_slice(name.as_bytes());
                (*session, &small)
            }
            Frame::Accept { resume_after, window, silent_after_s } => {
                small.extend_from_slice(&window.to_be_bytes());
                small.extend_from_slice(&silent_after_s.to_be_bytes());
                (*resume_after, &small)
            }
            Frame::Refuse { reason } | Frame::Disconnect { reason } => (0, reason.as_bytes()),
            Frame::Data { seq, records } => (*seq, records),
            Frame::Ack { seq } => (*seq, &[]),
            Frame::KeepAlive { probe } | Frame::KeepAliveReply { probe } => (*probe, &[]),
        };
        encode_frame(self.kind(), number, payload, out);
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// The frame a sound header and checked payload make, or why they make
    /// none.
    fn from_parts(kind: Kind, number: u64, payload: &[u8]) -> Result<Frame, String> {
        let empty = |frame: Frame| {
            if payload.is_empty() {
                Ok(frame)
            } else {
                Err(format!(
                    "a {} frame has no payload, this one has {} bytes",
                    kind.name(),
                    payload.len()
                ))
            }
        };
        match kind {
            Kind::Connect => {
                let (window, name) = split_u16(payload, kind)?;
                if window == 0 {
                    return Err("connect: window 0".into());
                }
                let name = text(name, MAX_NAME, "connect: PBX name")?;
                if name.chars().any(char::is_control) {
                    return Err(format!("connect: PBX name {name:?} holds control characters"));
                }
                Ok(Frame::Connect { session: number, window, name })
            }
            Kind::Accept => {
                let (window, rest) = split_u16(payload, kind)?;
                let (silent_after_s, rest) = split_u16(rest, kind)?;
                if !rest.is_empty() || window == 0 {
                    return Err("accept: expected a window (at least 1) and a timeout".into());
                }
                Ok(Frame::Accept { resume_after: number, window, silent_after_s })
            }
            Kind::Refuse => Ok(Frame::Refuse { reason: text(payload, MAX_REASON, "refuse")? }),
            Kind::Disconnect => {
                Ok(Frame::Disconnect { reason: text(payload, MAX_REASON, "disconnect")? })
            }
            Kind::Data => {
                if number == 0 {
                    return Err("data: block numbers start at 1".into());
                }
                if payload.is_empty() {
                    return Err(format!("data: block {number} is empty"));
                }
                Ok(Frame::Data { seq: number, records: payload.to_vec() })
            }
            Kind::Ack if number == 0 => Err("ack: block numbers start at 1".into()),
            Kind::Ack => empty(Frame::Ack { seq: number }),
            Kind::KeepAlive => empty(Frame::KeepAlive { probe: number }),
            Kind::KeepAliveReply => empty(Frame::KeepAliveReply { probe: number }),
        }
    }
}

fn split_u16(bytes: &[u8], kind: Kind) -> Result<(u16, &[u8]), String> {
    match bytes {
        [a, b, rest @ ..] => Ok((u16::from_be_bytes([*a, *b]), rest)),
        _ => Err(format!("{}: payload too short", kind.name())),
    }
}

fn text(bytes: &[u8], max: usize, what: &str) -> Result<String, String> {
    if bytes.len() > max {
        return Err(format!("{what}: {} bytes, at most {max}", bytes.len()));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| format!("{what}: not UTF-8"))
}

/// Appends a frame of `kind` with `number` and `payload` (at most
/// [`MAX_PAYLOAD`] bytes; the sender keeps to that) to `out`.
pub fn encode_frame(kind: Kind, number: u64, payload: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    out.push(kind.code());
    // Payloads are bounded far below u32::MAX (MAX_PAYLOAD).
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(&number.to_be_bytes());
    let header_crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&header_crc.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32fast::hash(payload).to_be_bytes());
}

/// What the decoder found next in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Frame(Frame),
    /// Bytes that are no frame, up to where a frame may start again (or
    /// all that is buffered): `why` the first of them is not one.
    Garbage {
        bytes: Vec<u8>,
        why: String,
    },
    /// A frame whose header is sound but whose payload is not (checksum or
    /// content); its bytes have been skipped.
    Corrupt {
        kind: Kind,
        number: u64,
        payload_len: usize,
        why: String,
    },
}

/// What was left when the stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leftover {
    Nothing,
    /// A frame with a sound header cut short: `have` of its `need` bytes.
    Truncated {
        kind: Kind,
        number: u64,
        have: usize,
        need: usize,
    },
    /// Bytes too short to be a header, or no header.
    Garbage(Vec<u8>),
}

/// Cuts a byte stream into frames, whatever the reads are; after bytes
/// that are not a frame it resynchronises on the next sound header.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: Vec<u8>,
    /// Where the undecoded bytes start in `buffer`.
    start: usize,
}

/// What the bytes at a place say about a header there.
enum HeaderAt {
    /// A sound header.
    Sound { kind: Kind, number: u64, payload_len: usize },
    /// Too few bytes to tell, and those there fit a header.
    Partial,
    /// Not a header: why.
    Bad(String),
}

fn header_at(bytes: &[u8]) -> HeaderAt {
    let fits = |i: usize, ok: bool, why: &dyn Fn() -> String| {
        if bytes.len() <= i || ok { None } else { Some(HeaderAt::Bad(why())) }
    };
    let first = |i: usize| bytes.get(i).copied().unwrap_or(0);
    if let Some(bad) = fits(0, first(0) == MAGIC[0], &|| "no frame starts here".into()) {
        return bad;
    }
    if let Some(bad) = fits(1, first(1) == MAGIC[1], &|| "no frame starts here".into()) {
        return bad;
    }
    if let Some(bad) = fits(2, first(2) == VERSION, &|| format!("protocol version {}", first(2))) {
        return bad;
    }
    let kind = Kind::from_code(first(3));
    if let Some(bad) = fits(3, kind.is_some(), &|| format!("unknown frame kind {:#04x}", first(3)))
    {
        return bad;
    }
    if bytes.len() < HEADER_LEN {
        return HeaderAt::Partial;
    }
    let payload_len = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    let number = u64::from_be_bytes([
        bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15],
    ]);
    let crc = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    if crc32fast::hash(&bytes[..16]) != crc {
        return HeaderAt::Bad("header checksum mismatch".into());
    }
    if payload_len > MAX_PAYLOAD {
        return HeaderAt::Bad(format!("payload of {payload_len} bytes, at most {MAX_PAYLOAD}"));
    }
    match kind {
        Some(kind) => HeaderAt::Sound { kind, number, payload_len },
        None => HeaderAt::Bad("unknown frame kind".into()),
    }
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Adds bytes just read.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buffer.len() {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// Bytes received and not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buffer.len() - self.start
    }

    /// The next frame or run of garbage, or `None` until more bytes come.
    pub fn decode(&mut self) -> Option<Decoded> {
        let data = &self.buffer[self.start..];
        if data.is_empty() {
            return None;
        }
        match header_at(data) {
            HeaderAt::Partial => None,
            HeaderAt::Bad(why) => {
                let end = (1..data.len())
                    .find(|&p| !matches!(header_at(&data[p..]), HeaderAt::Bad(_)))
                    .unwrap_or(data.len());
                let bytes = data[..end].to_vec();
                self.start += end;
                Some(Decoded::Garbage { bytes, why })
            }
            HeaderAt::Sound { kind, number, payload_len } => {
                let end = HEADER_LEN + payload_len + TRAILER_LEN;
                if data.len() < end {
                    return None;
                }
                let payload = &data[HEADER_LEN..HEADER_LEN + payload_len];
                let t = &data[HEADER_LEN + payload_len..end];
                let crc = u32::from_be_bytes([t[0], t[1], t[2], t[3]]);
                let decoded = if crc32fast::hash(payload) != crc {
                    Err("payload checksum mismatch".to_string())
                } else {
                    Frame::from_parts(kind, number, payload)
                };
                self.start += end;
                Some(match decoded {
                    Ok(frame) => Decoded::Frame(frame),
                    Err(why) => Decoded::Corrupt { kind, number, payload_len, why },
                })
            }
        }
    }

    /// What is left once the stream has ended (call after `decode` has
    /// returned `None`).
    pub fn finish(&mut self) -> Leftover {
        let data = &self.buffer[self.start..];
        let leftover = match header_at(data) {
            _ if data.is_empty() => Leftover::Nothing,
            HeaderAt::Sound { kind, number, payload_len } => Leftover::Truncated {
                kind,
                number,
                have: data.len(),
                need: HEADER_LEN + payload_len + TRAILER_LEN,
            },
            HeaderAt::Partial | HeaderAt::Bad(_) => Leftover::Garbage(data.to_vec()),
        };
        self.buffer.clear();
        self.start = 0;
        leftover
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Frame> {
        vec![
            Frame::Connect { session: 0xDEAD_BEEF_0000_0001, window: 16, name: "cm1 cdr1".into() },
            Frame::Accept { resume_after: 41, window: 64, silent_after_s: 180 },
            Frame::Refuse { reason: "protocol version 2".into() },
            Frame::Data { seq: 42, records: b"a\r\nb\r\n".to_vec() },
            Frame::Ack { seq: 42 },
            Frame::KeepAlive { probe: 7 },
            Frame::KeepAliveReply { probe: 7 },
            Frame::Disconnect { reason: String::new() },
        ]
    }

    fn decode_all(decoder: &mut Decoder) -> Vec<Decoded> {
        std::iter::from_fn(|| decoder.decode()).collect()
    }

    #[test]
    fn every_frame_round_trips_whatever_the_reads() {
        let frames = every_kind();
        let stream: Vec<u8> = frames.iter().flat_map(Frame::to_bytes).collect();
        for read in [1, 3, 20, 25, 1000] {
            let mut decoder = Decoder::new();
            let mut decoded = Vec::new();
            for piece in stream.chunks(read) {
                decoder.push(piece);
                decoded.extend(decode_all(&mut decoder));
            }
            let expected: Vec<Decoded> = frames.iter().cloned().map(Decoded::Frame).collect();
            assert_eq!(decoded, expected, "reads of {read}");
            assert_eq!(decoder.finish(), Leftover::Nothing);
        }
    }

    #[test]
    fn the_layout_is_as_documented() {
        let bytes = Frame::Ack { seq: 0x0102 }.to_bytes();
        assert_eq!(bytes.len(), HEADER_LEN + TRAILER_LEN);
        assert_eq!(&bytes[..8], &[0xA5, 0xD2, 1, 0x11, 0, 0, 0, 0]);
        assert_eq!(&bytes[8..16], &0x0102u64.to_be_bytes());
        assert_eq!(&bytes[16..20], &crc32fast::hash(&bytes[..16]).to_be_bytes());
        assert_eq!(&bytes[20..], &crc32fast::hash(b"").to_be_bytes());
        let data = Frame::Data { seq: 1, records: b"x\r\n".to_vec() }.to_bytes();
        assert_eq!(&data[4..8], &3u32.to_be_bytes());
        assert_eq!(&data[20..23], b"x\r\n");
    }

    #[test]
    fn garbage_is_set_apart_and_the_stream_resynchronises() {
        let good = Frame::Data { seq: 3, records: b"rec\r\n".to_vec() }.to_bytes();
        // Garbage that holds a lone magic byte and a whole false start.
        let mut false_start = good.clone();
        false_start[9] ^= 0xFF;
        let garbage = [b"junk\xA5 \r\n".as_slice(), &false_start[..HEADER_LEN]].concat();
        let stream = [garbage.as_slice(), &good, b"\x00tail"].concat();
        let mut decoder = Decoder::new();
        decoder.push(&stream);
        let decoded = decode_all(&mut decoder);
        let mut junk = Vec::new();
        for d in &decoded[..decoded.len() - 2] {
            match d {
                Decoded::Garbage { bytes, .. } => junk.extend_from_slice(bytes),
                other => panic!("expected garbage, got {other:?}"),
            }
        }
        assert_eq!(junk, garbage);
        assert_eq!(
            decoded[decoded.len() - 2],
            Decoded::Frame(Frame::Data { seq: 3, records: b"rec\r\n".to_vec() })
        );
        assert!(
            matches!(&decoded[decoded.len() - 1], Decoded::Garbage { bytes, .. } if bytes == b"\x00tail")
        );
    }

    #[test]
    fn a_partial_header_waits_for_more_and_a_cut_frame_is_reported() {
        let frame = Frame::Data { seq: 9, records: vec![b'x'; 100] }.to_bytes();
        let mut decoder = Decoder::new();
        decoder.push(&frame[..1]);
        assert_eq!(decoder.decode(), None);
        decoder.push(&frame[1..60]);
        assert_eq!(decoder.decode(), None);
        assert_eq!(decoder.buffered(), 60);
        assert_eq!(
            decoder.finish(),
            Leftover::Truncated { kind: Kind::Data, number: 9, have: 60, need: frame.len() }
        );
        decoder.push(&frame[..5]);
        assert_eq!(decoder.finish(), Leftover::Garbage(frame[..5].to_vec()));
    }

    #[test]
    fn malformed_frames_are_told_apart() {
        let corrupt_payload = {
            let mut bytes = Frame::Data { seq: 5, records: b"abc\r\n".to_vec() }.to_bytes();
            bytes[HEADER_LEN + 1] = b'X';
            bytes
        };
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (corrupt_payload, "payload checksum mismatch"),
            (raw(Kind::Data, 0, b"x\r\n"), "block numbers start at 1"),
            (raw(Kind::Data, 1, b""), "block 1 is empty"),
            (raw(Kind::Ack, 1, b"x"), "has no payload"),
            (raw(Kind::Connect, 1, b"\x00\x00cm"), "window 0"),
            (raw(Kind::Connect, 1, b"\x00\x01\xFF"), "not UTF-8"),
            (raw(Kind::Connect, 1, b"\x00\x01a\nb"), "control characters"),
            (raw(Kind::Accept, 1, b"\x00\x01"), "payload too short"),
        ];
        for (bytes, why_part) in cases {
            let mut decoder = Decoder::new();
            decoder.push(&bytes);
            match decoder.decode() {
                Some(Decoded::Corrupt { why, .. }) => assert!(why.contains(why_part), "{why}"),
                other => panic!("{why_part}: {other:?}"),
            }
            assert_eq!(decoder.finish(), Leftover::Nothing);
        }
        let bad_headers: Vec<(Vec<u8>, &str)> = vec![
            (patched(2, 9), "protocol version 9"),
            (patched(3, 0x7F), "unknown frame kind 0x7f"),
            (patched(12, 1), "header checksum mismatch"),
            (too_long(), "at most"),
        ];
        for (bytes, why_part) in bad_headers {
            let mut decoder = Decoder::new();
            decoder.push(&bytes);
            match decoder.decode() {
                Some(Decoded::Garbage { why, bytes: junk }) => {
                    assert!(why.contains(why_part), "{why}");
                    assert_eq!(junk, bytes);
                }
                other => panic!("{why_part}: {other:?}"),
            }
        }
    }

    fn raw(kind: Kind, number: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_frame(kind, number, payload, &mut out);
        out
    }

    fn patched(at: usize, value: u8) -> Vec<u8> {
        let mut bytes = Frame::KeepAlive { probe: 1 }.to_bytes();
        bytes[at] = value;
        bytes
    }

    fn too_long() -> Vec<u8> {
        let mut bytes = Frame::KeepAlive { probe: 1 }.to_bytes();
        bytes[4..8].copy_from_slice(&((MAX_PAYLOAD + 1) as u32).to_be_bytes());
        let crc = crc32fast::hash(&bytes[..16]);
        bytes[16..20].copy_from_slice(&crc.to_be_bytes());
        bytes
    }
}
