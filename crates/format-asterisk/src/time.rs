use cdr::ParseError;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// Reads a cdr_csv time (`%Y-%m-%d %T`, always 19 characters) as UTC: as
/// written when `usegmtime` is on, else in the PBX's zone.
pub(crate) fn cdr_time(
    field: &str,
    bytes: &[u8],
    utc: bool,
    zone: &TimeZone,
) -> Result<Timestamp, ParseError> {
    let civil = civil_time(bytes).ok_or_else(|| {
        ParseError::field(field, format!("not a time: {:?}", cdr::text::lossy(bytes)))
    })?;
    if utc {
        civil.to_zoned(TimeZone::UTC).map(|z| z.timestamp()).map_err(|_| {
            ParseError::field(field, format!("time out of range: {:?}", cdr::text::lossy(bytes)))
        })
    } else {
        cdr::text::local_to_utc(zone, civil).map_err(|e| ParseError::field(field, e.message))
    }
}

/// `YYYY-MM-DD HH:MM:SS` with every part checked (month 1–12, day within
/// its month…); `None` for anything else.
fn civil_time(bytes: &[u8]) -> Option<DateTime> {
    let b: &[u8; 19] = bytes.try_into().ok()?;
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b' ', h0, h1, b':', i0, i1, b':', s0, s1] = *b
    else {
        return None;
    };
    let year = (digits(&[y0, y1])? * 100 + digits(&[y2, y3])?) as i16;
    let month = digits(&[m0, m1])? as i8;
    let day = digits(&[d0, d1])? as i8;
    let hour = digits(&[h0, h1])? as i8;
    let minute = digits(&[i0, i1])? as i8;
    let second = digits(&[s0, s1])? as i8;
    DateTime::new(year, month, day, hour, minute, second, 0).ok()
}

fn digits(pair: &[u8; 2]) -> Option<u16> {
    let [a, b] = *pair;
    if a.is_ascii_digit() && b.is_ascii_digit() {
        Some(u16::from(a - b'0') * 10 + u16::from(b - b'0'))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_checked_part_by_part() {
        assert!(civil_time(b"2010-04-02 00:26:32").is_some());
        assert!(civil_time(b"2010-02-30 00:26:32").is_none());
        assert!(civil_time(b"2010-04-02T00:26:32").is_none());
        assert!(civil_time(b"2010-04-02 24:00:00").is_none());
        assert!(civil_time(b"2010-04-02 00:26").is_none());
        assert!(civil_time(b"+010-04-02 00:26:32").is_none());
    }
}
