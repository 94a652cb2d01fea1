//! Field conversions shared by the parsers. Every function names the field
//! it failed on, so errors read `field duration: not a number: "1x"`.

use crate::{ParseError, Text};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use std::net::Ipv4Addr;

/// Bytes with ASCII spaces and tabs (and a trailing CR) removed at both ends.
pub fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !is_blank(*b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !is_blank(*b)).map_or(start, |i| i + 1);
    &bytes[start..end]
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0)
}

/// The field as UTF-8 text, trimmed; invalid UTF-8 is an error.
pub fn utf8<'a>(field: &str, bytes: &'a [u8]) -> Result<&'a str, ParseError> {
    std::str::from_utf8(trim(bytes)).map_err(|_| {
        ParseError::field(field, format!("not valid UTF-8: {:?}", String::from_utf8_lossy(bytes)))
    })
}

/// Free text (names, comments): invalid UTF-8 is replaced, never rejected,
/// because PBXs write names in whatever code page they were set up with.
pub fn lossy(bytes: &[u8]) -> Text {
    match std::str::from_utf8(trim(bytes)) {
        Ok(s) => Text::from(s),
        Err(_) => Text::from(String::from_utf8_lossy(trim(bytes)).as_ref()),
    }
}

/// An unsigned decimal number; empty is an error.
pub fn u64_field(field: &str, s: &str) -> Result<u64, ParseError> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::field(field, format!("not a number: {s:?}")));
    }
    s.parse::<u64>().map_err(|_| ParseError::field(field, format!("number out of range: {s:?}")))
}

pub fn u32_field(field: &str, s: &str) -> Result<u32, ParseError> {
    let v = u64_field(field, s)?;
    u32::try_from(v).map_err(|_| ParseError::field(field, format!("number out of range: {s:?}")))
}

/// A signed decimal number; empty is an error.
pub fn i64_field(field: &str, s: &str) -> Result<i64, ParseError> {
    let t = s.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::field(field, format!("not a number: {t:?}")));
    }
    t.parse::<i64>().map_err(|_| ParseError::field(field, format!("number out of range: {t:?}")))
}

/// UTC epoch seconds (CUCM `dateTimeOrigination`).
pub fn epoch_seconds(field: &str, s: &str) -> Result<Timestamp, ParseError> {
    let v = i64_field(field, s)?;
    Timestamp::from_second(v)
        .map_err(|_| ParseError::field(field, format!("time out of range: {s:?}")))
}

/// UTC epoch seconds where `0` (or empty) means "never" (CUCM `dateTimeConnect`).
pub fn optional_epoch_seconds(field: &str, s: &str) -> Result<Option<Timestamp>, ParseError> {
    let t = s.trim();
    if t.is_empty() || t == "0" {
        return Ok(None);
    }
    epoch_seconds(field, t).map(Some)
}

/// An IPv4 address written as a signed 32-bit integer in little-endian byte
/// order (CUCM: 239138826 is 10.248.64.14). `0`/empty is `None`.
pub fn ipv4_le(field: &str, s: &str) -> Result<Option<Ipv4Addr>, ParseError> {
    let t = s.trim();
    if t.is_empty() || t == "0" {
        return Ok(None);
    }
    let v = i64_field(field, t)?;
    if v < i64::from(i32::MIN) || v > i64::from(u32::MAX) {
        return Err(ParseError::field(field, format!("not a 32-bit address: {t:?}")));
    }
    let bits = v as u32; // two's complement for the negative (signed) form
    Ok(Some(Ipv4Addr::from(bits.to_le_bytes())))
}

/// A dialled or calling number as a PBX writes it, cleaned: surrounding
/// blanks removed, inner blanks and dashes dropped. Other characters stay
/// (`+`, `*`, `#`, letters of SIP user parts) so nothing is lost.
pub fn number(bytes: &[u8]) -> Text {
    let t = trim(bytes);
    if t.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'*' | b'#')) {
        // Fast path: already clean ASCII.
        return Text::from(std::str::from_utf8(t).unwrap_or_default());
    }
    let s = String::from_utf8_lossy(t);
    s.chars().filter(|c| !matches!(c, ' ' | '-' | '\t')).collect::<String>().into()
}

/// A civil date-time read in a PBX's time zone, converted to UTC. In the
/// fall-back hour a local time happens twice: the earlier instant is taken
/// (the PBX cannot say which it meant). A time inside the spring-forward
/// gap is moved forward by the gap's length.
pub fn local_to_utc(tz: &TimeZone, dt: DateTime) -> Result<Timestamp, ParseError> {
    tz.to_ambiguous_timestamp(dt)
        .compatible()
        .map_err(|e| ParseError::record(format!("time {dt} not representable in zone: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_integers_are_little_endian() {
        assert_eq!(ipv4_le("ip", "239138826").unwrap(), Some(Ipv4Addr::new(10, 248, 64, 14)));
        assert_eq!(ipv4_le("ip", "-1062731510").unwrap(), Some(Ipv4Addr::new(10, 1, 168, 192)));
        assert_eq!(ipv4_le("ip", "0").unwrap(), None);
        assert!(ipv4_le("ip", "x").is_err());
    }

    #[test]
    fn numbers_name_their_field() {
        let e = u32_field("duration", "1x").unwrap_err();
        assert_eq!(e.to_string(), "field duration: not a number: \"1x\"");
        assert_eq!(u32_field("d", " 42 ").unwrap(), 42);
        assert!(u32_field("d", "").is_err());
        assert!(u32_field("d", "99999999999").is_err());
        assert_eq!(i64_field("d", "-5").unwrap(), -5);
    }

    #[test]
    fn epoch_zero_connect_means_unanswered() {
        assert_eq!(optional_epoch_seconds("c", "0").unwrap(), None);
        assert_eq!(
            optional_epoch_seconds("c", "1744993930").unwrap().unwrap().to_string(),
            "2025-04-18T16:32:10Z"
        );
    }

    #[test]
    fn number_cleanup_keeps_meaningful_characters() {
        assert_eq!(number(b"  +1 503-346 6594 "), "+15033466594");
        assert_eq!(number(b"*67#"), "*67#");
        assert_eq!(trim(b"  x \r"), b"x");
        assert_eq!(trim(b"   "), b"");
    }

    #[test]
    fn local_times_resolve_dst() {
        let tz = TimeZone::get("America/New_York").unwrap();
        // Fall back 2025-11-02 01:30 happens twice: the earlier (EDT) wins.
        let t = local_to_utc(&tz, jiff::civil::date(2025, 11, 2).at(1, 30, 0, 0)).unwrap();
        assert_eq!(t.to_string(), "2025-11-02T05:30:00Z");
        // Spring forward 2025-03-09 02:30 does not exist: moved to 03:30 EDT.
        let t = local_to_utc(&tz, jiff::civil::date(2025, 3, 9).at(2, 30, 0, 0)).unwrap();
        assert_eq!(t.to_string(), "2025-03-09T07:30:00Z");
    }
}
