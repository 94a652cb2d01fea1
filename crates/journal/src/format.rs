//! The bytes on disk: segment header and entry framing.
//!
//! All integers are little-endian. See the crate documentation for the
//! layout tables.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// First bytes of every segment file.
pub const SEGMENT_MAGIC: [u8; 6] = *b"BWJSEG";
/// Version of the segment header layout.
pub const SEGMENT_VERSION: u16 = 1;
/// Length of the segment header; the first entry starts here.
pub const SEGMENT_HEADER_LEN: u64 = 32;
/// First bytes of every entry.
pub const ENTRY_MAGIC: [u8; 2] = *b"JE";
/// Version of the entry header layout.
pub const ENTRY_VERSION: u8 = 1;
/// Length of an entry header.
pub const ENTRY_HEADER_LEN: usize = 28;
/// Largest payload one entry may carry (connectors append what one read
/// returned, far less than this).
pub const MAX_PAYLOAD: usize = 16 << 20;

/// Bytes of the header covered by the CRC (all but the CRC itself).
const ENTRY_CRC_COVERS: usize = ENTRY_HEADER_LEN - 4;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// Bytes as received from a connection: not aligned on records.
    Data,
    /// A connection opened; the payload is the peer description (UTF-8).
    Open,
    /// A connection closed. Bytes of the connection after its last complete
    /// record are an incomplete record that the consumer must quarantine.
    Close,
}

impl EntryKind {
    fn code(self) -> u8 {
        match self {
            EntryKind::Data => 1,
            EntryKind::Open => 2,
            EntryKind::Close => 3,
        }
    }

    fn from_code(code: u8) -> Option<EntryKind> {
        match code {
            1 => Some(EntryKind::Data),
            2 => Some(EntryKind::Open),
            3 => Some(EntryKind::Close),
            _ => None,
        }
    }
}

/// The fixed header at the start of every segment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    pub number: u64,
    /// When the segment was created, microseconds since 1970 (UTC).
    pub created_us: i64,
}

impl SegmentHeader {
    pub fn encode(&self) -> [u8; SEGMENT_HEADER_LEN as usize] {
        let mut bytes = [0u8; SEGMENT_HEADER_LEN as usize];
        bytes[0..6].copy_from_slice(&SEGMENT_MAGIC);
        bytes[6..8].copy_from_slice(&SEGMENT_VERSION.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.number.to_le_bytes());
        bytes[16..24].copy_from_slice(&self.created_us.to_le_bytes());
        // 24..28 reserved, zero.
        let crc = crc32fast::hash(&bytes[0..28]);
        bytes[28..32].copy_from_slice(&crc.to_le_bytes());
        bytes
    }

    /// Decodes a header, or says what is wrong with it.
    pub fn decode(bytes: &[u8]) -> std::result::Result<SegmentHeader, String> {
        if bytes.len() < SEGMENT_HEADER_LEN as usize {
            return Err(format!("segment header cut short ({} bytes)", bytes.len()));
        }
        if bytes[0..6] != SEGMENT_MAGIC {
            return Err("not a journal segment (bad magic)".to_owned());
        }
        let version = u16::from_le_bytes([bytes[6], bytes[7]]);
        if version != SEGMENT_VERSION {
            return Err(format!("unsupported segment version {version}"));
        }
        if crc32fast::hash(&bytes[0..28]) != read_u32(bytes, 28) {
            return Err("segment header CRC mismatch".to_owned());
        }
        Ok(SegmentHeader { number: read_u64(bytes, 8), created_us: read_u64(bytes, 16) as i64 })
    }
}

/// A decoded entry header (the payload follows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryHeader {
    pub kind: EntryKind,
    pub payload_len: usize,
    pub received_us: i64,
    pub connection: u64,
    crc: u32,
}

impl EntryHeader {
    /// Header and payload together.
    pub fn entry_len(&self) -> u64 {
        (ENTRY_HEADER_LEN + self.payload_len) as u64
    }

