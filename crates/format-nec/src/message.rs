//! The envelope of one SMDR message: framing bytes, SA/UA, kind of call.

use cdr::ParseError;

const STX: u8 = 0x02;
const ETX: u8 = 0x03;

/// The kinds of call the flexible format writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// `KK`: outgoing call.
    Outgoing,
    /// `KL`: incoming call.
    Incoming,
    /// `KM`: station-to-station call.
    StationToStation,
}

/// A message cut into its kind of call and the bytes of its sections.
pub(crate) struct Message<'a> {
    pub kind: CallKind,
    /// From the `K` on: what identifies the record.
    pub record: &'a [u8],
    pub sections: &'a [u8],
}

/// Strips link framing and SA/UA; `None` for a line with nothing in it.
pub(crate) fn open(raw: &[u8]) -> Result<Option<Message<'_>>, ParseError> {
    // Trailing blanks may be a station number's padding: only framing
    // bytes are cut from the end.
    let leading = |b: &u8| matches!(*b, STX | b' ' | b'\t' | b'\r' | b'\n' | 0);
    let trailing = |b: &u8| matches!(*b, ETX | b'\r' | b'\n' | 0);
    let first = raw.iter().position(|b| !leading(b)).unwrap_or(raw.len());
    let last = raw.iter().rposition(|b| !trailing(b)).map_or(first, |i| i + 1).max(first);
    let mut bytes = raw.get(first..last).unwrap_or_default();
    if bytes.iter().all(|b| matches!(b, b' ' | b'\t')) {
        return Ok(None);
    }
    // SA is a digit, UA is '!': present in every message the PBX sends.
    if let [sa, b'!', rest @ ..] = bytes
        && sa.is_ascii_digit()
    {
        bytes = rest;
    }
    let [b'K', kind, sections @ ..] = bytes else {
        if bytes.len() < 2 {
            return Err(ParseError::record(format!(
                "record too short: {:?}",
                String::from_utf8_lossy(raw)
            )));
        }
        return Err(ParseError::record(format!(
            "not an SMDR message: {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(8)])
        )));
    };
    let kind = match kind {
        b'K' => CallKind::Outgoing,
        b'L' => CallKind::Incoming,
        b'M' => CallKind::StationToStation,
        other => {
            return Err(ParseError::field(
                "kind of call",
                format!("unsupported: {:?}", String::from_utf8_lossy(&[b'K', *other])),
            ));
        }
    };
    Ok(Some(Message { kind, record: bytes, sections }))
}
