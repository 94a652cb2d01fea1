//! Dates, times and durations as Communication Manager writes them.

use cdr::ParseError;
use jiff::ToSpan;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// The "CDR Date Format" of `system-parameters cdr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateOrder {
    /// `month/day`: `mmddyy` (or `mmdd`).
    #[default]
    MonthDay,
    /// `day/month`: `ddmmyy` (or `ddmm`).
    DayMonth,
}

/// Turns the `date` and `time` items (the call's end, local time) into a
/// civil date-time, supplying the year when the layout's `date` has only 4
/// characters.
#[derive(Debug, Clone)]
pub(crate) struct EndClock {
    order: DateOrder,
    /// `received` plus one day, in the PBX's zone: no call may end later.
    latest: DateTime,
}

impl EndClock {
    pub fn new(order: DateOrder, received: jiff::Timestamp, zone: &TimeZone) -> Self {
        let local = received.to_zoned(zone.clone()).datetime();
        let latest = local.checked_add(1.day()).unwrap_or(local);
        EndClock { order, latest }
    }

    /// `date` is `mmddyy`/`ddmmyy` or `mmdd`/`ddmm`; `time` is `hhmm`.
    pub fn end(&self, date: &[u8], time: &[u8]) -> Result<DateTime, ParseError> {
        let not_a_date = || ParseError::field("date", format!("not a date: {:?}", lossy(date)));
        let not_a_time = || ParseError::field("time", format!("not a time: {:?}", lossy(time)));
        let [h1, h2, m1, m2] = *time else { return Err(not_a_time()) };
        let (hour, minute) =
            (pair(h1, h2).ok_or_else(not_a_time)?, pair(m1, m2).ok_or_else(not_a_time)?);
        if hour > 23 || minute > 59 {
            return Err(not_a_time());
        }
        let (first, second, year) = match *date {
            [a1, a2, b1, b2, y1, y2] => {
                let yy = i16::from(pair(y1, y2).ok_or_else(not_a_date)?);
                let mut year = 2000 + yy;
                if year > self.latest.year() {
                    year -= 100;
                }
                (pair(a1, a2), pair(b1, b2), Some(year))
            }
            [a1, a2, b1, b2] => (pair(a1, a2), pair(b1, b2), None),
            _ => return Err(not_a_date()),
        };
        let (first, second) = (first.ok_or_else(not_a_date)?, second.ok_or_else(not_a_date)?);
        let (month, day) = match self.order {
            DateOrder::MonthDay => (first, second),
            DateOrder::DayMonth => (second, first),
        };
        let at = |year: i16| {
            Date::new(year, month as i8, day as i8)
                .ok()
                .map(|d| d.at(hour as i8, minute as i8, 0, 0))
        };
        match year {
            Some(year) => at(year).ok_or_else(not_a_date),
            // The latest year that does not put the call more than a day
            // after it was received; eight years back covers 29 February.
            None => (0..8)
                .map(|back| self.latest.year() - back)
                .filter_map(at)
                .find(|end| *end <= self.latest)
                .ok_or_else(not_a_date),
        }
    }
}

/// `sec-dur`: whole seconds, right-adjusted. All nines is how Avaya marks a
/// call that was in progress while the switch's clock was changed: its
/// real length is unknown, so the record is refused rather than billed
/// wrongly (calls of 10 hours and more are split into condition-code-4
/// records long before the field could overflow).
pub(crate) fn seconds(field: &[u8]) -> Result<u32, ParseError> {
    let value = number("sec-dur", field)?;
    if value == 99_999 {
        return Err(clock_changed("sec-dur", field));
    }
    Ok(value)
}