    /// Decodes a header, or says what is wrong with it. The CRC is checked
    /// separately, once the payload is at hand ([`EntryHeader::crc_matches`]).
    pub fn decode(bytes: &[u8]) -> std::result::Result<EntryHeader, String> {
        if bytes.len() < ENTRY_HEADER_LEN {
            return Err(format!("entry header cut short ({} bytes)", bytes.len()));
        }
        if bytes[0..2] != ENTRY_MAGIC {
            return Err("bad entry magic".to_owned());
        }
        if bytes[2] != ENTRY_VERSION {
            return Err(format!("unsupported entry version {}", bytes[2]));
        }
        let kind = EntryKind::from_code(bytes[3])
            .ok_or_else(|| format!("unknown entry kind {}", bytes[3]))?;
        let payload_len = read_u32(bytes, 4) as usize;
        if payload_len > MAX_PAYLOAD {
            return Err(format!("entry length {payload_len} exceeds the limit"));
        }
        Ok(EntryHeader {
            kind,
            payload_len,
            received_us: read_u64(bytes, 8) as i64,
            connection: read_u64(bytes, 16),
            crc: read_u32(bytes, 24),
        })
    }

    /// Whether the stored CRC matches the header bytes and the payload.
    pub fn crc_matches(&self, header_bytes: &[u8], payload: &[u8]) -> bool {
        entry_crc(&header_bytes[..ENTRY_CRC_COVERS], payload) == self.crc
    }
}

/// Appends one encoded entry (header, then payload) to `out`.
pub(crate) fn encode_entry(
    out: &mut Vec<u8>,
    kind: EntryKind,
    connection: u64,
    received_us: i64,
    payload: &[u8],
) {
    debug_assert!(payload.len() <= MAX_PAYLOAD);
    let mut header = [0u8; ENTRY_HEADER_LEN];
    header[0..2].copy_from_slice(&ENTRY_MAGIC);
    header[2] = ENTRY_VERSION;
    header[3] = kind.code();
    header[4..8].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    header[8..16].copy_from_slice(&received_us.to_le_bytes());
    header[16..24].copy_from_slice(&connection.to_le_bytes());
    let crc = entry_crc(&header[..ENTRY_CRC_COVERS], payload);
    header[24..28].copy_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(payload);
}

fn entry_crc(header: &[u8], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(header);
    hasher.update(payload);
    hasher.finalize()
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// Microseconds since 1970-01-01 UTC (negative before), as stored.
pub(crate) fn to_micros(time: SystemTime) -> Result<i64> {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_micros()).map_err(|_| Error::TimeOutOfRange),
        Err(before) => i64::try_from(before.duration().as_micros())
            .map(|micros| -micros)
            .map_err(|_| Error::TimeOutOfRange),
    }
}

/// The inverse of [`to_micros`].
pub(crate) fn from_micros(micros: i64) -> SystemTime {
    let magnitude = Duration::from_micros(micros.unsigned_abs());
    if micros >= 0 { UNIX_EPOCH + magnitude } else { UNIX_EPOCH - magnitude }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_header_round_trips_and_detects_a_flipped_bit() {
        let mut bytes = Vec::new();
        encode_entry(&mut bytes, EntryKind::Open, 42, -5, b"peer 10.0.0.1:4000");
        let header = EntryHeader::decode(&bytes).unwrap();
        assert_eq!(header.kind, EntryKind::Open);
        assert_eq!(header.connection, 42);
        assert_eq!(header.received_us, -5);
        let (head, payload) = bytes.split_at(ENTRY_HEADER_LEN);
        assert!(header.crc_matches(head, payload));
        let mut flipped = payload.to_vec();
        flipped[3] ^= 0x10;
        assert!(!header.crc_matches(head, &flipped));
    }

    #[test]
    fn segment_header_round_trips() {
        let header = SegmentHeader { number: 7, created_us: 1_700_000_000_000_000 };
        assert_eq!(SegmentHeader::decode(&header.encode()).unwrap(), header);
        assert!(SegmentHeader::decode(&[0u8; 32]).is_err());
    }

    #[test]
    fn times_round_trip_in_microseconds() {
        for micros in [0i64, 1, -1, 1_700_000_000_123_456, -86_400_000_000] {
            assert_eq!(to_micros(from_micros(micros)).unwrap(), micros);
        }
    }
}
