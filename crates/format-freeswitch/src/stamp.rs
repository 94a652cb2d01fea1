//! The three ways FreeSWITCH writes an instant: a local `*_stamp`, UTC epoch
//! seconds `*_epoch`, UTC epoch microseconds `*_uepoch`.

use cdr::text::{epoch_seconds, local_to_utc, u64_field};
use cdr::{ParseError, Timestamp};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// `YYYY-MM-DD HH:MM:SS` (switch_strftime's `%Y-%m-%d %T`) in `zone`.
pub(crate) fn local_stamp(field: &str, s: &str, zone: &TimeZone) -> Result<Timestamp, ParseError> {
    let civil = civil_time(s.as_bytes())
        .ok_or_else(|| ParseError::field(field, format!("not a time: {s:?}")))?;
    local_to_utc(zone, civil).map_err(|e| ParseError::field(field, e.message))
}

pub(crate) fn epoch(field: &str, s: &str) -> Result<Timestamp, ParseError> {
    epoch_seconds(field, s)
}

pub(crate) fn uepoch(field: &str, s: &str) -> Result<Timestamp, ParseError> {
    let us = u64_field(field, s)?;
    i64::try_from(us)
        .ok()
        .and_then(|us| Timestamp::from_microsecond(us).ok())
        .ok_or_else(|| ParseError::field(field, format!("time out of range: {s:?}")))
}

fn civil_time(bytes: &[u8]) -> Option<DateTime> {
    let b: &[u8; 19] = bytes.try_into().ok()?;
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b' ', h0, h1, b':', i0, i1, b':', s0, s1] = *b
    else {
        return None;
    };
    let year = (two_digits(y0, y1)? * 100 + two_digits(y2, y3)?) as i16;
    DateTime::new(
        year,
        two_digits(m0, m1)? as i8,
        two_digits(d0, d1)? as i8,
        two_digits(h0, h1)? as i8,
        two_digits(i0, i1)? as i8,
        two_digits(s0, s1)? as i8,
        0,
    )
    .ok()
}

fn two_digits(a: u8, b: u8) -> Option<u16> {
    (a.is_ascii_digit() && b.is_ascii_digit())
        .then(|| u16::from(a - b'0') * 10 + u16::from(b - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_spellings_of_one_instant() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let a = local_stamp("start_stamp", "2018-01-11 11:25:44", &berlin).unwrap();
        let b = epoch("start_epoch", "1515666344").unwrap();
        let c = uepoch("start_uepoch", "1515666344534355").unwrap();
        assert_eq!(a, b);
        assert_eq!(c.as_second(), b.as_second());
        assert_eq!(c.subsec_microsecond(), 534355);
    }

    #[test]
    fn bad_values_are_named() {
        let e = local_stamp("end_stamp", "2018-13-11 11:25:44", &TimeZone::UTC).unwrap_err();
        assert_eq!(e.to_string(), "field end_stamp: not a time: \"2018-13-11 11:25:44\"");
        let e = uepoch("end_uepoch", "99999999999999999999").unwrap_err();
        assert_eq!(
            e.to_string(),
            "field end_uepoch: number out of range: \"99999999999999999999\""
        );
        let e = uepoch("end_uepoch", "9999999999999999999").unwrap_err();
        assert_eq!(e.to_string(), "field end_uepoch: time out of range: \"9999999999999999999\"");
    }
}