/// `duration`: `hmmt`, hours, minutes and tenths of a minute (6 s each).
/// `9999` marks a call in progress during a clock change (see [`seconds`]).
pub(crate) fn hmmt(field: &[u8]) -> Result<u32, ParseError> {
    let bad = || ParseError::field("duration", format!("not a duration: {:?}", lossy(field)));
    let &[h, m1, m2, t] = field else { return Err(bad()) };
    if field == b"9999" {
        return Err(clock_changed("duration", field));
    }
    let digit = |b: u8| b.is_ascii_digit().then(|| u32::from(b - b'0')).ok_or_else(bad);
    let minutes = digit(m1)? * 10 + digit(m2)?;
    if minutes > 59 {
        return Err(bad());
    }
    Ok(digit(h)? * 3600 + minutes * 60 + digit(t)? * 6)
}

fn clock_changed(field: &str, value: &[u8]) -> ParseError {
    ParseError::field(
        field,
        format!("duration unknown (clock changed during the call): {:?}", lossy(value)),
    )
}

/// A right-adjusted unsigned number, blanks around it ignored.
pub(crate) fn number(field: &str, bytes: &[u8]) -> Result<u32, ParseError> {
    let digits = cdr::text::trim(bytes);
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::field(field, format!("not a number: {:?}", lossy(digits))));
    }
    Ok(digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn pair(tens: u8, units: u8) -> Option<u8> {
    (tens.is_ascii_digit() && units.is_ascii_digit()).then(|| (tens - b'0') * 10 + (units - b'0'))
}

fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(cdr::text::trim(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(order: DateOrder, received: &str) -> EndClock {
        EndClock::new(order, received.parse().unwrap(), &TimeZone::UTC)
    }

    #[test]
    fn six_digit_dates_follow_the_date_order() {
        let md = clock(DateOrder::MonthDay, "2025-06-01T00:00:00Z");
        assert_eq!(md.end(b"031525", b"1402").unwrap().to_string(), "2025-03-15T14:02:00");
        let dm = clock(DateOrder::DayMonth, "2025-06-01T00:00:00Z");
        assert_eq!(dm.end(b"150325", b"0000").unwrap().to_string(), "2025-03-15T00:00:00");
        assert_eq!(
            md.end(b"150325", b"0000").unwrap_err().to_string(),
            "field date: not a date: \"150325\""
        );
        assert_eq!(
            md.end(b"0315x5", b"0000").unwrap_err().to_string(),
            "field date: not a date: \"0315x5\""
        );
        assert_eq!(
            md.end(b"031525", b"2460").unwrap_err().to_string(),
            "field time: not a time: \"2460\""
        );
    }

    #[test]
    fn four_digit_dates_take_the_latest_year_not_after_reception() {
        let new_year = clock(DateOrder::MonthDay, "2025-01-01T00:10:00Z");
        assert_eq!(new_year.end(b"1231", b"2358").unwrap().to_string(), "2024-12-31T23:58:00");
        assert_eq!(new_year.end(b"0101", b"0005").unwrap().to_string(), "2025-01-01T00:05:00");
        // A day of slack for clocks that run ahead.
        assert_eq!(new_year.end(b"0101", b"2300").unwrap().to_string(), "2025-01-01T23:00:00");
        assert_eq!(new_year.end(b"0102", b"0500").unwrap().to_string(), "2024-01-02T05:00:00");
        assert_eq!(new_year.end(b"0229", b"1200").unwrap().to_string(), "2024-02-29T12:00:00");
    }

    #[test]
    fn durations() {
        assert_eq!(seconds(b"00125").unwrap(), 125);
        assert_eq!(seconds(b"  125").unwrap(), 125);
        assert_eq!(
            seconds(b"12a45").unwrap_err().to_string(),
            "field sec-dur: not a number: \"12a45\""
        );
        assert_eq!(
            seconds(b"99999").unwrap_err().to_string(),
            "field sec-dur: duration unknown (clock changed during the call): \"99999\""
        );
        assert_eq!(hmmt(b"1234").unwrap(), 3600 + 23 * 60 + 24);
        assert_eq!(
            hmmt(b"0609").unwrap_err().to_string(),
            "field duration: not a duration: \"0609\""
        );
        assert_eq!(hmmt(b"9599").unwrap(), 9 * 3600 + 59 * 60 + 54);
        assert!(hmmt(b"9999").unwrap_err().to_string().contains("clock changed"));
    }
}
